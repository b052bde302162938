"""Tests for the rational units (PAU, OrthogonalPade, HP1, HP2).

Every value is checked against an independent float64 NumPy reference built
from `numpy.polynomial` (and `scipy.special` for Chebyshev U), never against
the code under test.
"""

import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
from _util import grad, layer_vjp
from numpy.polynomial import chebyshev, hermite, hermite_e, laguerre, legendre
from numpy.polynomial import polynomial as power

import keras_acts  # noqa: F401
from keras_acts import _rational
from keras_acts.layers import HP1, HP2, PAU, OrthogonalPade

# CI also runs this module beyond the TensorFlow step (see .ci/run).
pytestmark = [pytest.mark.ci_jax, pytest.mark.ci_torch]

BACKEND = keras.backend.backend()

# Published PAU coefficients (Molina et al. 2019), version A, degrees 5/4,
# leaky ReLU slope 0.01.
PUBLISHED_A = (0.029793, 0.618374, 2.323309, 3.051936, 1.485420, 0.251024)
PUBLISHED_B = (-1.141955, 4.393160, 0.871471, 0.347197)


def _chebyshev_u_vander(x, degree):
    from scipy.special import eval_chebyu

    return np.stack([eval_chebyu(i, x) for i in range(degree + 1)], axis=-1)


VANDER = {
    "power": power.polyvander,
    "chebyshev_first_kind": chebyshev.chebvander,
    "chebyshev_second_kind": _chebyshev_u_vander,
    "hermite_probabilists": hermite_e.hermevander,
    "hermite_physicists": hermite.hermvander,
    "laguerre": laguerre.lagvander,
    "legendre": legendre.legvander,
}


def reference(x, numerator, denominator, version, basis):
    """float64 N/D from numpy.polynomial; coefficients may be per-channel."""
    x = np.asarray(x, np.float64)
    numerator = np.asarray(numerator, np.float64)
    denominator = np.asarray(denominator, np.float64)
    m, n = len(numerator) - 1, len(denominator)
    f = VANDER[basis](x, max(m, n))  # (..., degree+1)
    top = sum(numerator[i] * f[..., i] for i in range(m + 1))
    if version == "A":
        bottom = 1.0 + sum(
            np.abs(denominator[j - 1]) * np.abs(f[..., j]) for j in range(1, n + 1)
        )
    else:
        bottom = 1.0 + np.abs(
            sum(denominator[j - 1] * f[..., j] for j in range(1, n + 1))
        )
    return top / bottom


def _grid():
    # Dense near the origin, and well beyond |x| = 1 where the scaled form runs.
    return np.concatenate(
        [np.linspace(-3.0, 3.0, 61), [-50.0, -7.5, -1.0, 1.0, 1.0001, 12.0, 40.0]]
    )


@pytest.mark.parametrize("basis", list(_rational.BASES))
def test_each_basis_polynomial_matches_numpy(basis):
    x = _grid()
    degree = 6
    expected = VANDER[basis](x, degree)
    for i in range(degree + 1):
        numerator = np.eye(degree + 1)[i]
        got = keras.ops.convert_to_numpy(
            _rational.rational(x, list(numerator), [0.0], "A", basis)
        )
        np.testing.assert_allclose(
            got, expected[:, i], rtol=1e-12, atol=1e-12, err_msg=f"f_{i}"
        )


@pytest.mark.parametrize("version", ["A", "B"])
@pytest.mark.parametrize("basis", list(_rational.BASES))
def test_values_match_float64_reference(basis, version):
    rng = np.random.default_rng(0)
    numerator = rng.normal(size=6)
    denominator = rng.normal(size=4)
    x = _grid()
    got = keras.ops.convert_to_numpy(
        _rational.rational(x, list(numerator), list(denominator), version, basis)
    )
    expected = reference(x, numerator, denominator, version, basis)
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("degrees", [(3, 2), (2, 4), (6, 6)])
def test_other_degrees(degrees):
    m, n = degrees
    rng = np.random.default_rng(1)
    numerator, denominator = rng.normal(size=m + 1), rng.normal(size=n)
    x = _grid()
    for version in ("A", "B"):
        got = keras.ops.convert_to_numpy(
            _rational.rational(x, list(numerator), list(denominator), version, "power")
        )
        expected = reference(x, numerator, denominator, version, "power")
        np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("version", ["A", "B"])
@pytest.mark.parametrize("basis", ["power", "hermite_physicists", "laguerre"])
def test_gradients_match_finite_differences(basis, version):
    rng = np.random.default_rng(2)
    numerator = rng.normal(size=6)
    denominator = rng.normal(size=4)
    # Away from kinks of |.| so central differences are valid.
    x = np.array([-4.3, -1.7, -0.6, -0.13, 0.21, 0.77, 1.3, 2.9, 9.0])
    upstream = rng.normal(size=x.shape)

    def loss_np(xv, num, den):
        return np.sum(upstream * reference(xv, num, den, version, basis))

    def loss(xt, *coeffs):
        y = _rational.rational(xt, coeffs[:6], coeffs[6:], version, basis)
        return keras.ops.sum(keras.ops.convert_to_tensor(upstream) * y)

    # The backend's own autodiff, through the fused kernel's custom gradient.
    tensors = [keras.ops.convert_to_tensor(np.asarray(v)) for v in (x, *numerator)]
    tensors += [keras.ops.convert_to_tensor(np.asarray(v)) for v in denominator]
    grads = [keras.ops.convert_to_numpy(g) for g in grad(loss, *tensors)]

    eps = 1e-6
    dx_fd = (
        upstream
        * (
            reference(x + eps, numerator, denominator, version, basis)
            - reference(x - eps, numerator, denominator, version, basis)
        )
        / (2 * eps)
    )
    np.testing.assert_allclose(grads[0], dx_fd, rtol=1e-5, atol=1e-7)
    theta = np.concatenate([numerator, denominator])
    for k in range(len(theta)):
        plus, minus = theta.copy(), theta.copy()
        plus[k] += eps
        minus[k] -= eps
        fd = (loss_np(x, plus[:6], plus[6:]) - loss_np(x, minus[:6], minus[6:])) / (
            2 * eps
        )
        np.testing.assert_allclose(
            grads[1 + k], fd, rtol=1e-5, atol=1e-7, err_msg=f"coef {k}"
        )


@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16"])
@pytest.mark.parametrize("layer_cls", [PAU, HP1, HP2])
@pytest.mark.parametrize("version", ["A", "B"])
def test_finite_output_and_gradients_for_extreme_inputs(layer_cls, version, dtype):
    ops = keras.ops

    def as_float(t, dtype):
        return ops.convert_to_numpy(ops.cast(t, dtype))

    finfo_max = {"float32": 1e30, "float16": 65504.0, "bfloat16": 1e30}[dtype]
    values = [0.0, 1e-30, -1e-7, 0.999, -1.0, 1.0001, 3.0, -1e3, 1e4, 3e4]
    values += [finfo_max, -finfo_max]
    x = ops.cast(ops.convert_to_tensor(np.array(values, np.float32)), dtype)
    policy = {"float32": "float32", "float16": "mixed_float16",
              "bfloat16": "mixed_bfloat16"}[dtype]  # fmt: skip
    layer = layer_cls(version=version, dtype=policy)
    layer.build(x.shape)
    y, grads = layer_vjp(layer, x)
    assert keras.backend.standardize_dtype(y.dtype) == dtype
    num, den = layer.coefficients()
    x64 = as_float(x, "float64")
    expected = reference(x64, num, den, version, layer.basis)
    # Finite wherever the true value is representable in `dtype`.
    largest = {"float32": 3.4028235e38, "float16": 65504.0, "bfloat16": 3.3895e38}
    representable = np.abs(expected) < 0.5 * largest[dtype]
    got = as_float(y, "float32")
    assert np.all(np.isfinite(got[representable]))
    assert len(grads) == 1 + len(layer.trainable_weights)
    for g in grads:
        assert np.all(np.isfinite(as_float(g, "float32")))
    tolerance = 1e-5 if dtype == "float32" else 2e-2
    np.testing.assert_allclose(
        got[representable], expected[representable], rtol=tolerance, atol=1e-2
    )


def test_fit_beats_published_leaky_relu_coefficients():
    layer = PAU(numerator_degree=5, denominator_degree=4, version="A")
    x = np.linspace(-3.0, 3.0, 20001)
    target = np.where(x >= 0, x, 0.01 * x)
    num, den = layer.coefficients()
    ours = np.max(np.abs(reference(x, num, den, "A", "power") - target))
    published = np.max(
        np.abs(reference(x, PUBLISHED_A, PUBLISHED_B, "A", "power") - target)
    )
    assert ours <= published
    assert abs(layer.fit_error - ours) < 1e-3  # fit_error is the same measure.


def test_fit_to_names_and_callables():
    from scipy.special import expit

    unit = PAU(approximate="swish")
    x = np.linspace(-3, 3, 1001)
    num, den = unit.coefficients()
    err = np.max(np.abs(reference(x, num, den, "A", "power") - x * expit(x)))
    assert err < 0.02
    assert unit.fit_error == pytest.approx(err, abs=1e-3)
    unit = OrthogonalPade(basis="legendre", approximate=np.tanh, fit_range=(-4, 4))
    x = np.linspace(-4, 4, 1001)
    num, den = unit.coefficients()
    err = np.max(np.abs(reference(x, num, den, "A", "legendre") - np.tanh(x)))
    assert err < 0.02
    # Deterministic and cached.
    again = OrthogonalPade(basis="legendre", approximate=np.tanh, fit_range=(-4, 4))
    np.testing.assert_array_equal(again.coefficients()[0], num)


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        (dict(approximate="leaky_rel"), "'leaky_relu'"),
        (dict(approximate=3), "approximate"),
        (dict(version="C"), "version"),
        (dict(numerator_degree=-1), "numerator_degree"),
        (dict(denominator_degree=2.5), "denominator_degree"),
        (dict(fit_range=(3, -3)), "fit_range"),
        (dict(per_channel="yes"), "per_channel"),
        (dict(initial_coefficients={"numerator": [1.0]}), "initial_coefficients"),
        (dict(approximate=None), "approximate"),
    ],
)
def test_bad_arguments_raise(kwargs, fragment):
    with pytest.raises(ValueError, match=fragment):
        PAU(**kwargs)


def test_bad_basis_raises():
    with pytest.raises(ValueError, match="basis"):
        OrthogonalPade(basis="hermit")


@pytest.mark.parametrize(
    "layer",
    [
        lambda: PAU(version="B", per_channel=True, axis=1),
        lambda: OrthogonalPade(basis="chebyshev_second_kind", approximate="mish"),
        lambda: HP1(numerator_degree=4, denominator_degree=3),
        lambda: HP2(approximate=np.tanh),
    ],
)
def test_get_config_round_trip(layer):
    original = layer()
    config = original.get_config()
    clone = type(original).from_config(config)
    assert clone.get_config() == config
    for a, b in zip(original.coefficients(), clone.coefficients(), strict=True):
        np.testing.assert_array_equal(a, b)
    # Through Keras's generic (de)serialization, by registered name.
    revived = keras.layers.deserialize(keras.layers.serialize(original))
    assert type(revived) is type(original)


def _regression_data():
    rng = np.random.default_rng(0)
    x = rng.uniform(-2, 2, size=(256, 4)).astype("float32")
    y = (np.sin(2 * x[:, :1]) * x[:, 1:2] + np.abs(x[:, 2:3])).astype("float32")
    return x, y


@pytest.mark.parametrize("layer_cls", [PAU, HP1])
def test_small_network_learns(layer_cls):
    keras.utils.set_random_seed(0)
    x, y = _regression_data()
    unit = layer_cls()
    model = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(32), unit, keras.layers.Dense(1)]
    )
    model.compile(keras.optimizers.Adam(0.01), "mse")
    before = [c.copy() for c in unit.coefficients()]
    loss0 = model.evaluate(x, y, verbose=0)
    model.fit(x, y, epochs=30, batch_size=64, verbose=0)
    loss1 = model.evaluate(x, y, verbose=0)
    assert loss1 < 0.5 * loss0
    after = unit.coefficients()
    assert max(np.max(np.abs(a - b)) for a, b in zip(after, before, strict=True)) > 1e-3


def test_learned_coefficients_survive_keras_round_trip(tmp_path):
    keras.utils.set_random_seed(0)
    x, y = _regression_data()
    model = keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(8),
            PAU(approximate=np.tanh),  # A callable: not serializable itself.
            keras.layers.Dense(8),
            HP2(per_channel=True),
            keras.layers.Dense(1),
        ]
    )
    model.compile("adam", "mse")
    model.fit(x, y, epochs=2, batch_size=64, verbose=0)
    path = tmp_path / "model.keras"
    model.save(path)
    expected = {
        layer.name: layer.coefficients()
        for layer in model.layers
        if hasattr(layer, "coefficients")
    }
    np.savez(tmp_path / "expected.npz", x=x[:16], y=model.predict(x[:16], verbose=0))
    script = textwrap.dedent(
        f"""
        import numpy as np, keras, keras_acts
        model = keras.models.load_model({str(path)!r})
        data = np.load({str(tmp_path / "expected.npz")!r})
        got = model.predict(data["x"], verbose=0)
        np.testing.assert_array_equal(got, data["y"])
        saved = {{}}
        for layer in model.layers:
            if hasattr(layer, "coefficients"):
                num, den = layer.coefficients()
                saved[layer.name + "/num"], saved[layer.name + "/den"] = num, den
        np.savez({str(tmp_path / "loaded.npz")!r}, **saved)
        """
    )
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=os.getcwd())
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env
    )
    assert out.returncode == 0, out.stderr[-3000:]
    loaded = np.load(tmp_path / "loaded.npz")
    assert sorted(loaded.files) == sorted(
        f"{name}/{part}" for name in expected for part in ("num", "den")
    )
    for name, (num, den) in expected.items():
        np.testing.assert_array_equal(loaded[f"{name}/num"], num)
        np.testing.assert_array_equal(loaded[f"{name}/den"], den)


@pytest.mark.skipif(
    BACKEND == "torch",
    reason="jit_compile=True is torch.compile on torch: minutes of Inductor "
    "compilation on CPU (XLA on TensorFlow and JAX)",
)
def test_mixed_float16_jit_fit_step_is_finite():
    keras.utils.set_random_seed(0)
    x, y = _regression_data()
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_float16")
    try:
        model = keras.Sequential(
            [
                keras.Input((4,)),
                keras.layers.Dense(16),
                PAU(),
                keras.layers.Dense(16),
                HP1(version="B"),
                keras.layers.Dense(1, dtype="float32"),
            ]
        )
        model.compile("adam", "mse", jit_compile=True)
        history = model.fit(x, y, epochs=2, batch_size=64, verbose=0)
        assert model.layers[1].compute_dtype == "float16"
        assert model.layers[1].numerator.dtype == "float32"
    finally:
        keras.config.set_dtype_policy(previous)
    assert np.all(np.isfinite(history.history["loss"]))
    for layer in model.layers[1], model.layers[3]:
        for c in layer.coefficients():
            assert np.all(np.isfinite(c))


@pytest.mark.parametrize("axis", [-1, 1])
def test_per_channel_on_conv2d_output(axis):
    keras.utils.set_random_seed(0)
    channels = 3
    conv = keras.layers.Conv2D(channels, 3)
    unit = PAU(per_channel=True, axis=axis)
    x = np.random.default_rng(0).normal(size=(2, 6, 6, 2)).astype("float32")
    features = conv(x)
    if axis == 1:  # channels_first layout (TF's CPU Conv2D has no NCHW kernel).
        features = keras.ops.transpose(features, (0, 3, 1, 2))
    unit.build(features.shape)
    num, den = unit.coefficients()
    assert num.shape == (6, channels) and den.shape == (4, channels)
    # Give each channel different coefficients, then check channel by channel.
    rng = np.random.default_rng(3)
    num = num + 0.1 * rng.normal(size=num.shape)
    den = den + 0.1 * rng.normal(size=den.shape)
    unit.numerator.assign(num)
    unit.denominator.assign(den)
    got = keras.ops.convert_to_numpy(unit(features))
    features = keras.ops.convert_to_numpy(features).astype(np.float64)
    for c in range(channels):
        index = (..., c) if axis == -1 else (slice(None), c)
        expected = reference(features[index], num[:, c], den[:, c], "A", "power")
        np.testing.assert_allclose(got[index], expected, rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="axis"):
        PAU(per_channel=True, axis=5).build((2, 3))


def _torch_unit_gradients(x, num, den, version, basis, fast, monkeypatch):
    """Values and gradients (x, numerator, denominator) of a rational unit on
    torch, by `_rational.torch_kernel` (fast) or the definition's fused op."""
    import torch

    from keras_acts._rational import torch_kernel

    monkeypatch.setattr(
        torch_kernel, "applies", torch_kernel.applies if fast else lambda t: False
    )
    xt = x.clone().requires_grad_(True)
    a = num.clone().requires_grad_(True)
    b = den.clone().requires_grad_(True)
    y = _rational.rational(xt, list(a.unbind(0)), list(b.unbind(0)), version, basis)
    g = torch.linspace(-1.0, 1.0, y.numel(), dtype=x.dtype).reshape(y.shape)
    y.backward(g)
    monkeypatch.undo()
    return y.detach(), xt.grad, a.grad, b.grad


@pytest.mark.skipif(BACKEND != "torch", reason="PyTorch eager path")
@pytest.mark.parametrize("version", ["A", "B"])
@pytest.mark.parametrize("basis", list(_rational.BASES))
@pytest.mark.parametrize("per_channel", [False, True])
def test_torch_kernel_matches_the_definition(basis, version, per_channel, monkeypatch):
    # Eager torch evaluates the unit unscaled where |x| is below its bound
    # (`_rational.torch_kernel`), and by the definition beyond it (and at
    # inf and NaN): values and every gradient agree with the definition's
    # fused op in float64, per-channel coefficients included.
    import torch

    rng = np.random.default_rng(4)
    channels = 3
    shape = (6, channels) if per_channel else (6,)
    num = torch.tensor(rng.normal(size=shape), dtype=torch.float64)
    den = torch.tensor(rng.normal(size=(4, *shape[1:])), dtype=torch.float64)
    x = torch.tensor(rng.normal(scale=3.0, size=(40, channels)), dtype=torch.float64)
    x[0] = torch.tensor([1e200, -1e200, 0.0], dtype=torch.float64)
    x[1] = torch.tensor([1e60, 1.0, -1.0], dtype=torch.float64)
    fast = _torch_unit_gradients(x, num, den, version, basis, True, monkeypatch)
    slow = _torch_unit_gradients(x, num, den, version, basis, False, monkeypatch)
    for what, got, expected in zip(["y", "dx", "da", "db"], fast, slow, strict=True):
        np.testing.assert_allclose(
            got.numpy(), expected.numpy(), rtol=1e-9, atol=1e-12, err_msg=what
        )
    # inf and NaN: the definition's values, elementwise.
    x[2] = torch.tensor([np.inf, -np.inf, np.nan], dtype=torch.float64)
    fast = _torch_unit_gradients(x, num, den, version, basis, True, monkeypatch)
    slow = _torch_unit_gradients(x, num, den, version, basis, False, monkeypatch)
    np.testing.assert_allclose(fast[0].numpy(), slow[0].numpy(), 1e-9, 1e-12)
    np.testing.assert_allclose(fast[1].numpy(), slow[1].numpy(), 1e-9, 1e-12)


@pytest.mark.skipif(BACKEND != "torch", reason="PyTorch eager path")
def test_torch_kernel_saves_three_tensors_and_differentiates_twice():
    # x, the denominator and the output (of x's size), and the coefficients;
    # a gradient taken with create_graph=True differentiates again (the
    # definition, recorded by torch autograd).
    import torch

    x = torch.tensor(np.linspace(-3.7, 4.1, 33), requires_grad=True)
    layer = PAU(dtype="float64")
    layer.build(x.shape)
    saved = []

    def pack(t):
        saved.append(t)
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        y = layer(x)
    assert y.grad_fn.name() == "RationalPowerAOpBackward"
    large = [t for t in saved if t.shape == x.shape]
    assert len(large) == 3 and large[0] is x
    (dx,) = torch.autograd.grad(y.sum(), x, create_graph=True)
    (d2x,) = torch.autograd.grad(dx.sum(), x)
    num, den = layer.coefficients()
    xs = x.detach().numpy()
    h = 1e-4
    expected = (
        reference(xs + h, num, den, "A", "power")
        - 2 * reference(xs, num, den, "A", "power")
        + reference(xs - h, num, den, "A", "power")
    ) / (h * h)
    np.testing.assert_allclose(d2x.numpy(), expected, rtol=1e-4, atol=1e-4)
