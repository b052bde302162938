"""pytest plugin: runs Keras's own shipped tests with keras_acts imported.

Loaded by tools/keras_suite.py (``-p keras_suite_plugin``). Importing
keras_acts before any test module is collected is the whole point: Keras's
tests then run against the name table, hooks and layers keras_acts installs.
With ``KERAS_ACTS_SUITE=without`` nothing is imported (the baseline run);
with ``KERAS_ACTS_SUITE=substitute`` keras_acts' same-named layers (ReLU,
LeakyReLU, ELU, Softmax, PReLU) also replace Keras's classes in the modules
Keras's layer tests import them from.
"""

import importlib
import os

MODE = os.environ.get("KERAS_ACTS_SUITE", "with")
# Keras module -> class name, for the same-named layers.
SUBSTITUTED = {
    "keras.src.layers.activations.relu": "ReLU",
    "keras.src.layers.activations.leaky_relu": "LeakyReLU",
    "keras.src.layers.activations.elu": "ELU",
    "keras.src.layers.activations.softmax": "Softmax",
    "keras.src.layers.activations.prelu": "PReLU",
}


def pytest_configure(config):
    if MODE == "without":
        return
    import keras_acts

    config.keras_acts_version = keras_acts.__version__
    if MODE == "substitute":
        for module_name, class_name in SUBSTITUTED.items():
            module = importlib.import_module(module_name)
            setattr(module, class_name, getattr(keras_acts.layers, class_name))


def pytest_report_header(config):
    return f"keras_acts suite mode: {MODE}"
