"""The definition mechanism: one `ActivationSpec` per activation.

An activation is written once, as a decorated forward function plus its
analytic derivative, both with `keras.ops`::

    @activation(formula=..., reference=..., output_range=..., ...)
    def mish(x):
        '''Mish: a smooth, non-monotonic self-gated activation.'''
        return ...

    @mish.attach_derivative
    def _mish_derivative(x):
        return ...

`activation` registers and returns the `ActivationSpec`: data only. The spec
drives the public function (`keras_acts.mish`, built in `_public.py`: it
validates parameters, computes float16/bfloat16 in float32, and runs the
fused kernel of the active backend, see `_kernels.py`), the string names, the
layers, the docs, the plots and the test harness.
"""

import dataclasses
import difflib
import inspect
import math
import numbers

# name -> ActivationSpec, in definition order. Kept across importlib.reload of
# this module (which re-runs it in the same namespace): the functions, string
# names and layers built from the registry keep pointing at these specs.
_REGISTRY = globals().get("_REGISTRY", {})


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
    # An axis of the input: given the input's rank, it must index it.
    is_axis: bool = False
    # Said when a bool is given to a choice parameter (Keras's bool form).
    bool_hint: str = None

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

    def validate(self, value, owner, rank=None, allow_tensors=True):
        """Checks one value against this parameter; returns it normalised.

        Python and NumPy numbers come back as `float` (`int` for integer
        parameters). Tensors (a layer's weights) pass through after a dtype
        check; NumPy arrays are also checked value by value. An `is_axis`
        parameter is an axis of the input: given `rank`, it must index it.
        `allow_tensors=False` (layer constructors, whose values go into a
        config) accepts Python and NumPy numbers only.

        Raises:
            ValueError: naming the argument, the value received and what is
                allowed. Booleans are never accepted as numbers.
        """
        if self.choices is not None:
            return self._validate_choice(value, owner)
        if _is_bool(value):
            raise self._error(owner, value, "a bool is not accepted as a number")
        if isinstance(value, numbers.Real):
            if self.integer and not isinstance(value, numbers.Integral):
                raise self._error(owner, value, f"of type {type(value).__name__}")
            if not math.isfinite(value) or not self._in_range(value):
                raise self._error(owner, value)
            value = int(value) if self.integer else float(value)
            if rank is not None and self.is_axis and not -rank <= value < rank:
                allowed = (
                    f"allow an axis in [{-rank}, {rank - 1}]" if rank else "have none"
                )
                raise ValueError(
                    f"{owner}: argument `axis` got {value!r}; inputs of rank "
                    f"{rank} {allowed}."
                )
            return value
        if _is_tensor_like(value) and not self.integer and allow_tensors:
            return self._validate_tensor(value, owner)
        raise self._error(owner, value, f"of type {type(value).__name__}")

    def _in_range(self, value):
        too_low = self.low is not None and (
            value < self.low or (value == self.low and not self.low_inclusive)
        )
        too_high = self.high is not None and (
            value > self.high or (value == self.high and not self.high_inclusive)
        )
        return not (too_low or too_high)

    def _error(self, owner, value, why=""):
        why = f" ({why})" if why else ""
        return ValueError(
            f"{owner}: argument `{self.name}` got {_short_repr(value)}{why}; "
            f"allowed values are {self.allowed()}."
        )

    def _validate_choice(self, value, owner):
        if isinstance(value, str) and value in self.choices:
            return value
        hint = ""
        if isinstance(value, str):
            hint = did_you_mean(choice_matches(value, self.choices))
        elif self.bool_hint is not None and _is_bool(value):
            hint = f" ({self.bool_hint})"
        raise ValueError(
            f"{owner}: argument `{self.name}` got {_short_repr(value)}; allowed "
            f"values are {self.allowed()}.{hint}"
        )

    def _validate_tensor(self, value, owner):
        import keras
        import numpy as np

        try:
            dtype = keras.backend.standardize_dtype(value.dtype)
        except ValueError:
            dtype = str(value.dtype)
        if not any(dtype.startswith(k) for k in ("float", "bfloat", "int", "uint")):
            raise self._error(owner, value, f"a tensor of dtype {dtype}")
        if isinstance(value, (np.ndarray, np.generic)):
            array = np.asarray(value, dtype=np.float64)
            bad = ~np.isfinite(array)
            if not bad.any():
                bad = ~np.vectorize(self._in_range, otypes=[bool])(array)
            if bad.any():
                raise self._error(
                    owner, value, f"entry {array[bad].ravel()[0]!r} is not allowed"
                )
        return value


def _is_bool(value):
    import numpy as np

    return isinstance(value, (bool, np.bool_))


def _short_repr(value, limit=80):
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _rank(x):
    """The rank of `x` (a tensor, array, number or nested list); None if unknown."""
    shape = getattr(x, "shape", None)
    if shape is not None:
        try:
            return len(shape)
        except (TypeError, ValueError):  # A TensorFlow shape of unknown rank.
            return None
    import numpy as np

    return np.ndim(x)


def _is_tensor_like(value):
    return hasattr(value, "shape") and hasattr(value, "dtype")


@dataclasses.dataclass(frozen=True)
class LayerOptions:
    """How `keras_acts.layers` presents an activation as a layer.

    Attributes:
        class_name: the layer class's name; None gives the activation's name
            in CamelCase (``hard_swish`` -> ``HardSwish``). Saved in `.keras`
            configs: never rename.
        learnable: the layer trains the numeric parameters (as the paper
            does); needs the spec's `param_derivatives`. Otherwise they are
            fixed at construction.
        per_channel_default: a learnable layer's `per_channel` default.
        note: a sentence for the learnable layer's docstring.
    """

    class_name: str = None
    learnable: bool = False
    per_channel_default: bool = False
    note: str = ""


# (spec, rank): the spec's default axis is valid for inputs of that rank.
_DEFAULTS_FIT_RANK = set()


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
    # False: not run as keras_acts' generic fused kernel (`_kernels.apply`):
    # the formula calls Keras's op, already one fused kernel with a lean
    # gradient, or (softmax) ops of its own with a custom gradient.
    fused: bool = True
    elementwise: bool = True
    derivative: callable = None
    param_derivatives: callable = None
    # An eager-PyTorch kernel for calls with tensor weights (a trainable
    # layer), where the definition runs as too many passes over memory
    # (`_activations/torch_kernels.py`); None: the definition's op.
    torch_kernel: object = None
    derivative_note: str = ""
    kinks: tuple = ()  # Points where f or f' is not continuous.
    # The output carries the input as `_keras_logits`, as Keras's softmax and
    # sigmoid do: Keras's cross-entropy then works from the logits.
    marks_logits: bool = False
    layer: LayerOptions = LayerOptions()
    public: callable = None  # The `keras_acts.<name>` function.

    @property
    def layer_class_name(self):
        """The class name of the activation's layer in `keras_acts.layers`."""
        if self.layer.class_name is not None:
            return self.layer.class_name
        return "".join(w[:1].upper() + w[1:] for w in self.name.split("_"))

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

    def resolve(self, given, owner=None, extra=(), rank=None, allow_tensors=True):
        """Merges `given` keyword arguments over defaults, validating each.

        Args:
            given: keyword arguments, name -> value.
            owner: how the error messages name the caller.
            extra: other argument names the caller accepts (only used to
                suggest close matches for an unknown name).
            rank: the rank of the input, when known: checks ``axis``.
            allow_tensors: False to accept numbers only (layer arguments).

        Raises:
            ValueError: for an unknown name (listing the close matches and
                every accepted name) or a value that is not allowed.
        """
        owner = owner or f"keras_acts.{self.name}"
        if not given:  # The common call: the defaults, only an axis to check.
            return self._checked_defaults(owner, rank)
        accepted = [p.name for p in self.params] + list(extra)
        unknown = sorted(set(given) - {p.name for p in self.params})
        if unknown:
            hints = "".join(
                did_you_mean(close_matches(name, accepted), about=name)
                for name in unknown
            )
            raise ValueError(
                f"{owner}: unknown argument(s) {unknown}.{hints} "
                f"Accepted: {', '.join(accepted) or 'none'}."
            )
        values = self.defaults
        for name, value in given.items():
            values[name] = self.param(name).validate(
                value, owner, rank=rank, allow_tensors=allow_tensors
            )
        if rank is not None:
            for p in self.params:
                if p.is_axis and p.name not in given:
                    p.validate(values[p.name], owner, rank=rank)
        return values

    def _checked_defaults(self, owner, rank):
        values = self.defaults
        if rank is not None and (self, rank) not in _DEFAULTS_FIT_RANK:
            for p in self.params:
                if p.is_axis:
                    p.validate(values[p.name], owner, rank=rank)
            _DEFAULTS_FIT_RANK.add((self, rank))  # Checked once per rank.
        return values

    def attach_derivative(self, fn):
        """Decorator: `fn(x, **params)` is the analytic derivative df/dx."""
        self.derivative = fn
        return fn

    def attach_param_derivatives(self, fn):
        """Decorator: `fn(x, **params)` gives {name: df/dparam} for the
        numeric parameters (what a learnable layer trains)."""
        self.param_derivatives = fn
        return fn

    def attach_torch_kernel(self, kernel):
        """An eager-PyTorch kernel for calls with tensor weights: `bound(params)`
        (the |x| it computes up to, or None), `forward(x, params)` -> (y,
        saved), `backward(x, g, params, saved, needs)` -> (dx, {weight:
        gradient}); the definition stays the source of truth and runs
        everywhere else (`_activations/torch_kernels.py`)."""
        self.torch_kernel = kernel
        return kernel


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
    marks_logits=False,
    layer=LayerOptions(),
):
    """Decorator that turns a forward formula into a registered activation.

    The decorated function takes `x` and the parameters as keyword arguments
    and computes with `keras.ops`; its docstring's first line is the summary
    and the rest the description. Returns the registered `ActivationSpec`;
    its `attach_derivative` and `attach_param_derivatives` decorators attach
    the analytic derivatives. The public function (`keras_acts.<name>`) is
    built from the spec by `_public`.
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
            marks_logits=marks_logits,
            layer=layer,
        )
        existing = _REGISTRY.get(spec.name)
        if existing is not None:
            if _same_definition(existing.forward, forward):
                # The same source run again (importlib.reload of the catalog):
                # keep the registered activation, which the string names,
                # layers and compiled kernels already use.
                return existing
            raise ValueError(f"Activation {spec.name!r} is defined twice.")
        _REGISTRY[spec.name] = spec
        return spec

    return wrap


def _same_definition(a, b):
    return (a.__module__, a.__qualname__) == (b.__module__, b.__qualname__)


def registry():
    """The registry, name -> spec (do not mutate)."""
    return _REGISTRY


def names():
    """Sorted names of every registered activation."""
    return sorted(_REGISTRY)


def close_matches(name, candidates):
    """Up to 5 of `candidates` that look like `name` (none if not a string).

    Case is ignored when comparing (``Pau`` finds ``PAU``); the candidates
    come back as spelt, the closest first.
    """
    if not isinstance(name, str):
        return []
    by_lower = {}
    for candidate in candidates:
        by_lower.setdefault(str(candidate).lower(), []).append(candidate)
    found = []
    for lower in difflib.get_close_matches(name.lower(), list(by_lower), cutoff=0.5):
        found += by_lower[lower]
    return found[:5]


def did_you_mean(matches, about=None):
    """The hint for a misspelt name, worded once for the whole package.

    " Did you mean: 'a', 'b'?" (with a leading space), or, naming the
    misspelt argument `about`, " `about`: did you mean 'a', 'b'?"; "" when
    there are no `matches` (from `close_matches` or `choice_matches`).
    """
    if not matches:
        return ""
    listed = ", ".join(repr(m) for m in matches)
    if about is not None:
        return f" `{about}`: did you mean {listed}?"
    return f" Did you mean: {listed}?"


def choice_matches(value, choices):
    """The `choices` a string `value` may have meant: the same letters in
    another case first, then `close_matches`."""
    matches = [c for c in choices if c.lower() == value.lower()]
    return matches + [c for c in close_matches(value, choices) if c not in matches]


def unknown_name_error(name, candidates):
    hint = did_you_mean(close_matches(name, candidates))
    return ValueError(
        f"Unknown activation {name!r}.{hint} "
        f"See keras_acts.names() for all {len(candidates)} names."
    )


def get_spec(name):
    if isinstance(name, str) and name in _REGISTRY:
        return _REGISTRY[name]
    raise unknown_name_error(name, _REGISTRY)
