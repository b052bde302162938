"""Runs an `ActivationSpec` on the active Keras backend.

This is the only module that knows about TensorFlow, JAX and PyTorch. For
each activation (and each set of static parameter values) it builds one op
with a custom gradient:

* on TensorFlow the forward and the input gradient are each one compiled
  kernel (plus one for the gradients of tensor parameters, a layer's
  weights), a `tf.function(jit_compile=True)`, which XLA fuses even when the
  surrounding model is not jit-compiled; on JAX each is a `jax.jit`
  function;
* on PyTorch the op is a `torch.autograd.Function` run eagerly: the formula
  is still a chain of elementwise kernels (nothing is compiled), but autograd
  keeps none of its intermediates;
* on TensorFlow and JAX the backward recomputes from the input alone, so only
  `x` (and the tensor parameters) are kept for backprop, as ReLU does, and
  parameter gradients are computed only when a trainable layer needs them;
  on PyTorch, where each op is a pass over memory and recomputing is not
  free, the forward computes f'(x) along with f(x), sharing their torch calls
  (`_torch_shared`), and saves f'(x) and x, and a trainable layer's partials
  f_p(x) with them: the backward is one product, and a backward that is
  itself differentiated (create_graph=True) recomputes from x; the ops in
  `TORCH_PLAIN_AUTOGRAD` run their formula under plain torch autograd, those
  in `TORCH_SAVES_INPUT_ONLY` save x alone and recompute f'(x);
* float16 and bfloat16 inputs are computed in float32 and cast back.

Other backends (numpy) get the plain formula; numpy has no gradients.
"""

import contextlib
import contextvars
import functools
import math

import keras
import numpy as np
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


def within(x, scale, bound):
    """True if PyTorch's eager x is finite and |scale x| <= bound everywhere.

    One read of x (`aminmax`, no output the size of x), so that formulas can
    skip a guard for values that do not occur: on torch every op is a pass
    over memory, and `where` is a slow one. False (guard kept) on other
    backends, where x is symbolic inside a compiled kernel, for an empty x,
    and where x has a NaN.
    """
    if keras.backend.backend() != "torch" or not _spec._is_tensor_like(x):
        return False
    import torch

    if x.numel() == 0:
        return False
    if not isinstance(scale, (int, float)):
        scale = float(torch.max(torch.abs(scale.detach())))
    largest = _largest_magnitude(x)
    return math.isfinite(largest) and largest * abs(scale) <= bound


# The last tensor `within` read, its version counter and max |x|: a formula
# asks several times about the same x (a forward, then its derivative), and
# each aminmax is a pass over memory.
_LAST_RANGE = [None, None, None]


def _largest_magnitude(x):
    """max |x| of a torch tensor (NaN if x has a NaN), remembered for x."""
    import weakref

    import torch

    ref, key, largest = _LAST_RANGE
    now = (x._version, x.data_ptr(), tuple(x.shape))
    if ref is not None and ref() is x and key == now:
        return largest
    low, high = (float(v) for v in torch.aminmax(x.detach()))
    largest = max(abs(low), abs(high))  # NaN if x has one.
    _LAST_RANGE[:] = [weakref.ref(x), now, largest]
    return largest


# --- Dispatch -----------------------------------------------------------------


def apply(spec, x, values, param_grads=True):
    """Computes `spec` on `x` with resolved parameter `values`.

    Numbers in `values` are baked into the compiled kernel; tensors (a
    layer's weights) are inputs of it, and get gradients reduced to their own
    shape unless `param_grads` is False (a frozen layer: the backward then
    computes the input gradient only).
    """
    if keras.backend.backend() == "tensorflow":
        y = _tf_eager(spec, x, values)
        if y is not None:
            return y
    x = to_float_tensor(x)
    static = {k: v for k, v in values.items() if not _spec._is_tensor_like(v)}
    dynamic = {k: v for k, v in values.items() if _spec._is_tensor_like(v)}
    if not spec.fused:
        # Keras's own op is already one fused kernel with a lean gradient.
        y = forward(spec, x, static, dynamic)
        if spec.marks_logits:
            _mark_logits(y, x)
        return y
    static_key = tuple(sorted(static.items()))
    names = tuple(sorted(dynamic))
    tensors = [ops.convert_to_tensor(dynamic[n]) for n in names]
    # Static shapes, read here: inside the compiled function, traced with
    # relaxed shapes, they may be unknown.
    rank = _spec._rank(x)
    if rank is None and tensors:
        raise ValueError(
            f"keras_acts.{spec.name}: tensor-valued parameters {list(names)} need "
            "an input of known rank (they broadcast against its trailing axes)."
        )
    layout = (
        rank,
        tuple(_static_shape(n, t) for n, t in zip(names, tensors, strict=True)),
    )
    key = (spec, static_key, names, layout, bool(param_grads))
    backend = keras.backend.backend()
    if backend == "tensorflow":
        if _OP_BY_OP.get() == _EAGER or _tf_op_by_op(x):
            # Plain ops: nothing compiled or cached per shape, nothing to
            # save for a backward pass no tape will ask for.
            with _placed_op_by_op(_EAGER):
                dynamic = dict(zip(names, tensors, strict=True))
                return forward(spec, x, static, dynamic)
        if _tf_plain_graph(x):
            return _tf_plain_op(*key)(x, *tensors)
        groups = _groups(x.shape, layout[1]) if _tf_dynamic(x) else None
        if groups is None:
            return _tf_op(*key)(x, *tensors)
        axes, varying, _ = groups
        # Traced once, for any bucket sizes: a new size is compiled, never
        # retraced (retracing per dtype and shape is what TensorFlow warns of).
        signature = (
            tuple(
                x.shape[g[0]] if v else None for g, v in zip(axes, varying, strict=True)
            ),
            _dtype(x),
            tuple(_dtype(t) for t in tensors),
        )
        layout = _grouped_layout(groups)
        op = _tf_op(spec, static_key, names, layout, key[-1], signature)
        return _tf_bucketed(op, groups, x, tensors)
    if backend == "jax":
        groups = _groups(x.shape, layout[1]) if _jax_eager(x) else None
        if groups is None:
            return _jax_op(*key)(x, *tensors)
        op = _jax_op(spec, static_key, names, _grouped_layout(groups), key[-1])
        return _jax_bucketed(op, groups, x, tensors)
    if backend == "torch":
        return _torch_op(*key)(x, *tensors)
    return forward(spec, x, static, dict(zip(names, tensors, strict=True)))


def _mark_logits(y, x):
    """What Keras's softmax and sigmoid do: cross-entropy reads the logits."""
    try:
        y._keras_logits = x
    except AttributeError:  # Tensors of some backends take no attributes.
        pass


def _static_shape(name, tensor):
    shape = tuple(tensor.shape)
    if any(size is None for size in shape):
        raise ValueError(f"Parameter {name!r} must have a static shape; got {shape}.")
    return shape


# --- Varying shapes -----------------------------------------------------------
#
# XLA compiles a kernel for every concrete input shape, also when it is called
# from a graph whose shapes are unknown, and jax.jit does the same in eager
# use. Where shapes are not fixed when the kernel is placed (eager calls that
# a tape records; JAX's eager calls), x is reshaped to
# a few axes, those the parameters do not vary along are padded with zeros to
# a bucket size, and the output is sliced back: only bucket sizes reach the
# kernels, so their number stays O(log size) per activation, dtype and
# parameter layout. Every catalog forward is finite at 0, and the padding gets
# a zero cotangent (autodiff of the slice), which `parameter_gradients`
# counts as nothing. Fixed shapes, and calls inside an outer XLA or jax.jit
# compilation (which compiles per shape anyway), keep the exact kernels.
# TensorFlow graphs with unknown sizes keep them where a tape records
# (training), and run plain ops, nothing compiled, where none does (served
# models, `_tf_plain_graph`); eager calls no tape records run plain ops too.

# Buckets: every size up to _MIN_BUCKET pads to it; above, sizes with three
# significant bits (5, 6, 7 or 8 times a power of two): four per octave, at
# most 25% padding.
_MIN_BUCKET = 16


def bucket(n):
    """The size a varying axis of `n` entries is padded to."""
    if n <= _MIN_BUCKET:
        return _MIN_BUCKET
    step = 1 << ((n - 1).bit_length() - 3)
    return -(-n // step) * step


# Every bucket size up to 2^48 values, for a lookup in TensorFlow graphs
# (a count and a gather: fewer graph ops than computing it; not
# tf.searchsorted, whose LowerBound op TFLite's built-in ops lack, so a
# served model with a dynamic batch would not convert).
_BUCKETS = [_MIN_BUCKET] + [m << k for k in range(2, 46) for m in (5, 6, 7, 8)]


def _tf_bucket(n):
    """`bucket` of each entry of an int64 vector, in TensorFlow ops."""
    import tensorflow as tf

    table = tf.constant(_BUCKETS, tf.int64)
    smaller = tf.cast(table[None, :] < n[:, None], tf.int64)
    return tf.gather(table, tf.reduce_sum(smaller, axis=1))


def _groups(shape, param_shapes):
    """How x is folded for bucketing, or None where it cannot be.

    Returns `(axes, varying, shapes)`: consecutive axes of x no parameter
    varies along are folded into one (padded to a bucket), each axis a
    parameter varies along is kept as is (it must be static and match the
    parameter's size); `shapes` are the parameters' shapes on the folded
    axes. A rank-0 x is one folded axis of size 1.
    """
    rank = len(shape)
    varying = [False] * rank
    for pshape in param_shapes:
        if len(pshape) > rank:
            return None  # The output broadcasts beyond x: exact kernels.
        offset = rank - len(pshape)
        for i, size in enumerate(pshape):
            if size != 1:
                if shape[offset + i] != size:
                    return None
                varying[offset + i] = True
    axes = []
    for a in range(rank):
        if varying[a] or not axes or axes[-1][1]:
            axes.append(([a], varying[a]))
        else:
            axes[-1][0].append(a)
    axes = axes or [([], False)]
    shapes = []
    for pshape in param_shapes:
        offset = rank - len(pshape)
        shapes.append(
            tuple(
                pshape[group[0] - offset] if vary and group[0] >= offset else 1
                for group, vary in axes
            )
        )
    return (
        tuple(tuple(group) for group, _ in axes),
        tuple(vary for _, vary in axes),
        tuple(shapes),
    )


def _grouped_layout(groups):
    axes, _, shapes = groups
    return (len(axes), shapes)


def _tf_dynamic(x):
    """Whether a TensorFlow call must not compile per shape."""
    import tensorflow as tf

    # Eager calls only. Graphs with unknown sizes keep the exact kernels
    # (`fit` with a None batch: compiled per shape) or run plain ops (served
    # graphs, `_tf_plain_graph`): the bucketed form (pad, reshape, slice on
    # sizes known at run time) broke the TFLite conversion of exported
    # models (reshapes TFLite cannot prepare).
    return tf.executing_eagerly()


# Set while a formula is placed as plain ops (TensorFlow eager calls no tape
# records, and served graphs of unknown sizes): the primitives in
# _math then call the backend's own functions, as on PyTorch, instead of
# XLA-tuned arithmetic.
_OP_BY_OP = contextvars.ContextVar("keras_acts_op_by_op", default=False)


def op_by_op():
    """Whether the formula being placed runs op by op (not one kernel)."""
    return bool(_OP_BY_OP.get())


def eager_op_by_op():
    """Whether it runs op by op in an eager call (no graph is built, so
    nothing is exported: TFLite's built-ins do not constrain the ops)."""
    return _OP_BY_OP.get() == _EAGER


_EAGER = "eager"


@contextlib.contextmanager
def _placed_op_by_op(value=True):
    token = _OP_BY_OP.set(value)
    try:
        yield
    finally:
        _OP_BY_OP.reset(token)


def runs_op_by_op(x):
    """Whether `x` is computed op by op here, with no compiled kernel
    (`_tf_op_by_op`); always False outside TensorFlow."""
    if keras.backend.backend() != "tensorflow" or not hasattr(x, "shape"):
        return False
    return _tf_op_by_op(x)


def _tf_op_by_op(x):
    """Whether a TensorFlow call computes the formula as plain ops.

    Eager calls no tape records (notebooks, inference in custom loops): a
    compiled kernel there costs more per call than the plain ops, and its
    bucketed shapes compile and cache kernels; the backward pass it is
    fused for is never asked for. (Served graphs: `_tf_plain_graph`.)
    """
    import tensorflow as tf

    return tf.executing_eagerly() and not _tf_recording()


def _tf_plain_graph(x):
    """Whether a TensorFlow graph call runs the formula as plain graph ops.

    In a graph traced with no tape recording, whose sizes are unknown until
    it runs, outside any XLA compilation: a served model (`model.export`, a
    `tf.function` with an input signature, `predict` with a None batch). A
    compiled kernel there costs a compilation per new input size (~100 ms
    per new sequence length, and memory that keeps growing). The plain ops
    keep the analytic derivatives as a custom gradient (`_tf_plain_op`), for
    whoever differentiates the restored function. Where a tape records
    (training graphs) the fused kernels run; inside an XLA compilation the
    outer compilation is per shape anyway; fully known sizes compile once.
    """
    import tensorflow as tf

    if tf.executing_eagerly() or x.shape.is_fully_defined() or _tf_recording():
        return False
    return not _tf_in_xla()


def _tf_in_xla():
    """Whether the graph being built is compiled by XLA (jit_compile=True)."""
    import tensorflow as tf

    try:
        from tensorflow.python.ops import control_flow_util
    except ImportError:  # A TensorFlow without it: assume compiled (kernels).
        return True
    graph = tf.compat.v1.get_default_graph()
    return bool(control_flow_util.GraphOrParentsInXlaContext(graph))


# --- TensorFlow eager calls no tape records ---------------------------------------
#
# On small tensors an eager call costs Python and op dispatch, not arithmetic
# (Keras's mish is three eager ops). What does not depend on x's values is
# settled once per activation, parameter values and dtype (`_tf_eager_plan`):
# the compute dtype and its casts, and whether the limits at +-inf need a
# check at all. A call is then the formula's ops, plus one reduction where
# the plain-op formula does not give the limits by itself.


def _tf_eager(spec, x, values):
    """`spec` on x as plain TensorFlow ops; None where this does not apply.

    Applies to eager calls no tape records whose parameters are numbers (a
    layer's weights take `apply`'s general path, op by op as well).
    """
    import tensorflow as tf

    if not tf.executing_eagerly() or _tf_recording():
        return None
    items = tuple(values.items())
    if any(_spec._is_tensor_like(v) for _, v in items):
        return None
    if not isinstance(x, _tf_eager_tensor()):
        x = to_float_tensor(x)
        if not isinstance(x, _tf_eager_tensor()):
            return None
    return _tf_eager_plan(spec, items, x.dtype)(x)


@functools.lru_cache(maxsize=1)
def _tf_eager_tensor():
    from tensorflow.python.framework.ops import EagerTensor

    return EagerTensor


@functools.lru_cache(maxsize=128)  # As `_CACHE_SIZE`, below.
def _tf_eager_plan(spec, items, dtype):
    """The eager call of `spec` with parameters `items` on inputs of `dtype`:
    what `forward` computes, with its dtype and limit decisions taken once."""
    import tensorflow as tf

    if not dtype.is_floating:  # Integers and bools: as `to_float_tensor`.

        def run_float(x):
            floatx = keras.config.floatx()
            x = tf.cast(x, floatx)
            return _tf_eager_plan(spec, items, x.dtype)(x)

        return run_float
    name = _dtype(tf.zeros((), dtype))
    cdt = compute_dtype(name)
    static = dict(items)
    # Keras's own ops (non-fused specs) already give the limits.
    check = spec.fused and spec.elementwise and _tf_misses_limits(spec, static, cdt)

    def run(x):
        # The formula keeps its input's dtype, cdt.
        xc = x if cdt == name else tf.cast(x, cdt)
        token = _OP_BY_OP.set(_EAGER)
        try:
            y = spec.forward(xc, **static)
            if check and not _tf_all_finite(xc):
                y = _limits_at_infinity(spec, xc, y, static)
        finally:
            _OP_BY_OP.reset(token)
        if cdt != name:
            y = tf.cast(y, dtype)
        if spec.marks_logits:
            _mark_logits(y, x)
        return y

    return run


def _tf_misses_limits(spec, static, dtype):
    """Whether the plain-op formula at x = -inf and +inf differs from
    `_limits_at_infinity` (NaN where the limits give a number): only then
    does an eager call check x for infinities."""
    import numpy as np
    import tensorflow as tf

    probe = tf.constant([-math.inf, math.inf], dtype)
    with _placed_op_by_op(_EAGER):
        y = spec.forward(probe, **static)
        fixed = _limits_at_infinity(spec, probe, y, static)
    y = np.asarray(ops.convert_to_numpy(y))
    fixed = np.asarray(ops.convert_to_numpy(fixed))
    return y.shape != fixed.shape or not np.array_equal(y, fixed, equal_nan=True)


def _tf_all_finite(x):
    """True if eager x has no NaN and no inf, in one reduction: its sum is
    finite. A sum that overflows reads as False, so the caller applies the
    limits, which change nothing on finite entries (only time is lost)."""
    import tensorflow as tf

    if x.shape.num_elements() <= _HOST_CHECK and "device:CPU" in x.device:
        # A small tensor in host memory: NumPy checks a copy in a few
        # microseconds, where an eager op costs tens (1,000 values: 7 us
        # against 57 us for the sum).
        import numpy as np

        return bool(np.isfinite(x.numpy()).all())
    # raw_ops: tf.reduce_sum's Python layers cost as much as the sum here.
    total = tf.raw_ops.Sum(input=x, axis=_tf_all_axes(len(x.shape)))
    return math.isfinite(float(total))


# Up to this many values a host tensor is checked by NumPy (copy included,
# about as fast as TensorFlow's sum at this size; beyond, slower).
_HOST_CHECK = 1 << 16


@functools.lru_cache(maxsize=16)
def _tf_all_axes(rank):
    """The axes 0..rank-1, made once (TensorFlow makes them at every call)."""
    import tensorflow as tf

    return tf.constant(list(range(rank)), tf.int32)


def _tf_bucketed(op, groups, x, tensors):
    import tensorflow as tf

    axes, varying, shapes = groups
    known = x.shape
    if None not in known:  # Eager, or sizes known: padded in Python numbers.
        sizes = [math.prod(known[a] for a in group) for group in axes]
        padded = [n if v else bucket(n) for n, v in zip(sizes, varying, strict=True)]
        xg = tf.reshape(x, sizes)
        if padded != sizes:
            xg = tf.pad(xg, [[0, p - n] for p, n in zip(padded, sizes, strict=True)])
        y = op(xg, *[tf.reshape(t, s) for t, s in zip(tensors, shapes, strict=True)])
        if padded != sizes:
            y = tf.slice(y, [0] * len(sizes), sizes)
        return tf.reshape(y, known)
    # Few graph ops: each costs microseconds at every call of a served model.
    if len(axes) == 1:
        xg = tf.reshape(x, [-1])
        sizes = tf.shape(xg, out_type=tf.int64)
        padded = _tf_bucket(sizes)
    else:
        dims = tf.shape(x, out_type=tf.int64)
        sizes = tf.stack([tf.reduce_prod(tf.gather(dims, list(g))) for g in axes])
        xg = tf.reshape(x, sizes)
        padded = tf.where(varying, sizes, _tf_bucket(sizes))
    # A padding of zero forwards the input: no copy at a bucket size.
    xg = tf.pad(xg, tf.expand_dims(padded - sizes, 1) * [[0, 1]])
    y = op(xg, *[tf.reshape(t, s) for t, s in zip(tensors, shapes, strict=True)])
    y = tf.reshape(tf.slice(y, tf.zeros_like(sizes), sizes), tf.shape(x))
    y.set_shape(known)
    return y


def _jax_eager(x):
    """Whether x has values (eager, or eager autodiff), not a jit trace."""
    import jax

    if not isinstance(x, jax.core.Tracer):
        return True
    is_concrete = getattr(jax.core, "is_concrete", None)
    return bool(is_concrete and is_concrete(x))


def _jax_bucketed(op, groups, x, tensors):
    import jax.numpy as jnp

    axes, varying, shapes = groups
    sizes = [math.prod(x.shape[a] for a in group) for group in axes]
    padded = [n if v else bucket(n) for n, v in zip(sizes, varying, strict=True)]
    xg = jnp.reshape(x, sizes)
    if padded != sizes:
        xg = jnp.pad(xg, [(0, p - n) for p, n in zip(padded, sizes, strict=True)])
    params = [jnp.reshape(t, s) for t, s in zip(tensors, shapes, strict=True)]
    y = op(xg, *params)
    if padded != sizes:
        y = y[tuple(slice(0, n) for n in sizes)]
    return jnp.reshape(y, x.shape)


def _cast_params(static, dynamic, dtype):
    params = dict(static)
    params.update({k: ops.cast(v, dtype) for k, v in dynamic.items()})
    return params


def forward(spec, x, static, dynamic):
    """The forward formula, computed in float32 for low-precision inputs."""
    dtype = _dtype(x)
    cdt = compute_dtype(dtype)
    params = _cast_params(static, dynamic, cdt)
    xc = ops.cast(x, cdt)
    y = spec.forward(xc, **params)
    # On torch, only when x has an inf (or a NaN): elsewhere the limits
    # change nothing, and they cost several passes over memory; not at all
    # where the formula itself gives them (its range read is a pass too).
    if (
        spec.elementwise
        and spec.fused
        and not (not dynamic and _torch_formula_gives_limits(spec, static, cdt))
        and not within(xc, 1.0, math.inf)
    ):
        # Inside the compiled kernel only: Keras's own ops (relu, tanh, ...)
        # already give the limits, and extra ops outside a kernel would be
        # kept by the tape.
        if eager_op_by_op():
            # Placed op by op (eager TensorFlow), the limits' four passes are
            # paid only when x has a NaN or an inf (one reduction decides).
            if not _tf_all_finite(xc):
                y = _limits_at_infinity(spec, xc, y, params)
        elif op_by_op():
            # A served graph: the same choice, made when it runs.
            finite = ops.all(ops.isfinite(xc))
            y = ops.cond(
                finite, lambda: y, lambda: _limits_at_infinity(spec, xc, y, params)
            )
        else:
            y = _limits_at_infinity(spec, xc, y, params)
    return ops.cast(y, dtype)


def _torch_formula_gives_limits(spec, static, dtype):
    """True on PyTorch where the formula with these (number) parameters
    already returns `_limits_at_infinity`'s values at x = +-inf (sine: no
    limit, NaN; lisht: inf): the check for infs in x can be skipped."""
    if keras.backend.backend() != "torch" or _torch_compiling():
        return False
    try:
        key = tuple(sorted(static.items()))
        return _formula_limits_cached(spec, key, dtype)
    except TypeError:  # An unhashable parameter: keep the check.
        return False


@functools.lru_cache(maxsize=256)  # (spec, number parameters, dtype)
def _formula_limits_cached(spec, static_key, dtype):
    import torch

    params = dict(static_key)
    with torch.no_grad():
        x = ops.convert_to_tensor([-math.inf, math.inf], dtype=dtype)
        y = spec.forward(x, **params)
        own = ops.convert_to_numpy(y)
        fixed = ops.convert_to_numpy(_limits_at_infinity(spec, x, y, params))
    same = (own == fixed) | (np.isnan(own) & np.isnan(fixed))
    return bool(same.all())


def _limits_at_infinity(spec, x, y, params):
    """Gives f's limit at x = +-inf, where it has one.

    Formulas such as x * sigmoid(x) give -inf * 0 = NaN at x = -inf, and
    x + sin(x)^2 gives inf + NaN, though both have a limit. The limit is read
    off f at two far points, +-M and +-M/4 (M the dtype's largest number),
    evaluated once on a tiny tensor (broadcast against per-channel
    parameters), not per element: equal values are the limit; two values
    beyond sqrt(M) of one sign mean +-inf; anything else (sin) is no limit,
    and f(+-inf) is left as the formula computed it. Finite inputs are never
    changed.

    The test reads x, not y: y is often a quotient, and XLA writes a
    quotient that is read twice (isnan(y), then y) to memory and reads it
    back, a second pass over the tensor.
    """
    dtype = _dtype(x)
    big = _largest(dtype)
    # Broadcast against the parameters (per-channel weights), not x: x's
    # rank may be unknown.
    rank = max([len(v.shape) for v in params.values() if hasattr(v, "shape")] + [0])
    far = ops.convert_to_tensor([-big, -big / 4, big / 4, big], dtype=dtype)
    far = ops.reshape(far, (4,) + (1,) * rank)
    at_far = spec.forward(far, **params)
    low = _limit(at_far[0], at_far[1], big)
    high = _limit(at_far[3], at_far[2], big)
    limit = ops.where(x < 0, low, high)
    return ops.where(ops.isinf(x) & ~ops.isnan(limit), limit, y)


def _largest(dtype):
    import numpy as np

    return float(np.finfo(dtype).max)


def _limit(far, nearer, big):
    """f's limit from its values at a far point and a nearer one, else NaN."""
    threshold = math.sqrt(big)
    agree = ops.abs(far - nearer) <= 1e-6 * (1.0 + ops.abs(far))
    same_sign = ops.sign(far) == ops.sign(nearer)
    unbounded = (ops.abs(far) > threshold) & (ops.abs(nearer) > threshold) & same_sign
    return ops.where(
        unbounded, ops.sign(far) * math.inf, ops.where(agree, far, math.nan)
    )


def derivative(spec, x, static, dynamic):
    """f'(x), in the compute dtype."""
    cdt = compute_dtype(_dtype(x))
    params = _cast_params(static, dynamic, cdt)
    return spec.derivative(ops.cast(x, cdt), **params)


def input_gradient(spec, x, g, static, dynamic):
    """The cotangent times f'(x), in the input's dtype."""
    dtype = _dtype(x)
    gc = ops.cast(g, compute_dtype(dtype))
    slope = derivative(spec, x, static, dynamic)
    return ops.cast(_times_in_place(slope, gc, (x, g, *dynamic.values())), dtype)


def _times_in_place(temporary, factor, inputs):
    """temporary * factor, written into `temporary` where that is safe.

    On torch outside autograd recording (a plain backward), when
    `temporary` is a full-size result of its own (not one of `inputs` or a
    view of one): saves an allocation and a pass. Elsewhere a plain product.
    """
    if keras.backend.backend() == "torch" and _spec._is_tensor_like(temporary):
        import torch

        storage = temporary.untyped_storage().data_ptr()
        if (
            not torch.is_grad_enabled()
            and temporary.shape == factor.shape
            and temporary.dtype == factor.dtype
            and temporary.is_contiguous()
            and all(
                not _spec._is_tensor_like(t)
                or t.untyped_storage().data_ptr() != storage
                for t in inputs
            )
        ):
            return temporary.mul_(factor)
    return temporary * factor


def parameter_gradients(spec, x, g, static, dynamic, layout):
    """Gradients of the tensor parameters, each reduced to its own shape.

    `layout` is `(rank of x, static shapes of the parameters in sorted name
    order)`. A kernel of its own, apart from `input_gradient`, so that a
    frozen layer compiles and runs only the input gradient.
    """
    cdt = compute_dtype(_dtype(x))
    names = sorted(dynamic)
    rank, shapes = layout
    lead = _shared_lead(rank, shapes)
    # The parameters lose their leading size-1 axes, which the chunks fold
    # into their first axis.
    params = dict(static)
    for name, shape in zip(names, shapes, strict=True):
        kept = shape[max(0, len(shape) - (rank - lead)) :]
        params[name] = ops.reshape(ops.cast(dynamic[name], cdt), kept)

    def contributions(xs, gs, masked=True):
        xc = ops.cast(xs, cdt)
        gc = ops.cast(gs, cdt)
        partials = spec.param_derivatives(xc, **params)
        if not masked:
            return [gc * partials[n] for n in names]
        # A zero cotangent contributes nothing, even where a partial overflows.
        return [ops.where(gc == 0, 0.0, gc * partials[n]) for n in names]

    if keras.backend.backend() == "torch":
        # Eager: the mask costs two passes per parameter (`where` is slow on
        # torch's CPU) and changes a sum only where a product is not finite,
        # so it is applied only when a sum shows one.
        sums = chunked_sums(
            lambda xs, gs: contributions(xs, gs, masked=False), x, g, lead, shapes
        )
        if not all(bool(ops.all(ops.isfinite(s))) for s in sums):
            sums = chunked_sums(contributions, x, g, lead, shapes)
    else:
        sums = chunked_sums(contributions, x, g, lead, shapes)
    return tuple(
        ops.cast(s, _dtype(dynamic[n])) for n, s in zip(names, sums, strict=True)
    )


def _shared_lead(rank, shapes):
    """How many leading axes of x every parameter broadcasts along."""
    lead = rank
    for shape in shapes:
        offset = rank - len(shape)
        varying = [offset + i for i, size in enumerate(shape) if size != 1]
        lead = min([lead, *varying])
    return max(lead, 0)


# Parameter gradients are summed over chunks of about this many values, one
# chunk after another. A chunk stays in cache, so XLA's one fused reduction
# per parameter (which recomputes the formula for each) costs little, and
# chunk sums keep float32 accurate. On 2^22 values 2^16 was the fastest of
# 2^12-2^18 for PAU, HP1, TanhSoft and EIS (by 1-20%); on 2^24 values
# (benchmarks/profile_param_gradients.py) 2^18 was up to 10% faster for PAU,
# HP1 and TanhSoft and 2^16 fastest for EIS. Both within this machine's noise
# except EIS, so 2^16 stays.
_CHUNK = 1 << 16
# PyTorch runs each op of a chunk eagerly, with Python between ops, and
# nothing stays in cache across a formula's passes anyway: on torch (2^22
# values) 2^20 was the fastest of 2^16-2^22 for PAU, TanhSoft and Snake
# (2^16: 1.8-2.7x its time). A chunk's temporaries are transient.
_TORCH_CHUNK = 1 << 20


def chunked_sums(contributions, x, g, lead, shapes):
    """Sums `contributions(x, g)` (a list, one per shape) down to `shapes`.

    The first `lead` axes of x and g, along which every shape broadcasts,
    are folded into one, and the sums run over chunks of rows of it
    (`_CHUNK` values each) in a loop, so that no per-parameter tensor of x's
    size is materialised. Each contribution is then summed over the chunk's first
    axis and the axes its shape broadcasts along (NumPy rules, shapes
    aligned to x's trailing axes), and reshaped to its shape.
    """
    rank = len(x.shape)
    if None in x.shape[lead:]:
        lead = 0  # Chunks need static row sizes; relaxed ones get one chunk.
    rest = tuple(x.shape[lead:])

    def reduce(values):
        out = []
        for value, shape in zip(values, shapes, strict=True):
            offset = rank - len(shape)
            axes = [0] + [
                1 + i
                for i in range(len(rest))
                if lead + i < offset or shape[lead + i - offset] == 1
            ]
            out.append(ops.reshape(ops.sum(value, axis=axes), shape))
        return out

    if lead == 0:  # One chunk: a parameter varies along every axis.
        return reduce(contributions(x[None], g[None]))
    x2 = ops.reshape(x, (-1, *rest))
    g2 = ops.reshape(g, (-1, *rest))
    chunk = _TORCH_CHUNK if keras.backend.backend() == "torch" else _CHUNK
    rows = max(1, chunk // max(math.prod(rest), 1))
    count = x2.shape[0]
    if count is not None and count <= rows:
        return reduce(contributions(x2, g2))
    if keras.backend.backend() == "torch":
        # Eager: exact slices (views), the last one shorter; no overlap to
        # mask (`where` is a slow pass on torch's CPU).
        totals = None
        for start in range(0, count, rows):
            sums = reduce(
                contributions(x2[start : start + rows], g2[start : start + rows])
            )
            totals = (
                sums
                if totals is None
                else [t + s for t, s in zip(totals, sums, strict=True)]
            )
        return totals
    if count is None:  # A relaxed TensorFlow shape, constant to XLA.
        count = ops.shape(x2)[0]
        rows = ops.minimum(rows, count)
        # An empty batch runs no chunk (and has no chunk size to divide by).
        chunks = (count + rows - 1) // ops.maximum(rows, 1)
    else:
        chunks = -(-count // rows)
    row_index = ops.reshape(ops.arange(rows), (-1,) + (1,) * len(rest))
    zero = (0,) * len(rest)

    def body(i, totals):
        # The last chunk ends at the last row; rows it shares with the one
        # before get a zero cotangent, so they are counted once.
        start = ops.minimum(i * rows, count - rows)
        xs = ops.slice(x2, (start, *zero), (rows, *rest))
        gs = ops.slice(g2, (start, *zero), (rows, *rest))
        gs = ops.where(start + row_index >= i * rows, gs, ops.zeros_like(gs))
        sums = reduce(contributions(xs, gs))
        return [t + s for t, s in zip(totals, sums, strict=True)]

    totals = [ops.zeros(shape, compute_dtype(_dtype(x))) for shape in shapes]
    return ops.fori_loop(0, chunks, body, totals)


# --- Softmax ------------------------------------------------------------------


def softmax(x, axis):
    """Keras's softmax op, with its limits at +-inf and only y kept for backprop.

    An infinite entry makes x - max(x) NaN (inf - inf); replacing +-inf by
    the dtype's largest finite number first gives the limit instead (the
    mass goes to the +inf entries, none to the -inf ones) and leaves NaN as
    NaN. The replacement runs inside a custom-gradient op whose backward,
    y (g - sum(g y)), needs only the output, as Keras's softmax does, so the
    tape keeps no extra mask. On TensorFlow the forward is TensorFlow's own
    softmax kernel unless the input has a NaN or an inf (then one XLA kernel)
    and the backward one XLA kernel; on JAX both are jitted functions.
    """
    backend = keras.backend.backend()
    if backend == "tensorflow":
        if _OP_BY_OP.get() == _EAGER or _tf_op_by_op(x):
            # No tape: TensorFlow's softmax kernel, the limits only when x
            # has a NaN or an inf.
            if _tf_all_finite(x):
                import tensorflow as tf

                return tf.nn.softmax(x, axis=axis)  # What Keras's op calls.
            return _softmax_forward(x, axis)
        compiled = not (_tf_dynamic(x) or _tf_plain_graph(x))
        return _tf_softmax(axis, _spec._rank(x), _dtype(x), compiled)(x)
    if backend == "jax":
        return _jax_softmax(axis, not _jax_eager(x))(x)
    if backend == "torch":
        return _torch_softmax(axis).apply(x)
    return _softmax_forward(x, axis)


def _softmax_forward(x, axis):
    big = _largest(_dtype(x))
    finite = ops.where(ops.isinf(x), ops.sign(x) * big, x)
    y = _softmax_op(finite, axis)
    # TensorFlow's CPU kernel can return numbers for the other entries of a
    # row with a NaN; a NaN anywhere in the row makes every entry unknown.
    nan_row = ops.any(ops.isnan(x), axis=axis, keepdims=True)
    return ops.where(nan_row, math.nan, y)


def _softmax_op(x, axis):
    """Keras's softmax op; TensorFlow's own where the rank is unknown.

    (Keras 3.15's op needs the rank to check the axis; Keras 3.10's and
    TensorFlow's do not.)
    """
    if _spec._rank(x) is None:
        import tensorflow as tf

        return tf.nn.softmax(x, axis=axis)
    return ops.softmax(x, axis=axis)


def _softmax_backward(y, g, axis):
    return y * (g - ops.sum(g * y, axis=axis, keepdims=True))


@functools.lru_cache(maxsize=64)
def _tf_softmax(axis, rank, dtype, compiled):
    import tensorflow as tf

    def fwd(x):
        return _softmax_forward(x, axis)

    def bwd(y, g):
        return _softmax_backward(y, g, axis)

    if compiled:
        # Compiled kernels for the non-finite forward and for the backward,
        # traced once per rank and dtype with any sizes: the axis needs a
        # known rank, which relaxed retracing can drop. Where shapes vary
        # (eager, unknown sizes) they stay plain ops, as TensorFlow's own
        # softmax gradient is, and nothing is compiled per shape.
        spec = tf.TensorSpec(None if rank is None else [None] * rank, dtype)
        options = {"jit_compile": True, "autograph": False}
        fwd = tf.function(_own_tracing_key(fwd), [spec], **options)
        bwd = tf.function(_own_tracing_key(bwd), [spec, spec], **options)

    def forward(x):
        # TensorFlow's own softmax kernel is faster on CPU than XLA's; the
        # limits need the compiled form only when x has a NaN or an inf.
        nonfinite = tf.reduce_any(tf.logical_not(tf.math.is_finite(x)))
        y = tf.cond(nonfinite, lambda: fwd(x), lambda: _softmax_op(x, axis))
        y.set_shape(x.shape)  # tf.cond drops the sizes the kernel left open.
        return y

    @tf.custom_gradient
    def op(x):
        # stop_gradient: otherwise eager tapes also record the kernel's input.
        y = forward(tf.stop_gradient(x))
        return y, lambda g: bwd(y, g)

    return op


@functools.lru_cache(maxsize=32)
def _jax_softmax(axis, compiled):
    import jax

    def fwd(x):
        return _softmax_forward(x, axis)

    def bwd(y, g):
        return _softmax_backward(y, g, axis)

    if compiled:  # Eager calls would compile per shape: plain ops there.
        fwd, bwd = jax.jit(fwd), jax.jit(bwd)

    @jax.custom_vjp
    def op(x):
        return fwd(x)

    def op_fwd(x):
        y = fwd(x)
        return y, y

    op.defvjp(op_fwd, lambda y, g: (bwd(y, g),))
    return op


@functools.lru_cache(maxsize=32)
def _torch_softmax(axis):
    import torch

    def fwd(ctx, x):
        with torch.no_grad():
            y = _softmax_forward(x, axis)
        ctx.save_for_backward(y)
        return y

    def bwd(ctx, g):
        (y,) = ctx.saved_tensors
        return _softmax_backward(y, g, axis)

    return type(
        "SoftmaxOp",
        (torch.autograd.Function,),
        {"forward": staticmethod(fwd), "backward": staticmethod(bwd)},
    )


# --- TensorFlow ---------------------------------------------------------------

# Ops kept per activation, parameter values, parameter layout and rank (never
# per input shape): a model needs a few per activation layer. Each holds its
# compiled kernels, bounded by the buckets above where shapes vary.
_CACHE_SIZE = 128


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _tf_op(spec, static_key, names, layout, param_grads, signature=None):
    """The op; with `signature` (x's shape, its dtype, the parameters'
    dtypes) its kernels are traced once for those, else per shape as seen."""
    import tensorflow as tf

    static = dict(static_key)

    def fwd(x, *tensors):
        return forward(spec, x, static, dict(zip(names, tensors, strict=True)))

    def dx_fn(x, g, *tensors):
        dynamic = dict(zip(names, tensors, strict=True))
        return input_gradient(spec, x, g, static, dynamic)

    def grads_fn(x, g, *tensors):
        dynamic = dict(zip(names, tensors, strict=True))
        return parameter_gradients(spec, x, g, static, dynamic, layout)

    def all_grads_fn(x, g, *tensors):
        return (dx_fn(x, g, *tensors), *grads_fn(x, g, *tensors))

    options = {"jit_compile": True, "autograph": False, "reduce_retracing": True}
    grad_options = options
    if signature is not None:
        shape, dtype, dtypes = signature
        x_spec = tf.TensorSpec(shape, dtype)
        specs = [tf.TensorSpec(s, d) for s, d in zip(layout[1], dtypes, strict=True)]
        options = {**options, "input_signature": [x_spec, *specs]}
        grad_options = {**options, "input_signature": [x_spec, x_spec, *specs]}
    fwd = tf.function(_own_tracing_key(fwd), **options)
    dx_fn = tf.function(_own_tracing_key(dx_fn), **grad_options)
    # The input and parameter gradients in one kernel call: as two calls, the
    # graph runs the input gradients of the layers below ahead of the slower
    # parameter gradients, and every layer's x and cotangent stay alive until
    # its parameter gradients are done (measured: 2x ReLU's activation
    # memory for a chain of PAU layers in tf.function).
    all_grads_fn = tf.function(_own_tracing_key(all_grads_fn), **grad_options)

    @tf.custom_gradient
    def op(x, *tensors):
        def grad(g):
            if not tensors:
                return dx_fn(x, g)
            if not param_grads:
                return [dx_fn(x, g, *tensors)] + [None] * len(tensors)
            return list(all_grads_fn(x, g, *tensors))

        # Without stop_gradient, eager tapes also record the kernel's inputs
        # as if the kernel were differentiated normally, holding extra buffers.
        y = fwd(tf.stop_gradient(x), *[tf.stop_gradient(t) for t in tensors])
        return y, grad

    def call(x, *tensors):
        # Variables become plain reads: custom_gradient rejects variables.
        tensors = [tf.convert_to_tensor(t) for t in tensors]
        if tf.executing_eagerly() and not _tf_recording():
            # No tape records this call: the kernel alone (an eager
            # custom_gradient call costs several times a small kernel).
            return fwd(x, *tensors)
        return op(x, *tensors)

    call.kernels = (fwd, dx_fn, all_grads_fn)  # For tests: tracing counts.
    return call


def _tf_plain_op(spec, static_key, names, layout, param_grads):
    """`_tf_op`'s custom-gradient op with plain graph ops: nothing compiled."""
    import tensorflow as tf

    static = dict(static_key)

    @tf.custom_gradient
    def op(x, *tensors):
        dynamic = dict(zip(names, tensors, strict=True))

        def grad(g):
            with _placed_op_by_op():
                dx = input_gradient(spec, x, g, static, dynamic)
                if not tensors:
                    return dx
                if not param_grads:
                    return [dx] + [None] * len(tensors)
                grads = parameter_gradients(spec, x, g, static, dynamic, layout)
                return [dx, *grads]

        with _placed_op_by_op():
            return forward(spec, x, static, dynamic), grad

    def call(x, *tensors):
        # Variables become plain reads: custom_gradient rejects variables.
        return op(x, *[tf.convert_to_tensor(t) for t in tensors])

    return call


def _own_tracing_key(fn):
    """`fn` for `tf.function`, counted on its own by TensorFlow's retracing
    warning.

    TensorFlow counts traces per Python code object, and every kernel built
    here is a closure of the same code: six activations, each traced once for
    its dtype and layout, read as one function retraced six times ("5 out of
    the last 12 calls to <function _tf_op.<locals>.fwd> triggered tf.function
    retracing"). A `functools.partial` has no code object, so TensorFlow
    counts each kernel by itself; one that really retraced would still warn.
    """
    return functools.partial(fn)


def _tf_recording():
    """Whether a gradient tape is active (eager mode)."""
    return _tf_could_record()()


@functools.lru_cache(maxsize=1)
def _tf_could_record():
    try:
        from tensorflow.python.eager import record
    except ImportError:  # A TensorFlow without it: assume a tape is active.
        return lambda: True
    return record.could_possibly_record


# --- JAX ----------------------------------------------------------------------


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _jax_op(spec, static_key, names, layout, param_grads):
    import jax

    static = dict(static_key)

    @jax.jit
    def fwd(x, *tensors):
        return forward(spec, x, static, dict(zip(names, tensors, strict=True)))

    @jax.jit
    def dx_fn(x, g, *tensors):
        dynamic = dict(zip(names, tensors, strict=True))
        return input_gradient(spec, x, g, static, dynamic)

    @jax.jit
    def grads_fn(x, g, *tensors):
        dynamic = dict(zip(names, tensors, strict=True))
        return parameter_gradients(spec, x, g, static, dynamic, layout)

    def bwd(x, g, *tensors):
        if tensors and param_grads:
            return (dx_fn(x, g, *tensors), *grads_fn(x, g, *tensors))
        # custom_vjp needs a cotangent for every input.
        return (dx_fn(x, g, *tensors), *(ops.zeros_like(t) for t in tensors))

    @jax.custom_vjp
    def op(x, *tensors):
        return fwd(x, *tensors)

    def op_fwd(x, *tensors):
        return fwd(x, *tensors), (x, tensors)

    def op_bwd(saved, g):
        x, tensors = saved
        return bwd(x, g, *tensors)

    op.defvjp(op_fwd, op_bwd)
    op.kernels = (fwd, dx_fn, grads_fn)  # For tests: compiled-shape counts.
    return op


# --- PyTorch ------------------------------------------------------------------


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _torch_op(spec, static_key, names, layout, param_grads):
    import torch

    from keras_acts import _torch_shared

    static = dict(static_key)
    # Which calls the joint evaluation of value and derivative repeats, per
    # dtype (`_torch_shared.Plan`).
    plans = {}

    def fwd(ctx, joint, x, *tensors):
        dynamic = dict(zip(names, tensors, strict=True))
        ctx.joint = joint
        if joint:
            # The gradients will be needed: f(x), f'(x) (if x needs a
            # gradient) and the partials of f in the parameters that need one,
            # evaluated together, sharing their intermediates; those are saved
            # along with x and the parameters (from which a backward that is
            # itself differentiated recomputes, see `bwd`).
            need_x, need_params = joint
            # Up to _TORCH_SAVED_PARTIALS partials are saved; more (PAU's and
            # HP's coefficients) would hold as many x-sized tensors: those
            # layers save f'(x) and x, and compute their parameter
            # gradients in the backward, in chunks, as without sharing.
            ctx.in_forward = sum(need_params) <= _TORCH_SAVED_PARTIALS
            plan = plans.setdefault((_dtype(x), joint), _torch_shared.Plan())
            with torch.no_grad(), _torch_sharing(plan, (x, *tensors)):
                y = forward(spec, x, static, dynamic)
                slope = derivative(spec, x, static, dynamic) if need_x else None
                partials = (
                    _parameter_partials(spec, x, static, dynamic)
                    if any(need_params) and ctx.in_forward
                    else {}
                )
            ctx.shapes = [t.shape for t in tensors]
            needed = zip(names, need_params, strict=True)
            kept = [partials[n] for n, need in needed if need and ctx.in_forward]
            ctx.save_for_backward(x, *tensors, slope, *kept)
            return y
        with torch.no_grad(), _reusing_temporaries((x, *tensors)):
            y = forward(spec, x, static, dynamic)
        ctx.save_for_backward(x, *tensors)
        return y

    def joint_bwd(ctx, g, x, tensors, saved):
        need_x, need_params = ctx.joint
        slope, *kept = saved
        dx = torch.mul(g, slope) if need_x else None
        if not ctx.in_forward:
            dynamic = dict(zip(names, tensors, strict=True))
            with torch.no_grad(), _reusing_temporaries((x, g, *tensors)):
                grads = parameter_gradients(spec, x, g, static, dynamic, layout)
            needed = zip(grads, need_params, strict=True)
            return (None, dx, *(d if n else None for d, n in needed))
        grads = []
        kept = iter(kept)
        # One buffer for every parameter's products g * partial.
        scratch = torch.empty_like(g) if any(need_params) else None
        for shape, need in zip(ctx.shapes, need_params, strict=True):
            grads.append(
                _torch_reduced(g, next(kept), shape, scratch) if need else None
            )
        return (None, dx, *grads)

    def bwd(ctx, g):
        x, *rest = ctx.saved_tensors
        tensors, saved = rest[: len(names)], rest[len(names) :]
        _, need_x, *need_params = ctx.needs_input_grad
        if torch.is_grad_enabled():
            # create_graph=True (a gradient penalty): the gradient will be
            # differentiated again. Torch autograd of the forward definition
            # from the saved x, recorded (the saved f'(x) would be a
            # constant to it): what plain autograd of the formula gives, and
            # second derivatives in x and in the weights with it.
            needs = (need_x, *(n and param_grads for n in need_params))
            return (
                None,
                *_torch_recorded_gradients(spec, static, names, x, tensors, g, needs),
            )
        if ctx.joint:
            return joint_bwd(ctx, g, x, tensors, saved)
        dynamic = dict(zip(names, tensors, strict=True))
        with _reusing_temporaries((x, g, *tensors)):
            dx = input_gradient(spec, x, g, static, dynamic) if need_x else None
            if param_grads and any(need_params):
                grads = parameter_gradients(spec, x, g, static, dynamic, layout)
            else:
                grads = [None for _ in tensors]
        needed = zip(grads, need_params, strict=True)
        return (None, dx, *(d if need else None for d, need in needed))

    # Named after the activation, so autograd graphs and profiles show it
    # (`y.grad_fn` is a `MishOpBackward`).
    name = "".join(part.capitalize() for part in spec.name.split("_")) + "Op"
    op = type(
        name,
        (torch.autograd.Function,),
        {"forward": staticmethod(fwd), "backward": staticmethod(bwd)},
    )

    kernel_op = (
        _torch_kernel_op(spec, static, names) if spec.torch_kernel and names else None
    )

    def call(x, *tensors):
        needs_grad = param_grads and any(t.requires_grad for t in tensors)
        if not (torch.is_grad_enabled() and (x.requires_grad or needs_grad)):
            # Inference: the value alone, without an autograd node (whose
            # Python apply costs more than a small activation's kernels).
            dynamic = dict(zip(names, tensors, strict=True))
            with torch.no_grad(), _reusing_temporaries((x, *tensors)):
                return forward(spec, x, static, dynamic)
        if kernel_op is not None:
            y = kernel_op(x, tensors, param_grads)
            if y is not None:
                return y
        if torch.is_grad_enabled() and torch_path(spec, bool(names)) == PLAIN_AUTOGRAD:
            if not param_grads:
                tensors = [t.detach() for t in tensors]
            if x.requires_grad or any(t.requires_grad for t in tensors):
                # The same forward definition, recorded by torch autograd.
                return forward(spec, x, static, dict(zip(names, tensors, strict=True)))
        # (whether x needs a gradient, whether each parameter does), where
        # the joint evaluation is used; else None.
        joint = None
        if (
            torch.is_grad_enabled()
            and _torch_shared.ENABLED
            and _torch_key(spec, bool(names)) not in TORCH_SAVES_INPUT_ONLY
            and compute_dtype(_dtype(x)) == _dtype(x)
            and not _torch_compiling()
        ):
            need_params = tuple(param_grads and t.requires_grad for t in tensors)
            if x.requires_grad or any(need_params):
                joint = (x.requires_grad, need_params)
                plan = plans.get((_dtype(x), joint))
                if plan is not None and not plan.shares:
                    joint = None
        return op.apply(joint, x, *tensors)

    return call


def _torch_kernel_op(spec, static, names):
    """A function (x, tensors, param_grads) -> y or None: `spec.torch_kernel`
    (hand-written reverse mode for a trainable layer on eager torch) as an
    autograd op, where it applies; None elsewhere (the definition's op runs:
    other dtypes, compiled code, weights outside the kernel's range).
    Elements of x beyond the kernel's bound (and infs, NaNs) go through the
    definition, elementwise, so an element's value never depends on the
    rest of the batch."""
    import torch

    kernel = spec.torch_kernel

    def params_of(tensors):
        return {**static, **dict(zip(names, tensors, strict=True))}

    def fwd(ctx, bound, x, *tensors):
        mask = torch_beyond(x, bound)
        ctx.bound, ctx.masked = bound, mask is not None
        xs = x if mask is None else x.masked_fill(mask, 0.0)
        with torch.no_grad():
            y, saved = kernel.forward(xs, params_of(tensors))
        ctx.save_for_backward(x, *tensors, *saved)
        if mask is not None:
            # A copy: the kernel may have saved y (at the masked x).
            y = y.clone()
            values = torch_definition_values(spec, static, names, x, tensors, mask)
            y[mask] = values.to(y.dtype)
        return y

    def bwd(ctx, g):
        x, *rest = ctx.saved_tensors
        tensors, saved = rest[: len(names)], rest[len(names) :]
        _, need_x, *need_params = ctx.needs_input_grad
        if torch.is_grad_enabled():
            # create_graph=True: the definition, differentiated by torch
            # autograd, recorded (second derivatives), as every op here.
            grads = _torch_recorded_gradients(
                spec, static, names, x, tensors, g, (need_x, *need_params)
            )
            return (None, *grads)
        needs = {n for n, need in zip(names, need_params, strict=True) if need}
        if need_x:
            needs.add("x")
        mask = None
        if ctx.masked:
            mask = ~(torch.abs(x) <= ctx.bound)
            x_all, g_all = x, g
            x, g = x.masked_fill(mask, 0.0), g.masked_fill(mask, 0.0)
        with torch.no_grad():
            dx, grads = kernel.backward(x, g, params_of(tensors), saved, needs)
            grads = [grads.get(n) for n in names]
            if mask is not None:
                need = (need_x, need_params)
                dx_m, grads_m = torch_definition_gradients(
                    spec, static, names, x_all, g_all, tensors, mask, need
                )
                if dx is not None:
                    dx[mask] = dx_m.to(dx.dtype)
                grads = [
                    None if a is None else a + b.to(a.dtype)
                    for a, b in zip(grads, grads_m, strict=True)
                ]
        return (None, dx, *grads)

    name = "".join(part.capitalize() for part in spec.name.split("_")) + "KernelOp"
    op = type(
        name,
        (torch.autograd.Function,),
        {"forward": staticmethod(fwd), "backward": staticmethod(bwd)},
    )

    def call(x, tensors, param_grads):
        # A trainable layer's call (a frozen one keeps the definition's op,
        # which saves x and f'(x) only).
        if not (param_grads and any(t.requires_grad for t in tensors)):
            return None
        if (
            x.dtype not in (torch.float32, torch.float64)
            or any(t.dtype != x.dtype for t in tensors)
            or x.numel() == 0
            or _torch_compiling()
        ):
            return None
        bound = kernel.bound(params_of(tensors))
        return None if bound is None else op.apply(bound, x, *tensors)

    return call


def torch_beyond(x, bound):
    """Where a torch x is beyond |x| <= bound, inf or NaN (None: nowhere;
    one read of x's range when it is nowhere)."""
    import torch

    largest = _largest_magnitude(x)
    if largest <= bound:  # False for NaN.
        return None
    return ~(torch.abs(x) <= bound)


def torch_sum_to(t, shape):
    """A torch t summed to a parameter's `shape`, as a new tensor (t may be
    a buffer the caller writes into again)."""
    if math.prod(shape) == 1:  # A scalar parameter (any rank).
        return t.sum().reshape(shape)
    if tuple(t.shape) == tuple(shape):
        return t.clone()
    return t.sum_to_size(shape)  # A reduction: a new tensor.


def _torch_subset(tensors, shape, mask):
    """The tensor parameters at the masked elements (scalars stay scalars)."""
    return [t if t.dim() == 0 else t.expand(shape)[mask] for t in tensors]


def torch_definition_values(spec, static, names, x, tensors, mask):
    """The definition's values at the masked elements of x (1-D): what a
    hand-written torch kernel leaves to it (inputs beyond its bounds)."""
    params = dict(zip(names, _torch_subset(tensors, x.shape, mask), strict=True))
    return forward(spec, x[mask], static, params)


def torch_definition_gradients(spec, static, names, x, g, tensors, mask, need):
    """(dx at the masked elements (1-D), [gradient of each tensor parameter
    from those elements]) by the definition's derivatives, the
    zero-cotangent rule applied. `need`: (need_x, [need per tensor])."""
    import torch

    xs, gs = x[mask], g[mask]
    params = dict(zip(names, _torch_subset(tensors, x.shape, mask), strict=True))
    need_x, need_params = need
    dx = gs * derivative(spec, xs, static, params) if need_x else None
    grads = [None] * len(tensors)
    if any(need_params):
        partials = _parameter_partials(spec, xs, static, params)
        for i, (name, t) in enumerate(zip(names, tensors, strict=True)):
            if not need_params[i]:
                continue
            product = torch.where(gs == 0, 0.0, gs * partials[name])
            if math.prod(t.shape) == 1:
                grads[i] = product.sum().reshape(t.shape)
            else:
                full = torch.zeros_like(x)
                full[mask] = product
                grads[i] = full.sum_to_size(t.shape)
    return dx, grads


# PyTorch: what runs under plain torch autograd. The other ops evaluate
# value and derivative together, sharing their torch calls, and save x and
# f'(x) (and a trainable layer's partials); for these that measured slower
# than torch autograd of the plain formula (`benchmarks/bench_torch.py
# --skip-model --rounds 15`, ratios of the fused op to the plain formula,
# docs/benchmarks.md), so they run the same forward definition (keras.ops
# and _math primitives, torch's native ops) recorded by autograd: one source
# of truth, at the plain formula's time and memory. Keys: a function's name,
# a learnable layer's class name (the op called with weight tensors), and
# "rational" for the rational units (PAU, OrthogonalPade, HP1, HP2).
TORCH_PLAIN_AUTOGRAD = frozenset(
    {
        # Fused 1.13-1.18x the plain formula, this path 0.99-1.03x (memory
        # 3.00x ReLU's either way).
        "lisht",
        # Fused 1.00-1.06x; the definition runs the plain formula's torch
        # ops (sigmoid, log1p, mul) and saves the same (4.00x ReLU's).
        "logish",
        # Nothing shared (sin, then cos): the fused op saved x and recomputed
        # cos, the work autograd does, plus its own overhead (1.02-1.04x).
        "sine",
        # The layer's partials cost more than they save: fused 1.30-1.36x,
        # this path 1.01-1.09x, 4.00x ReLU's bytes like the plain formula.
        "Swish",
        # (The trainable StarReLU, TanhSoft and EIS layers run a hand-written
        # kernel, `spec.torch_kernel`, before any of this.)
    }
)

# PyTorch: fused ops that save x alone, although value and derivative share
# torch calls, and compute f'(x) in the backward: where saving f'(x) would
# keep more than the plain formula keeps, for a derivative a pass or two
# recompute. star_relu: f' = 2 s relu(x); the plain formula saves relu(x)
# only (1.00x ReLU's bytes), the joint evaluation x and f'(x) (2.00x); the
# same for a frozen StarReLU layer (a trainable one runs its torch kernel).
TORCH_SAVES_INPUT_ONLY = frozenset({"star_relu", "StarReLU"})

PLAIN_AUTOGRAD = "plain autograd"
FUSED = "fused"


def _torch_key(spec, with_weights):
    """The key of `spec` in the torch path sets above."""
    if spec.name.startswith("rational_"):
        return "rational"
    return spec.layer_class_name if with_weights else spec.name


def torch_path(spec, with_weights):
    """PLAIN_AUTOGRAD or FUSED: how `spec` runs on torch with gradients.

    `with_weights`: called with tensor parameters (a layer's weights).
    """
    key = _torch_key(spec, with_weights)
    return PLAIN_AUTOGRAD if key in TORCH_PLAIN_AUTOGRAD else FUSED


def _torch_sharing(plan, protected):
    """A context in which repeated torch calls return the first result.

    `protected` are the op's inputs, x first: never written into, and the
    roots of the keys. Temporaries are reused in place as in
    `_reusing_temporaries` where that is on (`_torch_shared`).
    """
    import torch

    from keras_acts import _torch_shared

    if _torch_compiling():
        return contextlib.nullcontext()
    x = protected[0]
    if plan.keys is not None and x.numel() < _ELIDE_MIN_SIZE:
        # A small x: the mode's Python dispatch of every torch call costs
        # more than the calls it saves (2^14 values: tanhsoft 1.2 against
        # 0.9 ms). The value, then the derivative, nothing shared: the
        # work the backward did before. (The first evaluation learns what
        # is shared at any size, so which ops save x does not depend on it.)
        return contextlib.nullcontext()
    counts = _elision_counts()
    elide = (
        counts is not None
        and x.numel() >= _ELIDE_MIN_SIZE
        and not torch.is_grad_enabled()
    )
    ptrs = {
        t.untyped_storage().data_ptr() for t in protected if isinstance(t, torch.Tensor)
    }
    mode = _torch_shared.sharing_mode(_elision_mode())
    return mode(counts, ptrs, elide, protected, plan)


def _torch_recorded_gradients(spec, static, names, x, tensors, g, needs):
    """g times the derivatives of `spec` in x and the tensors that `needs`,
    by torch autograd of `forward`, recorded (differentiable again)."""
    import torch

    inputs = (x, *tensors)
    wanted = [t for t, need in zip(inputs, needs, strict=True) if need]
    with torch.enable_grad():
        y = forward(spec, x, static, dict(zip(names, tensors, strict=True)))
    found = iter(
        torch.autograd.grad(y, wanted, g, create_graph=True, allow_unused=True)
        if wanted
        else ()
    )
    grads = []
    for t, need in zip(inputs, needs, strict=True):
        d = next(found) if need else None
        if need and d is None:  # Not used: f does not depend on it.
            d = torch.zeros_like(t)
        grads.append(_torch_linked(d, inputs))
    return grads


def _torch_linked(d, inputs):
    """A gradient computed with grad mode on, differentiable in `inputs`.

    Where the derivative does not depend on them (piecewise-linear
    activations: a `where` of constants) autograd would record nothing, and
    differentiating the gradient again would raise; torch's own relu and
    leaky_relu give zeros there, and so does this.
    """

    if d is None or d.requires_grad or not any(t.requires_grad for t in inputs):
        return d
    return _torch_link_class().apply(d, *inputs)


@functools.cache
def _torch_link_class():
    import torch

    def fwd(ctx, d, *inputs):
        ctx.meta = [(t.shape, t.dtype, t.device) for t in inputs]
        return d.view_as(d)

    def bwd(ctx, g):
        zeros = [
            torch.zeros(shape, dtype=dtype, device=device) if need else None
            for (shape, dtype, device), need in zip(
                ctx.meta, ctx.needs_input_grad[1:], strict=True
            )
        ]
        return (g, *zeros)

    return type(
        "ZeroSecondDerivative",
        (torch.autograd.Function,),
        {"forward": staticmethod(fwd), "backward": staticmethod(bwd)},
    )


# The most per-element partials a trainable layer's forward saves (one tensor
# of x's size each): TanhSoft's 4 and EIS's 5 weights, not PAU's and HP's 10
# coefficients.
_TORCH_SAVED_PARTIALS = 5


def _parameter_partials(spec, x, static, dynamic):
    """{name: df/dname}, per element (broadcast against x), compute dtype."""
    cdt = compute_dtype(_dtype(x))
    params = _cast_params(static, dynamic, cdt)
    return spec.param_derivatives(ops.cast(x, cdt), **params)


def _torch_reduced(g, partial, shape, scratch):
    """sum(g * partial) over the axes a parameter of `shape` broadcasts along.

    The products are written into `scratch` (g's shape) where the partial
    has g's shape. A zero cotangent contributes nothing, even where the
    partial overflows: applied (a slow `where`) only when the plain sum is
    not finite.
    """
    import torch

    if partial.shape == g.shape and partial.dtype == g.dtype:
        product = torch.mul(g, partial, out=scratch)
    else:
        product = torch.mul(g, partial)
    if product.shape == shape:
        product = product.clone()  # Not the scratch buffer itself.
    total = product.sum_to_size(shape) if product.shape != shape else product
    if not bool(torch.isfinite(total).all()):
        masked = torch.where(g == 0, 0.0, product)
        total = masked.sum_to_size(shape) if masked.shape != shape else masked
    return total


# --- PyTorch: temporaries reused in place ---------------------------------------
#
# Eager PyTorch gives every op of a formula a fresh output buffer: at 2^22
# float32 values a product into a fresh buffer measured 5 ms, the same product
# into an existing one 1-2 ms (page faults and cache misses of the new
# buffer). Inside the op's forward and backward (no autograd recording), an
# arithmetic operator whose tensor operand is a temporary (the unnamed result
# of the previous step, as in `(a * b) + c`) writes its result into that
# operand instead, as NumPy's temporary elision does. A temporary is known by
# its reference count: nothing else refers to it, so nothing can see the
# change. The counts an operand has as a temporary and as a named variable are
# measured once, by probes running the same operators (`_elision_counts`);
# where they cannot be told apart (an interpreter that borrows references
# from its stack), nothing is reused. Tensors that share storage with the
# op's inputs, views, and operands whose shape or dtype differ from the
# result's are never written into.

# Below this many values of x the mode's Python dispatch of every torch call
# costs more than the reuse saves (forward+backward of tanhsoft, smish and
# lisht with the reuse on / off: 1.8-2.3x at 2^14 values, 1.4-1.7x at 2^16,
# 0.78-0.96x at 2^18).
_ELIDE_MIN_SIZE = 1 << 18


def _elision_mode_class():
    import sys

    import torch
    from torch.overrides import TorchFunctionMode

    base = torch._C.TensorBase
    tensor = torch.Tensor
    # func -> (in-place method name, operand positions it may write into).
    methods = {
        base.mul: ("mul_", (0, 1)),
        base.add: ("add_", (0, 1)),
        base.sub: ("sub_", (0, 1)),
        base.div: ("div_", (0, 1)),
        base.neg: ("neg_", (0,)),
        tensor.__rsub__: ("__rsub__", (0,)),
        tensor.__rdiv__: ("__rdiv__", (0,)),
    }
    if hasattr(tensor, "__rtruediv__"):
        methods[tensor.__rtruediv__] = ("__rdiv__", (0,))

    class Elide(TorchFunctionMode):
        def __init__(self, counts, protected):
            super().__init__()
            self.counts = counts
            self.protected = protected

        def __torch_function__(self, func, types, args=(), kwargs=None):
            entry = methods.get(func)
            if entry is None or kwargs:
                return func(*args, **(kwargs or {}))
            for pos in entry[1]:
                limit = self.counts.get((func, pos))
                if limit is None or pos >= len(args):
                    continue
                t = args[pos]
                if (
                    type(t) is torch.Tensor
                    and sys.getrefcount(t) <= limit
                    and self._writable(t, args, pos, func)
                ):
                    return self._write(func, entry[0], t, args, pos)
            return func(*args)

        def _writable(self, t, args, pos, func):
            if t._base is not None or t.requires_grad or t.numel() < _ELIDE_MIN_SIZE:
                return False
            if t.untyped_storage().data_ptr() in self.protected:
                return False
            others = [a for i, a in enumerate(args) if i != pos]
            shape = t.shape
            for o in others:
                if isinstance(o, torch.Tensor):
                    if o.untyped_storage().data_ptr() == t.untyped_storage().data_ptr():
                        return False
                    if torch.broadcast_shapes(shape, o.shape) != shape:
                        return False
                elif not isinstance(o, (int, float)) or isinstance(o, bool):
                    return False
            if len(args) == 1:
                return True
            return torch.result_type(*args) == t.dtype

        def _write(self, func, name, t, args, pos):
            if func in (tensor.__rsub__,):  # other - t
                return torch.sub(args[1], t, out=t)
            if name == "__rdiv__":  # other / t
                return torch.div(args[1], t, out=t)
            if pos == 0:
                return getattr(t, name)(*args[1:])
            if name == "sub_":  # a - t
                return torch.sub(args[0], t, out=t)
            if name == "div_":  # a / t
                return torch.div(args[0], t, out=t)
            # a op t (commutative: mul, add) into t.
            return getattr(t, name)(args[0])

    return Elide


@functools.cache
def _elision_counts():
    """{(func, position): the reference count of a temporary operand there}.

    Measured by running each operator on a temporary and on a named operand;
    a pair is left out where the two counts do not differ (then no temporary
    can be told from a variable), and None is returned where none differs.
    """
    import sys

    import torch

    records = []

    class Probe(torch.overrides.TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            counts = [sys.getrefcount(a) if isinstance(a, torch.Tensor) else None
                      for a in args]  # fmt: skip
            records.append((func, counts))
            return func(*args, **(kwargs or {}))

    def last(fn, operand):
        records.clear()
        with torch.no_grad(), Probe():
            fn(operand)
        return records[-1]

    base = torch.zeros(4)
    # (temporary operand, named operand, its position)
    cases = [
        (lambda a: (a + 0.0) * 2.0, lambda a: a * 2.0, 0),
        (lambda a: (a + 0.0) + 2.0, lambda a: a + 2.0, 0),
        (lambda a: (a + 0.0) - 2.0, lambda a: a - 2.0, 0),
        (lambda a: (a + 0.0) / 2.0, lambda a: a / 2.0, 0),
        (lambda a: -(a + 0.0), lambda a: -a, 0),
        (lambda a: 2.0 - (a + 0.0), lambda a: 2.0 - a, 0),
        (lambda a: 2.0 / (a + 0.0), lambda a: 2.0 / a, 0),
        (lambda a: base * (a + 0.0), lambda a: base * a, 1),
        (lambda a: base + (a + 0.0), lambda a: base + a, 1),
        (lambda a: base - (a + 0.0), lambda a: base - a, 1),
        (lambda a: base / (a + 0.0), lambda a: base / a, 1),
    ]
    counts = {}
    for temporary, named, pos in cases:
        func, temp_counts = last(temporary, torch.ones(4))
        named_func, named_counts = last(named, torch.ones(4))
        if named_func is not func:
            continue
        if temp_counts[pos] < named_counts[pos]:
            counts[(func, pos)] = temp_counts[pos]
    return counts or None


def _torch_compiling():
    import torch

    compiler = getattr(torch, "compiler", None)
    is_compiling = getattr(compiler, "is_compiling", None)
    return bool(is_compiling and is_compiling())


@functools.cache
def _elision_mode():
    return _elision_mode_class()


def _reusing_temporaries(protected):
    """A context in which arithmetic on temporaries reuses their buffers.

    `protected` are the op's inputs, x first: never written into. For a
    small x, nothing (the mode's Python dispatch of every torch call would
    cost more than it saves).
    """
    import torch

    x = protected[0]
    if (
        not isinstance(x, torch.Tensor)
        or x.numel() < _ELIDE_MIN_SIZE
        or torch.is_grad_enabled()
        or _torch_compiling()
    ):
        # Recorded by autograd (double backward), or traced by torch.compile
        # (Keras's jit_compile=True), which fuses the ops itself.
        return contextlib.nullcontext()
    counts = _elision_counts()
    if counts is None:
        return contextlib.nullcontext()
    ptrs = {
        t.untyped_storage().data_ptr() for t in protected if isinstance(t, torch.Tensor)
    }
    return _elision_mode()(counts, ptrs)
