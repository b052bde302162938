"""The stateless catalog: one definition per activation.

Each entry is a forward formula and its analytic derivative, written with
`keras.ops` and computed in float32 or float64 (the kernels cast low-precision
inputs). Formulas are written to stay finite for every finite input: any
`exp` is clamped where it would overflow, and quotients of two infinities
are avoided.
"""

import math

import keras
from keras import ops

from keras_acts import _kernels, _math
from keras_acts._math import (  # The numeric primitives.
    _EXP_CLAMP,
    _TANH_SATURATION,
    _TORCH,
    INF,
    _cos,
    _divide,
    _erf,
    _is,
    _is_float64,
    _is_number,
    _log1p_unit,
    _maximum,
    _minimum,
    _native,
    _op_by_op,
    _phase,
    _scaled,
    _sigmoid_fraction,
    _sigmoid_from_gate,
    _sin,
    _softplus,
    _softplus_and_gate,
    _tanh,
    _tanh_fraction,
    _tanh_rational,
    _times,
    _unexported,
)
from keras_acts._spec import Param, Reference, activation

# --- ReLU family (Keras's ops are already single fused kernels) ---------------


@activation(
    formula=r"\max(x, 0)",
    reference=Reference(
        "Nair & Hinton 2010, Rectified Linear Units Improve Restricted "
        "Boltzmann Machines",
        "https://www.cs.toronto.edu/~hinton/absps/reluICML.pdf",
    ),
    output_range=(0.0, INF),
    monotonic=True,
    smooth=False,
    keras_name="relu",
    fused=False,
    kinks=(0.0,),
)
def relu(x):
    """Rectified linear unit: the identity for positive inputs, zero otherwise.

    Uses Keras's own `relu` op, which is already one kernel with a lean
    gradient. The derivative at 0 is taken as 0.
    """
    return ops.relu(x)


@relu.attach_derivative
def _relu_derivative(x):
    return ops.cast(x > 0, x.dtype)


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


# --- Piecewise-linear and exponential-linear family ----------------------------


@activation(
    formula=r"x \cdot \frac{\mathrm{ReLU6}(x + 3)}{6}",
    reference=Reference(
        "Howard et al. 2019, Searching for MobileNetV3",
        "https://arxiv.org/abs/1905.02244",
    ),
    output_range=(-0.375, INF),
    monotonic=False,
    smooth=False,
    keras_name="hard_silu",
    kinks=(-3.0, 3.0),
)
def hard_swish(x):
    """Hard-Swish: a piecewise-quadratic approximation of Swish.

    Zero below -3, the identity above 3, and x (x + 3) / 6 in between; cheap
    on mobile hardware. Keras's `hard_silu`/`hard_swish` are this function.
    """
    # The gate first: x * 6 would overflow for x near the float32 limit.
    return x * (ops.clip(x + 3.0, 0.0, 6.0) * (1.0 / 6.0))


@hard_swish.attach_derivative
def _hard_swish_derivative(x):
    return ops.where(ops.abs(x) < 3.0, x * (1.0 / 3.0) + 0.5, ops.cast(x > 0, x.dtype))


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


@activation(
    formula=r"\lambda \begin{cases} x & x > 0 \\ \alpha (e^{x} - 1) & x \le 0"
    r"\end{cases},\ \alpha \approx 1.6733,\ \lambda \approx 1.0507",
    reference=Reference(
        "Klambauer et al. 2017, Self-Normalizing Neural Networks",
        "https://arxiv.org/abs/1706.02515",
    ),
    output_range=(-_SELU_SCALE * _SELU_ALPHA, INF),
    monotonic=True,
    smooth=False,
    keras_name="selu",
    kinks=(0.0,),
)
def selu(x):
    """Scaled exponential linear unit: self-normalizing ELU.

    Keeps activations near zero mean and unit variance through deep networks
    when used with LeCun-normal weights and AlphaDropout (see
    `keras_acts.check_self_normalizing`).
    """
    if _op_by_op() and not _is_float64(x):
        return _math.selu(x)  # The backend's one kernel, not four passes.
    return ops.where(
        x > 0,
        _SELU_SCALE * x,
        (_SELU_SCALE * _SELU_ALPHA) * ops.expm1(_minimum(x, 0.0)),
    )


@selu.attach_derivative
def _selu_derivative(x):
    # The scale multiplies outside `where`: Keras's torch backend rounds a
    # Python float given to `where` to float32, even next to float64.
    return _SELU_SCALE * ops.where(x > 0, 1.0, _SELU_ALPHA * ops.exp(_minimum(x, 0.0)))


@activation(
    formula=r"\begin{cases} x & x > 0 \\ \alpha (e^{x} - 1) & x \le 0\end{cases}",
    reference=Reference(
        "Clevert, Unterthiner & Hochreiter 2015, Fast and Accurate Deep Network "
        "Learning by Exponential Linear Units (ELUs)",
        "https://arxiv.org/abs/1511.07289",
    ),
    params=(
        Param(
            "alpha",
            1.0,
            "Saturation value for negative inputs (the output tends to -alpha).",
            low=0.0,
        ),
    ),
    output_range=(-1.0, INF),
    monotonic=True,
    smooth=False,
    keras_name="elu",
    kinks=(0.0,),
)
def elu(x, alpha=1.0):
    """Exponential linear unit: identity above 0, saturating exponential below.

    The output lower bound given is the one for alpha 1; in general it is
    -alpha. With alpha 1 the first derivative is continuous at 0.
    """
    if _op_by_op() and _is(alpha, 1.0) and not _is_float64(x):
        return _math.elu(x)  # The backend's one kernel, not four passes.
    return ops.where(x > 0, x, alpha * ops.expm1(_minimum(x, 0.0)))


@elu.attach_derivative
def _elu_derivative(x, alpha=1.0):
    return ops.where(x > 0, 1.0, alpha * ops.exp(_minimum(x, 0.0)))


@elu.attach_param_derivatives
def _elu_param_derivatives(x, alpha=1.0):
    return {"alpha": ops.where(x > 0, 0.0, ops.expm1(_minimum(x, 0.0)))}


@activation(
    formula=r"\begin{cases} x & x \ge 0 \\ a x & x < 0\end{cases}",
    reference=Reference(
        "Maas, Hannun & Ng 2013, Rectifier Nonlinearities Improve Neural Network "
        "Acoustic Models; learnable slope (PReLU): He et al. 2015",
        "https://arxiv.org/abs/1502.01852",
    ),
    params=(
        Param(
            "negative_slope",
            0.2,
            "Slope a for negative inputs (Keras's default 0.2; learnable in PReLU).",
            low=0.0,
        ),
    ),
    output_range=(-INF, INF),
    monotonic=True,
    smooth=False,
    keras_name="leaky_relu",
    kinks=(0.0,),
)
def leaky_relu(x, negative_slope=0.2):
    """Leaky ReLU: the identity for positive inputs, a small slope otherwise.

    Same default as Keras's `leaky_relu` (0.2), so the string keeps Keras's
    meaning. As a tensor, `negative_slope` is PReLU's learnable slope. The
    derivative at 0 is taken as the negative slope.
    """
    # (float64 keeps the formula: TensorFlow's kernel holds the slope as a
    # float32 attribute.)
    if _kernels.eager_op_by_op() and _is_number(negative_slope) and not _is_float64(x):
        return _math.leaky_relu(x, negative_slope)  # TensorFlow's kernel.
    return ops.where(x >= 0, x, negative_slope * x)


@leaky_relu.attach_derivative
def _leaky_relu_derivative(x, negative_slope=0.2):
    # 1 for x > 0, the slope otherwise; keeps x's dtype for static slopes.
    return 1.0 + (negative_slope - 1.0) * ops.cast(x <= 0, x.dtype)


@leaky_relu.attach_param_derivatives
def _leaky_relu_param_derivatives(x, negative_slope=0.2):
    return {"negative_slope": _minimum(x, 0.0)}


@activation(
    formula=r"\min(\max(x, 0), 6)",
    reference=Reference(
        "Krizhevsky 2010, Convolutional Deep Belief Networks on CIFAR-10",
        "https://www.cs.toronto.edu/~kriz/conv-cifar10-aug2010.pdf",
    ),
    output_range=(0.0, 6.0),
    monotonic=True,
    smooth=False,
    keras_name="relu6",
    fused=False,
    kinks=(0.0, 6.0),
)
def relu6(x):
    """ReLU capped at 6, as used in MobileNets.

    Uses Keras's own `relu6` op, already one kernel with a lean gradient. The
    derivative at 0 and 6 is taken as 0.
    """
    return ops.relu6(x)


@relu6.attach_derivative
def _relu6_derivative(x):
    return ops.cast(ops.logical_and(x > 0, x < 6), x.dtype)


@activation(
    formula=r"\begin{cases} 1 & x > 0 \\ 0 & x \le 0\end{cases}",
    reference=Reference(
        "McCulloch & Pitts 1943, A Logical Calculus of the Ideas Immanent in "
        "Nervous Activity",
        "https://doi.org/10.1007/BF02478259",
    ),
    output_range=(0.0, 1.0),
    monotonic=True,
    smooth=False,
    derivative_note=(
        "The derivative is zero everywhere (undefined at 0), so no gradient "
        "flows through this activation; use it for inference-time thresholds "
        "or with a straight-through estimator of your own."
    ),
    kinks=(0.0,),
)
def step(x):
    """Heaviside step: 1 for positive inputs, 0 otherwise (NaN stays NaN).

    The original threshold unit of the perceptron; not trainable by gradient
    descent.
    """
    return ops.where(ops.isnan(x), x, ops.cast(x > 0, x.dtype))


@step.attach_derivative
def _step_derivative(x):
    return ops.zeros_like(x)


# --- Classic smooth functions --------------------------------------------------


@activation(
    formula=r"\ln(1 + e^{x})",
    reference=Reference(
        "Dugas et al. 2000, Incorporating Second-Order Functional Knowledge for "
        "Better Option Pricing",
        "https://proceedings.neurips.cc/paper/2000/hash/"
        "44968aece94f667e4095002d140b5896-Abstract.html",
    ),
    output_range=(0.0, INF),
    monotonic=True,
    smooth=True,
    keras_name="softplus",
    value_at_zero=math.log(2.0),
)
def softplus(x):
    """Softplus: a smooth approximation of ReLU.

    Uses Keras's numerically stable softplus op inside the fused kernel;
    finite for every finite input.
    """
    return _softplus(x)


@softplus.attach_derivative
def _softplus_derivative(x):
    return _math.sigmoid(x)


@activation(
    formula=r"\frac{1}{1 + e^{-x}}",
    reference=Reference(
        "Rumelhart, Hinton & Williams 1986, Learning Representations by "
        "Back-Propagating Errors",
        "https://doi.org/10.1038/323533a0",
    ),
    output_range=(0.0, 1.0),
    monotonic=True,
    smooth=True,
    keras_name="sigmoid",
    fused=False,
    marks_logits=True,
    value_at_zero=0.5,
)
def sigmoid(x):
    """Logistic sigmoid: squashes inputs into (0, 1).

    Uses Keras's own `sigmoid` op, already one kernel with a lean gradient.
    """
    return ops.sigmoid(x)


@sigmoid.attach_derivative
def _sigmoid_derivative(x):
    s = ops.sigmoid(x)
    return s * (1.0 - s)


@activation(
    formula=r"\tanh(x)",
    reference=Reference(
        "LeCun et al. 1998, Efficient BackProp",
        "http://yann.lecun.com/exdb/publis/pdf/lecun-98b.pdf",
    ),
    output_range=(-1.0, 1.0),
    monotonic=True,
    smooth=True,
    keras_name="tanh",
    fused=False,
    symmetry="odd",
)
def tanh(x):
    """Hyperbolic tangent: a zero-centred sigmoid with outputs in (-1, 1).

    Uses Keras's own `tanh` op, already one kernel with a lean gradient.
    """
    return _tanh(x)


@tanh.attach_derivative
def _tanh_derivative(x):
    t = _tanh(x)
    return 1.0 - t * t


@activation(
    formula=r"\frac{e^{x_i - \max_j x_j}}{\sum_k e^{x_k - \max_j x_j}}",
    reference=Reference(
        "Bridle 1990, Probabilistic Interpretation of Feedforward Classification "
        "Network Outputs",
        "https://doi.org/10.1007/978-3-642-76153-9_28",
    ),
    params=(
        Param(
            "axis",
            -1,
            "Axis along which the outputs sum to 1.",
            low=-16,
            high=15,
            integer=True,
        ),
    ),
    output_range=(0.0, 1.0),
    monotonic=True,
    smooth=True,
    keras_name="softmax",
    fused=False,
    marks_logits=True,
    elementwise=False,
    value_at_zero=None,
    derivative_note=(
        "Softmax is not elementwise: its derivative is the Jacobian "
        "ds_i/dx_j = s_i (delta_ij - s_j) along `axis`, which Keras's "
        "softmax op differentiates itself."
    ),
)
def softmax(x, axis=-1):
    """Softmax: turns scores into probabilities along an axis.

    Uses Keras's own numerically stable `softmax` op (the maximum is
    subtracted before exponentiating). Each output increases with its own
    input; on all-zero input each output is 1/n. Infinite entries give the
    limit: the mass is shared by the +inf entries of a row, and -inf
    entries get none; a row with a NaN is all NaN. Only the output is kept
    for the backward pass, as with Keras's op.
    """
    return _kernels.softmax(x, axis)


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
        ),
    ),
    output_range=(-0.169971207479904, INF),
    monotonic=False,
    smooth=True,
    keras_name="gelu",
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


# --- Periodic ------------------------------------------------------------------


@activation(
    formula=r"\sin(\omega_0 x)",
    reference=Reference(
        "Sitzmann et al. 2020, Implicit Neural Representations with Periodic "
        "Activation Functions (SIREN)",
        "https://arxiv.org/abs/2006.09661",
    ),
    params=(
        Param(
            "w0",
            1.0,
            "Frequency factor omega_0 (SIREN uses 30 together with its special "
            "weight initialisation, see `keras_acts.layers.SirenDense`).",
            low=0.0,
            low_inclusive=False,
        ),
    ),
    output_range=(-1.0, 1.0),
    monotonic=False,
    smooth=True,
    symmetry="odd",
)
def sine(x, w0=1.0):
    """Sine activation, the nonlinearity of SIREN networks.

    A large `w0` only trains well with SIREN's initialisation; for a whole
    SIREN layer use `keras_acts.layers.SirenDense`.
    """
    return _sin(_phase(w0, x))


@sine.attach_derivative
def _sine_derivative(x, w0=1.0):
    cos = _cos(_phase(w0, x))
    return cos if _is(w0, 1) else w0 * cos  # No pass for w0 = 1 on torch.


@sine.attach_param_derivatives
def _sine_param_derivatives(x, w0=1.0):
    return {"w0": x * _cos(_phase(w0, x))}


@activation(
    formula=r"x + \frac{\sin^2(\alpha x)}{\alpha}",
    reference=Reference(
        "Liu Ziyin, Hartwig & Ueda 2020, Neural Networks Fail to Learn Periodic "
        "Functions and How to Fix It",
        "https://arxiv.org/abs/2006.08195",
    ),
    params=(
        Param(
            "alpha",
            1.0,
            "Frequency of the periodic component (learnable per channel in the paper).",
            low=0.0,
            low_inclusive=False,
        ),
    ),
    output_range=(-INF, INF),
    monotonic=True,
    smooth=True,
)
def snake(x, alpha=1.0):
    """Snake: the identity plus a periodic ripple, for learning periodic data.

    Its derivative 1 + sin(2 alpha x) is never negative, so it is monotonic.
    """
    s = _sin(_phase(alpha, x))
    return x + (s * s if _is(alpha, 1) else s * s / alpha)


@snake.attach_derivative
def _snake_derivative(x, alpha=1.0):
    return 1.0 + _sin(_phase(2.0 * alpha, x))


@snake.attach_param_derivatives
def _snake_param_derivatives(x, alpha=1.0):
    s = _sin(_phase(alpha, x))
    sin2 = _sin(_phase(2.0 * alpha, x))
    return {"alpha": x * sin2 / alpha - s * s / (alpha * alpha)}


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
)
def serf(x):
    """SERF: the input gated by the error function of its softplus."""
    return x * _erf(_softplus(x))


@serf.attach_derivative
def _serf_derivative(x):
    sp, u = _softplus_and_gate(x)
    gauss = _TWO_OVER_SQRT_PI * ops.exp(-sp * sp)
    return _erf(sp) + x * (gauss * _sigmoid_from_gate(x, u))


# --- Squared ReLU ----------------------------------------------------------------

# Makes the output zero-mean and unit-variance for x ~ N(0, 1):
# E[relu(x)^2] = 1/2 and Var[relu(x)^2] = 5/4.
_STAR_RELU_SCALE = 1.0 / math.sqrt(1.25)
_STAR_RELU_BIAS = -0.5 / math.sqrt(1.25)


@activation(
    formula=r"s \cdot \mathrm{ReLU}(x)^2 + b",
    reference=Reference(
        "Yu et al. 2022, MetaFormer Baselines for Vision",
        "https://arxiv.org/abs/2210.13452",
    ),
    params=(
        Param(
            "scale",
            _STAR_RELU_SCALE,
            "Scale s of the squared ReLU (1/sqrt(5/4), learnable in the paper).",
        ),
        Param(
            "bias",
            _STAR_RELU_BIAS,
            "Bias b (-(1/2)/sqrt(5/4), learnable in the paper).",
        ),
    ),
    output_range=(_STAR_RELU_BIAS, INF),
    monotonic=True,
    smooth=False,
    value_at_zero=_STAR_RELU_BIAS,
)
def star_relu(x, scale=_STAR_RELU_SCALE, bias=_STAR_RELU_BIAS):
    """StarReLU: a scaled and shifted squared ReLU.

    The defaults normalise the output for standard-normal inputs. The output
    grows as x^2: it overflows to inf above about 2e19 in float32 (about 270
    in float16), which is the true value in that dtype. Its first derivative
    is continuous; the second jumps at 0.
    """
    r = ops.relu(x)
    # (s r) r: r * r alone overflows where s r^2 need not (s < 1).
    return (scale * r) * r + bias


@star_relu.attach_derivative
def _star_relu_derivative(x, scale=_STAR_RELU_SCALE, bias=_STAR_RELU_BIAS):
    return (2.0 * scale) * ops.relu(x)


@star_relu.attach_param_derivatives
def _star_relu_param_derivatives(x, scale=_STAR_RELU_SCALE, bias=_STAR_RELU_BIAS):
    r = ops.relu(x)
    return {"scale": r * r, "bias": ops.ones_like(x)}


# --- Parametric families (Biswas et al.) -----------------------------------------

# exp(80) ~ 5.5e34: finite in float32, and far past tanh's saturation.
_GATE_EXP_CLAMP = 80.0
# Keeps 1 / (tiny quotient) finite in parameter gradients at extreme inputs.
_TINY = 1e-30


def _tanhsoft_gate(x, alpha, beta, gamma):
    """u = alpha x + beta e^{gamma x} (terms with a static 0 dropped), e^{gamma x}."""
    exponent = x if _is(gamma, 1) else gamma * x
    # On torch the clamp (a pass) only where some gamma x can exceed it.
    if not (_TORCH and _kernels.within(x, gamma, _GATE_EXP_CLAMP)):
        exponent = _minimum(exponent, _GATE_EXP_CLAMP)
    e = ops.exp(exponent)
    u = None
    if not _is(alpha, 0):
        u = alpha * x
    if not _is(beta, 0):
        u = beta * e if u is None else u + beta * e
    return (ops.zeros_like(x) if u is None else u), e


def _log_delta_plus_exp(x, delta):
    """ln(delta + e^x), stably; exactly x for delta = 0."""
    if _op_by_op() and not _is(delta, 0) and not _is_float64(x):
        return _torch_log_delta_plus_exp(x, delta)
    return _log_delta_plus_exp_parts(x, delta)[0]


def _torch_log_delta_plus_exp(x, delta):
    """ln(delta + e^x) with torch's softplus / logaddexp (ln 0 = -inf -> x)."""
    if _is(delta, 1):
        return _softplus(x)
    log_delta = math.log(delta) if _is_number(delta) else ops.log(delta)
    return ops.logaddexp(x, log_delta)


def _log_delta_plus_exp_parts(x, delta):
    """(L, a, b): L = ln(delta + e^x) and L' = e^x / (delta + e^x) = a / b.

    None stands for an exact 1 (a and b for delta = 0, b in float64). With
    v = e^{-|x - ln delta|}, L' = a / b with a = 1 or v and b = 1 + v, from
    the exponential L already needs (one exp; the caller divides once).
    """
    if _is(delta, 0):
        return x, None, None
    if _op_by_op() and not _is_float64(x):
        # L' = sigmoid(x - ln delta), the backend's own.
        if _is(delta, 1):
            return _softplus(x), ops.sigmoid(x), None
        log_delta = math.log(delta) if _is_number(delta) else ops.log(delta)
        return _torch_log_delta_plus_exp(x, delta), ops.sigmoid(x - log_delta), None
    # logaddexp(x, ln delta); a tensor delta of 0 gives ln 0 = -inf -> x.
    log_delta = math.log(delta) if _is_number(delta) else ops.log(delta)
    shifted = x - log_delta
    v = ops.exp(-ops.abs(shifted))
    log_term = _maximum(x, log_delta) + _log1p_unit(v)
    if _is_float64(x):
        slope = ops.sigmoid(x) if _is(delta, 1) else ops.exp(x - log_term)
        return log_term, slope, None
    # L' = sigmoid(x - ln delta).
    a, b, _ = _sigmoid_fraction(shifted, v)
    return log_term, a, b


def _tanhsoft_needs_mask(beta, gamma):
    # sech^2(u) * beta gamma e^{gamma x} is 0 * inf only if beta gamma e^80
    # can overflow; static small parameters rule that out at trace time.
    return not (_is_number(beta) and _is_number(gamma) and beta * gamma < 1e3)


@activation(
    formula=r"\tanh(\alpha x + \beta e^{\gamma x}) \cdot \ln(\delta + e^{x})",
    reference=Reference(
        "Biswas, Kumar, Banerjee & Pandey 2020, TanhSoft - a family of "
        "activation functions combining Tanh and Softplus",
        "https://arxiv.org/abs/2009.03863",
    ),
    params=(
        Param("alpha", 0.0, "Slope alpha inside the tanh.", high=1.0),
        Param("beta", 0.6, "Weight beta of the exponential term.", low=0.0),
        Param(
            "gamma",
            1.0,
            "Rate gamma of the exponential term.",
            low=0.0,
            low_inclusive=False,
        ),
        Param(
            "delta",
            0.0,
            "Offset delta inside the logarithm; 0 makes ln(delta + e^x) = x, "
            "1 makes it softplus.",
            low=0.0,
            high=1.0,
        ),
    ),
    output_range=(-0.217316752616395, INF),
    monotonic=False,
    smooth=True,
)
def tanhsoft(x, alpha=0.0, beta=0.6, gamma=1.0, delta=0.0):
    """TanhSoft: a four-parameter family combining tanh and softplus.

    The defaults give x tanh(0.6 e^x), the paper's headline case; its other
    named case tanh(0.87 x) ln(1 + e^x) is alpha=0.87, beta=0, delta=1. The
    paper's constraints alpha <= 1, beta >= 0, gamma > 0, 0 <= delta <= 1 are
    enforced. The output lower bound given is the default's. The exponential
    is clamped at e^80, which only matters when beta e^80 would not already
    saturate the tanh (beta below about 1e-33).
    """
    u, _ = _tanhsoft_gate(x, alpha, beta, gamma)
    return _tanh_rational(u) * _log_delta_plus_exp(x, delta)


def _tanhsoft_sech2(u, beta, gamma):
    t = _tanh_rational(u)
    sech2 = 1.0 - t * t
    if not _is(beta, 0) and _tanhsoft_needs_mask(beta, gamma):
        sech2 = ops.where(ops.abs(u) < _TANH_SATURATION, sech2, 0.0)
    return t, sech2


@tanhsoft.attach_derivative
def _tanhsoft_derivative(x, alpha=0.0, beta=0.6, gamma=1.0, delta=0.0):
    # f' = t L' + sech^2 u' L with t = n / d, sech^2 = s / d^2 and
    # L' = a / b: one division at the end,
    # (n d a + s u' L b) / (d^2 b), the fastest form under XLA (see above).
    u, e = _tanhsoft_gate(x, alpha, beta, gamma)
    n, d, s = _tanh_fraction(u)
    du = None
    if not _is(alpha, 0):
        du = alpha
    if not _is(beta, 0):
        if du is None and _is(gamma, 1):
            du = u  # beta e, the same product.
        else:
            du = (beta * gamma) * e if du is None else du + (beta * gamma) * e
    log_term, dlog_num, dlog_den = _log_delta_plus_exp_parts(x, delta)
    outer = _times(_times(n, d), dlog_num)
    if du is not None:
        # (s u') L: s is exactly 0 where tanh(u) has saturated.
        outer = outer + _times((s * du) * log_term, dlog_den)
    return _divide(outer, _times(_times(d, d), dlog_den))


@tanhsoft.attach_param_derivatives
def _tanhsoft_param_derivatives(x, alpha=0.0, beta=0.6, gamma=1.0, delta=0.0):
    u, e = _tanhsoft_gate(x, alpha, beta, gamma)
    t, sech2 = _tanhsoft_sech2(u, beta, gamma)
    log_term = _log_delta_plus_exp(x, delta)
    # d/d delta ln(delta + e^x) = 1 / (delta + e^x) = e^{-ln(...)}, clamped
    # so that it stays finite where delta + e^x underflows.
    inv = ops.exp(_minimum(-log_term, _GATE_EXP_CLAMP))
    return {
        "alpha": (sech2 * x) * log_term,
        "beta": (sech2 * e) * log_term,
        "gamma": ((sech2 * beta) * e * x) * log_term,
        "delta": t * inv,
    }


# |x| beyond which x / sqrt(beta + gamma x^2) is +-1/sqrt(gamma) to double
# precision (for beta / gamma < 1e14); clipping there keeps gamma x^2 finite.
_EIS_CLIP = 1e15
# Below this, ln(softplus(x)) == x and sigmoid(x) / softplus(x) == 1 in float64.
_EIS_LOG_TAIL = -40.0


# ln of float32's largest number: exp of anything above it is inf.
_LOG_FLOAT32_MAX = 88.72283


def _positive_power(base, exponent):
    """base ** exponent for base > 0.

    In float32 as exp(exponent ln base), capped at float32's largest number
    (where exp(ln base) would round up to inf): XLA's power op measured 6x
    the time of an exp on CPU. float64 keeps the power op.
    """
    if _native(base):
        return base**exponent
    return ops.exp(_minimum(exponent * ops.log(base), _LOG_FLOAT32_MAX))


class _Lazy(dict):
    """A dict whose entries set by `later` are computed on first read.

    For intermediates the forward does not use: XLA drops them from a
    compiled kernel, but PyTorch runs every op eagerly, so the forward would
    pay for the derivative's terms.
    """

    def __init__(self):
        super().__init__()
        self._thunks = {}

    def later(self, key, compute):
        self._thunks[key] = compute

    def __missing__(self, key):
        value = self._thunks.pop(key)()  # KeyError if never set.
        self[key] = value
        return value


def _eis_parts(x, alpha, beta, gamma, delta, theta):
    """Intermediates of EIS shared by the forward and both derivatives.

    f = r * Sa * v with r = x / P, P = sqrt(beta + gamma x^2), Sa =
    softplus(x)^alpha and v = P / (P + delta e^{-theta x}); None stands for
    the exact 1 (v) or 0 (w = 1 - v) that static parameters give. Terms
    only derivatives use are computed when first read.
    """
    p = _Lazy()
    # r = x / P is within +-1/sqrt(gamma) for a static gamma > 0; otherwise
    # (gamma 0, or a tensor that may be 0) it grows like x / sqrt(beta) and
    # can overflow where f does not (beta < 1, or an exponential factor that
    # is 0): products with it are then taken as 0 where the other factor is.
    p["bounded"] = _is_number(gamma) and gamma > 0
    if _is(gamma, 0):
        root = math.sqrt(beta) if _is_number(beta) else ops.sqrt(beta)
        p["rs"] = 1.0 / root
        p["xs"] = x
        p["r"] = x * p["rs"]
        p["P"] = root
        p["dr"] = p["rs"]  # beta / P^3 with P^2 = beta.
        p["gx"] = None  # gamma x / P^2, exactly 0.
    else:
        xc = ops.clip(x, -_EIS_CLIP, _EIS_CLIP)
        square = xc * xc
        q = beta + (square if _is(gamma, 1) else gamma * square)
        # 1 / sqrt: XLA's rsqrt measured 5x slower on CPU.
        rs = 1.0 / ops.sqrt(q)
        p["rs"] = rs
        # The clip is exact only for gamma > 0; a tensor gamma may be 0.
        xs = xc if _is_number(gamma) else ops.where(gamma > 0, xc, x)
        p["xs"] = xs
        p["r"] = xs * rs
        p.later("P", lambda: q * rs)
        p.later("dr", lambda: _times(None if _is(beta, 1) else beta, rs * rs * rs))
        # gamma x first: exactly 0 for gamma = 0 whatever x / P^2 is.
        p.later("gx", lambda: (gamma * xs) * (rs * rs))
    # Sa = softplus(x)^alpha is kept as two factors multiplied in one at a
    # time: for alpha > 1, lo = sp^(alpha - 1) and hi = sp (sp^alpha alone
    # overflows for large x where f and f' need not); otherwise lo = sp^alpha
    # and hi = 1 (sp^(alpha - 1) would underflow). Below the tail sp = e^x:
    # lo = e^{alpha x}, hi = 1.
    if _is(alpha, 0):
        p["lo"], p["hi"], p["dSa"] = None, None, None
    else:
        sp, u = _softplus_and_gate(x)
        if _is(alpha, 1):
            p["lo"], p["hi"] = None, sp
            p.later("dSa", lambda: _sigmoid_from_gate(x, u))
        else:
            tail = x < _EIS_LOG_TAIL
            if _is_number(alpha):
                split = alpha > 1
                exponent = alpha - 1.0 if split else alpha
                hi = ops.where(tail, 1.0, sp) if split else None
            else:
                split = alpha > 1.0  # Parameter-shaped.
                exponent = alpha - ops.cast(split, alpha.dtype)
                hi = ops.where(ops.logical_and(split, ~tail), sp, 1.0)
            lo = ops.where(tail, ops.exp(alpha * x), _positive_power(sp, exponent))
            p["lo"], p["hi"] = lo, hi

            def d_sa():
                # Sa' = alpha sp^(alpha - 1) sigmoid(x) (alpha e^{alpha x} below).
                sig = _sigmoid_from_gate(x, u)
                if _is_number(alpha):
                    ratio = sig if split else sig / sp  # Sa' / (alpha lo)
                else:
                    ratio = ops.where(split, sig, sig / sp)
                return alpha * (lo * ops.where(tail, 1.0, ratio))

            p.later("dSa", d_sa)
    if _is(delta, 0):
        p["v"], p["w"] = None, None
        p["rv"] = p["r"]
    else:
        if _is(theta, 0):
            q_term = delta
        elif _is_number(delta):
            q_term = delta * ops.exp(-theta * x)  # inf is fine: v -> 0.
        else:
            q_term = ops.exp(ops.log(delta) - theta * x)  # delta = 0 -> 0.
        denominator = p["P"] + q_term
        v = p["P"] / denominator
        p["v"] = v
        p.later("w", lambda: 1.0 - v)
        # r v: bounded r times v, or else x / (P + delta e^{-theta x}), which
        # is finite where f is even if r = x / P is not.
        if p["bounded"]:
            p["rv"] = p["r"] * v
        elif _is(gamma, 0):
            p["rv"] = p["xs"] / denominator
        else:
            p["rv"] = ops.where(gamma > 0, p["r"] * v, p["xs"] / denominator)
    return p


def _eis_rv_times(p, factors):
    """r v times `factors` (None: 1) in order; 0 where one is 0 and r is unbounded."""
    out, zero = p["rv"], None
    for factor in factors:
        if factor is None:
            continue
        out = out * factor
        if not p["bounded"]:
            is_zero = factor == 0.0
            zero = is_zero if zero is None else ops.logical_or(zero, is_zero)
    return out if zero is None else ops.where(zero, 0.0, out)


@activation(
    formula=r"\frac{x \, (\ln(1 + e^{x}))^{\alpha}}"
    r"{\sqrt{\beta + \gamma x^2} + \delta e^{-\theta x}}",
    reference=Reference(
        "Biswas, Kumar, Banerjee & Pandey 2020, EIS - a family of activation "
        "functions combining Exponential, ISRU, and Softplus",
        "https://arxiv.org/abs/2009.13501",
    ),
    params=(
        Param("alpha", 1.0, "Power alpha of the softplus factor.", low=0.0),
        Param(
            "beta",
            1.0,
            "Constant beta under the square root (> 0 keeps the root away from 0).",
            low=0.0,
            low_inclusive=False,
        ),
        Param("gamma", 1.0, "Weight gamma of x^2 under the square root.", low=0.0),
        Param("delta", 0.0, "Weight delta of the exponential term.", low=0.0),
        Param("theta", 1.0, "Rate theta of the exponential term.", low=0.0),
    ),
    output_range=(-0.232155236809460, INF),
    monotonic=False,
    smooth=True,
)
def eis(x, alpha=1.0, beta=1.0, gamma=1.0, delta=0.0, theta=1.0):
    """EIS: a five-parameter family combining exponential, ISRU and softplus.

    The defaults give x ln(1 + e^x) / sqrt(1 + x^2), the case the paper's
    abstract reports the largest gains for; x / (1 + 0.68 e^{-1.7 x}) is
    alpha=0, gamma=0, delta=0.68, theta=1.7. beta must be positive, so the
    paper's beta = 0 case x ln(1 + e^x) / (|x| + 1.16 e^{-x}) is only reached
    approximately (small beta). The output lower bound given is the
    default's.
    """
    p = _eis_parts(x, alpha, beta, gamma, delta, theta)
    return _eis_rv_times(p, [p["lo"], p["hi"]])


@eis.attach_derivative
def _eis_derivative(x, alpha=1.0, beta=1.0, gamma=1.0, delta=0.0, theta=1.0):
    p = _eis_parts(x, alpha, beta, gamma, delta, theta)
    lo, hi = p["lo"], p["hi"]
    # f' = v [r' Sa + r (Sa' + Sa w (gamma r / P + theta))]; v' = w v (P'/P + theta).
    # (r' lo) hi: lo = sp^(alpha - 1) is small where r' hi could overflow.
    radial = _times(_times(p["dr"], lo), hi)
    if lo is not None:
        # r' ~ x^-3 underflows to 0 where lo may be inf: the term is then
        # negligible next to r Sa' (0, not 0 * inf).
        radial = ops.where(p["dr"] == 0.0, 0.0, radial)
    radial = _times(p["v"], radial)
    inner = p["dSa"]
    if p["w"] is not None:
        growth = theta if p["gx"] is None else p["gx"] + theta
        w_growth = p["w"] * growth
        tail = _times(_times(w_growth, hi), lo)
        if hi is not None:
            # w is exactly 0 where delta e^{-theta x} is: no term, even if Sa
            # is inf.
            tail = ops.where(w_growth == 0.0, 0.0, tail)
        inner = tail if inner is None else inner + tail
    if inner is None:
        return radial
    return radial + _eis_rv_times(p, [inner])


@eis.attach_param_derivatives
def _eis_param_derivatives(x, alpha=1.0, beta=1.0, gamma=1.0, delta=0.0, theta=1.0):
    p = _eis_parts(x, alpha, beta, gamma, delta, theta)
    f = _eis_rv_times(p, [p["lo"], p["hi"]])
    v = 1.0 if p["v"] is None else p["v"]
    w = 0.0 if p["w"] is None else p["w"]
    log_sp = ops.where(x < _EIS_LOG_TAIL, x, ops.log(_softplus(x)))
    # d/d delta: -f e^{-theta x} / D = -f / (P e^{theta x} + delta).
    denom = _maximum(p["P"] * ops.exp(theta * x) + delta, _TINY)
    return {
        "alpha": f * log_sp,
        "beta": -0.5 * (f * v) * (p["rs"] * p["rs"]),
        "gamma": -0.5 * v * ((f * p["r"]) * p["r"]),
        "delta": -f / denom,
        "theta": f * (x * w),
    }
