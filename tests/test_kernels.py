"""The shared kernel machinery: parameter-gradient reductions, backend hooks."""

import keras
import numpy as np
import pytest
from _util import SEED, TOLERANCES, assert_close, grad, to_numpy

import keras_acts
from keras_acts import _kernels

# CI also runs this module beyond the TensorFlow step (see .ci/run).
pytestmark = [pytest.mark.ci_jax, pytest.mark.ci_torch]

BACKEND = keras.backend.backend()

# (input shape, parameter shapes): shared, per-channel last and first, a
# parameter of x's own shape (nothing to chunk), mixed shapes, an empty batch.
SHAPES = [
    ((7, 5), [()]),
    ((3, 4, 5, 6), [(6,)]),
    ((3, 6, 4, 5), [(6, 1, 1)]),
    ((4097,), [(1,)]),
    ((2, 3, 5), [(3, 5)]),
    ((5, 3), [(5, 3)]),
    ((4, 3, 5), [(1, 1, 5)]),
    ((3, 4, 5, 6), [(6,), ()]),
    ((2, 6, 4, 5), [(6, 1, 1), (1,)]),
    ((0, 5), [(5,)]),
]


@pytest.mark.numerics
@pytest.mark.parametrize("count", [1, 3])
@pytest.mark.parametrize("chunk", [None, 7], ids=["one chunk", "chunks of 7"])
@pytest.mark.parametrize(("x_shape", "shapes"), SHAPES, ids=str)
def test_chunked_sums_match_numpy(x_shape, shapes, chunk, count, monkeypatch):
    # Chunks of 7 values: several chunks, a last one that overlaps the one
    # before it, and rows wider than a chunk.
    if chunk is not None:
        monkeypatch.setattr(_kernels, "_CHUNK", chunk)
        monkeypatch.setattr(_kernels, "_TORCH_CHUNK", chunk)  # Torch's own size.
    rng = np.random.default_rng(SEED)
    x = rng.normal(size=x_shape)
    g = rng.normal(size=x_shape)
    shapes = shapes * count
    scales = [float(k + 1) for k in range(len(shapes))]
    lead = _kernels._shared_lead(len(x_shape), shapes)

    def contributions(xs, gs):
        return [gs * xs**2 * s for s in scales]

    def run(x, g):
        return _kernels.chunked_sums(contributions, x, g, lead, shapes)

    if BACKEND == "tensorflow":
        import tensorflow as tf  # As the kernels run: XLA, batch size relaxed.

        spec = tf.TensorSpec((None, *x_shape[1:]), tf.float64)
        run = tf.function(run, jit_compile=True, input_signature=[spec, spec])
    sums = run(keras.ops.convert_to_tensor(x), keras.ops.convert_to_tensor(g))
    for scale, shape, got in zip(scales, shapes, sums, strict=True):
        lead_axes = len(x_shape) - len(shape)
        axes = tuple(range(lead_axes)) + tuple(
            lead_axes + i for i, size in enumerate(shape) if size == 1
        )
        expected = (g * x**2 * scale).sum(axis=axes).reshape(shape)
        np.testing.assert_allclose(
            keras.ops.convert_to_numpy(got), expected, rtol=1e-9, atol=1e-9
        )


@pytest.mark.numerics
@pytest.mark.parametrize(
    ("x_shape", "shape"),
    # The last two span several chunks of _CHUNK values.
    [(x_shape, shapes[0]) for x_shape, shapes in SHAPES[:3]]
    + [((3, 40000), ()), ((5100, 16), (16,))],
    ids=str,
)
def test_fused_parameter_gradients_match_autodiff(x_shape, shape):
    # Through the backend's fused op (custom gradient, reductions to the
    # parameters' shapes) against autodiff of the plain formula.
    spec = keras_acts.info("tanhsoft")
    rng = np.random.default_rng(SEED)
    x = rng.normal(0.0, 2.0, x_shape)
    g = keras.ops.convert_to_tensor(rng.normal(size=x_shape))
    base = {"alpha": 0.5, "beta": 0.3, "gamma": 0.8, "delta": 0.5}
    names = sorted(base)
    params = [
        np.asarray(base[n] + 0.05 * rng.normal(size=shape), np.float64) for n in names
    ]

    def fused(xt, *pts):
        y = _kernels.apply(spec, xt, dict(zip(names, pts, strict=True)))
        return keras.ops.sum(g * y)

    def plain(xt, *pts):
        return keras.ops.sum(g * spec.forward(xt, **dict(zip(names, pts, strict=True))))

    tensors = [keras.ops.convert_to_tensor(a) for a in (x, *params)]
    got, expected = grad(fused, *tensors), grad(plain, *tensors)
    rtol, atol = TOLERANCES["float64"]
    for what, a, b in zip(["x", *names], got, expected, strict=True):
        assert_close(to_numpy(a), to_numpy(b), rtol, atol, what=f"d/d{what}")


def _saved_by(fn, *inputs):
    """fn(*inputs) and the tensors autograd saved for its backward."""
    import torch

    saved = []

    def pack(t):
        saved.append(t)
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        y = fn(*inputs)
    return y, saved


def _fused_on_torch(name):
    """True if keras_acts.<name> (or the layer class `name`, called with
    weights) runs as keras_acts' fused torch op, not plain autograd."""
    layer = name[:1].isupper()
    spec = getattr(keras_acts.layers, name)().spec if layer else keras_acts.info(name)
    return _kernels.torch_path(spec, layer) == _kernels.FUSED


@pytest.mark.skipif(BACKEND != "torch", reason="PyTorch autograd test")
def test_torch_op_saves_x_and_its_derivative():
    import torch

    # smish's value and derivative share their torch calls, so its op saves
    # f'(x) computed with the forward (plain autodiff would keep its
    # intermediates). The first evaluation learns what is shared, later ones
    # use that plan (`_torch_shared.Plan`): both save the same, whatever ran
    # before in this process.
    for _ in range(2):
        x = torch.randn(4096, 8, requires_grad=True)
        y, saved = _saved_by(keras_acts.smish, x)
        assert len(saved) == 2 and saved[0].data_ptr() == x.data_ptr()
        assert saved[1].shape == x.shape and saved[1].dtype == x.dtype
        assert y.grad_fn.name() == "SmishOpBackward"


@pytest.mark.skipif(BACKEND != "torch", reason="PyTorch autograd test")
@pytest.mark.parametrize("name", sorted(_kernels.TORCH_SAVES_INPUT_ONLY))
def test_torch_saves_input_only_names_save_x_alone(name):
    # Their value and derivative share calls, but saving f'(x) would keep
    # more than the plain formula does: x alone, the derivative recomputed.
    import torch

    x = torch.randn(4096, 8, generator=torch.Generator().manual_seed(SEED))
    x.requires_grad_(True)
    if name[:1].isupper():  # A layer class: frozen (a trainable one has a kernel).
        fn = getattr(keras_acts.layers, name)()
        fn.build(x.shape)
        fn.trainable = False
    else:
        fn = getattr(keras_acts, name)
    for _ in range(2):
        y, saved = _saved_by(fn, x)
        big = [t for t in saved if t.shape == x.shape]
        assert len(big) == 1 and big[0].data_ptr() == x.data_ptr(), name
        y.backward(torch.ones_like(y))


@pytest.mark.skipif(BACKEND != "torch", reason="PyTorch autograd test")
@pytest.mark.parametrize("name", ["TanhSoft", "EIS", "StarReLU", "Snake", "Swish"])
def test_torch_trainable_layer_saves_its_partials(name):
    # x, the weights, f'(x) and one partial per trainable weight (x's size
    # each): for TanhSoft's 4 weights 6 tensors of x's size (plain autograd
    # keeps 9); only x and f'(x) for a frozen layer.
    if not _fused_on_torch(name):
        pytest.skip(f"{name} runs under plain torch autograd")
    import torch

    x = torch.randn(4096, 8, requires_grad=True)
    layer = getattr(keras_acts.layers, name)()
    layer.build(x.shape)
    count = len(layer.trainable_weights)
    _, saved = _saved_by(layer, x)
    assert saved[0].data_ptr() == x.data_ptr()
    big = {t.untyped_storage().data_ptr() for t in saved if t.shape == x.shape}
    if layer.spec.torch_kernel is not None:
        # The hand-written kernel (reverse mode): its intermediates, no more
        # than the paper's formula under plain autograd keeps.
        params = {
            w.path.split("/")[-1]: w.value.detach().clone().requires_grad_(True)
            for w in layer.trainable_weights
        }
        _, plain = _saved_by(lambda t: _textbook(name, t, params), x)
        plain_big = {
            t.untyped_storage().data_ptr() for t in plain if t.shape == x.shape
        }
        assert len(big) <= len(plain_big), (len(big), len(plain_big))
    else:
        assert len(big) == 2 + count and len(saved) == 2 + 2 * count
    layer.trainable = False
    _, saved = _saved_by(layer, x)
    frozen = 1 if name in _kernels.TORCH_SAVES_INPUT_ONLY else 2  # x (and f'(x))
    assert [t.shape == x.shape for t in saved].count(True) == frozen


@pytest.mark.skipif(BACKEND != "torch", reason="PyTorch autograd test")
@pytest.mark.parametrize("trainable", [True, False])
def test_torch_frozen_layer_gets_no_parameter_gradients(trainable):
    import torch

    layer = keras_acts.layers.TanhSoft()
    x = torch.randn(64, 8, requires_grad=True)
    layer.build(x.shape)
    layer.trainable = trainable
    layer(x).sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()
    for weight in layer.weights:
        assert (weight.value.grad is not None) == trainable, weight.name


# --- PyTorch: native primitives ---------------------------------------------------

# A name and one torch kernel its forward must call: on torch the catalog's
# primitives are torch's own functions, not the rational or polynomial forms
# tuned for XLA (which would run as a dozen eager passes each).
_NATIVE_KERNELS = {
    "tanhsoft": "tanh",
    "lisht": "tanh",
    "mish": "tanh",
    "serf": "erf",
    "gelu": "gelu",  # exact GELU: torch's own fused kernel (Keras's ops.gelu)
    "logish": "log1p",
    "eis": "softplus",
    "smish": "sigmoid",
    "snake": "sin",
    "sine": "sin",
}


def _fused_elementwise_names():
    return [
        n
        for n in keras_acts.names()
        if keras_acts.info(n).fused and keras_acts.info(n).elementwise
    ]


@pytest.mark.skipif(BACKEND != "torch", reason="PyTorch autograd test")
@pytest.mark.parametrize("name", sorted(_NATIVE_KERNELS))
def test_torch_forward_calls_torch_kernels(name):
    import torch
    from torch.utils._python_dispatch import TorchDispatchMode

    class Calls(TorchDispatchMode):
        def __init__(self):
            super().__init__()
            self.names = set()

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            self.names.add(func._schema.name.split("::")[-1])
            return func(*args, **(kwargs or {}))

    x = torch.linspace(-5.0, 5.0, 101)
    with Calls() as calls:
        getattr(keras_acts, name)(x)
    assert _NATIVE_KERNELS[name] in calls.names, sorted(calls.names)


@pytest.mark.skipif(BACKEND != "torch", reason="PyTorch autograd test")
@pytest.mark.parametrize("name", _fused_elementwise_names())
def test_torch_op_saves_x_for_every_fused_name(name):
    # x, and f'(x) where the forward computed it (of x's size and dtype), in
    # the first call (which learns what the value and the derivative share)
    # and the calls after it; plain autograd's intermediates for the names
    # in _kernels.TORCH_PLAIN_AUTOGRAD.
    import torch

    x = torch.randn(64, 8, generator=torch.Generator().manual_seed(SEED))
    x.requires_grad_(True)
    for _ in range(2):
        y, saved = _saved_by(getattr(keras_acts, name), x)
        if _fused_on_torch(name):
            assert len(saved) in (1, 2) and saved[0].data_ptr() == x.data_ptr()
        assert all(t.shape == x.shape and t.dtype == x.dtype for t in saved), name
        y.backward(torch.ones_like(y))
        assert torch.isfinite(x.grad).all(), name


_REUSE_SUBJECTS = [
    *_fused_elementwise_names(),
    "layers.Swish",
    "layers.TanhSoft",
    "layers.EIS",
    "layers.PAU",
    "layers.HP2",
]


@pytest.mark.skipif(BACKEND != "torch", reason="PyTorch autograd test")
@pytest.mark.parametrize("subject", _REUSE_SUBJECTS)
def test_torch_reused_temporaries_change_nothing(subject, monkeypatch):
    # Infs, NaN and zeros included; the reuse on for this size.
    import contextlib

    import torch

    monkeypatch.setattr(_kernels, "_ELIDE_MIN_SIZE", 1 << 10)

    x0 = 3.0 * torch.randn(64, 512, generator=torch.Generator().manual_seed(SEED))
    x0[0, :5] = torch.tensor([float("inf"), -float("inf"), float("nan"), 0.0, 1e30])
    g = torch.randn(64, 512, generator=torch.Generator().manual_seed(SEED + 1))
    if subject.startswith("layers."):
        layer = getattr(keras_acts.layers, subject.split(".")[1])()
        layer.build(x0.shape)
        fn, params = layer, [w.value for w in layer.trainable_weights]
    else:
        fn, params = getattr(keras_acts, subject), []

    def run():
        x = x0.clone().requires_grad_(True)
        x_copy, g_copy = x0.clone(), g.clone()
        for p in params:
            p.grad = None
        y = fn(x)
        y.backward(g)
        # The op's inputs are never written into.
        assert torch.equal(x.detach().nan_to_num(), x_copy.nan_to_num())
        assert torch.equal(g, g_copy)
        return [y.detach(), x.grad, *(p.grad for p in params)]

    assert _kernels._elision_counts(), "no temporary told from a variable"
    reused = run()
    monkeypatch.setattr(
        _kernels, "_reusing_temporaries", lambda _: contextlib.nullcontext()
    )
    plain = run()
    for a, b in zip(reused, plain, strict=True):
        assert (a is None) == (b is None)
        if a is not None:
            assert torch.equal(a.nan_to_num(), b.nan_to_num()), subject
            assert torch.equal(a.isnan(), b.isnan()), subject


@pytest.mark.skipif(BACKEND != "torch", reason="PyTorch autograd test")
@pytest.mark.parametrize("subject", [*_REUSE_SUBJECTS, "layers.PAU(3, 3)"])
def test_torch_shared_evaluation_changes_nothing(subject, monkeypatch):
    # f'(x) (and a layer's partials) computed with the forward, sharing its
    # intermediates, give bit for bit what a backward computes from x, also
    # where temporaries are reused, and for infs, NaN and zeros; twice (the
    # first call learns what to share, later ones remember only that).
    import torch

    from keras_acts import _torch_shared

    monkeypatch.setattr(_kernels, "_ELIDE_MIN_SIZE", 1 << 10)
    x0 = 3.0 * torch.randn(64, 512, generator=torch.Generator().manual_seed(SEED))
    x0[0, :5] = torch.tensor([float("inf"), -float("inf"), float("nan"), 0.0, 1e30])
    g = torch.randn(64, 512, generator=torch.Generator().manual_seed(SEED + 1))
    if subject == "layers.PAU(3, 3)":
        # 7 coefficients: more partials than the forward saves
        # (_TORCH_SAVED_PARTIALS), so f'(x) and x are saved, and the
        # coefficients' gradients computed in the backward. The definition's
        # fused op (which eager torch replaces by `_rational.torch_kernel`;
        # it runs under torch.compile).
        from keras_acts._rational import torch_kernel

        monkeypatch.setattr(torch_kernel, "applies", lambda x: False)
        layer = keras_acts.layers.PAU(numerator_degree=3, denominator_degree=3)
        layer.build(x0.shape)
        fn, params = layer, [w.value for w in layer.trainable_weights]
    elif subject.startswith("layers."):
        layer = getattr(keras_acts.layers, subject.split(".")[1])()
        layer.build(x0.shape)
        fn, params = layer, [w.value for w in layer.trainable_weights]
    else:
        fn, params = getattr(keras_acts, subject), []

    def run():
        x = x0.clone().requires_grad_(True)
        x_copy, g_copy = x0.clone(), g.clone()
        for p in params:
            p.grad = None
        y = fn(x)
        y.backward(g)
        assert torch.equal(x.detach().nan_to_num(), x_copy.nan_to_num())
        assert torch.equal(g, g_copy)
        return [y.detach(), x.grad, *(p.grad for p in params)]

    if subject == "layers.PAU(3, 3)":
        if not _fused_on_torch("PAU"):
            pytest.skip("PAU runs under plain torch autograd")
        x = x0.clone().requires_grad_(True)
        _, saved = _saved_by(fn, x)
        assert len(saved) == 1 + 7 + 1  # x, the 7 coefficients, f'(x)
        assert saved[0].data_ptr() == x.data_ptr() and saved[-1].shape == x.shape
    elif not _fused_on_torch(subject.replace("layers.", "")):
        pytest.skip(f"{subject} runs under plain torch autograd")
    shared = [run(), run()]
    # Saving x and recomputing in the backward, as before.
    monkeypatch.setattr(_torch_shared, "ENABLED", False)
    plain = run()
    for got in shared:
        for a, b in zip(got, plain, strict=True):
            assert (a is None) == (b is None)
            if a is None:
                continue
            if a.shape == x0.shape:
                assert torch.equal(a.nan_to_num(), b.nan_to_num()), subject
                assert torch.equal(a.isnan(), b.isnan()), subject
            else:
                # A parameter's gradient: one sum instead of chunk sums (NaN
                # where x has one).
                rtol, atol = TOLERANCES["float32"]
                np.testing.assert_allclose(
                    a.numpy(), b.numpy(), rtol, atol, equal_nan=True, err_msg=subject
                )


@pytest.mark.skipif(BACKEND != "torch", reason="PyTorch autograd test")
def test_torch_no_derivative_without_a_gradient(monkeypatch):
    # Inference (no_grad, or an input that needs no gradient) computes the
    # value only; with a gradient the derivative is computed once, in the
    # forward, and not again in the backward.
    import torch

    calls = []
    original = _kernels.derivative
    monkeypatch.setattr(
        _kernels, "derivative", lambda *a: calls.append(1) or original(*a)
    )
    x = torch.randn(64, 8)
    keras_acts.tanhsoft(x)
    with torch.no_grad():
        keras_acts.tanhsoft(x.clone().requires_grad_(True))
    assert calls == []
    xg = x.clone().requires_grad_(True)
    y = keras_acts.tanhsoft(xg)
    assert calls == [1]
    y.sum().backward()
    assert calls == [1]


# Away from 0 and the kinks (where second differences straddle a jump, and
# float64 softplus, relu(x) + log1p(e^-|x|), has kinks autograd
# differentiates one-sidedly).
_SECOND_X = [
    v for v in np.linspace(-3.9, 4.1, 81) if min(abs(v), abs(abs(v) - 3)) > 0.05
]


def _second_difference(f, x, h=1e-3):
    return (f(x + h) - 2.0 * f(x) + f(x - h)) / (h * h)


@pytest.mark.skipif(BACKEND != "torch", reason="PyTorch autograd test")
@pytest.mark.parametrize("name", _fused_elementwise_names())
def test_torch_second_derivative(name):
    # By default (no switch): a gradient taken with create_graph=True
    # differentiates again, the op's backward recomputing from x; d2f/dx2
    # matches second differences of the float64 reference, in the first call
    # (which learns what is shared) and later ones.
    import torch
    from references import REFERENCES

    fn = getattr(keras_acts, name)
    xs = np.asarray(_SECOND_X)
    expected = _second_difference(REFERENCES[name], xs)
    for _ in range(2):
        x = torch.tensor(xs, dtype=torch.float64, requires_grad=True)
        (dx,) = torch.autograd.grad(fn(x).sum(), x, create_graph=True)
        (d2x,) = torch.autograd.grad(dx.sum(), x)
        (first,) = torch.autograd.grad(fn(x).sum(), x)  # the saved f'(x)
        np.testing.assert_allclose(dx.detach().numpy(), first.numpy(), 1e-12, 1e-12)
        np.testing.assert_allclose(
            d2x.numpy(), expected, rtol=1e-5, atol=1e-5, err_msg=name
        )


@pytest.mark.skipif(BACKEND != "torch", reason="PyTorch autograd test")
@pytest.mark.parametrize("name", ["TanhSoft", "EIS", "Snake", "StarReLU"])
def test_torch_layer_second_derivatives(name):
    # A gradient penalty through a learnable layer: d2f/dx2 and the mixed
    # d2f/(dx dw) of each weight (what the penalty's gradient in the weights
    # is made of) match finite differences of the float64 reference.
    # At the last parameter setting of PARAM_CASES (every term active).
    import torch
    from references import PARAM_CASES, REFERENCES

    layer = getattr(keras_acts.layers, name)(dtype="float64", per_channel=False)
    xs = np.asarray(_SECOND_X)
    layer.build(xs.shape)
    weights = {w.path.split("/")[-1]: w for w in layer.trainable_weights}
    cases = PARAM_CASES[layer.spec.name]
    for k, v in (cases[-1] if cases else {}).items():
        weights[k].assign(v)
    params = {k: float(w.numpy()) for k, w in weights.items()}
    reference = REFERENCES[layer.spec.name]
    for _ in range(2):
        x = torch.tensor(xs, dtype=torch.float64, requires_grad=True)
        (dx,) = torch.autograd.grad(layer(x).sum(), x, create_graph=True)
        values = [w.value for w in weights.values()]
        # (A weight the derivative does not depend on, StarReLU's bias, is
        # unused in a graph of plain autograd.)
        d2x, *mixed = torch.autograd.grad(dx.sum(), [x, *values], allow_unused=True)
        mixed = [0.0 if m is None else m for m in mixed]
        expected = _second_difference(lambda t: reference(t, **params), xs)
        np.testing.assert_allclose(d2x.numpy(), expected, 1e-5, 1e-5, err_msg=name)
        h = 1e-4
        for (k, v), got in zip(params.items(), mixed, strict=True):

            def at(dx_, dw_, k=k, v=v):
                return reference(xs + dx_, **{**params, k: v + dw_})

            cross = (at(h, h) - at(h, -h) - at(-h, h) + at(-h, -h)) / (4 * h * h)
            np.testing.assert_allclose(
                float(got), cross.sum(), 1e-5, 1e-4, err_msg=f"{name} d/d{k}"
            )


# A gradient penalty's input: signs, sizes and channels mixed, away from 0.
_PENALTY_X = np.array(
    [[-2.5, -0.7, 0.4], [0.3, 1.2, 3.0], [-1.1, 0.9, 2.2], [-0.2, 0.05, -2.9]]
)


def _penalty_weight_gradients(layer, x):
    """d/dw of the penalty sum((d sum(layer(x)) / dx)^2), each trainable w:
    the second derivatives a gradient penalty (WGAN-GP) takes, on each
    backend's own autodiff."""
    weights = layer.trainable_weights
    if BACKEND == "tensorflow":
        import tensorflow as tf

        # In a tf.function, as training steps run. (Eager nested tapes over
        # a layer's XLA kernels are another matter.)
        @tf.function
        def run(x):
            with tf.GradientTape() as outer:
                with tf.GradientTape() as inner:
                    inner.watch(x)
                    y = tf.reduce_sum(layer(x))
                dx = inner.gradient(y, x)
                penalty = tf.reduce_sum(dx * dx)
            return outer.gradient(penalty, weights)

        return [to_numpy(g) for g in run(tf.constant(x))]
    if BACKEND == "jax":
        import jax
        import jax.numpy as jnp

        others = [v.value for v in layer.non_trainable_weights]

        def penalty(values, x):
            def total(x):
                return jnp.sum(layer.stateless_call(values, others, x)[0])

            dx = jax.grad(total)(x)
            return jnp.sum(dx * dx)

        values = [w.value for w in weights]
        return [to_numpy(g) for g in jax.grad(penalty)(values, jnp.asarray(x))]
    import torch

    xt = torch.tensor(x, requires_grad=True)
    (dx,) = torch.autograd.grad(layer(xt).sum(), xt, create_graph=True)
    grads = torch.autograd.grad((dx * dx).sum(), [w.value for w in weights])
    return [g.detach().numpy() for g in grads]


def _penalty_cases():
    from references import PARAM_CASES

    return [
        pytest.param(name, params, id=f"{name}-{params}")
        for name, spec_name in (("TanhSoft", "tanhsoft"), ("EIS", "eis"))
        for params in [{}, *PARAM_CASES[spec_name]]
    ]


@pytest.mark.parametrize(("name", "params"), _penalty_cases())
def test_layer_gradient_penalty(name, params):
    # The gradient of a gradient penalty in the weights, at the defaults
    # (delta = 0: ln delta's derivative there is inf, and 0 * inf gave NaN)
    # and at each PARAM_CASES setting (alpha = 0, beta = 0, gamma = 0: a
    # derivative in a parameter at 0 lost to a where or to torch's pow),
    # against float64 finite differences of the reference's penalty;
    # one-sided at a parameter's lower bound.
    from references import REFERENCES

    layer = getattr(keras_acts.layers, name)(dtype="float64", per_channel=False)
    layer.build(_PENALTY_X.shape)
    weights = {w.path.split("/")[-1]: w for w in layer.trainable_weights}
    for k, v in params.items():
        weights[k].assign(v)
    values = {k: float(to_numpy(w)) for k, w in weights.items()}
    lows = {p.name: p.low for p in layer.spec.params}
    reference = REFERENCES[layer.spec.name]
    x = _PENALTY_X

    def penalty(**changed):
        kw = {**values, **changed}

        def f(t):
            return reference(t, **kw)

        h = 1e-3
        slope = (8.0 * (f(x + h) - f(x - h)) - (f(x + 2 * h) - f(x - 2 * h))) / (
            12.0 * h
        )
        return np.sum(slope * slope)

    got = _penalty_weight_gradients(layer, x)
    for (k, v), g in zip(values.items(), got, strict=True):
        h = 1e-3 * max(1.0, abs(v))
        p = [penalty(**{k: v + i * h}) for i in range(-2, 5)]
        if lows[k] is not None and v == lows[k]:
            # Fourth order, forward.
            expected = (-25 * p[2] + 48 * p[3] - 36 * p[4] + 16 * p[5] - 3 * p[6]) / (
                12 * h
            )
        else:
            expected = (8 * (p[3] - p[1]) - (p[4] - p[0])) / (12 * h)
        assert np.all(np.isfinite(g)), (name, params, k, g)
        np.testing.assert_allclose(
            float(g), expected, rtol=1e-6, atol=1e-6, err_msg=f"{name} d/d{k}"
        )


@pytest.mark.skipif(BACKEND != "torch", reason="PyTorch autograd test")
def test_torch_sharing_returns_first_result_unless_changed():
    import torch

    from keras_acts import _torch_shared

    x = torch.rand(_kernels._ELIDE_MIN_SIZE)
    plan = _torch_shared.Plan()
    with torch.no_grad(), _kernels._torch_sharing(plan, (x,)):
        a = torch.exp(x) * 0.5
        b = torch.exp(x) * 0.5
        assert a is b  # exp(x), then its product: both repeated
        c = torch.exp(x * 2.0)
        c.add_(1.0)  # changed in place: not returned again
        d = torch.exp(x * 2.0)
        assert d is not c and torch.equal(d, torch.exp(x * 2.0))
    assert plan.keys and plan.shares
    # A later evaluation remembers only the repeated calls.
    with torch.no_grad(), _kernels._torch_sharing(plan, (x,)):
        assert torch.exp(x) * 0.5 is torch.exp(x) * 0.5
        assert torch.sin(x) is not torch.sin(x)
    nothing = _torch_shared.Plan()
    with torch.no_grad(), _kernels._torch_sharing(nothing, (x,)):
        torch.sin(x), torch.cos(x)
    assert not nothing.shares


@pytest.mark.skipif(BACKEND != "torch", reason="PyTorch autograd test")
def test_torch_pau_shares_too_much_and_saves_x(monkeypatch):
    # PAU's value and derivative repeat more tensors of x's size than
    # _torch_shared.MAX_HELD: after the first call it saves x and its
    # coefficients, as without sharing. (The definition's fused op, which
    # runs under torch.compile; eager torch runs `_rational.torch_kernel`.)
    import torch

    from keras_acts._rational import torch_kernel

    monkeypatch.setattr(torch_kernel, "applies", lambda x: False)

    x = torch.randn(64, 8, requires_grad=True)
    layer = keras_acts.layers.PAU()
    layer.build(x.shape)
    layer(x)
    _, saved = _saved_by(layer, x)
    assert saved[0].data_ptr() == x.data_ptr() and len(saved) == 1 + 10


@pytest.mark.skipif(BACKEND != "torch", reason="PyTorch autograd test")
def test_torch_low_precision_saves_x():
    # float16 and bfloat16 compute in float32: f'(x) would be twice x's
    # bytes, so x is saved, as before.
    import torch

    for dtype in (torch.float16, torch.bfloat16):
        x = torch.randn(64, 8).to(dtype).requires_grad_(True)
        _, saved = _saved_by(keras_acts.tanhsoft, x)
        assert [t.data_ptr() for t in saved] == [x.data_ptr()]


@pytest.mark.skipif(BACKEND != "torch", reason="PyTorch autograd test")
def test_torch_temporary_reuse_keeps_named_tensors():
    import torch

    counts = _kernels._elision_counts()
    mode = _kernels._elision_mode()
    x = torch.rand(_kernels._ELIDE_MIN_SIZE) + 1.0
    with torch.no_grad(), mode(counts, set()):
        a = x * 2.0  # named: never written into
        b = (a + 1.0) * 3.0  # the temporary a + 1 is
        c = 1.0 - a
        d = a / (x * 2.0)
    expected = x * 2.0
    assert torch.equal(a, expected)
    assert torch.equal(b, (expected + 1.0) * 3.0)
    assert torch.equal(c, 1.0 - expected)
    assert torch.equal(d, expected / (x * 2.0))


@pytest.mark.skipif(BACKEND != "torch", reason="torch's sin is accurate for any x")
def test_torch_sine_is_accurate_at_large_arguments():
    # float32 inputs up to 1e7, exactly representable: the polynomial form's
    # range reduction (for XLA) holds its 2e-7 error only below |x| = 1e5;
    # torch's sin stays within float32 rounding of the float64 reference.
    x = np.random.default_rng(SEED).uniform(1e5, 1e7, 4096).astype(np.float32)
    x = np.concatenate([x, -x])
    y = to_numpy(keras_acts.sine(keras.ops.convert_to_tensor(x)))
    dy = to_numpy(grad(lambda t: keras.ops.sum(keras_acts.sine(t)), x)[0])
    x64 = x.astype(np.float64)
    rtol, atol = TOLERANCES["float32"]
    assert_close(y, np.sin(x64), rtol, atol, x, "sine(x), |x| in [1e5, 1e7]")
    assert_close(dy, np.cos(x64), rtol, atol, x, "sine'(x), |x| in [1e5, 1e7]")


_KERNEL_LAYERS = [
    cls
    for cls in ("TanhSoft", "EIS", "StarReLU")
    if getattr(keras_acts.layers, cls)().spec.torch_kernel is not None
]


def _kernel_layer(name, case, per_channel, channels):
    """A float64 layer with the weights of `case` (per channel: spread
    around them), and {name: value per channel} as float64 arrays."""
    layer = getattr(keras_acts.layers, name)(dtype="float64", per_channel=per_channel)
    layer.build((None, channels))
    values = {}
    for w in layer.trainable_weights:
        k = w.path.split("/")[-1]
        base = case.get(k, float(w.numpy().reshape(-1)[0]))
        spread = 0.05 * np.arange(channels) if per_channel else 0.0
        param = layer.spec.param(k)  # Within the paper's ranges.
        value = np.clip(base + spread, param.low, param.high)
        w.assign(np.broadcast_to(value, w.shape))
        values[k] = np.broadcast_to(w.numpy(), (channels,)).astype(np.float64)
    return layer, values


def _textbook(name, x, p):
    """The paper's formula in float64 torch ops (no overflow for |x| <= 30):
    an independent reference for the gradients, by torch autograd."""
    import torch

    if name == "TanhSoft":
        gate = torch.tanh(p["alpha"] * x + p["beta"] * torch.exp(p["gamma"] * x))
        return gate * torch.log(p["delta"] + torch.exp(x))
    if name == "StarReLU":
        return p["scale"] * torch.relu(x) ** 2 + p["bias"]
    softplus = torch.log1p(torch.exp(x))
    root = torch.sqrt(p["beta"] + p["gamma"] * x * x)
    return x * softplus ** p["alpha"] / (root + p["delta"] * torch.exp(-p["theta"] * x))


@pytest.mark.skipif(BACKEND != "torch", reason="PyTorch autograd test")
@pytest.mark.parametrize("per_channel", [False, True], ids=["shared", "per_channel"])
@pytest.mark.parametrize("name", _KERNEL_LAYERS)
def test_torch_layer_kernel_matches_the_float64_reference(name, per_channel):
    # The hand-written torch kernel against the float64 NumPy reference
    # (values) and torch autograd of the paper's formula in float64 (input
    # and weight gradients), at the defaults and every PARAM_CASES setting.
    import torch
    from references import PARAM_CASES, REFERENCES

    spec = getattr(keras_acts.layers, name)().spec
    reference = REFERENCES[spec.name]
    channels = 4
    rng = np.random.default_rng(SEED)
    xs = np.concatenate([np.linspace(-30.0, 30.0, 121), rng.normal(0.0, 3.0, 119)])
    xs = xs.reshape(-1, channels)
    g = torch.tensor(rng.normal(size=xs.shape))
    for case in [{}, *PARAM_CASES[spec.name]]:
        layer, params = _kernel_layer(name, case, per_channel, channels)
        x = torch.tensor(xs, requires_grad=True)
        y = layer(x)
        assert type(y.grad_fn).__name__.endswith("KernelOpBackward"), case
        y.backward(g)
        expected = np.stack(
            [
                reference(xs[:, c], **{k: float(v[c]) for k, v in params.items()})
                for c in range(channels)
            ],
            axis=1,
        )
        assert_close(y.detach().numpy(), expected, 1e-12, 1e-300, what=f"{case} f")
        leaves = {
            k: torch.tensor(v if per_channel else v[:1], requires_grad=True)
            for k, v in params.items()
        }
        x_ref = torch.tensor(xs, requires_grad=True)
        _textbook(name, x_ref, leaves).backward(g)
        assert_close(x.grad.numpy(), x_ref.grad.numpy(), 1e-10, 1e-12, what="d/dx")
        for w in layer.trainable_weights:
            k = w.path.split("/")[-1]
            got = w.value.grad.numpy().reshape(-1)
            want = leaves[k].grad.numpy()
            assert_close(got, want, 1e-10, 1e-12, what=f"{case} d/d{k}")
            w.value.grad = None


@pytest.mark.skipif(BACKEND != "torch", reason="PyTorch autograd test")
@pytest.mark.parametrize("name", _KERNEL_LAYERS)
def test_torch_layer_kernel_leaves_the_rest_to_the_definition(name):
    # Elements beyond the kernel's bound (|x| > 80, inf, NaN) go through the
    # definition, elementwise: their values and gradients are the function
    # form's, and no element's value depends on the rest of the batch.
    import torch

    layer, params = _kernel_layer(name, {}, False, 1)
    function = getattr(keras_acts, layer.spec.name)
    scalars = {k: float(v[0]) for k, v in params.items()}
    values = [1.0, -200.0, 300.0, 2.0, np.inf, -np.inf, np.nan, -3.0]
    x = torch.tensor(values, dtype=torch.float64).reshape(-1, 1).requires_grad_(True)
    y = layer(x)
    assert type(y.grad_fn).__name__.endswith("KernelOpBackward")
    y.backward(torch.ones_like(y))
    bound = layer.spec.torch_kernel.bound(
        {k: torch.tensor(v) for k, v in params.items()}
    )
    beyond = ~(np.abs(np.asarray(values)) <= bound)
    for i, v in enumerate(values):
        alone = torch.tensor([[v]], dtype=torch.float64)
        np.testing.assert_array_equal(
            y[i].detach().numpy(), layer(alone)[0].detach().numpy(), err_msg=v
        )
        if beyond[i]:
            xf = alone.clone().requires_grad_(True)
            yf = function(xf, **scalars)
            np.testing.assert_array_equal(y[i].detach().numpy(), yf[0].detach())
            if np.isfinite(v):
                yf.backward(torch.ones_like(yf))
                np.testing.assert_array_equal(x.grad[i].numpy(), xf.grad[0].numpy())
    # A zero cotangent at the infs and the NaN (a masked loss) contributes
    # nothing to the weights' gradients, as in the definition's op.
    for w in layer.trainable_weights:
        w.value.grad = None
    finite = torch.tensor(np.isfinite(values), dtype=torch.float64).reshape(-1, 1)
    layer(x.detach().clone()).backward(finite)
    for w in layer.trainable_weights:
        assert torch.isfinite(w.value.grad).all(), (w.path, w.value.grad)
    half = getattr(keras_acts.layers, name)(dtype="float16")
    x = torch.tensor([[1.0, -2.0, 0.5, 3.0]], dtype=torch.float16, requires_grad=True)
    y = half(x)
    assert y.dtype == torch.float16
    assert not type(y.grad_fn).__name__.endswith("KernelOpBackward")


@pytest.mark.skipif(BACKEND != "torch", reason="PyTorch autograd test")
@pytest.mark.parametrize("name", _KERNEL_LAYERS)
def test_torch_layer_kernel_with_fixed_weights_and_constant_input(name):
    # Half the weights fixed (numbers in the kernel, not tensors) and an
    # input that needs no gradient: the trained weights' gradients still
    # match torch autograd of the paper's formula in float64.
    import torch

    spec = getattr(keras_acts.layers, name)().spec
    numeric = [p.name for p in spec.numeric_params]
    fixed = {f"trainable_{n}": False for n in numeric[::2]}
    layer = getattr(keras_acts.layers, name)(dtype="float64", **fixed)
    rng = np.random.default_rng(SEED)
    xs = rng.normal(0.0, 3.0, (64, 4))
    layer.build(xs.shape)
    g = torch.tensor(rng.normal(size=xs.shape))
    y = layer(torch.tensor(xs))
    assert type(y.grad_fn).__name__.endswith("KernelOpBackward")
    y.backward(g)
    values = layer.spec.defaults
    leaves = {
        k: torch.tensor([float(values[k])], dtype=torch.float64, requires_grad=True)
        for k in numeric
    }
    _textbook(name, torch.tensor(xs), leaves).backward(g)
    for w in layer.trainable_weights:
        k = w.path.split("/")[-1]
        got, want = w.value.grad.numpy().reshape(-1), leaves[k].grad.numpy()
        assert_close(got, want, 1e-10, 1e-12, what=f"d/d{k}")
    assert {w.path.split("/")[-1] for w in layer.trainable_weights} == set(
        numeric[1::2]
    )


@pytest.mark.skipif(BACKEND != "torch", reason="PyTorch autograd test")
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", _fused_elementwise_names())
def test_torch_skipped_limits_change_nothing(name, dtype, monkeypatch):
    # Where the formula gives its own limits at +-inf, the forward skips the
    # read of x's range that decides whether to apply them: the values at
    # +-inf, NaN and finite x are those with the limits applied.
    import torch

    values = [-np.inf, -3.0, 0.0, 0.5, 7.0, np.inf, np.nan]
    x = torch.tensor(values, dtype=getattr(torch, dtype))
    fn = getattr(keras_acts, name)
    with torch.no_grad():
        skipped = fn(x.clone())
        monkeypatch.setattr(_kernels, "_torch_formula_gives_limits", lambda *a: False)
        applied = fn(x.clone())
    np.testing.assert_array_equal(skipped.numpy(), applied.numpy(), err_msg=name)


@pytest.mark.skipif(BACKEND != "torch", reason="PyTorch autograd test")
def test_torch_gelu_is_x_where_torch_kernel_overflows():
    # torch's F.gelu forms x (1 + erf) before halving on AVX-512 builds: inf
    # at x >= 2^127, where gelu(x) = x (float64 reference: x Phi(x) = x).
    import torch
    from references import REFERENCES

    x = torch.tensor([3.0e38, 2.0**127, 1.0e31, -3.0e38, 1.0, -1.0])
    expected = REFERENCES["gelu"](x.double().numpy())
    assert_close(
        keras_acts.gelu(x).numpy(), expected, *TOLERANCES["float32"], what="gelu"
    )
