"""Trains the same small network with each activation and compares them.

Every run uses the same data split, the same initial weights (same seed) and
the same budget; only the activation changes. Prints a table (test accuracy,
final training loss, seconds per epoch, time relative to ReLU) and writes
learning curves (PNG) and the results (JSON) to --output-dir (default
outputs/).

    python examples/compare_activations.py                 # digits, offline
    python examples/compare_activations.py --quick         # < 1 minute
    python examples/compare_activations.py --activations relu,mish,layers.PReLU
    python examples/compare_activations.py --dataset fashion_mnist --epochs 10

Activations are keras_acts or Keras string names (`mish`, `tanhsoft`, ...) or
learnable layers written `layers.NAME` (`layers.PReLU`: keras_acts.layers).
"""

import argparse
import difflib
import gzip
import json
import os
import pathlib
import statistics
import struct
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402

import keras_acts  # noqa: E402  (makes the keras_acts names work as strings)

DEFAULT_ACTIVATIONS = (
    "relu,leaky_relu,elu,selu,gelu,swish,hard_swish,mish,tanhsoft,eis,"
    "layers.Swish,layers.PReLU,layers.PAU,layers.HP1,layers.Snake"
)
LAYER_PREFIX = "layers."


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
    matches = difflib.get_close_matches(name, list(candidates), n=5, cutoff=0.5)
    return f" Did you mean: {', '.join(matches)}?" if matches else ""


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
                f"{name!r}: keras_acts.layers has no layer {layer_name!r}.{hint}"
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


def build_model(activation, n_features, n_classes, width, depth):
    inputs = keras.Input((n_features,))
    h = inputs
    for _ in range(depth):
        if activation.startswith(LAYER_PREFIX):
            h = keras.layers.Dense(width)(h)
            h = _layer_classes()[activation[len(LAYER_PREFIX) :]]()(h)
        else:
            h = keras.layers.Dense(width, activation=activation)(h)
    outputs = keras.layers.Dense(n_classes, activation="softmax")(h)
    model = keras.Model(inputs, outputs, name="mlp")
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


class EpochTimer(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self._start)


def train_one(activation, data, args):
    x_train, x_test, y_train, y_test = data
    # Same seed for every activation: same initial weights and batch order.
    keras.utils.set_random_seed(args.seed)
    model = build_model(
        activation, x_train.shape[1], int(y_train.max()) + 1, args.width, args.depth
    )
    timer = EpochTimer()
    history = model.fit(
        x_train,
        y_train,
        validation_data=(x_test, y_test),
        epochs=args.epochs,
        batch_size=args.batch_size,
        verbose=args.verbose,
        callbacks=[timer],
    )
    test_loss, test_accuracy = model.evaluate(
        x_test, y_test, batch_size=1024, verbose=0
    )
    # The first epoch includes tracing and compilation; leave it out if we can.
    steady = timer.seconds[1:] or timer.seconds
    return {
        "activation": activation,
        "test_accuracy": float(test_accuracy),
        "test_loss": float(test_loss),
        "final_train_loss": float(history.history["loss"][-1]),
        "seconds_per_epoch": statistics.median(steady),
        "history": {k: [float(v) for v in vs] for k, vs in history.history.items()},
    }


# --- Reporting ------------------------------------------------------------------


def table(results):
    baseline = next((r for r in results if r["activation"] == "relu"), None)
    header = ["activation", "test acc", "final loss", "s/epoch", "time vs relu"]
    rows = []
    for r in results:
        ratio = (
            f"{r['seconds_per_epoch'] / baseline['seconds_per_epoch']:.2f}x"
            if baseline
            else "-"
        )
        rows.append(
            [
                r["activation"],
                f"{r['test_accuracy']:.4f}",
                f"{r['final_train_loss']:.4f}",
                f"{r['seconds_per_epoch']:.3f}",
                ratio,
            ]
        )
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(cells):
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True))

    lines = [line(header), line(["-" * w for w in widths])] + [line(r) for r in rows]
    return "\n".join(text.rstrip() for text in lines)


def plot_curves(results, path, title):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(11, 4.2))
    for r in results:
        epochs = range(1, len(r["history"]["loss"]) + 1)
        ax_loss.plot(epochs, r["history"]["loss"], label=r["activation"])
        ax_acc.plot(epochs, r["history"]["val_accuracy"], label=r["activation"])
    ax_loss.set(xlabel="epoch", ylabel="training loss", yscale="log")
    ax_acc.set(xlabel="epoch", ylabel="held-out accuracy")
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
    ax_acc.legend(fontsize="small", ncol=2)
    fig.suptitle(title)
    fig.tight_layout()
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
        "--verbose",
        type=int,
        choices=(0, 1, 2),
        default=1,
        help="Keras fit verbosity: 0 silent, 1 progress bar (default), 2 one "
        "line per epoch",
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
    for flag in ("epochs", "batch_size", "width", "depth"):
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
    results = []
    for activation in chosen:
        print(f"\n=== {activation}")
        results.append(train_one(activation, data, args))

    print("\n" + table(results))
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
