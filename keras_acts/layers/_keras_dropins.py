"""Layers that share their class name with a Keras layer: drop-ins for it.

`ReLU`, `LeakyReLU`, `ELU` and `Softmax` subclass Keras's own layer, so they
take every argument Keras's does, with Keras's defaults (LeakyReLU's slope is
0.3, while the function's is 0.2), are built at construction as Keras's
stateless layers are, and compute what Keras's compute. Each carries the spec
of its activation for the docs, the CLI and the test harness. keras_acts'
kernel runs only where it computes the same values: ELU (the fused kernel,
measured faster than Keras's `elu`), LeakyReLU (the same values in float32;
exact in float64, where Keras's op rounds the slope to float32) and Softmax
without a mask along one axis (Keras's softmax kernel, with keras_acts'
limits at +-inf; the output still carries the logits that Keras's
cross-entropy reads).
"""

import inspect

import keras

from keras_acts import _kernels, _saving, _spec
from keras_acts.layers._checks import check_kwargs, owner


def _docstring(spec, keras_layer, summary, args, note=""):
    lines = [summary, ""]
    lines += [
        f"A drop-in for `keras.layers.{keras_layer}`: the same arguments, "
        "defaults and outputs,",
        f"also a layer form of `keras_acts.{spec.name}`. {note}".rstrip(),
        "",
        f"Formula: $f(x) = {spec.formula}$",
        "",
        "Args:",
        *[f"    {line}" for line in args],
        "    **kwargs: Standard layer arguments (`name`, `dtype`, ...).",
        "",
        "Call arguments:",
        "    inputs: A float tensor of any shape.",
        "",
        "Returns:",
        "    A tensor of the same shape and dtype as `inputs`.",
        "",
        "Example:",
        "",
        ">>> import keras",
        f">>> from keras_acts.layers import {keras_layer}",
        f">>> y = {keras_layer}()(keras.ops.ones((2, 3)))",
        "",
        "Reference:",
        f"    {spec.reference.markdown()}",
    ]
    return "\n".join(lines)


class _DropIn:
    """Keras's arguments, checked against the activation's metadata first.

    Values of the activation's parameters get keras_acts' errors (argument,
    value, what is allowed); unknown arguments list close matches; the rest
    is Keras's layer.
    """

    legacy_arguments = ()  # Keras's deprecated spellings, passed on as they are.

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # help() and IDEs show Keras's arguments, not (*args, **kwargs).
        cls.__signature__ = inspect.signature(cls._keras_layer())

    def __init__(self, *args, **kwargs):
        who = owner(self)
        check_kwargs(
            type(self),
            {k: v for k, v in kwargs.items() if k not in self.legacy_arguments},
            who,
        )
        keras_init = inspect.signature(super().__init__).parameters.values()
        names = [p.name for p in keras_init if p.kind is p.POSITIONAL_OR_KEYWORD]
        if len(args) > len(names):
            raise ValueError(
                f"{who}: takes at most {len(names)} positional argument(s) "
                f"({', '.join(names) or 'none'}); got {len(args)}."
            )
        for name, value in zip(names, args, strict=False):
            if name in kwargs:
                raise ValueError(
                    f"{who}: argument `{name}` given twice (positionally and by "
                    "keyword)."
                )
            kwargs[name] = value
        for param in self.spec.params:
            if param.name in kwargs:
                try:
                    kwargs[param.name] = self._checked(param, kwargs[param.name], who)
                except ValueError as error:
                    raise self._with_keras_message(error, param.name, kwargs) from None
        super().__init__(**kwargs)

    def call(self, inputs, *args, **kwargs):
        # keras_acts' promise for every layer: integer and bool inputs are
        # computed as floatx() (Keras's ReLU would return ints, or fail).
        dtype = keras.backend.standardize_dtype(inputs.dtype)
        if not keras.backend.is_float_dtype(dtype):
            inputs = keras.ops.cast(inputs, keras.config.floatx())
        return super().call(inputs, *args, **kwargs)

    @classmethod
    def _keras_layer(cls):
        return next(b for b in cls.__mro__ if b.__module__.startswith("keras."))

    @classmethod
    def _with_keras_message(cls, error, name, kwargs):
        """Our message, then Keras's own where its layer rejects the value too."""
        try:
            cls._keras_layer()(**{name: kwargs[name]})
        except (ValueError, TypeError) as keras_error:
            return ValueError(f"{error} (Keras's layer: {keras_error})")
        return error

    @staticmethod
    def _checked(param, value, who):
        if param.name == "axis" and isinstance(value, (tuple, list)) and value:
            # Keras's Softmax also normalises over several axes.
            try:
                return type(value)(param.validate(a, who) for a in value)
            except ValueError:
                raise param._error(who, value, "an entry is not an axis") from None
        return param.validate(value, who, allow_tensors=False)


@_saving.register
class ReLU(_DropIn, keras.layers.ReLU):
    spec = _spec.get_spec("relu")
    __doc__ = _docstring(
        spec,
        "ReLU",
        "Rectified linear unit, with Keras's cap, leak and threshold options.",
        [
            "max_value: float >= 0 or None (default): the cap.",
            "negative_slope: float >= 0, default 0.0: the slope below the threshold.",
            "threshold: float >= 0, default 0.0: values below it are damped.",
        ],
        "Computed by Keras's own `relu` op, already one kernel with a lean gradient.",
    )

    def __init__(
        self, max_value=None, negative_slope=0.0, threshold=0.0, *args, **kwargs
    ):
        super().__init__(max_value, negative_slope, threshold, *args, **kwargs)


@_saving.register
class LeakyReLU(_DropIn, keras.layers.LeakyReLU):
    spec = _spec.get_spec("leaky_relu")
    __doc__ = _docstring(
        spec,
        "LeakyReLU",
        "Leaky ReLU: the identity for positive inputs, a small slope otherwise.",
        [
            "negative_slope: float >= 0, default 0.3 (Keras's layer default; the "
            "function `keras_acts.leaky_relu` defaults to 0.2). Keras's legacy "
            "`alpha` is accepted too.",
        ],
        "Computed by keras_acts' kernel: Keras's values in float32 and below "
        "(Keras's op rounds the slope to float32 even for float64 inputs).",
    )

    def __init__(self, negative_slope=0.3, *args, **kwargs):
        super().__init__(negative_slope, *args, **kwargs)
    legacy_arguments = ("alpha",)

    def call(self, inputs):
        values = {"negative_slope": self.negative_slope}
        return _kernels.apply(self.spec, inputs, values)


@_saving.register
class ELU(_DropIn, keras.layers.ELU):
    spec = _spec.get_spec("elu")
    __doc__ = _docstring(
        spec,
        "ELU",
        "Exponential linear unit: identity above 0, saturating exponential below.",
        ["alpha: float >= 0, default 1.0: the output tends to -alpha."],
        "Computed by keras_acts' fused kernel (forward and backward one kernel "
        "each; only the input is kept for the backward pass).",
    )

    def __init__(self, alpha=1.0, *args, **kwargs):
        super().__init__(alpha, *args, **kwargs)

    def call(self, inputs):
        return _kernels.apply(self.spec, inputs, {"alpha": self.alpha})

    def get_config(self):  # Keras's ELU has none: its config is inferred.
        return {**super().get_config(), "alpha": self.alpha}


@_saving.register
class Softmax(_DropIn, keras.layers.Softmax):
    spec = _spec.get_spec("softmax")
    __doc__ = _docstring(
        spec,
        "Softmax",
        "Softmax: turns scores into probabilities along an axis.",
        [
            "axis: int or tuple of ints, default -1: the axis (or axes) along "
            "which the outputs sum to 1.",
        ],
        "Call with a `mask` as Keras's layer. Without a mask, along one axis, "
        "+-inf entries give the limit (the mass goes to the +inf entries) "
        "where Keras's gives NaN.",
    )

    def __init__(self, axis=-1, *args, **kwargs):
        super().__init__(axis, *args, **kwargs)

    # No `build`: Keras builds its stateless layers at construction, and
    # only while `build` is not overridden.
    def call(self, inputs, mask=None):
        if mask is not None or isinstance(self.axis, (tuple, list)):
            return super().call(inputs, mask=mask)
        values = self.spec.resolve(
            {"axis": self.axis}, owner=owner(self), rank=_spec._rank(inputs)
        )
        return _kernels.apply(self.spec, inputs, values)


DROP_INS = {cls.spec.name: cls for cls in (ReLU, LeakyReLU, ELU, Softmax)}
