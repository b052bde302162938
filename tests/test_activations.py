"""The registry harness: every activation against its independent reference.

Parameterised over `keras_acts.names()` (defaults plus `PARAM_CASES`), so a
new catalog entry is tested as soon as it is defined, and fails until
tests/references.py has a reference for it. Each check evaluates a whole grid
in one call.
"""

import functools

import keras
import numpy as np
import pytest
from _util import (
    FD_TOLERANCE,
    GRID,
    KINK_MARGIN,
    SEED,
    TOLERANCES,
    assert_close,
    away_from,
    cases,
    dtype_of,
    fd_derivative,
    fd_vjp,
    grad,
    inputs_for,
    non_smooth_points,
    reference,
    rounded,
    spec,
    tensor,
    to_numpy,
)
from references import REFERENCES

import keras_acts

# CI also runs this module beyond the TensorFlow step (see .ci/run).
pytestmark = pytest.mark.ci_jax

ALL_CASES = cases()
ELEMENTWISE_CASES = cases([n for n in keras_acts.names() if spec(n).elementwise])
LOW_PRECISION = ("float16", "bfloat16")


def _fn(name, params):
    return functools.partial(getattr(keras_acts, name), **params)


def _ref(name, params):
    return functools.partial(reference(name), **params)


def _cotangent(shape):
    return np.random.default_rng(SEED + 2).normal(0.0, 1.0, shape)


def test_every_name_has_a_reference():
    missing = [n for n in keras_acts.names() if n not in REFERENCES]
    assert not missing, f"no reference in tests/references.py for: {missing}"


# --- a. values ------------------------------------------------------------------


@pytest.mark.numerics
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,params", ALL_CASES)
def test_values_match_reference(name, params, dtype):
    ref = _ref(name, params)
    x = rounded(inputs_for(name), dtype)
    y = _fn(name, params)(tensor(x, dtype))
    assert dtype_of(y) == dtype
    rtol, atol = TOLERANCES[dtype]
    assert_close(to_numpy(y), ref(x), rtol, atol, x, f"{name}{params} {dtype}")


# --- b. gradients vs finite differences of the reference -------------------------


@pytest.mark.numerics
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,params", ALL_CASES)
def test_gradient_matches_reference(name, params, dtype):
    s = spec(name)
    ref = _ref(name, params)
    fn = _fn(name, params)
    if s.elementwise:
        x = rounded(away_from(GRID, non_smooth_points(s)), dtype)
    else:
        x = rounded(inputs_for(name)[2:5], dtype)  # a small random block
    g = rounded(_cotangent(x.shape), dtype)
    gt = tensor(g, dtype)
    (dx,) = grad(lambda xt: keras.ops.sum(gt * fn(xt)), tensor(x, dtype))
    assert dtype_of(dx) == dtype
    expected = g * fd_derivative(ref, x) if s.elementwise else fd_vjp(ref, x, g)
    rtol, atol = TOLERANCES[dtype] if dtype != "float64" else FD_TOLERANCE
    assert_close(to_numpy(dx), expected, rtol, atol, x, f"d{name}{params} {dtype}")


# --- c. analytic derivatives vs autodiff of the forward formula -----------------

# Excludes exact 0, where autodiff of relu/abs inside a smooth formula takes
# the subgradient 0 instead of the true derivative.
_SMALL = np.concatenate(
    [np.linspace(-10.0, 10.0, 80), np.random.default_rng(SEED + 3).uniform(-10, 10, 48)]
)


def _float_params(s, params):
    values = s.resolve(params)
    return {p.name: values[p.name] for p in s.numeric_params if not p.integer}


@pytest.mark.numerics
@pytest.mark.parametrize("name,params", ELEMENTWISE_CASES)
def test_analytic_derivative_matches_autodiff(name, params):
    s = spec(name)
    x = away_from(_SMALL, s.kinks, margin=1e-3)
    values = s.resolve(params)
    xt = tensor(x, "float64")
    (auto,) = grad(lambda t: keras.ops.sum(s.forward(t, **values)), xt)
    analytic = s.derivative(xt, **values)
    rtol, atol = TOLERANCES["float64"]
    assert_close(to_numpy(analytic), to_numpy(auto), rtol, atol, x, f"{name}' static")


@pytest.mark.numerics
@pytest.mark.parametrize(
    "name,params",
    cases([n for n in keras_acts.names() if _float_params(spec(n), {})]),
)
def test_param_derivatives_match_autodiff(name, params):
    s = spec(name)
    if s.fused:
        assert s.param_derivatives is not None, (
            f"{name} has numeric parameters but no param_derivatives: tensor "
            "(learnable) parameters cannot be differentiated"
        )
    x = away_from(_SMALL, s.kinks, margin=1e-3)
    values = s.resolve(params)
    floats = _float_params(s, params)
    static = {k: v for k, v in values.items() if k not in floats}
    names = sorted(floats)
    xt = tensor(x, "float64")
    # One tensor per parameter, broadcast to x's shape: its gradient is the
    # elementwise partial derivative.
    pts = [tensor(np.full(x.shape, floats[k]), "float64") for k in names]

    def total(xt, *pts):
        return keras.ops.sum(
            s.forward(xt, **static, **dict(zip(names, pts, strict=True)))
        )

    auto = grad(total, xt, *pts)
    dynamic = dict(zip(names, pts, strict=True))
    rtol, atol = TOLERANCES["float64"]
    assert_close(
        to_numpy(s.derivative(xt, **static, **dynamic)),
        to_numpy(auto[0]),
        rtol,
        atol,
        x,
        f"{name}' with tensor parameters {floats}",
    )
    analytic = s.param_derivatives(xt, **static, **dynamic)
    assert sorted(analytic) == names
    for k, auto_k in zip(names, auto[1:], strict=True):
        auto_k = to_numpy(auto_k)
        xk = x
        if s.param(k).low == floats[k] and not np.isfinite(auto_k).any():
            # At an inclusive lower bound (e.g. delta = 0 inside a log) autodiff
            # of the formula is NaN; use a one-sided difference of the reference,
            # on x >= -3 where the step is small against e^x (curvature ~e^-2x).
            keep = x >= -3.0
            xk = x[keep]
            analytic[k] = to_numpy(analytic[k])[keep]
            auto_k = _one_sided_param_fd(_ref(name, params), xk, floats, k)
            # Round-off of a 1e-6 step on |f| <= 10: about 1e-8 absolute.
            rtol, atol = FD_TOLERANCE[0], 1e-7
        assert_close(to_numpy(analytic[k]), auto_k, rtol, atol, xk, f"d{name}/d{k}")


def _one_sided_param_fd(ref, x, floats, k, h=1e-6):
    def at(t):
        return ref(x, **{**floats, k: floats[k] + t})

    return (-3.0 * at(0.0) + 4.0 * at(h) - at(2 * h)) / (2 * h)


# --- d. float16 / bfloat16 --------------------------------------------------------


@pytest.mark.numerics
@pytest.mark.parametrize("dtype", LOW_PRECISION)
@pytest.mark.parametrize("name,params", ALL_CASES)
def test_low_precision(name, params, dtype):
    s = spec(name)
    ref = _ref(name, params)
    fn = _fn(name, params)
    x = rounded(inputs_for(name), dtype)
    largest = float(np.finfo(np.float16).max) if dtype == "float16" else 3.3895e38
    rtol, atol = TOLERANCES[dtype]

    y = fn(tensor(x, dtype))
    assert dtype_of(y) == dtype
    y = to_numpy(y).astype(np.float64)
    expected = ref(x)
    representable = np.isfinite(expected) & (np.abs(expected) <= largest)
    assert np.isfinite(y[representable]).all(), (
        f"{name}{params} {dtype}: non-finite at x={x[representable & ~np.isfinite(y)]}"
    )
    overflow = np.isfinite(expected) & ~representable
    # Beyond the dtype's range only the correctly signed infinity is allowed.
    assert (
        np.isinf(y[overflow]) & (np.sign(y[overflow]) == np.sign(expected[overflow]))
    ).all()
    assert_close(
        y[representable],
        expected[representable],
        rtol,
        atol,
        x[representable],
        f"{name} {dtype}",
    )

    if s.elementwise:
        xg = rounded(away_from(GRID, non_smooth_points(s)), dtype)
        (dx,) = grad(lambda t: keras.ops.sum(fn(t)), tensor(xg, dtype))
        assert dtype_of(dx) == dtype
        dx = to_numpy(dx).astype(np.float64)
        expected_dx = fd_derivative(ref, xg)
        ok = np.abs(expected_dx) <= largest
    else:
        xg = x
        (dx,) = grad(lambda t: keras.ops.sum(fn(t) * fn(t)), tensor(xg, dtype))
        assert dtype_of(dx) == dtype
        dx = to_numpy(dx).astype(np.float64)
        expected_dx = None
        ok = np.ones(dx.shape, bool)
    assert np.isfinite(dx[ok]).all(), (
        f"d{name} {dtype}: non-finite at x={xg[ok & ~np.isfinite(dx)]}"
    )
    if expected_dx is not None:
        assert_close(dx[ok], expected_dx[ok], rtol, atol, xg[ok], f"d{name} {dtype}")


# --- e. eager, tf.function and XLA agree -------------------------------------------


@pytest.mark.tensorflow
@pytest.mark.parametrize("name,params", ALL_CASES)
def test_eager_graph_and_xla_agree(name, params):
    import tensorflow as tf

    fn = _fn(name, params)
    x = tf.constant(inputs_for(name), tf.float32)
    g = tf.constant(_cotangent(x.shape), tf.float32)

    def value_and_grad(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = fn(x)
            total = tf.reduce_sum(g * y)
        return y, tape.gradient(total, x)

    results = {
        "eager": value_and_grad(x),
        "tf.function": tf.function(value_and_grad)(x),
        "jit_compile": tf.function(value_and_grad, jit_compile=True)(x),
    }
    y0, dx0 = (t.numpy() for t in results["eager"])
    for mode, (y, dx) in results.items():
        # XLA may reassociate float32 arithmetic: a few ulps apart is the same.
        rtol, atol = TOLERANCES["float32"]
        assert_close(y.numpy(), y0, rtol, atol, x.numpy(), f"{name} {mode}")
        assert_close(dx.numpy(), dx0, rtol, atol, x.numpy(), f"d{name} {mode}")


# --- f. one training step ------------------------------------------------------------


@pytest.mark.parametrize("name", keras_acts.names())
def test_one_fit_step(name):
    keras.utils.set_random_seed(SEED)
    rng = np.random.default_rng(SEED)
    data = rng.normal(size=(32, 4)).astype("float32")
    target = rng.normal(size=(32, 1)).astype("float32")
    model = keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(8, activation=name),
            keras.layers.Dense(1),
        ]
    )
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    before = [w.copy() for w in model.layers[0].get_weights()]
    history = model.fit(data, target, batch_size=32, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    after = model.layers[0].get_weights()

    # Whether any gradient flows follows from the reference, not from the name.
    s = spec(name)
    if s.elementwise:
        slopes = fd_derivative(_ref(name, {}), away_from(GRID, s.kinks, KINK_MARGIN))
        zero_gradient = bool(np.all(slopes == 0.0))
    else:
        zero_gradient = False
    changed = any(not np.array_equal(b, a) for b, a in zip(before, after, strict=True))
    if zero_gradient:
        assert not changed, f"{name} has zero derivative, but Dense weights moved"
    else:
        assert changed, f"{name}: one SGD step did not change the Dense weights"
