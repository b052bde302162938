"""The shared kernel machinery: parameter-gradient reductions, backend hooks."""

import keras
import numpy as np
import pytest
from _util import SEED, TOLERANCES, assert_close, grad, to_numpy

import keras_acts
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


@pytest.mark.numerics
@pytest.mark.parametrize(("x_shape", "shape"), SHAPES[:3], ids=str)
def test_fused_parameter_gradients_match_autodiff(x_shape, shape):
    # Through the backend's fused op (custom gradient, reductions to the
    # parameters' shapes) against autodiff of the plain formula.
    spec = keras_acts.info("tanhsoft")
    rng = np.random.default_rng(SEED)
    x = rng.normal(0.0, 2.0, x_shape)
    g = keras.ops.convert_to_tensor(rng.normal(size=x_shape))
    base = {"alpha": 0.5, "beta": 0.3, "gamma": 0.8, "delta": 0.5}
    names = sorted(base)
    params = [
        np.asarray(base[n] + 0.05 * rng.normal(size=shape), np.float64) for n in names
    ]

    def fused(xt, *pts):
        y = _kernels.apply(spec, xt, dict(zip(names, pts, strict=True)))
        return keras.ops.sum(g * y)

    def plain(xt, *pts):
        return keras.ops.sum(g * spec.forward(xt, **dict(zip(names, pts, strict=True))))

    tensors = [keras.ops.convert_to_tensor(a) for a in (x, *params)]
    got, expected = grad(fused, *tensors), grad(plain, *tensors)
    rtol, atol = TOLERANCES["float64"]
    for what, a, b in zip(["x", *names], got, expected, strict=True):
        assert_close(to_numpy(a), to_numpy(b), rtol, atol, what=f"d/d{what}")


@pytest.mark.skipif(BACKEND != "torch", reason="PyTorch autograd test")
def test_torch_op_saves_only_its_inputs():
    import torch

    def saved_by(fn, *inputs):
        saved = []

        def pack(t):
            saved.append(t.data_ptr())
            return t

        with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            y = fn(*inputs)
        return y, saved

    x = torch.randn(4096, 8, requires_grad=True)
    y, saved = saved_by(keras_acts.mish, x)
    assert saved == [x.data_ptr()]  # Plain autodiff would keep intermediates.
    assert y.grad_fn.name() == "MishOpBackward"
    layer = keras_acts.layers.TanhSoft()
    layer.build(x.shape)
    _, saved = saved_by(layer, x)
    assert saved[0] == x.data_ptr() and len(saved) == 1 + 4  # x and 4 weights.


@pytest.mark.skipif(BACKEND != "torch", reason="PyTorch autograd test")
@pytest.mark.parametrize("trainable", [True, False])
def test_torch_frozen_layer_gets_no_parameter_gradients(trainable):
    import torch

    layer = keras_acts.layers.TanhSoft()
    x = torch.randn(64, 8, requires_grad=True)
    layer.build(x.shape)
    layer.trainable = trainable
    layer(x).sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()
    for weight in layer.weights:
        assert (weight.value.grad is not None) == trainable, weight.name
