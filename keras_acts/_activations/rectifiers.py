"""Rectifiers: ReLU and its piecewise-linear and exponential-linear relatives.

relu, hard_swish, selu, elu, leaky_relu, relu6, step, and star_relu (a
scaled, shifted squared ReLU).
"""

import math

from keras import ops

from keras_acts import _kernels, _math
from keras_acts._math import (  # The numeric primitives.
    INF,
    _is,
    _is_float64,
    _is_number,
    _minimum,
    _op_by_op,
)
from keras_acts._spec import LayerOptions, Param, Reference, activation

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
    layer=LayerOptions(class_name="ReLU"),
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
    layer=LayerOptions(class_name="SELU"),
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
    layer=LayerOptions(class_name="ELU"),
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
    layer=LayerOptions(class_name="LeakyReLU"),
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
    layer=LayerOptions(class_name="ReLU6"),
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
    layer=LayerOptions(
        class_name="StarReLU",
        learnable=True,
        note="As in the paper, scale and bias are learned.",
    ),
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
