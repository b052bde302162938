"""keras_acts functions applied to symbolic inputs (the functional API)."""

import keras
import numpy as np
import pytest
from _util import SEED
from references import REFERENCES

import keras_acts

# CI also runs this module beyond the TensorFlow step (see .ci/run).
pytestmark = [pytest.mark.ci_jax, pytest.mark.ci_torch]


@pytest.mark.parametrize("name", ["swish", "tanhsoft"])
def test_same_function_twice_in_one_model(name, tmp_path):
    # Each call records its own op; the names must be unique for Keras to
    # build, save and load the model.
    inputs = keras.Input((5,))
    fn = keras_acts.get(name)
    model = keras.Model(inputs, fn(fn(inputs)))
    names = [op.name for op in model.operations[1:]]
    assert len(set(names)) == len(names) == 2, names

    x = np.random.default_rng(SEED).normal(0.0, 3.0, (4, 5)).astype("float32")
    reference = REFERENCES[name]
    expected = reference(reference(x.astype(np.float64)))
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-4)

    model.save(tmp_path / "twice.keras")
    loaded = keras.models.load_model(tmp_path / "twice.keras")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), expected, rtol=1e-4)
