"""Dense layers that bundle an activation with the initialisation it needs."""

import math
import numbers

import keras

from keras_acts import _kernels, _saving, _spec
from keras_acts.initializers import SirenFirst, SirenHidden
from keras_acts.layers._checks import check_bool, check_kwargs, check_units, owner


def _no_activation(kwargs, who):
    activation = kwargs.pop("activation", None)
    if activation not in (None, "linear"):
        raise ValueError(
            f"{who}: argument `activation` got {activation!r}; the activation is "
            "built in (only None or 'linear' are accepted)."
        )


@_saving.register
class SirenDense(keras.layers.Dense):
    r"""SIREN layer: a Dense layer followed by ``sin(w0 * .)``, initialised for it.

    Computes ``sin(w0 * (x W + b))``, the sine layer of SIREN. The weights
    follow the official SIREN code: ``W ~ U(-1/n, 1/n)`` in the first layer
    (`keras_acts.initializers.SirenFirst`) and ``W ~ U(±sqrt(6/n)/w0)`` in
    the others (`SirenHidden`), n = fan-in. The bias, which the official code
    leaves at PyTorch's `nn.Linear` default, is ``U(±1/sqrt(n))`` here too.
    A SIREN ends with a plain linear `keras.layers.Dense` (no sine), as in
    the paper.

    Formula: $y = \sin(w_0 (x W + b))$

    Args:
        units: int > 0. Output size.
        w0: float > 0, default 30.0. Frequency factor (the paper's omega_0).
        is_first: bool, default False. True for the layer that takes the
            network's raw inputs (coordinates): selects `SirenFirst`.
        use_bias: bool, default True.
        kernel_initializer: default None: `SirenFirst()` if `is_first`, else
            `SirenHidden(w0)`. Any Keras initializer overrides it.
        bias_initializer: default None: ``U(-1/sqrt(n), 1/sqrt(n))``, n =
            fan-in (PyTorch's Linear default, as in the official code).
        kernel_regularizer: as in `keras.layers.Dense`, default None.
        bias_regularizer: as in `keras.layers.Dense`, default None.
        activity_regularizer: as in `keras.layers.Dense`, default None.
        kernel_constraint: as in `keras.layers.Dense`, default None.
        bias_constraint: as in `keras.layers.Dense`, default None.
        **kwargs: Standard layer arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: A float tensor of shape ``(..., input_dim)``.

    Returns:
        A tensor of shape ``(..., units)`` with values in [-1, 1].

    Example:

    >>> import keras
    >>> from keras_acts.layers import SirenDense
    >>> siren = keras.Sequential([
    ...     keras.Input((2,)),                     # (x, y) coordinates
    ...     SirenDense(256, is_first=True),
    ...     SirenDense(256),
    ...     SirenDense(256),
    ...     keras.layers.Dense(3),                 # linear output (RGB)
    ... ])

    Reference:
        [Sitzmann et al. 2020, Implicit Neural Representations with Periodic
        Activation Functions](https://arxiv.org/abs/2006.09661)
    """

    spec = _spec.get_spec("sine")

    def __init__(
        self,
        units,
        w0=30.0,
        is_first=False,
        use_bias=True,
        kernel_initializer=None,
        bias_initializer=None,
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        who = owner(self)
        _no_activation(kwargs, who)
        check_kwargs(type(self), kwargs, who)
        check_units(units, who)
        w0 = self.spec.resolve({"w0": w0}, owner=who, allow_tensors=False)["w0"]
        check_bool(is_first, "is_first", who)
        self._given_kernel_initializer = kernel_initializer
        self._given_bias_initializer = bias_initializer
        if kernel_initializer is None:
            kernel_initializer = SirenFirst() if is_first else SirenHidden(w0)
        super().__init__(
            units,
            activation=None,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            bias_initializer="zeros" if bias_initializer is None else bias_initializer,
            kernel_regularizer=kernel_regularizer,
            bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer,
            kernel_constraint=kernel_constraint,
            bias_constraint=bias_constraint,
            **kwargs,
        )
        self.w0 = w0
        self.is_first = is_first

    def build(self, input_shape):
        if self._given_bias_initializer is None:
            limit = 1.0 / math.sqrt(int(input_shape[-1]))
            self.bias_initializer = keras.initializers.RandomUniform(-limit, limit)
        super().build(input_shape)

    def call(self, inputs, training=None):
        z = super().call(inputs, training=training)
        return _kernels.apply(self.spec, z, {"w0": self.w0})

    def get_config(self):
        config = super().get_config()
        config.pop("activation", None)
        config.update(w0=self.w0, is_first=self.is_first)
        # None (the SIREN defaults) stays None, so a reload re-derives them.
        if self._given_kernel_initializer is None:
            config["kernel_initializer"] = None
        if self._given_bias_initializer is None:
            config["bias_initializer"] = None
        return config


@_saving.register
class SELUDense(keras.layers.Dense):
    r"""Self-normalising Dense layer: LeCun-normal weights, SELU, AlphaDropout.

    Bundles what SELU's self-normalisation needs (Klambauer et al. 2017):
    weights with variance 1/n (``lecun_normal``), zero bias, SELU, and
    `keras.layers.AlphaDropout` (which keeps mean and variance) instead of
    ordinary dropout. Stack it without BatchNormalization, on standardised
    inputs; `keras_acts.check_self_normalizing(model)` checks a model for the
    usual mistakes.

    Formula: $y = \mathrm{AlphaDropout}(\mathrm{selu}(x W + b))$

    Args:
        units: int > 0. Output size.
        dropout_rate: float in [0, 1), default 0.0. AlphaDropout rate applied
            to the output during training (0 disables it; the paper uses 0.05
            to 0.1).
        use_bias: bool, default True.
        kernel_initializer: default "lecun_normal". Anything else breaks the
            self-normalising property (the checker reports it).
        bias_initializer: default "zeros".
        kernel_regularizer: as in `keras.layers.Dense`.
        bias_regularizer: as in `keras.layers.Dense`.
        activity_regularizer: as in `keras.layers.Dense`.
        kernel_constraint: as in `keras.layers.Dense`.
        bias_constraint: as in `keras.layers.Dense`.
        seed: int or None, default None. Seed of the dropout noise.
        noise_shape: None (default) or a list with one size per axis of the
            output (None for the output's own size, 1 to share the dropout
            mask along that axis), passed to `keras.layers.AlphaDropout`.
        **kwargs: Standard layer arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: A float tensor of shape ``(..., input_dim)``.
        training: bool; dropout is applied only when True.

    Returns:
        A tensor of shape ``(..., units)``.

    Example:

    >>> import keras
    >>> from keras_acts.layers import SELUDense
    >>> model = keras.Sequential([keras.Input((64,))]
    ...     + [SELUDense(256, dropout_rate=0.05) for _ in range(8)]
    ...     + [keras.layers.Dense(10, activation="softmax")])

    Reference:
        [Klambauer et al. 2017, Self-Normalizing Neural Networks]
        (https://arxiv.org/abs/1706.02515)
    """

    spec = _spec.get_spec("selu")

    def __init__(
        self,
        units,
        dropout_rate=0.0,
        use_bias=True,
        kernel_initializer="lecun_normal",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        seed=None,
        noise_shape=None,
        **kwargs,
    ):
        who = owner(self)
        _no_activation(kwargs, who)
        check_kwargs(type(self), kwargs, who)
        check_units(units, who)
        if seed is not None and (
            isinstance(seed, bool) or not isinstance(seed, numbers.Integral)
        ):
            raise ValueError(
                f"{who}: argument `seed` got {seed!r}; expected None or an integer."
            )
        if (
            isinstance(dropout_rate, bool)
            or not isinstance(dropout_rate, (int, float))
            or not 0.0 <= dropout_rate < 1.0
        ):
            raise ValueError(
                f"{who}: argument `dropout_rate` got {dropout_rate!r}; expected a "
                "number in [0, 1)."
            )
        super().__init__(
            units,
            activation=None,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer,
            bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer,
            kernel_constraint=kernel_constraint,
            bias_constraint=bias_constraint,
            **kwargs,
        )
        self.dropout_rate = float(dropout_rate)
        self.seed = seed
        self.noise_shape = _noise_shape(noise_shape, who)
        self.dropout = (
            keras.layers.AlphaDropout(
                self.dropout_rate,
                noise_shape=self.noise_shape,
                seed=seed,
                dtype=self.dtype_policy,
            )
            if self.dropout_rate > 0
            else None
        )

    def call(self, inputs, training=None):
        y = _kernels.apply(self.spec, super().call(inputs, training=training), {})
        if self.dropout is not None:
            y = self.dropout(y, training=training)
        return y

    def get_config(self):
        config = super().get_config()
        config.pop("activation", None)
        config.update(
            dropout_rate=self.dropout_rate, seed=self.seed, noise_shape=self.noise_shape
        )
        return config


def _noise_shape(value, who):
    """AlphaDropout's `noise_shape`: None, or sizes (ints >= 1 or None)."""
    if value is None:
        return None
    ok = isinstance(value, (tuple, list)) and all(
        v is None
        or (isinstance(v, numbers.Integral) and not isinstance(v, bool) and v >= 1)
        for v in value
    )
    if not ok:
        raise ValueError(
            f"{who}: argument `noise_shape` got {value!r}; expected None or a "
            "list of sizes (integers >= 1, or None for the input's own size), "
            "one per axis of the output, as in keras.layers.AlphaDropout."
        )
    return [None if v is None else int(v) for v in value]
