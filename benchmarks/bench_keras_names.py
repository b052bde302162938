"""Which Keras names keras_acts should take over, measured per backend.

For every Keras built-in name keras_acts defines (mish, gelu, silu, ...):
forward+backward (gradient of the sum) of keras_acts' function against
Keras's own function (`keras.src.activations.activations`, which keras_acts
never changes) on 2**22 float32 values, in each mode of the backend:

* TensorFlow: (a) `tf.function` without XLA (Keras's default on CPU) and
  (b) `tf.function(jit_compile=True)`;
* JAX: `jax.jit` (and eager, where every op dispatches on its own);
* PyTorch: eager (Keras's default there).

Rounds are interleaved and shuffled; the table gives the median of the
per-round ratios (keras_acts / Keras). The rule keras_acts follows
(`keras_acts._names.TAKEN_OVER`): take a name over where it is at most 0.85x
in one mode and not slower (at most 1.05x, the noise here) in the others.
The last columns compare that rule with the table in the code; a mismatch is
marked.

    python benchmarks/bench_keras_names.py                  # every backend
    python benchmarks/bench_keras_names.py --backends torch
    python benchmarks/bench_keras_names.py --quick          # CI smoke run

`--eager-calls` measures something else, on TensorFlow: the time of one
eager call (no tape: a notebook, inference in a custom loop) on 1,000
float32 values, keras_acts' function against Keras's, both called
`--calls` times in a row per measurement, in shuffled interleaved rounds;
and, for information, the same call plus its gradient under a
`tf.GradientTape` (a custom eager training loop). The target is at most 2x
Keras's time for the call without a tape:

    python benchmarks/bench_keras_names.py --eager-calls
"""

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

BACKENDS = ("tensorflow", "jax", "torch")
MODES = {
    "tensorflow": ("tf.function", "jit"),
    "jax": ("jit", "eager"),
    "torch": ("eager",),
}
TAKE_OVER_AT = 0.85
NOT_SLOWER = 1.05
# Rows: (keras_acts name, keras_acts params, Keras name, Keras kwargs).
EXTRA_ROWS = [("gelu", {"approximate": "tanh"}, "gelu", {"approximate": True})]


def rows():
    import keras_acts

    out = []
    for name in keras_acts.names():
        spec = keras_acts.info(name)
        if spec.keras_name is not None:
            out.append((name, {}, spec.keras_name, {}))
    return out + EXTRA_ROWS


def label(row):
    name, params, _, _ = row
    return name + "".join(f"({k}={v})" for k, v in params.items())


def make_step(fn, backend, mode):
    """A function x -> d(sum f(x))/dx, and one that waits for its result."""
    if backend == "tensorflow":
        import tensorflow as tf

        @tf.function(jit_compile=mode == "jit")
        def step(x):
            with tf.GradientTape() as tape:
                tape.watch(x)
                total = tf.reduce_sum(fn(x))
            return tape.gradient(total, x)

        return step, lambda y: y.numpy()
    if backend == "jax":
        import jax
        import jax.numpy as jnp

        step = jax.grad(lambda x: jnp.sum(fn(x)))
        if mode == "jit":
            step = jax.jit(step)
        return step, lambda y: y.block_until_ready()

    def torch_step(x):
        x = x.detach().requires_grad_(True)
        fn(x).sum().backward()
        return x.grad

    return torch_step, lambda y: y.sum().item()


def interleaved(pairs, repeats, rng, seconds):
    """key -> medians of (keras_acts, Keras) times and of their per-round ratio.

    `pairs` maps a key to (keras_acts item, Keras item); `seconds(item)` times
    one item. Rounds shuffle the keys, and each pair's order, so a machine's
    drifting load falls on both sides.
    """
    ratios = {key: [] for key in pairs}
    times = {key: ([], []) for key in pairs}
    for _ in range(repeats):
        order = list(pairs)
        rng.shuffle(order)
        for key in order:
            pair = list(enumerate(pairs[key]))
            rng.shuffle(pair)
            took = [0.0, 0.0]
            for which, item in pair:
                took[which] = seconds(item)
            ratios[key].append(took[0] / took[1])
            times[key][0].append(took[0])
            times[key][1].append(took[1])
    return {
        key: {
            "ours_ms": 1e3 * statistics.median(times[key][0]),
            "keras_ms": 1e3 * statistics.median(times[key][1]),
            "ratio": statistics.median(ratios[key]),
        }
        for key in pairs
    }


def measure(backend, size_log2, repeats, seed):
    """Runs in a process whose Keras backend is `backend`."""
    import keras
    from keras.src.activations import activations as keras_own

    import keras_acts

    rng = random.Random(seed)
    x = keras.ops.convert_to_tensor(
        keras.random.normal((2 ** (size_log2 - 10), 1024), seed=seed)
    )
    results = {}
    for mode in MODES[backend]:
        steps = {}
        for row in rows():
            name, params, keras_name, keras_kwargs = row
            ours = getattr(keras_acts, name)
            theirs = getattr(keras_own, keras_name)
            steps[label(row)] = (
                make_step(lambda v, f=ours, p=params: f(v, **p), backend, mode),
                make_step(lambda v, f=theirs, k=keras_kwargs: f(v, **k), backend, mode),
            )
        for (ours, sync), (theirs, sync2) in steps.values():  # Compile, warm up.
            for _ in range(2):
                sync(ours(x))
                sync2(theirs(x))

        def seconds(item):
            step, sync = item
            start = time.perf_counter()
            sync(step(x))
            return time.perf_counter() - start

        results[mode] = interleaved(steps, repeats, rng, seconds)
    return results


EAGER_TARGET = 2.0


def measure_eager(size, calls, repeats, seed):
    """Per-call eager times, keras_acts and Keras (TensorFlow worker)."""
    import numpy as np
    import tensorflow as tf
    from keras.src.activations import activations as keras_own

    import keras_acts

    rng = random.Random(seed)
    x = tf.constant(np.random.default_rng(seed).normal(size=size).astype("float32"))

    def taped(fn):
        def call(v):
            with tf.GradientTape() as tape:
                tape.watch(v)
                y = fn(v)
            return tape.gradient(y, v)

        return call

    pairs = {}
    for row in rows():
        name, params, keras_name, keras_kwargs = row
        ours = getattr(keras_acts, name)
        theirs = getattr(keras_own, keras_name)
        pairs[label(row)] = (
            lambda v, f=ours, p=params: f(v, **p),
            lambda v, f=theirs, k=keras_kwargs: f(v, **k),
        )
    results = {}
    for mode in ("no tape", "tape"):
        fns = {
            key: pair if mode == "no tape" else tuple(taped(f) for f in pair)
            for key, pair in pairs.items()
        }
        for pair in fns.values():  # Warm up (kernels under a tape compile).
            for fn in pair:
                for _ in range(3):
                    fn(x).numpy()

        def seconds(fn):
            start = time.perf_counter()
            for _ in range(calls):
                y = fn(x)
            y.numpy()
            return (time.perf_counter() - start) / calls

        results[mode] = interleaved(fns, repeats, rng, seconds)
    return results


def eager_table(results):
    head = ["name", "keras_acts ms", "Keras ms", "×Keras", "within 2×"]
    head += ["tape: keras_acts ms", "tape: Keras ms", "tape: ×Keras"]
    lines = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    for key, r in results["no tape"].items():
        t = results["tape"][key]
        cells = [
            key,
            f"{r['ours_ms']:.3f}",
            f"{r['keras_ms']:.3f}",
            f"{r['ratio']:.2f}×",
            "yes" if r["ratio"] <= EAGER_TARGET else "**no**",
            f"{t['ours_ms']:.3f}",
            f"{t['keras_ms']:.3f}",
            f"{t['ratio']:.2f}×",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def decide(per_mode):
    """The rule: <= 0.85x in some mode and <= 1.05x in every mode."""
    ratios = [r["ratio"] for r in per_mode.values()]
    return min(ratios) <= TAKE_OVER_AT and max(ratios) <= NOT_SLOWER


def table(backend, results):
    from keras_acts import _names

    in_code = set(_names.TAKEN_OVER[backend])
    modes = MODES[backend]
    head = ["name"]
    for mode in modes:
        head += [f"{mode} ms", f"{mode} Keras ms", f"{mode} ×Keras"]
    head += ["rule says", "keras_acts takes over"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    keys = list(results[modes[0]])
    for key in keys:
        per_mode = {mode: results[mode][key] for mode in modes}
        cells = [key]
        for mode in modes:
            r = per_mode[mode]
            cells += [
                f"{r['ours_ms']:.1f}",
                f"{r['keras_ms']:.1f}",
                f"{r['ratio']:.2f}×",
            ]
        keras_name = key.split("(")[0]
        from keras_acts import info

        keras_name = info(keras_name).keras_name
        rule = decide(per_mode)
        taken = keras_name in in_code
        mark = "" if rule == taken or "(" in key else " ✗"
        cells += ["yes" if rule else "no", ("yes" if taken else "no") + mark]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--backends", nargs="+", default=list(BACKENDS), choices=BACKENDS
    )
    parser.add_argument("--size-log2", type=int, default=22)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="2**14 values, 2 rounds")
    parser.add_argument("--json", metavar="PATH")
    parser.add_argument(
        "--eager-calls",
        action="store_true",
        help="per-call time of eager calls on 1,000 values (TensorFlow)",
    )
    parser.add_argument("--calls", type=int, default=200, help="with --eager-calls")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.quick:
        args.size_log2, args.repeats, args.calls = 14, 2, 20
    if args.worker == "eager":
        results = measure_eager(1000, args.calls, args.repeats, seed=0)
        print("RESULTS " + json.dumps(results))
        return
    if args.eager_calls:
        command = [sys.executable, __file__, "--worker", "eager"]
        command += ["--calls", str(args.calls), "--repeats", str(args.repeats)]
        env = dict(os.environ, KERAS_BACKEND="tensorflow")
        out = subprocess.run(command, env=env, capture_output=True, text=True)
        line = [x for x in out.stdout.splitlines() if x.startswith("RESULTS ")]
        if out.returncode or not line:
            sys.exit(f"eager worker failed:\n{out.stderr[-3000:]}")
        results = json.loads(line[0][len("RESULTS ") :])
        import platform

        import keras

        print(
            f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
            f"{os.cpu_count()} cores, Python {platform.python_version()}, "
            f"Keras {keras.__version__}\n\n"
            f"### tensorflow eager calls (1,000 float32, median of {args.repeats} "
            f"interleaved rounds of {args.calls} calls each)\n"
        )
        print(eager_table(results))
        if args.json:
            with open(args.json, "w") as f:
                json.dump(results, f, indent=2)
        return
    if args.worker:
        results = measure(args.worker, args.size_log2, args.repeats, seed=0)
        print("RESULTS " + json.dumps(results))
        return
    everything = {}
    for backend in args.backends:
        command = [sys.executable, __file__, "--worker", backend]
        command += ["--size-log2", str(args.size_log2), "--repeats", str(args.repeats)]
        env = dict(os.environ, KERAS_BACKEND=backend)
        out = subprocess.run(command, env=env, capture_output=True, text=True)
        line = [x for x in out.stdout.splitlines() if x.startswith("RESULTS ")]
        if out.returncode or not line:
            sys.exit(f"{backend} worker failed:\n{out.stderr[-3000:]}")
        everything[backend] = json.loads(line[0][len("RESULTS ") :])
        print(
            f"\n### {backend} (2^{args.size_log2} float32, fwd+bwd, "
            f"median of {args.repeats} interleaved rounds)\n"
        )
        print(table(backend, everything[backend]))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(everything, f, indent=2)


if __name__ == "__main__":
    main()
