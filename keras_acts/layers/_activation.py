"""Layers generated from the registry: one class per activation.

`static_layer(spec)` makes a layer whose parameters are fixed numbers (baked
into the fused kernel); `learnable_layer(spec, ...)` makes one whose numeric
parameters are trainable weights, passed to the same kernel as tensors so
their gradients come from the spec's analytic `param_derivatives`, reduced to
the weight's shape inside the backward kernel.
"""

import inspect
import textwrap

import keras
from keras import ops

from keras_acts import _kernels, _saving, _spec
from keras_acts.constraints import Range
from keras_acts.layers._checks import (
    LAYER_KWARGS,
    check_bool,
    check_int,
    keras_object,
    owner,
)


def class_name(activation_name):
    """The layer class name of a registry activation (``star_relu`` ->
    ``StarReLU``): its spec's `LayerOptions`."""
    return _spec.get_spec(activation_name).layer_class_name


def split_layer_kwargs(kwargs):
    """Takes the standard layer keyword arguments out of `kwargs`."""
    return {k: kwargs.pop(k) for k in list(kwargs) if k in LAYER_KWARGS}


def bind_positional(cls, args, kwargs):
    """Maps positional arguments onto the spec's parameters, in order."""
    params = cls.spec.params
    if len(args) > len(params):
        raise ValueError(
            f"{owner(cls)}: takes at most {len(params)} positional argument(s) "
            f"({', '.join(p.name for p in params) or 'none'}); got {len(args)}."
        )
    for param, value in zip(params, args, strict=False):
        if param.name in kwargs:
            raise ValueError(
                f"{owner(cls)}: argument `{param.name}` given twice "
                "(positionally and by keyword)."
            )
        kwargs[param.name] = value
    return kwargs


def _param_lines(spec):
    return [
        f"    {p.name}: {p.doc} Default: ``{p.default!r}``; {p.allowed()}."
        for p in spec.params
    ]


_CALL_SECTION = [
    "Call arguments:",
    "    inputs: A float tensor of any shape (float16 and bfloat16 are",
    "        computed in float32 inside the kernel).",
    "",
    "Returns:",
    "    A tensor of the same shape and dtype as `inputs`.",
]


class _ActivationLayer(keras.layers.Layer):
    """Shared behaviour of the registry layers: elementwise, shape-preserving."""

    spec = None  # Set on each generated class; read by the docs and the CLI.

    def compute_output_shape(self, input_shape):
        return input_shape


class StaticActivation(_ActivationLayer):
    """Base of the generated layers whose parameters are fixed numbers."""

    def __init__(self, *args, **kwargs):
        kwargs = bind_positional(type(self), args, kwargs)
        layer_kwargs = split_layer_kwargs(kwargs)
        values = self.spec.resolve(
            kwargs, owner=owner(self), extra=sorted(LAYER_KWARGS), allow_tensors=False
        )
        super().__init__(**layer_kwargs)
        self.supports_masking = True
        self._values = values
        for name, value in values.items():
            setattr(self, name, value)

    def build(self, input_shape):
        # An `axis` parameter (softmax) must index the inputs.
        self.spec.resolve(self._values, owner=owner(self), rank=len(input_shape))

    def call(self, inputs):
        return _kernels.apply(self.spec, inputs, self._values)

    def get_config(self):
        return {**super().get_config(), **self._values}


def _static_docstring(spec, name):
    lines = [f"{spec.summary}", ""]
    lines += [
        textwrap.fill(
            f"Layer form of `keras_acts.{spec.name}` (the string "
            f'``activation="{spec.name}"``): same fused kernel, parameters fixed.',
            76,
        ),
        "",
    ]
    if spec.description:
        lines += [spec.description, ""]
    lines += [f"Formula: $f(x) = {spec.formula}$", "", "Args:"]
    lines += _param_lines(spec)
    lines += [
        "    **kwargs: Standard layer arguments (`name`, `dtype`, ...).",
        "",
        *_CALL_SECTION,
        "",
        "Example:",
        "",
        ">>> import keras",
        f">>> from keras_acts.layers import {name}",
        ">>> model = keras.Sequential(",
        f"...     [keras.Input((16,)), keras.layers.Dense(32), {name}()])",
        f">>> y = {name}()(keras.ops.ones((2, 3)))",
        "",
        "Reference:",
        f"    {spec.reference.markdown()}",
    ]
    return "\n".join(lines)


def _signature(spec, extra=()):
    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    params = [inspect.Parameter("self", kind)]
    params += [inspect.Parameter(p.name, kind, default=p.default) for p in spec.params]
    params += [inspect.Parameter(n, kind, default=d) for n, d in extra]
    params.append(inspect.Parameter("kwargs", inspect.Parameter.VAR_KEYWORD))
    return inspect.Signature(params)


def _make_class(name, base, spec, docstring, signature, attrs=None):
    def __init__(self, *args, **kwargs):
        base.__init__(self, *args, **kwargs)

    __init__.__signature__ = signature
    __init__.__doc__ = None
    namespace = {
        "__init__": __init__,
        "__doc__": docstring,
        "__module__": "keras_acts.layers",
        "__qualname__": name,
        "spec": spec,
        **(attrs or {}),
    }
    cls = type(name, (base,), namespace)
    return _saving.register(cls)


def static_layer(spec):
    """The layer class of `spec`, its parameters fixed at construction."""
    name = spec.layer_class_name
    return _make_class(
        name,
        StaticActivation,
        spec,
        _static_docstring(spec, name),
        _signature(spec),
    )


# --- Learnable -------------------------------------------------------------------


class LearnableActivation(_ActivationLayer):
    """Base of the layers whose numeric parameters are trainable weights."""

    per_channel_default = False

    def __init__(self, *args, **kwargs):
        cls = type(self)
        who = owner(self)
        kwargs = bind_positional(cls, args, kwargs)
        layer_kwargs = split_layer_kwargs(kwargs)
        numeric = [p.name for p in self.spec.numeric_params]
        flags = {
            n: check_bool(kwargs.pop(f"trainable_{n}", True), f"trainable_{n}", who)
            for n in numeric
        }
        per_channel = check_bool(
            kwargs.pop("per_channel", self.per_channel_default), "per_channel", who
        )
        axis = check_int(kwargs.pop("axis", -1), "axis", who)
        regularizer = keras_object(
            keras.regularizers.get, kwargs.pop("regularizer", None), "regularizer", who
        )
        extra = [f"trainable_{n}" for n in numeric]
        extra += ["per_channel", "axis", "regularizer", *sorted(LAYER_KWARGS)]
        values = self.spec.resolve(kwargs, owner=who, extra=extra, allow_tensors=False)
        super().__init__(**layer_kwargs)
        self.supports_masking = True
        for name, value in values.items():
            setattr(self, name, value)  # Initial values; the weights train.
        for name, flag in flags.items():
            setattr(self, f"trainable_{name}", flag)
        self.per_channel = per_channel
        self.axis = axis
        self.regularizer = regularizer
        self._initial = values
        self._learned = tuple(n for n in numeric if flags[n])
        self._fixed = {k: v for k, v in values.items() if k not in self._learned}
        self._broadcast_shape = None

    def build(self, input_shape):
        shape = ()
        if self.per_channel and self._learned:
            shape, self._broadcast_shape = channel_shape(
                input_shape, self.axis, owner(self)
            )
        for name in self._learned:
            weight = self.add_weight(
                name=name,
                shape=shape,
                initializer=_exact_constant(self._initial[name]),
                regularizer=self.regularizer,
                constraint=Range.for_param(self.spec.param(name)),
                autocast=False,  # Float32 under mixed precision; the kernel casts.
            )
            setattr(self, f"{name}_weight", weight)

    def call(self, inputs):
        values = dict(self._fixed)
        for name in self._learned:
            weight = getattr(self, f"{name}_weight")
            # A read of the variable, broadcastable against the inputs (TF's
            # custom_gradient rejects functions that receive variables).
            values[name] = ops.reshape(weight, self._broadcast_shape or weight.shape)
        # A frozen layer's backward skips the parameter gradients.
        return _kernels.apply(self.spec, inputs, values, param_grads=self.trainable)

    def get_config(self):
        config = {**super().get_config(), **self._initial}
        for name in self.spec.numeric_params:
            config[f"trainable_{name.name}"] = name.name in self._learned
        config.update(
            per_channel=self.per_channel,
            axis=self.axis,
            regularizer=keras.regularizers.serialize(self.regularizer),
        )
        return config


def _exact_constant(value):
    """Initializer filling with `value` rounded once, to the weight's dtype.

    (`keras.initializers.Constant` rounds through float32 first, so a float64
    layer would start 1e-8 away from its default.)
    """

    def init(shape, dtype=None):
        return ops.full(shape, value, dtype=dtype)

    return init


def channel_shape(input_shape, axis, who):
    """Weight shape ``(C,)`` and its broadcast shape against the inputs."""
    rank = len(input_shape)
    if not -rank <= axis < rank or axis % rank == 0 and rank > 1:
        raise ValueError(
            f"{who}: argument `axis` got {axis}; inputs of shape "
            f"{tuple(input_shape)} need a non-batch axis in [{1 - rank}, {rank - 1}]."
        )
    channels = input_shape[axis]
    if channels is None:
        raise ValueError(
            f"{who}: per-channel weights need a known size on axis {axis}; got "
            f"input shape {tuple(input_shape)}."
        )
    trailing = rank - 1 - axis % rank
    return (int(channels),), (int(channels),) + (1,) * trailing


def _learnable_docstring(spec, name, per_channel_default, note):
    lines = [f"{spec.summary} Parameters learned.", ""]
    lines += [
        textwrap.fill(
            f"Trainable form of `keras_acts.{spec.name}`: each numeric parameter "
            "is a weight (one scalar per layer, or one per channel with "
            "``per_channel=True``), updated by the optimizer and clipped after "
            "each step into the values the definition allows (a "
            "`keras_acts.constraints.Range`; strict bounds are kept 1e-4 "
            "inside). The gradients come from the analytic parameter "
            "derivatives, computed in the same fused backward kernel as the "
            "input gradient.",
            76,
        ),
        "",
    ]
    if note:
        lines += [textwrap.fill(note, 76), ""]
    if spec.description:
        lines += [spec.description, ""]
    lines += [f"Formula: $f(x) = {spec.formula}$", "", "Args:"]
    for p in spec.params:
        lines.append(
            f"    {p.name}: {p.doc} Initial value; default ``{p.default!r}``; "
            f"{p.allowed()}."
        )
    for p in spec.numeric_params:
        lines.append(
            f"    trainable_{p.name}: bool, default True. False keeps `{p.name}` "
            "fixed (no weight; baked into the kernel)."
        )
    lines += [
        f"    per_channel: bool, default {per_channel_default}. True: one value "
        "per channel along `axis`; False: one scalar per layer.",
        "    axis: int, default -1. The channel axis when `per_channel` (1 for",
        "        channels_first convolutions).",
        "    regularizer: Regularizer for the learned parameters, default None.",
        "    **kwargs: Standard layer arguments (`name`, `dtype`, ...).",
        "",
        *_CALL_SECTION,
        "",
        "Attributes:",
        "    <param>_weight: the weight of each learned parameter (e.g.",
        f"        ``{spec.numeric_params[0].name}_weight``), created in `build`.",
        "",
        "Example:",
        "",
        ">>> import keras",
        f">>> from keras_acts.layers import {name}",
        ">>> model = keras.Sequential(",
        f"...     [keras.Input((16,)), keras.layers.Dense(32), {name}()])",
        f">>> dense = keras.layers.Dense(8, activation={name}())  # also works",
        "",
        "Reference:",
        f"    {spec.reference.markdown()}",
    ]
    return "\n".join(lines)


def learnable_layer(spec, per_channel_default=False, note=""):
    """The trainable layer class of `spec` (needs `spec.param_derivatives`)."""
    if spec.param_derivatives is None:
        raise ValueError(f"{spec.name} has no param_derivatives; cannot learn it.")
    name = spec.layer_class_name
    extra = [(f"trainable_{p.name}", True) for p in spec.numeric_params]
    extra += [("per_channel", per_channel_default), ("axis", -1), ("regularizer", None)]
    return _make_class(
        name,
        LearnableActivation,
        spec,
        _learnable_docstring(spec, name, per_channel_default, note),
        _signature(spec, extra),
        {"per_channel_default": per_channel_default},
    )
