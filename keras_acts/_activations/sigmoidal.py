"""Classic smooth functions: softplus, sigmoid, tanh, and softmax."""

import math

from keras import ops

from keras_acts import _kernels, _math
from keras_acts._math import (  # The numeric primitives.
    INF,
    _softplus,
    _tanh,
)
from keras_acts._spec import Param, Reference, activation

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

    Computed as max(x, 0) + log(1 + e^{-|x|}), finite for every finite
    input; in fused float32 kernels log(1 + u) is a polynomial (as accurate
    as log1p there, and faster), elsewhere the backend's own functions.
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
            is_axis=True,
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
