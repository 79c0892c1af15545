"""Deterministic weights for comparing a model with torchvision's, shared by the test
(test_models_reference.py) and the script that made the reference outputs
(fixtures/make_model_refs.py), so that both frameworks run the very same numbers.

Every floating parameter and BatchNorm running statistic gets values from NumPy's PCG64 stream
``default_rng([7, i])`` (``i``: its position among them in state_dict order), scaled so that
activations stay of order one; everything else (``num_batches_tracked``, Swin's constant index
and coordinate tables) keeps the model's own value.
"""

import math

import numpy as np

# the models compared, with their builder kwargs and the input size (N=2, 3 channels)
REFERENCE_MODELS = {
    "resnext50_32x4d": ({}, 64), "mobilenet_v2": ({}, 64), "mobilenet_v3_large": ({}, 64),
    "mobilenet_v3_small": ({}, 64), "efficientnet_b0": ({}, 64), "efficientnet_v2_s": ({}, 64),
    "squeezenet1_0": ({}, 64), "squeezenet1_1": ({}, 64), "densenet121": ({}, 64),
    "googlenet": ({}, 64), "inception_v3": ({}, 80), "shufflenet_v2_x1_0": ({}, 64),
    "regnet_x_400mf": ({}, 64), "regnet_y_400mf": ({}, 64), "mnasnet0_5": ({}, 64),
    "convnext_tiny": ({}, 64), "swin_t": ({}, 64), "swin_v2_t": ({}, 64),
    "vit_b_32": ({"image_size": 64}, 64),
    "fcn_resnet50": ({"weights_backbone": None, "aux_loss": True, "num_classes": 5}, 48),
    "deeplabv3_mobilenet_v3_large": (
        {"weights_backbone": None, "aux_loss": True, "num_classes": 5}, 48),
    "lraspp_mobilenet_v3_large": ({"weights_backbone": None, "num_classes": 5}, 48),
}

_KEEP = ("relative_coords_table",)  # Swin V2's constant table: a buffer, not a weight


def filled_keys(state_items, parameter_names):
    """(key, shape) of the entries to fill, in state_dict order.

    Args:
        state_items: (key, shape, is_floating) of the state_dict, in order.
        parameter_names: set of the keys that are parameters.
    """
    out = []
    for key, shape, floating in state_items:
        leaf = key.rsplit(".", 1)[-1]
        stat = leaf in ("running_mean", "running_var")
        if floating and (key in parameter_names or stat) and leaf not in _KEEP:
            out.append((key, tuple(shape)))
    return out


def reference_weights(entries):
    """{key: float32 array} for the (key, shape) list from :func:`filled_keys`."""
    weights = {}
    for i, (key, shape) in enumerate(entries):
        rng = np.random.default_rng([7, i])
        leaf = key.rsplit(".", 1)[-1]
        if leaf == "running_var":
            value = rng.uniform(0.5, 1.5, shape)
        elif leaf == "running_mean":
            value = 0.1 * rng.standard_normal(shape)
        elif len(shape) <= 1:  # norm scales around one, biases around zero
            value = (1.0 if leaf == "weight" else 0.0) + 0.1 * rng.standard_normal(shape)
        else:  # like a fan-in initialisation
            value = rng.standard_normal(shape) / math.sqrt(math.prod(shape[1:]))
        weights[key] = value.astype(np.float32)
    return weights


def reference_input(size):
    return np.random.default_rng(12345).standard_normal((2, 3, size, size)).astype(np.float32)
