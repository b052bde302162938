"""Independent float64 NumPy/SciPy references for every activation.

Written from the textbook formulas, never from keras_acts: the test harness
compares the library against these. `REFERENCES[name](x, **params)` takes and
returns float64 arrays; `PARAM_CASES[name]` lists non-default parameter
settings to test besides the defaults (each dict is passed as keyword
arguments to both the reference and the library function).
"""

import math

import numpy as np
from scipy import special

# SELU constants from Klambauer et al. 2017 (arXiv 1706.02515).
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
# StarReLU: makes s * relu(x)^2 + b zero-mean, unit-variance for x ~ N(0, 1)
# (E[relu^2] = 1/2, Var[relu^2] = 5/4); Yu et al. 2022 (arXiv 2210.13452).
STAR_RELU_SCALE = 1.0 / math.sqrt(1.25)
STAR_RELU_BIAS = -0.5 / math.sqrt(1.25)


def _quiet(fn):
    """Runs `fn` with float warnings off: inf intermediates are intended."""

    def wrapped(x, **params):
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            return fn(np.asarray(x, dtype=np.float64), **params)

    wrapped.__name__ = fn.__name__
    return wrapped


def softplus(x):
    return np.logaddexp(0.0, x)


def relu(x):
    return np.maximum(x, 0.0)


def swish(x, beta=1.0):
    return x * special.expit(beta * x)


def hard_swish(x):
    return x * np.clip(x + 3.0, 0.0, 6.0) / 6.0


def mish(x):
    return x * np.tanh(softplus(x))


def gelu(x, approximate="none"):
    if approximate == "none":
        # x * Phi(x); erfc keeps the far negative tail accurate.
        return 0.5 * x * special.erfc(-x / math.sqrt(2.0))
    if approximate == "tanh":
        # 0.5 (1 + tanh(u)) == expit(2u).
        u = math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3)
        return x * special.expit(2.0 * u)
    if approximate == "sigmoid":
        return x * special.expit(1.702 * x)
    raise ValueError(approximate)


def selu(x):
    return SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(np.minimum(x, 0)))


def elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0.0)))


def leaky_relu(x, negative_slope=0.2):
    return np.where(x >= 0, x, negative_slope * x)


def relu6(x):
    return np.clip(x, 0.0, 6.0)


def sigmoid(x):
    return special.expit(x)


def tanh(x):
    return np.tanh(x)


def softmax(x, axis=-1):
    x = np.asarray(x, np.float64)
    if x.size == 0:  # SciPy's max has no identity for empty rows.
        return x.copy()
    return special.softmax(x, axis=axis)


def step(x):
    return (x > 0).astype(np.float64)


def sine(x, w0=1.0):
    return np.sin(w0 * x)


def tanhsoft(x, alpha=0.0, beta=0.6, gamma=1.0, delta=0.0):
    # ln(delta + e^x) = logaddexp(x, ln delta); ln 0 = -inf gives x.
    log_term = np.logaddexp(x, np.log(delta))
    # beta == 0 drops the exponential term (avoids 0 * inf at large x).
    exp_term = beta * np.exp(gamma * x) if beta != 0 else 0.0
    return np.tanh(alpha * x + exp_term) * log_term


def eis(x, alpha=1.0, beta=1.0, gamma=1.0, delta=0.0, theta=1.0):
    numerator = x * softplus(x) ** alpha
    exp_term = delta * np.exp(-theta * x) if delta != 0 else 0.0
    denominator = np.sqrt(beta + gamma * x * x) + exp_term
    return numerator / denominator


def lisht(x):
    return x * np.tanh(x)


def snake(x, alpha=1.0):
    return x + np.sin(alpha * x) ** 2 / alpha


def smish(x):
    return x * np.tanh(np.log1p(special.expit(x)))


def logish(x):
    return x * np.log1p(special.expit(x))


def serf(x):
    return x * special.erf(softplus(x))


def star_relu(x, scale=STAR_RELU_SCALE, bias=STAR_RELU_BIAS):
    return scale * np.maximum(x, 0.0) ** 2 + bias


REFERENCES = {
    fn.__name__: _quiet(fn)
    for fn in (
        relu,
        swish,
        hard_swish,
        mish,
        gelu,
        selu,
        elu,
        leaky_relu,
        relu6,
        softplus,
        sigmoid,
        tanh,
        softmax,
        step,
        sine,
        tanhsoft,
        eis,
        lisht,
        snake,
        smish,
        logish,
        serf,
        star_relu,
    )
}

PARAM_CASES = {name: [] for name in REFERENCES}
PARAM_CASES.update(
    {
        "swish": [{"beta": 0.5}, {"beta": 2.0}],
        "gelu": [{"approximate": "tanh"}, {"approximate": "sigmoid"}],
        "elu": [{"alpha": 0.5}, {"alpha": 2.0}],
        "leaky_relu": [{"negative_slope": 0.01}, {"negative_slope": 0.3}],
        "softmax": [{"axis": 0}],
        "sine": [{"w0": 0.5}, {"w0": 2.0}],
        "tanhsoft": [
            # tanh(0.87 x) ln(1 + e^x), the paper's other named case.
            {"alpha": 0.87, "beta": 0.0, "gamma": 1.0, "delta": 1.0},
            # Every term active.
            {"alpha": 0.5, "beta": 0.3, "gamma": 0.8, "delta": 0.5},
        ],
        "eis": [
            # x / (1 + 0.68 e^{-1.7 x}), a named case of the paper.
            {"alpha": 0.0, "beta": 1.0, "gamma": 0.0, "delta": 0.68, "theta": 1.7},
            # Every term active.
            {"alpha": 0.5, "beta": 0.5, "gamma": 2.0, "delta": 1.16, "theta": 1.0},
        ],
        "snake": [{"alpha": 0.5}, {"alpha": 5.0}],
        "star_relu": [{"scale": 1.0, "bias": 0.0}, {"scale": 0.5, "bias": 0.1}],
    }
)
