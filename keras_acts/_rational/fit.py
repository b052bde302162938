"""Initial coefficients: a float64 NumPy fit of a rational to a target
activation on a range (see `keras_acts._rational`). Fits are cached."""

import difflib
import functools

import numpy as np
from keras import ops

from keras_acts import _spec
from keras_acts._rational.bases import basis_values_numpy

# --- Fitting (NumPy, float64) ---------------------------------------------------

# PAU's default target is leaky ReLU with the paper's slope 0.01 (Keras's
# `leaky_relu` defaults to 0.2).
_PAPER_TARGETS = {
    "leaky_relu": lambda x: np.where(x >= 0.0, x, 0.01 * x),
}
_FIT_POINTS = 2001


def _target_names():
    from keras_acts import _names

    return sorted(set(_PAPER_TARGETS) | set(_names.names()))


def validate_target(target, owner):
    """Returns `target` if it is a known name or a callable, else raises."""
    if callable(target):
        return target
    if isinstance(target, str) and target in _target_names():
        return target
    candidates = _target_names()
    matches = difflib.get_close_matches(str(target), candidates, n=5, cutoff=0.5)
    hint = _spec.did_you_mean(matches)
    raise ValueError(
        f"{owner}: argument `approximate` got {target!r}; expected a callable "
        f"or one of keras_acts.names() or 'leaky_relu' (slope 0.01).{hint}"
    )


def target_values(target, x):
    """The target activation on the float64 grid `x`."""
    if isinstance(target, str):
        if target in _PAPER_TARGETS:
            y = _PAPER_TARGETS[target](x)
        else:
            from keras_acts import _names

            y = ops.convert_to_numpy(_names.get(target)(x))
    else:
        y = target(x)
        if not isinstance(y, np.ndarray):
            y = ops.convert_to_numpy(y)
    y = np.asarray(y, dtype=np.float64)
    if y.shape != x.shape or not np.all(np.isfinite(y)):
        raise ValueError(
            f"approximate={target!r} must map a float64 array to finite values "
            f"of the same shape; got shape {y.shape}."
        )
    return y


def _evaluate_numpy(numerator, denominator, features, version):
    """F and its Jacobian w.r.t. (numerator, denominator) on basis `features`."""
    m1 = len(numerator)
    n = len(denominator)
    p = features[:, :m1] @ numerator
    g = features[:, 1 : n + 1]
    if version == "A":
        q = 1.0 + np.abs(g) @ np.abs(denominator)
        dq = np.abs(g) * np.sign(denominator)
    else:
        s = g @ denominator
        q = 1.0 + np.abs(s)
        dq = g * np.sign(s)[:, None]
    f = p / q
    jac = np.concatenate([features[:, :m1] / q[:, None], -(f / q)[:, None] * dq], 1)
    return f, jac


def _levenberg_marquardt(theta, features, y, weights, m1, version, iters):
    def residual(t):
        f, jac = _evaluate_numpy(t[:m1], t[m1:], features, version)
        return f - y, jac

    r, jac = residual(theta)
    cost = np.sum(weights * r * r)
    damping = 1e-3
    sw = np.sqrt(weights)
    for _ in range(iters):
        jw = jac * sw[:, None]
        hessian = jw.T @ jw
        gradient = jw.T @ (r * sw)
        try:
            step = np.linalg.solve(
                hessian + damping * np.diag(np.diag(hessian) + 1e-12), -gradient
            )
        except np.linalg.LinAlgError:
            damping *= 10.0
            continue
        candidate = theta + step
        r2, jac2 = residual(candidate)
        cost2 = np.sum(weights * r2 * r2)
        if np.isfinite(cost2) and cost2 < cost:
            theta, r, jac, cost = candidate, r2, jac2, cost2
            damping = max(damping / 3.0, 1e-12)
        else:
            damping *= 4.0
            if damping > 1e12:
                break
    return theta, r


@functools.lru_cache(maxsize=256)
def _fit_cached(target, m, n, version, basis, fit_range):
    x = np.linspace(fit_range[0], fit_range[1], _FIT_POINTS)
    y = target_values(target, x)
    features = basis_values_numpy(basis, x, max(m, n))
    m1 = m + 1
    g = features[:, 1 : n + 1]
    linear_terms = np.abs(g) if version == "A" else g
    # Linearised: N(x) - y (1 + sum d_j g_j(x)) = 0 is linear in (c, d).
    system = np.concatenate([features[:, :m1], -y[:, None] * linear_terms], 1)
    theta = np.linalg.lstsq(system, y, rcond=None)[0]
    if version == "A":
        theta[m1:] = np.abs(theta[m1:])
    best_error, best = np.inf, theta
    weights = np.ones_like(x)
    for _ in range(12):  # Lawson: reweight by |residual| towards minimax.
        theta, r = _levenberg_marquardt(theta, features, y, weights, m1, version, 25)
        error = float(np.max(np.abs(r)))
        if error < best_error:
            best_error, best = error, theta.copy()
        weights = weights * np.abs(r)
        weights = np.maximum(weights / np.mean(weights), 1e-8)
    return tuple(best[:m1]), tuple(best[m1:]), best_error


def fit(target, numerator_degree, denominator_degree, version="A", basis="power",
        fit_range=(-3.0, 3.0)):  # fmt: skip
    """Least-squares rational fit of `target` on `fit_range` (float64 NumPy).

    Args:
        target: a name (see `validate_target`) or a callable on float64 arrays.
        numerator_degree, denominator_degree: m and n.
        version: "A" or "B".
        basis: a key of `BASES`.
        fit_range: (low, high).

    Returns:
        (numerator coefficients, denominator coefficients, max abs error on the
        range), as two float64 arrays and a float. Cached per argument tuple.
    """
    key = (target, int(numerator_degree), int(denominator_degree), version, basis,
           (float(fit_range[0]), float(fit_range[1])))  # fmt: skip
    try:
        num, den, error = _fit_cached(*key)
    except TypeError:  # Unhashable callable: fit without caching.
        num, den, error = _fit_cached.__wrapped__(*key)
    return np.array(num), np.array(den), error


def max_error(numerator, denominator, target, version, basis, fit_range):
    """Max |F - target| on the fitting grid of `fit_range`, in float64."""
    x = np.linspace(fit_range[0], fit_range[1], _FIT_POINTS)
    y = target_values(target, x)
    n = len(denominator)
    features = basis_values_numpy(basis, x, max(len(numerator) - 1, n))
    f, _ = _evaluate_numpy(
        np.asarray(numerator, np.float64), np.asarray(denominator, np.float64),
        features, version,
    )  # fmt: skip
    return float(np.max(np.abs(f - y)))
