"""The OpenCL tests run on a real driver (in CI: Debian's pocl, which runs kernels on the CPU).
They skip only where no OpenCL platform exists at all."""

import pytest

import ember

pytest.importorskip("ember_opencl", reason="ember-opencl is installed by nox -s tests")


def pytest_collection_modifyitems(config, items):
    # this hook sees the whole session's items: touch OpenCL only when tests of ours are there
    ours = [item for item in items if "tests/opencl" in str(item.fspath).replace("\\", "/")
            and "no_platform" not in item.nodeid]
    if not ours or ember.opencl.is_available():
        return
    reason = ember.backends.get_backend("opencl").unavailable_reason()
    for item in ours:
        item.add_marker(pytest.mark.skip(reason=f"no OpenCL platform: {reason}"))


@pytest.fixture(scope="session")
def dev():
    """The first OpenCL device's runtime object (its pool, queue and programs)."""
    from ember_opencl.runtime import runtime

    return runtime.device(0)
