"""The definition mechanism: one `ActivationSpec` per activation.

An activation is written once, as a decorated forward function plus its
analytic derivative, both with `keras.ops`::

    @activation(formula=..., reference=..., output_range=..., ...)
    def mish(x):
        '''Mish: a smooth, non-monotonic self-gated activation.'''
        return ...

    @mish.derivative
    def _(x):
        return ...

`activation` returns the *public* function (`keras_acts.mish`): it validates
parameters, computes float16/bfloat16 in float32, and runs the fused kernel of
the active backend (see `_kernels.py`). The spec behind it drives the string
names, the layers, the docs, the plots and the test harness.
"""

import dataclasses
import difflib
import inspect
import math
import numbers
import textwrap

_REGISTRY = {}  # name -> ActivationSpec, in definition order.


@dataclasses.dataclass(frozen=True)
class Reference:
    """A primary source: who, what, and a link."""

    citation: str
    url: str

    def markdown(self):
        return f"[{self.citation}]({self.url})"


@dataclasses.dataclass(frozen=True)
class Param:
    """A parameter of an activation, with its default and allowed values.

    Numeric parameters (`choices is None`) may be Python numbers (baked into
    the kernel) or tensors (inputs of the kernel, with gradients; that is how
    the learnable layers train them). Choice parameters are static only.
    """

    name: str
    default: object
    doc: str
    low: float = None
    high: float = None
    low_inclusive: bool = True
    high_inclusive: bool = True
    choices: tuple = None
    integer: bool = False

    @property
    def numeric(self):
        return self.choices is None

    def allowed(self):
        """A human-readable description of the allowed values."""
        if self.choices is not None:
            return "one of " + ", ".join(repr(c) for c in self.choices)
        kind = "an integer" if self.integer else "a number"
        if self.low is None and self.high is None:
            return f"{kind} (any finite value)"
        parts = []
        if self.low is not None:
            parts.append(f"{'>=' if self.low_inclusive else '>'} {self.low}")
        if self.high is not None:
            parts.append(f"{'<=' if self.high_inclusive else '<'} {self.high}")
        return f"{kind} " + " and ".join(parts)

    def validate(self, value, owner):
        """Checks a static value; returns it normalised. Tensors pass through."""
        if self.choices is not None:
            if value not in self.choices:
                raise ValueError(
                    f"{owner}: argument `{self.name}` got {value!r}; allowed "
                    f"values are {self.allowed()}."
                )
            return value
        if not isinstance(value, numbers.Number) or isinstance(value, bool):
            if _is_tensor_like(value):
                return value
            raise ValueError(
                f"{owner}: argument `{self.name}` got {value!r} of type "
                f"{type(value).__name__}; expected {self.allowed()}."
            )
        if self.integer and int(value) != value:
            raise ValueError(
                f"{owner}: argument `{self.name}` got {value!r}; expected "
                f"{self.allowed()}."
            )
        if not math.isfinite(value):
            raise ValueError(
                f"{owner}: argument `{self.name}` got {value!r}; expected "
                f"{self.allowed()}."
            )
        too_low = self.low is not None and (
            value < self.low or (value == self.low and not self.low_inclusive)
        )
        too_high = self.high is not None and (
            value > self.high or (value == self.high and not self.high_inclusive)
        )
        if too_low or too_high:
            raise ValueError(
                f"{owner}: argument `{self.name}` got {value!r}; allowed "
                f"values are {self.allowed()}."
            )
        return int(value) if self.integer else float(value)


def _is_tensor_like(value):
    return hasattr(value, "shape") and hasattr(value, "dtype")


@dataclasses.dataclass(eq=False)  # Hashed by identity: kernels are cached per spec.
class ActivationSpec:
    """Everything known about one activation; built by `@activation`.

    Layers may also build unregistered specs (e.g. rational units); the
    kernels in `_kernels` accept any spec.
    """

    name: str
    forward: callable
    params: tuple
    formula: str  # LaTeX, without surrounding $.
    reference: Reference
    output_range: tuple  # (low, high); may hold +-inf.
    monotonic: bool
    smooth: bool
    summary: str
    description: str
    value_at_zero: float = 0.0
    symmetry: str = None  # "odd", "even" or None.
    keras_name: str = None  # Keras built-in with the same math and defaults.
    fused: bool = True  # False: Keras's own op is already one fused kernel.
    elementwise: bool = True
    derivative: callable = None
    param_derivatives: callable = None
    derivative_note: str = ""
    kinks: tuple = ()  # Points where f or f' is not continuous.
    public: callable = None  # The `keras_acts.<name>` function.

    @property
    def defaults(self):
        return {p.name: p.default for p in self.params}

    @property
    def numeric_params(self):
        return tuple(p for p in self.params if p.numeric)

    def param(self, name):
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)

    def resolve(self, given, owner=None):
        """Merges `given` keyword arguments over defaults, validating each."""
        owner = owner or f"keras_acts.{self.name}"
        unknown = set(given) - {p.name for p in self.params}
        if unknown:
            allowed = ", ".join(p.name for p in self.params) or "none"
            raise ValueError(
                f"{owner}: unknown argument(s) {sorted(unknown)}; this "
                f"activation takes: {allowed}."
            )
        values = self.defaults
        for name, value in given.items():
            values[name] = self.param(name).validate(value, owner)
        return values

    def derivative_fn(self):
        if self.derivative is None:
            raise NotImplementedError(f"{self.name} has no elementwise derivative.")
        return self.derivative


def activation(
    *,
    formula,
    reference,
    output_range,
    monotonic,
    smooth,
    params=(),
    value_at_zero=0.0,
    symmetry=None,
    keras_name=None,
    fused=True,
    elementwise=True,
    derivative_note="",
    kinks=(),
):
    """Decorator that turns a forward formula into a registered activation.

    The decorated function takes `x` and the parameters as keyword arguments
    and computes with `keras.ops`; its docstring's first line is the summary
    and the rest the description. Returns the public function, which carries
    `.derivative` and `.param_derivatives` decorators to attach the analytic
    derivatives.
    """

    def wrap(forward):
        doc = inspect.getdoc(forward) or ""
        summary, _, description = doc.partition("\n")
        spec = ActivationSpec(
            name=forward.__name__,
            forward=forward,
            params=tuple(params),
            formula=formula,
            reference=reference,
            output_range=tuple(output_range),
            monotonic=monotonic,
            smooth=smooth,
            summary=summary.strip(),
            description=description.strip(),
            value_at_zero=value_at_zero,
            symmetry=symmetry,
            keras_name=keras_name,
            fused=fused,
            elementwise=elementwise,
            derivative_note=derivative_note,
            kinks=tuple(kinks),
        )
        if spec.name in _REGISTRY:
            raise ValueError(f"Activation {spec.name!r} is defined twice.")
        spec.public = _make_public(spec)
        _REGISTRY[spec.name] = spec
        return spec.public

    return wrap


def _make_public(spec):
    from keras_acts import _kernels, _symbolic  # Deferred: they import Keras.

    def public(x, **params):
        values = spec.resolve(params)
        if _symbolic.is_symbolic(x):
            return _symbolic.apply(spec, x, params)
        return _kernels.apply(spec, x, values)

    public.__name__ = public.__qualname__ = spec.name
    public.__module__ = "keras_acts"
    public.__doc__ = _docstring(spec)
    public.__signature__ = inspect.Signature(
        [inspect.Parameter("x", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
        + [
            inspect.Parameter(p.name, inspect.Parameter.KEYWORD_ONLY, default=p.default)
            for p in spec.params
        ]
    )
    public.spec = spec

    def derivative(fn):
        spec.derivative = fn
        return fn

    def param_derivatives(fn):
        spec.param_derivatives = fn
        return fn

    public.derivative = derivative
    public.param_derivatives = param_derivatives
    return public


def _format_number(v):
    if v == math.inf:
        return "inf"
    if v == -math.inf:
        return "-inf"
    return f"{v:.6g}"


def _docstring(spec):
    """A Google-style docstring generated from the spec (single source)."""
    lines = [spec.summary, ""]
    if spec.description:
        lines += [spec.description, ""]
    lines += [f"Formula: ``{spec.formula}``", ""]
    lines += ["Args:", "    x: Input tensor of any shape and float dtype."]
    for p in spec.params:
        lines.append(
            f"    {p.name}: {p.doc} Default: ``{p.default!r}``; {p.allowed()}."
        )
    low, high = spec.output_range
    lines += [
        "",
        "Returns:",
        (
            "    A tensor like ``x``: its shape and dtype, values in "
            f"[{_format_number(low)}, {_format_number(high)}]."
        ),
        "",
        "Example:",
        "",
        ">>> import keras, keras_acts",
        f">>> y = keras_acts.{spec.name}(keras.ops.ones((2, 3)))",
        f'>>> layer = keras.layers.Dense(8, activation="{spec.name}")',
        "",
        "Reference:",
        f"    {spec.reference.markdown()}",
    ]
    if spec.derivative_note:
        lines += ["", "Note:", textwrap.indent(spec.derivative_note, "    ")]
    return "\n".join(lines)


def registry():
    """The registry, name -> spec (do not mutate)."""
    return _REGISTRY


def names():
    """Sorted names of every registered activation."""
    return sorted(_REGISTRY)


def close_matches(name, candidates):
    return difflib.get_close_matches(str(name), list(candidates), n=5, cutoff=0.5)


def unknown_name_error(name, candidates):
    matches = close_matches(name, candidates)
    hint = f" Did you mean: {', '.join(repr(m) for m in matches)}?" if matches else ""
    return ValueError(
        f"Unknown activation {name!r}.{hint} "
        f"See keras_acts.names() for all {len(candidates)} names."
    )


def get_spec(name):
    if isinstance(name, str) and name in _REGISTRY:
        return _REGISTRY[name]
    raise unknown_name_error(name, _REGISTRY)
