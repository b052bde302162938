"""Every example runs as is with --quick and writes its outputs."""

import gzip
import importlib.util
import os
import pathlib
import struct
import subprocess
import sys

import keras
import numpy as np
import pytest

BACKEND = keras.backend.backend()  # The examples run on it too (same env).
ROOT = pathlib.Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"

# example -> files it must write to --out-dir.
OUTPUTS = {
    "compare_activations.py": ["compare_activations.json", "compare_activations.png"],
    "selu_self_normalizing.py": ["selu_statistics.json", "selu_statistics.png"],
    "siren_image_fit.py": ["siren_results.json", "siren_reconstructions.png"],
    "save_load_export.py": ["model.keras", "saved_model/saved_model.pb"],
    "pau_learns_shape.py": ["pau_shape.json", "pau_shape.png"],
}


def run_example(script, *args, cwd):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=600,
    )


def test_every_example_is_listed():
    assert sorted(p.name for p in EXAMPLES.glob("*.py")) == sorted(OUTPUTS)


@pytest.mark.slow
@pytest.mark.parametrize("script", sorted(OUTPUTS))
def test_example_quick_run(script, tmp_path):
    out_dir = tmp_path / "out"
    done = run_example(
        script, "--quick", "--out-dir", str(out_dir), "--verbose", "0", cwd=tmp_path
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    expected = OUTPUTS[script]
    if script == "save_load_export.py" and BACKEND != "tensorflow":
        # model.export() (SavedModel) is TensorFlow's; the example says so.
        assert "SavedModel export skipped" in done.stdout
        expected = [n for n in expected if not n.startswith("saved_model/")]
    for name in expected:
        assert (out_dir / name).stat().st_size > 0, name
    assert "Traceback" not in done.stderr


def test_compare_activations_unknown_name_exits_2(tmp_path):
    done = run_example(
        "compare_activations.py", "--activations", "relu,mihs", cwd=tmp_path
    )
    assert done.returncode == 2
    assert "unknown activation 'mihs'" in done.stderr
    assert "mish" in done.stderr  # The close match.
    assert not (tmp_path / "outputs").exists()


def _load_compare_module():
    spec = importlib.util.spec_from_file_location(
        "compare_activations", EXAMPLES / "compare_activations.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _write_idx(path, array):
    header = struct.pack(">HBB", 0, 0x08, array.ndim)
    header += struct.pack(f">{array.ndim}I", *array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())


def test_compare_activations_reads_fashion_mnist_idx_files(tmp_path):
    module = _load_compare_module()
    rng = np.random.default_rng(0)
    images = {"train": rng.integers(0, 256, (12, 28, 28)), "t10k": None}
    images["t10k"] = rng.integers(0, 256, (5, 28, 28))
    labels = {"train": rng.integers(0, 10, 12), "t10k": rng.integers(0, 10, 5)}
    for split in ("train", "t10k"):
        _write_idx(tmp_path / f"{split}-images-idx3-ubyte.gz", images[split])
        _write_idx(tmp_path / f"{split}-labels-idx1-ubyte.gz", labels[split])
    x_train, x_test, y_train, y_test = module.load_fashion_mnist(tmp_path)
    np.testing.assert_allclose(x_train, images["train"].reshape(12, -1) / 255.0)
    np.testing.assert_allclose(x_test, images["t10k"].reshape(5, -1) / 255.0)
    np.testing.assert_array_equal(y_train, labels["train"])
    np.testing.assert_array_equal(y_test, labels["t10k"])


def test_compare_activations_missing_idx_file_is_a_clear_error(tmp_path):
    module = _load_compare_module()
    with pytest.raises(module.UsageError, match="train-images-idx3-ubyte"):
        module.load_fashion_mnist(tmp_path)
