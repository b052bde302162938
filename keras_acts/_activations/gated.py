"""Self-gated activations: x times a smooth gate of x.

swish (x sigmoid(beta x)), mish, gelu, lisht, smish, logish, serf.
"""

import math

import keras
from keras import ops

from keras_acts import _math
from keras_acts._math import (  # The numeric primitives.
    _EXP_CLAMP,
    _TORCH,
    INF,
    _divide,
    _erf,
    _is,
    _is_float64,
    _log1p_unit,
    _maximum,
    _minimum,
    _op_by_op,
    _scaled,
    _sigmoid_fraction,
    _sigmoid_from_gate,
    _softplus,
    _softplus_and_gate,
    _tanh_fraction,
    _tanh_rational,
    _times,
    _unexported,
)
from keras_acts._spec import LayerOptions, Param, Reference, activation

# --- Smooth self-gated family --------------------------------------------------


@activation(
    formula=r"x \cdot \sigma(\beta x)",
    reference=Reference(
        "Ramachandran, Zoph & Le 2017, Searching for Activation Functions",
        "https://arxiv.org/abs/1710.05941",
    ),
    params=(
        Param(
            "beta",
            1.0,
            "Slope of the gate; 1.0 gives SiLU, large values approach ReLU.",
            low=0.0,
        ),
    ),
    output_range=(-0.278464542761074, INF),
    monotonic=False,
    smooth=True,
    keras_name="silu",
    layer=LayerOptions(
        learnable=True,
        note="beta = 1 is SiLU; `trainable_beta=False` gives a fixed-beta Swish.",
    ),
)
def swish(x, beta=1.0):
    """Swish: the input gated by a sigmoid of itself (SiLU when beta is 1).

    Keras's `silu`/`swish` are this function with beta 1. The output lower
    bound given is the one for beta 1; for other betas it is that value / beta.
    """
    return x * _math.sigmoid(x if _is(beta, 1) else beta * x)


@swish.attach_derivative
def _swish_derivative(x, beta=1.0):
    s = _math.sigmoid(x if _is(beta, 1) else beta * x)
    # x (s (1 - s)) first: s (1 - s) is exactly 0 where beta * x overflows.
    slope = x * (s * (1.0 - s))
    return s + (slope if _is(beta, 1) else beta * slope)


@swish.attach_param_derivatives
def _swish_param_derivatives(x, beta=1.0):
    s = _math.sigmoid(beta * x)
    # x (s (1 - s)) first: s (1 - s) is exactly 0 where x * x would overflow.
    return {"beta": x * (s * (1.0 - s)) * x}


@activation(
    formula=r"x \cdot \tanh(\ln(1 + e^{x}))",
    reference=Reference(
        "Misra 2019, Mish: A Self Regularized Non-Monotonic Activation Function",
        "https://arxiv.org/abs/1908.08681",
    ),
    output_range=(-0.308843413017250, INF),
    monotonic=False,
    smooth=True,
    keras_name="mish",
)
def mish(x):
    """Mish: a smooth, non-monotonic self-gated activation.

    Computed with a single exponential: tanh(softplus(x)) = n / (n + 2) with
    n = e^x (e^x + 2).
    """
    return x * _tanh_softplus(x)


# exp(-1e4) is 0 in every float dtype; 4 (x + 1) is finite there.
_MISH_LOW = 1e4


def _tanh_softplus(x):
    if _op_by_op():
        return _math.tanh(_softplus(x))
    e = ops.exp(_minimum(x, _EXP_CLAMP))
    n = e * (e + 2.0)
    return n / (n + 2.0)


@mish.attach_derivative
def _mish_derivative(x):
    # Closed form with one exp and one division (fastest measured on CPU):
    # f' = e w / d^2, w = 4(x+1) + 4e^2 + e^3 + e(4x+6), d = 2e + e^2 + 2,
    # both by Horner's rule in e. Never e * e: XLA rewrites exp(x) * exp(x)
    # as exp(2x), a second exponential (a third for e^3), which measured
    # 1.8x the time of this kernel. Past the clamp f' is 1 to double
    # precision; clamping x as well keeps e (4x + 6) finite for huge x.
    # Below -_MISH_LOW e is exactly 0 in float64 (and float32), and the
    # clamp keeps 4 (x + 1) finite, so 0 * (-inf) cannot give NaN.
    x = _maximum(_minimum(x, _EXP_CLAMP), -_MISH_LOW)
    e = ops.exp(x)
    w = 4.0 * (x + 1.0) + e * ((4.0 * x + 6.0) + e * (4.0 + e))
    d = 2.0 + e * (e + 2.0)
    return e * w / (d * d)


# --- GELU ------------------------------------------------------------------------

_SQRT_HALF = math.sqrt(0.5)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_GELU_CUBIC = 0.044715
_GELU_SIGMOID_SLOPE = 1.702
# Beyond this |x| the tanh-form gate is exactly 0 or 1 in float64, so the
# cubic can be capped without changing the derivative (and cannot overflow).
_GELU_TANH_CAP = 100.0


# Below this, x Phi(x) > -6e-9 (float32 tail): taken as 0, see _normal_cdf.
_GELU_TAIL = -6.0


def _normal_cdf(x):
    """Phi(x) = (1 + erf(x / sqrt 2)) / 2, with the float32 far tail zeroed.

    A float32 erf (`_erf`) need not reach -1 exactly: an error of ~1e-7 gives
    x Phi(x) ~ -1e-7 |x| for very negative x (-9e22 at x = -1e30). Below
    x = -6, where the true x Phi(x) is above -6e-9, float32 returns 0; above
    it the float32 error is that of erf (under ~6e-7 in absolute terms). An
    accurate tail (Mills' ratio continued fraction) measured 2.5x slower
    under XLA, so it is not used. float64's erf is accurate and used as is.
    """
    if _TORCH:
        # torch's erfc: accurate in the far tail, so no cut-off is needed.
        import torch

        return 0.5 * torch.special.erfc(x * -_SQRT_HALF)
    if keras.backend.standardize_dtype(x.dtype) == "float64":
        # erf(+-10) is +-1 in float64; clipping also keeps TensorFlow's
        # float64 erf, which gives NaN for huge arguments, away from them.
        return 0.5 + 0.5 * _erf(ops.clip(x * _SQRT_HALF, -10.0, 10.0))
    cdf = 0.5 + 0.5 * _erf(x * _SQRT_HALF)
    return ops.where(x < _GELU_TAIL, 0.0, cdf)


@activation(
    formula=r"x \cdot \Phi(x) = \frac{x}{2}\left(1 + \mathrm{erf}"
    r"\left(\frac{x}{\sqrt{2}}\right)\right)",
    reference=Reference(
        "Hendrycks & Gimpel 2016, Gaussian Error Linear Units (GELUs)",
        "https://arxiv.org/abs/1606.08415",
    ),
    params=(
        Param(
            "approximate",
            "none",
            'Which form: "none" is the exact erf form (Keras\'s '
            '`gelu(approximate=False)`); "tanh" is '
            "0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) (Keras's "
            '`approximate=True`); "sigmoid" is x sigmoid(1.702 x).',
            choices=("none", "tanh", "sigmoid"),
            bool_hint='Keras\'s approximate=True is "tanh", False is "none"',
        ),
    ),
    output_range=(-0.169971207479904, INF),
    monotonic=False,
    smooth=True,
    keras_name="gelu",
    layer=LayerOptions(class_name="GELU"),
)
def gelu(x, approximate="none"):
    """Gaussian error linear unit: the input weighted by the standard normal CDF.

    The default is the exact erf form, as in `keras.activations.gelu`. The
    output lower bound given is the exact form's; the tanh form's is
    -0.170040750571254 and the sigmoid form's -0.163610189636354. Both
    approximations are computed with one exponential.
    """
    if approximate == "tanh":
        # 0.5 (1 + tanh(u)) == 1 / (1 + e^{-2u}).
        u = (2.0 * _SQRT_2_OVER_PI) * (x + _GELU_CUBIC * x * x * x)
        return x / (1.0 + ops.exp(-u))
    if approximate == "sigmoid":
        return x / (1.0 + ops.exp(-_GELU_SIGMOID_SLOPE * x))
    if _unexported() and not _is_float64(x):
        # The backend's one gelu kernel, not the erf formula's dozens of
        # passes. Not in served graphs: TensorFlow's exact gelu is Erfc,
        # which TFLite lacks.
        return _math.gelu(x)
    return x * _normal_cdf(x)


@gelu.attach_derivative
def _gelu_derivative(x, approximate="none"):
    if approximate == "tanh":
        u = (2.0 * _SQRT_2_OVER_PI) * (x + _GELU_CUBIC * x * x * x)
        s = 1.0 / (1.0 + ops.exp(-u))
        xc = ops.clip(x, -_GELU_TANH_CAP, _GELU_TANH_CAP)
        du = (2.0 * _SQRT_2_OVER_PI) * (1.0 + (3.0 * _GELU_CUBIC) * xc * xc)
        return s + x * (s * (1.0 - s)) * du
    if approximate == "sigmoid":
        s = 1.0 / (1.0 + ops.exp(-_GELU_SIGMOID_SLOPE * x))
        # x (s (1 - s)) first: it is exactly 0 where 1.702 x overflows.
        return s + _GELU_SIGMOID_SLOPE * (x * (s * (1.0 - s)))
    return _normal_cdf(x) + x * (_INV_SQRT_2PI * ops.exp(-0.5 * x * x))


# --- Self-gated family -----------------------------------------------------------


@activation(
    formula=r"x \cdot \tanh(x)",
    reference=Reference(
        "Roy et al. 2019, LiSHT: Non-Parametric Linearly Scaled Hyperbolic "
        "Tangent Activation Function for Neural Networks",
        "https://arxiv.org/abs/1901.05894",
    ),
    output_range=(0.0, INF),
    monotonic=False,
    smooth=True,
    symmetry="even",
    layer=LayerOptions(class_name="LiSHT"),
)
def lisht(x):
    """LiSHT: the input scaled by its own tanh; even and non-negative."""
    return x * _tanh_rational(x)


@lisht.attach_derivative
def _lisht_derivative(x):
    # t + x sech^2 = (n d + x s) / d^2.
    n, d, s = _tanh_fraction(x)
    return _divide(_times(n, d) + x * s, _times(d, d))


@activation(
    formula=r"x \cdot \tanh(\ln(1 + \sigma(x)))",
    reference=Reference(
        "Wang, Ren & Wang 2022, Smish: A Novel Activation Function for Deep "
        "Learning Methods",
        "https://doi.org/10.3390/electronics11040540",
    ),
    output_range=(-0.249993663660130, INF),
    monotonic=False,
    smooth=True,
)
def smish(x):
    """Smish: a Mish-like gate built on the logistic sigmoid.

    Computed with one exponential and one division: with sigmoid(x) = a / b
    (a = 1 or e^x, b = 1 + e^{-|x|}), tanh(ln(1 + s)) = A / (A + 2 b^2),
    A = a (a + 2 b).
    """
    a, b, _ = _sigmoid_fraction(x, complement=False)
    big_a = a * (a + _scaled(2.0, b))
    # The gate first: x * A would overflow for x near the float32 limit.
    return x * (big_a / (big_a + _scaled(2.0, _times(b, b))))


@smish.attach_derivative
def _smish_derivative(x):
    # With D = A + 2 b^2: f = x A / D and, since n' = 2 (s + 1) s (1 - s),
    # f' = (A D + 4 x a b (a + b) c) / D^2: one division.
    a, b, c = _sigmoid_fraction(x)
    big_a = a * (a + _scaled(2.0, b))
    d = big_a + _scaled(2.0, _times(b, b))
    a_plus_b = a + (1.0 if b is None else b)
    # x last: the other factors are exactly 0 where x is huge.
    return (big_a * d + x * (4.0 * _times(a, b) * (a_plus_b * c))) / (d * d)


@activation(
    formula=r"x \cdot \ln(1 + \sigma(x))",
    reference=Reference(
        "Zhu et al. 2021, Logish: A New Nonlinear Nonmonotonic Activation "
        "Function for Convolutional Neural Network (Neurocomputing 458)",
        "https://doi.org/10.1016/j.neucom.2021.06.067",
    ),
    output_range=(-0.252768816789440, INF),
    monotonic=False,
    smooth=True,
)
def logish(x):
    """Logish: the input gated by the logarithm of one plus its sigmoid."""
    return x * _log1p_unit(_math.sigmoid(x))


@logish.attach_derivative
def _logish_derivative(x):
    s = _math.sigmoid(x)
    return _log1p_unit(s) + x * (s * (1.0 - s)) / (1.0 + s)


_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


@activation(
    formula=r"x \cdot \mathrm{erf}(\ln(1 + e^{x}))",
    reference=Reference(
        "Nag & Bhattacharyya 2021, SERF: Towards Better Training of Deep Neural "
        "Networks Using Log-Softplus ERror Activation Function",
        "https://arxiv.org/abs/2108.09598",
    ),
    output_range=(-0.348437458759606, INF),
    monotonic=False,
    smooth=True,
    layer=LayerOptions(class_name="SERF"),
)
def serf(x):
    """SERF: the input gated by the error function of its softplus."""
    return x * _erf(_softplus(x))


@serf.attach_derivative
def _serf_derivative(x):
    sp, u = _softplus_and_gate(x)
    gauss = _TWO_OVER_SQRT_PI * ops.exp(-sp * sp)
    return _erf(sp) + x * (gauss * _sigmoid_from_gate(x, u))
