"""benchmarks/bench_models.py runs as is with --quick and prints its table."""

import json
import os
import pathlib
import re
import subprocess
import sys

import keras
import pytest

import keras_acts

ROOT = pathlib.Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "benchmarks" / "bench_models.py"


@pytest.mark.slow
def test_quick_run_prints_its_table(tmp_path):
    out = tmp_path / "models.json"
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=str(ROOT))
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--json", str(out)],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "| model | backend, mode | variant | keras_acts kernels |" in done.stdout
    rows = {r["variant"]: r for r in json.loads(out.read_text())["rows"]}
    assert set(rows) == {"keras", "keras_acts", "layer:ChannelPReLU"}
    for variant, row in rows.items():
        # The quick MLP has 4 GELU activations; plain Keras computes none of
        # them with keras_acts, the keras_acts run all of them where this
        # backend takes "gelu" over, and the layer variant always.
        ours, total = row["kernels"]
        assert total == 4, row
        expected = {
            "keras": 0,
            "keras_acts": 4 if "gelu" in keras_acts.taken_over() else 0,
            "layer:ChannelPReLU": 4,
        }[variant]
        assert ours == expected, row
        assert row["ms"] > 0 and isinstance(row["peak_mib"], float), row
        line = re.search(
            rf"\| mlp \(gelu\) \| .* \| {re.escape(variant)} \|", done.stdout
        )
        assert line, variant
    assert rows["keras"]["x_ms"] == 1.0
    assert keras.backend.backend() == json.loads(out.read_text())["args"]["backends"][0]
