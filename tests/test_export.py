"""Deployment: SavedModel export and TFLite conversion of every activation and layer.

Each dtype policy gets ONE Keras model with one named output per item (every
catalog name, its non-default parameter cases, every layer of
`keras_acts.layers`), so there is one export and one conversion per mode. A
name that keras_acts takes over from Keras on this backend is used as a string
(the drop-in is what `Activation("gelu")` builds); every other name is
keras_acts' own function (`Activation(keras_acts.relu)`), since its string is
Keras's function, which this table does not describe:

* SavedModel: `model.export()`, reloaded with `tf.saved_model.load`; outputs
  (and, in float32, input gradients through the restored custom gradients)
  must match Keras's.
* TFLite: `tf.lite.TFLiteConverter` with `TFLITE_BUILTINS` only (no Select TF
  ops), run in the LiteRT interpreter against Keras's outputs, per dtype:
  float32; float16 weights (post-training float16 quantisation, which also
  rounds the formulas' constants: float16 tolerances, on |x| <= 20; the
  Keras weights are rounded to float16 first); mixed_float16 and
  mixed_bfloat16 compute.

Where a batched conversion fails, each item is converted alone to find which
ones fail and why. Known failures (conversion or accuracy) are listed in
`EXPECTED_FAILURES` with their reason and must still fail (so the list cannot
go stale).

The support table in docs/guides/deployment.md (between the TABLE markers) is
generated from these results: `test_support_table_is_current` fails when it
differs; regenerate it with

    KERAS_ACTS_WRITE_DOCS=1 python -m pytest tests/test_export.py
"""

import os
import re

import keras
import numpy as np
import pytest
from _util import TOLERANCES
from references import PARAM_CASES

import keras_acts
import keras_acts.layers as L
from keras_acts.layers._activation import class_name

# One worker runs the whole module under pytest-xdist: its fixtures (the
# exports and conversions) are the expensive part, computed once. They are
# session-scoped: a worker may run other modules' tests between this
# module's (measured here: the exports and the conversions computed twice
# under module scope, 360 s of one worker's time).
pytestmark = [pytest.mark.tensorflow, pytest.mark.xdist_group("export")]

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOC = os.path.join(ROOT, "docs", "guides", "deployment.md")
SEED = 20261124
SHAPE = (4, 8)  # Per-sample input shape: axis 1 is a real axis, -1 the channels.

# Modes: (dtype policy, TFLite float16 weight quantisation).
MODES = {
    "float32": ("float32", False),
    "float16 weights": ("float32", True),
    "mixed_float16": ("mixed_float16", False),
    "mixed_bfloat16": ("mixed_bfloat16", False),
}
POLICIES = ("float32", "mixed_float16", "mixed_bfloat16")

_MATMUL_F16 = (
    "Keras's Dense runs its MatMul in the compute dtype; TFLite has no "
    "float16/bfloat16 MatMul built-in (use float32 with float16 weights)"
)
_MAX_F16 = (
    "Maxout's reduce-max runs in the compute dtype; TFLite has no float16 "
    "REDUCE_MAX built-in (use float32 with float16 weights)"
)
_COEFFS_F16 = (
    "the least-squares fit to leaky ReLU gives this basis coefficients of "
    "order 1e7, whose float16 rounding changes the unit; use float32, or a "
    "Hermite basis (HP1, HP2)"
)
_KERAS_RELU_F16 = (
    "the drop-in computes what Keras's ReLU computes, with Keras's own op, in "
    "the compute dtype; TFLite has no float16/bfloat16 RELU built-in (use "
    "float32 with float16 weights, or `Activation(keras_acts.relu)`)"
)
# (item, mode) -> why it does not work there. Each must still fail (the test
# says when one starts working), so the list cannot go stale.
EXPECTED_FAILURES = {
    **{
        (item, mode): _MATMUL_F16
        for item in ("SirenDense", "SELUDense")
        for mode in ("mixed_float16", "mixed_bfloat16")
    },
    **{("Maxout", mode): _MAX_F16 for mode in ("mixed_float16", "mixed_bfloat16")},
    **{("ReLU", mode): _KERAS_RELU_F16 for mode in ("mixed_float16", "mixed_bfloat16")},
    **{
        (f"OrthogonalPade({basis})", "float16 weights"): _COEFFS_F16
        for basis in ("chebyshev_first_kind", "chebyshev_second_kind", "legendre")
    },
}
# float16 weights: compared on inputs a float16 model can carry (|x| <= 20),
# to float16's relative precision, and to 1e-3 absolute: constants of order 1
# are rounded by up to 5e-4.
FLOAT16_WEIGHTS_RANGE = 20.0
FLOAT16_WEIGHTS_TOLERANCE = (2e-3, 1e-3)
# The TFLite converter fuses and reorders float32 arithmetic, so two float32
# results of the same model can differ by a few rounding errors of each term:
# near a zero of a rational unit, terms of order 10 cancel to ~1e-3.
TFLITE_FLOAT32_TOLERANCE = (1e-4, 1e-5)
# SirenDense is sin(30 (xW + b)) on inputs up to 1e4: one rounding of a
# reordered float32 MatMul, 2^-24 * 30 * sum|x||W| (up to 7.6e-4 here),
# passes through sin unchanged; allow a few such roundings.
TFLITE_FLOAT32_ITEM_ATOL = {"SirenDense": 3e-3}

# Layers that need arguments (every other layer in keras_acts.layers is built
# with its defaults).
LAYER_ARGS = {
    "Maxout": dict(num_units=4),
    "SirenDense": dict(units=8),
    "SELUDense": dict(units=8),
}


def _item_factories():
    """Item id -> () -> layer, in a stable order."""
    items = {}
    taken_over = keras_acts.taken_over()
    for name in keras_acts.names():
        fn = name if name in taken_over else keras_acts.get(name)
        items[name] = lambda fn=fn: keras.layers.Activation(fn)
        cls = getattr(L, class_name(name))
        for params in PARAM_CASES[name]:
            label = ",".join(f"{k}={v}" for k, v in params.items())
            items[f"{name}({label})"] = lambda cls=cls, params=params: cls(**params)
    for layer in L.__all__:
        args = LAYER_ARGS.get(layer, {})
        items[layer] = lambda layer=layer, args=args: getattr(L, layer)(**args)
    items["PAU(version=B)"] = lambda: L.PAU(version="B")
    items["PAU(per_channel)"] = lambda: L.PAU(per_channel=True)
    for basis in keras_acts._rational.ORTHOGONAL_BASES:
        items[f"OrthogonalPade({basis})"] = lambda b=basis: L.OrthogonalPade(basis=b)
    items["PReLU(shared_axes=[])"] = lambda: L.PReLU(shared_axes=[])
    return items


ITEMS = _item_factories()


def _inputs(n=6):
    rng = np.random.default_rng(SEED)
    x = rng.normal(0.0, 3.0, (n, *SHAPE))
    fixed = [-1e4, -100, -20, -11.5, -5, -1, -1e-3, 0, 1e-3, 1, 5, 11.5, 20, 100, 1e4]
    x.reshape(-1)[: len(fixed)] = fixed
    return x.astype("float32")


def _perturb_weights(layer, rng, round_to_float16):
    """Moves trained-looking weights off their initial values, in range."""
    for v in layer.weights:
        w = keras.ops.convert_to_numpy(v).astype("float64")
        w = w * (1.0 + rng.uniform(-0.1, 0.1, w.shape)) + rng.uniform(
            -0.02, 0.02, w.shape
        )
        if getattr(v, "constraint", None) is not None:
            w = keras.ops.convert_to_numpy(v.constraint(w.astype("float32")))
        if round_to_float16:
            # Rounded so that float16 weights lose nothing; values beyond
            # float16's range stay (the float16 TFLite model then shows it).
            with np.errstate(over="ignore"):
                w16 = np.asarray(w, "float32").astype("float16")
            w = np.where(np.isfinite(w16), w16, w)
        v.assign(np.asarray(w, "float32"))


def _build(policy, ids):
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(policy)
    try:
        keras.utils.set_random_seed(SEED)
        rng = np.random.default_rng(SEED)
        inputs = keras.Input(SHAPE, name="x")
        outputs = {}
        for item in ids:
            layer = ITEMS[item]()
            outputs[_key(item)] = layer(inputs)
            _perturb_weights(layer, rng, round_to_float16=policy == "float32")
        return keras.Model(inputs, outputs)
    finally:
        keras.config.set_dtype_policy(previous)


def _key(item):
    """A signature-safe output name for an item id."""
    return "o_" + re.sub(r"[^A-Za-z0-9_]", "_", item)


def _convert(saved_model, float16_weights):
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_saved_model(saved_model)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    if float16_weights:
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.target_spec.supported_types = [tf.float16]
    return converter.convert()


def _run_tflite(flatbuffer, x):
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_content=flatbuffer)
    runner = interpreter.get_signature_runner("serving_default")
    out = runner(x=x)
    return {k: np.asarray(v, "float32") for k, v in out.items()}


def _numpy(t):
    return np.asarray(keras.ops.convert_to_numpy(t)).astype("float32")


def _check(actual, expected, tolerance):
    """None if close within (rtol, atol), else a description of the gap."""
    rtol, atol = tolerance
    if actual.shape != expected.shape:
        return f"shape {actual.shape} != {expected.shape}"
    finite = np.isfinite(expected)
    if not np.array_equal(finite, np.isfinite(actual)):
        return "non-finite values differ"
    gap = np.abs(actual - expected)[finite]
    bound = (atol + rtol * np.abs(expected))[finite]
    if np.all(gap <= bound):
        return None
    return f"max |diff| {gap.max():.3g} (rtol {rtol}, atol {atol:.3g})"


# Reasons that are conversion failures (the others are accuracy gaps): the
# items they name are exported apart from the rest, so that the rest converts
# in one go and each of them is converted alone (and must still fail).
_CONVERSION_FAILURES = (_MATMUL_F16, _MAX_F16, _KERAS_RELU_F16)


def _exported_apart(policy):
    """Items that do not convert for `policy`'s TFLite modes, in ITEMS order."""
    modes = [mode for mode, (p, _) in MODES.items() if p == policy]
    return [
        item
        for item in ITEMS
        if any(EXPECTED_FAILURES.get((item, m)) in _CONVERSION_FAILURES for m in modes)
    ]


def _export(model, ids, path):
    """Exports the outputs of `ids` of `model` as a SavedModel at `path`."""
    keras.Model(model.input, {_key(i): model.output[_key(i)] for i in ids}).export(
        path, verbose=False
    )
    return path


@pytest.fixture(scope="session")
def exported(tmp_path_factory):
    """policy -> (model, {SavedModel path: its items}, Keras outputs on `_inputs()`).

    Every item is exported: the items known not to convert to TFLite each in
    their own SavedModel, the rest together in one.
    """
    x = _inputs()
    out = {}
    for policy in POLICIES:
        model = _build(policy, list(ITEMS))
        root = tmp_path_factory.mktemp("export")
        apart = _exported_apart(policy)
        rest = [i for i in ITEMS if i not in apart]
        paths = {_export(model, rest, str(root / policy)): rest}
        for n, item in enumerate(apart):
            paths[_export(model, [item], str(root / f"{policy}-{n}"))] = [item]
        out[policy] = (model, paths, {k: _numpy(v) for k, v in model(x).items()})
    return out


def _dtype(policy):
    return "float32" if policy == "float32" else policy.split("_")[1]


def _saved_model_results(exported, policy):
    """item -> None (same outputs after `tf.saved_model.load`) or the gap."""
    import tensorflow as tf

    _, paths, expected = exported[policy]
    actual = {}
    for path, ids in paths.items():
        loaded = tf.saved_model.load(path)  # Referenced while it runs.
        out = loaded.serve(_inputs())
        if not isinstance(out, dict):  # A one-output signature may not keep it.
            out = {_key(ids[0]): out}
        actual.update({_key(i): _numpy(out[_key(i)]) for i in ids})
    return {
        item: _check(
            actual[_key(item)], expected[_key(item)], TOLERANCES[_dtype(policy)]
        )
        for item in ITEMS
    }


def _tflite_results(exported, mode, tmp_dir):
    """item -> None (converts with built-ins and matches) or the reason."""
    policy, float16_weights = MODES[mode]
    model, paths, _ = exported[policy]
    x = _inputs()
    tolerance = TOLERANCES[_dtype(policy)]
    if float16_weights:
        x = np.clip(x, -FLOAT16_WEIGHTS_RANGE, FLOAT16_WEIGHTS_RANGE)
        tolerance = FLOAT16_WEIGHTS_TOLERANCE
    elif policy == "float32":
        tolerance = TFLITE_FLOAT32_TOLERANCE
    expected = {k: _numpy(v) for k, v in model(x).items()}
    groups = {}
    for path, ids in paths.items():
        groups.update(
            _convert_groups(model, ids, mode, float16_weights, x, tmp_dir, path)
        )
    results = {}
    for item in ITEMS:
        got = groups[item]
        if isinstance(got, str):
            results[item] = f"does not convert: {got}"
        else:
            k = _key(item)
            item_tolerance = tolerance
            if policy == "float32" and not float16_weights:
                atol = TFLITE_FLOAT32_ITEM_ATOL.get(item, tolerance[1])
                item_tolerance = (tolerance[0], atol)
            results[item] = _check(got[k], expected[k], item_tolerance)
    return results


def _convert_groups(model, ids, mode, float16_weights, x, tmp_dir, path=None):
    """item -> TFLite outputs of its group, or why the item does not convert.

    The items are converted together (from `path` where they are already
    exported); a group that fails to convert is split in halves, each
    exported, until the items that fail are found.
    """
    if not ids:
        return {}
    if path is None:
        path = os.path.join(tmp_dir, f"{_key(mode)}-{len(os.listdir(tmp_dir))}")
        _export(model, ids, path)
    try:
        flat = _convert(path, float16_weights)
    except Exception as e:  # noqa: BLE001 - the converter's errors vary.
        if len(ids) == 1:
            return {ids[0]: _conversion_error(e)}
        half = len(ids) // 2
        return {
            **_convert_groups(model, ids[:half], mode, float16_weights, x, tmp_dir),
            **_convert_groups(model, ids[half:], mode, float16_weights, x, tmp_dir),
        }
    out = _run_tflite(flat, x)
    if len(ids) == 1:  # A one-output signature may not keep the dict key.
        out = {_key(ids[0]): next(iter(out.values()))}
    return {i: out for i in ids}


@pytest.fixture(scope="session")
def support(exported, tmp_path_factory):
    """column -> item -> None (works) or why not; one run for every test here."""
    tmp_dir = str(tmp_path_factory.mktemp("tflite"))
    results = {
        f"SavedModel {policy}": _saved_model_results(exported, policy)
        for policy in POLICIES
    }
    for mode in MODES:
        results[f"TFLite {mode}"] = _tflite_results(exported, mode, tmp_dir)
    return results


@pytest.mark.parametrize("policy", POLICIES)
def test_saved_model_reloads_with_same_outputs(support, policy):
    failures = {i: why for i, why in support[f"SavedModel {policy}"].items() if why}
    assert not failures, failures


def test_saved_model_gradients_match_keras(exported):
    """The restored function differentiates like the Keras model (float32)."""
    import tensorflow as tf

    model, paths, _ = exported["float32"]
    assert len(paths) == 1, "float32 exports every item in one SavedModel"
    loaded = tf.saved_model.load(next(iter(paths)))
    # Moderate inputs: the gradient of a sum over every output, per item.
    x = tf.constant(np.clip(_inputs(), -8.0, 8.0))
    failures = {}
    for item in ITEMS:
        k = _key(item)
        grads = []
        # The Keras side through a model of this item's output only: the
        # whole model would run every item's layers, eagerly, per item.
        alone = keras.Model(model.input, model.output[k])
        for fn in (alone, lambda t, k=k: loaded.serve(t)[k]):
            with tf.GradientTape() as tape:
                tape.watch(x)
                y = tf.reduce_sum(fn(x))
            grads.append(tape.gradient(y, x).numpy())
        why = _check(grads[1], grads[0], TOLERANCES["float32"])
        if why:
            failures[item] = why
    assert not failures, failures


@pytest.mark.parametrize("mode", list(MODES))
def test_tflite_builtins_only(support, mode):
    failures = {}
    for item, why in support[f"TFLite {mode}"].items():
        expected_failure = EXPECTED_FAILURES.get((item, mode))
        if expected_failure and not why:
            failures[item] = "works now; remove it from EXPECTED_FAILURES"
        elif why and not expected_failure:
            failures[item] = why
    assert not failures, failures


TABLE_START = "<!-- TABLE:start (generated by tests/test_export.py) -->"
TABLE_END = "<!-- TABLE:end -->"


def support_table(support):
    """The Markdown support table: one row per item, one column per mode."""
    columns = list(support)
    rows = [
        "| model | " + " | ".join(columns) + " |",
        "|---|" + "---|" * len(columns),
    ]
    notes = {}
    for item in ITEMS:
        cells = []
        for column in columns:
            why = support[column][item]
            if why is None:
                cells.append("✓")
                continue
            reason = EXPECTED_FAILURES.get((item, column.split(" ", 1)[1]), why)
            number = notes.setdefault(reason, len(notes) + 1)
            cells.append(f"✗ ({number})")
        rows.append(f"| `{item}` | " + " | ".join(cells) + " |")
    rows += [""] + [f"{n}. {reason}" for reason, n in notes.items()]
    return "\n".join([TABLE_START, *rows, TABLE_END])


def test_support_table_is_current(support):
    """docs/guides/deployment.md's table is what these tests found."""
    table = support_table(support)
    with open(DOC, encoding="utf-8") as f:
        text = f.read()
    pattern = re.compile(re.escape(TABLE_START) + ".*?" + re.escape(TABLE_END), re.S)
    assert pattern.search(text), f"{DOC}: table markers not found"
    if os.environ.get("KERAS_ACTS_WRITE_DOCS") == "1":
        text = pattern.sub(lambda _: table, text)
        with open(DOC, "w", encoding="utf-8") as f:
            f.write(text)
    assert table in text, (
        "docs/guides/deployment.md's support table is stale: regenerate it with "
        "KERAS_ACTS_WRITE_DOCS=1 python -m pytest tests/test_export.py"
    )


def _conversion_error(error):
    text = str(error)
    ops = re.search(r"TF Select ops: ([^\n]+)", text)
    if ops:
        return f"needs Select TF ops ({ops.group(1).strip()})"
    ops = re.findall(r"'(tf\.\w+)' op is neither a custom op nor a flex op", text)
    if ops:
        return f"not a TFLite built-in: {', '.join(sorted(set(ops)))}"
    return text.strip().splitlines()[-1][:200]
