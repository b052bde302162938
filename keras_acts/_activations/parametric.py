"""Parametric families (Biswas et al.): tanhsoft and EIS.

Their parameters are what the learnable layers train; the formulas keep
every parameter gradient finite over the parameters' allowed ranges.
"""

import math

from keras import ops

from keras_acts import _kernels
from keras_acts._math import (  # The numeric primitives.
    _TANH_SATURATION,
    _TORCH,
    INF,
    _divide,
    _is,
    _is_float64,
    _is_number,
    _log1p_unit,
    _maximum,
    _minimum,
    _native,
    _op_by_op,
    _sigmoid_fraction,
    _sigmoid_from_gate,
    _softplus,
    _softplus_and_gate,
    _tanh_fraction,
    _tanh_rational,
    _times,
)
from keras_acts._spec import LayerOptions, Param, Reference, activation

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


def _torch_zero(p):
    """True for a torch tensor parameter that is 0 everywhere and that torch
    autograd does not record (inside keras_acts' fused op): a formula may
    then take the static-0 form, which gives the same values (the
    recorded forms keep their derivatives in it). One read of a few values."""
    if not _TORCH or _is_number(p) or _torch_records(p):
        return False
    return not bool(ops.any(p != 0.0))


def _torch_positive(p):
    """True for a torch tensor parameter > 0 everywhere that torch autograd
    does not record (as `_torch_zero`): the static p > 0 forms apply."""
    if not _TORCH or _is_number(p) or _torch_records(p):
        return False
    return bool(ops.all(p > 0.0))


def _torch_one(p):
    """True for a torch tensor parameter equal to 1 everywhere that torch
    autograd does not record (as `_torch_zero`)."""
    if not _TORCH or _is_number(p) or _torch_records(p):
        return False
    return not bool(ops.any(p != 1.0))


def _torch_static(p, value):
    """`value` (a number) for a torch tensor parameter equal to it everywhere
    and not recorded by torch autograd (`_torch_zero`), else p: the formulas
    then drop the terms a static parameter drops, with the same values."""
    same = _torch_zero(p) if value == 0 else value == 1 and _torch_one(p)
    return value if same else p


def _log_delta_plus_exp(x, delta):
    """ln(delta + e^x), stably; exactly x for delta = 0."""
    if _torch_zero(delta):
        # ln(0 + e^x) = x: logaddexp(x, ln 0) gives exactly x too, in a
        # pass as slow as several exps.
        return x
    if _op_by_op() and not _is(delta, 0) and not _is_float64(x):
        if _is_number(delta) or not _delta_differentiated(delta):
            return _torch_log_delta_plus_exp(x, delta)
    return _log_delta_plus_exp_parts(x, delta)[0]


# exp of more than this overflows (float32 and below compute in float32).
_EXP_CAP_FLOAT32 = 88.0
_EXP_CAP_FLOAT64 = 709.0


def _exp_cap(x):
    return _EXP_CAP_FLOAT64 if _is_float64(x) else _EXP_CAP_FLOAT32


def _delta_differentiated(delta):
    """Whether derivatives in a tensor delta may be taken through the ops
    placed now: not where torch autograd does not record them (the fused
    ops' forward and backward), nor in TensorFlow's eager calls no tape
    records. There the plain ln delta forms run, with fewer torch passes."""
    if _TORCH:
        return _torch_records(delta)
    return not _kernels.eager_op_by_op()


def _tensor_log_delta(delta):
    """(delta > 0, ln delta there and 0 elsewhere) for a tensor delta >= 0.

    ln 0 = -inf has the derivative 1/0 = inf, and 0 * inf = NaN where it
    meets the 0 it multiplies (second derivatives at delta = 0): the formulas
    take delta linearly where it is 0, and the log only where it is not.
    """
    positive = delta > 0.0
    return positive, ops.log(ops.where(positive, delta, 1.0))


def _delta_times_exp(delta, exponent, x):
    """delta e^{exponent} for a tensor delta >= 0: as e^{ln delta + exponent}
    where delta > 0 (inf where that overflows), and as delta e^{exponent},
    the exponent capped, where delta = 0 (exactly 0, with the derivative
    e^{exponent} in delta)."""
    positive, log_delta = _tensor_log_delta(delta)
    e = ops.exp(
        ops.where(positive, log_delta + exponent, _minimum(exponent, _exp_cap(x)))
    )
    return ops.where(positive, e, delta * e)


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
    if _is(delta, 0) or _torch_zero(delta):
        return x, None, None
    if not _is_number(delta) and _delta_differentiated(delta):
        return _tensor_log_delta_plus_exp_parts(x, delta)
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


def _tensor_log_delta_plus_exp_parts(x, delta):
    """`_log_delta_plus_exp_parts` for a tensor delta: the same ops where
    delta > 0, and at delta = 0 L = x + ln(1 + delta e^{-x}), linear in delta
    inside the log1p, so that derivatives in delta stay finite there (the
    first, e^{-x}, and the second derivatives of a gradient penalty)."""
    positive, log_delta = _tensor_log_delta(delta)
    shifted = x - log_delta
    # v = e^{-|x - ln delta|} where delta > 0; delta e^{-x} (= 0) elsewhere.
    e = ops.exp(ops.where(positive, -ops.abs(shifted), _minimum(-x, _exp_cap(x))))
    v = ops.where(positive, e, delta * e)
    log_term = ops.where(positive, _maximum(x, log_delta), x) + _log1p_unit(v)
    if _native(x):
        # L' = e^{x - L}: 1 at delta = 0, with its derivative -e^{-x} in delta.
        return log_term, ops.exp(x - log_term), None
    # L' = sigmoid(x - ln delta) = 1 / (1 + v) at delta = 0 (x - ln delta = inf).
    a, b, _ = _sigmoid_fraction(ops.where(positive, shifted, INF), v)
    return log_term, a, b


def _tanhsoft_needs_mask(beta, gamma):
    # sech^2(u) * beta gamma e^{gamma x} is 0 * inf only if beta gamma e^80
    # can overflow; static small parameters rule that out at trace time,
    # and on torch, outside autograd recording, their values (the mask is a
    # `where`, a slow pass there; sech^2 is exactly 0 where it would apply).
    if _is_number(beta) and _is_number(gamma):
        return not beta * gamma < 1e3
    if _TORCH and not (_torch_records(beta) or _torch_records(gamma)):
        return not float(ops.max(ops.abs(beta * gamma))) < 1e3
    return True


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
    layer=LayerOptions(
        class_name="TanhSoft",
        learnable=True,
        note="The constraints alpha <= 1, beta >= 0, gamma > 0, 0 <= delta <= 1 "
        "of the paper hold throughout training.",
    ),
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
    alpha, gamma = _torch_static(alpha, 0.0), _torch_static(gamma, 1.0)
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
    alpha, gamma = _torch_static(alpha, 0.0), _torch_static(gamma, 1.0)
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
    alpha, gamma = _torch_static(alpha, 0.0), _torch_static(gamma, 1.0)
    u, e = _tanhsoft_gate(x, alpha, beta, gamma)
    t, sech2 = _tanhsoft_sech2(u, beta, gamma)
    log_term = _log_delta_plus_exp(x, delta)
    # d/d delta ln(delta + e^x) = 1 / (delta + e^x) = e^{-ln(...)}, clamped
    # so that it stays finite where delta + e^x underflows (ln(...) >= x:
    # on torch no clamp where |x| <= 80).
    inv = -log_term
    if not (_TORCH and _kernels.within(x, 1.0, _GATE_EXP_CLAMP)):
        inv = _minimum(inv, _GATE_EXP_CLAMP)
    inv = ops.exp(inv)
    # sech^2 L, shared (sech^2 first: exactly 0 where e is large): on torch
    # each product is a pass.
    common = sech2 * log_term
    beta_partial = common * e
    return {
        "alpha": common * x,
        "beta": beta_partial,
        "gamma": (beta_partial * x) * beta,
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
        if _torch_records(exponent):
            # Recorded by torch autograd (a gradient penalty's second
            # derivatives): torch's pow takes its derivative in the base as
            # exactly 0 where the exponent is 0, with no derivative in the
            # exponent, so d/d alpha of d(sp^alpha)/dx would be lost at alpha
            # = 0. (A base of 0 is only ever in an unused where branch.)
            return ops.exp(exponent * ops.log(_maximum(base, _TINY)))
        return base**exponent
    return ops.exp(_minimum(exponent * ops.log(base), _LOG_FLOAT32_MAX))


def _torch_records(t):
    """True where torch autograd records a tensor `t` that needs a gradient."""
    if not _TORCH or _is_number(t):
        return False
    import torch

    return torch.is_grad_enabled() and t.requires_grad


class _EISParts:
    """Intermediates of EIS shared by the forward and both derivatives.

    Attributes (None stands for an exact 1 or 0 that static parameters give):
        bounded: r is bounded (a static gamma > 0).
        xs: x, clipped where that is exact; P: sqrt(beta + gamma x^2);
        rs: 1 / P; r: x / P; dr: dr/dx = beta / P^3; gx: gamma x / P^2
            (None: 0).
        lo, hi: softplus(x)^alpha as two factors (None: 1); dSa: its
            derivative (None: alpha is 0).
        v: P / (P + delta e^{-theta x}) (None: 1); w: 1 - v (None: 0);
        rv: r v.

    Attributes set by `later` are computed on first read: intermediates the
    forward does not use. XLA drops them from a compiled kernel, but PyTorch
    runs every op eagerly, so the forward would pay for the derivative's
    terms.
    """

    def __init__(self):
        self._thunks = {}

    def later(self, name, compute):
        self._thunks[name] = compute

    def __getattr__(self, name):  # Only for attributes not set yet.
        thunks = self.__dict__.get("_thunks", {})
        if name not in thunks:
            raise AttributeError(name)
        value = thunks.pop(name)()
        setattr(self, name, value)
        return value


def _eis_parts(x, alpha, beta, gamma, delta, theta):
    """The `_EISParts` of EIS at x.

    f = r * Sa * v with r = x / P, P = sqrt(beta + gamma x^2), Sa =
    softplus(x)^alpha and v = P / (P + delta e^{-theta x}).
    """
    p = _EISParts()
    # r = x / P is within +-1/sqrt(gamma) for a static gamma > 0; otherwise
    # (gamma 0, or a tensor that may be 0) it grows like x / sqrt(beta) and
    # can overflow where f does not (beta < 1, or an exponential factor that
    # is 0): products with it are then taken as 0 where the other factor is.
    p.bounded = (_is_number(gamma) and gamma > 0) or _torch_positive(gamma)
    if _is(gamma, 0):
        root = math.sqrt(beta) if _is_number(beta) else ops.sqrt(beta)
        p.rs = 1.0 / root
        p.xs = x
        p.r = x * p.rs
        p.P = root
        p.dr = p.rs  # beta / P^3 with P^2 = beta.
        p.gx = None  # gamma x / P^2, exactly 0.
    else:
        xc = ops.clip(x, -_EIS_CLIP, _EIS_CLIP)
        square = xc * xc
        q = beta + (square if _is(gamma, 1) else gamma * square)
        # 1 / sqrt: XLA's rsqrt measured 5x slower on CPU.
        rs = 1.0 / ops.sqrt(q)
        p.rs = rs
        # The clip is exact only for gamma > 0; a tensor gamma may be 0.
        xs = xc if _is_number(gamma) or p.bounded else ops.where(gamma > 0, xc, x)
        p.xs = xs
        p.r = xs * rs
        p.later("P", lambda: q * rs)
        p.later("dr", lambda: _times(None if _is(beta, 1) else beta, rs * rs * rs))
        # gamma x first: exactly 0 for gamma = 0 whatever x / P^2 is.
        p.later("gx", lambda: (gamma * xs) * (rs * rs))
    # Sa = softplus(x)^alpha is kept as two factors multiplied in one at a
    # time: for alpha > 1, lo = sp^(alpha - 1) and hi = sp (sp^alpha alone
    # overflows for large x where f and f' need not); otherwise lo = sp^alpha
    # and hi = 1 (sp^(alpha - 1) would underflow). Below the tail sp = e^x:
    # lo = e^{alpha x}, hi = 1.
    # (A tensor alpha of 0 or 1 takes the static forms on torch, where its
    # value can be read: the same values, in fewer passes.)
    if _is(alpha, 0) or _torch_zero(alpha):
        p.lo, p.hi, p.dSa = None, None, None
    else:
        sp, u = _softplus_and_gate(x)
        if _is(alpha, 1) or _torch_one(alpha):
            p.lo, p.hi = None, sp
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
            p.lo, p.hi = lo, hi

            def d_sa():
                # Sa' = alpha sp^(alpha - 1) sigmoid(x) (alpha e^{alpha x} below).
                sig = _sigmoid_from_gate(x, u)
                if _is_number(alpha):
                    ratio = sig if split else sig / sp  # Sa' / (alpha lo)
                else:
                    ratio = ops.where(split, sig, sig / sp)
                return alpha * (lo * ops.where(tail, 1.0, ratio))

            p.later("dSa", d_sa)
    if _is(delta, 0) or _torch_zero(delta):
        # (A tensor delta of 0 gives v = P / P = 1 and w = 0 exactly.)
        p.v, p.w = None, None
        p.rv = p.r
    else:
        if _is(theta, 0):
            q_term = delta
        elif _is_number(delta):
            q_term = delta * ops.exp(-theta * x)  # inf is fine: v -> 0.
        elif _delta_differentiated(delta):
            q_term = _delta_times_exp(delta, -theta * x, x)  # delta = 0 -> 0.
        else:
            q_term = ops.exp(ops.log(delta) - theta * x)  # delta = 0 -> 0.
        denominator = p.P + q_term
        v = p.P / denominator
        p.v = v
        p.later("w", lambda: 1.0 - v)
        # r v: bounded r times v, or else x / (P + delta e^{-theta x}), which
        # is finite where f is even if r = x / P is not.
        if p.bounded:
            p.rv = p.r * v
        elif _is(gamma, 0):
            p.rv = p.xs / denominator
        else:
            p.rv = ops.where(gamma > 0, p.r * v, p.xs / denominator)
    return p


def _eis_rv_times(p, factors):
    """r v times `factors` (None: 1) in order; 0 where one is 0 and r is unbounded."""
    out, zero = p.rv, None
    for factor in factors:
        if factor is None:
            continue
        out = out * factor
        if not p.bounded:
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
    layer=LayerOptions(
        class_name="EIS",
        learnable=True,
        note="The constraints alpha, gamma, delta, theta >= 0 and beta > 0 hold "
        "throughout training.",
    ),
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
    return _eis_rv_times(p, [p.lo, p.hi])


@eis.attach_derivative
def _eis_derivative(x, alpha=1.0, beta=1.0, gamma=1.0, delta=0.0, theta=1.0):
    p = _eis_parts(x, alpha, beta, gamma, delta, theta)
    lo, hi = p.lo, p.hi
    # f' = v [r' Sa + r (Sa' + Sa w (gamma r / P + theta))]; v' = w v (P'/P + theta).
    # (r' lo) hi: lo = sp^(alpha - 1) is small where r' hi could overflow.
    radial = _times(_times(p.dr, lo), hi)
    if lo is not None:
        # r' ~ x^-3 underflows to 0 where lo may be inf: the term is then
        # negligible next to r Sa' (0, not 0 * inf).
        radial = ops.where(p.dr == 0.0, 0.0, radial)
    radial = _times(p.v, radial)
    inner = p.dSa
    if p.w is not None:
        growth = theta if p.gx is None else p.gx + theta
        w_growth = p.w * growth
        tail = _times(_times(w_growth, hi), lo)
        if hi is not None:
            # w is exactly 0 where delta e^{-theta x} is: no term, even if Sa
            # is inf. Only the 0 * inf (NaN) is replaced: a where on w = 0
            # alone would also drop the term's derivative in delta, which is
            # not 0 at delta = 0 (second derivatives, a gradient penalty).
            tail = ops.where(
                ops.logical_and(w_growth == 0.0, ops.isnan(tail)), 0.0, tail
            )
        inner = tail if inner is None else inner + tail
    if inner is None:
        return radial
    return radial + _eis_rv_times(p, [inner])


@eis.attach_param_derivatives
def _eis_param_derivatives(x, alpha=1.0, beta=1.0, gamma=1.0, delta=0.0, theta=1.0):
    p = _eis_parts(x, alpha, beta, gamma, delta, theta)
    f = _eis_rv_times(p, [p.lo, p.hi])
    v = 1.0 if p.v is None else p.v
    w = 0.0 if p.w is None else p.w
    log_sp = ops.where(x < _EIS_LOG_TAIL, x, ops.log(_softplus(x)))
    # d/d delta: -f e^{-theta x} / D = -f / (P e^{theta x} + delta).
    denom = _maximum(p.P * ops.exp(theta * x) + delta, _TINY)
    return {
        "alpha": f * log_sp,
        "beta": -0.5 * (f * v) * (p.rs * p.rs),
        "gamma": -0.5 * v * ((f * p.r) * p.r),
        "delta": -f / denom,
        "theta": f * (x * w),
    }
