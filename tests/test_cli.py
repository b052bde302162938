"""The `python -m keras_acts` command line: every subcommand and its errors."""

import math
import os
import subprocess
import sys

import numpy as np
import pytest

import keras_acts
from keras_acts import _cli

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(capsys, *argv):
    code = _cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_list_shows_every_name_with_formula_and_range(capsys):
    code, out, _ = run(capsys, "list")
    assert code == 0
    lines = out.splitlines()
    for name in keras_acts.names():
        spec = keras_acts.info(name)
        row = next(line for line in lines if line.split()[:1] == [name])
        assert spec.formula in row
        assert _cli.format_range(spec.output_range) in row
        for param in spec.params:
            assert f"{param.name}=" in row


def test_info_shows_metadata_and_docstring(capsys):
    spec = keras_acts.info("swish")
    code, out, _ = run(capsys, "info", "swish")
    assert code == 0
    assert spec.formula in out
    assert spec.reference.url in out
    assert spec.summary in out
    assert "beta" in out
    assert spec.public.__doc__.strip() in out


@pytest.mark.parametrize(
    "argv",
    [["info", "mihs"], ["plot", "mish", "swihs"], ["bench", "mihs"]],
)
def test_unknown_name_exits_2_with_close_matches(capsys, argv):
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    assert "Unknown activation" in err
    assert "Did you mean" in err
    assert "'mish'" in err or "'swish'" in err


def test_plot_writes_png(capsys, tmp_path):
    path = tmp_path / "acts.png"
    code, out, _ = run(capsys, "plot", "mish", "swish", "-o", str(path))
    assert code == 0
    assert str(path) in out
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_default_file_name(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, _ = run(capsys, "plot", "relu", "mish")
    assert code == 0
    assert (tmp_path / "relu_mish.png").stat().st_size > 0


@pytest.mark.parametrize(
    "argv, message",
    [
        (["plot", "mish", "--xmin", "2", "--xmax", "1"], "--xmin must be below"),
        (["plot", "softmax"], "not elementwise"),
        (["bench", "mish", "--size", "0"], "--size and --repeats"),
    ],
)
def test_bad_arguments_exit_2(capsys, argv, message):
    if argv[1] not in keras_acts.names():
        pytest.fail(f"{argv[1]} is no longer in the registry; update this test")
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert message in err


def test_curves_use_the_analytic_derivative():
    # f' from the spec must match central differences of f from the spec.
    xs = np.linspace(-4.0, 4.0, 801)
    h = 1e-5
    for spec in filter(_cli.plottable, map(keras_acts.info, keras_acts.names())):
        values, slopes = _cli.curves(spec, xs)
        up, _ = _cli.curves(spec, xs + h)
        down, _ = _cli.curves(spec, xs - h)
        numeric = (up - down) / (2 * h)
        away = np.ones_like(xs, dtype=bool)
        for kink in spec.kinks:
            if math.isfinite(kink):
                away &= np.abs(xs - kink) > 1e-3
        np.testing.assert_allclose(
            slopes[away], numeric[away], rtol=1e-4, atol=1e-5, err_msg=spec.name
        )
        assert values.dtype == np.float64


def test_bench_reports_times_relative_to_relu(capsys):
    code, out, _ = run(capsys, "bench", "mish", "--size", "1000", "--repeats", "2")
    assert code == 0
    rows = {line.split()[0]: line.split() for line in out.splitlines() if line}
    assert float(rows["mish"][1]) > 0
    assert float(rows["mish"][2]) > 0
    assert "Indicative" in out and "benchmarks/" in out


def test_missing_subcommand_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        _cli.main([])
    assert exit_info.value.code == 2


def test_python_dash_m_entry_point():
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=ROOT)
    done = subprocess.run(
        [sys.executable, "-m", "keras_acts", "info", "nope_not_a_name"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=300,
    )
    assert done.returncode == 2
    assert "Unknown activation 'nope_not_a_name'" in done.stderr
