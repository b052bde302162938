"""Saves, reloads and exports a model that uses keras_acts activations.

1. Builds a model with keras_acts string names (`"mish"`, and keras_acts-only
   names such as `"tanhsoft"`), a function with a parameter, and
   learnable keras_acts layers.
2. Saves it to `.keras`, loads it back without `custom_objects` and checks
   the predictions are the same.
3. On the TensorFlow backend, exports a SavedModel with `model.export()`,
   reloads it with `tf.saved_model.load` (no Keras, no keras_acts needed to
   serve it) and checks its `serve` endpoint gives the same predictions.

Prints every file written under --out-dir.

    python examples/save_load_export.py --out-dir /tmp/out
"""

import argparse
import os
import pathlib
import shutil
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402

import keras_acts  # noqa: E402

# Learnable layers in the model.
LAYER_CHOICES = ("PReLU", "Swish", "Snake")


def build_model(n_features):
    inputs = keras.Input((n_features,))
    h = keras.layers.Dense(32, activation="mish")(inputs)  # Keras also has mish.
    used = ["'mish' (string)"]
    for name in ("tanhsoft", "eis"):  # keras_acts-only names.
        h = keras.layers.Dense(32, activation=name)(h)
        used.append(f"{name!r} (string)")
    # A function with a static parameter, called on a symbolic tensor.
    h = keras_acts.swish(keras.layers.Dense(32)(h), beta=1.5)
    used.append("keras_acts.swish(..., beta=1.5) (functional)")
    for name in LAYER_CHOICES:
        h = keras.layers.Dense(32)(h)
        h = getattr(keras_acts.layers, name)()(h)
        used.append(f"keras_acts.layers.{name}() (layer)")
    outputs = keras.layers.Dense(3)(h)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="mse")
    return model, used


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out-dir", default="outputs", help="default: outputs/")
    parser.add_argument("--epochs", type=int, default=5, help="default: 5")
    parser.add_argument("--seed", type=int, default=0, help="default: 0")
    parser.add_argument("--quick", action="store_true", help="one epoch")
    parser.add_argument("--verbose", type=int, choices=(0, 1, 2), default=0)
    args = parser.parse_args(argv)
    if args.quick:
        args.epochs = 1
    return args


def main(argv=None):
    args = parse_args(argv)
    keras.utils.set_random_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    x = rng.standard_normal((256, 8)).astype("float32")
    y = np.stack([np.sin(x[:, 0]), x[:, 1] * x[:, 2], np.abs(x[:, 3])], axis=1)

    model, used = build_model(x.shape[1])
    print("activations in the model:\n  " + "\n  ".join(used))
    model.fit(x, y, epochs=args.epochs, batch_size=32, verbose=args.verbose)
    expected = model.predict(x, verbose=0)

    out_dir = pathlib.Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    keras_path = out_dir / "model.keras"
    model.save(keras_path)
    # Only `import keras_acts` is needed to load: no custom_objects.
    restored = keras.saving.load_model(keras_path)
    np.testing.assert_allclose(restored.predict(x, verbose=0), expected, atol=1e-5)
    print(f"\n.keras: saved and reloaded {keras_path}; predictions match")

    written = [keras_path]
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        export_dir = out_dir / "saved_model"
        shutil.rmtree(export_dir, ignore_errors=True)
        model.export(str(export_dir), verbose=False)
        # Keep a reference: the endpoint's variables live on the loaded object.
        reloaded = tf.saved_model.load(str(export_dir))
        served = reloaded.serve(tf.constant(x))
        np.testing.assert_allclose(served.numpy(), expected, atol=1e-5)
        print(f"SavedModel: exported {export_dir}; tf.saved_model.load matches")
        written += sorted(p for p in export_dir.rglob("*") if p.is_file())
    else:
        print(
            f"SavedModel export skipped: needs the tensorflow backend, not "
            f"{keras.backend.backend()}."
        )

    print("\nfiles written:")
    for path in written:
        print(f"  {path}  ({path.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
