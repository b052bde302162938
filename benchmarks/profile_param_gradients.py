"""Where a learnable unit's forward+backward time goes, kernel by kernel.

For each layer (PAU and HP1 by default, with their initial coefficients):
the time of ReLU's forward, of the unit's forward kernel, its input-gradient
kernel and its coefficient-gradient kernel, each a `tf.function(
jit_compile=True)` on 2^24 float32 values, the coefficient gradients summed
over chunks of 2^14, 2^16 (keras_acts' choice) and 2^18 values. Median of a
few runs after a warm-up; run on a quiet machine.

    python benchmarks/profile_param_gradients.py
    python benchmarks/profile_param_gradients.py --layers TanhSoft EIS --size-log2 22
"""

import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# Run against this checkout, not an installed copy.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _weights(layer):
    """The layer's parameters by the names its spec uses."""
    import tensorflow as tf

    if hasattr(layer, "coefficients"):
        num, den = layer.coefficients()
        out = {f"a{i}": v for i, v in enumerate(num)}
        out.update({f"b{j + 1}": v for j, v in enumerate(den)})
    else:
        out = {v.name: v.numpy() for v in layer.trainable_weights}
    return {k: tf.constant(v, tf.float32) for k, v in out.items()}


def _time(fn, args, repeats):
    def run():
        out = fn(*args)
        (out[0] if isinstance(out, (list, tuple)) else out).numpy()

    run()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return 1e3 * statistics.median(times)


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--layers", nargs="+", default=["PAU", "HP1"])
    parser.add_argument("--size-log2", type=int, default=24)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    if not 10 <= args.size_log2 <= 26:
        parser.error(f"--size-log2 must be in [10, 26]; got {args.size_log2}")

    import tensorflow as tf

    import keras_acts.layers as L
    from keras_acts import _kernels

    unknown = [n for n in args.layers if not hasattr(L, n)]
    if unknown:
        parser.error(f"unknown layers {unknown}; see keras_acts.layers.__all__")
    x = tf.random.stateless_normal((1 << (args.size_log2 - 10), 1 << 10), (1, 2))
    g = tf.ones_like(x)
    jit = dict(jit_compile=True, autograph=False)
    relu = tf.function(tf.nn.relu, **jit)
    print(f"2^{args.size_log2} float32 values, median of {args.repeats} runs (ms)")
    print(f"ReLU forward: {_time(relu, (x,), args.repeats):.1f}")
    default_log2 = _kernels._CHUNK.bit_length() - 1
    for name in args.layers:
        layer = getattr(L, name)()
        layer.build(x.shape)
        spec = layer.spec
        params = _weights(layer)
        names = tuple(sorted(params))
        tensors = [params[n] for n in names]
        layout = (len(x.shape), tuple(tuple(t.shape) for t in tensors))

        def kw(t, names=names):
            return dict(zip(names, t, strict=True))

        fwd = tf.function(
            lambda x, *t, spec=spec: _kernels.forward(spec, x, {}, kw(t)), **jit
        )
        dx = tf.function(
            lambda x, g, *t, spec=spec: _kernels.input_gradient(spec, x, g, {}, kw(t)),
            **jit,
        )
        print(f"{name} ({len(names)} parameter tensors):")
        print(f"  forward:        {_time(fwd, (x, *tensors), args.repeats):.1f}")
        print(f"  input gradient: {_time(dx, (x, g, *tensors), args.repeats):.1f}")
        for log2 in (14, 16, 18):
            # Traced anew for each chunk size.
            _kernels._CHUNK = 1 << log2
            grads = tf.function(
                lambda x, g, *t, spec=spec, layout=layout: _kernels.parameter_gradients(
                    spec, x, g, {}, kw(t), layout
                ),
                **jit,
            )
            ms = _time(grads, (x, g, *tensors), args.repeats)
            mark = " (what keras_acts uses)" if log2 == default_log2 else ""
            print(f"  parameter gradients, chunks of 2^{log2}: {ms:.1f}{mark}")
        _kernels._CHUNK = 1 << default_log2


if __name__ == "__main__":
    main()
