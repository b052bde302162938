"""Varying input shapes: per-call time and memory growth, keras_acts vs plain Keras.

Two workloads, each run in a fresh subprocess per case so that resident
memory (RSS) is measured clean:

* serving (TensorFlow): `Input((None, 64))` -> `Dense(128, "mish")` ->
  `Dense(128, "gelu")` -> `Dense(4)`, called through a `tf.function` with
  `input_signature=[TensorSpec((None, None, 64))]` at many sequence lengths
  (shuffled), twice each. Prints the median first call at a new length, the
  median repeat call, and RSS growth from after the first call to the end.
  "keras" builds the model without importing keras_acts (Keras's own mish and
  gelu); "keras_acts" imports it, so the strings resolve to keras_acts'
  drop-ins; "keras_acts functions" passes `keras_acts.mish` and
  `keras_acts.gelu` themselves.
* eager: `mish` called eagerly on many shapes (about two calls per shape),
  `keras.activations.mish` vs `keras_acts.mish`, on TensorFlow and JAX.

    python benchmarks/bench_shapes.py            # 400 lengths, 1,500 eager calls
    python benchmarks/bench_shapes.py --quick    # seconds: a smoke run

Not a timed test: timings depend on the machine; compare the rows of one run.
"""

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CASES = {
    # name: (backend, workload, with keras_acts)
    "serving keras": ("tensorflow", "serving", False),
    "serving keras_acts": ("tensorflow", "serving", True),
    # keras_acts' own functions (activation=keras_acts.mish), not the names.
    "serving keras_acts functions": ("tensorflow", "serving", "functions"),
    "eager tf keras": ("tensorflow", "eager", False),
    "eager tf keras_acts": ("tensorflow", "eager", True),
    "eager jax keras": ("jax", "eager", False),
    "eager jax keras_acts": ("jax", "eager", True),
}


def rss_mib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def serving(acts, lengths, batch, seed):
    import numpy as np

    if acts:
        import keras_acts  # noqa: F401  (the strings now resolve to keras_acts)
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    first_act, second_act = "mish", "gelu"
    if acts == "functions":
        first_act, second_act = keras_acts.mish, keras_acts.gelu
    model = keras.Sequential(
        [
            keras.Input((None, 64)),
            keras.layers.Dense(128, first_act),
            keras.layers.Dense(128, second_act),
            keras.layers.Dense(4),
        ]
    )
    serve = tf.function(
        lambda x: model(x, training=False),
        input_signature=[tf.TensorSpec((None, None, 64), tf.float32)],
    )
    rng = np.random.default_rng(seed)
    inputs = {n: rng.normal(size=(batch, n, 64)).astype("float32") for n in lengths}
    serve(tf.constant(inputs[lengths[0]])).numpy()  # Trace (not timed).
    start = rss_mib()
    first, repeat = [], []
    for n in lengths[1:]:
        x = tf.constant(inputs[n])
        for times in (first, repeat):
            t0 = time.perf_counter()
            serve(x).numpy()
            times.append(time.perf_counter() - t0)
    return first, repeat, rss_mib() - start


def eager_shapes(count, calls, seed):
    rng = random.Random(seed)
    shapes = set()
    while len(shapes) < count:
        shapes.add((rng.randint(1, 64), rng.randint(1, 96)))
    shapes = sorted(shapes)
    rng.shuffle(shapes)
    return [shapes[i % len(shapes)] for i in range(calls)]


def eager(acts, shapes, seed):
    import keras
    import numpy as np

    if acts:
        import keras_acts

        fn = keras_acts.mish
    else:
        fn = keras.activations.mish
    rng = np.random.default_rng(seed)
    warm = keras.ops.convert_to_tensor(np.ones((8, 8), "float32"))
    keras.ops.convert_to_numpy(fn(warm))
    start = rss_mib()
    first, repeat, seen = [], [], set()
    for shape in shapes:
        x = keras.ops.convert_to_tensor(rng.normal(size=shape).astype("float32"))
        t0 = time.perf_counter()
        keras.ops.convert_to_numpy(fn(x))
        (repeat if shape in seen else first).append(time.perf_counter() - t0)
        seen.add(shape)
    return first, repeat or [float("nan")], rss_mib() - start


def child(case, args):
    backend, workload, acts = CASES[case]
    if workload == "serving":
        lengths = list(range(1, args.lengths + 1))
        random.Random(args.seed).shuffle(lengths)
        first, repeat, growth = serving(acts, lengths, args.batch, args.seed)
    else:
        shapes = eager_shapes(args.shapes, args.calls, args.seed)
        first, repeat, growth = eager(acts, shapes, args.seed)
    print(
        json.dumps(
            {
                "first_ms": 1e3 * statistics.median(first),
                "repeat_ms": 1e3 * statistics.median(repeat),
                "rss_mib": growth,
            }
        )
    )


def run_case(case, args):
    backend = CASES[case][0]
    env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3")
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    command = [sys.executable, os.path.abspath(__file__), "--child", case]
    command += ["--lengths", str(args.lengths), "--batch", str(args.batch)]
    command += ["--shapes", str(args.shapes), "--calls", str(args.calls)]
    command += ["--seed", str(args.seed)]
    out = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        print(out.stderr[-3000:], file=sys.stderr)
        return None
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small smoke run")
    parser.add_argument("--lengths", type=int, default=400, help="serving lengths")
    parser.add_argument("--batch", type=int, default=4, help="serving batch")
    parser.add_argument("--shapes", type=int, default=700, help="eager shapes")
    parser.add_argument("--calls", type=int, default=1500, help="eager calls")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cases", nargs="+", choices=list(CASES), default=None)
    parser.add_argument("--child", choices=list(CASES), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.lengths, args.shapes, args.calls = 40, 60, 120
    if args.child:
        return child(args.child, args)
    import keras

    print(
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, Keras {keras.__version__}"
    )
    print(
        f"serving: batch {args.batch}, {args.lengths} lengths x 2 calls; eager: "
        f"{args.calls} calls over {args.shapes} shapes\n"
    )
    print("| case | first call at a new shape | repeat call | RSS growth |")
    print("|---|---:|---:|---:|")
    for case in args.cases or list(CASES):
        r = run_case(case, args)
        if r is None:
            print(f"| {case} | failed | | |")
            continue
        print(
            f"| {case} | {r['first_ms']:.2f} ms | {r['repeat_ms']:.2f} ms "
            f"| {r['rss_mib']:.0f} MiB |",
            flush=True,
        )


if __name__ == "__main__":
    main()
