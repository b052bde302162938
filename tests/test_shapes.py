"""Varying input shapes: bounded kernels and caches, correct values everywhere.

Eager calls under a tape fold x, pad it to a bucket size and slice the
output back (keras_acts/_kernels.py), so the number of compiled kernels stays
bounded whatever shapes come in; TensorFlow's eager calls no tape records and
served graphs (unknown sizes, traced with no tape) compile nothing, running
plain ops. These tests count
the shapes that reach the kernels (and, where the backend tells, the traces
and compiled executables), and check values and gradients at every shape
against float64 references, or against the exact-shape kernels that
tests/test_activations.py and tests/test_layers.py check.
"""

import functools
import math

import keras
import numpy as np
import pytest
from _util import (
    FD_TOLERANCE,
    SEED,
    TOLERANCES,
    assert_close,
    away_from,
    cases,
    fd_derivative,
    grad,
    inputs_for,
    layer_vjp,
    limit,
    non_smooth_points,
    reference,
    rounded,
    tensor,
    to_numpy,
)

import keras_acts
from keras_acts import _kernels
from keras_acts import layers as L

# CI also runs this module beyond the TensorFlow step (see .ci/run).
pytestmark = pytest.mark.ci_jax

BACKEND = keras.backend.backend()
# TensorFlow's retracing warning fails these tests (tests/conftest.py: as
# every test).
no_retracing = pytest.mark.usefixtures("no_retracing")

FUSED = sorted(s.name for s in keras_acts._spec.registry().values() if s.fused)
# Distinct shapes, ranks 0-3, empty ones; their sizes fall in three buckets.
SHAPES = [
    (),
    (0,),
    (0, 3),
    (1,),
    (3,),
    (2, 5),
    (4, 1, 3),
    (16,),
    (7, 2),
    (2, 2, 2),
    (5, 9),
    (7, 7),
    (3, 4, 4),
]
# Layer inputs (batch, steps, 3 channels): sizes in four row buckets.
# Layer inputs (batch, steps, 3 channels): 12 shapes, rows in two buckets.
LAYER_SHAPES = [
    (0, 4, 3),
    (1, 1, 3),
    (2, 5, 3),
    (4, 4, 3),
    (16, 1, 3),
    (3, 3, 3),
    (1, 7, 3),
    (5, 3, 3),
    (2, 2, 3),
    (3, 6, 3),
    (4, 5, 3),
    (1, 19, 3),
]
LAYERS = {
    "Swish": lambda: L.Swish(per_channel=True),
    "Snake": lambda: L.Snake(),
    "TanhSoft": lambda: L.TanhSoft(per_channel=True, beta=0.3, delta=0.5),
    "EIS": lambda: L.EIS(per_channel=True),
    "StarReLU": lambda: L.StarReLU(per_channel=True),
    "PReLU": lambda: L.PReLU(shared_axes=[1]),
    "PAU": lambda: L.PAU(per_channel=True),
    "HP1": lambda: L.HP1(per_channel=True),
    "HP2": lambda: L.HP2(per_channel=True),
    "OrthogonalPade": lambda: L.OrthogonalPade(per_channel=True),
}


@pytest.fixture
def kernel_shapes(monkeypatch):
    """The set of input shapes that reach a kernel through the bucketed path."""
    seen = set()
    name = {"tensorflow": "_tf_bucketed", "jax": "_jax_bucketed"}.get(BACKEND)
    if name is None:
        return seen  # PyTorch compiles nothing: no shapes to bound.
    real = getattr(_kernels, name)

    def spy(op, groups, x, tensors):
        def recorded(xg, *params):
            seen.add(tuple(xg.shape))
            return op(xg, *params)

        return real(recorded, groups, x, tensors)

    monkeypatch.setattr(_kernels, name, spy)
    return seen


def _buckets(sizes):
    return {_kernels.bucket(n) for n in sizes}


def _inputs(shape, dtype="float64", seed=SEED):
    x = np.random.default_rng(seed).normal(0.0, 2.0, shape)
    return keras.ops.convert_to_tensor(x.astype(dtype))


def _compiled_counts(op):
    """Traces (TensorFlow) or compiled executables (JAX) of an op's kernels."""
    kernels = getattr(op, "kernels", ())
    if BACKEND == "tensorflow":
        return [k.experimental_get_tracing_count() for k in kernels]
    if BACKEND == "jax":
        return [k._cache_size() for k in kernels]
    return []


# --- buckets ----------------------------------------------------------------------


@pytest.mark.numerics
def test_bucket_sizes():
    sizes = range(0, 1 << 16)
    for n in sizes:
        b = _kernels.bucket(n)
        assert b >= n and (n <= 16 or b <= 1.25 * n), (n, b)
    # Four per octave above 16: O(log n) kernels over any range of sizes.
    assert len(_buckets(sizes)) <= 1 + 4 * math.log2((1 << 16) / 16)
    assert _kernels.bucket(1 << 40) == 1 << 40


@pytest.mark.tensorflow
def test_tensorflow_bucket_lookup_matches():
    import tensorflow as tf

    rng = np.random.default_rng(SEED)
    sizes = [*range(0, 3000), *rng.integers(0, 1 << 40, 200).tolist()]
    got = _kernels._tf_bucket(tf.constant(sizes, tf.int64)).numpy().tolist()
    assert got == [_kernels.bucket(n) for n in sizes]


def test_caches_are_bounded():
    for cache in (_kernels._tf_op, _kernels._jax_op, _kernels._torch_op):
        assert cache.cache_info().maxsize <= 128
    for cache in (_kernels._tf_softmax, _kernels._jax_softmax, _kernels._torch_softmax):
        assert cache.cache_info().maxsize <= 64


# --- every fused function ----------------------------------------------------------


@no_retracing
@pytest.mark.numerics
@pytest.mark.parametrize("name", FUSED)
def test_fused_function_kernels_bounded_and_correct(name, kernel_shapes):
    s = keras_acts.info(name)
    fn = getattr(keras_acts, name)
    ref = reference(name)
    kinks = non_smooth_points(s)
    op = _op(s) if BACKEND != "torch" else None
    before = _compiled_counts(op) if op is not None else []
    for i, shape in enumerate(SHAPES):
        x = to_numpy(_inputs(shape, seed=SEED + i))
        # Away from kinks, where finite differences are unreliable.
        x = np.where(np.isin(x, away_from(x.ravel(), kinks)), x, 0.37)
        g = np.random.default_rng(SEED - i).normal(size=shape)
        gt = keras.ops.convert_to_tensor(g)
        xt = keras.ops.convert_to_tensor(x)
        y = fn(xt)
        assert tuple(y.shape) == shape
        rtol, atol = TOLERANCES["float64"]
        assert_close(to_numpy(y), ref(x), rtol, atol, x, f"{name} {shape}")
        (dx,) = grad(lambda t, gt=gt: keras.ops.sum(gt * fn(t)), xt)
        assert_close(
            to_numpy(dx), g * fd_derivative(ref, x), *FD_TOLERANCE, x, f"d{name}"
        )
    if BACKEND == "torch":
        return
    bound = len(_buckets(math.prod(shape) for shape in SHAPES))
    assert len(kernel_shapes) <= bound, sorted(kernel_shapes)
    # What this test added: other tests in the same worker share the op.
    counts = [a - b for a, b in zip(_compiled_counts(op), before, strict=True)]
    assert all(
        count <= (1 if BACKEND == "tensorflow" else bound) for count in counts
    ), counts


def _op(s, dtype="float64"):
    """The op the bucketed path uses for s without tensor parameters."""
    if BACKEND == "tensorflow":
        return _kernels._tf_op(s, (), (), (1, ()), True, ((None,), dtype, ()))
    return _kernels._jax_op(s, (), (), (1, ()), True)


@no_retracing
@pytest.mark.numerics
def test_many_shapes_few_kernels(kernel_shapes):
    # Distinct shapes with sizes up to 2^14, and one large one. Fewer on JAX,
    # whose eager reshape, pad and slice compile for each new shape (as any
    # eager JAX op does; a few milliseconds each).
    rng = np.random.default_rng(SEED)
    shapes = set()
    while len(shapes) < (300 if BACKEND == "tensorflow" else 40):
        shapes.add((int(rng.integers(1, 128)), int(rng.integers(0, 129))))
    shapes = sorted(shapes) + [((1 << 20) + 3,)]
    for shape in shapes:
        x = _inputs(shape, "float32")
        y = keras_acts.mish(x)
        if shape == shapes[-1] or shape[-1] in (0, 1, 127):
            xn = to_numpy(x).astype(np.float64)
            rtol, atol = TOLERANCES["float32"]
            assert_close(to_numpy(y), reference("mish")(xn), rtol, atol, xn)
    if BACKEND == "torch":
        return
    bound = len(_buckets(math.prod(shape) for shape in shapes))
    assert bound <= 45
    assert len(kernel_shapes) <= bound


@no_retracing
def test_changing_dtypes_and_ranks_do_not_retrace():
    # The no_retracing fixture fails on TensorFlow's retracing warning.
    for _ in range(3):
        for dtype in ("float32", "float64", "float16", "bfloat16"):
            for shape in [(5,), (3, 7), (2, 3, 4), (9,), (4, 4)]:
                for fn in (keras_acts.mish, keras_acts.gelu, keras_acts.swish):
                    y = fn(
                        _inputs(shape, "float32")
                        if dtype != "float64"
                        else _inputs(shape)
                    )
                    y = fn(keras.ops.cast(y, dtype))
                    assert keras.backend.standardize_dtype(y.dtype) == dtype


@no_retracing
@pytest.mark.numerics
def test_softmax_at_many_shapes():
    ref = reference("softmax")
    for i, shape in enumerate([(1, 1), (3, 5), (0, 4), (4, 0), (2, 3, 7), (6, 9)]):
        x = _inputs(shape, seed=SEED + i)
        g = np.random.default_rng(SEED - i).normal(size=shape)
        gt = keras.ops.convert_to_tensor(g)
        y = keras_acts.softmax(x)
        xn = to_numpy(x)
        rtol, atol = TOLERANCES["float64"]
        assert_close(to_numpy(y), ref(xn), rtol, atol)
        (dx,) = grad(lambda t, gt=gt: keras.ops.sum(gt * keras_acts.softmax(t)), x)
        p = ref(xn)
        expected = p * (g - np.sum(g * p, axis=-1, keepdims=True))
        assert_close(to_numpy(dx), expected, rtol, atol)


# --- learnable layers --------------------------------------------------------------


def _perturbed(layer, shape):
    layer.build(shape)
    rng = np.random.default_rng(SEED)
    for w in layer.trainable_weights:
        value = to_numpy(w.value)
        # Distinct per channel, inside every constraint's range.
        w.assign(value * (1.0 + 0.1 * rng.uniform(0.0, 1.0, value.shape)))
    return layer


def _numpy_reference(name, layer, x):
    if name == "PReLU":
        return np.where(x >= 0, x, to_numpy(layer.alpha).astype(np.float64) * x)
    params = {
        w.name.removesuffix("_weight"): to_numpy(w.value).astype(np.float64)
        for w in layer.trainable_weights
    }
    ref = reference(layer.spec.name)
    out = np.empty_like(x)
    for c in range(x.shape[-1]):  # The references take numbers: one channel each.
        values = {k: float(v.reshape(-1)[c % v.size]) for k, v in params.items()}
        out[..., c] = ref(x[..., c], **{**layer._fixed, **values})
    return out


@no_retracing
@pytest.mark.parametrize("name", sorted(LAYERS))
def test_learnable_layer_kernels_bounded_and_correct(name, kernel_shapes):
    layer = _perturbed(LAYERS[name](), (None, None, 3))
    rational = name in ("PAU", "HP1", "HP2", "OrthogonalPade")
    for i, shape in enumerate(LAYER_SHAPES):
        x = _inputs(shape, "float32", seed=SEED + i)
        y, grads = layer_vjp(layer, x)
        assert tuple(y.shape) == shape
        assert all(
            tuple(g.shape) == tuple(w.shape)
            for g, w in zip(grads[1:], layer.trainable_weights, strict=True)
        )
        if shape[0] == 0:
            assert all(not np.any(to_numpy(g)) for g in grads[1:])
        if not rational:
            xn = to_numpy(x).astype(np.float64)
            assert_close(to_numpy(y), _numpy_reference(name, layer, xn), 2e-5, 2e-5, xn)
    if BACKEND != "torch":
        rows = {math.prod(shape[:-1]) for shape in LAYER_SHAPES}
        assert len(kernel_shapes) <= len(_buckets(rows)), sorted(kernel_shapes)


def _static_vjp(layer, x):
    """layer_vjp with exact-shape kernels (a fixed-shape compiled caller)."""
    if BACKEND == "tensorflow":
        import tensorflow as tf

        return tf.function(lambda x: layer_vjp(layer, x))(x)
    if BACKEND == "jax":
        import jax

        others = [v.value for v in layer.non_trainable_weights]
        weights = [w.value for w in layer.trainable_weights]

        def run(x, values):
            return layer.stateless_call(values, others, x)[0]

        @jax.jit
        def vjp(x, values):
            y, pullback = jax.vjp(run, x, values)
            gx, gw = pullback(jax.numpy.ones_like(y))
            return y, [gx, *gw]

        return vjp(x, weights)
    pytest.skip("PyTorch has a single path")


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_learnable_layer_padding_changes_nothing(name):
    # Padded (eager) against the exact-shape kernels at sizes off a bucket,
    # where padding rows join the parameter-gradient sums with cotangent 0.
    layer = _perturbed(LAYERS[name](), (None, None, 3))
    for i, shape in enumerate([(0, 2, 3), (33, 5, 3)]):
        x = _inputs(shape, "float32", seed=SEED + i)
        y, grads = layer_vjp(layer, x)
        y0, grads0 = _static_vjp(layer, x)
        assert_close(to_numpy(y), to_numpy(y0), 1e-6, 1e-6, what="values")
        for g, g0 in zip(grads, grads0, strict=True):
            assert_close(to_numpy(g), to_numpy(g0), 1e-5, 1e-4, what="gradients")


# --- TensorFlow graphs with unknown sizes ------------------------------------------


@pytest.mark.tensorflow
def test_tensorflow_graph_with_unknown_sizes():
    import tensorflow as tf

    layer = _perturbed(L.TanhSoft(per_channel=True, beta=0.3, delta=0.5), (None, 3))
    spec = tf.TensorSpec((None, None, 3), tf.float32)

    @tf.function(input_signature=[spec])
    def serve(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = layer(keras_acts.mish(x))
        return y, tape.gradient(y, [x, *layer.trainable_weights])

    for n in (1, 2, 5, 12, 33):  # A tape records: exact kernels, one per length.
        x = _inputs((2, n, 3), "float32", seed=n)
        y, grads = serve(x)
        xn = to_numpy(x).astype(np.float64)
        z = reference("mish")(xn)
        expected = _numpy_reference("TanhSoft", layer, z)
        assert_close(y.numpy(), expected, 2e-5, 2e-5)
        if n in (1, 33):  # Gradients against exact-shape kernels.
            _, grads0 = _static_vjp_graph(layer, x)
            for g, g0 in zip(grads, grads0, strict=True):
                assert_close(g.numpy(), g0.numpy(), 1e-5, 1e-4)
    # Traced once; a training graph's kernels are exact-shape (compiled per
    # shape): the bucketed form did not convert to TFLite (_kernels._tf_dynamic).
    assert serve.experimental_get_tracing_count() == 1


@pytest.mark.numerics
@pytest.mark.tensorflow
@pytest.mark.parametrize("dtype", ["float32", "float16"])
@pytest.mark.parametrize("name,params", cases())
def test_tensorflow_eager_inference_values(name, params, dtype, monkeypatch):
    """Eager calls no tape records run the formula as plain ops.

    Nothing is compiled there (no XLA kernel is even built), and the values
    match the float64 reference as the kernels' do, limits at +-inf and NaN
    propagation included (as test_properties.py checks the kernels).
    """

    def no_kernel(*args, **kwargs):
        raise AssertionError("a compiled kernel was built for an eager inference")

    monkeypatch.setattr(_kernels, "_tf_op", no_kernel)
    fn = functools.partial(getattr(keras_acts, name), **params)
    ref = functools.partial(reference(name), **params)
    x = rounded(inputs_for(name), dtype)
    y = to_numpy(fn(tensor(x, dtype)))
    assert y.dtype == np.dtype(dtype)
    rtol, atol = TOLERANCES[dtype]
    with np.errstate(over="ignore"):  # Past float16's range: inf, as it rounds.
        expected = ref(x).astype(dtype).astype(np.float64)
    assert_close(y, expected, rtol, atol, x, f"eager {name}{params} {dtype}")
    if x.ndim != 1:
        return  # softmax: its own path, tested at +-inf in test_properties.py.
    special = np.array([-np.inf, np.inf, np.nan, 1.0])
    y = to_numpy(fn(tensor(special, dtype)))
    assert np.isnan(y[2]) and not np.isnan(y[3]), y
    expected = np.array([limit(ref, -1.0), limit(ref, 1.0)])
    none = np.isnan(expected)  # No limit: a value in the declared range.
    low, high = keras_acts.info(name).output_range
    ok = (y[:2][none] >= low) & (y[:2][none] <= high)
    assert ok.all(), f"eager {name}{params} at +-inf: {y[:2]}"
    assert_close(y[:2][~none], expected[~none], rtol, atol, special[:2][~none], name)


def _static_vjp_graph(layer, x):
    import tensorflow as tf

    @tf.function
    def run(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = layer(keras_acts.mish(x))
        return y, tape.gradient(y, [x, *layer.trainable_weights])

    return run(x)


# --- TensorFlow served graphs: nothing compiled -------------------------------------

# Lengths a served model sees: 40 distinct ones, empty included.
SERVED_LENGTHS = [*range(0, 33), 47, 64, 100, 129, 257, 513, 1000]


def _no_compiled_kernel(monkeypatch):
    """Fails on any compiled kernel: `_tf_op`, or a compiled softmax."""

    def no_kernel(*args, **kwargs):
        raise AssertionError("a compiled kernel was built for a served graph")

    real_softmax = _kernels._tf_softmax

    def softmax_spy(axis, rank, dtype, compiled):
        assert not compiled, "a compiled softmax was built for a served graph"
        return real_softmax(axis, rank, dtype, compiled)

    monkeypatch.setattr(_kernels, "_tf_op", no_kernel)
    monkeypatch.setattr(_kernels, "_tf_softmax", softmax_spy)


def _xla_calls(concrete):
    """Nodes of a traced function (and the functions it calls) XLA compiles."""
    graph_def = concrete.graph.as_graph_def()
    nodes = list(graph_def.node)
    for function in graph_def.library.function:
        nodes.extend(function.node_def)
    return [
        n.name for n in nodes if n.attr["_XlaMustCompile"].b or n.attr["_XlaCompile"].b
    ]


@no_retracing
@pytest.mark.numerics
@pytest.mark.tensorflow
@pytest.mark.parametrize("dtype", ["float32", "float16"])
@pytest.mark.parametrize("name,params", cases(FUSED))
def test_tensorflow_served_graph_compiles_nothing(name, params, dtype, monkeypatch):
    """A served graph (unknown sizes, traced with no tape) compiles nothing.

    As `model.export` or a `tf.function` with an input signature builds it:
    traced once, and no kernel is built or compiled at any of 40 lengths
    (`_tf_op` and the compiled softmax fail the test; the graph holds no
    XLA call). Values match the float64 references at every length, and
    differentiating the served function (as one would a restored
    SavedModel) gives the analytic derivatives.
    """
    import tensorflow as tf

    _no_compiled_kernel(monkeypatch)
    fn = functools.partial(getattr(keras_acts, name), **params)
    ref = functools.partial(reference(name), **params)
    base = inputs_for(name)
    full = rounded(np.resize(base, (SERVED_LENGTHS[-1], *base.shape[1:])), dtype)
    rtol, atol = TOLERANCES[dtype]
    with np.errstate(over="ignore"):  # Past float16's range: inf, as it rounds.
        expected = ref(full).astype(dtype).astype(np.float64)
    spec = tf.TensorSpec([None] * base.ndim, dtype)
    served = tf.function(fn, input_signature=[spec])
    for n in SERVED_LENGTHS:
        y = to_numpy(served(tensor(full[:n], dtype)))
        assert y.shape == full[:n].shape and y.dtype == np.dtype(dtype)
        assert_close(y, expected[:n], rtol, atol, full[:n], f"served {name} {n}")
    assert served.experimental_get_tracing_count() == 1
    assert not _xla_calls(served.get_concrete_function()), name
    if dtype != "float32":
        return
    # The analytic derivatives, on moderate inputs away from kinks. (In the
    # far tails TensorFlow's CPU exp, unlike XLA's, does not underflow to
    # exactly 0, and terms the formulas rely on vanishing do not.)
    if base.ndim == 1:
        kinks = non_smooth_points(keras_acts.info(name))
        x = rounded(away_from(base[np.abs(base) <= 8.0], kinks), dtype)
    else:
        x = rounded(base, dtype)
    g = np.random.default_rng(SEED).normal(size=x.shape)
    xt = tensor(x, dtype)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        yt = served(xt)
    dx = to_numpy(tape.gradient(yt, xt, output_gradients=tensor(g, dtype)))
    if base.ndim == 1:
        expected = g * fd_derivative(ref, x)
    else:  # softmax
        p = ref(x)
        expected = p * (g - np.sum(g * p, axis=-1, keepdims=True))
    assert_close(dx, expected, rtol, atol, x, f"served d{name}{params}")
    assert served.experimental_get_tracing_count() == 1


@pytest.mark.tensorflow
@pytest.mark.parametrize("name", sorted(LAYERS))
def test_tensorflow_served_layer_compiles_nothing(name, monkeypatch):
    """A served layer (unknown sizes, traced with no tape) compiles nothing.

    Traced once, no kernel built or compiled over 40 lengths; values and the
    gradients of the served function (input and weights, as a restored
    SavedModel gives them) match the compiled kernels'.
    """
    import tensorflow as tf

    layer = _perturbed(LAYERS[name](), (None, None, 3))
    checked = [(0, 2, 3), (2, 5, 3), (33, 5, 3)]
    # The compiled kernels' results, before they are forbidden.
    expected = {}
    for i, shape in enumerate(checked):
        x = _inputs(shape, "float32", seed=SEED + i)
        expected[shape] = (x, *layer_vjp(layer, x))
    _no_compiled_kernel(monkeypatch)
    spec = tf.TensorSpec((None, None, 3), tf.float32)
    served = tf.function(layer, input_signature=[spec])
    rational = name in ("PAU", "HP1", "HP2", "OrthogonalPade")
    for n in SERVED_LENGTHS:
        x = _inputs((2, n, 3), "float32", seed=n)
        y = served(x)
        assert tuple(y.shape) == (2, n, 3)
        if not rational:
            xn = to_numpy(x).astype(np.float64)
            assert_close(to_numpy(y), _numpy_reference(name, layer, xn), 2e-5, 2e-5, xn)
    for shape, (x, y0, grads0) in expected.items():
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = served(x)
        grads = tape.gradient(y, [x, *layer.trainable_weights])
        assert_close(to_numpy(y), to_numpy(y0), 1e-6, 1e-6, what=f"values {shape}")
        for g, g0 in zip(grads, grads0, strict=True):
            assert_close(to_numpy(g), to_numpy(g0), 1e-5, 1e-4, what=f"grads {shape}")
    assert served.experimental_get_tracing_count() == 1
    assert not _xla_calls(served.get_concrete_function()), name


@pytest.mark.tensorflow
def test_tensorflow_other_graphs_keep_kernels(monkeypatch):
    """Training graphs (a tape records), XLA compilations and fully known
    sizes keep the fused kernels: the plain-op form is for served graphs."""
    import tensorflow as tf

    def no_plain(*args, **kwargs):
        raise AssertionError("plain ops placed outside a served graph")

    monkeypatch.setattr(_kernels, "_tf_plain_op", no_plain)
    layer = _perturbed(L.PAU(per_channel=True), (None, None, 3))
    unknown = tf.TensorSpec((None, None, 3), tf.float32)

    def train(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = layer(keras_acts.mish(x))
        return tape.gradient(y, [x, *layer.trainable_weights])

    def infer(x):
        return layer(keras_acts.mish(x))

    x = _inputs((2, 5, 3), "float32")
    for fn in (
        tf.function(train, input_signature=[unknown]),
        tf.function(infer, input_signature=[unknown], jit_compile=True),
        tf.function(infer, input_signature=[tf.TensorSpec((2, 5, 3), tf.float32)]),
    ):
        tf.nest.map_structure(lambda t: t.numpy(), fn(x))
