"""Speed and memory of every keras_acts activation against ReLU and Keras.

Speed: forward+backward, `tape.gradient(reduce_sum(f(x)), x)` inside a
`tf.function`, on 2**24 float32 elements, in two modes: (a) without XLA (the
default Keras training path on CPU) and (b) with `jit_compile=True`. Each
candidate is timed next to `tf.nn.relu` in the same mode, in the same round,
and next to Keras's built-in of the same name where one exists. Rounds are
interleaved and the candidates shuffled in each round, so slow drift in the
machine's load hits the candidate and its baselines alike; the table shows
median times and the median of the per-round ratios.

Memory: a chain of 8 activations on a 2**22-element tensor, run eagerly under
`tf.GradientTape`, then `tape.gradient(sum(y), x)`. Each case runs in its own
subprocess, and the table reports (peak with f - peak with identity) /
(peak with ReLU - peak with identity).

    python benchmarks/bench_activations.py                 # full run
    python benchmarks/bench_activations.py --quick --skip-memory   # CI smoke
    python benchmarks/bench_activations.py --names mish "gelu(approximate=tanh)"

Targets (from the issue): <= 1.25x ReLU in both modes for mish, swish,
hard_swish, gelu (all three forms), selu, tanhsoft, eis; mish <= 0.5x Keras's
mish in mode (a); memory <= 1.2x ReLU for every catalog name.
"""

import argparse
import ast
import json
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# Run against this checkout, not an installed copy.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

SPEED_TARGET = 1.25
SPEED_TARGET_NAMES = ("mish", "swish", "hard_swish", "gelu", "selu", "tanhsoft", "eis")
KERAS_MISH_TARGET = 0.5
MEMORY_TARGET = 1.2
# Rows naming a layer of keras_acts.layers (a fresh instance with its default
# weights; its parameter gradients are computed too): the rational units'
# targets (fwd+bwd and memory vs ReLU).
LAYER_TARGETS = {"PAU": (2.0, 1.3), "HP1": (2.0, 1.3)}
CHAIN_LENGTH = 8
MODES = {"a": False, "b": True}  # Mode label -> jit_compile.
MEMORY_MODES = ("eager", "function")


# --- Rows: "name" or "name(param=value, ...)" ------------------------------------


def parse_row(text):
    """``"gelu(approximate=tanh)"`` -> ``("gelu", {"approximate": "tanh"})``."""
    match = re.fullmatch(r"\s*(\w+)\s*(?:\((.*)\))?\s*", text)
    if not match:
        raise ValueError(f"--names: cannot parse {text!r}; use name or name(k=v,...).")
    name, args = match.group(1), match.group(2)
    params = {}
    for item in filter(None, (a.strip() for a in (args or "").split(","))):
        key, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"--names: {text!r}: expected key=value, got {item!r}.")
        try:
            params[key.strip()] = ast.literal_eval(value.strip())
        except (ValueError, SyntaxError):
            params[key.strip()] = value.strip()  # Bare words are strings.
    return name, params


def row_label(name, params):
    if not params:
        return name
    return f"{name}({', '.join(f'{k}={v}' for k, v in params.items())})"


def default_rows():
    import keras_acts

    rows = []
    for name in keras_acts.names():
        if name == "gelu":
            rows += [("gelu", {"approximate": a}) for a in ("none", "tanh", "sigmoid")]
        else:
            rows.append((name, {}))
    return rows


def is_layer(name):
    import keras_acts

    return name in keras_acts.layers.__all__


def keras_counterpart(name, params):
    """Keras's own function computing the same thing, or None."""
    import functools

    import keras_acts
    from keras_acts import _keras_internals

    if is_layer(name):
        return None

    spec = keras_acts.info(name)
    if spec.keras_name is None:
        return None
    builtin = _keras_internals.keras_builtin(spec.keras_name)
    if name == "gelu":
        approximate = params.get("approximate", "none")
        if approximate == "sigmoid":
            return None  # Keras has no sigmoid-form GELU.
        return functools.partial(builtin, approximate=approximate == "tanh")
    if params and params != {k: spec.defaults[k] for k in params}:
        return None  # Keras's built-ins have fixed parameters (or other names).
    return builtin


def keras_acts_fn(name, params, shape=None):
    """The row's callable: a keras_acts function, or a layer built for `shape`."""
    import functools

    import keras_acts

    if is_layer(name):
        layer = getattr(keras_acts.layers, name)(**params)
        if shape is not None:
            layer.build(shape)
        return layer
    return functools.partial(keras_acts.get(name), **params)


def input_shape(size_log2):
    # 2-D so that softmax (along the last axis) means what it does in a model.
    cols = 2 ** min(size_log2, 10)
    return (2**size_log2 // cols, cols)


# --- Speed -----------------------------------------------------------------------


def _fwd_bwd(fn, jit):
    import tensorflow as tf

    # A layer's weights get their gradients too, as in training (a graph
    # would otherwise prune the unused parameter-gradient kernel).
    weights = list(getattr(fn, "trainable_weights", ()))

    @tf.function(jit_compile=jit, autograph=False)
    def step(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.reduce_sum(fn(x))
        return tape.gradient(y, [x, *weights])

    return step


def _time_once(step, x):
    start = time.perf_counter()
    for g in step(x):
        g.numpy()  # CPU eager returns a finished tensor; .numpy() is a view.
    return time.perf_counter() - start


def speed(rows, size_log2, repeats, seed=0):
    """Per row and mode: median ms of keras_acts, ReLU and Keras, per-round ratios."""
    import tensorflow as tf

    x = tf.random.stateless_normal(input_shape(size_log2), seed=(seed, 1))
    results = {row_label(*row): {} for row in rows}
    for mode, jit in MODES.items():
        relu = _fwd_bwd(tf.nn.relu, jit)
        steps = {}
        for name, params in rows:
            keras_fn = keras_counterpart(name, params)
            steps[row_label(name, params)] = (
                _fwd_bwd(keras_acts_fn(name, params, x.shape), jit),
                _fwd_bwd(keras_fn, jit) if keras_fn is not None else None,
            )
        # Warm-up: trace and compile everything before any timing.
        for step in [relu, *(s for pair in steps.values() for s in pair if s)]:
            _time_once(step, x)
            _time_once(step, x)
        samples = {label: {"ours": [], "relu": [], "keras": []} for label in steps}
        order = list(steps)
        rng = random.Random(seed)
        for _ in range(repeats):
            rng.shuffle(order)
            for label in order:
                ours, keras_step = steps[label]
                # ReLU and Keras right next to the candidate: same load.
                candidates = [("relu", relu), ("ours", ours)]
                if keras_step is not None:
                    candidates.append(("keras", keras_step))
                rng.shuffle(candidates)
                for key, step in candidates:
                    samples[label][key].append(_time_once(step, x))
        for label, s in samples.items():
            entry = {
                "ms": 1e3 * statistics.median(s["ours"]),
                "relu_ms": 1e3 * statistics.median(s["relu"]),
                "x_relu": statistics.median(
                    o / r for o, r in zip(s["ours"], s["relu"], strict=True)
                ),
            }
            if s["keras"]:
                entry["keras_ms"] = 1e3 * statistics.median(s["keras"])
                entry["x_keras"] = statistics.median(
                    o / k for o, k in zip(s["ours"], s["keras"], strict=True)
                )
            results[label][mode] = entry
    return results


# --- Memory ----------------------------------------------------------------------

MEMORY_METHOD = (
    "Each case and mode runs in a fresh subprocess; the chain runs twice "
    "(kernels compiled, allocator settled), the peaks are reset, and the "
    "third run is measured. tensors: the peak of TensorFlow's CPU allocator "
    "(TF_CPU_ALLOCATOR_USE_BFC=true, so that "
    "tf.config.experimental.get_memory_info works for CPU:0): every tensor "
    "and every XLA buffer, nothing else; this is what the target is about. "
    "RSS: the process's peak resident memory (VmHWM, reset through "
    "/proc/self/clear_refs; glibc told to mmap every allocation over 64 KiB "
    "so freed tensors leave at once), which also counts what the runtimes "
    "touch besides tensors. Identity baseline: tf.identity, whose gradient "
    "needs neither its input nor its output, so the tape keeps nothing for "
    "it (y * 1.0 would keep y)."
)
METRICS = ("tensors", "rss")


def _read_hwm_kib():
    with open("/proc/self/status") as status:
        return int(re.search(r"VmHWM:\s+(\d+)", status.read()).group(1))


def _reset_hwm():
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def memory_worker(case, size_log2):
    """Runs in a subprocess: prints {"tensors": MiB, "rss": MiB or None}.

    `case` is "<eager|function>|<baseline|ours|keras>:<row>".
    """
    import tensorflow as tf

    mode, _, case = case.partition("|")
    kind, _, row = case.partition(":")
    if kind == "baseline":
        fn = {"identity": tf.identity, "relu": tf.nn.relu}[row]
    elif kind == "keras":
        fn = keras_counterpart(*parse_row(row))
    else:
        fn = keras_acts_fn(*parse_row(row), input_shape(size_log2))
    x = tf.random.stateless_normal(input_shape(size_log2), seed=(0, 1))
    weights = list(getattr(fn, "trainable_weights", ()))  # Trained, as in fit.

    def chain_gradient(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = x
            for _ in range(CHAIN_LENGTH):
                y = fn(y)
            total = tf.reduce_sum(y)
        del y  # Only what the tape saved stays alive.
        return tape.gradient(total, [x, *weights])

    if mode == "function":
        run = tf.function(chain_gradient, jit_compile=False, autograph=False)
    else:
        run = chain_gradient
    for _ in range(2):  # Warm-up: kernels compiled, allocator settled.
        run(x)
    tf.config.experimental.reset_memory_stats("CPU:0")
    exact = _reset_hwm()
    run(x)
    tensors = tf.config.experimental.get_memory_info("CPU:0")["peak"] / 2**20
    rss = _read_hwm_kib() / 1024 if exact else None
    print(json.dumps({"tensors": tensors, "rss": rss}))


def _run_worker(case, size_log2):
    env = dict(
        os.environ, MALLOC_MMAP_THRESHOLD_="65536", TF_CPU_ALLOCATOR_USE_BFC="true"
    )
    out = subprocess.run(
        [sys.executable, os.path.abspath(__file__), "--memory-worker", case,
         "--size-log2", str(size_log2)],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    if out.returncode != 0:
        raise RuntimeError(f"memory worker {case!r} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _run_workers(cases, size_log2, jobs):
    """{case: peak MiB}, each case in its own subprocess, `jobs` at a time."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        results = pool.map(lambda case: _run_worker(case, size_log2), cases)
        return dict(zip(cases, results, strict=True))


def memory(rows, size_log2, with_keras=True, jobs=2):
    kinds = [("baseline", "identity"), ("baseline", "relu")]
    for name, params in rows:
        label = row_label(name, params)
        kinds.append(("ours", label))
        if with_keras and keras_counterpart(name, params) is not None:
            kinds.append(("keras", label))
    cases = [f"{mode}|{kind}:{row}" for kind, row in kinds for mode in MEMORY_MODES]
    raw = _run_workers(cases, size_log2, jobs)

    def peaks(kind, row):
        """{"<metric> <mode>": peak MiB}."""
        return {
            f"{metric} {m}": raw[f"{m}|{kind}:{row}"][metric]
            for metric in METRICS
            for m in MEMORY_MODES
        }

    base = {b: peaks("baseline", b) for b in ("identity", "relu")}
    results = {"_baselines": base}

    def ratios(p):
        return {
            key: None
            if p[key] is None
            else (p[key] - base["identity"][key])
            / (base["relu"][key] - base["identity"][key])
            for key in p
        }

    for name, params in rows:
        label = row_label(name, params)
        entry = {"peak_mib": peaks("ours", label)}
        entry["x_relu"] = ratios(entry["peak_mib"])
        if ("keras", label) in kinds:
            entry["keras_peak_mib"] = peaks("keras", label)
            entry["keras_x_relu"] = ratios(entry["keras_peak_mib"])
        results[label] = entry
    return results


# --- Report ----------------------------------------------------------------------


def _targets(label, entry):
    """Speed targets this row misses, as short strings."""
    name = label.split("(")[0]
    missed = []
    target = LAYER_TARGETS[name][0] if name in LAYER_TARGETS else SPEED_TARGET
    if name in SPEED_TARGET_NAMES or name in LAYER_TARGETS:
        for mode in MODES:
            ratio = entry.get(mode, {}).get("x_relu")
            if ratio is not None and ratio > target:
                missed.append(f"({mode}) >{target}× ReLU")
    if name == "mish":
        ratio = entry.get("a", {}).get("x_keras")
        if ratio is not None and ratio > KERAS_MISH_TARGET:
            missed.append(f"(a) >{KERAS_MISH_TARGET}× Keras")
    return missed


def _fmt(value, digits=2, suffix=""):
    return "—" if value is None else f"{value:.{digits}f}{suffix}"


def speed_table(results):
    lines = [
        "| name | (a) ms | (a) ×ReLU | (a) ×Keras | (b) ms | (b) ×ReLU | (b) ×Keras "
        "| misses target |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for label, entry in results.items():
        cells = [label]
        for mode in MODES:
            e = entry.get(mode, {})
            cells += [
                _fmt(e.get("ms"), 1),
                _fmt(e.get("x_relu"), 2, "×"),
                _fmt(e.get("x_keras"), 2, "×"),
            ]
        missed = _targets(label, entry)
        cells.append("✗ " + "; ".join(missed) if missed else "")
        lines.append("| " + " | ".join(cells) + " |")
    relu = {
        m: statistics.median(e[m]["relu_ms"] for e in results.values()) for m in MODES
    }
    lines.append("")
    lines.append(
        f"ReLU (tf.nn.relu) median: (a) {relu['a']:.1f} ms, (b) {relu['b']:.1f} ms. "
        f"Targets: ≤{SPEED_TARGET}× ReLU in both modes for "
        f"{', '.join(SPEED_TARGET_NAMES)}; mish ≤{KERAS_MISH_TARGET}× Keras's mish "
        "in (a); PAU and HP1 ≤2.0× ReLU. ✗ marks a miss."
    )
    return "\n".join(lines)


def memory_table(results):
    lines = [
        "| name | tensors, eager ×ReLU | tensors, tf.function ×ReLU "
        "| Keras's, eager | Keras's, tf.function | RSS, eager ×ReLU "
        "| RSS, tf.function ×ReLU | misses target |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for label, entry in results.items():
        if label.startswith("_"):
            continue
        ours, keras_ratios = entry["x_relu"], entry.get("keras_x_relu", {})
        cells = [label]
        cells += [_fmt(ours[f"tensors {m}"], 2, "×") for m in MEMORY_MODES]
        cells += [_fmt(keras_ratios.get(f"tensors {m}"), 2, "×") for m in MEMORY_MODES]
        cells += [_fmt(ours[f"rss {m}"], 2, "×") for m in MEMORY_MODES]
        name = label.split("(")[0]
        target = LAYER_TARGETS[name][1] if name in LAYER_TARGETS else MEMORY_TARGET
        missed = [
            f"{m} >{target}× ReLU"
            for m in MEMORY_MODES
            if ours[f"tensors {m}"] > target
        ]
        cells.append("✗ " + "; ".join(missed) if missed else "")
        lines.append("| " + " | ".join(cells) + " |")
    base = results["_baselines"]
    lines += [
        "",
        "Peaks (MiB): "
        + "; ".join(
            f"{key}: identity {base['identity'][key]:.0f}, ReLU {base['relu'][key]:.0f}"
            for key in base["relu"]
            if base["relu"][key] is not None
        )
        + f". Target (tensors): ≤{MEMORY_TARGET}× ReLU (PAU, HP1: ≤1.3×). "
        "×ReLU = (peak − identity) / (ReLU − identity). eager: the chain run op "
        "by op under the tape (custom training loops, `run_eagerly=True`); "
        "tf.function: the same code in `tf.function` without XLA (Keras's "
        "default CPU training path).",
        "",
        "Method: " + MEMORY_METHOD,
    ]
    return "\n".join(lines)


def environment():
    import keras
    import tensorflow as tf

    import keras_acts

    return {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "load_average": os.getloadavg(),
        "cpu_count": os.cpu_count(),
        "machine": platform.machine(),
        "processor": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "keras_acts": keras_acts.__version__,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1],
    )
    parser.add_argument(
        "--names",
        nargs="+",
        help='Rows to run: names or variants like "gelu(approximate=tanh)", or '
        'layers of keras_acts.layers like PAU, "HP1(per_channel=True)". '
        "Default: every keras_acts name, gelu in its three forms.",
    )
    parser.add_argument(
        "--size-log2", type=int, default=24, help="speed: 2**N elements"
    )
    parser.add_argument(
        "--memory-size-log2", type=int, default=22, help="memory: 2**N elements"
    )
    parser.add_argument("--repeats", type=int, default=7, help="timed rounds")
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument(
        "--memory-jobs",
        type=int,
        default=2,
        help="memory subprocesses run at once (peaks are per process)",
    )
    parser.add_argument(
        "--skip-keras-memory",
        action="store_true",
        help="memory: do not also measure Keras's built-ins",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="CI smoke: 2**16 elements (2**18 for memory), 3 rounds",
    )
    parser.add_argument("--json", metavar="PATH", help="also save results as JSON")
    parser.add_argument("--memory-worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.size_log2, args.memory_size_log2, args.repeats = 16, 18, 3

    if args.memory_worker:
        memory_worker(args.memory_worker, args.size_log2)
        return 0

    start = time.perf_counter()
    import tensorflow as tf

    # One tf.function per row and mode; TF's retracing warning is noise here.
    tf.get_logger().setLevel("ERROR")
    rows = [parse_row(r) for r in args.names] if args.names else default_rows()
    for name, params in rows:  # Fail early on typos, with keras_acts' message.
        keras_acts_fn(name, params)
        import keras_acts

        if not is_layer(name):
            keras_acts.info(name).resolve(params)
    env = environment()
    report = {"environment": env, "args": vars(args)}
    print("# keras_acts activation benchmark\n")
    load = ", ".join(f"{v:.2f}" for v in env["load_average"])
    print(
        f"{env['date']}, load average {load}, {env['cpu_count']} CPUs "
        f"({env['processor']}), Python {env['python']}, "
        f"TensorFlow {env['tensorflow']}, Keras {env['keras']}, keras_acts "
        f"{env['keras_acts']}.\n"
    )
    if not args.skip_speed:
        results = speed(rows, args.size_log2, args.repeats)
        report["speed"] = results
        print(
            f"## Forward+backward, 2^{args.size_log2} float32 elements, median of "
            f"{args.repeats} interleaved rounds\n\n"
            "(a) tf.function without XLA; (b) tf.function(jit_compile=True). "
            "×ReLU and ×Keras: median of per-round ratios to tf.nn.relu and to "
            "Keras's built-in of the same name, timed next to the row.\n"
        )
        print(speed_table(results) + "\n")
    if not args.skip_memory:
        results = memory(
            rows,
            args.memory_size_log2,
            not args.skip_keras_memory,
            args.memory_jobs,
        )
        report["memory"] = results
        print(
            f"## Memory: chain of {CHAIN_LENGTH} activations under GradientTape, "
            f"2^{args.memory_size_log2} float32 elements\n"
        )
        print(memory_table(results) + "\n")
    print(f"Total time: {time.perf_counter() - start:.0f} s.")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=2, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
