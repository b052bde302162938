"""keras_acts on the PyTorch backend: speed and memory against torch and Keras.

Activations: forward+backward (``f(x).backward(g)``) of 2**22 float32 values,
eager, against `torch.relu`, against Keras's own function of the same name
(taken from ``keras.activations``, which importing keras_acts does not
change) and against the plain autograd version of the same formula written
with torch ops (what a torch user would write). Learnable layers are timed
the same way with their parameter gradients, against the formula written
with torch ops on leaf parameters. Rounds are interleaved and the rows
shuffled in each round; the table shows median times and the median of the
per-round ratios.

Memory: bytes of the storages autograd saves for the backward pass
(`torch.autograd.graph.saved_tensors_hooks`, each distinct storage counted
once), an exact and deterministic count, as a multiple of ReLU's (which
saves its output, one tensor of x's size). keras_acts saves x and f'(x) (x
alone where value and derivative share nothing, and for the names in
`_kernels.TORCH_SAVES_INPUT_ONLY`), a trainable layer its
partials too; the rational units' kernel saves x, their denominator and
their output, the TanhSoft and EIS layers' kernels their intermediates
(`_activations/torch_kernels.py`). The "path" column says which rows run
a hand-written kernel ("kernel"), the fused op, or their formula under plain
torch autograd.

Model: a transformer-style MLP (3 residual blocks of Dense(1024, "gelu") ->
Dense(256) on 128x256 inputs, batch 16), median `train_on_batch` time
without importing keras_acts and with it, on each backend (TensorFlow, JAX,
PyTorch), each case in its own subprocess. On torch it is also timed with
`keras_acts.use_keras_builtins(True)` ("gelu" resolves to Keras's own
function, as it will once keras_acts takes over no Keras name on torch).

    python benchmarks/bench_torch.py                   # full run
    python benchmarks/bench_torch.py --quick           # CI smoke (seconds)
    python benchmarks/bench_torch.py --rows mish tanhsoft PAU --skip-model

Targets (issue #21): keras_acts-only activations and layers <= 1.0x the
plain autograd formula in time and memory; Keras names keras_acts takes
over on torch <= 1.0x Keras's own function; the GELU MLP with keras_acts
imported <= 1.05x plain Keras on torch.
"""

import argparse
import os
import platform
import random
import statistics
import subprocess
import sys
import time

# Run against this checkout, not an installed copy.
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

TARGET = 1.0
MODEL_TARGET = 1.05


# --- Plain autograd formulas (what a torch user writes) -------------------------


def _plain_functions():
    import torch
    import torch.nn.functional as F

    return {
        "tanhsoft": lambda x: x * torch.tanh(0.6 * torch.exp(x)),
        "eis": lambda x: x * F.softplus(x) / torch.sqrt(1.0 + x * x),
        "smish": lambda x: x * torch.tanh(torch.log1p(torch.sigmoid(x))),
        "logish": lambda x: x * torch.log1p(torch.sigmoid(x)),
        "serf": lambda x: x * torch.erf(F.softplus(x)),
        "snake": lambda x: x + torch.sin(x) ** 2,
        "sine": torch.sin,
        "star_relu": lambda x: (
            0.8944271909999159 * torch.relu(x) ** 2 - 0.4472135954999579
        ),
        "lisht": lambda x: x * torch.tanh(x),
        "mish": lambda x: x * torch.tanh(F.softplus(x)),
        "swish": lambda x: x * torch.sigmoid(x),
        "gelu": lambda x: 0.5 * x * (1.0 + torch.erf(x * 0.7071067811865476)),
    }


def _plain_layer(row, x, params):
    """The layer's formula with torch ops on its (leaf) parameters."""
    import torch
    import torch.nn.functional as F

    p = params
    if row == "Swish":
        return x * torch.sigmoid(p["beta"] * x)
    if row == "Snake":
        return x + torch.sin(p["alpha"] * x) ** 2 / p["alpha"]
    if row == "TanhSoft":
        gate = torch.tanh(p["alpha"] * x + p["beta"] * torch.exp(p["gamma"] * x))
        return gate * torch.log(p["delta"] + torch.exp(x))
    if row == "EIS":
        num = x * F.softplus(x) ** p["alpha"]
        den = torch.sqrt(p["beta"] + p["gamma"] * x * x)
        return num / (den + p["delta"] * torch.exp(-p["theta"] * x))
    if row == "StarReLU":
        return p["scale"] * torch.relu(x) ** 2 + p["bias"]
    # Rational units, version A: N / (1 + sum |d_j| |f_j(x)|) by the basis's
    # three-term recurrence (powers by Horner's rule for PAU).
    a, b = p["numerator"], p["denominator"]
    if row == "PAU":
        num = a[-1]
        for c in reversed(a[:-1]):
            num = c + x * num
        ax = x.abs()
        den = b[-1].abs()
        for c in reversed(b[:-1]):
            den = c.abs() + ax * den
        return num / (1.0 + ax * den)
    scale = 1.0 if row == "HP1" else 2.0  # He_n: 1, H_n: 2 (x coefficient).
    step = 1.0 if row == "HP1" else 2.0  # C_i = step * i.
    f = [torch.ones_like(x), scale * x]
    for i in range(1, len(a) - 1):
        f.append(scale * x * f[-1] - step * i * f[-2])
    num = sum(c * fi for c, fi in zip(a, f, strict=False))
    den = 1.0 + sum(c.abs() * fi.abs() for c, fi in zip(b, f[1:], strict=False))
    return num / den


ACTIVATION_ROWS = (
    "tanhsoft",
    "eis",
    "smish",
    "logish",
    "serf",
    "snake",
    "sine",
    "star_relu",
    "lisht",
)


def keras_rows():
    """Every catalog name that is also a Keras name (its spec's keras_name)."""
    import keras_acts

    return tuple(n for n in keras_acts.names() if keras_acts.info(n).keras_name)


LAYER_ROWS = ("Swish", "Snake", "TanhSoft", "EIS", "StarReLU", "PAU", "HP1", "HP2")


# --- Timing -----------------------------------------------------------------------


# --active-weights: TanhSoft and EIS weights with every term active (the
# defaults make some terms vanish: delta = 0, alpha = 0 or 1, gamma = 1).
ACTIVE_WEIGHTS = {
    "TanhSoft": dict(alpha=0.3, beta=0.5, gamma=1.2, delta=0.5),
    "EIS": dict(alpha=0.7, beta=1.5, gamma=0.5, delta=0.3, theta=1.2),
}
_ACTIVE = []


def _layer_candidates(row, shape):
    """(keras_acts layer fn, plain fn, params) for a learnable layer row."""
    import keras_acts

    layer = getattr(keras_acts.layers, row)()
    layer.build(shape)
    params = {}
    for w in layer.weights:
        name = w.path.split("/")[-1]
        if _ACTIVE and row in ACTIVE_WEIGHTS:
            w.assign(ACTIVE_WEIGHTS[row][name] + 0.0 * w.numpy())
        params[name] = w.value.detach().clone().requires_grad_(True)
    if row in ("PAU", "HP1", "HP2"):
        # Views of the leaf coefficient vectors: gradients flow to those.
        params = {
            "numerator": list(params["numerator"].unbind(0)),
            "denominator": list(params["denominator"].unbind(0)),
        }
    elif row == "Snake":
        params["alpha"] = params["alpha"].reshape(-1)
    return layer, (lambda x: _plain_layer(row, x, params)), params


def build_cases(rows, size, channels):
    """{row: {variant: fn}}: each fn runs one forward+backward."""
    import keras
    import torch

    import keras_acts

    shape = (size // channels, channels)
    x = torch.randn(shape, generator=torch.Generator().manual_seed(0))
    x = x * 3.0
    g = torch.randn(shape, generator=torch.Generator().manual_seed(1))
    xs = x.clone().requires_grad_(True)

    def run(fn):
        def step():
            xs.grad = None
            fn(xs).backward(g)

        return step

    plain = _plain_functions()
    cases = {}
    for row in rows:
        variants = {"relu": run(torch.relu)}
        if row in LAYER_ROWS:
            layer, plain_fn, _ = _layer_candidates(row, shape)
            variants["keras_acts"] = run(layer)
            variants["plain"] = run(plain_fn)
        else:
            variants["keras_acts"] = run(getattr(keras_acts, row))
            keras_name = keras_acts.info(row).keras_name
            if keras_name:
                variants["keras"] = run(getattr(keras.activations, keras_name))
            if row in plain:
                variants["plain"] = run(plain[row])
        cases[row] = variants
    return cases, xs, g


def saved_bytes(fn, x):
    """Bytes of the storages autograd saves for backward.

    Each distinct storage is counted once: a tensor saved by several nodes
    (relu(x) read by two products) or views of one tensor (a layer's
    coefficients unbound from one vector) are one allocation kept alive,
    not several. x itself is counted (ReLU saves its output instead), and so
    are a layer's parameters (a few bytes).
    """
    import torch

    storages = {}

    def pack(t):
        storage = t.untyped_storage()
        storages[storage.data_ptr()] = storage.nbytes()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        y = fn(x)
    del y
    return sum(storages.values())


def time_cases(cases, rounds, warmup=1):
    samples = {(r, v): [] for r, vs in cases.items() for v in vs}
    order = list(samples)
    for i in range(warmup + rounds):
        random.shuffle(order)
        for key in order:
            fn = cases[key[0]][key[1]]
            start = time.perf_counter()
            fn()
            elapsed = time.perf_counter() - start
            if i >= warmup:
                samples[key].append(elapsed)
    return samples


def activation_table(rows, size, channels, rounds, threads):
    import torch

    torch.set_num_threads(threads)
    cases, xs, _ = build_cases(rows, size, channels)
    samples = time_cases(cases, rounds)
    lines = [
        "| row | keras_acts ms | / relu | / Keras's | / plain autograd "
        "| saved-for-backward / relu | plain's / relu | path |",
        "|---|---|---|---|---|---|---|---|",
    ]
    unmet = []
    for row, variants in cases.items():
        ka = samples[(row, "keras_acts")]

        def ratio(other, ka=ka, row=row):
            per_round = [a / b for a, b in zip(ka, samples[(row, other)], strict=True)]
            return statistics.median(per_round)

        cells = [row, f"{statistics.median(ka) * 1e3:.1f}", f"{ratio('relu'):.2f}x"]
        for other in ("keras", "plain"):
            if other in variants:
                r = ratio(other)
                cells.append(f"{r:.2f}x")
                if r > TARGET:
                    unmet.append(f"{row}: {r:.2f}x {other}")
            else:
                cells.append("-")
        # Memory: the activation's own calls, not the timing closures.
        relu_mem = saved_bytes(torch.relu, xs)
        fn = _memory_fn(row)
        cells.append(f"{saved_bytes(fn, xs) / relu_mem:.2f}x")
        plain_fn = _memory_plain(row, xs.shape)
        cells.append(
            "-" if plain_fn is None else f"{saved_bytes(plain_fn, xs) / relu_mem:.2f}x"
        )
        cells.append(torch_path(fn, xs))
        lines.append("| " + " | ".join(cells) + " |")
    return lines, unmet


def torch_path(fn, x):
    """How keras_acts ran the row: a layer's hand-written torch kernel
    ("kernel", a `<Name>KernelOpBackward` node: TanhSoft, EIS; the rational
    units' `Rational...OpBackward`), its fused autograd op ("fused", a
    `<Name>OpBackward` node), or its formula under plain torch autograd
    (`keras_acts._kernels.TORCH_PLAIN_AUTOGRAD`, or Keras's own op)."""
    y = fn(x)
    node = y.grad_fn.name() if y.grad_fn is not None else ""
    if node.endswith("KernelOpBackward") or node.startswith("Rational"):
        return "kernel"
    return "fused" if node.endswith("OpBackward") else "plain autograd"


def _memory_fn(row):
    import keras_acts

    if row in LAYER_ROWS:
        return _memory_layers[row][0]
    return getattr(keras_acts, row)


def _memory_plain(row, shape):
    if row in LAYER_ROWS:
        return _memory_layers[row][1]
    return _plain_functions().get(row)


_memory_layers = {}


def prepare_memory_layers(rows, size, channels):
    shape = (size // channels, channels)
    for row in rows:
        if row in LAYER_ROWS:
            layer, plain_fn, _ = _layer_candidates(row, shape)
            _memory_layers[row] = (layer, plain_fn)


# --- Model ---------------------------------------------------------------------------


def model_worker(backend, variant, steps, batch):
    """Median train step (ms) of the GELU MLP; runs in its own process."""
    import keras
    import numpy as np

    if variant != "plain":
        import keras_acts

        if variant == "builtins":
            keras_acts.use_keras_builtins(True)
    keras.utils.set_random_seed(0)
    inputs = keras.Input((128, 256))
    h = inputs
    for _ in range(3):
        h = h + keras.layers.Dense(256)(keras.layers.Dense(1024, activation="gelu")(h))
    model = keras.Model(inputs, h)
    model.compile(optimizer="adam", loss="mse")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(batch, 128, 256)).astype("float32")
    y = rng.normal(size=(batch, 128, 256)).astype("float32")
    for _ in range(3):
        model.train_on_batch(x, y)
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        model.train_on_batch(x, y)
        times.append(time.perf_counter() - start)
    gelu = model.layers[1].activation
    print(f"RESULT {statistics.median(times) * 1e3:.2f} {gelu.__module__}")


def _run_worker(backend, variant, steps, batch):
    env = dict(os.environ, KERAS_BACKEND=backend)
    cmd = [sys.executable, __file__, "--model-worker", backend, variant,
           "--steps", str(steps), "--batch", str(batch)]  # fmt: skip
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    line = [s for s in out.stdout.splitlines() if s.startswith("RESULT")]
    if not line:
        raise RuntimeError(f"{backend}/{variant} failed:\n{out.stderr[-3000:]}")
    ms, module = line[0].split()[1:]
    print(f"  {backend}/{variant}: {float(ms):.1f} ms ({module})", file=sys.stderr)
    return float(ms), module


def model_table(steps, batch, repeats, backends):
    """Each repeat runs a backend's variants back to back (shuffled), so the
    ratio of each repeat compares processes that ran at nearly the same
    time; the table shows median times and the median per-repeat ratio."""
    variants = {
        "tensorflow": ("plain", "with"),
        "jax": ("plain", "with"),
        "torch": ("plain", "with", "builtins"),
    }
    variants = {b: v for b, v in variants.items() if b in backends}
    results = {}
    for _ in range(repeats):
        for backend, vs in random.sample(list(variants.items()), len(variants)):
            for variant in random.sample(vs, len(vs)):
                ms = _run_worker(backend, variant, steps, batch)
                results.setdefault((backend, variant), []).append(ms)
    lines = [
        "| backend | plain Keras ms | with keras_acts ms | ratio | "
        "with keras_acts + use_keras_builtins(True) ms | ratio |",
        "|---|---|---|---|---|---|",
    ]
    unmet = []
    for backend, vs in variants.items():
        plain = [ms for ms, _ in results[(backend, "plain")]]
        cells = [backend, f"{statistics.median(plain):.1f}"]
        for v in ("with", "builtins"):
            if v not in vs:
                cells += ["-", "-"]
                continue
            times = [ms for ms, _ in results[(backend, v)]]
            ratio = statistics.median(a / b for a, b in zip(times, plain, strict=True))
            module = results[(backend, v)][0][1].split(".")[0]
            cells += [f"{statistics.median(times):.1f} ({module})", f"{ratio:.2f}x"]
            if backend == "torch" and ratio > MODEL_TARGET:
                unmet.append(f"torch model ({v}): {ratio:.2f}x")
        lines.append("| " + " | ".join(cells) + " |")
    return lines, unmet


# --- Main -------------------------------------------------------------------------


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--rows", nargs="+", help="activation names / layer names")
    parser.add_argument("--size", type=int, default=1 << 22)
    parser.add_argument("--channels", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch.set_num_threads for every row (default 1)",
    )
    parser.add_argument("--skip-model", action="store_true")
    parser.add_argument(
        "--active-weights",
        action="store_true",
        help="TanhSoft and EIS rows at weights with every term active "
        "(ACTIVE_WEIGHTS), not the defaults",
    )
    parser.add_argument("--skip-activations", action="store_true")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument(
        "--repeats", type=int, default=2, help="subprocesses per model case"
    )
    parser.add_argument(
        "--backends",
        nargs="+",
        default=["tensorflow", "jax", "torch"],
        help="backends of the model comparison",
    )
    parser.add_argument(
        "--quick", action="store_true", help="tiny sizes, few rounds: a smoke run"
    )
    parser.add_argument("--model-worker", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)  # fmt: skip
    if args.model_worker:
        model_worker(*args.model_worker, args.steps, args.batch)
        return 0
    if args.quick:
        # Every row on a small tensor, and one train step of the model in this
        # process (keras_acts imported): a smoke run of the code, no numbers.
        args.size, args.rounds, args.steps, args.batch = 1 << 14, 2, 1, 2
    random.seed(0)
    if args.active_weights:
        _ACTIVE.append(True)
    print(f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
          f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"python {platform.python_version()}")  # fmt: skip
    print("# command: python " + " ".join(["benchmarks/bench_torch.py", *sys.argv[1:]]))
    unmet = []
    if not args.skip_activations:
        os.environ["KERAS_BACKEND"] = "torch"
        import keras

        if keras.backend.backend() != "torch":
            raise SystemExit("run with KERAS_BACKEND=torch (or unset)")
        rows = args.rows or (*ACTIVATION_ROWS, *LAYER_ROWS, *keras_rows())
        prepare_memory_layers(rows, args.size, args.channels)
        print(f"\nforward+backward, {args.size} float32 values "
              f"({args.size // args.channels}x{args.channels}), eager, "
              f"{args.threads} thread(s), median of {args.rounds} rounds\n"
              )  # fmt: skip
        lines, missed = activation_table(
            rows, args.size, args.channels, args.rounds, args.threads
        )
        print("\n".join(lines))
        unmet += missed
    if args.quick and not args.skip_model:
        model_worker("torch", "with", args.steps, args.batch)
    elif not args.skip_model:
        print(f"\nGELU MLP train step, batch {args.batch}, median of {args.steps} "
              f"steps x {args.repeats} processes, each backend's default "
              "threads\n")  # fmt: skip
        lines, missed = model_table(args.steps, args.batch, args.repeats, args.backends)
        print("\n".join(lines))
        unmet += missed
    print("\nAbove target: " + ("; ".join(unmet) if unmet else "none"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
