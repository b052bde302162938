"""Writes tests/data/pre_refactor.keras and pre_refactor.npz.

Run once, from the code as it was BEFORE the structure refactor of issue 15
(commit 780d17f), and committed with its outputs: tests/test_saved_configs.py
loads the file with the current code and checks that its outputs are
identical to the ones saved here. Do not regenerate it from newer code:
its point is that it was written by the old modules.

    KERAS_BACKEND=tensorflow python tests/data/make_pre_refactor_model.py
"""

import os

import keras
import numpy as np

import keras_acts
import keras_acts.layers as L
from keras_acts import constraints, initializers

HERE = os.path.dirname(os.path.abspath(__file__))


def build():
    keras.utils.set_random_seed(1234)
    inputs = keras.Input((8,))
    branches = []
    # Every registry name as a string activation of a Keras layer.
    for name in keras_acts.names():
        branches.append(keras.layers.Dense(8, activation=name)(inputs))
    # Functional-API ops (ActivationOp), with and without parameters.
    branches.append(keras_acts.mish(inputs))
    branches.append(keras_acts.snake(inputs, alpha=0.7))
    branches.append(keras_acts.gelu(inputs, approximate="tanh"))
    # Every layer class.
    for name in L.__all__:
        cls = getattr(L, name)
        if name == "Maxout":
            layer = cls(num_units=4)
        elif name in ("SirenDense", "SELUDense"):
            layer = cls(8, seed=3) if name == "SELUDense" else cls(8, is_first=True)
        elif name in ("Swish", "Snake", "TanhSoft", "EIS", "StarReLU"):
            layer = cls(per_channel=True)
        elif name in ("PAU", "HP1", "HP2", "OrthogonalPade"):
            layer = cls(per_channel=True, version="B")
        else:
            layer = cls()
        branches.append(layer(inputs))
    # constraints and initializers in a Keras layer.
    branches.append(
        keras.layers.Dense(
            8,
            kernel_initializer=initializers.SirenHidden(w0=30.0),
            kernel_constraint=constraints.Range(-1.0, 1.0),
        )(inputs)
    )
    flat = [keras.layers.Flatten()(b) for b in branches]
    outputs = keras.layers.Concatenate()(flat)
    model = keras.Model(inputs, outputs)
    # Move every weight away from its initial value, so loading is checked.
    rng = np.random.default_rng(5)
    for w in model.weights:
        value = np.asarray(w.numpy())
        w.assign(value + rng.uniform(0.0, 0.05, value.shape).astype(value.dtype))
    return model


if __name__ == "__main__":
    model = build()
    x = np.random.default_rng(7).normal(size=(16, 8)).astype("float32") * 2
    y = np.asarray(model(x))
    model.save(os.path.join(HERE, "pre_refactor.keras"))
    np.savez(os.path.join(HERE, "pre_refactor.npz"), x=x, y=y)
    print("saved", y.shape, np.isfinite(y).all())
