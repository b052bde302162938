"""Training memory and step time of real models: plain Keras vs keras_acts.

Models: a GELU MLP stack (residual Dense(2048, "gelu") -> Dense(512) blocks),
a small transformer encoder (attention + GELU MLP), and keras.applications
ConvNeXtTiny (gelu), EfficientNetB0 (swish) and MobileNetV3Small (hard_swish),
built with weights=None. Random inputs and labels, Adam, sparse cross-entropy.

Variants, each model in its own subprocess per round:

* ``keras``: plain Keras, a process that never imports keras_acts;
* ``keras_acts``: the same code after ``import keras_acts``, so the Keras
  names in ``keras_acts.taken_over()`` resolve to keras_acts' kernels (the
  "kernels" column counts the activations that really did);
* ``layer:NAME`` (MLP and transformer): the GELU replaced by a learnable
  ``keras_acts.layers.NAME`` layer after a linear Dense.

Figures: peak training memory from the framework's allocator (TensorFlow:
``tf.config.experimental.get_memory_info`` with TF_CPU_ALLOCATOR_USE_BFC=true
on CPU; JAX: ``memory_stats()`` where the device reports it, else the
process's peak RSS), measured over the timed steps after warm-up, minus what
was allocated before the model was built; median train-step time. Every
round runs each variant's process back to back in shuffled order, and the
ratios to plain Keras are medians of per-round ratios.

    python benchmarks/bench_models.py                       # full run
    python benchmarks/bench_models.py --quick               # smoke run
    python benchmarks/bench_models.py --models mlp convnext_tiny --backends jax
"""

import argparse
import gc
import json
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# model -> (Keras activation name it uses, what it is).
MODELS = {
    "mlp": ("gelu", "GELU MLP stack: 4 × residual [Dense(2048, gelu) → Dense(512)]"),
    "transformer": ("gelu", "encoder: 4 × [MHA(4 heads), Dense(1024, gelu)], d=256"),
    "convnext_tiny": ("gelu", "keras.applications.ConvNeXtTiny"),
    "efficientnet_b0": ("swish", "keras.applications.EfficientNetB0"),
    "mobilenet_v3_small": ("hard_swish", "keras.applications.MobileNetV3Small"),
}  # fmt: skip
LAYER_MODELS = ("mlp", "transformer")  # Where a learnable layer replaces GELU.
MODES = {"tensorflow": ("tf.function", "jit"), "jax": ("jit",), "torch": ("eager",)}
FULL = {"batch": 16, "image": 64, "tokens": 256, "seq": 128, "scale": 1}
QUICK = {"batch": 2, "image": 32, "tokens": 8, "seq": 8, "scale": 32}
CLASSES = 10


# --- Models (built in the worker) ------------------------------------------------


def _act(variant, name):
    """The activation after a linear Dense: a string, or a keras_acts layer."""
    import keras

    if variant.startswith("layer:"):
        import keras_acts.layers

        return getattr(keras_acts.layers, variant[6:])()
    return keras.layers.Activation(name)


def build(model, variant, size):
    import keras
    from keras import layers

    scale = size["scale"]
    if model == "mlp":
        width, hidden = 512 // scale, 2048 // scale
        inputs = keras.Input((size["tokens"], width))
        x = inputs
        for _ in range(4):
            h = layers.Dense(hidden)(x)
            h = _act(variant, "gelu")(h)
            x = x + layers.Dense(width)(h)
        x = layers.GlobalAveragePooling1D()(x)
    elif model == "transformer":
        width, hidden = 256 // scale, 1024 // scale
        inputs = keras.Input((size["seq"], width))
        x = inputs
        for _ in range(4):
            a = layers.MultiHeadAttention(4, width // 4)(x, x)
            x = layers.LayerNormalization()(x + a)
            h = _act(variant, "gelu")(layers.Dense(hidden)(x))
            x = layers.LayerNormalization()(x + layers.Dense(width)(h))
        x = layers.GlobalAveragePooling1D()(x)
    else:
        app = {
            "convnext_tiny": keras.applications.ConvNeXtTiny,
            "efficientnet_b0": keras.applications.EfficientNetB0,
            "mobilenet_v3_small": keras.applications.MobileNetV3Small,
        }[model]
        return app(
            weights=None,
            input_shape=(size["image"], size["image"], 3),
            classes=CLASSES,
            classifier_activation=None,
        )
    return keras.Model(inputs, layers.Dense(CLASSES)(x))


def count_activations(model):
    """(activations computed by keras_acts, all non-linear activations)."""
    ours = total = 0
    for layer in model._flatten_layers(include_self=False):
        if type(layer).__module__.startswith("keras_acts"):
            ours += 1
            total += 1
            continue
        fn = getattr(layer, "activation", None)
        if not callable(fn) or getattr(fn, "__name__", "") == "linear":
            continue
        total += 1
        ours += getattr(fn, "__module__", "").startswith("keras_acts")
    return ours, total


def data(model, size, seed=0):
    import numpy as np

    rng = np.random.default_rng(seed)
    batch, scale = size["batch"], size["scale"]
    shape = {
        "mlp": (size["tokens"], 512 // scale),
        "transformer": (size["seq"], 256 // scale),
    }.get(model, (size["image"], size["image"], 3))
    x = rng.normal(size=(batch, *shape)).astype("float32")
    if model not in LAYER_MODELS:  # The applications rescale pixel values.
        x = (x * 64 + 128).clip(0, 255).astype("float32")
    y = rng.integers(0, CLASSES, size=(batch,)).astype("int32")
    return x, y


# --- Memory ------------------------------------------------------------------------


def _rss_mib():
    with open("/proc/self/status") as status:
        text = status.read()
    return {
        key: int(re.search(rf"{key}:\s+(\d+)", text).group(1)) / 1024
        for key in ("VmRSS", "VmHWM")
    }


class Memory:
    """Bytes in use now, and the peak since `reset`, from the best source here."""

    def __init__(self, backend):
        self.backend, self.source = backend, None
        if backend == "tensorflow":
            import tensorflow as tf

            gpus = tf.config.list_physical_devices("GPU")
            self.device = "GPU:0" if gpus else "CPU:0"
            self.source = f"TF allocator ({self.device})"
        elif backend == "torch":
            import torch

            self.device = "cuda" if torch.cuda.is_available() else "cpu"
            self.source = (
                "torch CUDA allocator" if self.device == "cuda" else "peak RSS"
            )
        else:
            import jax

            self.device = jax.devices()[0]
            stats = self.device.memory_stats()
            if stats and "peak_bytes_in_use" in stats:
                # Cannot be reset: each variant needs its own process.
                self.source = f"JAX memory_stats ({self.device.platform})"
            else:
                self.source = "peak RSS"

    def now(self):
        if self.backend == "tensorflow":
            import tensorflow as tf

            return (
                tf.config.experimental.get_memory_info(self.device)["current"] / 2**20
            )
        if self.source.startswith("peak RSS"):
            return _rss_mib()["VmRSS"]
        if self.backend == "torch":
            import torch

            return torch.cuda.memory_allocated() / 2**20
        return self.device.memory_stats()["bytes_in_use"] / 2**20

    def reset(self):
        if self.backend == "tensorflow":
            import tensorflow as tf

            tf.config.experimental.reset_memory_stats(self.device)
        elif self.source.startswith("peak RSS"):
            try:
                with open("/proc/self/clear_refs", "w") as f:
                    f.write("5")  # Resets VmHWM to the current RSS.
            except OSError:  # Then the peak is the whole process's.
                self.source = "peak RSS (not reset: whole process)"
        elif self.backend == "torch":
            import torch

            torch.cuda.reset_peak_memory_stats()

    def peak(self):
        if self.backend == "tensorflow":
            import tensorflow as tf

            return tf.config.experimental.get_memory_info(self.device)["peak"] / 2**20
        if self.source.startswith("peak RSS"):
            return _rss_mib()["VmHWM"]
        if self.backend == "torch":
            import torch

            return torch.cuda.max_memory_allocated() / 2**20
        return self.device.memory_stats()["peak_bytes_in_use"] / 2**20


# --- Worker: one model, one side (keras or keras_acts), all its modes -----------


def worker(spec):
    """Runs in a subprocess; prints one JSON line per (variant, mode)."""
    if spec["side"] == "keras_acts":
        import keras_acts  # noqa: F401  (the point of this process)
    import keras

    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        tf.get_logger().setLevel("ERROR")
    memory = Memory(keras.backend.backend())
    if spec["side"] == "keras_acts":
        environment()
    size = spec["size"]
    x, y = data(spec["model"], size)
    for variant in spec["variants"]:
        for mode in spec["modes"]:
            keras.backend.clear_session()
            gc.collect()
            before = memory.now()
            keras.utils.set_random_seed(0)
            model = build(spec["model"], variant, size)
            ours, total = count_activations(model)
            model.compile(
                optimizer="adam",
                loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                jit_compile=(mode == "jit"),
            )
            for _ in range(spec["warmup"]):
                model.train_on_batch(x, y)
            memory.reset()
            times = []
            for _ in range(spec["steps"]):
                start = time.perf_counter()
                model.train_on_batch(x, y)  # Returns NumPy values: it waits.
                times.append(time.perf_counter() - start)
            result = {
                "variant": variant,
                "mode": mode,
                "ms": 1e3 * statistics.median(times),
                "peak_mib": memory.peak() - before,
                "kernels": [ours, total],
                "memory_source": memory.source,
            }
            print("RESULT " + json.dumps(result), flush=True)
            del model


def environment():
    """Versions, as a worker sees them (the parent never imports TF or JAX)."""
    import keras

    import keras_acts

    env = {
        "keras": keras.__version__,
        "keras_backend": keras.backend.backend(),
        "keras_acts": keras_acts.__version__,
        "taken_over": list(keras_acts.taken_over()),
        "memory_source": Memory(keras.backend.backend()).source,
    }
    if env["keras_backend"] == "tensorflow":
        import tensorflow as tf

        env["tensorflow"] = tf.__version__
        env["device"] = "GPU" if tf.config.list_physical_devices("GPU") else "CPU"
    elif env["keras_backend"] == "torch":
        import torch

        env["torch"] = torch.__version__
        env["device"] = "GPU" if torch.cuda.is_available() else "CPU"
    elif env["keras_backend"] == "jax":
        import jax

        env["jax"] = jax.__version__
        env["device"] = jax.devices()[0].platform.upper()
    print("ENV " + json.dumps(env), flush=True)


# --- Parent: rounds of subprocesses, then the table ---------------------------------


def _run(backend, args, timeout=1800):
    env = dict(
        os.environ,
        KERAS_BACKEND=backend,
        TF_CPP_MIN_LOG_LEVEL="3",
        TF_CPU_ALLOCATOR_USE_BFC="true",  # Makes CPU:0's memory info readable.
        # Freed tensors go back to the OS at once, so peak RSS tracks tensors.
        MALLOC_MMAP_THRESHOLD_="65536",
        PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""),
    )
    done = subprocess.run(
        [sys.executable, os.path.abspath(__file__), *args],
        capture_output=True, text=True, env=env, timeout=timeout, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"worker {backend} {args} failed:\n{done.stderr[-3000:]}")
    out = {"RESULT": [], "ENV": []}
    for line in done.stdout.splitlines():
        tag, _, text = line.partition(" ")
        if tag in out:
            out[tag].append(json.loads(text))
    return out


def jobs_for(model, layers, split):
    """[(side, variants)] for one model: the processes of one round."""
    jobs = [("keras", ["keras"]), ("keras_acts", ["keras_acts"])]
    if model in LAYER_MODELS:
        extra = [f"layer:{name}" for name in layers]
        if split:  # A peak that cannot be reset needs a process per variant.
            jobs += [("keras_acts", [v]) for v in extra]
        else:
            jobs[1][1].extend(extra)
    return jobs


def run(args, size):
    # samples: (backend, model, variant, mode) -> one result per round.
    envs, samples = {}, {}
    rng = random.Random(0)
    for round_index in range(args.rounds):
        print(f"  round {round_index + 1}/{args.rounds}", file=sys.stderr, flush=True)
        order = [(b, m) for b in args.backends for m in args.models]
        rng.shuffle(order)
        for backend, model in order:
            modes = MODES[backend]
            if backend == "tensorflow":
                modes = [m for m in modes if m in args.modes]
            # JAX's peak (on GPU) cannot be reset: a process per variant.
            split = backend == "jax"
            jobs = jobs_for(model, args.layers, split)
            rng.shuffle(jobs)
            for side, variants in jobs:
                spec = {"model": model, "side": side, "variants": variants,
                        "modes": modes, "size": size, "warmup": args.warmup,
                        "steps": args.steps}  # fmt: skip
                out = _run(backend, ["--worker", json.dumps(spec)])
                if out["ENV"]:
                    envs.setdefault(backend, out["ENV"][0])
                for r in out["RESULT"]:
                    key = (backend, model, r["variant"], r["mode"])
                    samples.setdefault(key, []).append(r)
    return envs, samples


def summarize(samples, rounds):
    rows = []
    for (backend, model, variant, mode), runs in samples.items():
        base = samples.get((backend, model, "keras", mode))
        if base is None:
            continue

        def ratio(field, runs=runs, base=base):
            return statistics.median(
                r[field] / b[field] for r, b in zip(runs, base, strict=True)
            )

        rows.append({
            "backend": backend, "model": model, "variant": variant, "mode": mode,
            "kernels": runs[0]["kernels"], "memory_source": runs[0]["memory_source"],
            "peak_mib": statistics.median(r["peak_mib"] for r in runs),
            "x_peak": ratio("peak_mib"),
            "ms": statistics.median(r["ms"] for r in runs),
            "x_ms": ratio("ms"),
        })  # fmt: skip
    return rows


def _sorted(rows):
    """Backend, mode, model (in MODELS' order), then plain Keras first."""
    backends = {b: i for i, b in enumerate(MODES)}
    modes = {"tf.function": 0, "jit": 1, "eager": 2}
    models = {m: i for i, m in enumerate(MODELS)}
    return sorted(rows, key=lambda r: (backends[r["backend"]], modes[r["mode"]],
                                       models[r["model"]], r["variant"] != "keras",
                                       r["variant"]))  # fmt: skip


def table(rows):
    lines = [
        "| model | backend, mode | variant | keras_acts kernels | peak MiB "
        "| ×Keras | ms/step | ×Keras |",
        "|---|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        backend = {"tensorflow": "TF", "jax": "JAX"}.get(r["backend"], r["backend"])
        ours, total = r["kernels"]
        digits = 0 if r["peak_mib"] >= 10 else 2  # Quick runs' tiny models.
        lines.append(
            f"| {r['model']} ({MODELS[r['model']][0]}) | {backend} {r['mode']} "
            f"| {r['variant']} | {ours}/{total} | {r['peak_mib']:.{digits}f} "
            f"| {r['x_peak']:.2f}× | {r['ms']:.1f} | {r['x_ms']:.2f}× |"
        )
    return "\n".join(lines)


def report(results):
    """Prints the Markdown report of one run, or of several runs' JSON files."""
    print("# keras_acts on real models\n")
    envs, rows = {}, []
    for result in results:
        load = ", ".join(f"{v:.2f}" for v in result.get("load_average", ()))
        a = result["args"]
        print(f"- {result['date']}, load average {load or '?'} at the start; "
              f"{result.get('machine', '?')}; backends {', '.join(a['backends'])}, "
              f"models {', '.join(a['models'])}.")  # fmt: skip
        envs.update(result["environments"])
        rows += result["rows"]
    size = results[0]["size"]
    for backend, env in envs.items():
        versions = ", ".join(
            f"{k} {v}"
            for k, v in env.items()
            if k not in ("taken_over", "memory_source", "keras_backend")
        )
        taken = ", ".join(env["taken_over"]) or "none"
        print(f"- {backend}: {versions}; Keras names taken over: {taken}.")
    a = results[0]["args"]
    print(
        f"\nBatch {size['batch']}; images {size['image']}×{size['image']}×3, "
        f"MLP {size['tokens']} tokens, transformer {size['seq']} tokens"
        + (f" (widths ÷{size['scale']})" if size["scale"] > 1 else "")
        + f"; {a['warmup']} warm-up and {a['steps']} timed steps per process, "
        f"median of {a['rounds']} round(s). Peak: training peak over the timed "
        "steps minus memory in use before the model was built. ×Keras: median "
        "of per-round ratios to plain Keras (a process without keras_acts) in "
        "the same mode. keras_acts kernels: activations computed by keras_acts "
        "/ all activation functions and activation layers (Keras's ReLU "
        "layers not counted).\n"
    )
    print(table(_sorted(rows)) + "\n")
    sources = sorted({f"{r['backend']}: {r['memory_source']}" for r in rows})
    print("Memory source: " + "; ".join(sources) + ".")


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1],
    )
    parser.add_argument("--models", nargs="+", choices=list(MODELS))
    parser.add_argument("--backends", nargs="+", choices=list(MODES))
    parser.add_argument("--modes", nargs="+", default=["tf.function", "jit"],
                        choices=["tf.function", "jit"],
                        help="TensorFlow modes (JAX: jit; torch: eager)")  # fmt: skip
    parser.add_argument("--layers", nargs="*", default=["ChannelPReLU"],
                        help="keras_acts.layers classes to try in place of GELU "
                        "in the MLP and transformer")  # fmt: skip
    parser.add_argument("--batch", type=int)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=3, help="timed steps")
    parser.add_argument("--warmup", type=int, default=2, help="untimed steps")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: tiny MLP (1/32 the width, 8 tokens), batch 2, one "
        "round of one step, the current Keras backend, tf.function only",
    )
    parser.add_argument("--json", metavar="PATH", help="also save results as JSON")
    parser.add_argument("--from-json", nargs="+", metavar="PATH",
                        help="print one report from the --json files of "
                        "earlier runs (same sizes)")  # fmt: skip
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(json.loads(args.worker))
        return 0
    if args.from_json:
        results = []
        for path in args.from_json:
            with open(path) as f:
                results.append(json.load(f))
        report(results)
        return 0

    size = dict(QUICK if args.quick else FULL)
    if args.quick:
        args.models = args.models or ["mlp"]
        args.backends = args.backends or [os.environ.get("KERAS_BACKEND", "tensorflow")]
        args.modes = ["tf.function"]
        args.rounds, args.steps, args.warmup = 1, 1, 1
    args.models = args.models or list(MODELS)
    args.backends = args.backends or ["tensorflow", "jax"]
    if args.batch:
        size["batch"] = args.batch

    start = time.perf_counter()
    load = os.getloadavg()
    envs, samples = run(args, size)
    result = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "load_average": load,
        "machine": f"{os.cpu_count()} CPUs, {platform.machine()}, "
        f"Python {platform.python_version()}",
        "environments": envs,
        "args": vars(args),
        "size": size,
        "rows": summarize(samples, args.rounds),
    }
    report([result])
    print(f"\nTotal time: {time.perf_counter() - start:.0f} s.")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
