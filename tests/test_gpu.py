"""The fused kernels and jit-compiled training on a GPU (skipped without one).

    KERAS_BACKEND=jax python -m pytest -m gpu

The rest of the suite runs on whatever device the backend picks, so on a GPU
machine it already covers the GPU too; these tests make sure the work really
happens there, in every float dtype, and that a `jit_compile=True` training
step with every learnable layer runs on the device.
"""

import keras
import numpy as np
import pytest
from _util import (
    GRID,
    SEED,
    TOLERANCES,
    assert_close,
    away_from,
    dtype_of,
    fd_derivative,
    grad,
    non_smooth_points,
    reference,
    rounded,
    spec,
    tensor,
    to_numpy,
)

import keras_acts
import keras_acts.layers as L

pytestmark = pytest.mark.gpu

ELEMENTWISE = [n for n in keras_acts.names() if spec(n).elementwise]
LEARNABLE = ["Swish", "PReLU", "Snake", "TanhSoft", "EIS", "PAU", "HP1", "HP2"]


def _device(t):
    """The platform ('gpu', 'cpu', ...) that holds tensor `t`."""
    backend = keras.backend.backend()
    if backend == "jax":
        return next(iter(t.devices())).platform
    if backend == "tensorflow":
        return "gpu" if "GPU" in t.device.upper() else "cpu"
    if backend == "torch":
        return "gpu" if t.device.type == "cuda" else t.device.type
    return "cpu"


@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16"])
@pytest.mark.parametrize("name", ELEMENTWISE)
def test_fused_kernel_on_gpu(name, dtype):
    """Values and input gradients, computed on the GPU, against float64."""
    s = spec(name)
    # Moderate inputs (extremes are the CPU suite's business): no overflow.
    x = rounded(away_from(GRID[np.abs(GRID) <= 20], non_smooth_points(s)), dtype)
    xt = tensor(x, dtype)
    fn = keras_acts.get(name)
    y = fn(xt)
    assert _device(y) == "gpu", f"{name} ran on {_device(y)}"
    assert dtype_of(y) == dtype
    rtol, atol = TOLERANCES[dtype]
    ref = reference(name)
    assert_close(to_numpy(y), ref(x), rtol, atol, x, f"{name} {dtype} on GPU")
    (dx,) = grad(lambda t: keras.ops.sum(fn(t)), xt)
    assert _device(dx) == "gpu"
    assert dtype_of(dx) == dtype
    expected = fd_derivative(ref, x)
    assert_close(to_numpy(dx), expected, rtol, atol, x, f"d{name} {dtype} on GPU")


@pytest.mark.parametrize("layer", LEARNABLE)
def test_jit_compiled_fit_on_gpu(layer):
    keras.utils.set_random_seed(SEED)
    rng = np.random.default_rng(SEED)
    data = rng.normal(size=(256, 16)).astype("float32")
    target = np.sin(data[:, :1])
    act = getattr(L, layer)()
    model = keras.Sequential(
        [keras.Input((16,)), keras.layers.Dense(32), act, keras.layers.Dense(1)]
    )
    model.compile(optimizer="adam", loss="mse", jit_compile=True)
    before = [np.array(w) for w in act.get_weights()]
    history = model.fit(data, target, batch_size=64, epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    assert history.history["loss"][-1] < history.history["loss"][0]
    after = act.get_weights()
    assert any(not np.array_equal(b, a) for b, a in zip(before, after, strict=True))
    assert _device(keras.ops.convert_to_tensor(act.weights[0])) == "gpu"
