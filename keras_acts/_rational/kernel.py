"""The rational kernel: N(x) / D(x) in keras.ops, inside the fused kernels.

One unregistered `ActivationSpec` per (basis, version, degrees); see
`keras_acts._rational` for the evaluation scheme.
"""

import functools
import math

import keras
import numpy as np
from keras import ops

from keras_acts import _kernels, _math, _spec
from keras_acts._rational.bases import _DENOMINATOR_FLOOR, BASES

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
    if keras.backend.backend() == "torch":
        from keras_acts._rational import torch_kernel

        x = _kernels.to_float_tensor(x)
        if torch_kernel.applies(x):
            # Eager torch: the unscaled evaluation where it cannot overflow,
            # in a few in-place passes (`torch_kernel`).
            coefficients = [values[p.name] for p in spec.params]
            return torch_kernel.rational(
                spec, x, coefficients, version, basis, param_grads
            )
    return _kernels.apply(spec, x, values, param_grads=param_grads)
