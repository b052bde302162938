"""A Padé activation unit that starts as leaky ReLU and learns another shape.

`keras_acts.layers.PAU` is initialised by a least-squares fit to leaky ReLU
(slope 0.01) on [-3, 3]. Here a model made of that single unit is trained by
gradient descent to map x to a target curve that leaky ReLU cannot make (a
smooth "U" with a dip, non-monotonic), so only its coefficients can change.
Writes a plot of the initial unit, the learned unit and the target
(pau_shape.png) and the coefficients and losses (pau_shape.json) to
--out-dir, and prints how far the unit moved.

    python examples/pau_learns_shape.py            # about half a minute
    python examples/pau_learns_shape.py --quick    # a few seconds

Inspecting a learned unit: `layer.coefficients()` returns the numerator and
denominator coefficients as NumPy arrays; calling the layer on a grid gives
its curve.
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


def target(x):
    """The shape to learn: a smooth, non-monotonic "U" with a dip at 0."""
    return 0.25 * x**2 - 0.8 * np.exp(-2.0 * x**2)


def unit_curve(layer, xs):
    return np.asarray(keras.ops.convert_to_numpy(layer(xs[:, None]))[:, 0], "float64")


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--epochs", type=int, default=150, help="default: 150")
    parser.add_argument("--seed", type=int, default=0, help="default: 0")
    parser.add_argument("--quick", action="store_true", help="tiny budget (25 epochs)")
    parser.add_argument(
        "--verbose",
        type=int,
        choices=(0, 1, 2),
        default=1,
        help="Keras fit verbosity: 0 silent, 1 progress bar (default), 2 per epoch",
    )
    parser.add_argument(
        "--output-dir",
        "--out-dir",
        dest="out_dir",
        default="outputs",
        help="where to write the PNG and JSON (default: outputs/)",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.epochs = min(args.epochs, 25)
    if args.epochs < 1:
        parser.error(f"--epochs must be >= 1, got {args.epochs}")
    return args


def main(argv=None):
    args = parse_args(argv)
    keras.utils.set_random_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    x = rng.uniform(-3.0, 3.0, size=(2048, 1)).astype("float32")
    y = target(x).astype("float32")

    unit = keras_acts.layers.PAU(approximate="leaky_relu")  # version "A", 5/4
    model = keras.Sequential([keras.Input((1,)), unit])
    model.compile(optimizer=keras.optimizers.Adam(0.02), loss="mse")

    xs = np.linspace(-3.0, 3.0, 401).astype("float32")
    initial_curve = unit_curve(unit, xs)
    initial = [c.tolist() for c in unit.coefficients()]
    initial_loss = float(model.evaluate(x, y, verbose=0))
    print(
        f"PAU {unit.numerator_degree}/{unit.denominator_degree} version "
        f"{unit.version}, fitted to leaky_relu on {list(unit.fit_range)}: max "
        f"error {unit.fit_error:.2e}; loss before training {initial_loss:.4f}"
    )
    history = model.fit(
        x, y, epochs=args.epochs, batch_size=256, verbose=args.verbose, shuffle=True
    )
    learned_curve = unit_curve(unit, xs)
    learned = [c.tolist() for c in unit.coefficients()]
    final_loss = float(model.evaluate(x, y, verbose=0))
    moved = float(np.max(np.abs(np.concatenate(learned) - np.concatenate(initial))))
    print(
        f"loss {initial_loss:.4f} -> {final_loss:.4f} after {args.epochs} epochs; "
        f"largest coefficient change {moved:.3f}"
    )
    print("learned numerator:  ", np.round(learned[0], 4))
    print("learned denominator:", np.round(learned[1], 4))

    out_dir = pathlib.Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path = out_dir / "pau_shape.json"
    png_path = out_dir / "pau_shape.png"
    json_path.write_text(
        json.dumps(
            {
                "settings": {"epochs": args.epochs, "seed": args.seed},
                "fit_error_leaky_relu": float(unit.fit_error),
                "loss_before": initial_loss,
                "loss_after": final_loss,
                "loss_history": [float(v) for v in history.history["loss"]],
                "initial_coefficients": {"numerator": initial[0],
                                         "denominator": initial[1]},
                "learned_coefficients": {"numerator": learned[0],
                                         "denominator": learned[1]},
            },
            indent=2,
        )
    )  # fmt: skip

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_f, ax_loss) = plt.subplots(1, 2, figsize=(10, 4))
    ax_f.plot(xs, target(xs), "k--", label="target")
    ax_f.plot(xs, initial_curve, label="PAU at init (leaky ReLU fit)")
    ax_f.plot(xs, learned_curve, label=f"PAU after {args.epochs} epochs")
    ax_f.set(xlabel="x", ylabel="f(x)", title="the unit's shape")
    ax_f.legend(fontsize="small")
    ax_loss.plot(range(1, args.epochs + 1), history.history["loss"])
    ax_loss.set(xlabel="epoch", ylabel="MSE", yscale="log", title="training loss")
    for ax in (ax_f, ax_loss):
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(png_path, dpi=100)
    plt.close(fig)
    print(f"wrote {json_path} and {png_path}")
    if not final_loss < initial_loss:
        print("error: the loss did not fall", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
