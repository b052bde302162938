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


def _rows(out):
    """First word of each line -> the line (continuation lines skipped)."""
    return {line.split()[0]: line for line in out.splitlines() if line[:1].strip()}


def test_list_shows_every_function_and_layer(capsys):
    code, out, _ = run(capsys, "list")
    assert code == 0
    rows = _rows(out)
    for name in keras_acts.names():
        spec = keras_acts.info(name)
        assert name in rows, name
        assert _cli.format_range(spec.output_range) in rows[name]
    for name in keras_acts.layers.__all__:
        assert name in rows, name
    for param in keras_acts.info("swish").params:
        assert f"{param.name}=" in rows["swish"]
    assert " yes " in rows["PAU"] and " no " in rows["Mish"]


def test_list_fits_100_columns_and_has_no_latex(capsys):
    code, out, _ = run(capsys, "list")  # capsys: stdout is not a terminal.
    assert code == 0
    assert max(len(line) for line in out.splitlines()) <= _cli.NON_TTY_WIDTH
    assert "\\" not in out and "\\frac" not in out
    assert "x · tanh(ln(1 + exp(x)))" in _rows(out)["mish"]


def test_list_follows_a_narrower_columns_setting(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "72")
    code, out, _ = run(capsys, "list", "--functions")
    assert code == 0
    assert max(len(line) for line in out.splitlines()) <= 72
    assert "tanhsoft" in out


def test_list_fits_a_terminal(capsys, monkeypatch):
    import shutil

    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    monkeypatch.setattr(
        shutil, "get_terminal_size", lambda *a: os.terminal_size((132, 40))
    )
    assert _cli.terminal_width() == 132  # A terminal may be wider than 100.
    monkeypatch.setattr(
        shutil, "get_terminal_size", lambda *a: os.terminal_size((64, 40))
    )
    code, out, _ = run(capsys, "list")
    assert code == 0
    assert max(len(line) for line in out.splitlines()) <= 64


@pytest.mark.parametrize(
    "flag, shown, hidden", [("--functions", "mish", "PAU"), ("--layers", "PAU", "eis")]
)
def test_list_filters(capsys, flag, shown, hidden):
    code, out, _ = run(capsys, "list", flag)
    assert code == 0
    rows = _rows(out)
    assert shown in rows
    assert hidden not in rows


def test_table_wraps_the_widest_column():
    rows = [["a", "word " * 20, "x"], ["bb", "short", "y"]]
    text = _cli._table(rows, ["name", "text", "z"], width=40)
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 40
    assert len(lines) > 4  # The long cell took several lines.
    assert " ".join(w for line in lines[2:] for w in line.split()).count("word") == 20


@pytest.mark.parametrize(
    "latex, text",
    [
        (r"x \cdot \tanh(\ln(1 + e^{x}))", "x · tanh(ln(1 + exp(x)))"),
        (r"\frac{1}{1 + e^{-x}}", "1 / (1 + exp(-x))"),
        (
            r"\begin{cases} x & x > 0 \\ 0 & x \le 0\end{cases}",
            "{x if x > 0; 0 if x ≤ 0}",
        ),
        (r"\sin(\omega_0 x)", "sin(ω₀ x)"),
        (r"x + \frac{\sin^2(\alpha x)}{\alpha}", "x + (sin²(α x) / α)"),
    ],
)
def test_plain_text_formulas(latex, text):
    from keras_acts import _plaintext

    assert _plaintext.plain(latex) == text


def test_every_formula_has_a_plain_form():
    from keras_acts import _plaintext

    for name in keras_acts.names():
        text = _plaintext.plain(keras_acts.info(name).formula)
        assert "\\" not in text and text.count("(") == text.count(")"), name


def test_info_shows_metadata_and_docstring(capsys):
    spec = keras_acts.info("swish")
    code, out, _ = run(capsys, "info", "swish")
    assert code == 0
    assert "x · σ(β x)" in out
    assert spec.reference.url in out
    assert spec.summary in out
    assert "beta" in out
    assert spec.public.__doc__.strip() in out


@pytest.mark.parametrize(
    "typed, layer",
    [("PAU", "PAU"), ("prelu", "PReLU"), ("hp1", "HP1"), ("maxout", "Maxout")],
)
def test_info_takes_layer_names_in_any_case(capsys, typed, layer):
    code, out, err = run(capsys, "info", typed)
    assert code == 0, err
    assert f"keras_acts.layers.{layer})" in out
    cls = getattr(keras_acts.layers, layer)
    assert _cli._first_line(cls.__doc__) in out
    assert f"constructor: {layer}(" in out


def test_function_names_win_over_layer_names(capsys):
    assert _cli.resolve("mish")[0] == "function"
    assert _cli.resolve("Mish")[:2] == ("layer", "Mish")
    assert _cli.resolve("MISH")[0] == "function"
    assert _cli.resolve("pau")[:2] == ("layer", "PAU")


@pytest.mark.parametrize(
    "argv",
    [["info", "mihs"], ["plot", "mish", "swihs"], ["bench", "mihs"]],
)
def test_unknown_name_exits_2_with_close_matches(capsys, argv):
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    assert "Unknown activation or layer" in err
    assert "Did you mean" in err
    assert "'mish'" in err or "'swish'" in err
    assert "python -m keras_acts list" in err
    assert len(err.strip().splitlines()) == 1


def test_unknown_layer_name_suggests_the_layer(capsys):
    code, _, err = run(capsys, "info", "Pau2")
    assert code == 2
    assert "'PAU'" in err


def test_plot_writes_png(capsys, tmp_path):
    path = tmp_path / "acts.png"
    code, out, _ = run(capsys, "plot", "mish", "swish", "-o", str(path))
    assert code == 0
    assert str(path) in out
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_layers_at_their_initial_shape(capsys, tmp_path, monkeypatch):
    drawn = {}
    monkeypatch.setattr(
        _cli, "plot_curves", lambda entries, path, *a: drawn.update(entries=entries)
    )
    code, out, err = run(
        capsys, "plot", "pau", "prelu", "Mish", "-o", str(tmp_path / "p.png")
    )
    assert code == 0, err
    labels = [label for label, _, _ in drawn["entries"]]
    assert labels == ["PAU (initial)", "PReLU (initial)", "Mish"]
    xs = np.linspace(-2.0, 2.0, 9)
    pau = keras_acts.layers.PAU()
    _, spec, params = drawn["entries"][0]
    values, _ = _cli.curves(spec, xs, params)
    layer_out = pau(xs.astype("float32")[:, None])
    np.testing.assert_allclose(
        values, np.asarray(layer_out).ravel(), rtol=1e-4, atol=1e-5
    )
    _, spec, params = drawn["entries"][1]
    values, _ = _cli.curves(spec, xs, params)
    np.testing.assert_allclose(values, np.maximum(xs, 0.0))  # PReLU starts at 0.


def test_plot_writes_layer_png(capsys, tmp_path):
    path = tmp_path / "pau.png"
    code, _, err = run(capsys, "plot", "pau", "-o", str(path))
    assert code == 0, err
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
        (["plot", "mish", "-o", "/nonexistent/x.png"], "does not exist"),
        (["plot", "mish", "-o", "mish.foo"], "unknown image type 'foo'"),
        (["plot", "maxout"], "not a function of one number"),
        (["bench", "PAU"], "takes activation functions"),
    ],
)
def test_bad_arguments_exit_2(capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert message in err
    assert out == ""
    assert len(err.strip().splitlines()) == 1


def test_unwritable_output_is_one_line(capsys, tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(_cli, "plot_curves", refuse)
    code, _, err = run(capsys, "plot", "mish", "-o", str(tmp_path / "x.png"))
    assert code == 2
    assert "cannot write it (Permission denied)" in err


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


def test_bench_reports_times_relative_to_relu_and_keras(capsys):
    code, out, _ = run(
        capsys, "bench", "mish", "tanhsoft", "--size", "1000", "--repeats", "2"
    )
    assert code == 0
    rows = {line.split()[0]: line.split() for line in out.splitlines() if line}
    assert float(rows["mish"][1]) > 0
    assert float(rows["mish"][2]) > 0
    assert float(rows["mish"][3]) > 0  # Keras's own mish.
    assert float(rows["mish"][4]) > 0
    assert rows["tanhsoft"][3:] == ["-", "-"]  # Keras has no tanhsoft.
    assert "Indicative" in out and "benchmarks/" in out
    assert max(len(line) for line in out.splitlines()) <= _cli.NON_TTY_WIDTH


def test_bench_times_keras_own_function_not_the_taken_over_one():
    from keras_acts import _keras_internals

    original = _cli.keras_function(keras_acts.info("mish"))
    assert original is _keras_internals.keras_builtin("mish")
    assert original.__module__.startswith("keras")
    assert _cli.keras_function(keras_acts.info("tanhsoft")) is None


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
    assert "Unknown activation or layer 'nope_not_a_name'" in done.stderr
    assert "python -m keras_acts list" in done.stderr
