"""Fits an image with a SIREN and with a ReLU MLP of the same size.

The network maps pixel coordinates (x, y) in [-1, 1]^2 to the colour (r, g,
b). Sine layers with SIREN's initialisation (Sitzmann et al. 2020,
arXiv 2006.09661) represent the fine detail a ReLU MLP smooths away. Uses
scikit-learn's sample photo china.jpg (offline), downscaled.

Prints a PSNR table and writes siren_reconstructions.png and
siren_results.json to --out-dir.

    python examples/siren_image_fit.py
    python examples/siren_image_fit.py --quick --out-dir /tmp/out
"""

import argparse
import json
import math
import os
import pathlib
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402

import keras_acts  # noqa: E402

W0 = 30.0  # SIREN's frequency factor omega_0.


def load_image(height):
    from PIL import Image
    from sklearn.datasets import load_sample_image

    image = Image.fromarray(load_sample_image("china.jpg"))
    width = round(height * image.width / image.height)
    image = image.resize((width, height), Image.Resampling.LANCZOS)
    return np.asarray(image, dtype="float32") / 255.0


def coordinates(height, width):
    ys, xs = np.meshgrid(
        np.linspace(-1, 1, height), np.linspace(-1, 1, width), indexing="ij"
    )
    return np.stack([xs.ravel(), ys.ravel()], axis=1).astype("float32")


def build(kind, width, depth, seed):
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((2,))
    h = inputs
    for i in range(depth):
        if kind == "siren":
            # SIREN's first-layer and hidden-layer initialisation, and sin(w0 z).
            h = keras_acts.layers.SirenDense(width, w0=W0, is_first=i == 0)(h)
        else:
            h = keras.layers.Dense(width, activation="relu")(h)
    if kind == "siren":
        # The linear output layer keeps the hidden-layer initialisation.
        init = keras_acts.initializers.SirenHidden(w0=W0)
    else:
        init = "glorot_uniform"
    outputs = keras.layers.Dense(3, kernel_initializer=init)(h)  # Linear output.
    model = keras.Model(inputs, outputs, name=kind)
    # Learning rates as commonly used: 1e-4 for SIREN (paper), 1e-3 for ReLU.
    lr = 1e-4 if kind == "siren" else 1e-3
    model.compile(optimizer=keras.optimizers.Adam(lr), loss="mse")
    return model


def psnr(a, b):
    return float(10.0 * np.log10(1.0 / np.mean((a - b) ** 2)))


def plot(image, reconstructions, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [("original", image, None)] + reconstructions
    fig, axes = plt.subplots(1, len(panels), figsize=(4 * len(panels), 3.3))
    for ax, (title, picture, value) in zip(axes, panels, strict=True):
        ax.imshow(np.clip(picture, 0, 1))
        ax.set_title(title if value is None else f"{title}: {value:.1f} dB")
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--height", type=int, default=96, help="image rows")
    parser.add_argument("--width", type=int, default=256, help="units per layer")
    parser.add_argument("--depth", type=int, default=3, help="hidden layers")
    parser.add_argument("--steps", type=int, default=1000, help="full-batch steps")
    parser.add_argument("--seed", type=int, default=0, help="default: 0")
    parser.add_argument("--quick", action="store_true", help="tiny budget")
    parser.add_argument(
        "--verbose", type=int, choices=(0, 1), default=1, help="print progress"
    )
    parser.add_argument("--out-dir", default="outputs", help="default: outputs/")
    args = parser.parse_args(argv)
    if args.quick:
        args.height, args.width, args.steps = 32, 64, 150
    for flag in ("height", "width", "depth", "steps"):
        if getattr(args, flag) < 1:
            parser.error(f"--{flag} must be >= 1")
    return args


class Progress(keras.callbacks.Callback):
    def __init__(self, every, steps_per_epoch):
        super().__init__()
        self.every = every
        self.steps_per_epoch = steps_per_epoch

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every == 0:
            step = (epoch + 1) * self.steps_per_epoch
            # The loss is the mean over the epoch's steps.
            print(f"  step {step}: PSNR {10 * np.log10(1 / logs['loss']):.2f} dB")


def main(argv=None):
    args = parse_args(argv)
    image = load_image(args.height)
    h, w, _ = image.shape
    xy = coordinates(h, w)
    rgb = image.reshape(-1, 3)
    print(f"image {h}x{w}, MLP {args.depth}x{args.width}, {args.steps} steps")
    results, reconstructions = {}, []
    for kind in ("siren", "relu"):
        print(f"\n=== {kind}")
        model = build(kind, args.width, args.depth, args.seed)
        # Full-batch steps, as in the paper's image fits. Stacking `repeat`
        # copies makes one Keras epoch `repeat` steps, which saves the
        # per-epoch overhead of fit().
        repeat = math.gcd(args.steps, 50)
        epochs = args.steps // repeat
        start = time.perf_counter()
        model.fit(
            np.tile(xy, (repeat, 1)),
            np.tile(rgb, (repeat, 1)),
            batch_size=len(xy),
            epochs=epochs,
            shuffle=False,
            verbose=0,
            callbacks=[Progress(max(epochs // 5, 1), repeat)] if args.verbose else [],
        )
        seconds = time.perf_counter() - start
        fitted = model.predict(xy, batch_size=len(xy), verbose=0).reshape(h, w, 3)
        results[kind] = {"psnr_db": psnr(fitted, image), "seconds": seconds}
        reconstructions.append((kind, fitted, results[kind]["psnr_db"]))

    print(f"\n{'model':8} {'PSNR (dB)':>10} {'seconds':>8}")
    for kind, r in results.items():
        print(f"{kind:8} {r['psnr_db']:10.2f} {r['seconds']:8.1f}")

    out_dir = pathlib.Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    png = out_dir / "siren_reconstructions.png"
    js = out_dir / "siren_results.json"
    plot(image, reconstructions, png)
    js.write_text(json.dumps({"settings": vars(args), "results": results}, indent=2))
    print(f"\nwrote {png} and {js}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
