"""TensorFlow's retracing warning: the suite fails on it, and keras_acts never
causes it.

tests/conftest.py fails any test during which TensorFlow logs "... triggered
tf.function retracing". The first test proves it on purpose: it runs pytest
in a subprocess, with this suite's conftest, on a test that retraces a plain
`tf.function`, and checks that that test fails. The others are the uses the
warning used to come from (issue 17): eager calls of many functions, shapes
and dtypes, with and without a tape, and eager training.
"""

import os
import shutil
import subprocess
import sys

import keras
import numpy as np
import pytest

import keras_acts

pytestmark = pytest.mark.tensorflow

HERE = os.path.dirname(os.path.abspath(__file__))

INNER = """
import tensorflow as tf


def test_retraces_on_purpose():
    @tf.function
    def double(x):
        return 2.0 * x

    for n in range(1, 9):  # A new shape at every call: a trace each.
        double(tf.ones([n]))


def test_traces_once():
    @tf.function
    def double(x):
        return 2.0 * x

    for _ in range(9):
        double(tf.ones([3]))
"""


def test_suite_fails_on_a_retracing_warning(tmp_path):
    shutil.copy(os.path.join(HERE, "conftest.py"), tmp_path / "conftest.py")
    (tmp_path / "test_inner.py").write_text(INNER)
    env = dict(os.environ, KERAS_BACKEND="tensorflow", PYTEST_ADDOPTS="")
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rA"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    text = out.stdout + out.stderr
    assert out.returncode == 1, text[-3000:]
    assert "ERROR at teardown of test_retraces_on_purpose" in text, text[-3000:]
    assert "triggered tf.function retracing" in text, text[-3000:]
    assert "PASSED test_inner.py::test_traces_once" in text, text[-3000:]
    # The retracing test's call passed; its teardown is the error.
    assert "2 passed, 1 error" in text, text[-3000:]


FUNCTIONS = ["mish", "gelu", "swish", "elu", "selu", "softplus", "hard_swish"]
FUNCTIONS += ["leaky_relu", "tanhsoft", "snake", "eis", "serf", "sine", "softmax"]


def test_eager_calls_of_many_functions_shapes_and_dtypes(no_retracing):
    # The case: six functions called eagerly, once each, warned twice.
    import tensorflow as tf

    rng = np.random.default_rng(0)
    # Sizes up to 16: one bucket, so one compiled kernel per function and
    # dtype under the tape (the test stays fast), yet a new shape each call.
    for dtype in ("float32", "float64", "float16"):
        for shape in [(3,), (2, 3, 2), (16,), (1, 3), (4, 4)]:
            x = tf.cast(tf.constant(rng.normal(size=shape)), dtype)
            for name in FUNCTIONS:
                fn = getattr(keras_acts, name)
                fn(x)
                with tf.GradientTape() as tape:
                    tape.watch(x)
                    y = fn(x)
                tape.gradient(y, x)
    assert not no_retracing.messages


def test_eager_training_with_varying_batch_sizes(no_retracing):
    rng = np.random.default_rng(0)
    for activation in ["mish", "gelu", "tanhsoft", keras_acts.snake, "silu", "serf"]:
        model = keras.Sequential(
            [
                keras.Input((6,)),
                keras.layers.Dense(8, activation=activation),
                keras_acts.layers.PAU(),
                keras.layers.Dense(1),
            ]
        )
        model.compile("sgd", "mse", run_eagerly=True)
        for batch in (1, 3, 7):
            x = rng.normal(size=(2 * batch + 1, 6))
            model.fit(x, rng.normal(size=(len(x), 1)), batch_size=batch, verbose=0)
    assert not no_retracing.messages
