"""Trainable TanhSoft, EIS and StarReLU layers on eager PyTorch: reverse mode by hand.

The definitions (`parametric.py`, `rectifiers.py`) are written for every
backend: overflow-safe over every finite input and every allowed weight,
with the parameter partials df/dw evaluated per element. Inside a fused XLA
kernel that costs nothing, but eager PyTorch runs each operation as a pass
over memory, and a trainable layer with every term active (weights away
from their defaults) measured 1.3x (TanhSoft) and 2.3x (EIS) the plain
autograd formula; StarReLU's definition under autograd 1.05-1.23x.

Here, where nothing can overflow (|x| and the weights within the bounds each
kernel's `bound` gives, one read of x's range), the forward computes the
value from a few intermediates, in place, and saves them; the backward runs
the chain rule from g once (as autograd does: the shared factor g dL or g/D
first, then one product and one sum per weight) instead of per-weight
partials, writing into a few buffers instead of a fresh one per operation
(a fresh buffer of 2^22 values costs page faults: the fused op took 32 000
minor faults per TanhSoft step here, the plain formula none). Everything
else goes through the definition: elements beyond the bound, inf and NaN
elementwise; torch.compile, float16/bfloat16 and frozen layers by its op,
as before; second derivatives by torch autograd of it.

A kernel: `bound(p)` (p: {name: number or tensor}): the |x| up to which it
computes for these weights (None: weights outside its range), `forward(x,
p)` -> (y, saved tensors), `backward(x, g, p, saved, needs)` -> (dx or None,
{name: gradient summed to the weight's shape}) for the weights `needs`
names. Elements beyond the bound go through the definition, elementwise
(`_kernels._torch_kernel_op`).
"""

import math
import sys

from keras_acts import _kernels
from keras_acts._activations.parametric import eis, tanhsoft
from keras_acts._activations.rectifiers import star_relu

_FINITE = sys.float_info.max  # The largest finite float64: |x| <= it is finite.

# Inputs within +-80 (and exponents within 80): e^80 ~ 5.5e34 leaves float32
# room for the products below; activations' inputs are far inside it.
_BOUND = 80.0


def _largest(p):
    """max |p| of a number or tensor weight (a float)."""
    if isinstance(p, (int, float)):
        return abs(float(p))
    import torch

    return float(torch.max(torch.abs(p.detach())))


def _smallest(p):
    if isinstance(p, (int, float)):
        return float(p)
    import torch

    return float(torch.min(p.detach()))


def _sum_to(t, p):
    """t summed to weight p's shape, as a new tensor (t may be a buffer)."""
    return _kernels.torch_sum_to(t, tuple(p.shape))


# --- TanhSoft: tanh(alpha x + beta e^{gamma x}) ln(delta + e^x) ------------------


class _TanhSoftKernel:
    @staticmethod
    def bound(p):
        # |x| <= 80 and gamma x <= 80: e = e^{gamma x} and e^{-ln(delta + e^x)}
        # finite; beta gamma e^80 finite (the definition's mask threshold).
        if not _largest(p["beta"]) * _largest(p["gamma"]) < 1e3:
            return None
        return _BOUND / max(1.0, _largest(p["gamma"]))

    @staticmethod
    def forward(x, p):
        import torch

        alpha, beta, gamma, delta = p["alpha"], p["beta"], p["gamma"], p["delta"]
        e = torch.mul(x, gamma).exp_()
        t = _add_product(torch.mul(x, alpha), e, beta).tanh_()
        if _is_zero(delta):  # The default: ln(0 + e^x) = x, no pass.
            L = x
        else:
            log_delta = torch.log(delta) if torch.is_tensor(delta) else _log(delta)
            # ln(delta + e^x); a delta of 0 somewhere: ln 0 = -inf gives x.
            L = torch.logaddexp(x, torch.as_tensor(log_delta, dtype=x.dtype))
        return torch.mul(t, L), (t, L, e)

    @staticmethod
    def backward(x, g, p, saved, needs):
        import torch

        alpha, beta, gamma = p["alpha"], p["beta"], p["gamma"]
        t, L, e = saved
        grads = {}
        scratch = torch.empty_like(x)
        dx = None
        if needs & {"x", "alpha", "beta", "gamma"}:  # Through u.
            # g d/du: g L sech^2(u), torch's fused tanh backward, in place.
            gu = torch.mul(g, L)
            torch.ops.aten.tanh_backward.grad_input(gu, t, grad_input=gu)
            if "alpha" in needs:
                grads["alpha"] = _sum_to(torch.mul(gu, x, out=scratch), alpha)
            torch.mul(gu, e, out=scratch)  # g du/d beta
            if "beta" in needs:
                grads["beta"] = _sum_to(scratch, beta)
            if "x" in needs:
                # du/dx = alpha + beta gamma e: gu alpha + (gu e) beta gamma.
                dx = _add_product(gu.mul_(alpha), scratch, beta * gamma)
            if "gamma" in needs:
                grads["gamma"] = _sum_to(scratch.mul_(x), gamma) * beta
        gt = torch.mul(g, t)  # g dL
        if dx is not None:
            # dL/dx = e^x / (delta + e^x) = e^{x - L} (1 for delta = 0).
            if _is_zero(p["delta"]):
                dx.add_(gt)
            else:
                dx.addcmul_(gt, torch.sub(x, L, out=scratch).exp_())
        if "delta" in needs:
            # dL/d delta = 1 / (delta + e^x) = e^{-L}: -L <= -x <= 80.
            q = torch.neg(L, out=scratch).exp_()
            grads["delta"] = _sum_to(gt.mul_(q), p["delta"])
        return dx, grads


def _add_product(out, t, c):
    """out += t c in place (c a number or a tensor broadcast against t)."""
    if isinstance(c, (int, float)):
        return out.add_(t, alpha=c)
    return out.addcmul_(t, c)


def _is_zero(p):
    """True for a weight that is 0 everywhere (a number, or a small tensor
    read once)."""
    if isinstance(p, (int, float)):
        return p == 0
    import torch

    return not bool(torch.any(p != 0))


def _log(value):
    return math.log(value) if value > 0 else -math.inf


# --- EIS: x softplus(x)^alpha / (sqrt(beta + gamma x^2) + delta e^{-theta x}) ----


class _EISKernel:
    @staticmethod
    def bound(p):
        # |x| <= 80 and theta |x| <= 80: softplus(x) in [e^-80, 81] (normal,
        # its log finite), e^{-theta x} <= e^80; alpha <= 8, beta >= 1e-6,
        # gamma <= 1e30, delta <= 1e3 keep x S^alpha / D and the products of
        # the backward finite (81^9 / 1e-3 ~ 1e20).
        if not (
            _largest(p["alpha"]) <= 8.0
            and _smallest(p["beta"]) >= 1e-6
            and _largest(p["gamma"]) <= 1e30
            and _largest(p["delta"]) <= 1e3
        ):
            return None
        return _BOUND / max(1.0, _largest(p["theta"]))

    @staticmethod
    def forward(x, p):
        import torch
        import torch.nn.functional as F

        alpha, beta, gamma, delta, theta = (
            p[n] for n in ("alpha", "beta", "gamma", "delta", "theta")
        )
        # ln(1 + e^x) without torch's default switch to x above 20 (off by
        # e^-20 / 20 there, visible in float64): exact up to the bound.
        log_s = F.softplus(x, threshold=_BOUND).log_()
        s_alpha = torch.mul(log_s, alpha).exp_()  # softplus(x)^alpha
        e = torch.mul(x, -theta).exp_()  # e^{-theta x}
        root = torch.mul(x, x).mul_(gamma).add_(beta).sqrt_()  # P
        d = torch.mul(e, delta).add_(root)  # D = P + delta e^{-theta x}
        y = torch.mul(x, s_alpha).div_(d)
        return y, (log_s, s_alpha, e, root, d, y)

    @staticmethod
    def backward(x, g, p, saved, needs):
        import torch

        alpha, beta, gamma, delta, theta = (
            p[n] for n in ("alpha", "beta", "gamma", "delta", "theta")
        )
        log_s, s_alpha, e, root, d, y = saved
        h = torch.div(g, d)  # g / D
        k = torch.mul(h, y)  # g y / D = -g dy/dD
        scratch = torch.empty_like(x)
        grads = {}
        if "alpha" in needs:  # dy/d alpha = y ln S
            grads["alpha"] = _sum_to(torch.mul(g, y, out=scratch).mul_(log_s), alpha)
        if "beta" in needs or "gamma" in needs:
            torch.div(k, root, out=scratch)  # g y / (D P); dP/d beta = 1/(2P)
            if "beta" in needs:
                grads["beta"] = _sum_to(scratch, beta) * -0.5
            if "gamma" in needs:
                grads["gamma"] = _sum_to(scratch.mul_(x).mul_(x), gamma) * -0.5
        if "delta" in needs or "theta" in needs:
            torch.mul(k, e, out=scratch)  # dD/d delta = e^{-theta x}
            if "delta" in needs:
                grads["delta"] = -_sum_to(scratch, delta)
            if "theta" in needs:  # dD/d theta = -delta x e^{-theta x}
                grads["theta"] = _sum_to(scratch.mul_(x), theta) * delta
        dx = None
        if "x" in needs:
            # dy/dx = [S^alpha + alpha x S^(alpha - 1) sigmoid(x)] / D
            #         - y / D (gamma x / P - theta delta e^{-theta x}).
            torch.mul(log_s, alpha - 1.0, out=scratch).exp_()  # S^(alpha - 1)
            scratch.mul_(torch.sigmoid(x)).mul_(x).mul_(alpha).add_(s_alpha)
            dx = h.mul_(scratch)
            slope = torch.div(x, root, out=scratch).mul_(gamma)
            slope = _add_product(slope, e, -(theta * delta))
            dx.addcmul_(k, slope, value=-1.0)
        return dx, grads


# --- StarReLU: scale relu(x)^2 + bias -------------------------------------------


class _StarReLUKernel:
    @staticmethod
    def bound(p):
        # Every finite x (s x^2 overflowing is the true value); infs go
        # through the definition, whose parameter gradients give a zero
        # cotangent no contribution (0 * inf here would be NaN).
        return _FINITE

    @staticmethod
    def forward(x, p):
        import torch

        r = torch.relu(x)
        # (s r) r: r * r alone overflows where s r^2 need not (s < 1).
        y = torch.mul(r, p["scale"]).mul_(r).add_(p["bias"])
        return y, (r,)

    @staticmethod
    def backward(x, g, p, saved, needs):
        import torch

        (r,) = saved
        scale = p["scale"]
        grads = {}
        if "bias" in needs:
            grads["bias"] = _sum_to(g, p["bias"])
        gr = torch.mul(g, r)
        if "scale" in needs:  # d/d scale = r^2
            grads["scale"] = _sum_to(torch.mul(gr, r), scale)
        dx = gr.mul_(scale).mul_(2.0) if "x" in needs else None  # 2 scale r
        return dx, grads


tanhsoft.attach_torch_kernel(_TanhSoftKernel)
eis.attach_torch_kernel(_EISKernel)
star_relu.attach_torch_kernel(_StarReLUKernel)
