"""Polynomial bases of the rational units: power and orthogonal families.

Each basis is given by its three-term recurrence
``f_{i+1} = (A_i x + B_i) f_i - C_i f_{i-1}`` (see `keras_acts._rational`).
"""

import dataclasses

import numpy as np

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
