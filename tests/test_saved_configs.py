"""Saved configs: malformed keras_acts entries, old files, and re-imports.

* A `.keras` file (made by saving a good model and editing ``config.json``
  inside the zip) or a config dict with a malformed keras_acts entry fails on
  load with a ValueError that names the entry, what was wrong and what is
  allowed (the allowed values are read from the registry's `Param` metadata;
  unknown names list close matches). Where the entry is a layer of the model
  (or a functional-API op), the error raised is that ValueError; where it sits
  inside a Keras layer (``Dense(activation=...)``), Keras's
  `Operation.from_config` re-raises it as a TypeError, so there the ValueError
  is checked in the exception chain and its text in what the user sees.
* Every keras_acts class saves an install hint (``"requires"``) first in its
  config and loads it back; files saved before the hint existed still load.
* `import keras_acts` twice, `importlib.reload` of the package and of its
  submodules, and a re-import after its modules were dropped from
  `sys.modules` leave the registry intact: same names, string names resolve in
  `Dense(activation=...)` to the right function (checked against the float64
  references of tests/references.py), `use_keras_builtins` still switches,
  saving and loading still work. Run in a subprocess, so the reloads do not
  leak into the other tests.
"""

import json
import os
import re
import subprocess
import sys
import textwrap
import zipfile

import keras
import numpy as np
import pytest
from _util import SEED

import keras_acts
import keras_acts.layers as L
from keras_acts import _saving, constraints, initializers
from keras_acts._symbolic import ActivationOp

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TESTS = os.path.join(ROOT, "tests")


# --- Helpers -----------------------------------------------------------------------


def _walk(config):
    """Every dict inside a (nested) config, depth first."""
    if isinstance(config, dict):
        yield config
        for value in config.values():
            yield from _walk(value)
    elif isinstance(config, list):
        for value in config:
            yield from _walk(value)


def _named(config, name):
    """The saved entry (module, class_name, config, ...) of the layer `name`."""
    for entry in _walk(config):
        inner = entry.get("config")
        if "class_name" in entry and isinstance(inner, dict):
            if inner.get("name") == name:
                return entry
    raise KeyError(name)


def _read_config(path):
    with zipfile.ZipFile(path) as archive:
        return json.loads(archive.read("config.json"))


def _edit_keras_file(source, target, edit):
    """Copies the `.keras` zip `source` to `target`, `edit`ing config.json."""
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "config.json":
                config = json.loads(data)
                edit(config)
                data = json.dumps(config).encode()
            zout.writestr(item, data)


def _chain(error):
    """`error` and every exception it was raised from or while handling."""
    out = []
    while error is not None and error not in out:
        out.append(error)
        error = error.__cause__ or error.__context__
    return out


def _allowed(activation, param):
    return keras_acts.info(activation).param(param).allowed()


def _x(shape, seed=SEED):
    return np.random.default_rng(seed).normal(0.0, 1.0, shape).astype("float32")


# --- The good models ---------------------------------------------------------------


def _sequential():
    return keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(5, activation="tanhsoft", name="dense_fn"),
            L.TanhSoft(alpha=0.5, beta=0.3, gamma=0.8, delta=0.5, name="ts"),
            L.GELU(approximate="tanh", name="gelu_layer"),
            keras.layers.Dense(5, activation=L.Snake(name="snake_act"), name="dense_l"),
            keras.layers.Dense(3, activation="relu", name="dense_relu"),
        ]
    )


def _functional():
    inputs = keras.Input((4,))
    h = keras.layers.Dense(5, name="dense")(inputs)
    return keras.Model(inputs, keras_acts.tanhsoft(h, gamma=2.0))


# One pytest-xdist worker per module: its module fixture saves the models.
# CI also runs this module beyond the TensorFlow step (see .ci/run).
pytestmark = [
    pytest.mark.xdist_group("saved_configs"),
    pytest.mark.ci_jax,
    pytest.mark.ci_torch,
    pytest.mark.ci_lowest,
]


@pytest.fixture(scope="session")
def saved(tmp_path_factory):
    """name -> (path of a good `.keras` file, inputs, its predictions)."""
    keras.utils.set_random_seed(SEED)
    folder = tmp_path_factory.mktemp("saved")
    out = {}
    for name, make in (("sequential", _sequential), ("functional", _functional)):
        model = make()
        path = folder / f"{name}.keras"
        model.save(path)
        x = _x((6, 4))
        out[name] = (path, x, keras.ops.convert_to_numpy(model(x)))
    return out


def test_good_files_load(saved):
    # The edits below are the only reason the malformed files fail.
    for path, x, expected in saved.values():
        model = keras.models.load_model(path)
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(model(x)), expected)


def _set_activation(layer, value):
    return lambda c: _named(c, layer)["config"].update(activation=value)


def _set_fn_name(layer, value):
    return lambda c: _named(c, layer)["config"]["activation"].update(config=value)


def _set_arg(layer, **values):
    return lambda c: _named(c, layer)["config"].update(values)


def _rename_class(layer, class_name):
    return lambda c: _named(c, layer).update(
        class_name=class_name, registered_name=f"keras_acts>{class_name}"
    )


def _set_op(params=None, **values):
    def edit(config):
        entry = next(e for e in _walk(config) if e.get("class_name") == "ActivationOp")
        entry["config"].update(values)
        entry["config"]["params"].update(params or {})

    return edit


# (file, edit, texts the error must contain, is the raised error the ValueError)
MALFORMED = [
    pytest.param(
        "sequential",
        _set_fn_name("dense_fn", "keras_acts>tanhsofft"),
        ["'tanhsofft'", "Did you mean: 'tanhsoft'", "Valid activation names"],
        False,
        id="unknown-function-in-dense",
    ),
    pytest.param(
        "sequential",
        _set_activation("dense_relu", "tanhsofft"),
        ["'tanhsofft'", "Did you mean: 'tanhsoft'", "keras_acts.names()"],
        False,
        id="unknown-string-in-dense",
    ),
    pytest.param(
        "sequential",
        _rename_class("ts", "TanhSofft"),
        ["'TanhSofft'", "Did you mean: 'TanhSoft'", "Valid class names"],
        True,
        id="unknown-layer-class",
    ),
    pytest.param(
        "sequential",
        lambda c: _named(c, "snake_act").update(registered_name="keras_acts>Snak"),
        ["'Snak'", "Did you mean: 'Snake'"],
        False,
        id="unknown-layer-class-as-dense-activation",
    ),
    pytest.param(
        "sequential",
        _set_arg("ts", gamma=-1.0),
        ["TanhSoft 'ts'", "`gamma` got -1.0", _allowed("tanhsoft", "gamma")],
        True,
        id="negative-gamma",
    ),
    pytest.param(
        "sequential",
        _set_arg("ts", delta=2.0),
        ["TanhSoft 'ts'", "`delta` got 2.0", _allowed("tanhsoft", "delta")],
        True,
        id="delta-above-bound",
    ),
    pytest.param(
        "sequential",
        _set_arg("ts", alpha="0.5"),
        ["`alpha` got '0.5'", _allowed("tanhsoft", "alpha")],
        True,
        id="string-for-a-number",
    ),
    pytest.param(
        "sequential",
        _set_arg("ts", gama=1.0),
        ["unknown argument(s) ['gama']", "did you mean 'gamma'", "Accepted: "],
        True,
        id="unknown-argument",
    ),
    pytest.param(
        "sequential",
        _set_arg("gelu_layer", approximate="fast"),
        ["`approximate` got 'fast'", _allowed("gelu", "approximate")],
        True,
        id="not-a-choice",
    ),
    pytest.param(
        "sequential",
        lambda c: _named(c, "snake_act")["config"].update(alpha=-1.0),
        ["Snake 'snake_act'", "`alpha` got -1.0", _allowed("snake", "alpha")],
        False,
        id="negative-alpha-as-dense-activation",
    ),
    pytest.param(
        "functional",
        _set_op(activation="tanhsofft"),
        ["ActivationOp", "'tanhsofft'", "Did you mean: 'tanhsoft'"],
        True,
        id="op-unknown-activation",
    ),
    pytest.param(
        "functional",
        _set_op(params={"gamma": -2.0}),
        ["`gamma` got -2.0", _allowed("tanhsoft", "gamma")],
        True,
        id="op-negative-gamma",
    ),
    pytest.param(
        "functional",
        _set_op(params={"gama": 2.0}),
        ["unknown argument(s) ['gama']", "did you mean 'gamma'"],
        True,
        id="op-unknown-argument",
    ),
]


def _check_error(info, texts, raised_is_value_error):
    values = [e for e in _chain(info.value) if isinstance(e, ValueError)]
    assert values, f"no ValueError in the chain of {info.value!r}"
    for text in texts:
        assert any(text in str(e) for e in values), (text, str(values[0]))
        # Keras appends the inner message to its own: the user sees it.
        assert text in str(info.value), text
    if raised_is_value_error:
        assert info.type is ValueError, str(info.value)[-1000:]


@pytest.mark.parametrize("via", ["keras-file", "config-dict"])
@pytest.mark.parametrize("model, edit, texts, raised_is_value_error", MALFORMED)
def test_malformed_entry_fails_clearly(
    saved, tmp_path, model, edit, texts, raised_is_value_error, via
):
    path = saved[model][0]
    if via == "keras-file":
        bad = tmp_path / "bad.keras"
        _edit_keras_file(path, bad, edit)
        with pytest.raises((ValueError, TypeError)) as info:
            keras.models.load_model(bad)
    else:
        config = _read_config(path)
        edit(config)
        with pytest.raises((ValueError, TypeError)) as info:
            keras.saving.deserialize_keras_object(config)
    _check_error(info, texts, raised_is_value_error)


def test_unknown_function_error_lists_every_name(saved, tmp_path):
    bad = tmp_path / "bad.keras"
    _edit_keras_file(
        saved["sequential"][0], bad, _set_fn_name("dense_fn", "keras_acts>zzz")
    )
    with pytest.raises((ValueError, TypeError)) as info:
        keras.models.load_model(bad)
    (error,) = [e for e in _chain(info.value) if isinstance(e, ValueError)]
    assert "Did you mean" not in str(error)  # Nothing looks like "zzz".
    assert str(error).endswith(", ".join(keras_acts.names()) + ".")


def test_registered_names_still_load_through_the_wrapped_lookup():
    # The wrapped Keras lookup changes errors only; names it knows resolve.
    for name in ("keras_acts>tanhsoft", "keras_acts>TanhSoft", "keras_acts>Range"):
        assert keras.saving.get_registered_object(name) is not None
    config = keras.activations.serialize(keras_acts.tanhsoft)
    assert keras.activations.deserialize(config) is keras_acts.tanhsoft


# --- The install hint in every saved keras_acts entry ------------------------------


def _instances():
    """One instance of every keras_acts class that can appear in a config."""
    required = {L.Maxout: 2, L.SirenDense: 3, L.SELUDense: 3}  # num_units, units.
    out = []
    for name in L.__all__:
        cls = getattr(L, name)
        out.append(cls(required[cls]) if cls in required else cls())
    out += [constraints.Range(0.0, 1.0), initializers.SirenFirst(seed=SEED)]
    out += [initializers.SirenHidden(seed=SEED), ActivationOp("tanhsoft")]
    return out


def test_every_keras_acts_class_saves_the_install_hint():
    instances = _instances()
    registered = {
        v
        for k, v in keras.saving.get_custom_objects().items()
        if k.startswith("keras_acts>") and isinstance(v, type)
    }
    assert {type(o) for o in instances} == registered  # New classes: add here.
    for obj in instances:
        config = obj.get_config()
        assert next(iter(config)) == "requires", type(obj)
        assert "pip install keras_acts" in config["requires"]
        clone = type(obj).from_config(config)
        assert clone.get_config() == config, type(obj)
        entry = keras.saving.serialize_keras_object(obj)
        assert entry["registered_name"] == f"keras_acts>{type(obj).__name__}"
        assert type(keras.saving.deserialize_keras_object(entry)) is type(obj)


def test_keras_acts_functions_save_the_install_hint():
    for name in keras_acts.names():
        saved = keras.activations.serialize(keras.activations.get(name))
        if keras_acts.info(name).keras_name is None:
            assert saved["config"] == f"keras_acts>{name}"
            assert "pip install keras_acts" in saved["requires"]
        else:
            # Saved as Keras's own name: loads without keras_acts, no hint.
            assert isinstance(saved, str), saved
    assert keras.activations.serialize(keras.activations.relu) == "relu"


def test_files_saved_without_the_hint_still_load(saved, tmp_path):
    # As written by keras_acts before the hint existed.
    def strip(config):
        for entry in list(_walk(config)):
            entry.pop(_saving.KEY, None)

    for name, (path, x, expected) in saved.items():
        old = tmp_path / f"{name}-old.keras"
        _edit_keras_file(path, old, strip)
        assert _saving.KEY not in json.dumps(_read_config(old))
        model = keras.models.load_model(old)
        y = keras.ops.convert_to_numpy(model(x))
        np.testing.assert_array_equal(y, expected, err_msg=name)


# Config keys that Keras releases after the lowest supported one (3.10) write
# into their own layers' configs and older releases reject as unknown
# arguments: a file saved by a newer Keras is not one an older Keras promises
# to read. Dropped (they hold their defaults) when the installed Keras is
# older than the file's.
_NEWER_KERAS_KEYS = ("quantization_config", "input_axes", "output_axes")


def _drop_newer_keras_keys(config):
    if isinstance(config, dict):
        for key in _NEWER_KERAS_KEYS:
            if config.get(key, "absent") is None:
                del config[key]
        for value in config.values():
            _drop_newer_keras_keys(value)
    elif isinstance(config, list):
        for value in config:
            _drop_newer_keras_keys(value)


def _version(text):
    return tuple(int(part) for part in re.findall(r"\d+", text)[:3])


def test_file_saved_before_the_structure_refactor_loads(tmp_path):
    # tests/data/pre_refactor.keras was saved by the modules as they were
    # before issue 15 moved them (see tests/data/make_pre_refactor_model.py):
    # every registry name as a string activation, functional-API ops, every
    # layer class (weights moved off their initial values), an initializer
    # and a constraint. It loads with the current modules and computes the
    # outputs saved with it.
    data = os.path.join(TESTS, "data")
    path = os.path.join(data, "pre_refactor.keras")
    with zipfile.ZipFile(path) as archive:
        saved_by = json.loads(archive.read("metadata.json"))["keras_version"]
    if _version(keras.__version__) < _version(saved_by):
        older = tmp_path / "pre_refactor.keras"
        _edit_keras_file(path, older, _drop_newer_keras_keys)
        path = str(older)
    model = keras.models.load_model(path)
    saved = np.load(os.path.join(data, "pre_refactor.npz"))
    y = keras.ops.convert_to_numpy(model(saved["x"]))
    # To float32 rounding, not bit for bit: oneDNN picks its matmul kernel by
    # the CPU's instruction set, so even plain Keras Dense layers with relu or
    # sigmoid round differently on an AVX-512 machine than on the one that
    # saved the file (seen in CI: 20% of elements, at most 3.8e-6 apart).
    np.testing.assert_allclose(y, saved["y"], rtol=1e-4, atol=1e-5)


# --- Importing twice and reloading -------------------------------------------------

_RELOAD_SCRIPT = textwrap.dedent(
    """
    import importlib, json, sys, traceback
    import numpy as np
    import keras
    from keras.src.activations import activations as keras_own
    sys.path.insert(0, TESTS)
    from references import REFERENCES

    import keras_acts

    NAMES = keras_acts.names()
    ACTIVATION_MODULES = sorted(
        n for n in sys.modules if n.startswith("keras_acts._activations.")
    )
    X = np.random.default_rng(SEED).normal(0.0, 2.0, (4, 6))


    def model():
        ka = sys.modules["keras_acts"]
        return keras.Sequential([
            keras.Input((6,)),
            keras.layers.Dense(6, activation="tanhsoft"),
            ka.layers.TanhSoft(),
            keras.layers.Dense(6, activation=ka.layers.Snake()),
            keras.layers.Dense(6, activation="mish"),
        ])


    def check(folder, step):
        ka = sys.modules["keras_acts"]
        assert ka.names() == NAMES, ka.names()
        for name in NAMES:
            layer = keras.layers.Dense(6, activation=name)
            got = np.asarray(keras.ops.convert_to_numpy(layer.activation(X)))
            np.testing.assert_allclose(got, REFERENCES[name](X), rtol=1e-4,
                                       atol=1e-5, err_msg=name)
            if ka.info(name).keras_name is None:
                assert layer.activation is getattr(ka, name), name
        assert ka.use_keras_builtins(True) is False
        assert keras.activations.get("mish") is keras_own.mish
        assert ka.use_keras_builtins(False) is True
        mish_owner = "keras_acts" if "mish" in ka.taken_over() else "keras"
        assert keras.activations.get("mish").__module__.split(".")[0] == mish_owner
        m = model()
        path = f"{folder}/{step}.keras"
        m.save(path)
        loaded = keras.models.load_model(path)
        assert type(loaded.layers[1]) is ka.layers.TanhSoft
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(loaded(X)),
                                      keras.ops.convert_to_numpy(m(X)))


    def reload(*names):
        for name in names:
            importlib.reload(sys.modules[name])


    def purge():
        for name in [n for n in sys.modules if n.split(".")[0] == "keras_acts"]:
            del sys.modules[name]
        importlib.import_module("keras_acts")


    STEPS = [
        ("import-twice", lambda: importlib.import_module("keras_acts")),
        ("reload", lambda: reload("keras_acts")),
        ("reload-again", lambda: reload("keras_acts")),
        ("internals", lambda: reload("keras_acts._keras_internals",
                                     "keras_acts._names", "keras_acts")),
        ("definitions", lambda: reload("keras_acts._spec", "keras_acts._math",
                                       *ACTIVATION_MODULES, "keras_acts")),
        ("layers", lambda: reload("keras_acts.layers._activation",
                                  "keras_acts.layers", "keras_acts")),
        ("every-module", lambda: reload(*sorted(
            n for n in sys.modules if n.split(".")[0] == "keras_acts"))),
        ("dropped-from-sys-modules", purge),
    ]
    folder = sys.argv[1]
    first = model()
    first.save(f"{folder}/before.keras")
    expected = keras.ops.convert_to_numpy(first(X))
    results = {}
    for step, run in STEPS:
        try:
            run()
            check(folder, step)
            results[step] = "ok"
        except Exception:
            results[step] = traceback.format_exc()[-3000:]
    try:
        before = keras.models.load_model(f"{folder}/before.keras")
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(before(X)),
                                      expected)
        results["load-file-saved-before"] = "ok"
    except Exception:
        results["load-file-saved-before"] = traceback.format_exc()[-3000:]
    print(json.dumps(results))
    """
)


def test_import_twice_and_reload_keep_the_registry(tmp_path):
    script = f"TESTS = {TESTS!r}\nSEED = {SEED}\n" + _RELOAD_SCRIPT
    result = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    results = json.loads(result.stdout.strip().splitlines()[-1])
    assert len(results) == 9
    failed = {step: text for step, text in results.items() if text != "ok"}
    assert not failed, "\n\n".join(f"[{s}]\n{t}" for s, t in failed.items())
