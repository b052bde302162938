"""A deep SELU network keeps its activations near mean 0 and variance 1.

Builds the same deep MLP three ways and measures the mean and variance of
every hidden layer's output on standardized inputs, at initialisation and
after a short training run:

* SELU with LeCun-normal weights (self-normalising, Klambauer et al. 2017);
* ReLU with the very same weights (shows what SELU's constants buy);
* ReLU with He-normal weights (the usual ReLU setup).

Writes selu_statistics.png (per-layer mean and variance) and
selu_statistics.json to --out-dir, and prints the test accuracy of each.

    python examples/selu_self_normalizing.py
    python examples/selu_self_normalizing.py --quick --out-dir /tmp/out
"""

import argparse
import json
import os
import pathlib
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402

import keras_acts  # noqa: E402


def load_data(seed):
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    x, y = load_digits(return_X_y=True)
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=0.25, random_state=seed, stratify=y
    )
    # Self-normalisation assumes inputs with mean 0 and variance 1.
    scaler = StandardScaler().fit(x_train)
    return (
        scaler.transform(x_train).astype("float32"),
        scaler.transform(x_test).astype("float32"),
        y_train,
        y_test,
    )


def build(kind, n_features, n_classes, width, depth, seed):
    keras.utils.set_random_seed(seed)  # Same seed: same weights per init.
    inputs = keras.Input((n_features,))
    h = inputs
    hidden = []
    for _ in range(depth):
        if kind == "selu":
            h = keras_acts.layers.SELUDense(width)(h)
        else:
            init = "lecun_normal" if kind == "relu_lecun" else "he_normal"
            h = keras.layers.Dense(width, activation="relu", kernel_initializer=init)(h)
        hidden.append(h)
    outputs = keras.layers.Dense(n_classes, activation="softmax")(h)
    model = keras.Model(inputs, outputs, name=kind)
    model.compile(
        optimizer=keras.optimizers.Adam(1e-4),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    probe = keras.Model(inputs, hidden)  # Every hidden layer's output.
    return model, probe


def layer_statistics(probe, x):
    outputs = probe.predict(x, batch_size=len(x), verbose=0)
    return {
        "mean": [float(np.mean(o)) for o in outputs],
        "variance": [float(np.var(o)) for o in outputs],
    }


LABELS = {
    "selu": "SELU, LeCun normal",
    "relu_lecun": "ReLU, same LeCun-normal weights",
    "relu_he": "ReLU, He normal",
}


def plot(results, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_mean, ax_var) = plt.subplots(1, 2, figsize=(11, 4.2))
    for (kind, r), color in zip(results.items(), ("C0", "C3", "C1"), strict=True):
        for when, style in (("init", "-"), ("trained", "--")):
            stats = r[when]
            layers = range(1, len(stats["mean"]) + 1)
            label = f"{LABELS[kind]} ({when})"
            ax_mean.plot(layers, stats["mean"], style, color=color, label=label)
            ax_var.plot(layers, stats["variance"], style, color=color, label=label)
    ax_mean.axhline(0.0, color="k", lw=0.8)
    ax_var.axhline(1.0, color="k", lw=0.8)
    ax_mean.set(xlabel="hidden layer", ylabel="mean of activations")
    ax_var.set(xlabel="hidden layer", ylabel="variance of activations", yscale="log")
    for ax in (ax_mean, ax_var):
        ax.grid(alpha=0.3)
    ax_var.legend(fontsize="x-small")
    fig.suptitle("Per-layer statistics on standardized inputs")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--depth", type=int, default=32, help="hidden layers")
    parser.add_argument("--width", type=int, default=256, help="units per layer")
    parser.add_argument("--epochs", type=int, default=20, help="default: 20")
    parser.add_argument("--seed", type=int, default=0, help="default: 0")
    parser.add_argument("--quick", action="store_true", help="tiny budget")
    parser.add_argument("--verbose", type=int, choices=(0, 1, 2), default=1)
    parser.add_argument("--out-dir", default="outputs", help="default: outputs/")
    args = parser.parse_args(argv)
    if args.quick:
        args.depth, args.width, args.epochs = min(args.depth, 12), 64, 1
    for flag in ("depth", "width", "epochs"):
        if getattr(args, flag) < 1:
            parser.error(f"--{flag} must be >= 1")
    return args


def main(argv=None):
    args = parse_args(argv)
    x_train, x_test, y_train, y_test = load_data(args.seed)
    n_classes = int(y_train.max()) + 1
    results = {}
    for kind in LABELS:
        print(f"\n=== {LABELS[kind]}: {args.depth} x Dense({args.width})")
        model, probe = build(
            kind, x_train.shape[1], n_classes, args.width, args.depth, args.seed
        )
        init = layer_statistics(probe, x_train)
        model.fit(
            x_train,
            y_train,
            epochs=args.epochs,
            batch_size=64,
            validation_data=(x_test, y_test),
            verbose=args.verbose,
        )
        _, accuracy = model.evaluate(x_test, y_test, verbose=0)
        results[kind] = {
            "init": init,
            "trained": layer_statistics(probe, x_train),
            "test_accuracy": float(accuracy),
        }
        if kind == "selu":
            findings = keras_acts.check_self_normalizing(model, warn=False)
            print(
                "keras_acts.check_self_normalizing: "
                + ("no problems found" if not findings else str(findings))
            )

    print(f"\n{'model':34} {'last-layer mean':>16} {'variance':>9} {'test acc':>9}")
    for kind, r in results.items():
        print(
            f"{LABELS[kind]:34} {r['init']['mean'][-1]:16.3f} "
            f"{r['init']['variance'][-1]:9.3g} {r['test_accuracy']:9.4f}"
        )
    print("(mean and variance of the last hidden layer at initialisation)")

    out_dir = pathlib.Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    png = out_dir / "selu_statistics.png"
    js = out_dir / "selu_statistics.json"
    plot(results, png)
    js.write_text(json.dumps({"settings": vars(args), "results": results}, indent=2))
    print(f"\nwrote {png} and {js}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
