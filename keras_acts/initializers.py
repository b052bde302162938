"""Weight initializers for SIREN networks (Sitzmann et al. 2020).

SIREN layers compute ``sin(w0 * (x W + b))``. Their weights follow the
official SIREN code (which the authors say is right where it differs from
the paper), with ``n`` the fan-in:

* first layer: ``W ~ U(-1/n, 1/n)`` (`SirenFirst`);
* hidden layers: ``W ~ U(-sqrt(6/n)/w0, sqrt(6/n)/w0)`` (`SirenHidden`).

`keras_acts.layers.SirenDense` applies them for you.
"""

import math

import keras

from keras_acts import _saving

__all__ = ["SirenFirst", "SirenHidden"]


def _fan_in(shape):
    """Fan-in of a Dense ``(in, out)`` or conv ``(*kernel, in, out)`` kernel."""
    shape = tuple(int(s) for s in shape)
    if len(shape) < 2:
        raise ValueError(
            f"SIREN initializers need a kernel shape of rank >= 2 (inputs, "
            f"units); got shape {shape}."
        )
    return math.prod(shape[:-1])


class _SirenUniform(keras.initializers.RandomUniform):
    """Uniform on ``[-limit, limit]``, the limit computed from the fan-in."""

    def __init__(self, seed=None):
        super().__init__(minval=-1.0, maxval=1.0, seed=seed)

    def limit(self, fan_in):
        raise NotImplementedError

    def __call__(self, shape, dtype=None):
        limit = self.limit(_fan_in(shape))
        return keras.random.uniform(
            shape, minval=-limit, maxval=limit, dtype=dtype, seed=self.seed
        )

    def get_config(self):
        config = super().get_config()
        config.pop("minval", None)
        config.pop("maxval", None)
        return config


@_saving.register
class SirenFirst(_SirenUniform):
    """SIREN first-layer initializer: ``W ~ U(-1/n, 1/n)``, n = fan-in.

    The rule of the official SIREN code (``first_layer_sine_init``); the
    paper's text has a different first-layer rule, and the authors state that
    the code is the correct one.

    Args:
        seed: int, `keras.random.SeedGenerator` or None (default). As for
            `keras.initializers.RandomUniform`.

    Example:

    >>> import keras
    >>> from keras_acts.initializers import SirenFirst
    >>> w = SirenFirst(seed=0)(shape=(2, 256))  # values in [-1/2, 1/2]

    Reference:
        [Sitzmann et al. 2020, Implicit Neural Representations with Periodic
        Activation Functions](https://arxiv.org/abs/2006.09661)
    """

    def limit(self, fan_in):
        return 1.0 / fan_in


@_saving.register
class SirenHidden(_SirenUniform):
    """SIREN hidden-layer initializer: ``W ~ U(±sqrt(6/n) / w0)``, n = fan-in.

    With this initialisation ``w0 * x W`` has standard deviation about 1 in
    every hidden layer of a sine network, whatever its width.

    Args:
        w0: float > 0, default 30.0. The frequency factor of the sine that
            follows the layer (the same `w0` as `SirenDense`'s).
        seed: int, `keras.random.SeedGenerator` or None (default). As for
            `keras.initializers.RandomUniform`.

    Example:

    >>> from keras_acts.initializers import SirenHidden
    >>> w = SirenHidden(w0=30.0, seed=0)(shape=(256, 256))

    Reference:
        [Sitzmann et al. 2020, Implicit Neural Representations with Periodic
        Activation Functions](https://arxiv.org/abs/2006.09661)
    """

    def __init__(self, w0=30.0, seed=None):
        if (
            isinstance(w0, bool)
            or not isinstance(w0, (int, float))
            or not math.isfinite(w0)
            or w0 <= 0
        ):
            raise ValueError(
                f"SirenHidden: argument `w0` got {w0!r}; expected a number > 0."
            )
        self.w0 = float(w0)
        super().__init__(seed=seed)

    def limit(self, fan_in):
        return math.sqrt(6.0 / fan_in) / self.w0

    def get_config(self):
        return {**super().get_config(), "w0": self.w0}
