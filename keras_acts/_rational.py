"""Rational activation units: PAU and orthogonal-Padé (HP-1, HP-2).

A rational unit computes ``F(x) = N(x) / D(x)`` with

* ``N(x) = sum_{i=0..m} c_i f_i(x)``,
* version "A" (safe): ``D(x) = 1 + sum_{j=1..n} |d_j| |f_j(x)|``,
* version "B": ``D(x) = 1 + |sum_{j=1..n} d_j f_j(x)|``,

where ``f_i`` is the polynomial basis: powers ``x^i`` for PAU (then version A
is ``1 + sum |b_k| |x|^k``) or an orthogonal family for orthogonal-Padé. Both
versions keep ``D >= 1``, so the unit has no poles.

Evaluation. Every basis here satisfies a three-term recurrence
``f_{i+1} = (A_i x + B_i) f_i - C_i f_{i-1}``. For ``|x| <= 1`` the kernel runs
it as is. For ``|x| > 1`` it runs the same recurrence on ``h_i = f_i / x^i``
(bounded: ``h_{i+1} = (A_i + B_i / x) h_i - C_i h_{i-1} / x^2``) and divides
numerator and denominator by ``|x|^n``, so no intermediate overflows and no
``inf / inf`` occurs: for finite coefficients the output and every gradient
are finite wherever the true value is (it grows like ``|x|^(m-n)``). Both
cases are one branch-free formula: with ``w = 1`` (small) or ``1/x`` (large)
and ``z = x w``, ``h_{i+1} = (A_i z + B_i w) h_i - C_i w^2 h_{i-1}``.

Kernels. Each (basis, version, degrees) gets one unregistered
`ActivationSpec` whose parameters are the coefficients ``a0..am`` and
``b1..bn`` (tensors), so `keras_acts._kernels.apply` runs it as one fused
forward and one fused backward that saves only ``x`` and the coefficients;
the backward recomputes the recurrence and produces the input gradient and
every coefficient gradient (reduced to the coefficient's shape) together.

Fitting. Initial coefficients come from a float64 NumPy least-squares fit to
a target activation on a range: a linearised fit ``N - f (1 + sum d_j g_j)``
(linear in the coefficients), then Levenberg-Marquardt on the true rational,
then a few Lawson reweightings (towards the minimax fit); the candidate with
the smallest maximum error is kept. Fits are cached.
"""

import dataclasses
import difflib
import functools
import math
import numbers

import keras
import numpy as np
from keras import ops

from keras_acts import _kernels, _math, _saving, _spec

# --- Bases --------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Basis:
    """A polynomial family by its recurrence f_{i+1} = (A x + B) f_i - C f_{i-1}."""

    name: str
    title: str
    recurrence: callable  # i -> (A_i, B_i, C_i), with f_0 = 1, f_{-1} = 0.


def _power(i):
    return 1.0, 0.0, 0.0


def _chebyshev_first_kind(i):
    return (1.0 if i == 0 else 2.0), 0.0, (0.0 if i == 0 else 1.0)


def _chebyshev_second_kind(i):
    return 2.0, 0.0, (0.0 if i == 0 else 1.0)


def _hermite_probabilists(i):
    return 1.0, 0.0, float(i)


def _hermite_physicists(i):
    return 2.0, 0.0, 2.0 * i


def _laguerre(i):
    return -1.0 / (i + 1), (2.0 * i + 1) / (i + 1), i / (i + 1)


def _legendre(i):
    return (2.0 * i + 1) / (i + 1), 0.0, i / (i + 1)


BASES = {
    b.name: b
    for b in (
        _Basis("power", "monomials x^i (Padé activation unit)", _power),
        _Basis(
            "chebyshev_first_kind", "Chebyshev polynomials T_i", _chebyshev_first_kind
        ),
        _Basis(
            "chebyshev_second_kind",
            "Chebyshev polynomials of the second kind U_i",
            _chebyshev_second_kind,
        ),
        _Basis(
            "hermite_probabilists",
            "probabilists' Hermite polynomials He_i",
            _hermite_probabilists,
        ),
        _Basis(
            "hermite_physicists",
            "physicists' Hermite polynomials H_i",
            _hermite_physicists,
        ),
        _Basis("laguerre", "Laguerre polynomials L_i", _laguerre),
        _Basis("legendre", "Legendre polynomials P_i", _legendre),
    )
}
ORTHOGONAL_BASES = tuple(name for name in BASES if name != "power")
VERSIONS = ("A", "B")
MAX_DEGREE = 16
# Floor for the scaled denominator: it only binds for |x| near the float
# range with a zero leading denominator coefficient, where the true value
# overflows anyway; it turns 0/0 into a large finite number.
_DENOMINATOR_FLOOR = 1e-30


def basis_values_numpy(basis, x, degree):
    """f_0..f_degree of `basis` at `x` in float64, by the recurrence."""
    x = np.asarray(x, dtype=np.float64)
    values = [np.ones_like(x)]
    previous = np.zeros_like(x)
    for i in range(degree):
        a, b, c = BASES[basis].recurrence(i)
        values.append((a * x + b) * values[-1] - c * previous)
        previous = values[-2]
    return np.stack(values, axis=-1)


# --- The kernel math (keras.ops; runs inside the fused kernels) ----------------


def _scaled_terms(x, basis, degree, n, with_derivative):
    """Scaled basis values h_i, weights and (optionally) derivatives.

    With w = 1 (|x| <= 1) or 1/x (|x| > 1) and K = `degree` >= n:
    f_i(x) |w|^K = h_i eK_i, f_i'(x) |w|^K = hd_i eK_{i-1} (the numerator's
    scale) and f_i(x) |w|^n = h_i en_i, f_i'(x) |w|^n = hd_i en_{i-1} for
    i <= n (the denominator's). h, hd, eK and en are all bounded, so nothing
    overflows before the final multiplication by `growth` = |x|^(K - n),
    which grows as the true function does (None when K == n).
    """
    big = ops.abs(x) > 1.0
    safe_x = ops.where(big, x, ops.ones_like(x))
    # 1 / safe_x is exactly 1 where safe_x is: no second select (on torch a
    # `where` is a slow pass of its own).
    w = 1.0 / safe_x
    if _kernels.op_by_op():
        # Except in TensorFlow graphs of plain ops (a served model): grappler
        # rewrites 1 / x as Reciprocal, whose vectorised CPU kernel is not
        # correctly rounded (1 / 1 = 1 - 2^-24). Then a basis term that is
        # exactly 0 at |x| = 1 (He_2, L_1) is not, and the derivative takes
        # one side of the kink of |term| instead of sign(0) = 0, as the
        # compiled kernels do (a restored SavedModel's gradient differed
        # from the Keras model's by up to 0.35 at x = +-1).
        w = ops.where(big, w, ops.ones_like(x))
    # z = x w, selected rather than multiplied: 1/x flushes to 0 near the
    # float32 limit.
    z = ops.where(big, ops.ones_like(x), x)
    w2 = w * w
    h = [ops.ones_like(x)]
    hd = [ops.zeros_like(x)]
    h_prev = hd_prev = None
    for i in range(degree):
        a_i, b_i, c_i = BASES[basis].recurrence(i)
        factor = z if a_i == 1.0 else a_i * z
        if b_i:
            factor = factor + b_i * w
        h_next = factor * h[-1]
        if c_i and h_prev is not None:
            h_next = h_next - (c_i * w2) * h_prev
        if with_derivative:
            hd_next = a_i * h[-1] if i else ops.full_like(x, a_i)
            if i:
                hd_next = hd_next + factor * hd[-1]
            if c_i and hd_prev is not None:
                hd_next = hd_next - (c_i * w2) * hd_prev
            hd_prev = hd[-1]
            hd.append(hd_next)
        h_prev = h[-1]
        h.append(h_next)
    # e_i = sign(w)^i |w|^(scale - i): e_scale = sign(w)^scale and
    # e_{i-1} = e_i w, down to e_{-1}.
    # sign(w) from x, not from w: 1/x flushes to 0 near the float limits
    # (and is 0 at +-inf), where sign(w) would drop the leading term.
    sign_w = ops.sign(safe_x)  # +-1: safe_x is 1 or a number beyond +-1.

    def weights(scale):
        e = {scale: sign_w if scale % 2 else ops.ones_like(x)}
        for i in range(scale - 1, -2, -1):
            e[i] = e[i + 1] * w
        return e

    e_num = weights(degree)
    e_den = e_num if degree == n else weights(n)
    growth = None
    if degree > n:
        growth = ops.abs(safe_x)
        for _ in range(degree - n - 1):
            growth = growth * ops.abs(safe_x)
    return h, hd, e_num, e_den, growth


def _rational_parts(x, coeffs, m, n, version, basis, with_derivative=False):
    """Scaled numerator, denominator and the pieces the gradients need.

    N is the numerator times |w|^K (K = max(m, n)), D the denominator times
    |w|^n; the unit is (N / D) * growth.
    """
    num = [coeffs[f"a{i}"] for i in range(m + 1)]
    den = [coeffs[f"b{j}"] for j in range(1, n + 1)]
    h, hd, e_num, e_den, growth = _scaled_terms(x, basis, max(m, n), n, with_derivative)
    num_terms = [h[i] * e_num[i] for i in range(m + 1)]  # f_i |w|^K
    den_terms = [h[j] * e_den[j] for j in range(n + 1)]  # f_j |w|^n
    numerator = num[0] * num_terms[0]
    for i in range(1, m + 1):
        numerator = numerator + num[i] * num_terms[i]
    base = ops.abs(e_den[0])  # |w|^n: the scaled "1".
    if version == "A":
        denominator = base
        for j in range(1, n + 1):
            denominator = denominator + ops.abs(den[j - 1]) * ops.abs(den_terms[j])
        s = None
    else:
        s = den[0] * den_terms[1]
        for j in range(2, n + 1):
            s = s + den[j - 1] * den_terms[j]
        denominator = base + ops.abs(s)
    denominator = _math.maximum(denominator, _DENOMINATOR_FLOOR)
    return dict(
        num=num, den=den, h=h, hd=hd, e_num=e_num, e_den=e_den,
        num_terms=num_terms, den_terms=den_terms, N=numerator, D=denominator,
        S=s, growth=growth,
    )  # fmt: skip


def _grow(value, growth):
    return value if growth is None else value * growth


def _make_functions(m, n, version, basis):
    def forward(x, **coeffs):
        p = _rational_parts(x, coeffs, m, n, version, basis)
        return _grow(p["N"] / p["D"], p["growth"])

    def derivative(x, **coeffs):
        p = _rational_parts(x, coeffs, m, n, version, basis, with_derivative=True)
        inv_d = 1.0 / p["D"]
        ratio = p["N"] * inv_d
        hd, e_num, e_den, terms = p["hd"], p["e_num"], p["e_den"], p["den_terms"]
        dnum = p["num"][1] * hd[1] * e_num[0] if m >= 1 else ops.zeros_like(x)
        for i in range(2, m + 1):
            dnum = dnum + p["num"][i] * hd[i] * e_num[i - 1]
        if version == "A":
            dden = ops.abs(p["den"][0]) * ops.sign(terms[1]) * hd[1] * e_den[0]
            for j in range(2, n + 1):
                dden = dden + (
                    ops.abs(p["den"][j - 1]) * ops.sign(terms[j]) * hd[j] * e_den[j - 1]
                )
        else:
            dden = p["den"][0] * hd[1] * e_den[0]
            for j in range(2, n + 1):
                dden = dden + p["den"][j - 1] * hd[j] * e_den[j - 1]
            dden = ops.sign(p["S"]) * dden
        return _grow((dnum - ratio * dden) * inv_d, p["growth"])

    def param_derivatives(x, **coeffs):
        p = _rational_parts(x, coeffs, m, n, version, basis)
        inv_d = 1.0 / p["D"]
        growth = p["growth"]
        grads = {
            f"a{i}": _grow(p["num_terms"][i] * inv_d, growth) for i in range(m + 1)
        }
        minus_ratio_over_d = -(p["N"] * inv_d) * inv_d
        for j in range(1, n + 1):
            terms = p["den_terms"]
            if version == "A":
                partial = ops.sign(p["den"][j - 1]) * ops.abs(terms[j])
            else:
                partial = ops.sign(p["S"]) * terms[j]
            grads[f"b{j}"] = _grow(minus_ratio_over_d * partial, growth)
        return grads

    return forward, derivative, param_derivatives


_PAU_REFERENCE = _spec.Reference(
    "Molina, Schramowski & Kersting 2019, Padé Activation Units: End-to-end "
    "Learning of Flexible Activation Functions in Deep Networks",
    "https://arxiv.org/abs/1907.06732",
)
_ORTHOGONAL_REFERENCE = _spec.Reference(
    "Biswas, Banerjee & Pandey 2021, Orthogonal-Padé Activation Functions: "
    "Trainable activation functions for smooth and faster convergence in deep "
    "networks",
    "https://arxiv.org/abs/2106.09693",
)


@functools.cache
def rational_spec(m, n, version, basis):
    """The (unregistered, cached) ActivationSpec of one rational family."""
    forward, derivative, param_derivatives = _make_functions(m, n, version, basis)
    params = tuple(
        _spec.Param(f"a{i}", 0.0, f"Numerator coefficient of f_{i}.")
        for i in range(m + 1)
    ) + tuple(
        _spec.Param(f"b{j}", 0.0, f"Denominator coefficient of f_{j}.")
        for j in range(1, n + 1)
    )
    denominator = (
        r"1 + \sum_{j=1}^{n} |b_j|\,|f_j(x)|"
        if version == "A"
        else r"1 + \left|\sum_{j=1}^{n} b_j f_j(x)\right|"
    )
    spec = _spec.ActivationSpec(
        name=f"rational_{basis}_{version}_{m}_{n}",
        forward=forward,
        params=params,
        formula=rf"\frac{{\sum_{{i=0}}^{{m}} a_i f_i(x)}}{{{denominator}}}",
        reference=_PAU_REFERENCE if basis == "power" else _ORTHOGONAL_REFERENCE,
        output_range=(-math.inf, math.inf),
        monotonic=False,
        smooth=False,
        value_at_zero=None,  # a_0 f_0(0) / D(0): depends on the coefficients.
        summary=f"Rational unit, {BASES[basis].title}, version {version}, "
        f"degrees {m}/{n}.",
        description="",
        derivative=derivative,
        param_derivatives=param_derivatives,
    )
    return spec


def rational(x, numerator, denominator, version="A", basis="power", param_grads=True):
    """Applies a rational unit with given coefficients (tensors or arrays).

    `numerator` is a sequence of m+1 coefficients (each a scalar or a tensor
    broadcastable to `x`), `denominator` a sequence of n.
    """
    m, n = len(numerator) - 1, len(denominator)
    values = {f"a{i}": c for i, c in enumerate(numerator)}
    values.update({f"b{j + 1}": c for j, c in enumerate(denominator)})
    # A NumPy scalar keeps its dtype (Keras's torch backend makes np.float64
    # scalars float32, as it does Python floats).
    values = {
        k: ops.convert_to_tensor(np.asarray(v) if isinstance(v, np.generic) else v)
        for k, v in values.items()
    }
    spec = rational_spec(m, n, version, basis)
    return _kernels.apply(spec, x, values, param_grads=param_grads)


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
    hint = f" Did you mean: {', '.join(map(repr, matches))}?" if matches else ""
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


# --- Layers --------------------------------------------------------------------


def _check_int(value, name, owner, low, high):
    if (
        not isinstance(value, numbers.Integral)
        or isinstance(value, bool)
        or not low <= value <= high
    ):
        raise ValueError(
            f"{owner}: argument `{name}` got {value!r}; expected an integer "
            f"from {low} to {high}."
        )
    return int(value)


def _check_choice(value, name, owner, choices):
    if isinstance(value, str) and value in choices:
        return value
    hint = ""
    if isinstance(value, str):
        matches = [c for c in choices if c.lower() == value.lower()]
        matches += [c for c in _spec.close_matches(value, choices) if c not in matches]
        if matches:
            hint = f" Did you mean: {', '.join(map(repr, matches))}?"
    raise ValueError(
        f"{owner}: argument `{name}` got {value!r}; allowed values are "
        f"{', '.join(map(repr, choices))}.{hint}"
    )


def _check_range(value, owner):
    ok = (
        isinstance(value, (tuple, list))
        and len(value) == 2
        and all(
            isinstance(v, numbers.Real) and not isinstance(v, bool) and math.isfinite(v)
            for v in value
        )
        and value[0] < value[1]
    )
    if not ok:
        raise ValueError(
            f"{owner}: argument `fit_range` got {value!r}; expected two finite "
            "numbers (low, high) with low < high."
        )
    return (float(value[0]), float(value[1]))


def _check_coefficients(value, m, n, owner):
    if value is None:
        return None
    if isinstance(value, dict) and set(value) == {"numerator", "denominator"}:
        num, den = value["numerator"], value["denominator"]
    else:
        raise ValueError(
            f"{owner}: argument `initial_coefficients` got {value!r}; expected "
            "None or a dict with keys 'numerator' and 'denominator'."
        )
    try:
        num = np.asarray(num, dtype=np.float64)
        den = np.asarray(den, dtype=np.float64)
    except (TypeError, ValueError):
        num = den = np.array([np.nan])
    if (
        num.shape != (m + 1,)
        or den.shape != (n,)
        or not (np.all(np.isfinite(num)) and np.all(np.isfinite(den)))
    ):
        raise ValueError(
            f"{owner}: argument `initial_coefficients` got {value!r}; expected "
            f"{m + 1} finite numerator and {n} finite denominator coefficients "
            f"(numerator_degree={m}, denominator_degree={n})."
        )
    return num, den


def _owner(layer):
    return f"keras_acts.layers.{type(layer).__name__}"


class _Rational(keras.layers.Layer):
    """Shared implementation of PAU and OrthogonalPade."""

    _basis_fixed = None

    def __init__(
        self,
        numerator_degree,
        denominator_degree,
        version,
        basis,
        approximate,
        fit_range,
        initial_coefficients,
        per_channel,
        axis,
        coefficient_regularizer,
        coefficient_constraint,
        **kwargs,
    ):
        owner = _owner(self)
        from keras_acts.layers._activation import check_kwargs, keras_object

        check_kwargs(type(self), kwargs, owner)
        super().__init__(**kwargs)
        self.numerator_degree = _check_int(
            numerator_degree, "numerator_degree", owner, 0, MAX_DEGREE
        )
        self.denominator_degree = _check_int(
            denominator_degree, "denominator_degree", owner, 1, MAX_DEGREE
        )
        self.version = _check_choice(version, "version", owner, VERSIONS)
        self.basis = _check_choice(basis, "basis", owner, tuple(BASES))
        self.fit_range = _check_range(fit_range, owner)
        if not isinstance(per_channel, bool):
            raise ValueError(
                f"{owner}: argument `per_channel` got {per_channel!r}; expected "
                "True or False."
            )
        self.per_channel = per_channel
        if not isinstance(axis, numbers.Integral) or isinstance(axis, bool):
            raise ValueError(
                f"{owner}: argument `axis` got {axis!r}; expected an integer."
            )
        self.axis = int(axis)
        self.coefficient_regularizer = keras_object(
            keras.regularizers.get,
            coefficient_regularizer,
            "coefficient_regularizer",
            owner,
        )
        self.coefficient_constraint = keras_object(
            keras.constraints.get,
            coefficient_constraint,
            "coefficient_constraint",
            owner,
        )
        if approximate is None and initial_coefficients is None:
            raise ValueError(
                f"{owner}: give `approximate` (a name or callable to fit) or "
                "`initial_coefficients`; both are None."
            )
        self.approximate = (
            None if approximate is None else validate_target(approximate, owner)
        )
        m, n = self.numerator_degree, self.denominator_degree
        given = _check_coefficients(initial_coefficients, m, n, owner)
        if given is not None:
            self._initial = given
            self.fit_error = (
                None
                if self.approximate is None
                else max_error(
                    *given, self.approximate, self.version, self.basis, self.fit_range
                )
            )
        else:
            num, den, self.fit_error = fit(
                self.approximate, m, n, self.version, self.basis, self.fit_range
            )
            self._initial = (num, den)
        self.spec = rational_spec(m, n, self.version, self.basis)

    def build(self, input_shape):
        owner = _owner(self)
        rank = len(input_shape)
        shape_suffix = ()
        if self.per_channel:
            if not -rank <= self.axis < rank:
                raise ValueError(
                    f"{owner}: argument `axis` got {self.axis}; inputs have "
                    f"rank {rank} (shape {tuple(input_shape)})."
                )
            channels = input_shape[self.axis]
            if channels is None:
                raise ValueError(
                    f"{owner}: per_channel=True needs a known size on axis "
                    f"{self.axis}; got input shape {tuple(input_shape)}."
                )
            shape_suffix = (int(channels),)
            self._channel_shape = (int(channels),) + (1,) * (
                rank - 1 - (self.axis % rank)
            )
        num, den = self._initial

        def initializer(values):
            def init(shape, dtype=None):
                full = np.broadcast_to(values.reshape((-1,) + (1,) * len(shape_suffix)),
                                       shape)  # fmt: skip
                return ops.convert_to_tensor(np.array(full), dtype=dtype)

            return init

        common = dict(
            regularizer=self.coefficient_regularizer,
            constraint=self.coefficient_constraint,
            autocast=False,  # Stay float32 under mixed precision.
        )
        self.numerator = self.add_weight(
            shape=(len(num),) + shape_suffix,
            initializer=initializer(num),
            name="numerator",
            **common,
        )
        self.denominator = self.add_weight(
            shape=(len(den),) + shape_suffix,
            initializer=initializer(den),
            name="denominator",
            **common,
        )

    def call(self, inputs):
        # As tensors: Keras's torch `unstack` does not accept a variable.
        numerator = ops.unstack(ops.convert_to_tensor(self.numerator), axis=0)
        denominator = ops.unstack(ops.convert_to_tensor(self.denominator), axis=0)
        if self.per_channel and len(self._channel_shape) > 1:
            numerator = [ops.reshape(c, self._channel_shape) for c in numerator]
            denominator = [ops.reshape(c, self._channel_shape) for c in denominator]
        return rational(
            inputs,
            numerator,
            denominator,
            self.version,
            self.basis,
            param_grads=self.trainable,  # A frozen unit skips coefficient grads.
        )

    def compute_output_shape(self, input_shape):
        return input_shape

    def coefficients(self):
        """The current coefficients as float64 NumPy arrays.

        Returns:
            ``(numerator, denominator)``: shapes ``(m+1,)`` and ``(n,)``, or
            ``(m+1, channels)`` and ``(n, channels)`` when per-channel. Before
            the layer is built, the initial coefficients.
        """
        if not self.built:
            return tuple(np.array(c, dtype=np.float64) for c in self._initial)
        return (
            np.asarray(ops.convert_to_numpy(self.numerator), np.float64),
            np.asarray(ops.convert_to_numpy(self.denominator), np.float64),
        )

    def get_config(self):
        config = super().get_config()
        num, den = self._initial
        config.update(
            numerator_degree=self.numerator_degree,
            denominator_degree=self.denominator_degree,
            version=self.version,
            # A callable target cannot be saved; the fitted coefficients are.
            approximate=self.approximate if isinstance(self.approximate, str) else None,
            fit_range=list(self.fit_range),
            initial_coefficients={
                "numerator": [float(v) for v in num],
                "denominator": [float(v) for v in den],
            },
            per_channel=self.per_channel,
            axis=self.axis,
            coefficient_regularizer=keras.regularizers.serialize(
                self.coefficient_regularizer
            ),
            coefficient_constraint=keras.constraints.serialize(
                self.coefficient_constraint
            ),
        )
        if self._basis_fixed is None:
            config["basis"] = self.basis
        return config


_COMMON_ARGS = """\
        numerator_degree: int, default 5. Degree m of the numerator (0 to 16).
        denominator_degree: int, default 4. Degree n of the denominator (1 to
            16).
        version: "A" (default) or "B". "A": $D = 1 + \\sum_j |b_j| |f_j(x)|$;
            "B": $D = 1 + |\\sum_j b_j f_j(x)|$. Both are $\\ge 1$ everywhere.
        approximate: str or callable, default "leaky_relu". The activation
            the unit starts as: the coefficients are a float64 NumPy
            least-squares fit to it on `fit_range`. A name from
            `keras_acts.names()` or "leaky_relu" (slope 0.01, the PAU
            paper's; Keras's own defaults to 0.2), or any callable mapping a
            float64 NumPy array to an array (e.g. ``np.tanh``). Fits are
            deterministic and cached per (target, degrees, version, basis,
            range). May be None when `initial_coefficients` is given.
        fit_range: (low, high), default (-3.0, 3.0). Range of the fit.
        initial_coefficients: None (default) or a dict ``{"numerator": m+1
            numbers, "denominator": n numbers}`` used instead of fitting
            (`get_config` stores the fitted ones here, so a callable target
            need not be serializable).
        per_channel: bool, default False. False: one set of coefficients for
            the whole layer; True: one set per channel along `axis`.
        axis: int, default -1. The channel axis when `per_channel` (use 1
            for channels_first).
        coefficient_regularizer: regularizer for the coefficients, default
            None.
        coefficient_constraint: constraint for the coefficients, default None.
        **kwargs: Standard layer arguments (`name`, `dtype`, `trainable`...).

    Call arguments:
        inputs: a float tensor of any shape (float16/bfloat16 are computed in
            float32). With `per_channel`, its size along `axis` is the number
            of channels.

    Returns:
        A tensor of the same shape and dtype as `inputs`.

    Attributes:
        fit_error: float or None. Max absolute error of the initial
            coefficients against the target on `fit_range` (None if there is
            no target).
        numerator, denominator: the coefficient variables, shapes (m+1,) and
            (n,), or (m+1, channels) and (n, channels).

    Inspecting a learned unit: ``layer.coefficients()`` returns the current
    coefficients as NumPy arrays; calling the layer on
    ``np.linspace(-5, 5, 201)`` (shared coefficients) gives its shape.
"""


@_saving.register
class PAU(_Rational):
    __doc__ = rf"""Padé Activation Unit: a learnable rational function.

    $F(x) = P(x) / Q(x)$ with $P(x) = a_0 + a_1 x + \dots + a_m x^m$ and

    * version "A" (safe PAU): $Q(x) = 1 + |b_1| |x| + \dots + |b_n| |x|^n$,
    * version "B": $Q(x) = 1 + |b_1 x + \dots + b_n x^n|$.

    $Q \ge 1$, so the unit has no poles. Default degrees 5/4, initialised as
    leaky ReLU (slope 0.01) by a least-squares fit on [-3, 3]; for that
    case the fit's max error (about 0.014) is below that of the authors'
    published coefficients (about 0.030). The kernel evaluates the
    polynomials by their recurrence (scaled by 1/x for |x| > 1, so it
    never overflows to inf/inf) and computes every gradient in one fused
    backward pass that stores only the input.

    Args:
{_COMMON_ARGS}
    Example:

    >>> import keras
    >>> from keras_acts.layers import PAU
    >>> model = keras.Sequential([keras.Input((16,)), keras.layers.Dense(32),
    ...                           PAU(), keras.layers.Dense(1)])
    >>> numerator, denominator = model.layers[1].coefficients()

    Reference:
        [Molina, Schramowski & Kersting 2019, Padé Activation Units]
        (https://arxiv.org/abs/1907.06732). Versions A and B follow the
        authors' rational-activations library.
    """

    def __init__(
        self,
        numerator_degree=5,
        denominator_degree=4,
        version="A",
        approximate="leaky_relu",
        fit_range=(-3.0, 3.0),
        initial_coefficients=None,
        per_channel=False,
        axis=-1,
        coefficient_regularizer=None,
        coefficient_constraint=None,
        **kwargs,
    ):
        if "basis" in kwargs and kwargs["basis"] != "power":
            raise ValueError(
                f"{_owner(self)}: argument `basis` got {kwargs['basis']!r}; PAU "
                "uses the power basis ('power'). For an orthogonal basis use "
                "keras_acts.layers.OrthogonalPade."
            )
        kwargs.pop("basis", None)
        super().__init__(
            numerator_degree, denominator_degree, version, "power", approximate,
            fit_range, initial_coefficients, per_channel, axis,
            coefficient_regularizer, coefficient_constraint, **kwargs,
        )  # fmt: skip

    _basis_fixed = "power"


@_saving.register
class OrthogonalPade(_Rational):
    __doc__ = rf"""Orthogonal-Padé unit: learnable rational function, orthogonal basis.

    $F(x) = (c_0 f_0(x) + \dots + c_m f_m(x)) / D(x)$ with

    * version "A" (safe, the paper's form):
      $D(x) = 1 + |d_1| |f_1(x)| + \dots + |d_n| |f_n(x)|$,
    * version "B": $D(x) = 1 + |d_1 f_1(x) + \dots + d_n f_n(x)|$,

    where $f_i$ is one of the six families of the paper (`basis`):
    "chebyshev_first_kind" ($T_i$), "chebyshev_second_kind" ($U_i$),
    "hermite_probabilists" ($\mathit{{He}}_i$), "hermite_physicists" ($H_i$),
    "laguerre" ($L_i$), "legendre" ($P_i$); conventions as in
    `numpy.polynomial` (chebyshev, hermite_e, hermite, laguerre, legendre).
    `HP1` and `HP2` are the paper's two best ("safe Hermite-Padé")
    presets. Initialisation, kernels and inspection as in `PAU`.

    Args:
        basis: str, default "hermite_probabilists". One of the six above.
{_COMMON_ARGS}
    Example:

    >>> from keras_acts.layers import OrthogonalPade
    >>> unit = OrthogonalPade(basis="legendre", approximate="swish")
    >>> unit.fit_error < 0.05
    True

    Reference:
        [Biswas, Banerjee & Pandey 2021, Orthogonal-Padé Activation
        Functions](https://arxiv.org/abs/2106.09693).
    """

    def __init__(
        self,
        basis="hermite_probabilists",
        numerator_degree=5,
        denominator_degree=4,
        version="A",
        approximate="leaky_relu",
        fit_range=(-3.0, 3.0),
        initial_coefficients=None,
        per_channel=False,
        axis=-1,
        coefficient_regularizer=None,
        coefficient_constraint=None,
        **kwargs,
    ):
        if self._basis_fixed is None:
            _check_choice(basis, "basis", _owner(self), ORTHOGONAL_BASES)
        super().__init__(
            numerator_degree, denominator_degree, version, basis, approximate,
            fit_range, initial_coefficients, per_channel, axis,
            coefficient_regularizer, coefficient_constraint, **kwargs,
        )  # fmt: skip


_HP_NOTE = """
    What the paper fixes and what is ours: the paper (arXiv 2106.09693,
    abstract) names its two best of six orthogonal-Padé activations "safe
    Hermite-Padé" HP-1 and HP-2 (safe = the version "A" denominator). We
    could not read the paper's body here, so these are UNVERIFIED: that HP-1
    uses probabilists' and HP-2 physicists' Hermite polynomials, the default
    degrees 5/4, and the leaky-ReLU initialisation. Pass `numerator_degree`,
    `denominator_degree`, `approximate` or `initial_coefficients` to follow
    the paper's exact setting.
"""


def _hermite_preset(name, basis, label):
    def __init__(self, numerator_degree=5, denominator_degree=4, version="A",
                 approximate="leaky_relu", fit_range=(-3.0, 3.0),
                 initial_coefficients=None, per_channel=False, axis=-1,
                 coefficient_regularizer=None, coefficient_constraint=None,
                 **kwargs):  # fmt: skip
        if "basis" in kwargs and kwargs["basis"] != basis:
            raise ValueError(
                f"{_owner(self)}: argument `basis` got {kwargs['basis']!r}; "
                f"{name} fixes it to {basis!r} (use OrthogonalPade for another)."
            )
        kwargs.pop("basis", None)
        OrthogonalPade.__init__(
            self, basis, numerator_degree, denominator_degree, version,
            approximate, fit_range, initial_coefficients, per_channel, axis,
            coefficient_regularizer, coefficient_constraint, **kwargs,
        )  # fmt: skip

    doc = rf"""{label}: safe Hermite-Padé unit, `OrthogonalPade` with basis "{basis}".

    $F(x) = \frac{{\sum_i c_i f_i(x)}}{{1 + \sum_j |d_j| \, |f_j(x)|}}$ with
    $f_i$ the {BASES[basis].title}. Same arguments as `OrthogonalPade` except `basis`.
{_HP_NOTE}
    Example:

    >>> from keras_acts.layers import {name}
    >>> unit = {name}()  # starts as leaky ReLU (slope 0.01) on [-3, 3]

    Reference:
        [Biswas, Banerjee & Pandey 2021, Orthogonal-Padé Activation
        Functions](https://arxiv.org/abs/2106.09693).
    """
    cls = type(
        name,
        (OrthogonalPade,),
        {"__init__": __init__, "__doc__": doc, "_basis_fixed": basis,
         "__module__": __name__},
    )  # fmt: skip
    return _saving.register(cls)


HP1 = _hermite_preset("HP1", "hermite_probabilists", "HP-1")
HP2 = _hermite_preset("HP2", "hermite_physicists", "HP-2")

__all__ = ["PAU", "OrthogonalPade", "HP1", "HP2"]
