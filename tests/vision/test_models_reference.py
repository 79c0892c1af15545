"""Every architecture family against the REAL torchvision: with identical deterministic weights
(model_ref_weights.py), the eval-mode outputs must agree (fixtures/model_outputs_ref.npz, made by
fixtures/make_model_refs.py with torchvision 0.28 / torch 2.13 CPU). Measured agreement:
relative error <= 1.4e-6 of the output scale for all of them."""

import pathlib

import numpy as np
import pytest

import ember
from ember_vision import models

from .model_ref_weights import REFERENCE_MODELS, filled_keys, reference_input, reference_weights
from .test_models import no_random_init  # noqa: F401  (the fixture: every weight is set below)

REF = np.load(pathlib.Path(__file__).parent / "fixtures" / "model_outputs_ref.npz")


def _with_reference_weights(name, kwargs):
    model = models.get_model(name, **kwargs).eval()
    sd = model.state_dict()
    params = {k for k, _ in model.named_parameters()}
    entries = filled_keys([(k, tuple(v.shape), v.is_floating_point()) for k, v in sd.items()],
                          params)
    weights = {k: ember.from_numpy(v) for k, v in reference_weights(entries).items()}
    missing, unexpected = model.load_state_dict(weights, strict=False)
    assert not unexpected and all(k not in weights for k in missing)
    return model


@pytest.mark.usefixtures("no_random_init")
@pytest.mark.parametrize("name", sorted(REFERENCE_MODELS))
def test_output_matches_torchvision(name):
    kwargs, size = REFERENCE_MODELS[name]
    model = _with_reference_weights(name, kwargs)
    with ember.no_grad():
        out = model(ember.from_numpy(reference_input(size)))
    outs = out if isinstance(out, dict) else {"": out}
    for key, value in outs.items():
        ref = REF[f"{name}/{key}" if key else name]
        assert value.shape == ref.shape
        scale = np.abs(ref).max()
        assert scale > 0.1  # a meaningful comparison: the reference is not ~0
        np.testing.assert_allclose(value.numpy(), ref, rtol=0, atol=2e-5 * scale,
                                   err_msg=f"{name} {key}")
