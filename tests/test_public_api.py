"""The public names of `keras_acts` and `keras_acts.layers`, pinned.

A new public name is a decision: add it here with its docs. Anything else
keras_acts defines is private (a leading underscore), so nothing leaks.
"""

import keras_acts
import keras_acts.layers as L

PUBLIC = [
    "__version__",
    "check_self_normalizing",
    "constraints",
    "get",
    "info",
    "initializers",
    "layers",
    "names",
    "taken_over",
    "use_keras_builtins",
]
# One layer per activation (drop-ins for Keras's where the class name is
# Keras's), then the learnable and structural layers.
LAYERS = [
    *["ELU", "EIS", "GELU", "HardSwish", "LeakyReLU", "LiSHT", "Logish", "Mish"],
    *["ReLU", "ReLU6", "SELU", "SERF", "Sigmoid", "Sine", "Smish", "Snake"],
    *["Softmax", "Softplus", "StarReLU", "Step", "Swish", "Tanh", "TanhSoft"],
    *["ChannelPReLU", "PReLU", "Maxout", "SELUDense", "SirenDense"],
    *["HP1", "HP2", "OrthogonalPade", "PAU"],
]


def _public(module):
    return sorted(
        n for n in vars(module) if not n.startswith("_") or n == "__version__"
    )


def test_keras_acts_public_names():
    assert sorted(keras_acts.__all__) == sorted(PUBLIC + keras_acts.names())
    assert _public(keras_acts) == sorted(keras_acts.__all__)


def test_layers_public_names_are_layers_only():
    assert sorted(L.__all__) == sorted(LAYERS)
    assert _public(L) == sorted(LAYERS)
    import keras

    for name in LAYERS:
        assert issubclass(getattr(L, name), keras.layers.Layer), name
