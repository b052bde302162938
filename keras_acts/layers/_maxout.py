"""Maxout: the maximum over groups of channels."""

import keras
from keras import ops

from keras_acts import _saving
from keras_acts.layers._checks import check_int, check_kwargs, owner


@_saving.register
class Maxout(keras.layers.Layer):
    r"""Maxout: each output unit is the maximum of a group of input channels.

    With C input channels along `axis` and ``k = C / num_units`` channels per
    group, output unit u is the maximum of the *contiguous* channels
    ``u*k, u*k + 1, ..., u*k + k - 1``: channel c belongs to group ``c // k``.
    (TensorFlow Addons' Maxout grouped strided channels c, c + num_units,
    ...; with weights learned from scratch the two are equivalent up to a
    permutation of the preceding layer's units, but weights ported from
    Addons need their channels reordered.) Put it after a linear layer with
    ``num_units * k`` units to get the paper's maxout unit over k affine
    pieces.

    Formula: $y_u = \max_{0 \le j < k} x_{u k + j}$, with
    $k = C / \mathrm{num\_units}$

    Args:
        num_units: int >= 1. Number of output channels; must divide the
            number of input channels along `axis` (checked when built).
        axis: int, default -1. The channel axis (use 1 for channels_first
            convolution outputs). Must not be the batch axis.
        **kwargs: Standard layer arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: A tensor of rank >= 2. Any axis may have an unknown size,
            the channel axis too: its groups are then formed when the layer
            runs (a size that `num_units` does not divide is an error there;
            a known size is checked when the layer is built).

    Returns:
        The inputs with `axis` reduced from C to `num_units` channels.

    Example:

    >>> import keras
    >>> from keras_acts.layers import Maxout
    >>> model = keras.Sequential([keras.Input((64,)),
    ...                           keras.layers.Dense(4 * 32), Maxout(32)])
    >>> model.output_shape
    (None, 32)

    Reference:
        [Goodfellow et al. 2013, Maxout Networks](https://arxiv.org/abs/1302.4389)
    """

    def __init__(self, num_units, axis=-1, **kwargs):
        who = owner(self)
        check_kwargs(type(self), kwargs, who)
        super().__init__(**kwargs)
        num_units = check_int(num_units, "num_units", who)
        if num_units < 1:
            raise ValueError(
                f"{who}: argument `num_units` got {num_units}; expected an "
                "integer >= 1."
            )
        self.num_units = num_units
        self.axis = check_int(axis, "axis", who)

    def _checked_axis(self, shape):
        who = owner(self)
        rank = len(shape)
        if not -rank <= self.axis < rank or self.axis % rank == 0:
            raise ValueError(
                f"{who}: argument `axis` got {self.axis}; inputs of shape "
                f"{tuple(shape)} need a non-batch axis in [{1 - rank}, {rank - 1}]."
            )
        axis = self.axis % rank
        channels = shape[axis]
        if channels is None:
            return axis, None  # Grouped at call time, from the actual size.
        if channels % self.num_units:
            raise ValueError(
                f"{who}: the number of channels ({channels}, axis {self.axis} of "
                f"shape {tuple(shape)}) must be a multiple of num_units "
                f"({self.num_units})."
            )
        return axis, int(channels) // self.num_units

    def build(self, input_shape):
        self._checked_axis(input_shape)

    def call(self, inputs):
        axis, group = self._checked_axis(inputs.shape)
        dynamic = ops.shape(inputs)
        if group is None:
            # Known only when the graph runs: a size that num_units does not
            # divide fails in the reshape below.
            group = dynamic[axis] // self.num_units
        shape = [
            dynamic[i] if size is None else size for i, size in enumerate(inputs.shape)
        ]
        grouped = shape[:axis] + [self.num_units, group] + shape[axis + 1 :]
        return ops.max(ops.reshape(inputs, grouped), axis=axis + 1)

    def compute_output_shape(self, input_shape):
        axis, _ = self._checked_axis(input_shape)
        shape = list(input_shape)
        shape[axis] = self.num_units
        return tuple(shape)

    def get_config(self):
        return {**super().get_config(), "num_units": self.num_units, "axis": self.axis}
