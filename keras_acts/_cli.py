"""The `python -m keras_acts` command line: list, info, plot, bench.

Everything shown comes from the registry (`keras_acts.info(name)`) and the
layer classes of `keras_acts.layers`, the same definitions the functions,
layers and docs use. Names are matched case-insensitively.
"""

import argparse
import inspect
import math
import os
import pathlib
import shutil
import sys
import textwrap
import time

_DESCRIPTION = """\
Inspect the keras_acts activation functions and layers.

examples:
  python -m keras_acts list
  python -m keras_acts list --layers
  python -m keras_acts info mish
  python -m keras_acts info PAU
  python -m keras_acts plot mish swish relu -o acts.png
  python -m keras_acts plot pau prelu
  python -m keras_acts bench mish swish
"""
_LIST_HINT = "`python -m keras_acts list` shows every name."
NON_TTY_WIDTH = 100  # Table width when stdout is not a terminal.


class UsageError(Exception):
    """Bad command-line input; reported as one line, exit status 2."""


def _format_number(value):
    if value is None:
        return "n/a"
    if not isinstance(value, (int, float)):
        return str(value)
    if value == math.inf:
        return "inf"
    if value == -math.inf:
        return "-inf"
    return f"{value:.4g}"


def format_range(output_range):
    low, high = output_range
    left = "(" if low == -math.inf else "["
    right = ")" if high == math.inf else "]"
    return f"{left}{_format_number(low)}, {_format_number(high)}{right}"


def format_params(spec):
    return (
        ", ".join(f"{p.name}={_format_default(p.default)}" for p in spec.params) or "-"
    )


def _format_default(value):
    return _format_number(value) if isinstance(value, float) else repr(value)


def _function_names():
    import keras_acts

    return keras_acts.names()


def _layer_names():
    from keras_acts.layers import _curve

    return list(_curve.layer_classes())


def resolve(name):
    """What a command-line name stands for, matched case-insensitively.

    An exact function name comes first, then an exact layer class name, then
    the same ignoring case (``mish``: the function; ``Mish``: the layer;
    ``pau``: the layer `PAU`).

    Args:
        name: a name from `python -m keras_acts list`.

    Returns:
        ``("function", spec)`` or ``("layer", class_name, cls)``.

    Raises:
        UsageError: for an unknown name, listing close matches and pointing
            to the `list` command.
    """
    import keras_acts
    from keras_acts.layers import _curve

    functions = _function_names()
    layers = _curve.layer_classes()
    if name in functions:
        return ("function", keras_acts.info(name))
    if name in layers:
        return ("layer", name, layers[name])
    for candidate in functions:
        if candidate.lower() == name.lower():
            return ("function", keras_acts.info(candidate))
    for candidate, cls in layers.items():
        if candidate.lower() == name.lower():
            return ("layer", candidate, cls)
    raise unknown_name(name)


def unknown_name(name):
    """The UsageError for a name that is neither a function nor a layer."""
    from keras_acts import _spec

    matches = _spec.close_matches(name, [*_function_names(), *_layer_names()])
    hint = _spec.did_you_mean(matches)
    return UsageError(f"Unknown activation or layer {name!r}.{hint} {_LIST_HINT}")


def _spec(name):
    """The spec of the activation function `name` (bench times functions)."""
    found = resolve(name)
    if found[0] == "layer":
        raise UsageError(
            f"{name!r} is the layer keras_acts.layers.{found[1]}; this command "
            "takes activation functions. " + _LIST_HINT
        )
    return found[1]


def terminal_width():
    """Columns for a table: the terminal's, or at most 100 when not a tty."""
    if sys.stdout.isatty():
        return shutil.get_terminal_size().columns
    try:
        columns = int(os.environ.get("COLUMNS", NON_TTY_WIDTH))
    except ValueError:
        columns = NON_TTY_WIDTH
    return min(max(columns, 1), NON_TTY_WIDTH)


def _table(rows, header, width=None):
    """A text table; with `width`, its widest columns wrap to fit it."""
    rows = [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    if width is not None:
        floor = [min(w, max(len(h), 10)) for w, h in zip(widths, header, strict=True)]
        while sum(widths) + 2 * (len(widths) - 1) > width:
            shrinkable = [i for i, w in enumerate(widths) if w > floor[i]]
            if not shrinkable:
                break
            widest = max(shrinkable, key=lambda i: widths[i])
            widths[widest] -= 1

    def lines(row):
        cells = [
            textwrap.wrap(c, w, break_on_hyphens=False) or [""]
            for c, w in zip(row, widths, strict=True)
        ]
        for k in range(max(len(c) for c in cells)):
            parts = [c[k] if k < len(c) else "" for c in cells]
            yield "  ".join(p.ljust(w) for p, w in zip(parts, widths, strict=True))

    out = [*lines(header), "  ".join("-" * w for w in widths)]
    for row in rows:
        out += lines(row)
    return "\n".join(line.rstrip() for line in out)


def _first_line(doc):
    return inspect.cleandoc(doc or "").split("\n", 1)[0].strip()


def _layer_computes(name, cls):
    """The activation a layer class applies, in a few words."""
    import keras_acts
    from keras_acts.layers import _rational

    if issubclass(cls, _rational._Rational):
        return "rational P(x)/Q(x)"
    spec = getattr(cls, "spec", None)
    if spec is not None and spec.name in keras_acts.names():
        return spec.name
    return "max over channel groups" if name == "Maxout" else "-"


def cmd_list(args):
    import keras_acts
    from keras_acts import _plaintext
    from keras_acts.layers import _curve

    width = terminal_width()
    both = not (args.functions or args.layers)
    blocks = []
    if args.functions or both:
        rows = []
        for name in keras_acts.names():
            spec = keras_acts.info(name)
            rows.append(
                [
                    name,
                    _plaintext.plain(spec.formula),
                    format_range(spec.output_range),
                    format_params(spec),
                ]
            )
        blocks.append(
            f'Functions ({len(rows)}): keras_acts.NAME(x) or activation="NAME"\n\n'
            + _table(rows, ["name", "formula", "range", "params"], width)
        )
    if args.layers or both:
        rows = []
        for name, cls in _curve.layer_classes().items():
            learns = "yes" if _curve.is_learnable(cls) else "no"
            rows.append(
                [name, _layer_computes(name, cls), learns, _first_line(cls.__doc__)]
            )
        blocks.append(
            f"Layers ({len(rows)}): keras_acts.layers.NAME\n\n"
            + _table(rows, ["name", "computes", "learns shape", "summary"], width)
        )
    print("\n\n".join(blocks))
    footer = "`python -m keras_acts info NAME` for details (names match in any case)."
    print("\n" + textwrap.fill(footer, width))
    return 0


def describe(spec):
    """Every metadata field of `spec`, as (label, text) pairs."""
    params = [f"{p.name} = {p.default!r}: {p.doc} ({p.allowed()})" for p in spec.params]
    return [
        ("name", spec.name),
        ("summary", spec.summary),
        ("formula", _plain(spec.formula)),
        ("parameters", "; ".join(params) or "none"),
        ("output range", format_range(spec.output_range)),
        ("monotonic", "yes" if spec.monotonic else "no"),
        ("smooth", "yes" if spec.smooth else "no"),
        ("value at 0", _format_number(spec.value_at_zero)),
        ("symmetry", spec.symmetry or "none"),
        ("kinks", ", ".join(_format_number(k) for k in spec.kinks) or "none"),
        ("Keras built-in", spec.keras_name or "none"),
        ("fused kernel", _fused_text(spec)),
        ("reference", f"{spec.reference.citation} <{spec.reference.url}>"),
        ("layer", ", ".join(layers_for(spec.name)) or "none"),
    ]


def _fused_text(spec):
    if spec.fused:
        return "yes"
    if not spec.elementwise:
        return "no (its own ops, with a custom gradient)"
    return "no (Keras's op is already fused)"


def _plain(formula):
    from keras_acts import _plaintext

    return _plaintext.plain(formula)


def layers_for(name):
    """Names of the `keras_acts.layers` classes computing activation `name`."""
    from keras_acts import layers

    found = []
    for attr in sorted(layers.__all__):
        # Layers built from a registry spec carry it.
        spec = getattr(getattr(layers, attr), "spec", None)
        if spec is not None and spec.name == name:
            found.append(f"keras_acts.layers.{attr}")
    return found


def describe_layer(name, cls):
    """What `python -m keras_acts info` shows for a layer, as (label, text)."""
    import keras_acts
    from keras_acts.layers import _curve

    curve = _curve.initial_curve(cls)
    spec = getattr(cls, "spec", None)
    pairs = [
        ("name", f"{name} (keras_acts.layers.{name})"),
        ("summary", _first_line(cls.__doc__)),
        (
            "learns shape",
            "yes: training changes its activation's parameters"
            if _curve.is_learnable(cls)
            else "no: its activation's parameters are fixed",
        ),
        ("computes", _layer_computes(name, cls)),
    ]
    if spec is not None:
        pairs.append(("formula", _plain(spec.formula)))
    if curve is not None:
        _, params, note = curve
        shown = ", ".join(
            f"{k}={_format_number(v) if isinstance(v, (int, float)) else v}"
            for k, v in params.items()
            if isinstance(v, (int, float, str))
        )
        pairs.append(("curve", note + (f": {shown}" if shown else "")))
    if spec is not None and spec.name in keras_acts.names():
        pairs.append(("function", f"python -m keras_acts info {spec.name}"))
    pairs.append(("constructor", f"{name}{inspect.signature(cls)}"))
    return pairs


def _print_pairs(pairs):
    width = max(len(label) for label, _ in pairs)
    for label, text in pairs:
        print(f"{label.rjust(width)}: {text}")


def cmd_info(args):
    found = resolve(args.name)
    if found[0] == "function":
        spec = found[1]
        _print_pairs(describe(spec))
        print("\n" + spec.public.__doc__)
    else:
        _, name, cls = found
        _print_pairs(describe_layer(name, cls))
        print("\n" + inspect.cleandoc(cls.__doc__ or ""))
    return 0


def curves(spec, xs, params=None):
    """f(x) and f'(x) from the spec's own definitions, as float64 NumPy arrays.

    Evaluated with `keras.ops` in float64, directly from `spec.forward` and
    `spec.derivative` (the analytic derivative, not autodiff), at `params`
    (default: the spec's defaults).
    """
    import numpy as np
    from keras import ops

    x = ops.convert_to_tensor(np.asarray(xs, dtype="float64"))
    params = spec.defaults if params is None else params
    values = ops.convert_to_numpy(spec.forward(x, **params))
    if spec.derivative is None:
        slopes = np.full_like(values, np.nan)
    else:
        slopes = ops.convert_to_numpy(spec.derivative(x, **params))
    return np.asarray(values, "float64"), np.asarray(slopes, "float64")


def plot_curves(entries, path, low=-5.0, high=5.0, title=None):
    """Writes a PNG with f (left) and f' (right).

    Args:
        entries: (label, spec, params) triples; params None for the defaults.
        path: the PNG file to write.
        low: left end of the x range.
        high: right end of the x range.
        title: optional figure title.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    xs = np.linspace(low, high, 1001)
    fig, (ax_f, ax_d) = plt.subplots(1, 2, figsize=(9, 3.6))
    for label, spec, params in entries:
        values, slopes = curves(spec, xs, params)
        ax_f.plot(xs, values, label=label)
        ax_d.plot(xs, slopes, label=label)
    for ax, label in ((ax_f, "f(x)"), (ax_d, "f'(x)")):
        ax.axhline(0, color="0.7", lw=0.8)
        ax.axvline(0, color="0.7", lw=0.8)
        ax.set_xlabel("x")
        ax.set_title(label)
        ax.grid(alpha=0.3)
    ax_f.legend(loc="upper left")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_specs(specs, path, low=-5.0, high=5.0, title=None):
    """Writes a PNG with f (left) and f' (right) for each spec's defaults."""
    plot_curves([(s.name, s, None) for s in specs], path, low, high, title)


def plottable(spec):
    """Whether f and f' are functions of one number (softmax is not)."""
    return spec.elementwise and spec.derivative is not None


def _plot_entry(name):
    """(label, spec, params) for one `plot` argument."""
    found = resolve(name)
    if found[0] == "function":
        spec = found[1]
        if not plottable(spec):
            raise UsageError(
                f"{spec.name!r} is not elementwise (it normalizes over an axis), "
                "so it has no curve f(x) to plot."
            )
        return spec.name, spec, None
    from keras_acts.layers import _curve

    _, layer_name, cls = found
    curve = _curve.initial_curve(cls)
    if curve is None or not plottable(curve[0]):
        raise UsageError(
            f"layer {layer_name!r} is not a function of one number "
            f"({_first_line(cls.__doc__)}), so it has no curve f(x) to plot."
        )
    spec, params, _ = curve
    label = f"{layer_name} (initial)" if _curve.is_learnable(cls) else layer_name
    return label, spec, params


def _check_output(path):
    """Raises UsageError unless a PNG (or another format) can go to `path`."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    formats = Figure().canvas.get_supported_filetypes()
    suffix = pathlib.Path(path).suffix.lower().lstrip(".")
    if suffix not in formats:
        raise UsageError(
            f"-o {path}: unknown image type {suffix or '(no extension)'!r}; "
            f"end the file name in one of: .{', .'.join(sorted(formats))}."
        )
    folder = pathlib.Path(path).parent
    if not folder.is_dir():
        raise UsageError(f"-o {path}: folder {str(folder)!r} does not exist.")


def cmd_plot(args):
    entries = [_plot_entry(name) for name in args.names]
    if not args.xmin < args.xmax:
        raise UsageError(
            f"--xmin must be below --xmax, got {args.xmin} and {args.xmax}."
        )
    path = args.output or "_".join(args.names) + ".png"
    _check_output(path)
    try:
        plot_curves(entries, path, args.xmin, args.xmax)
    except OSError as error:
        raise UsageError(f"-o {path}: cannot write it ({error.strerror}).") from None
    print(f"wrote {path}")
    return 0


def _forward_backward(fn):
    """A step computing fn(x) and d(sum fn)/dx on the active backend (compiled
    on TensorFlow and JAX)."""
    import keras

    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        @tf.function
        def step(x):
            with tf.GradientTape() as tape:
                tape.watch(x)
                y = tf.reduce_sum(fn(x))
            return tape.gradient(y, x)

        return step
    if backend == "jax":
        import jax
        import jax.numpy as jnp

        return jax.jit(jax.grad(lambda x: jnp.sum(fn(x))))
    if backend == "torch":
        import torch

        def step(x):  # Eager: torch.compile would take longer than the bench.
            x = x.detach().requires_grad_(True)
            (dx,) = torch.autograd.grad(torch.sum(fn(x)), x)
            return dx

        return step
    raise UsageError(
        f"bench supports the tensorflow, jax and torch backends, not {backend}."
    )


def bench_one(fn, x, repeats):
    """Median seconds of one forward+backward pass of `fn` on `x`."""
    from keras import ops

    step = _forward_backward(fn)
    ops.convert_to_numpy(step(x))  # Compile and warm up.
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        ops.convert_to_numpy(step(x))
        times.append(time.perf_counter() - start)
    times.sort()
    return times[len(times) // 2]


def keras_function(spec):
    """Keras's own function for the same activation, or None."""
    from keras_acts import _keras_internals

    if spec.keras_name is None:
        return None
    return _keras_internals.keras_builtin(spec.keras_name)


def cmd_bench(args):
    import keras
    import numpy as np

    import keras_acts

    names = args.names or keras_acts.names()
    specs = [_spec(name) for name in names]
    if args.size < 1 or args.repeats < 1:
        raise UsageError(
            f"--size and --repeats must be >= 1, got {args.size} and {args.repeats}."
        )
    rng = np.random.default_rng(0)
    x = keras.ops.convert_to_tensor(rng.standard_normal(args.size).astype("float32"))
    baseline = bench_one(keras.activations.relu, x, args.repeats)
    rows = [["relu (Keras)", f"{baseline * 1e3:.2f}", "1.00", "-", "-"]]
    for spec in specs:
        seconds = bench_one(spec.public, x, args.repeats)
        row = [spec.name, f"{seconds * 1e3:.2f}", f"{seconds / baseline:.2f}"]
        original = keras_function(spec)
        if original is None:
            row += ["-", "-"]
        else:
            keras_seconds = bench_one(original, x, args.repeats)
            row += [f"{keras_seconds * 1e3:.2f}", f"{seconds / keras_seconds:.2f}"]
        rows.append(row)
    print(
        f"forward+backward, {args.size} float32 elements, median of "
        f"{args.repeats}, backend {keras.backend.backend()}:\n"
    )
    header = ["activation", "ms", "x relu", "Keras ms", "x Keras"]
    print(_table(rows, header, terminal_width()))
    note = (
        "Keras ms: Keras's own function for the same activation "
        "(keras.activations.NAME, - where Keras has none); x Keras below 1 "
        "means keras_acts is faster. Indicative only (small size, few "
        "repeats, no isolation). For real measurements run the benchmarks in "
        "benchmarks/ (see docs/benchmarks.md)."
    )
    print("\n" + textwrap.fill(note, terminal_width()))
    return 0


def build_parser():
    parser = argparse.ArgumentParser(
        prog="python -m keras_acts",
        description=_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    p = sub.add_parser(
        "list",
        help="table of every activation function and layer",
        description="Tables of the activation functions and the layers, as "
        "wide as the terminal (at most 100 columns when not a terminal).",
    )
    p.add_argument("--functions", action="store_true", help="only the functions")
    p.add_argument("--layers", action="store_true", help="only the layers")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser(
        "info", help="all metadata and the docstring of one function or layer"
    )
    p.add_argument("name", help="function or layer name, any case: mish, PAU, prelu")
    p.set_defaults(func=cmd_info)

    p = sub.add_parser(
        "plot",
        help="plot f(x) and its analytic derivative f'(x) to a PNG",
        description="Plot f(x) and its analytic derivative f'(x). A "
        "learnable layer is drawn at its initial parameters.",
    )
    p.add_argument(
        "names", nargs="+", metavar="NAME", help="function or layer names, any case"
    )
    p.add_argument(
        "-o", "--output", help="PNG file to write (default: NAME_NAME....png)"
    )
    p.add_argument("--xmin", type=float, default=-5.0, help="default: -5")
    p.add_argument("--xmax", type=float, default=5.0, help="default: 5")
    p.set_defaults(func=cmd_plot)

    p = sub.add_parser(
        "bench",
        help="quick, indicative forward+backward timing against relu and Keras",
        description="Quick forward+backward timing against Keras's relu and "
        "Keras's own function for the same activation. Indicative only; see "
        "benchmarks/ for the real benchmark.",
    )
    p.add_argument(
        "names",
        nargs="*",
        metavar="NAME",
        help="activation function names (default: all)",
    )
    p.add_argument(
        "--size", type=int, default=1 << 20, help="elements (default: 1048576)"
    )
    p.add_argument("--repeats", type=int, default=5, help="runs (default: 5)")
    p.set_defaults(func=cmd_bench)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except UsageError as error:
        print(f"{parser.prog} {args.command}: error: {error}", file=sys.stderr)
        return 2
