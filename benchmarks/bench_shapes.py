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
  `keras_acts.gelu` themselves. "serving paired" builds all three in one
  process and calls each length on each in turn: its timings are paired
  against load changes on a shared machine (no RSS there).
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
    # The three serving models in one process, called in turn at each length
    # (order rotated): timings paired against load changes on a shared
    # machine; no RSS column (one process).
    "serving paired": ("tensorflow", "paired", None),
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
    # What runs: keras_acts' functions where imported (the strings are its
    # drop-ins on TensorFlow), and how many XLA-compiled calls the graph
    # holds (each compiles per new input shape).
    owners = [getattr(layer.activation, "__module__", "") for layer in model.layers]
    if acts and not all(o.startswith("keras_acts") for o in owners[:2]):
        raise RuntimeError(f"keras_acts' activations are not in use: {owners}")
    graph = serve.get_concrete_function().graph.as_graph_def()
    nodes = [*graph.node, *(n for f in graph.library.function for n in f.node_def)]
    xla_calls = sum(bool(n.attr["_XlaMustCompile"].b) for n in nodes)
    start = rss_mib()
    first, repeat = [], []
    for n in lengths[1:]:
        x = tf.constant(inputs[n])
        for times in (first, repeat):
            t0 = time.perf_counter()
            serve(x).numpy()
            times.append(time.perf_counter() - t0)
    return first, repeat, rss_mib() - start, xla_calls


def serving_paired(lengths, batch, seed):
    """Rows of `serving keras`, `serving keras_acts` and `... functions`,
    measured in one process, each length called on each model in turn."""
    import keras
    import numpy as np
    import tensorflow as tf

    import keras_acts
    from keras_acts import _keras_internals

    variants = {
        "serving keras (paired)": tuple(
            _keras_internals.keras_builtin(n) for n in ("mish", "gelu")
        ),
        "serving keras_acts (paired)": ("mish", "gelu"),
        "serving keras_acts functions (paired)": (keras_acts.mish, keras_acts.gelu),
    }
    serves = {}
    for name, (first_act, second_act) in variants.items():
        keras.utils.set_random_seed(seed)
        model = keras.Sequential(
            [
                keras.Input((None, 64)),
                keras.layers.Dense(128, first_act),
                keras.layers.Dense(128, second_act),
                keras.layers.Dense(4),
            ]
        )
        serves[name] = tf.function(
            lambda x, model=model: model(x, training=False),
            input_signature=[tf.TensorSpec((None, None, 64), tf.float32)],
        )
    rng = np.random.default_rng(seed)
    inputs = {n: rng.normal(size=(batch, n, 64)).astype("float32") for n in lengths}
    for serve in serves.values():
        serve(tf.constant(inputs[lengths[0]])).numpy()  # Trace (not timed).
    names = list(serves)
    times = {name: ([], []) for name in names}
    for i, n in enumerate(lengths[1:]):
        x = tf.constant(inputs[n])
        order = names[i % 3 :] + names[: i % 3]
        for which in (0, 1):  # First calls at this length, then repeats.
            for name in order:
                t0 = time.perf_counter()
                serves[name](x).numpy()
                times[name][which].append(time.perf_counter() - t0)
    return {
        name: {
            "first_ms": 1e3 * statistics.median(first),
            "repeat_ms": 1e3 * statistics.median(repeat),
            "rss_mib": None,
            "xla_calls": None,
        }
        for name, (first, repeat) in times.items()
    }


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
    return first, repeat or [float("nan")], rss_mib() - start, None


def child(case, args):
    backend, workload, acts = CASES[case]
    if workload == "paired":
        lengths = list(range(1, args.lengths + 1))
        random.Random(args.seed).shuffle(lengths)
        print(json.dumps(serving_paired(lengths, args.batch, args.seed)))
        return
    if workload == "serving":
        lengths = list(range(1, args.lengths + 1))
        random.Random(args.seed).shuffle(lengths)
        first, repeat, growth, xla = serving(acts, lengths, args.batch, args.seed)
    else:
        shapes = eager_shapes(args.shapes, args.calls, args.seed)
        first, repeat, growth, xla = eager(acts, shapes, args.seed)
    print(
        json.dumps(
            {
                "first_ms": 1e3 * statistics.median(first),
                "repeat_ms": 1e3 * statistics.median(repeat),
                "rss_mib": growth,
                "xla_calls": xla,
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
    print(
        "| case | first call at a new shape | repeat call | RSS growth "
        "| XLA calls in the served graph |"
    )
    print("|---|---:|---:|---:|---:|")
    for case in args.cases or list(CASES):
        r = run_case(case, args)
        if r is None:
            print(f"| {case} | failed | | | |")
            continue
        rows = r if "first_ms" not in r else {case: r}
        for name, r in rows.items():
            xla = "" if r["xla_calls"] is None else r["xla_calls"]
            rss = "" if r["rss_mib"] is None else f"{r['rss_mib']:.0f} MiB"
            print(
                f"| {name} | {r['first_ms']:.2f} ms | {r['repeat_ms']:.2f} ms "
                f"| {rss} | {xla} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
