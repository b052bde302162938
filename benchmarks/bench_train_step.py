"""Train-step time of small models with keras_acts activations and layers vs ReLU.

One model per activation (a small MLP and a small CNN on 32x32x3 random data,
batch 64), `model.train_on_batch` timed after warm-up, with and without
`jit_compile`. Each model is timed next to the same architecture with
`keras.layers.ReLU` in the same mode and round; every learnable layer is also
timed trainable vs frozen (`layer.trainable = False`, so the optimizer skips
its weights). Rounds are interleaved and shuffled; the table shows median
step times and the median of the per-round ratios.

    python benchmarks/bench_train_step.py                  # full run
    python benchmarks/bench_train_step.py --quick          # smoke run
    python benchmarks/bench_train_step.py --rows Swish PReLU --archs cnn

Targets (from the issue): Swish (learned beta), PReLU, Snake, TanhSoft, EIS
<= 1.3x ReLU on the CNN in both modes; trainable <= 1.15x frozen.
Layers that do not exist (yet) in `keras_acts.layers` are skipped with a note.
"""

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# Run against this checkout, not an installed copy.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

LAYER_TARGET = 1.3
LAYER_TARGET_ROWS = ("Swish", "PReLU", "Snake", "TanhSoft", "EIS")
RATIONAL_TARGET = 1.5  # PAU and HP-1: MLP and CNN, both modes.
RATIONAL_TARGET_ROWS = ("PAU", "HP1")
FROZEN_TARGET = 1.15
MODES = {"tf.function": False, "jit": True}

# Row -> how to make its activation. "str:<name>" is a string activation
# (`keras.layers.Activation(name)` after `import keras_acts`); anything else is
# a class in keras_acts.layers. Maxout halves the channels of the layer before
# it, which is built twice as wide so the model keeps its shape.
DEFAULT_ROWS = (
    "str:mish",
    "str:gelu",
    "str:swish",
    "Swish",
    "PReLU",
    "Snake",
    "TanhSoft",
    "EIS",
    "StarReLU",
    "Maxout",
    "PAU",
    "HP1",
)
LAYER_KWARGS = {"Maxout": lambda units: {"num_units": units}}
WIDEN = {"Maxout": 2}


def _layer_class(row):
    import keras_acts.layers

    return getattr(keras_acts.layers, row, None)


def make_activation(row, units):
    """A fresh activation layer for `row` after a layer with `units` outputs."""
    import keras

    if row == "relu":
        return keras.layers.ReLU()
    if row.startswith("str:"):
        return keras.layers.Activation(row[4:])
    kwargs = LAYER_KWARGS.get(row, lambda units: {})(units)
    return _layer_class(row)(**kwargs)


def is_learnable(row):
    """Whether the row's layer has weights (built on a probe input)."""
    if row == "relu" or row.startswith("str:"):
        return False
    import keras

    layer = make_activation(row, 8)
    layer(keras.ops.zeros((2, 16 if row in WIDEN else 8)))
    return bool(layer.weights)


def build_model(arch, row, frozen=False):
    import keras

    widen = WIDEN.get(row, 1)
    act_layers = []

    def act(units):
        layer = make_activation(row, units)
        act_layers.append(layer)
        return layer

    layers = [keras.Input((32, 32, 3))]
    if arch == "mlp":
        layers.append(keras.layers.Flatten())
        for _ in range(3):
            layers += [keras.layers.Dense(512 * widen), act(512)]
    else:
        for filters in (32, 64):
            for _ in range(2):
                layers += [
                    keras.layers.Conv2D(filters * widen, 3, padding="same"),
                    act(filters),
                ]
            layers.append(keras.layers.MaxPooling2D())
        layers.append(keras.layers.Flatten())
    layers.append(keras.layers.Dense(10))
    if frozen:
        for layer in act_layers:
            layer.trainable = False
    return keras.Sequential(layers)


def _compiled(arch, row, jit, frozen=False):
    import keras

    keras.utils.set_random_seed(0)
    model = build_model(arch, row, frozen)
    model.compile(
        optimizer="adam",
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        jit_compile=jit,
    )
    return model


def _time_steps(model, x, y, steps):
    start = time.perf_counter()
    for _ in range(steps):
        model.train_on_batch(x, y)
    return (time.perf_counter() - start) / steps


def run(rows, archs, modes, batch, repeats, steps, warmup, seed=0):
    import numpy as np

    rng_np = np.random.default_rng(seed)
    x = rng_np.normal(size=(batch, 32, 32, 3)).astype("float32")
    y = rng_np.integers(0, 10, size=(batch,)).astype("int32")
    notes, available = [], []
    for row in rows:
        if not row.startswith("str:") and _layer_class(row) is None:
            notes.append(f"{row}: skipped, keras_acts.layers.{row} does not exist yet.")
        else:
            available.append(row)
    learnable = [r for r in available if is_learnable(r)]

    # Every timed model, keyed (arch, mode, row, frozen).
    models = {}
    for arch in archs:
        for mode in modes:
            jit = MODES[mode]
            models[arch, mode, "relu", False] = _compiled(arch, "relu", jit)
            for row in available:
                try:
                    models[arch, mode, row, False] = _compiled(arch, row, jit)
                    if row in learnable:
                        models[arch, mode, row, True] = _compiled(arch, row, jit, True)
                except Exception as error:  # Report and go on with the others.
                    notes.append(f"{row} ({arch}, {mode}): failed to build: {error!r}")
    for key, model in list(models.items()):
        try:
            for _ in range(warmup):
                model.train_on_batch(x, y)
        except Exception as error:
            notes.append(f"{key[2]} ({key[0]}, {key[1]}): failed to train: {error!r}")
            del models[key]

    # Groups timed back to back: a row, its ReLU model and its frozen twin.
    groups = []
    for arch, mode, row, frozen in models:
        if row != "relu" and not frozen:
            members = [(arch, mode, "relu", False), (arch, mode, row, False)]
            if (arch, mode, row, True) in models:
                members.append((arch, mode, row, True))
            groups.append(members)
    samples = {key: [] for group in groups for key in group}
    pairs = {key: [] for group in groups for key in group}  # Per-round ratios.
    rng = random.Random(seed)
    print(f"  {len(models)} models compiled and warmed up", file=sys.stderr)
    for round_index in range(repeats):
        print(f"  round {round_index + 1}/{repeats}", file=sys.stderr)
        rng.shuffle(groups)
        for group in groups:
            order = list(group)
            rng.shuffle(order)
            times = {key: _time_steps(models[key], x, y, steps) for key in order}
            relu_key, row_key = group[0], group[1]
            samples[row_key].append(times[row_key])
            samples[relu_key].append(times[relu_key])
            pairs[row_key].append(times[row_key] / times[relu_key])
            if len(group) == 3:
                frozen_key = group[2]
                samples[frozen_key].append(times[frozen_key])
                pairs[frozen_key].append(times[row_key] / times[frozen_key])

    results = {}
    for arch, mode, row, frozen in models:
        if row == "relu" or frozen:
            continue
        key = (arch, mode, row, False)
        entry = {
            "ms": 1e3 * statistics.median(samples[key]),
            "relu_ms": 1e3 * statistics.median(samples[arch, mode, "relu", False]),
            "x_relu": statistics.median(pairs[key]),
        }
        frozen_key = (arch, mode, row, True)
        if frozen_key in models:
            entry["frozen_ms"] = 1e3 * statistics.median(samples[frozen_key])
            entry["trainable_x_frozen"] = statistics.median(pairs[frozen_key])
        results.setdefault(row, {}).setdefault(arch, {})[mode] = entry
    return results, notes


def _fmt(value, digits=2, suffix=""):
    return "—" if value is None else f"{value:.{digits}f}{suffix}"


def _misses(row, arch, mode, entry):
    missed = []
    if arch == "cnn" and row in LAYER_TARGET_ROWS and entry["x_relu"] > LAYER_TARGET:
        missed.append(f">{LAYER_TARGET}× ReLU")
    if row in RATIONAL_TARGET_ROWS and entry["x_relu"] > RATIONAL_TARGET:
        missed.append(f">{RATIONAL_TARGET}× ReLU")
    if entry.get("trainable_x_frozen", 0) > FROZEN_TARGET:
        missed.append(f"trainable >{FROZEN_TARGET}× frozen")
    return missed


def table(results, archs, modes):
    lines = [
        "| row | model | mode | ms/step | ReLU ms/step | ×ReLU | frozen ms/step "
        "| trainable ×frozen | misses target |",
        "|---|---|---|---:|---:|---:|---:|---:|---|",
    ]
    for row, per_arch in results.items():
        for arch in archs:
            for mode in modes:
                e = per_arch.get(arch, {}).get(mode)
                if e is None:
                    continue
                missed = _misses(row, arch, mode, e)
                lines.append(
                    f"| {row} | {arch} | {mode} | {e['ms']:.1f} | {e['relu_ms']:.1f} | "
                    f"{e['x_relu']:.2f}× | {_fmt(e.get('frozen_ms'), 1)} | "
                    f"{_fmt(e.get('trainable_x_frozen'), 2, '×')} | "
                    f"{'✗ ' + '; '.join(missed) if missed else ''} |"
                )
    lines += [
        "",
        f"Targets: {', '.join(LAYER_TARGET_ROWS)} ≤{LAYER_TARGET}× ReLU on the CNN "
        f"in both modes; {', '.join(RATIONAL_TARGET_ROWS)} ≤{RATIONAL_TARGET}× ReLU "
        f"(MLP and CNN, both modes); trainable ≤{FROZEN_TARGET}× frozen. "
        "✗ marks a miss. "
        '"str:name" rows are `keras.layers.Activation("name")` after '
        "`import keras_acts`.",
    ]
    return "\n".join(lines)


def _quiet_tf():
    import tensorflow as tf

    # Many models means many tf.functions; TF's retracing warning is noise here.
    tf.get_logger().setLevel("ERROR")


def environment():
    import keras
    import tensorflow as tf

    import keras_acts

    return {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "load_average": os.getloadavg(),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "keras_backend": keras.backend.backend(),
        "keras_acts": keras_acts.__version__,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1],
    )
    parser.add_argument(
        "--rows",
        nargs="+",
        help="keras_acts.layers class names, or str:<name> for a string "
        "activation (default: all of " + " ".join(DEFAULT_ROWS) + ")",
    )
    parser.add_argument("--archs", nargs="+", help="mlp and/or cnn (default both)")
    parser.add_argument("--modes", nargs="+", default=list(MODES), choices=list(MODES))
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=7, help="timed rounds")
    parser.add_argument("--steps", type=int, default=5, help="steps per sample")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: 2 rounds of 1 step, batch 8; unless given, rows Swish "
        "and PReLU, CNN only",
    )
    parser.add_argument("--json", metavar="PATH", help="also save results as JSON")
    args = parser.parse_args(argv)
    if args.quick:
        args.rows = args.rows or ["Swish", "PReLU"]
        args.archs = args.archs or ["cnn"]
        args.batch, args.repeats, args.steps, args.warmup = 8, 2, 1, 2
    args.rows = args.rows or list(DEFAULT_ROWS)
    args.archs = args.archs or ["mlp", "cnn"]
    for arch in args.archs:
        if arch not in ("mlp", "cnn"):
            parser.error(f"--archs: got {arch!r}; allowed: mlp, cnn.")

    start = time.perf_counter()
    _quiet_tf()
    env = environment()
    print("# keras_acts train-step benchmark\n")
    load = ", ".join(f"{v:.2f}" for v in env["load_average"])
    print(
        f"{env['date']}, load average {load}, {env['cpu_count']} CPUs, "
        f"Python {env['python']}, TensorFlow "
        f"{env['tensorflow']}, Keras {env['keras']} ({env['keras_backend']}), "
        f"keras_acts {env['keras_acts']}.\n"
    )
    results, notes = run(
        args.rows,
        args.archs,
        args.modes,
        args.batch,
        args.repeats,
        args.steps,
        args.warmup,
    )
    print(
        f"## Train step, batch {args.batch}, 32x32x3 inputs, median of {args.repeats} "
        f"interleaved rounds of {args.steps} steps\n\n"
        "mlp: Flatten, 3 × (Dense(512), act), Dense(10). cnn: 2 × [2 × (Conv2D(f, 3), "
        "act), MaxPool], f = 32, 64, Flatten, Dense(10). Adam, sparse "
        "cross-entropy. Maxout rows use layers twice as wide before each Maxout.\n"
    )
    print(table(results, args.archs, args.modes) + "\n")
    for note in notes:
        print(f"Note: {note}")
    print(f"\nTotal time: {time.perf_counter() - start:.0f} s.")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(
                {"environment": env, "args": vars(args), "results": results,
                 "notes": notes},
                f, indent=2, default=str,
            )  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
