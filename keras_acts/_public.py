"""The public functions (`keras_acts.mish`, ...), built from the specs.

Each runs its `ActivationSpec`: it validates the parameters, then on a
symbolic `keras.Input` records a graph op (`_symbolic`), elsewhere runs the
fused kernel of the active backend (`_kernels`). Its docstring and signature
are generated from the spec.
"""

import inspect
import math
import textwrap

from keras_acts import _kernels, _spec, _symbolic


def build_all():
    """Builds the public function of every registered spec that has none."""
    for spec in _spec.registry().values():
        if spec.public is None:
            spec.public = make_public(spec)


def make_public(spec):
    """The `keras_acts.<name>` function of `spec`."""

    def public(x, **params):
        rank = None if spec.elementwise else _spec._rank(x)
        values = spec.resolve(params, rank=rank)
        if _symbolic.is_symbolic(x):
            # The normalised values (NumPy scalars -> floats) go into the config.
            return _symbolic.apply(spec, x, {k: values[k] for k in params})
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
    lines += [f"Formula: $f(x) = {spec.formula}$", ""]
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
