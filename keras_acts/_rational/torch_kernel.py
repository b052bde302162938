"""Rational units on PyTorch: N(x) / D(x) unscaled, in a few in-place passes.

The definition (`kernel.py`, one formula for every backend) runs the basis
recurrence scaled by 1/x for |x| > 1, so that nothing overflows; inside a
fused XLA kernel that costs nothing, but eager PyTorch runs each of its
operations as a pass over memory (about 170 for PAU 5/4, forward and
backward), and the plain autograd formula (Horner's rule) was 3-7x faster.
On torch, elements with |x| <= `bound` (a bound from the dtype, the basis
and the coefficients' magnitudes, far beyond any activation's inputs:
about 2e5 for PAU 5/4 in float32) are computed here without the scaling,
where it cannot overflow: the numerator and denominator by Horner's rule
(power basis) or the recurrence, in place; the backward computes g/D and
g N/D^2 once, the input gradient from the derivatives of N and D, and
each coefficient's gradient as one product and one sum against running
powers or basis values. Elements beyond the bound (and infs and NaNs) go
through the definition, elementwise, so an element's value never depends on
the rest of the batch.

Saved for backward: x, D (version "B": the inner sum S, D = 1 + |S|) and
the output, 3 tensors of x's size (the plain autograd formula keeps 19-24).
A backward run with grad mode on (create_graph=True) differentiates the
definition from x with torch autograd, recorded, as every keras_acts op on
torch does (`_kernels._torch_recorded_gradients`): second derivatives work.
float16 and bfloat16 are computed in float32. Under torch.compile the
definition's fused op runs instead (`kernel.rational`).
"""

import functools
import math

import numpy as np

from keras_acts import _kernels
from keras_acts._rational.bases import BASES


def applies(x):
    """True where this path runs: an eager (not compiled) torch tensor."""
    import torch

    return (
        isinstance(x, torch.Tensor)
        and x.numel() > 0
        and x.device.type != "meta"  # Keras's shape inference
        and not _kernels._torch_compiling()
    )


@functools.cache
def _tables(basis, degree):
    """The basis's recurrence, f_i' = sum_k D[i][k] f_k, and a growth bound.

    D (from the monomial coefficients, float64) as lists of the nonzero
    (k, D[i, k]); growth: the largest sum of |monomial coefficients| of an
    f_i, so |f_i(x)| <= growth max(1, |x|)^i.
    """
    recurrence = [BASES[basis].recurrence(i) for i in range(degree)]
    mono = np.zeros((degree + 1, degree + 1))
    mono[0, 0] = 1.0
    for i, (a, b, c) in enumerate(recurrence):
        row = b * mono[i]
        row[1:] += a * mono[i, :-1]
        if i:
            row -= c * mono[i - 1]
        mono[i + 1] = row
    derivative = [[]]
    for i in range(1, degree + 1):
        target = mono[i, 1 : i + 1] * np.arange(1, i + 1)  # f_i' in x^0..x^(i-1)
        d = np.linalg.solve(mono[:i, :i].T, target)
        d[np.abs(d) <= 1e-12 * np.abs(d).max()] = 0.0
        derivative.append([(k, float(v)) for k, v in enumerate(d) if v])
    growth = float(np.abs(mono).sum(axis=1).max())
    return recurrence, derivative, growth


def _bound(basis, degree, coeffs, dtype):
    """|x| up to which the unscaled evaluation and its gradients are finite."""
    import torch

    _, _, growth = _tables(basis, degree)
    with torch.no_grad():
        # len * max |c| >= sum of each coefficient's max |c|: three small ops
        # (this runs on every call; small inputs feel each op's dispatch).
        flat = torch.cat([c.detach().reshape(-1) for c in coeffs])
        scale = len(coeffs) * float(flat.abs().max())
    if not math.isfinite(scale):
        return 0.0
    budget = torch.finfo(dtype).max * 2.0**-30
    return max(
        1.0, (budget / (growth * (1.0 + scale) * (degree + 1) ** 2)) ** (1.0 / degree)
    )


def _reduce_product(u, v, shape, scratch):
    """sum(u * v) to `shape`, the product written into `scratch`."""
    import torch

    if u.shape == scratch.shape and v.shape == scratch.shape:
        return _kernels.torch_sum_to(torch.mul(u, v, out=scratch), shape)
    return _kernels.torch_sum_to(u * v, shape)


# --- Power basis: Horner's rule ---------------------------------------------


def _horner(t, coefficients):
    """sum_i c_i t^i, c given from the constant term up (tensors or numbers;
    a constant term None is 0), in place in one new buffer."""
    import torch

    if len(coefficients) == 1:
        return torch.zeros_like(t).add_(coefficients[0])
    out = torch.mul(t, coefficients[-1])
    for c in reversed(coefficients[1:-1]):
        out.add_(c).mul_(t)
    return out if coefficients[0] is None else out.add_(coefficients[0])


def _power_forward(x, a, b, version):
    """(y, D or S): Horner's rule on x (numerator) and |x| or x (denominator)."""
    import torch

    numerator = _horner(x, a)
    if version == "A":
        saved = denominator = _horner(torch.abs(x), [1.0, *(c.abs() for c in b)])
    else:
        saved = _horner(x, [None, *b])
        denominator = torch.abs(saved).add_(1.0)
    return numerator.div_(denominator), saved


def _power_backward(x, g, y, saved, a, b, version, need_x, need_a, need_b):
    import torch

    m, n = len(a) - 1, len(b)
    if version == "A":
        gq = torch.div(g, saved)  # g / D
        gd = torch.mul(gq, y)  # g N / D^2
    else:
        gq = torch.div(g, torch.abs(saved).add_(1.0))
        gd = torch.mul(gq, y).mul_(torch.sign(saved))  # g N sign(S) / D^2
    grads_a, grads_b = [None] * (m + 1), [None] * n
    if any(need_a):
        grads_a[0] = _kernels.torch_sum_to(gq, a[0].shape) if need_a[0] else None
        if m:
            running = torch.mul(gq, x)  # g x^i / D
            for i in range(1, m + 1):
                if need_a[i]:
                    grads_a[i] = _kernels.torch_sum_to(running, a[i].shape)
                if i < m:
                    running.mul_(x)
    ax = torch.abs(x) if version == "A" else x
    if any(need_b):
        running = torch.mul(gd, ax)
        for j in range(1, n + 1):
            if need_b[j - 1]:
                total = _kernels.torch_sum_to(running, b[j - 1].shape)
                # version A: d D / d b_j = sign(b_j) |x|^j; B: sign(S) x^j.
                scale = -torch.sign(b[j - 1]) if version == "A" else -1.0
                grads_b[j - 1] = total * scale
            if j < n:
                running.mul_(ax)
    dx = None
    if need_x:
        dn = _horner(x, [i * a[i] for i in range(1, m + 1)]) if m else None
        if version == "A":
            dd = _horner(ax, [j * b[j - 1].abs() for j in range(1, n + 1)])
            dd.mul_(torch.sign(x))
        else:
            dd = _horner(x, [j * b[j - 1] for j in range(1, n + 1)])
        dx = dd.mul_(gd).neg_()
        if dn is not None:
            dx.addcmul_(dn, gq)
    return dx, grads_a, grads_b


# --- Orthogonal bases: the recurrence ------------------------------------------


def _basis_values(x, basis, degree):
    """[None (f_0 = 1), f_1, ..., f_degree]; f_1 may be x itself."""
    import torch

    recurrence, _, _ = _tables(basis, degree)
    uses = {}
    for a, _, _ in recurrence[1:]:
        uses[a] = uses.get(a, 0) + 1
    scaled = {1.0: x}
    f = [None]
    for i, (a, b, c) in enumerate(recurrence):
        if i == 0:  # f_1 = a x + b
            if a == 1.0 and not b:
                f.append(x)
                continue
            t = torch.mul(x, a)
        else:
            if a in scaled or uses[a] > 1:
                if a not in scaled:
                    scaled[a] = torch.mul(x, a)
                t = torch.mul(scaled[a], f[i])
            else:
                t = torch.mul(x, f[i]).mul_(a)
            if b:
                t.add_(f[i], alpha=b)
            if c:
                if i == 1:
                    t.sub_(c)
                else:
                    t.sub_(f[i - 1], alpha=c)
        if i == 0 and b:
            t.add_(b)
        f.append(t)
    return f


def _combination(f, coefficients, like):
    """sum_k c_k f_k (f_0 = 1) for tensor or number c_k (None: 0)."""
    import torch

    out = None
    for k in range(1, len(coefficients)):
        c = coefficients[k]
        if c is None:
            continue
        if out is None:
            out = torch.mul(f[k], c)
        elif isinstance(c, torch.Tensor):
            out.addcmul_(f[k], c)
        else:
            out.add_(f[k], alpha=c)
    if out is None:
        out = torch.zeros_like(like)
    if coefficients[0] is not None:
        out.add_(coefficients[0])
    return out


def _orthogonal_forward(x, a, b, version, basis):
    import torch

    degree = max(len(a) - 1, len(b))
    f = _basis_values(x, basis, degree)
    numerator = _combination(f, a, x)
    if version == "A":
        scratch = torch.empty_like(numerator)
        denominator = torch.zeros_like(numerator)
        for j in range(1, len(b) + 1):
            denominator.addcmul_(torch.abs(f[j], out=scratch), b[j - 1].abs())
        saved = denominator.add_(1.0)
    else:
        saved = _combination(f, [None, *b], x)
        denominator = torch.abs(saved).add_(1.0)
    return numerator.div_(denominator), saved


def _derived(coefficients, derivative):
    """The coefficients of sum_i c_i f_i' in the basis: c'_k = sum_i D[i][k] c_i."""
    out = [None] * max(len(coefficients) - 1, 1)
    for i, c in enumerate(coefficients):
        if c is None:
            continue
        for k, d in derivative[i]:
            term = c * d
            out[k] = term if out[k] is None else out[k] + term
    return out


def _orthogonal_backward(x, g, y, saved, a, b, version, basis, need):
    import torch

    need_x, need_a, need_b = need
    m, n = len(a) - 1, len(b)
    degree = max(m, n)
    _, derivative, _ = _tables(basis, degree)
    f = _basis_values(x, basis, degree)
    if version == "A":
        gq = torch.div(g, saved)
        gd = torch.mul(gq, y)
    else:
        gq = torch.div(g, torch.abs(saved).add_(1.0))
        gd = torch.mul(gq, y).mul_(torch.sign(saved))
    scratch = torch.empty_like(gq)
    grads_a = [None] * (m + 1)
    for i in range(m + 1):
        if need_a[i]:
            grads_a[i] = (
                _kernels.torch_sum_to(gq, a[0].shape)
                if i == 0
                else _reduce_product(gq, f[i], a[i].shape, scratch)
            )
    grads_b = [None] * n
    for j in range(1, n + 1):
        if not need_b[j - 1]:
            continue
        if version == "A":
            term = torch.abs(f[j], out=scratch).mul_(gd)
            total = _kernels.torch_sum_to(term, b[j - 1].shape) * -torch.sign(b[j - 1])
        else:
            total = -_reduce_product(gd, f[j], b[j - 1].shape, scratch)
        grads_b[j - 1] = total
    dx = None
    if need_x:
        dn = _combination(f, _derived(a, derivative), x) if m else None
        if version == "A":
            dd = torch.zeros_like(gq)
            for j in range(1, n + 1):
                terms = derivative[j]
                sign = torch.sign(f[j], out=scratch)
                if len(terms) == 1 and terms[0][0]:
                    k, d = terms[0]
                    sign.mul_(f[k])
                    weight = b[j - 1].abs() * d
                elif len(terms) == 1:
                    weight = b[j - 1].abs() * terms[0][1]
                else:
                    coefficients = [None] * j
                    for k, d in terms:
                        coefficients[k] = d
                    sign.mul_(_combination(f, coefficients, x))
                    weight = b[j - 1].abs()
                dd.addcmul_(sign, weight)
        else:
            dd = _combination(f, _derived([None, *b], derivative), x)
        dx = dd.mul_(gd).neg_()
        if dn is not None:
            dx.addcmul_(dn, gq)
    return dx, grads_a, grads_b


# --- The op ----------------------------------------------------------------------


def _forward(x, a, b, version, basis):
    if basis == "power":
        return _power_forward(x, a, b, version)
    return _orthogonal_forward(x, a, b, version, basis)


def _backward(x, g, y, saved, a, b, version, basis, need):
    if basis == "power":
        return _power_backward(x, g, y, saved, a, b, version, *need)
    return _orthogonal_backward(x, g, y, saved, a, b, version, basis, need)


def _evaluate(spec, names, x, coeffs, version, basis):
    """(y, saved, mask): the unscaled values, the definition's where masked."""
    a, b = _split(spec, coeffs)
    bound = _bound(basis, max(len(a) - 1, len(b)), coeffs, x.dtype)
    mask = _kernels.torch_beyond(x, bound)
    xs = x if mask is None else x.masked_fill(mask, 0.0)
    y, saved = _forward(xs, a, b, version, basis)
    if mask is not None:
        values = _kernels.torch_definition_values(spec, {}, names, x, coeffs, mask)
        y[mask] = values.to(y.dtype)
    return y, saved, mask


def _split(spec, coeffs):
    m = sum(1 for p in spec.params if p.name.startswith("a")) - 1
    return list(coeffs[: m + 1]), list(coeffs[m + 1 :])


@functools.lru_cache(maxsize=64)
def _op(spec, version, basis):
    import torch

    names = tuple(p.name for p in spec.params)

    def fwd(ctx, x, *coeffs):
        y, saved, mask = _evaluate(spec, names, x, coeffs, version, basis)
        ctx.masked = mask is not None
        ctx.save_for_backward(x, saved, y, *coeffs)
        return y

    def bwd(ctx, g):
        x, saved, y, *coeffs = ctx.saved_tensors
        need_x, *need_coeffs = ctx.needs_input_grad
        if torch.is_grad_enabled():
            # create_graph=True: the definition, differentiated by torch
            # autograd, recorded (differentiable again).
            return tuple(
                _kernels._torch_recorded_gradients(
                    spec, {}, names, x, coeffs, g, (need_x, *need_coeffs)
                )
            )
        a, b = _split(spec, coeffs)
        need = (need_x, need_coeffs[: len(a)], need_coeffs[len(a) :])
        mask = None
        if ctx.masked:
            degree = max(len(a) - 1, len(b))
            mask = ~(torch.abs(x) <= _bound(basis, degree, coeffs, x.dtype))
            x_all, g_all = x, g
            x = x.masked_fill(mask, 0.0)
            g = g.masked_fill(mask, 0.0)
            y = y.masked_fill(mask, 0.0)
        dx, grads_a, grads_b = _backward(x, g, y, saved, a, b, version, basis, need)
        grads = [*grads_a, *grads_b]
        if mask is not None and bool(mask.any()):
            dx_m, grads_m = _kernels.torch_definition_gradients(
                spec, {}, names, x_all, g_all, coeffs, mask, (need_x, need_coeffs)
            )
            if dx is not None:
                dx[mask] = dx_m.to(dx.dtype)
            grads = [
                None if s is None else s + t.to(s.dtype)
                for s, t in zip(grads, grads_m, strict=True)
            ]
        return (dx, *grads)

    name = f"Rational{basis.title().replace('_', '')}{version}Op"
    return type(
        name,
        (torch.autograd.Function,),
        {"forward": staticmethod(fwd), "backward": staticmethod(bwd)},
    )


def rational(spec, x, coefficients, version, basis, param_grads):
    """The unit on eager torch: x a float tensor, coefficients tensors in the
    spec's parameter order (a0..am, b1..bn)."""
    import torch

    dtype = x.dtype
    compute = torch.float32 if dtype in (torch.float16, torch.bfloat16) else dtype
    xc = x.to(compute)
    coeffs = [c.to(device=x.device, dtype=compute) for c in coefficients]
    if not param_grads:
        coeffs = [c.detach() for c in coeffs]
    if torch.is_grad_enabled() and (
        xc.requires_grad or any(c.requires_grad for c in coeffs)
    ):
        y = _op(spec, version, basis).apply(xc, *coeffs)
    else:
        names = tuple(p.name for p in spec.params)
        with torch.no_grad():
            y = _evaluate(spec, names, xc, coeffs, version, basis)[0]
    return y.to(dtype)
