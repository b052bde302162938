"""Shared pytest setup: backend markers, quiet logs, float64 on JAX."""

import logging
import os

# Before Keras/TF/JAX are imported by any test module.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# The harness compares float64 results with float64 references; JAX runs in
# float32 unless x64 is enabled (float32/16 cases are unaffected).
os.environ.setdefault("JAX_ENABLE_X64", "1")

import keras  # noqa: E402
import pytest  # noqa: E402

BACKEND = keras.backend.backend()


def _has_gpu():
    if BACKEND == "tensorflow":
        import tensorflow as tf

        return bool(tf.config.list_physical_devices("GPU"))
    if BACKEND == "jax":
        import jax

        return any(d.platform == "gpu" for d in jax.devices())
    return False


def pytest_collection_modifyitems(config, items):
    not_tf = pytest.mark.skip(
        reason=f"TensorFlow-only test; KERAS_BACKEND is {BACKEND!r}"
    )
    gpu = None
    for item in items:
        if BACKEND != "tensorflow" and item.get_closest_marker("tensorflow"):
            item.add_marker(not_tf)
        if item.get_closest_marker("gpu"):
            if gpu is None:
                gpu = _has_gpu()
            if not gpu:
                item.add_marker(pytest.mark.skip(reason="needs a GPU; none found"))


# --- TensorFlow's retracing warning fails the suite --------------------------------
#
# "WARNING:tensorflow:5 out of the last N calls to <function ...> triggered
# tf.function retracing": TensorFlow logs it (logger "tensorflow") when one
# Python function is traced five times within ten calls. Every test runs with
# a handler that records it and fails the test (an error at teardown);
# anything logged outside a test (collection, module fixtures) fails the
# session. tests/test_retracing_guard.py proves both on purpose.

RETRACING = "triggered tf.function retracing"


class RetracingWarnings(logging.Handler):
    """Records TensorFlow's retracing warnings."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages = []

    def emit(self, record):
        message = record.getMessage()
        if RETRACING in message:
            self.messages.append(message)


_outside_tests = RetracingWarnings()


def _tf_logger():
    logger = logging.getLogger("tensorflow")
    if logger.getEffectiveLevel() > logging.WARNING:  # Silenced: hear it anyway.
        logger.setLevel(logging.WARNING)
    return logger


def _reset_retracing_counts():
    """Starts TensorFlow's per-function trace counts afresh.

    TensorFlow counts traces per Python code object across the whole
    process, so a test that builds one `tf.function` (parametrized over 30
    names) would otherwise be blamed for the 30 tests before it. With the
    counts reset, a warning means this test traced one function five times.
    (A private attribute: if a TensorFlow lacks it, counts carry over, which
    can only add warnings.)
    """
    try:
        from tensorflow.python.eager.polymorphic_function import (
            polymorphic_function as pf,
        )

        manager = pf._frequent_tracing_detector_manager
        with manager._lock:
            manager._detectors.clear()
    except (ImportError, AttributeError):
        pass


def pytest_configure(config):
    if BACKEND == "tensorflow":
        _tf_logger().addHandler(_outside_tests)


def pytest_sessionfinish(session, exitstatus):
    if _outside_tests.messages:
        print(
            "\nTensorFlow warned of tf.function retracing outside any test:\n  "
            + "\n  ".join(_outside_tests.messages)
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(autouse=True)
def no_retracing():
    """Fails the test if TensorFlow warns that a tf.function retraced."""
    if BACKEND != "tensorflow":
        yield
        return
    _reset_retracing_counts()
    logger = _tf_logger()
    caught = RetracingWarnings()
    logger.removeHandler(_outside_tests)
    logger.addHandler(caught)
    try:
        yield caught
    finally:
        logger.removeHandler(caught)
        logger.addHandler(_outside_tests)
    if caught.messages:
        pytest.fail(
            f"TensorFlow warned of tf.function retracing:\n  {caught.messages[0]}",
            pytrace=False,
        )
