"""The private Keras internals keras_acts relies on are still there.

`keras_acts._keras_internals` is the only module that touches them; its
`check()` fails with a message that names the Keras release when one of them
changed. These tests run it, and make sure it really fails loudly.
"""

import keras
import pytest
from keras.src import activations as keras_activations

import keras_acts  # noqa: F401  (installs the names and hooks)
from keras_acts import _keras_internals

# CI also runs this module beyond the TensorFlow step (see .ci/run).
pytestmark = [pytest.mark.ci_jax, pytest.mark.ci_lowest]


def test_this_keras_release_works_as_keras_acts_needs():
    _keras_internals.check()


def test_missing_name_table_fails_loudly(monkeypatch):
    monkeypatch.delattr(keras_activations, "ALL_OBJECTS_DICT")
    with pytest.raises(_keras_internals.KerasInternalsChanged) as info:
        _keras_internals.check()
    assert "ALL_OBJECTS_DICT" in str(info.value)
    assert "keras<=3.15" in str(info.value)


def test_name_lookup_elsewhere_fails_loudly(monkeypatch):
    # A Keras whose `get` no longer reads the table keras_acts writes to.
    monkeypatch.setattr(keras_activations, "get", lambda identifier: None)
    with pytest.raises(_keras_internals.KerasInternalsChanged) as info:
        _keras_internals.check()
    assert keras.__version__ in str(info.value)


def test_lost_saving_hook_fails_loudly(monkeypatch):
    from keras.src.saving import serialization_lib

    original = serialization_lib._retrieve_class_or_fn.__wrapped__
    monkeypatch.setattr(serialization_lib, "_retrieve_class_or_fn", original)
    with pytest.raises(_keras_internals.KerasInternalsChanged) as info:
        _keras_internals.check()
    assert "_retrieve_class_or_fn" in str(info.value)
