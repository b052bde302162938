"""Periodic activations: sine (SIREN) and snake."""

from keras_acts._math import (  # The numeric primitives.
    INF,
    _cos,
    _is,
    _phase,
    _sin,
)
from keras_acts._spec import LayerOptions, Param, Reference, activation

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
    layer=LayerOptions(
        learnable=True,
        per_channel_default=True,
        note="As in the paper, alpha is learned per channel by default.",
    ),
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
