"""Benchmarks of the rational units (PAU, HP-1) against ReLU, TensorFlow backend.

Sections: forward+backward of the activation alone (gradient w.r.t. input and
every coefficient) in tf.function and jit modes; one train step of an MLP and
a CNN; peak memory of a train step, each case in its own subprocess.

    python benchmarks/bench_rational.py --log2-size 22 --repeats 7

Use a quiet machine for reported numbers; `--log2-size 18 --repeats 3` is a
quick smoke run. Targets: fwd+bwd <= 2.0x ReLU, train step <= 1.5x,
memory <= 1.3x.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def _median_ms(fn, repeats):
    fn()  # Compile.
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    times.sort()
    return 1e3 * times[len(times) // 2]


def _units():
    from keras_acts._rational import HP1, PAU

    return {
        "relu": _Relu,
        "pau": PAU,
        "hp1": HP1,
    }


class _Relu:
    """Stand-in with the layer call signature."""

    def __call__(self, x):
        import keras

        return keras.ops.relu(x)

    trainable_weights = ()


def activation_only(log2_size, repeats):
    import tensorflow as tf

    x = tf.random.normal([2**log2_size], seed=1)
    results = {}
    for jit in (False, True):
        for name, make in _units().items():
            unit = make()
            unit(x[:8])  # Build.

            @tf.function(jit_compile=jit)
            def step(x, unit=unit):
                weights = list(unit.trainable_weights)
                with tf.GradientTape() as tape:
                    tape.watch(x)
                    y = tf.reduce_sum(unit(x))
                return tape.gradient(y, [x, *[w.value for w in weights]])

            ms = _median_ms(lambda step=step: [g.numpy() for g in step(x)], repeats)
            results[f"fwd+bwd {'jit' if jit else 'tf.function'} {name}"] = ms
    return results


def _model(kind, unit_name):
    import keras

    make = _units()[unit_name]
    if kind == "mlp":
        layers = [keras.Input((512,))]
        for _ in range(3):
            layers += [keras.layers.Dense(1024), make()]
        layers.append(keras.layers.Dense(10))
    else:
        layers = [keras.Input((32, 32, 3))]
        for filters in (32, 64):
            layers += [keras.layers.Conv2D(filters, 3, padding="same"), make()]
            layers.append(keras.layers.MaxPooling2D())
        layers += [keras.layers.Flatten(), keras.layers.Dense(10)]
    relu_layers = [
        keras.layers.Activation("relu") if isinstance(layer, _Relu) else layer
        for layer in layers
    ]
    return keras.Sequential(relu_layers)


def _train_step_ms(kind, unit_name, repeats, batch, jit):
    import keras
    import numpy as np

    keras.utils.set_random_seed(0)
    model = _model(kind, unit_name)
    model.compile("adam", "sparse_categorical_crossentropy", jit_compile=jit)
    shape = (batch, 512) if kind == "mlp" else (batch, 32, 32, 3)
    x = np.random.default_rng(0).normal(size=shape).astype("float32")
    y = np.zeros((batch,), "int32")
    return _median_ms(lambda: model.train_on_batch(x, y), repeats)


def train_steps(repeats, batch):
    results = {}
    for kind in ("mlp", "cnn"):
        for jit in (False, True):
            for name in ("relu", "pau", "hp1"):
                ms = _train_step_ms(kind, name, repeats, batch, jit)
                results[f"train {kind} {'jit' if jit else 'tf.function'} {name}"] = ms
    return results


def _memory_child(kind, unit_name, batch):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    _train_step_ms(kind, unit_name, 1, batch, jit=False)
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"peak_mib": after / 1024, "growth_mib": (after - before) / 1024}))


def memory(batch):
    results = {}
    for kind in ("mlp", "cnn"):
        for name in ("relu", "pau", "hp1"):
            out = subprocess.run(
                [sys.executable, __file__, "--memory-child", kind, name,
                 "--batch", str(batch)],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
            peak = json.loads(out.stdout.strip().splitlines()[-1])["peak_mib"]
            results[f"peak RSS MiB {kind} {name}"] = peak
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--log2-size", type=int, default=22)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--sections", default="activation,train,memory")
    parser.add_argument("--memory-child", nargs=2, metavar=("KIND", "UNIT"))
    args = parser.parse_args()
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    if args.memory_child:
        _memory_child(*args.memory_child, args.batch)
        return
    results = {}
    sections = args.sections.split(",")
    if "activation" in sections:
        results.update(activation_only(args.log2_size, args.repeats))
    if "train" in sections:
        results.update(train_steps(args.repeats, args.batch))
    if "memory" in sections:
        results.update(memory(args.batch))
    for key, value in results.items():
        base_key = key.rsplit(" ", 1)[0] + " relu"
        ratio = value / results[base_key] if base_key in results else float("nan")
        print(f"{key:45s} {value:10.2f}   {ratio:5.2f}x relu")


if __name__ == "__main__":
    main()
