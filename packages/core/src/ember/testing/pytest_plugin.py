"""pytest plugin (auto-loaded with ember-core): the ``--ember-device`` option of the conformance kit."""


def pytest_addoption(parser):
    parser.addoption("--ember-device", action="store", default="cpu",
                     help="device type the ember conformance kit runs on (default: cpu)")
