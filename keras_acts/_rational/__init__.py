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

On eager PyTorch, where each of the scaled form's operations is a pass over
memory, `torch_kernel` evaluates the unit unscaled (Horner's rule for the
power basis, the recurrence for the others) wherever |x| is below a bound
at which nothing can overflow, with a hand-derived backward; elements
beyond it, infs and NaNs go through this definition.

Modules: `bases` (the polynomial families), `kernel` (the fused forward and
backward), `torch_kernel` (eager PyTorch), `fit` (the NumPy fit of initial
coefficients). The layers
(`PAU`, `OrthogonalPade`, `HP1`, `HP2`) are in `keras_acts.layers`.
"""

from keras_acts._rational.bases import (
    BASES,
    MAX_DEGREE,
    ORTHOGONAL_BASES,
    VERSIONS,
    basis_values_numpy,
)
from keras_acts._rational.fit import fit, max_error, target_values, validate_target
from keras_acts._rational.kernel import rational, rational_spec

__all__ = [
    "BASES",
    "MAX_DEGREE",
    "ORTHOGONAL_BASES",
    "VERSIONS",
    "basis_values_numpy",
    "fit",
    "max_error",
    "rational",
    "rational_spec",
    "target_values",
    "validate_target",
]
