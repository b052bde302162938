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
    # compare_activations at its default verbosity: its own progress lines,
    # checked below (one run of it serves both checks).
    quiet = [] if script == "compare_activations.py" else ["--verbose", "0"]
    done = run_example(
        script, "--quick", "--out-dir", str(out_dir), *quiet, cwd=tmp_path
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    if script == "compare_activations.py":
        _check_one_line_per_activation(done.stdout)
    expected = OUTPUTS[script]
    if script == "save_load_export.py" and BACKEND != "tensorflow":
        # model.export() (SavedModel) is TensorFlow's; the example says so.
        assert "SavedModel export skipped" in done.stdout
        expected = [n for n in expected if not n.startswith("saved_model/")]
    for name in expected:
        assert (out_dir / name).stat().st_size > 0, name
    assert "Traceback" not in done.stderr


def _check_one_line_per_activation(stdout):
    """compare_activations' default output: a line per activation, no bars."""
    module = _load_compare_module()
    assert "\x1b" not in stdout and "━" not in stdout
    lines = stdout.splitlines()
    names = module.DEFAULT_ACTIVATIONS.split(",")
    for name in names:
        progress = [line for line in lines if line.startswith(f"{name} ")]
        assert len(progress) == 2, progress  # Its training line, its table row.
        assert "epoch 2/2" in progress[0]
    assert len(lines) < 2 * len(names) + 15, stdout
    assert "median of 3 interleaved repeats" in " ".join(lines)


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


def test_compare_activations_layer_typo_suggests_the_layer():
    module = _load_compare_module()
    with pytest.raises(module.UsageError, match="Did you mean: PAU"):
        module.resolve("layers.Pau")


def test_compare_activations_builds_every_layer():
    # Layers that need arguments get them from the example's recipes; a new
    # layer with required arguments fails here until it has one.
    module = _load_compare_module()
    import keras_acts

    for name in keras_acts.layers.__all__:
        module.resolve(f"layers.{name}")


@pytest.mark.parametrize("name", ["Maxout", "SirenDense", "SELUDense"])
def test_compare_activations_layers_with_arguments_train(name):
    module = _load_compare_module()
    keras.utils.set_random_seed(0)
    model = module.build_model(f"layers.{name}", 8, 3, width=4, depth=2)
    x = np.random.default_rng(0).standard_normal((6, 8)).astype("float32")
    y = np.arange(6) % 3
    history = model.fit(x, y, epochs=1, batch_size=3, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert tuple(model.output_shape) == (None, 3)
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds.count(name) == 2


def test_compare_activations_layer_needing_unknown_arguments_is_a_clear_error(
    monkeypatch,
):
    module = _load_compare_module()

    class Needy(keras.layers.Layer):
        def __init__(self, groups, **kwargs):
            super().__init__(**kwargs)

    monkeypatch.setattr(module, "_layer_classes", lambda: {"Needy": Needy})
    with pytest.raises(module.UsageError, match=r"needs the argument\(s\) groups"):
        module.resolve("layers.Needy")


def test_compare_activations_verbose_flag():
    module = _load_compare_module()
    assert module.parse_args([]).verbose is None  # One line per activation.
    assert module.parse_args(["--verbose"]).verbose == 1  # Keras's bars.
    assert module.parse_args(["--verbose", "0"]).verbose == 0


@pytest.mark.parametrize("n", [15, 40])
def test_compare_activations_curve_styles_are_distinct(n):
    module = _load_compare_module()
    styles = module.curve_styles(n)
    keys = [(s["color"], s["linestyle"], s["marker"]) for s in styles]
    assert len(set(keys)) == n
    for i, a in enumerate(keys):
        for b in keys[i + 1 :]:
            if a[0] == b[0]:  # Same colour: line style and marker differ.
                assert a[1] != b[1] and a[2] != b[2]


def _fake_results(names, epochs, seed=0):
    rng = np.random.default_rng(seed)
    return [
        {
            "activation": name,
            "history": {
                "loss": list(np.sort(rng.uniform(0.01, 2.0, epochs))[::-1]),
                "val_accuracy": list(np.sort(rng.uniform(0.1, 1.0, epochs))),
            },
        }
        for name in names
    ]


@pytest.mark.parametrize("epochs", [2, 30])
def test_compare_activations_plot_identifies_every_curve(epochs):
    import matplotlib.pyplot as plt

    module = _load_compare_module()
    names = [f"act{i}" for i in range(15)]
    fig = module.draw_curves(_fake_results(names, epochs), "test")
    try:
        assert len(fig.axes) == 2
        for ax in fig.axes:
            legend = ax.get_legend()
            assert legend is not None, ax.get_title()
            assert [t.get_text() for t in legend.get_texts()] == names
            styles = {
                (str(line.get_color()), line.get_linestyle(), line.get_marker())
                for line in ax.get_lines()
            }
            assert len(styles) == len(names)
            low, high = ax.get_xlim()
            ticks = [t for t in ax.get_xticks() if low <= t <= high]
            assert ticks and all(float(t).is_integer() for t in ticks), ticks
    finally:
        plt.close(fig)


def test_compare_activations_time_ratio_only_beyond_the_spread():
    module = _load_compare_module()
    results = [
        {"activation": name, "test_accuracy": 0.9, "final_train_loss": 0.1}
        for name in ("relu", "slow", "same")
    ]
    module.add_timing(results, [[1.0, 1.1, 1.2], [2.0, 2.2, 2.4], [1.15, 0.9, 1.3]])
    assert results[1]["time_vs_relu"] == pytest.approx(2.2 / 1.1)
    assert results[2]["time_vs_relu"] is None
    assert results[0]["spread"] == pytest.approx(0.1)
    rows = {line.split()[0]: line for line in module.table(results).splitlines()}
    assert "2.00x" in rows["slow"]
    assert "~ (noise)" in rows["same"]
    assert "1.100 ± 0.100" in rows["relu"]
    note = module.timing_note(results, 3)
    assert "median of 3" in note and "say nothing" not in note
    results.pop(1)
    assert "say nothing" in module.timing_note(results, 3)
