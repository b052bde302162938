"""Loading `.keras` files in a Python process where keras_acts is not importable.

Models are saved here (keras_acts imported) and loaded in a subprocess whose
first act is to put a finder on `sys.meta_path` that raises
ModuleNotFoundError for keras_acts, as if it were not installed (keras_acts is
installed editable into the venv, and the subprocess runs outside the
checkout). There:

* a model using a keras_acts-only name (``Dense(activation="tanhsoft")``), a
  keras_acts layer, a keras_acts layer as ``Dense(activation=...)`` or a
  keras_acts function on a functional-API tensor fails with an error that
  names keras_acts and says ``pip install keras_acts``: Keras's own message,
  which no package can shorten or reorder, exactly as the saving guide
  (docs/guides/saving.md) quotes it;
* a model that uses only names Keras also has (``mish``, ``gelu``,
  ``swish``, ... resolved to keras_acts' kernels at save time) loads, and its
  predictions match the keras_acts model's within float32 rounding (Keras's
  own implementations of the same math are the reference);
* Keras never imports keras_acts along the way.
"""

import json
import os
import pathlib
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
from _util import SEED

import keras_acts
import keras_acts.layers as L

SAVING_GUIDE = pathlib.Path(__file__).resolve().parent.parent / "docs/guides/saving.md"

_SCRIPT = textwrap.dedent(
    """
    import importlib.abc, json, pathlib, sys


    class NotInstalled(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] == "keras_acts":
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None


    sys.meta_path.insert(0, NotInstalled())
    try:
        import keras_acts  # noqa: F401
        raise SystemExit("keras_acts is still importable")
    except ModuleNotFoundError:
        pass

    import numpy as np
    import keras

    folder = pathlib.Path(sys.argv[1])
    results = {}
    for path in sorted(folder.glob("*.keras")):
        try:
            model = keras.models.load_model(path)
        except Exception as error:
            results[path.stem] = {"error": type(error).__name__,
                                  "message": str(error)}
            continue
        x = np.load(folder / f"{path.stem}.x.npy")
        np.save(folder / f"{path.stem}.y.npy",
                keras.ops.convert_to_numpy(model(x)))
        results[path.stem] = {"error": None}
    results["keras_acts imported"] = any(
        n.split(".")[0] == "keras_acts" for n in sys.modules)
    print(json.dumps(results))
    """
)


def _needs_keras_acts():
    inputs = keras.Input((4,))
    h = keras.layers.Dense(5)(inputs)
    return {
        "string": keras.Sequential(
            [keras.Input((4,)), keras.layers.Dense(5, activation="tanhsoft")]
        ),
        "layer": keras.Sequential([keras.Input((4,)), L.TanhSoft()]),
        "layer-as-activation": keras.Sequential(
            [keras.Input((4,)), keras.layers.Dense(5, activation=L.TanhSoft())]
        ),
        "functional-op": keras.Model(inputs, keras_acts.tanhsoft(h)),
    }


def _builtin_names_only():
    names = [n for n in keras_acts.names() if keras_acts.info(n).keras_name]
    assert {"mish", "gelu", "swish", "relu"} <= set(names)
    layers = [keras.Input((4,))]
    layers += [keras.layers.Dense(6, activation=name) for name in names]
    return keras.Sequential(layers)


# One pytest-xdist worker per module: its module fixture saves the models.
pytestmark = pytest.mark.xdist_group("without_keras_acts")


@pytest.fixture(scope="session")
def loaded_without_keras_acts(tmp_path_factory):
    """(results of the subprocess, its folder, the keras_acts predictions)."""
    keras.utils.set_random_seed(SEED)
    folder = tmp_path_factory.mktemp("without")
    models = {**_needs_keras_acts(), "builtin-names": _builtin_names_only()}
    expected = {}
    rng = np.random.default_rng(SEED)
    for key, model in models.items():
        x = rng.normal(0.0, 1.0, (8, 4)).astype("float32")
        model.save(folder / f"{key}.keras")
        np.save(folder / f"{key}.x.npy", x)
        expected[key] = keras.ops.convert_to_numpy(model(x))
    # Outside the checkout, without it on PYTHONPATH.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run(
        [sys.executable, "-c", _SCRIPT, str(folder)],
        capture_output=True,
        text=True,
        cwd=folder,
        env=env,
        timeout=600,
    )
    assert result.returncode == 0, (result.stdout[-2000:], result.stderr[-4000:])
    return json.loads(result.stdout.strip().splitlines()[-1]), folder, expected


@pytest.mark.parametrize("key", sorted(_needs_keras_acts()))
def test_keras_acts_model_fails_with_install_hint(loaded_without_keras_acts, key):
    results, _, _ = loaded_without_keras_acts
    outcome = results[key]
    assert outcome["error"] is not None, f"{key} loaded without keras_acts"
    message = outcome["message"]
    assert "pip install keras_acts" in message, message[-2000:]
    assert "import keras_acts" in message
    # Keras's own text: the hint rides on its "could not locate" error.
    assert "Could not locate" in message


def test_builtin_names_model_loads_without_keras_acts(loaded_without_keras_acts):
    results, folder, expected = loaded_without_keras_acts
    assert results["builtin-names"] == {"error": None}
    y = np.load(folder / "builtin-names.y.npy")
    np.testing.assert_allclose(y, expected["builtin-names"], rtol=1e-5, atol=1e-6)


def test_keras_never_imports_keras_acts(loaded_without_keras_acts):
    results, _, _ = loaded_without_keras_acts
    assert results["keras_acts imported"] is False


# What Keras says after "Exception encountered:", per model of _needs_keras_acts.
_CAUSE = {
    "string": "Could not locate function 'keras_acts>tanhsoft'.",
    "layer": "Could not locate class 'TanhSoft'.",
    "layer-as-activation": "Could not locate class 'TanhSoft'.",
    "functional-op": "Could not locate class 'ActivationOp'.",
}


@pytest.mark.parametrize("key", sorted(_needs_keras_acts()))
def test_error_is_the_one_the_saving_guide_quotes(loaded_without_keras_acts, key):
    """The message's shape, and the guide's quotes of it, are Keras's current ones.

    Fails when Keras changes its message (then update the guide's section
    "Loading where keras_acts is not installed") or when keras_acts' hint
    leaves the entry Keras prints.
    """
    results, _, _ = loaded_without_keras_acts
    message = results[key]["message"]
    guide = SAVING_GUIDE.read_text()
    functional = key == "functional-op"
    model = "functional.Functional" if functional else "sequential.Sequential"
    first_line = message.split("\n", 1)[0]
    # Keras's wrapper comes first and names the model class...
    assert first_line.startswith(f"<class 'keras.src.models.{model}'> could not"), (
        first_line
    )
    assert first_line.split("> ", 1)[1] in guide, first_line
    if not functional:
        assert f"TypeError: {first_line}" in guide
    # ...the cause after the last "Exception encountered:" (a Dense layer
    # whose activation fails wraps it once more), then the entry with the hint.
    assert "\n\nException encountered: " in message, message[-2000:]
    cause = message.rsplit("\n\nException encountered: ", 1)[1]
    assert cause.startswith(_CAUSE[key]), cause[:300]
    assert _CAUSE[key].rstrip(".") in guide, _CAUSE[key]
    entry = cause.split("Full object config: ", 1)[1]
    assert "keras_acts" in entry
    assert "pip install keras_acts" in entry and "import keras_acts" in entry
    # The guide's quote of the cause is Keras's text up to the entry.
    if key == "layer":
        assert "Exception encountered: " + cause.split("{", 1)[0] in guide
