"""Helpers shared by the registry harness: grids, references, autodiff, asserts.

Everything here is backend-agnostic (keras.ops) except `grad` and
`layer_vjp`, which use the active backend's own autodiff (tf.GradientTape,
jax.grad / jax.vjp or torch.autograd.grad).
"""

import keras
import numpy as np
import pytest
from references import PARAM_CASES, REFERENCES

import keras_acts

BACKEND = keras.backend.backend()
SEED = 20261124

# Special points: zero, tiny, moderate, exp-overflow region (fp16 ~ 11), the
# library's exp clamps (20), and far tails.
_SPECIAL = np.array([0.0, 1e-3, 0.5, 1.0, 3.0, 11.0, 20.0, 100.0, 1e4])
GRID = np.concatenate(
    [_SPECIAL, -_SPECIAL[1:], np.random.default_rng(SEED).normal(0.0, 3.0, 96)]
)
# Non-elementwise activations (softmax) get a matrix that mixes the special
# points with random rows, and a constant row.
MATRIX = np.concatenate(
    [
        np.array([[0.0, 1e4, -1e4, 100.0, -100.0, 20.0, -20.0, 11.0]]),
        np.zeros((1, 8)),
        np.random.default_rng(SEED + 1).normal(0.0, 3.0, (6, 8)),
    ]
)

# Central-difference step and the distance kept from kinks by the grids.
FD_STEP = 1e-3
KINK_MARGIN = 5e-3

# (rtol, atol) per dtype for values and gradients against float64 references,
# evaluated at the dtype-rounded inputs: a few units of the dtype's precision.
TOLERANCES = {
    "float64": (1e-9, 1e-12),
    "float32": (2e-5, 1e-6),
    "float16": (2e-3, 1e-5),
    "bfloat16": (1.6e-2, 1e-5),
}
# float64 finite differences are good to about 1e-9 relative.
FD_TOLERANCE = (1e-6, 1e-9)


def case_id(name, params):
    if not params:
        return name
    return name + "-" + ",".join(f"{k}={v}" for k, v in sorted(params.items()))


def cases(names=None):
    """pytest params: (name, params) for the defaults and every PARAM_CASES entry."""
    out = []
    for name in keras_acts.names() if names is None else names:
        for params in [{}, *PARAM_CASES.get(name, [])]:
            out.append(pytest.param(name, params, id=case_id(name, params)))
    return out


def reference(name):
    """The independent float64 reference; fails (never skips) when missing."""
    if name not in REFERENCES:
        pytest.fail(
            f"tests/references.py has no reference for {name!r}: every registry "
            "entry needs an independent NumPy reference (REFERENCES) and its "
            "parameter cases (PARAM_CASES)."
        )
    return REFERENCES[name]


def spec(name):
    return keras_acts.info(name)


def inputs_for(name):
    return GRID if spec(name).elementwise else MATRIX


def non_smooth_points(s):
    """Points near which finite differences are unreliable for spec `s`."""
    points = tuple(s.kinks)
    if not s.smooth and not points:
        # Declared non-smooth without a kink of f or f': a jump of a higher
        # derivative, at 0 for every such catalog entry (e.g. StarReLU).
        points = (0.0,)
    return points


def away_from(x, points, margin=KINK_MARGIN):
    """The entries of x farther than `margin` from every point (grid construction)."""
    keep = np.ones(x.shape, bool)
    for k in points:
        keep &= np.abs(x - k) > margin * max(1.0, abs(k))
    return x[keep]


def rounded(x, dtype):
    """x as the float64 values it takes once cast to `dtype`."""
    return to_numpy(keras.ops.cast(keras.ops.convert_to_tensor(x), dtype)).astype(
        np.float64
    )


def tensor(x, dtype):
    return keras.ops.cast(keras.ops.convert_to_tensor(np.asarray(x)), dtype)


def to_numpy(t):
    return np.asarray(keras.ops.convert_to_numpy(t))


def dtype_of(t):
    return keras.backend.standardize_dtype(t.dtype)


def fd_derivative(fn, x, h=FD_STEP):
    """Fourth-order central difference of an elementwise float64 function."""
    x = np.asarray(x, np.float64)
    return (8.0 * (fn(x + h) - fn(x - h)) - (fn(x + 2 * h) - fn(x - 2 * h))) / (
        12.0 * h
    )


def fd_vjp(fn, x, g, h=FD_STEP):
    """d/dx sum(g * fn(x)) by central differences, one coordinate at a time."""
    x = np.asarray(x, np.float64)
    out = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[index] = h

        def along(t, step=step):
            return np.sum(g * fn(x + t * step / h))

        out[index] = (8.0 * (along(h) - along(-h)) - (along(2 * h) - along(-2 * h))) / (
            12.0 * h
        )
    return out


def grad(fn, *args):
    """Gradients of the scalar fn(*args) with respect to every arg."""
    if BACKEND == "tensorflow":
        import tensorflow as tf

        args = [tf.convert_to_tensor(a) for a in args]
        with tf.GradientTape() as tape:
            for a in args:
                tape.watch(a)
            out = fn(*args)
        # No path (e.g. a step function's cast) means a zero derivative.
        return tape.gradient(
            out, args, unconnected_gradients=tf.UnconnectedGradients.ZERO
        )
    if BACKEND == "jax":
        import jax

        return jax.grad(fn, argnums=tuple(range(len(args))))(*args)
    if BACKEND == "torch":
        import torch

        args = [
            keras.ops.convert_to_tensor(a).detach().requires_grad_(True) for a in args
        ]
        out = fn(*args)
        # No path (the output, or one arg, unconnected) means a zero derivative.
        if not out.requires_grad:
            return tuple(torch.zeros_like(a) for a in args)
        return torch.autograd.grad(out, args, allow_unused=True, materialize_grads=True)
    pytest.skip(f"autodiff helper supports tensorflow, jax and torch, not {BACKEND}")


def layer_vjp(layer, x):
    """`(y, grads)`: y = layer(x) and the vector-Jacobian product with ones,
    for x then each of `layer.trainable_weights` (the layer must be built)."""
    weights = layer.trainable_weights
    if BACKEND == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            tape.watch(x)
            y = layer(x)
        return y, tape.gradient(y, [x, *weights])
    if BACKEND == "jax":
        import jax

        others = [v.value for v in layer.non_trainable_weights]

        def run(x, values):
            return layer.stateless_call(values, others, x)[0]

        y, vjp = jax.vjp(run, x, [w.value for w in weights])
        gx, gw = vjp(jax.numpy.ones_like(y))
        return y, [gx, *gw]
    if BACKEND == "torch":
        import torch

        x = x.detach().requires_grad_(True)
        y = layer(x)
        inputs = [x, *(w.value for w in weights)]
        grads = torch.autograd.grad(
            y, inputs, torch.ones_like(y), allow_unused=True, materialize_grads=True
        )
        return y, list(grads)
    pytest.skip(f"autodiff helper supports tensorflow, jax and torch, not {BACKEND}")


def assert_close(actual, expected, rtol, atol, x=None, what="values"):
    """|actual - expected| <= atol + rtol |expected|; non-finite must match."""
    actual = np.asarray(actual, np.float64)
    expected = np.asarray(expected, np.float64)
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    with np.errstate(invalid="ignore", over="ignore"):
        finite = np.isfinite(expected)
        ok = np.where(
            finite,
            np.abs(actual - expected) <= atol + rtol * np.abs(expected),
            actual == expected,
        )
    if ok.all():
        return
    bad = np.flatnonzero(~ok.ravel())
    lines = []
    for i in bad[:8]:
        where = "" if x is None else f"x={np.ravel(x)[i]!r}: "
        lines.append(
            f"  {where}got {actual.ravel()[i]!r}, expected {expected.ravel()[i]!r}"
        )
    raise AssertionError(
        f"{what}: {bad.size} of {ok.size} outside rtol={rtol}, atol={atol}\n"
        + "\n".join(lines)
    )


def limit(ref, sign):
    """f(sign * inf) from a float64 reference: a number, +-inf, or NaN if none.

    Far points x = sign * s * (1, 0.3, 0.1, 0.03) for s = 1e300 (or 1e150,
    1e30 where the reference overflows to NaN there): values that all exceed
    sqrt(s) in magnitude, with one sign, mean a limit of +-inf; values that
    agree to 1e-12 are the limit; anything else (sin) has no limit.
    """
    for scale in (1e300, 1e150, 1e30):
        v = ref(sign * scale * np.array([1.0, 0.3, 0.1, 0.03]))
        if np.isnan(v).any():
            continue
        if (np.abs(v) > np.sqrt(scale)).all() and abs(np.sign(v).sum()) == v.size:
            return float(np.sign(v[0]) * np.inf)
        if np.ptp(v) <= 1e-12 * (1.0 + np.abs(v).max()):
            return float(v[0])
        return float("nan")
    raise AssertionError("the reference is NaN far out")
