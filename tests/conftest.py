"""Shared pytest setup: backend markers, quiet logs, float64 on JAX."""

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


@pytest.fixture
def no_retracing():
    """Fails a test during which TensorFlow warns that a tf.function retraced."""
    if BACKEND != "tensorflow":
        yield
        return
    import logging

    warnings = []

    class Catch(logging.Handler):
        def emit(self, record):
            if "triggered tf.function retracing" in record.getMessage():
                warnings.append(record.getMessage())

    handler = Catch(logging.WARNING)
    logger = logging.getLogger("tensorflow")
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
    assert not warnings, warnings[0]
