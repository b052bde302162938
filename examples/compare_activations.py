"""Trains the same small network with each activation and compares them.

Every run uses the same data split, the same initial weights (same seed) and
the same budget; only the activation changes. Prints one line per activation
as it trains, then a table (test accuracy, final training loss, steady-state
seconds per epoch with their spread, time relative to ReLU where it differs
beyond that spread) and writes learning curves (PNG) and the results (JSON)
to --output-dir (default outputs/).

    python examples/compare_activations.py                 # digits, offline
    python examples/compare_activations.py --quick         # 2 epochs: checks it runs
    python examples/compare_activations.py --activations relu,mish,layers.PReLU
    python examples/compare_activations.py --dataset fashion_mnist --epochs 10
    python examples/compare_activations.py --verbose       # Keras's progress bars

Activations are keras_acts or Keras string names (`mish`, `tanhsoft`, ...) or
keras_acts layers written `layers.NAME` (`layers.PReLU`, `layers.PAU`, ...).
Layers that need arguments get them here: `layers.Maxout` takes the maximum
over pairs of a Dense layer twice as wide, `layers.SirenDense` and
`layers.SELUDense` replace the Dense layer.
"""

import argparse
import gzip
import inspect
import json
import os
import pathlib
import statistics
import struct
import sys
import textwrap
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402

import keras_acts  # noqa: E402  (makes the keras_acts names work as strings)
from keras_acts._spec import close_matches  # noqa: E402  (the package's hints)

DEFAULT_ACTIVATIONS = (
    "relu,leaky_relu,elu,selu,gelu,swish,hard_swish,mish,tanhsoft,eis,"
    "layers.Swish,layers.PReLU,layers.PAU,layers.HP1,layers.Snake"
)
LAYER_PREFIX = "layers."
# Layers whose constructor needs arguments, and how this example builds them
# in place of `Dense(width)` + layer (see `hidden_block`).
LAYER_RECIPES = {
    "Maxout": "Dense(2 * width) + Maxout(width): the maximum over pairs",
    "SirenDense": "SirenDense(width) in place of Dense (is_first on layer 1)",
    "SELUDense": "SELUDense(width) in place of Dense",
}


class UsageError(Exception):
    """Bad command-line input: reported in one line, exit status 2."""


# --- Data -----------------------------------------------------------------------


def load_digits(seed):
    """scikit-learn's 8x8 digits (ships with scikit-learn: works offline)."""
    from sklearn.datasets import load_digits as sk_load_digits
    from sklearn.model_selection import train_test_split

    x, y = sk_load_digits(return_X_y=True)
    x = (x / 16.0).astype("float32")
    return train_test_split(x, y, test_size=0.25, random_state=seed, stratify=y)


def _read_idx(path):
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        data = f.read()
    _, dtype_code, ndim = struct.unpack(">HBB", data[:4])
    if dtype_code != 0x08:  # Fashion-MNIST files hold unsigned bytes.
        raise UsageError(f"{path}: not an unsigned-byte IDX file.")
    shape = struct.unpack(f">{ndim}I", data[4 : 4 + 4 * ndim])
    return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(shape)


def _idx_file(data_dir, stem):
    for name in (stem, stem + ".gz"):
        path = data_dir / name
        if path.exists():
            return path
    raise UsageError(
        f"--data-dir {data_dir}: missing {stem} (or {stem}.gz). Expected the "
        "four original Fashion-MNIST files: train-images-idx3-ubyte, "
        "train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte."
    )


def load_fashion_mnist(data_dir=None):
    if data_dir is not None:
        data_dir = pathlib.Path(data_dir)
        x_train, y_train, x_test, y_test = (
            _read_idx(_idx_file(data_dir, stem))
            for stem in (
                "train-images-idx3-ubyte",
                "train-labels-idx1-ubyte",
                "t10k-images-idx3-ubyte",
                "t10k-labels-idx1-ubyte",
            )
        )
    else:
        try:
            (x_train, y_train), (x_test, y_test) = (
                keras.datasets.fashion_mnist.load_data()
            )
        except Exception as error:  # Any download failure: say what to do.
            raise UsageError(
                "could not download Fashion-MNIST "
                f"({type(error).__name__}: {error}). This needs internet "
                "access; otherwise download the four idx .gz files from "
                "https://github.com/zalandoresearch/fashion-mnist and pass "
                "--data-dir DIR, or use the offline default --dataset digits."
            ) from None

    def flat(x):
        return (x.reshape(len(x), -1) / 255.0).astype("float32")

    return flat(x_train), flat(x_test), y_train.astype("int64"), y_test.astype("int64")


# --- Activations --------------------------------------------------------------


def _layer_classes():
    try:
        from keras_acts import layers
    except ImportError:
        return None
    return {
        name: obj
        for name, obj in vars(layers).items()
        if isinstance(obj, type) and issubclass(obj, keras.layers.Layer)
    }


def _hint(name, candidates):
    matches = close_matches(name, candidates)
    return f" Did you mean: {', '.join(matches)}?" if matches else ""


def _required_arguments(cls):
    """Constructor arguments of `cls` without a default."""
    return [
        p.name
        for p in inspect.signature(cls).parameters.values()
        if p.default is inspect.Parameter.empty
        and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]


def resolve(name):
    """Checks an activation entry; returns None or raises UsageError."""
    if name.startswith(LAYER_PREFIX):
        layer_name = name[len(LAYER_PREFIX) :]
        classes = _layer_classes()
        if classes is None:
            raise UsageError(
                f"{name!r}: this keras_acts version has no keras_acts.layers."
            )
        if layer_name not in classes:
            hint = _hint(layer_name, classes)
            raise UsageError(
                f"{name!r}: keras_acts.layers has no layer {layer_name!r}.{hint} "
                "`python -m keras_acts list --layers` shows them all."
            )
        required = _required_arguments(classes[layer_name])
        if required and layer_name not in LAYER_RECIPES:
            raise UsageError(
                f"{name!r} needs the argument(s) {', '.join(required)}, which this "
                "example does not know how to choose. It builds layers that take "
                f"no arguments, and {', '.join(LAYER_RECIPES)}."
            )
        return
    try:
        keras.activations.get(name)
    except ValueError:
        hint = _hint(name, _string_names())
        raise UsageError(
            f"unknown activation {name!r}.{hint} Valid: keras_acts.names(), "
            "Keras's built-in names, or layers.NAME for a keras_acts layer."
        ) from None


def _string_names():
    from keras.src import activations  # Only for the close-match hint.

    return set(keras_acts.names()) | set(activations.ALL_OBJECTS_DICT)


def choose_activations(text, defaults):
    """The entries to run, and notes about skipped default entries."""
    entries = [a.strip() for a in text.split(",") if a.strip()]
    if not entries:
        raise UsageError("--activations is empty.")
    chosen, skipped = [], []
    for entry in entries:
        try:
            resolve(entry)
        except UsageError as error:
            if not defaults:
                raise
            skipped.append(str(error))
            continue
        chosen.append(entry)
    return chosen, skipped


# --- Model and training ---------------------------------------------------------


def hidden_block(activation, width, index):
    """The layers of hidden layer `index` (0 first) for one activation."""
    if not activation.startswith(LAYER_PREFIX):
        return [keras.layers.Dense(width, activation=activation)]
    name = activation[len(LAYER_PREFIX) :]
    cls = _layer_classes()[name]
    if name == "Maxout":
        return [keras.layers.Dense(2 * width), cls(width)]
    if name == "SirenDense":
        return [cls(width, is_first=index == 0)]
    if name == "SELUDense":
        return [cls(width)]
    return [keras.layers.Dense(width), cls()]


def build_model(activation, n_features, n_classes, width, depth):
    inputs = keras.Input((n_features,))
    h = inputs
    for index in range(depth):
        for layer in hidden_block(activation, width, index):
            h = layer(h)
    outputs = keras.layers.Dense(n_classes, activation="softmax")(h)
    model = keras.Model(inputs, outputs, name="mlp")
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


class ProgressLine(keras.callbacks.Callback):
    """One line per activation, rewritten in place each epoch on a terminal."""

    def __init__(self, label, epochs, stream):
        super().__init__()
        self.label = label
        self.epochs = epochs
        self.stream = stream
        self.text = ""

    def on_epoch_end(self, epoch, logs=None):
        self.text = progress_text(self.label, epoch + 1, self.epochs, logs or {})
        if self.stream.isatty():
            self.stream.write("\r" + self.text)
            self.stream.flush()


def progress_text(label, epoch, epochs, logs):
    """`label  epoch 3/30  loss 0.1234  val acc 0.9650`."""
    return (
        f"{label:<18} epoch {epoch:>{len(str(epochs))}}/{epochs}  "
        f"loss {logs.get('loss', float('nan')):.4f}  "
        f"val acc {logs.get('val_accuracy', float('nan')):.4f}"
    )


def train_one(activation, data, args):
    """Trains one model; returns (result, model)."""
    x_train, x_test, y_train, y_test = data
    # Same seed for every activation: same initial weights and batch order.
    keras.utils.set_random_seed(args.seed)
    model = build_model(
        activation, x_train.shape[1], int(y_train.max()) + 1, args.width, args.depth
    )
    progress = ProgressLine(activation, args.epochs, sys.stdout)
    history = model.fit(
        x_train,
        y_train,
        validation_data=(x_test, y_test),
        epochs=args.epochs,
        batch_size=args.batch_size,
        verbose=args.verbose or 0,
        callbacks=[progress] if args.verbose is None else [],
    )
    test_loss, test_accuracy = model.evaluate(
        x_test, y_test, batch_size=1024, verbose=0
    )
    if args.verbose is None:
        end = "\r" if sys.stdout.isatty() else ""
        print(f"{end}{progress.text}", flush=True)
    result = {
        "activation": activation,
        "test_accuracy": float(test_accuracy),
        "test_loss": float(test_loss),
        "final_train_loss": float(history.history["loss"][-1]),
        "history": {k: [float(v) for v in vs] for k, vs in history.history.items()},
    }
    return result, model


def time_epochs(models, data, args):
    """Steady-state seconds of one training epoch, per model, `args.repeats` each.

    Runs after training and one untimed epoch, so tracing and compilation
    (the first epoch's extra cost) are over. The repeats are interleaved (one
    epoch of every model per round) so that a change in machine load affects
    every activation alike instead of whichever ran at the time.
    """
    x_train, _, y_train, _ = data

    def epoch(model):
        model.fit(x_train, y_train, epochs=1, batch_size=args.batch_size, verbose=0)

    # The first fit() call after training sets up again (about 3x a steady
    # epoch here, for every model alike): one untimed epoch each first.
    for model in models:
        epoch(model)
    seconds = [[] for _ in models]
    for _ in range(args.repeats):
        for i, model in enumerate(models):
            start = time.perf_counter()
            epoch(model)
            seconds[i].append(time.perf_counter() - start)
    return seconds


def add_timing(results, seconds):
    """Adds each result's median, spread and ratio to relu (None when noise).

    The ratio is given only where the two sets of repeats do not overlap
    (every repeat of one is faster than every repeat of the other): a
    difference smaller than the spread is not the activation's cost.
    """
    by_name = dict(zip((r["activation"] for r in results), seconds, strict=True))
    baseline = by_name.get("relu")
    for result, times in zip(results, seconds, strict=True):
        result["epoch_seconds"] = times
        result["seconds_per_epoch"] = statistics.median(times)
        result["spread"] = (max(times) - min(times)) / 2
        separated = baseline is not None and (
            max(times) < min(baseline) or min(times) > max(baseline)
        )
        result["time_vs_relu"] = (
            result["seconds_per_epoch"] / statistics.median(baseline)
            if separated
            else None
        )


# --- Reporting ------------------------------------------------------------------


def table(results):
    has_relu = any(r["activation"] == "relu" for r in results)
    header = ["activation", "test acc", "final loss", "s/epoch", "vs relu"]
    rows = []
    for r in results:
        if not has_relu:
            ratio = "-"
        elif r["activation"] == "relu":
            ratio = "1 (base)"
        elif r["time_vs_relu"] is None:
            ratio = "~ (noise)"
        else:
            ratio = f"{r['time_vs_relu']:.2f}x"
        rows.append(
            [
                r["activation"],
                f"{r['test_accuracy']:.4f}",
                f"{r['final_train_loss']:.4f}",
                f"{r['seconds_per_epoch']:.3f} ± {r['spread']:.3f}",
                ratio,
            ]
        )
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(cells):
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True))

    lines = [line(header), line(["-" * w for w in widths])] + [line(r) for r in rows]
    return "\n".join(text.rstrip() for text in lines)


def timing_note(results, repeats):
    """What the time columns mean, and whether they say anything here."""
    note = (
        f"s/epoch: one training epoch after training (compiled, warm), median "
        f"of {repeats} interleaved repeats ± half their range. 'vs relu': a "
        "ratio only where the repeats of the two do not overlap, else "
        "'~ (noise)'."
    )
    others = [r for r in results if r["activation"] != "relu"]
    if any(r["activation"] == "relu" for r in results) and others:
        if all(r["time_vs_relu"] is None for r in others):
            note += (
                " Here no activation differs from relu beyond that spread, so "
                "these times say nothing about an activation's cost."
            )
    return note + (
        " On a model this small an epoch is mostly Keras's per-step overhead; "
        "the activations' own cost is measured in benchmarks/ "
        "(docs/benchmarks.md)."
    )


def curve_styles(n):
    """`n` distinct (color, linestyle, marker) styles, as plot keywords.

    Colours repeat every 10 curves; a repeated colour always comes with
    another line style and another marker.
    """
    import matplotlib

    colors = matplotlib.colormaps["tab10"].colors
    linestyles = ["-", "--", "-.", ":"]
    markers = ["o", "s", "^", "v", "D", "P", "X", "*", "<", ">", "h", "p", "d"]
    return [
        {
            "color": colors[i % len(colors)],
            "linestyle": linestyles[(i // len(colors)) % len(linestyles)],
            "marker": markers[i % len(markers)],
        }
        for i in range(n)
    ]


def draw_curves(results, title):
    """The learning-curve figure: loss and held-out accuracy, one style each."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    legend_rows = -(-len(results) // 3)
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(12, 4.6 + 0.25 * legend_rows))
    styles = curve_styles(len(results))
    for i, (r, style) in enumerate(zip(results, styles, strict=True)):
        n = len(r["history"]["loss"])
        epochs = range(1, n + 1)
        step = max(1, n // 6)
        marks = {"markevery": (i % step, step), "markersize": 5, "linewidth": 1.4}
        for ax, key in ((ax_loss, "loss"), (ax_acc, "val_accuracy")):
            ax.plot(epochs, r["history"][key], label=r["activation"], **style, **marks)
    losses = [v for r in results for v in r["history"]["loss"] if v > 0]
    log_loss = bool(losses) and max(losses) > 10 * min(losses)
    ax_loss.set(xlabel="epoch", ylabel="training loss")
    ax_acc.set(xlabel="epoch", ylabel="held-out accuracy")
    if log_loss:  # Only when the losses span more than a factor of 10.
        ax_loss.set_yscale("log")
    ax_loss.set_title("training loss" + (" (log scale)" if log_loss else ""))
    ax_acc.set_title("held-out accuracy")
    late = [v for r in results for v in r["history"]["val_accuracy"][2:]]
    if len(results[0]["history"]["val_accuracy"]) >= 5 and late:
        # Zoom on where the curves end up; the first two epochs may fall below.
        low, high = min(late), max(late)
        ax_acc.set_ylim(low - 0.1 * (high - low + 1e-3), high + 0.05 * (high - low))
        ax_acc.set_title("held-out accuracy (from epoch 3)")
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend(
            fontsize="small",
            ncol=3,
            loc="upper center",
            bbox_to_anchor=(0.5, -0.14),
            frameon=False,
        )
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_curves(results, path, title):
    import matplotlib.pyplot as plt

    fig = draw_curves(results, title)
    fig.savefig(path, dpi=100)
    plt.close(fig)


# --- Command line -----------------------------------------------------------------


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--activations",
        default=None,
        help="comma-separated names; `layers.NAME` for a keras_acts layer "
        f"(default: {DEFAULT_ACTIVATIONS})",
    )
    parser.add_argument(
        "--dataset",
        choices=("digits", "fashion_mnist"),
        default="digits",
        help="digits: scikit-learn's 8x8 digits, offline (default); "
        "fashion_mnist: downloads with keras.datasets unless --data-dir",
    )
    parser.add_argument(
        "--data-dir",
        help="folder with the original Fashion-MNIST idx files (.gz or not); "
        "implies --dataset fashion_mnist",
    )
    parser.add_argument("--epochs", type=int, help="default: 30 (digits), 10")
    parser.add_argument("--batch-size", type=int, default=64, help="default: 64")
    parser.add_argument("--width", type=int, default=128, help="units per layer")
    parser.add_argument("--depth", type=int, default=2, help="hidden layers")
    parser.add_argument("--seed", type=int, default=0, help="default: 0")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="tiny budget (a few epochs, small network) to check that it runs",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        help="timed epochs per activation after training (default: 5; 3 with --quick)",
    )
    parser.add_argument(
        "--verbose",
        type=int,
        nargs="?",
        const=1,
        choices=(0, 1, 2),
        default=None,
        help="default: one line per activation, updated each epoch. --verbose "
        "(or --verbose 1): Keras's progress bars; 2: Keras's line per epoch; "
        "0: nothing but the table",
    )
    parser.add_argument(
        "--output-dir",
        "--out-dir",
        dest="out_dir",
        default="outputs",
        help="where to write the PNG and JSON (default: outputs/)",
    )
    args = parser.parse_args(argv)
    if args.data_dir:
        args.dataset = "fashion_mnist"
    if args.epochs is None:
        args.epochs = 2 if args.quick else (30 if args.dataset == "digits" else 10)
    if args.quick:
        args.width = min(args.width, 32)
    if args.repeats is None:
        args.repeats = 3 if args.quick else 5
    for flag in ("epochs", "batch_size", "width", "depth", "repeats"):
        if getattr(args, flag) < 1:
            parser.error(f"--{flag.replace('_', '-')} must be >= 1")
    return args


def main(argv=None):
    args = parse_args(argv)
    try:
        chosen, skipped = choose_activations(
            args.activations or DEFAULT_ACTIVATIONS, defaults=False
        )
        if args.dataset == "digits":
            data = load_digits(args.seed)
        else:
            data = load_fashion_mnist(args.data_dir)
    except UsageError as error:
        print(f"compare_activations.py: error: {error}", file=sys.stderr)
        return 2
    for note in skipped:
        print(f"note: skipping {note}")
    if args.quick:
        n = min(len(data[0]), 600)
        data = (data[0][:n], data[1], data[2][:n], data[3])

    print(
        f"dataset {args.dataset}: {len(data[0])} train, {len(data[1])} test; "
        f"MLP {args.depth}x{args.width}, {args.epochs} epochs, batch "
        f"{args.batch_size}, seed {args.seed}, backend {keras.backend.backend()}"
    )
    results, models = [], []
    for activation in chosen:
        if args.verbose:
            print(f"\n=== {activation}")
        result, model = train_one(activation, data, args)
        results.append(result)
        models.append(model)
    if args.verbose != 0:
        print(f"timing {args.repeats} more epochs of each ...", flush=True)
    add_timing(results, time_epochs(models, data, args))

    print("\n" + table(results))
    print("\n" + textwrap.fill(timing_note(results, args.repeats), 79))
    out_dir = pathlib.Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path = out_dir / "compare_activations.json"
    png_path = out_dir / "compare_activations.png"
    settings = {
        k: v for k, v in vars(args).items() if k not in ("activations", "verbose")
    }
    settings["backend"] = keras.backend.backend()
    settings["keras_version"] = keras.__version__
    json_path.write_text(
        json.dumps(
            {"settings": settings, "skipped": skipped, "results": results}, indent=2
        )
    )
    plot_curves(results, png_path, f"{args.dataset}, MLP {args.depth}x{args.width}")
    print(f"\nwrote {json_path} and {png_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
