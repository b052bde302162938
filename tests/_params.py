"""Parameter values generated from the registry's `Param` metadata.

Shared by test_arguments.py (values that must be rejected), test_properties.py
and test_fuzz.py (values that must be accepted). Nothing here is written per
activation: every value follows from a parameter's declared type, range and
choices, so a new parameter is covered as soon as it is declared.
"""

import math

import numpy as np

# Where a range is open-ended, accepted values are drawn this far from the
# bound (wide enough to matter, small enough to keep the functions tame).
SPAN = 5.0


def bounds(param, span=SPAN):
    """A finite `[low, high]` inside the allowed range of a numeric parameter.

    Strict bounds are moved inside by a relative 1e-3 (so the interval holds
    only allowed values); an unbounded side is `span` from the other bound,
    or from 0.
    """
    low, high = param.low, param.high
    if low is None and high is None:
        low, high = -span, span
    elif low is None:
        low = high - 2 * span
    elif high is None:
        high = low + 2 * span
    if param.low is not None and not param.low_inclusive:
        low = low + 1e-3 * max(1.0, abs(low))
    if param.high is not None and not param.high_inclusive:
        high = high - 1e-3 * max(1.0, abs(high))
    return float(low), float(high)


def good_values(param):
    """Values `param` must accept: bounds, default, interior, NumPy scalars."""
    if param.choices is not None:
        return list(param.choices)
    low, high = bounds(param)
    values = [param.default, low, high, 0.5 * (low + high)]
    if param.integer:
        values = sorted({int(math.ceil(low)), int(math.floor(high)), param.default})
        return values + [np.int64(param.default), np.int32(param.default)]
    values += [np.float32(0.5 * (low + high)), np.float64(high)]
    # A Python int is a number too.
    return values + [i for i in (math.floor(high), math.ceil(low)) if low <= i <= high]


def random_value(param, rng):
    """One accepted value drawn with NumPy generator `rng`."""
    if param.choices is not None:
        return param.choices[rng.integers(len(param.choices))]
    low, high = bounds(param)
    if param.integer:
        return int(rng.integers(math.ceil(low), math.floor(high) + 1))
    return float(rng.uniform(low, high))


def bad_values(param):
    """(value, why) pairs `param` must reject, derived from its metadata."""
    if param.choices is not None:
        first = param.choices[0]
        return [
            ("not-a-choice", "unknown string"),
            (first.upper() if first.upper() != first else first.lower(), "wrong case"),
            (first[:-1], "near miss"),
            (True, "bool"),
            (None, "None"),
            (1, "number"),
            ([first], "list"),
        ]
    out = [
        (True, "bool"),
        (False, "bool"),
        (np.bool_(True), "NumPy bool"),
        (np.array([True]), "bool array"),
        ("1.0", "string"),
        (None, "None"),
        ([1.0], "list"),
        (1j, "complex"),
        (math.nan, "NaN"),
        (math.inf, "inf"),
        (-math.inf, "-inf"),
    ]
    if param.low is not None:
        below = param.low - max(1.0, abs(param.low))
        out.append((below, "below the lower bound"))
        if not param.integer:
            out.append((np.array([param.low, below]), "array entry below the bound"))
        if not param.low_inclusive:
            out.append((param.low, "on an excluded lower bound"))
    if param.high is not None:
        above = param.high + max(1.0, abs(param.high))
        out.append((above, "above the upper bound"))
        if not param.high_inclusive:
            out.append((param.high, "on an excluded upper bound"))
    if param.integer:
        out.append((float(param.default), "float for an integer"))
        out.append((param.default + 0.5, "non-integer"))
        out.append((np.array(param.default), "array for an integer"))
    return out
