"""The numerics: elementwise primitives the activation formulas are built on.

Two kinds, both called by the formulas in `keras_acts._activations` (and by
the rational units and constraints):

* Keras's ops with float64 kept (`minimum`, `maximum`, `tanh`, `sin`, `cos`)
  and the backend's own functions (`softplus`, `sigmoid`, `elu`, `selu`,
  `gelu`, `leaky_relu`): what a formula calls where it runs op by op.
* XLA-friendly primitives (sin/cos with range reduction, rational tanh and
  erf, a log1p polynomial, sigmoid as a fraction, ...), each with the
  measurements that justify it: in a fused kernel plain arithmetic beats the
  library functions. float64, PyTorch and op-by-op calls take the backend's
  own functions instead (see `_native`).

This module knows nothing about activations, layers or Keras's saving; it
sits above `_kernels` (whose op-by-op state it reads) and below everything
that computes a formula.
"""

import functools
import math

import keras
from keras import ops

from keras_acts import _kernels


def _dtype(x):
    return keras.backend.standardize_dtype(x.dtype)


# --- float64-true elementwise ops ----------------------------------------------
#
# Keras 3.15 takes the result dtype of some ops from `keras.backend.result_type`,
# which turns float64 into float32 on every backend but TensorFlow
# (keras-team/keras#23223): on JAX `ops.tanh`, `ops.sin` and `ops.cos`, on
# torch `ops.minimum` and `ops.maximum` compute a float64 input in float32. And
# JAX and torch round a Python float given to `ops.minimum`/`ops.maximum` to
# float32 even next to a float64 tensor. The formulas call these instead; for
# float64 they run the backend's own op, elsewhere Keras's.


def _keeps_float64(keras_fn, name, *args):
    if _kernels.eager_op_by_op() or not any(
        hasattr(t, "dtype") and _dtype(t) == "float64" for t in args
    ):
        return _backend_function(keras_fn, name, *args)
    args = [ops.convert_to_tensor(t, "float64") for t in args]
    backend = keras.backend.backend()
    if backend == "jax":
        import jax.numpy as jnp

        return getattr(jnp, name)(*args)
    if backend == "torch":
        import torch

        return getattr(torch, name)(*args)
    return keras_fn(*args)


def minimum(x1, x2):
    """`keras.ops.minimum`, float64 kept (see above)."""
    return _keeps_float64(ops.minimum, "minimum", x1, x2)


def maximum(x1, x2):
    """`keras.ops.maximum`, float64 kept (see above)."""
    return _keeps_float64(ops.maximum, "maximum", x1, x2)


def tanh(x):
    """`keras.ops.tanh`, float64 kept (see above)."""
    return _keeps_float64(ops.tanh, "tanh", x)


def sin(x):
    """`keras.ops.sin`, float64 kept (see above)."""
    return _keeps_float64(ops.sin, "sin", x)


def cos(x):
    """`keras.ops.cos`, float64 kept (see above)."""
    return _keeps_float64(ops.cos, "cos", x)


# --- The backend's own functions ------------------------------------------------
#
# What the formulas call where they run op by op. In eager TensorFlow calls
# they call TensorFlow's function directly: on small tensors Keras's op layer
# (conversion, dtype promotion, dispatch) costs about as much as the kernel,
# and every input is already a tensor of the compute dtype. Elsewhere Keras's
# op, as before.


def _backend_function(keras_fn, name, *args):
    if _kernels.eager_op_by_op():
        return _tf_direct(name)(*args)
    return keras_fn(*args)


def softplus(x):
    """`keras.ops.softplus`."""
    return _backend_function(ops.softplus, "softplus", x)


def sigmoid(x):
    """`keras.ops.sigmoid`."""
    return _backend_function(ops.sigmoid, "sigmoid", x)


def elu(x):
    """`keras.ops.elu` with alpha 1."""
    return _backend_function(ops.elu, "elu", x)


def selu(x):
    """`keras.ops.selu`."""
    return _backend_function(ops.selu, "selu", x)


# gelu(x) = x to float precision beyond this (Phi(10) rounds to 1).
_GELU_IDENTITY_FROM = 1e30


def gelu(x):
    """`keras.ops.gelu`, the exact (erf) form.

    On PyTorch the kernel (`F.gelu`) forms x (1 + erf(x / sqrt 2)) before
    halving on some CPUs (AVX-512 builds), which overflows to inf for x >=
    2^127 although gelu(x) = x there: where x holds such values (the range
    read the forward makes anyway, remembered for x), those give x.
    """
    y = _backend_function(_exact_gelu, "gelu", x)
    if _TORCH and not _kernels.within(x, 1.0, _GELU_IDENTITY_FROM):
        y = ops.where(x > _GELU_IDENTITY_FROM, x, y)
    return y


def _exact_gelu(x):
    return ops.gelu(x, approximate=False)


def leaky_relu(x, negative_slope):
    """`keras.ops.leaky_relu`."""
    return _backend_function(ops.leaky_relu, "leaky_relu", x, negative_slope)


@functools.cache
def _tf_direct(name):
    import tensorflow as tf

    return {
        "minimum": tf.math.minimum,
        "maximum": tf.math.maximum,
        "tanh": tf.math.tanh,
        "sin": tf.math.sin,
        "cos": tf.math.cos,
        "softplus": tf.math.softplus,
        "sigmoid": tf.math.sigmoid,
        "elu": tf.nn.elu,
        "selu": tf.nn.selu,
        "gelu": lambda x: tf.nn.gelu(x, approximate=False),
        "leaky_relu": lambda x, slope: tf.nn.leaky_relu(x, alpha=slope),
    }[name]


# --- XLA-friendly primitives ---------------------------------------------------

INF = math.inf

# Keras's ops, but float64 stays float64 on every backend (see above).
_minimum, _maximum, _tanh = minimum, maximum, tanh

# Above this, exp(x) is so large that 1 + e^x == e^x in float32 and sigmoid(x)
# rounds to 1; clamping the exponent here keeps exp finite in every formula.
_EXP_CLAMP = 20.0


# sin and cos under XLA on CPU are scalar library calls (about 8x the time of
# ReLU's kernel); the classic range reduction plus a polynomial, in vector
# arithmetic, runs as fast as exp. float64 keeps the library functions.
# pi split in three (Cody-Waite): k * part is exact in float32 for k < 2^16.
_PI_PARTS = (3.140625, 9.67502593994140625e-4, 1.509957990978376432e-7)
# Taylor coefficients in r^2; on |r| <= pi/2 the truncation error is < 1e-9.
_SIN_TERMS = (-1 / 6, 1 / 120, -1 / 5040, 1 / 362880, -1 / 39916800, 1 / 6227020800)
_COS_TERMS = (
    -1 / 2,
    1 / 24,
    -1 / 720,
    1 / 40320,
    -1 / 3628800,
    1 / 479001600,
    -1 / 87178291200,
)


def _is_float64(x):
    return _is_float64_dtype(x.dtype)


@functools.cache
def _is_float64_dtype(dtype):
    # Cached per dtype object: standardize_dtype costs microseconds, and
    # eager TensorFlow calls pay it at every op-by-op primitive.
    return keras.backend.standardize_dtype(dtype) == "float64"


# The numeric primitives below (tanh, erf, log1p, softplus, sigmoid, sin,
# cos, powers) are written for XLA, which fuses a formula into one kernel:
# there plain arithmetic beats the library functions. PyTorch runs every op
# eagerly as its own pass over memory, so there each of those steps costs a
# pass (a 15-op rational tanh is 15 passes): on torch they call torch's own
# kernels through keras.ops (`ops.tanh` is `torch.tanh`), as they do for
# float64 everywhere. This is the one place the backends' numerics differ;
# the formulas and derivatives call these and are shared.
# TensorFlow's eager calls no tape records, and served graphs of unknown
# sizes, also run op by op, uncompiled (`_kernels._tf_op_by_op`,
# `_kernels._tf_plain_graph`): they take these
# paths too, except where PyTorch-only functions or TFLite's missing Erf
# built-in say otherwise; eager calls, which no model exports, also take
# TensorFlow's softplus and leaky_relu kernels (`_kernels.eager_op_by_op`).
_TORCH = keras.backend.backend() == "torch"


def _op_by_op():
    """True where each op runs as its own pass over memory, not fused."""
    return _TORCH or _kernels.op_by_op()


def _unexported():
    """True where no graph is built for export (torch, TensorFlow eager):
    functions with no TFLite built-in (Erf, Erfc, Softplus's overflow) may
    run there."""
    return _TORCH or _kernels.eager_op_by_op()


def _native(x):
    """True where the primitives call the backend's own functions."""
    return _op_by_op() or _is_float64(x)


def _reduce_by_pi(x):
    """`(r, (-1)^k)` with x = k pi + r and |r| <= pi/2 (float32)."""
    k = ops.round(x * (1.0 / math.pi))
    r = x
    for part in _PI_PARTS:
        r = r - k * part
    # Past |x| ~ 2e5 float32 has lost the phase; clipping keeps sin/cos bounded.
    r = ops.clip(r, -1.6, 1.6)
    return r, 1.0 - 2.0 * (k - 2.0 * ops.floor(0.5 * k))


def _horner(terms, t):
    p = terms[-1]
    for c in reversed(terms[:-1]):
        p = c + t * p
    return p


def _sin(x):
    """sin(x); float32 error below 2e-7 for |x| < 1e5 (vectorised, see above)."""
    if _native(x):
        return sin(x)
    r, sign = _reduce_by_pi(x)
    r2 = r * r
    return sign * (r + r * r2 * _horner(_SIN_TERMS, r2))


def _cos(x):
    """cos(x); float32 error below 2e-7 for |x| < 1e5 (vectorised, see above)."""
    if _native(x):
        return cos(x)
    r, sign = _reduce_by_pi(x)
    r2 = r * r
    return sign * (1.0 + r2 * _horner(_COS_TERMS, r2))


# Past this |scale * x| float32 (from ~1e8) and float64 (from ~1e17) have
# long lost the phase of sin; capping keeps a product that overflowed to inf
# finite, so sin and cos stay bounded rather than NaN.
_PHASE_CAP = 1e30


def _phase(scale, x):
    """scale * x for sin and cos: finite wherever x is (+-inf stays +-inf)."""
    u = x if _is(scale, 1) else scale * x
    # |scale| <= 1: u is finite wherever x is, and past 1e30 the phase is
    # lost either way (torch's sin of any finite float is in [-1, 1]).
    small = _is_number(scale) and abs(scale) <= 1
    if _TORCH and (small or _kernels.within(x, scale, _PHASE_CAP)):
        return u  # Nothing to cap: skips three passes and a slow `where`.
    capped = _maximum(_minimum(u, _PHASE_CAP), -_PHASE_CAP)
    return ops.where(ops.isfinite(x), capped, u)


# Notes on speed under XLA on CPU, which these helpers follow (measured with
# 2^24 float32 values; a kernel that only copies takes ~6 ms):
# * every exp, log, tanh or division costs about as much as the whole copy,
#   and two in one kernel cost more than twice one (log, log1p and rsqrt are
#   2-4x an exp); polynomials are nearly free;
# * XLA rewrites exp(a) * exp(b) as exp(a + b): a product of two exps (e * e)
#   becomes a second exponential, so powers of e^x go through Horner's rule;
# * XLA's CPU fusion will not feed a division to a kernel that reads the
#   quotient twice: it writes the quotient out to memory and reads it back
#   (a full extra pass; tests/test_fusion.py catches it). A division is best
#   the last step. (An exp read many times does stay in one kernel.)


def _log1p_coefficients(degree=9):
    """Monomial coefficients of q(u) = log(1 + u) / u on [0, 1].

    Chebyshev interpolation in float64 (q is analytic there; its nearest
    singularity is at u = -1), converted for Horner's rule. Degree 9: the
    float32 relative error of u q(u) is below 2e-7 on [0, 1].
    """
    import numpy as np

    def q(u):
        u = np.asarray(u, dtype=np.float64)
        safe = np.where(u == 0.0, 1.0, u)
        return np.where(u == 0.0, 1.0, np.log1p(safe) / safe)

    cheb = np.polynomial.chebyshev.Chebyshev.interpolate(q, degree, domain=[0, 1])
    poly = cheb.convert(kind=np.polynomial.Polynomial, domain=[0, 1], window=[0, 1])
    return tuple(float(c) for c in poly.coef)


_LOG1P_COEFFICIENTS = _log1p_coefficients()


def _log1p_unit(u):
    """log(1 + u) for u in [0, 1].

    log and log1p are slow under XLA on CPU (2-4x an exp); in float32 a
    polynomial, u q(u), is as accurate (relative error < 2e-7) and costs no
    division. float64 keeps log1p.
    """
    if _native(u):
        return ops.log1p(u)
    return u * _horner(_LOG1P_COEFFICIENTS, u)


def _softplus_and_gate(x):
    """softplus(x) and e^{-|x|}, from which `_sigmoid_from_gate` gets sigmoid(x).

    On torch (float32 and below) torch's softplus, and no gate (None):
    sigmoid is then torch's own as well.
    """
    if _unexported() and not _is_float64(x):
        # (Not in TensorFlow graphs, even op by op: TFLite's SOFTPLUS
        # overflows for large x; the formula below uses log1p there.)
        return softplus(x), None
    # log(1 + e^x) without overflow: max(x, 0) + log1p(e^-|x|).
    u = ops.exp(-ops.abs(x))
    return ops.relu(x) + _log1p_unit(u), u


def _sigmoid_fraction(x, u=None, complement=True):
    """(a, b, c) with sigmoid(x) = a / b and 1 - sigmoid(x) = c / b, exactly.

    u = e^{-|x|} (computed unless given): for x >= 0, a = 1, b = 1 + u,
    c = u; below, a = u, c = 1. No cancellation in c, and no division:
    callers divide once, at the end. float64 and torch use sigmoid itself,
    with b None (an exact 1: no pass over memory multiplies by it on torch)
    and c computed only if `complement` (on torch every op is a pass).
    """
    if _native(x):
        s = sigmoid(x)
        return s, None, (1.0 - s) if complement else None
    if u is None:
        u = ops.exp(-ops.abs(x))
    positive = x >= 0
    return ops.where(positive, 1.0, u), 1.0 + u, ops.where(positive, u, 1.0)


def _sigmoid_from_gate(x, u):
    """sigmoid(x) from u = e^{-|x|}: one division, no second exponential."""
    if _native(x):
        return sigmoid(x)
    a, b, _ = _sigmoid_fraction(x, u)
    return a / b


def _softplus(x):
    return _softplus_and_gate(x)[0]


def _rescaled_in_t(coefficients, scale, norm):
    """A polynomial in x^2 (highest power first) rewritten in t = x^2 / scale
    and divided by `norm`, lowest power first (for `_horner`)."""
    top = len(coefficients) - 1
    scaled = [c * scale ** (top - k) / norm for k, c in enumerate(coefficients)]
    return tuple(reversed(scaled))


def _odd_rational(x, clip, scale, p_terms, q_terms):
    """(x P(t), Q(t)), t = x^2 / scale, x clipped to [-clip, clip].

    The float32 forms of tanh and erf: x P / Q there.
    """
    x = ops.clip(x, -clip, clip)
    t = (x * x) * (1.0 / scale)
    return x * _horner(p_terms, t), _horner(q_terms, t)


# tanh(x) = x P(x^2) / Q(x^2) on [-c, c], +-1 beyond (the float32 rational
# form of Eigen, which XLA's own float32 tanh also uses). In plain
# arithmetic it fuses with the rest of a kernel: next to an exp, XLA's tanh
# op measured 1.5x the time of this form.
_TANH_CLIP = 7.90531110763549805
_TANH_P = (
    -2.76076847742355e-16,
    2.00018790482477e-13,
    -8.60467152213735e-11,
    5.12229709037114e-08,
    1.48572235717979e-05,
    6.37261928875436e-04,
    4.89352455891786e-03,
)
_TANH_Q = (
    1.19825839466702e-06,
    1.18534705686654e-04,
    2.26843463243900e-03,
    4.89352518554385e-03,
)
# The same rational in t = x^2 / 64 (exact), both polynomials divided by P's
# constant term: every coefficient is then between 4e-3 and 100, so a TFLite
# export with float16 weights keeps them (the originals, down to 3e-16,
# round to 0 in float16). Same float32 accuracy (3e-7).
_TANH_SCALE = 64.0
_TANH_P_T = _rescaled_in_t(_TANH_P, _TANH_SCALE, _TANH_P[-1])
_TANH_Q_T = _rescaled_in_t(_TANH_Q, _TANH_SCALE, _TANH_P[-1])


def _tanh_parts(x):
    """(n, d) with tanh(x) = n / d on |x| <= clip (x clipped there)."""
    return _odd_rational(x, _TANH_CLIP, _TANH_SCALE, _TANH_P_T, _TANH_Q_T)


def _tanh_rational(x):
    """tanh(x) in plain arithmetic for fused kernels; float64 keeps tanh."""
    if _native(x):
        return tanh(x)
    n, d = _tanh_parts(x)
    return n / d


def _tanh_fraction(x):
    """(n, d, s) with tanh(x) = n / d and sech(x)^2 = s / d^2.

    For derivatives that need tanh and sech^2 together: they then divide
    once, at the end (a division whose result is read twice, as in
    1 - t * t, is written out to memory by XLA). s is exactly 0 where tanh
    rounds to +-1. float64 and torch keep tanh; d is then None, an exact 1
    (`_times`, `_divide`).
    """
    if _op_by_op():
        t = tanh(x)
        # No `where` (slow on torch's CPU): (1 - t)(1 + t) is exactly 0
        # where t rounds to +-1, and exact in 1 - t near there.
        return t, None, (1.0 - t) * (1.0 + t)
    if _is_float64(x):
        t = tanh(x)
        s = ops.where(ops.abs(x) < _TANH_SATURATION, 1.0 - t * t, 0.0)
        return t, None, s
    inside = ops.abs(x) < _TANH_CLIP
    n, d = _tanh_parts(x)
    # d^2 - n^2, factored: the difference is where precision is lost.
    return n, d, ops.where(inside, (d - n) * (d + n), 0.0)


# erf(x) = x P(x^2) / Q(x^2) on [-4, 4] (Eigen's float32 rational form, which
# XLA's own float32 erf also expands to); beyond 4, float32 erf rounds to +-1.
_ERF_CLIP = 4.0
_ERF_P = (
    -2.72614225801306e-10,
    2.77068142495902e-08,
    -2.10102402082508e-06,
    -5.69250639462346e-05,
    -7.34990630326855e-04,
    -2.95459980854025e-03,
    -1.60960333262415e-02,
)
_ERF_Q = (
    -1.45660718464996e-05,
    -2.13374055278905e-04,
    -1.68282697438203e-03,
    -7.37332916720468e-03,
    -1.42647390514189e-02,
)


# As for tanh above: the same rational in t = x^2 / 16 (exact), both
# polynomials divided by Q's constant term, so that float16 weights in a
# TFLite export keep every coefficient (the originals go down to 3e-10).
_ERF_SCALE = 16.0
_ERF_P_T = _rescaled_in_t(_ERF_P, _ERF_SCALE, _ERF_Q[-1])
_ERF_Q_T = _rescaled_in_t(_ERF_Q, _ERF_SCALE, _ERF_Q[-1])


def _erf(x):
    """erf(x) in plain arithmetic; float32 error below 5e-7.

    TFLite has no Erf built-in: with `ops.erf` a converted model needs Select
    TF ops. This form (clip, multiply, add, divide) is what XLA computes for a
    float32 erf anyway, so training is unchanged and the exported inference
    graph converts with built-in ops only. float64 and torch keep the
    library erf.
    """
    if _is_float64(x):
        # erf(+-10) is +-1 in float64; clipping keeps TensorFlow's float64
        # erf, which gives NaN for huge arguments, away from them.
        return ops.erf(ops.clip(x, -10.0, 10.0))
    if _TORCH:
        return ops.erf(x)
    n, d = _odd_rational(x, _ERF_CLIP, _ERF_SCALE, _ERF_P_T, _ERF_Q_T)
    return n / d


def _is_number(p):
    """True for a static (Python-number) parameter: lets formulas specialise."""
    return isinstance(p, (int, float))


def _is(p, value):
    return _is_number(p) and p == value


# tanh(u) is exactly +-1 in float32 and float64 for |u| >= 20, so its
# derivative there is exactly 0 whatever multiplies it.
_TANH_SATURATION = 20.0


def _times(a, b):
    """a * b where None stands for an exact 1."""
    if a is None:
        return b
    if b is None:
        return a
    return a * b


def _scaled(number, a):
    """number * a where None stands for an exact 1 (a Python number then)."""
    return number if a is None else number * a


def _divide(a, b):
    """a / b where None stands for an exact 1 (no pass over memory on torch)."""
    return a if b is None else a / b
