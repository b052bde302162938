"""The `python -m keras_acts` command line: list, info, plot, bench.

Everything shown comes from the registry (`keras_acts.info(name)`), the same
definitions the functions, layers and docs use.
"""

import argparse
import math
import sys
import time

_DESCRIPTION = """\
Inspect the keras_acts activation catalog.

examples:
  python -m keras_acts list
  python -m keras_acts info mish
  python -m keras_acts plot mish swish relu -o acts.png
  python -m keras_acts bench mish swish
"""


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
    return ", ".join(f"{p.name}={p.default!r}" for p in spec.params) or "-"


def _spec(name):
    import keras_acts

    try:
        return keras_acts.info(name)
    except ValueError as error:
        raise UsageError(str(error)) from None


def _table(rows, header):
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]

    def line(row):
        cells = zip(row, widths, strict=True)
        return "  ".join(str(c).ljust(w) for c, w in cells).rstrip()

    out = [line(header), line(["-" * w for w in widths])]
    out += [line(r) for r in rows]
    return "\n".join(out)


def cmd_list(args):
    import keras_acts

    rows = []
    for name in keras_acts.names():
        spec = keras_acts.info(name)
        rows.append(
            [name, spec.formula, format_range(spec.output_range), format_params(spec)]
        )
    print(_table(rows, ["name", "formula (LaTeX)", "range", "params"]))
    print(f"\n{len(rows)} activations. `python -m keras_acts info NAME` for details.")
    return 0


def describe(spec):
    """Every metadata field of `spec`, as (label, text) pairs."""
    params = [f"{p.name} = {p.default!r}: {p.doc} ({p.allowed()})" for p in spec.params]
    return [
        ("name", spec.name),
        ("summary", spec.summary),
        ("formula", spec.formula),
        ("parameters", "; ".join(params) or "none"),
        ("output range", format_range(spec.output_range)),
        ("monotonic", "yes" if spec.monotonic else "no"),
        ("smooth", "yes" if spec.smooth else "no"),
        ("value at 0", _format_number(spec.value_at_zero)),
        ("symmetry", spec.symmetry or "none"),
        ("kinks", ", ".join(_format_number(k) for k in spec.kinks) or "none"),
        ("Keras built-in", spec.keras_name or "none"),
        ("fused kernel", "yes" if spec.fused else "no (Keras's op is already fused)"),
        ("reference", f"{spec.reference.citation} <{spec.reference.url}>"),
        ("layer", ", ".join(layers_for(spec.name)) or "none"),
    ]


def layers_for(name):
    """Names of the `keras_acts.layers` classes computing activation `name`."""
    try:
        from keras_acts import layers
    except ImportError:
        return []
    found = []
    for attr in sorted(getattr(layers, "__all__", dir(layers))):
        cls = getattr(layers, attr, None)
        if isinstance(cls, type) and _layer_activation_name(cls) == name:
            found.append(f"keras_acts.layers.{attr}")
    return found


def _layer_activation_name(cls):
    # Layers built from a registry spec carry it; fall back to the class name.
    spec = getattr(cls, "spec", None)
    if spec is not None and hasattr(spec, "name"):
        return spec.name
    for attr in ("activation_name", "activation"):
        value = getattr(cls, attr, None)
        if isinstance(value, str):
            return value
    return None


def cmd_info(args):
    spec = _spec(args.name)
    pairs = describe(spec)
    width = max(len(label) for label, _ in pairs)
    for label, text in pairs:
        print(f"{label.rjust(width)}: {text}")
    print("\n" + spec.public.__doc__)
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


def cmd_plot(args):
    specs = [_spec(name) for name in args.names]
    for spec in specs:
        if not plottable(spec):
            raise UsageError(
                f"{spec.name!r} is not elementwise (it normalizes over an axis), "
                "so it has no curve f(x) to plot."
            )
    if not args.xmin < args.xmax:
        raise UsageError(
            f"--xmin must be below --xmax, got {args.xmin} and {args.xmax}."
        )
    path = args.output or "_".join(args.names) + ".png"
    plot_specs(specs, path, args.xmin, args.xmax)
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
    rows = [["relu (Keras)", f"{baseline * 1e3:.2f}", "1.00"]]
    for spec in specs:
        seconds = bench_one(spec.public, x, args.repeats)
        rows.append([spec.name, f"{seconds * 1e3:.2f}", f"{seconds / baseline:.2f}"])
    print(
        f"forward+backward, {args.size} float32 elements, median of "
        f"{args.repeats}, backend {keras.backend.backend()}:\n"
    )
    print(_table(rows, ["activation", "ms", "x relu"]))
    print(
        "\nIndicative only (small size, few repeats, no isolation). For real "
        "measurements run the benchmarks in benchmarks/ (see "
        "docs/benchmarks.md)."
    )
    return 0


def build_parser():
    parser = argparse.ArgumentParser(
        prog="python -m keras_acts",
        description=_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    p = sub.add_parser("list", help="table of every activation")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("info", help="all metadata and the docstring of one activation")
    p.add_argument("name", help="activation name, e.g. mish")
    p.set_defaults(func=cmd_info)

    p = sub.add_parser(
        "plot", help="plot f(x) and its analytic derivative f'(x) to a PNG"
    )
    p.add_argument("names", nargs="+", metavar="NAME", help="activation names")
    p.add_argument(
        "-o", "--output", help="PNG file to write (default: NAME_NAME....png)"
    )
    p.add_argument("--xmin", type=float, default=-5.0, help="default: -5")
    p.add_argument("--xmax", type=float, default=5.0, help="default: 5")
    p.set_defaults(func=cmd_plot)

    p = sub.add_parser(
        "bench",
        help="quick, indicative forward+backward timing against relu",
        description="Quick forward+backward timing against relu. Indicative "
        "only; see benchmarks/ for the real benchmark.",
    )
    p.add_argument(
        "names", nargs="*", metavar="NAME", help="activation names (default: all)"
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
