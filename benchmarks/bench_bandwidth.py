"""Memory bandwidth of the fused kernels against a device copy (JAX, for GPUs).

Cheap activations are limited by memory traffic, not arithmetic: at their
best a forward reads x and writes y (2 N elements moved) and a backward reads
x and the cotangent and writes dx (3 N). This script times both for every
keras_acts name on one device and reports GB/s next to a copy measured in the
same run: `-x` jit-compiled (reads N, writes N; XLA would elide a plain copy),
and its backward-shaped counterpart `g * x` (reads 2 N, writes N). Target for
the cheap activations on a GPU: >= 0.8x the copy's GB/s.

    KERAS_BACKEND=jax python benchmarks/bench_bandwidth.py            # 2**28
    KERAS_BACKEND=jax python benchmarks/bench_bandwidth.py --size-log2 20 \\
        --names mish swish                                             # smoke

Runs on whatever device JAX picks (the GPU where there is one; the CPU here,
where the numbers are not the point).
"""

import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402

import keras_acts  # noqa: E402

CHEAP = ("relu", "leaky_relu", "relu6", "step", "hard_swish", "swish", "sigmoid")


def _timed(fn, *args, repeats):
    """Median seconds of `fn(*args)`, after a compile-and-warm-up call."""
    fn(*args).block_until_ready()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn(*args).block_until_ready()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-log2", type=int, default=28)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--names", nargs="+", default=None)
    args = parser.parse_args(argv)
    if keras.backend.backend() != "jax":
        parser.error("run with KERAS_BACKEND=jax")
    import jax
    import jax.numpy as jnp

    names = args.names or [
        n for n in keras_acts.names() if keras_acts.info(n).elementwise
    ]
    unknown = sorted(set(names) - set(keras_acts.names()))
    if unknown:
        parser.error(f"unknown names {unknown}; choose from {keras_acts.names()}")
    n = 2**args.size_log2
    x = jax.random.normal(jax.random.key(0), (n,), jnp.float32)
    g = jax.random.normal(jax.random.key(1), (n,), jnp.float32)
    gb = 4 * n / 1e9

    copy = _timed(jax.jit(lambda t: -t), x, repeats=args.repeats)
    copy_bwd = _timed(jax.jit(lambda t, c: c * t), x, g, repeats=args.repeats)
    copy_fwd_rate, copy_bwd_rate = 2 * gb / copy, 3 * gb / copy_bwd
    print(f"device: {jax.devices()[0]}; 2**{args.size_log2} float32")
    print(
        f"copy: forward-shaped {copy_fwd_rate:.0f} GB/s, "
        f"backward-shaped {copy_bwd_rate:.0f} GB/s\n"
    )
    print("| name | fwd GB/s | fwd ×copy | bwd GB/s | bwd ×copy | misses target |")
    print("|---|---:|---:|---:|---:|---|")
    for name in names:
        fn = keras_acts.get(name)
        fwd = jax.jit(fn)
        bwd = jax.jit(lambda t, c, fn=fn: jax.vjp(fn, t)[1](c)[0])
        fwd_rate = 2 * gb / _timed(fwd, x, repeats=args.repeats)
        bwd_rate = 3 * gb / _timed(bwd, x, g, repeats=args.repeats)
        f_ratio, b_ratio = fwd_rate / copy_fwd_rate, bwd_rate / copy_bwd_rate
        miss = name in CHEAP and min(f_ratio, b_ratio) < 0.8
        print(
            f"| {name} | {fwd_rate:.0f} | {f_ratio:.2f}× | {bwd_rate:.0f} "
            f"| {b_ratio:.2f}× | {'✗ <0.8× copy' if miss else ''} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
