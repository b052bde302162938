"""Runs an `ActivationSpec` on the active Keras backend.

This is the only module that knows about TensorFlow and JAX. For each
activation (and each set of static parameter values) it builds one op with a
custom gradient:

* the forward and the backward are each one compiled kernel: on TensorFlow a
  `tf.function(jit_compile=True)`, which XLA fuses even when the surrounding
  model is not jit-compiled; on JAX a `jax.jit` function;
* the backward recomputes from the input alone, so only `x` (and the tensor
  parameters) are kept for backprop, as ReLU does;
* float16 and bfloat16 inputs are computed in float32 and cast back.

Other backends (torch, numpy) get the plain formula, differentiated by the
framework's autodiff.
"""

import functools

import keras
from keras import ops

from keras_acts import _spec

_LOW_PRECISION = ("float16", "bfloat16")


def _dtype(x):
    return keras.backend.standardize_dtype(x.dtype)


def compute_dtype(dtype):
    """The dtype the math runs in for inputs of `dtype`."""
    return "float32" if dtype in _LOW_PRECISION else dtype


def to_float_tensor(x):
    """Converts `x` to a tensor; integer and bool inputs become `floatx()`."""
    x = ops.convert_to_tensor(x)
    if not keras.backend.is_float_dtype(_dtype(x)):
        x = ops.cast(x, keras.config.floatx())
    return x


def apply(spec, x, values, param_grads=True):
    """Computes `spec` on `x` with resolved parameter `values`.

    Numbers in `values` are baked into the compiled kernel; tensors (a
    layer's weights) are inputs of it, and get gradients reduced to their own
    shape unless `param_grads` is False (a frozen layer: the backward then
    computes the input gradient only).
    """
    x = to_float_tensor(x)
    static = {k: v for k, v in values.items() if not _spec._is_tensor_like(v)}
    dynamic = {k: v for k, v in values.items() if _spec._is_tensor_like(v)}
    if not spec.fused:
        # Keras's own op is already one fused kernel with a lean gradient.
        return forward(spec, x, static, dynamic)
    static_key = tuple(sorted(static.items()))
    names = tuple(sorted(dynamic))
    tensors = [ops.convert_to_tensor(dynamic[n]) for n in names]
    backend = keras.backend.backend()
    if backend == "tensorflow":
        return _tf_op(spec, static_key, names, bool(param_grads))(x, *tensors)
    if backend == "jax":
        return _jax_op(spec, static_key, names, bool(param_grads))(x, *tensors)
    return forward(spec, x, static, dict(zip(names, tensors, strict=True)))


def _cast_params(static, dynamic, dtype):
    params = dict(static)
    params.update({k: ops.cast(v, dtype) for k, v in dynamic.items()})
    return params


def forward(spec, x, static, dynamic):
    """The forward formula, computed in float32 for low-precision inputs."""
    dtype = _dtype(x)
    cdt = compute_dtype(dtype)
    y = spec.forward(ops.cast(x, cdt), **_cast_params(static, dynamic, cdt))
    return ops.cast(y, dtype)


def backward(spec, x, g, static, dynamic, sum_to_shape, param_grads=True):
    """Input gradient and parameter gradients from `x` and the cotangent.

    Returns `(dx, grads)`; `grads` is empty when `param_grads` is False.
    """
    dtype = _dtype(x)
    cdt = compute_dtype(dtype)
    xc = ops.cast(x, cdt)
    gc = ops.cast(g, cdt)
    params = _cast_params(static, dynamic, cdt)
    dx = ops.cast(gc * spec.derivative(xc, **params), dtype)
    if not dynamic or not param_grads:
        return dx, ()
    partials = spec.param_derivatives(xc, **params)
    # A zero cotangent contributes nothing, even where a partial overflows.
    grads = tuple(
        ops.cast(
            sum_to_shape(ops.where(gc == 0, 0.0, gc * partials[name]), value),
            _dtype(value),
        )
        for name, value in sorted(dynamic.items())
    )
    return dx, grads


# --- TensorFlow ---------------------------------------------------------------


def _tf_sum_to_shape(t, like):
    import tensorflow as tf

    # Sum over the axes that `like` was broadcast along (dynamic shapes ok).
    _, axes = tf.raw_ops.BroadcastGradientArgs(s0=tf.shape(t), s1=tf.shape(like))
    return tf.reshape(tf.reduce_sum(t, axis=axes), tf.shape(like))


@functools.lru_cache(maxsize=1024)
def _tf_op(spec, static_key, names, param_grads):
    import tensorflow as tf

    static = dict(static_key)

    def fwd(x, *tensors):
        return forward(spec, x, static, dict(zip(names, tensors, strict=True)))

    def bwd(x, g, *tensors):
        dynamic = dict(zip(names, tensors, strict=True))
        dx, grads = backward(spec, x, g, static, dynamic, _tf_sum_to_shape, param_grads)
        return (dx, *grads)

    options = {"jit_compile": True, "autograph": False, "reduce_retracing": True}
    fwd = tf.function(fwd, **options)
    bwd = tf.function(bwd, **options)

    @tf.custom_gradient
    def op(x, *tensors):
        def grad(g):
            result = bwd(x, g, *tensors)
            if not tensors:
                return result[0]
            if not param_grads:
                return [result[0]] + [None] * len(tensors)
            return list(result)

        # Without stop_gradient, eager tapes also record the kernel's inputs
        # as if the kernel were differentiated normally, holding extra buffers.
        y = fwd(tf.stop_gradient(x), *[tf.stop_gradient(t) for t in tensors])
        return y, grad

    def call(x, *tensors):
        # Variables become plain reads: custom_gradient rejects variables.
        return op(x, *[tf.convert_to_tensor(t) for t in tensors])

    return call


# --- JAX ----------------------------------------------------------------------


def _jax_sum_to_shape(t, like):
    lead = t.ndim - like.ndim
    axes = tuple(range(lead)) + tuple(
        lead + i
        for i, size in enumerate(like.shape)
        if size == 1 and t.shape[lead + i] != 1
    )
    return ops.reshape(ops.sum(t, axis=axes), like.shape) if axes else t


@functools.lru_cache(maxsize=1024)
def _jax_op(spec, static_key, names, param_grads):
    import jax

    static = dict(static_key)

    @jax.jit
    def fwd(x, *tensors):
        return forward(spec, x, static, dict(zip(names, tensors, strict=True)))

    @jax.jit
    def bwd(x, g, *tensors):
        dx, grads = backward(
            spec,
            x,
            g,
            static,
            dict(zip(names, tensors, strict=True)),
            _jax_sum_to_shape,
            param_grads,
        )
        if not param_grads:  # custom_vjp needs a cotangent for every input.
            grads = tuple(ops.zeros_like(t) for t in tensors)
        return (dx, *grads)

    @jax.custom_vjp
    def op(x, *tensors):
        return fwd(x, *tensors)

    def op_fwd(x, *tensors):
        return fwd(x, *tensors), (x, tensors)

    def op_bwd(saved, g):
        x, tensors = saved
        return bwd(x, g, *tensors)

    op.defvjp(op_fwd, op_bwd)
    return op
