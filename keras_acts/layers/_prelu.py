"""PReLU: leaky ReLU with a learned negative slope.

`ChannelPReLU` has the paper's defaults (one slope per channel, 0.25);
`PReLU` is a drop-in for `keras.layers.PReLU` (one slope per element,
initialised to 0), computed by the same fused kernel.
"""

import numbers

import keras
from keras import ops

from keras_acts import _kernels, _saving, _spec
from keras_acts.layers._checks import (
    check_kwargs,
    keras_object,
    owner,
)

_DATA_FORMATS = ("channels_last", "channels_first")


@_saving.register
class ChannelPReLU(keras.layers.Layer):
    r"""Parametric ReLU: a leaky ReLU whose negative slope is learned per channel.

    Computed by the fused `keras_acts.leaky_relu` kernel with the slope as a
    tensor: the backward kernel returns the slope's gradient already summed
    over the shared axes, and stores nothing but the input.

    Unlike `keras.layers.PReLU` (one slope per element, initialised to 0,
    i.e. ReLU), the default here is the paper's: one slope per channel,
    initialised to 0.25. `keras_acts.layers.PReLU` is the drop-in with
    Keras's defaults.

    Formula: $f(x) = x$ if $x \ge 0$, else $a_c x$ ($a_c$: the slope of x's channel)

    Args:
        alpha_initializer: initializer for the slopes, default
            ``Constant(0.25)`` (the paper's initial value).
        alpha_regularizer: regularizer for the slopes, default None (the paper
            uses no weight decay on them: it pushes them to 0, i.e. to ReLU).
        alpha_constraint: constraint for the slopes, default None.
        shared_axes: None (default) or a list of axes (1-based, the batch axis
            excluded, as in `keras.layers.PReLU`) along which one slope is
            shared. None: one slope per channel, shared over every other axis;
            the channel axis is the last one, or axis 1 for
            ``data_format="channels_first"`` inputs of rank >= 3. An explicit
            list follows Keras: ``shared_axes=[]`` is one slope per element,
            ``[1, 2]`` on (batch, H, W, C) one per channel.
        data_format: "channels_last", "channels_first" or None (default:
            `keras.config.image_data_format()`). Only used when `shared_axes`
            is None, to find the channel axis; Dense outputs (rank 2) use the
            last axis either way.
        **kwargs: Standard layer arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: A float tensor of rank >= 2 whose non-shared axes have a known
            size (the batch size may be unknown).

    Returns:
        A tensor of the same shape and dtype as `inputs`.

    Attributes:
        alpha: the slope weight, of shape ``inputs.shape[1:]`` with 1 on
            every shared axis (e.g. ``(1, 1, C)`` for channels_last images).

    Example:

    >>> import keras
    >>> from keras_acts.layers import ChannelPReLU
    >>> model = keras.Sequential([keras.Input((32, 32, 3)),
    ...                           keras.layers.Conv2D(16, 3), ChannelPReLU()])
    >>> dense = keras.layers.Dense(64, activation=ChannelPReLU())  # also works

    Reference:
        [He et al. 2015, Delving Deep into Rectifiers: Surpassing Human-Level
        Performance on ImageNet Classification](https://arxiv.org/abs/1502.01852)
    """

    spec = _spec.get_spec("leaky_relu")
    per_channel_default = True  # shared_axes=None: one slope per channel.

    def __init__(
        self,
        alpha_initializer=None,
        alpha_regularizer=None,
        alpha_constraint=None,
        shared_axes=None,
        data_format=None,
        **kwargs,
    ):
        who = owner(self)
        check_kwargs(type(self), kwargs, who)
        super().__init__(**kwargs)
        self.supports_masking = True
        self.alpha_initializer = keras_object(
            keras.initializers.get,
            alpha_initializer
            if alpha_initializer is not None
            else keras.initializers.Constant(0.25),
            "alpha_initializer",
            who,
        )
        self.alpha_regularizer = keras_object(
            keras.regularizers.get, alpha_regularizer, "alpha_regularizer", who
        )
        self.alpha_constraint = keras_object(
            keras.constraints.get, alpha_constraint, "alpha_constraint", who
        )
        if shared_axes is not None:
            if isinstance(shared_axes, int) and not isinstance(shared_axes, bool):
                shared_axes = [shared_axes]
            if not isinstance(shared_axes, (list, tuple)):
                raise ValueError(
                    f"{who}: argument `shared_axes` got {shared_axes!r}; expected "
                    "None or a list of axis indices (1-based)."
                )
            if not all(
                isinstance(a, numbers.Integral) and not isinstance(a, bool)
                for a in shared_axes
            ):
                raise ValueError(
                    f"{who}: argument `shared_axes` got {shared_axes!r}; expected "
                    "None or a list of integer axis indices (1-based)."
                )
            shared_axes = [int(a) for a in shared_axes]
        self.shared_axes = shared_axes
        if data_format is None:
            data_format = keras.config.image_data_format()
        if data_format not in _DATA_FORMATS:
            raise ValueError(
                f"{who}: argument `data_format` got {data_format!r}; expected one "
                f"of {', '.join(map(repr, _DATA_FORMATS))} or None."
            )
        self.data_format = data_format

    def _alpha_shape(self, input_shape):
        who = owner(self)
        rank = len(input_shape)
        if rank < 2:
            raise ValueError(
                f"{who}: inputs need rank >= 2 (batch, ..., channels); got shape "
                f"{tuple(input_shape)}."
            )
        if self.shared_axes is None and self.per_channel_default:
            channel = 1 if self.data_format == "channels_first" else rank - 1
            shared = {a for a in range(1, rank) if a != channel}
        else:
            shared = set()
            for a in self.shared_axes or ():
                if not (1 - rank <= a < rank) or a % rank == 0:
                    raise ValueError(
                        f"{who}: `shared_axes` entry {a} is not a non-batch axis "
                        f"of inputs with shape {tuple(input_shape)}."
                    )
                shared.add(a % rank)
        shape = []
        for a in range(1, rank):
            if a in shared:
                shape.append(1)
            elif input_shape[a] is None:
                raise ValueError(
                    f"{who}: axis {a} of the inputs (shape {tuple(input_shape)}) "
                    "has unknown size and is not shared; give it a fixed size "
                    "or add it to `shared_axes`."
                )
            else:
                shape.append(int(input_shape[a]))
        return tuple(shape)

    def build(self, input_shape):
        self.alpha = self.add_weight(
            name="alpha",
            shape=self._alpha_shape(input_shape),
            initializer=self.alpha_initializer,
            regularizer=self.alpha_regularizer,
            constraint=self.alpha_constraint,
            autocast=False,  # Float32 under mixed precision; the kernel casts.
        )

    def call(self, inputs):
        # A read of the variable (not the variable): TF's custom_gradient
        # rejects functions that receive variables.
        slope = ops.reshape(self.alpha, self.alpha.shape)
        values = {"negative_slope": slope}
        return _kernels.apply(self.spec, inputs, values, param_grads=self.trainable)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {
            **super().get_config(),
            "alpha_initializer": keras.initializers.serialize(self.alpha_initializer),
            "alpha_regularizer": keras.regularizers.serialize(self.alpha_regularizer),
            "alpha_constraint": keras.constraints.serialize(self.alpha_constraint),
            "shared_axes": self.shared_axes,
            "data_format": self.data_format,
        }


@_saving.register
class PReLU(ChannelPReLU):
    r"""Parametric ReLU with Keras's defaults: a drop-in for `keras.layers.PReLU`.

    The same arguments, defaults and weights as `keras.layers.PReLU` (one
    slope per element, initialised to 0, i.e. ReLU; `shared_axes` shares
    it), computed by the fused `keras_acts.leaky_relu` kernel, which keeps
    only the input for the backward pass. `ChannelPReLU` has the paper's
    defaults (one slope per channel, 0.25).

    Formula: $f(x) = x$ if $x \ge 0$, else $a x$ ($a$: the slope of x's element)

    Args:
        alpha_initializer: initializer for the slopes, default ``"zeros"``.
        alpha_regularizer: regularizer for the slopes, default None.
        alpha_constraint: constraint for the slopes, default None.
        shared_axes: None (default: one slope per element) or a list of axes
            (1-based, the batch axis excluded) along which one slope is
            shared, e.g. ``[1, 2]`` on (batch, H, W, C) for one per channel.
        **kwargs: Standard layer arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: A float tensor of rank >= 2 whose non-shared axes have a known
            size.

    Returns:
        A tensor of the same shape and dtype as `inputs`.

    Example:

    >>> import keras
    >>> from keras_acts.layers import PReLU
    >>> model = keras.Sequential([keras.Input((8, 8, 3)),
    ...                           keras.layers.Conv2D(16, 3),
    ...                           PReLU(shared_axes=[1, 2])])

    Reference:
        [He et al. 2015, Delving Deep into Rectifiers: Surpassing Human-Level
        Performance on ImageNet Classification](https://arxiv.org/abs/1502.01852)
    """

    per_channel_default = False  # shared_axes=None: one slope per element.

    def __init__(
        self,
        alpha_initializer="zeros",
        alpha_regularizer=None,
        alpha_constraint=None,
        shared_axes=None,
        **kwargs,
    ):
        super().__init__(
            alpha_initializer=alpha_initializer,
            alpha_regularizer=alpha_regularizer,
            alpha_constraint=alpha_constraint,
            shared_axes=shared_axes,
            **kwargs,
        )

    def get_config(self):
        config = super().get_config()
        del config["data_format"]
        return config

    @classmethod
    def from_config(cls, config):
        if "data_format" in config:
            # Saved before keras_acts' PReLU took Keras's defaults: that layer
            # is ChannelPReLU now (shared_axes=None meant one per channel).
            return ChannelPReLU.from_config(config)
        return super().from_config(config)
