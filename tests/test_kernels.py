"""The shared kernel machinery: parameter-gradient reductions, backend hooks."""

import keras
import numpy as np
import pytest
from _util import SEED

from keras_acts import _kernels

BACKEND = keras.backend.backend()

# (input shape, parameter shape): shared, per-channel last and first, and a
# row count that is not a multiple of the reduction block.
SHAPES = [
    ((7, 5), ()),
    ((3, 4, 5, 6), (6,)),
    ((3, 6, 4, 5), (6, 1, 1)),
    ((4097,), (1,)),
    ((2, 3, 5), (3, 5)),
    ((5, 3), (5, 3)),
]


@pytest.mark.numerics
@pytest.mark.parametrize("many", ["one", "three"])
@pytest.mark.parametrize(("x_shape", "shape"), SHAPES, ids=str)
def test_sum_to_shapes_matches_numpy(x_shape, shape, many):
    rng = np.random.default_rng(SEED)
    count = 1 if many == "one" else 3
    arrays = [rng.normal(size=x_shape) for _ in range(count)]
    many_sums = {
        "tensorflow": _kernels._tf_many_sums,
        "jax": _kernels._jax_many_sums,
    }.get(BACKEND, _kernels._separate_sums)
    if BACKEND == "tensorflow":
        import tensorflow as tf  # Variadic reductions only exist under XLA.

        run = tf.function(
            lambda *ts: _kernels.sum_to_shapes(
                list(ts), len(x_shape), shape, many_sums
            ),
            jit_compile=True,
        )
    else:

        def run(*ts):
            return _kernels.sum_to_shapes(list(ts), len(x_shape), shape, many_sums)

    sums = run(*[keras.ops.convert_to_tensor(a) for a in arrays])
    lead = len(x_shape) - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, size in enumerate(shape) if size == 1
    )
    for array, got in zip(arrays, sums, strict=True):
        expected = array.sum(axis=axes).reshape(shape)
        np.testing.assert_allclose(
            keras.ops.convert_to_numpy(got), expected, rtol=1e-9, atol=1e-9
        )


@pytest.mark.tensorflow
def test_tensorflow_variadic_reduce_is_available():
    # Without it parameter gradients stay right but every learnable layer's
    # backward gets several times slower: fail loudly when TF moves it.
    assert _kernels.tf_variadic_reduce_module() is not None, (
        "tensorflow.compiler.tf2xla.python.xla.variadic_reduce is gone in this "
        "TensorFlow release; keras_acts/_kernels.py needs a new variadic sum."
    )
