"""Weight constraints used by the learnable layers.

`Range` keeps a learned activation parameter inside the values its paper
allows (for example TanhSoft's ``0 <= delta <= 1``); the learnable layers
derive it from the parameter's definition, so the bounds are written once.
"""

import math

import keras
from keras import ops

from keras_acts import _saving
from keras_acts._math import maximum, minimum

__all__ = ["Range"]

# Strict bounds (gamma > 0) are kept this far inside: a parameter may not
# reach the excluded value, where the formula is undefined or degenerate.
STRICT_MARGIN = 1e-4


@_saving.register
class Range(keras.constraints.Constraint):
    r"""Clips a weight into ``[low, high]`` after each optimizer step.

    Formula: $w \leftarrow \min(\max(w, \mathrm{low}), \mathrm{high})$
    elementwise; a bound of None is not applied.

    Args:
        low: float or None, default None. Smallest allowed value.
        high: float or None, default None. Largest allowed value.

    Example:

    >>> import keras
    >>> from keras_acts.constraints import Range
    >>> layer = keras.layers.Dense(4, kernel_constraint=Range(-1.0, 1.0))

    Reference:
        Keras constraints: https://keras.io/api/layers/constraints/
    """

    def __init__(self, low=None, high=None):
        for arg, value in (("low", low), ("high", high)):
            if value is not None and (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not math.isfinite(value)
            ):
                raise ValueError(
                    f"Range: argument `{arg}` got {value!r}; expected a finite "
                    "number or None."
                )
        if low is not None and high is not None and low > high:
            raise ValueError(
                f"Range: `low` ({low!r}) must not be greater than `high` ({high!r})."
            )
        self.low = None if low is None else float(low)
        self.high = None if high is None else float(high)

    @classmethod
    def for_param(cls, param):
        """The constraint that keeps values allowed by a spec `Param`.

        Exclusive bounds are moved inside by `STRICT_MARGIN`. Returns None
        when the parameter is unbounded.
        """
        low, high = param.low, param.high
        if low is None and high is None:
            return None
        if low is not None and not param.low_inclusive:
            low = low + STRICT_MARGIN
        if high is not None and not param.high_inclusive:
            high = high - STRICT_MARGIN
        return cls(low, high)

    def __call__(self, w):
        if self.low is not None:
            w = maximum(w, ops.cast(self.low, w.dtype))
        if self.high is not None:
            w = minimum(w, ops.cast(self.high, w.dtype))
        return w

    def get_config(self):
        return {"low": self.low, "high": self.high}
