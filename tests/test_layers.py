"""One harness for every layer of keras_acts.layers.

Parameterised over the registry (one generated or learnable layer per
activation) plus PReLU, Maxout, SirenDense, SELUDense and non-default
settings. Values are compared with independent float64 NumPy references
(tests/references.py, tests/layer_references.py).
"""

import dataclasses
import json
import os
import subprocess
import sys
import textwrap
import warnings

import keras
import layer_references as refs
import numpy as np
import pytest

import keras_acts
import keras_acts.layers as L
from keras_acts import initializers
from keras_acts._selfnorm import check_self_normalizing
from keras_acts.constraints import STRICT_MARGIN, Range

# CI also runs this module beyond the TensorFlow step (see .ci/run).
pytestmark = [pytest.mark.ci_jax, pytest.mark.ci_torch, pytest.mark.ci_lowest]

SEED = 20261124
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@dataclasses.dataclass
class Case:
    id: str
    make: callable  # () -> layer
    shape: tuple  # Input shape, batch included.
    reference: callable  # (x float64, built layer) -> float64 output.
    n_params: int  # count_params() once built.
    elementwise: bool = True  # Output = f(input) elementwise (mixed tests).
    # Every learned value must move in a fit step. Not so when a default sits
    # on a bound (EIS delta = 0 stays clipped there, and theta then has no
    # effect: its gradient is exactly 0).
    all_move: bool = True


def _spec_case(spec, cls):
    learnable = isinstance(cls, type) and issubclass(
        cls, L._activation.LearnableActivation
    )
    channels = 6
    per_channel = getattr(cls, "per_channel_default", False)
    n = len(spec.numeric_params) * (channels if per_channel else 1)
    return Case(
        cls.__name__,
        cls,
        (4, channels),
        # With the layer's own values: a drop-in for a Keras layer keeps
        # Keras's defaults (LeakyReLU: 0.3; the function's is 0.2).
        lambda x, layer, spec=spec: refs.activation(
            spec.name, x, **{p.name: getattr(layer, p.name) for p in spec.params}
        ),
        n if learnable else 0,
        elementwise=spec.elementwise,
        all_move=not any(p.default in (p.low, p.high) for p in spec.numeric_params),
    )


def _weights(layer, name):
    return keras.ops.convert_to_numpy(getattr(layer, name))


def _extra_cases():
    seeded = keras.initializers.RandomUniform(0.0, 0.5, seed=SEED)
    tanhsoft = dict(alpha=0.5, beta=0.3, gamma=0.8, delta=0.5)
    eis = dict(alpha=0.5, beta=0.5, gamma=2.0, delta=1.16, theta=1.0)
    return [
        Case(
            "TanhSoft-all-terms",
            lambda: L.TanhSoft(**tanhsoft),
            (4, 6),
            lambda x, _: refs.activation("tanhsoft", x, **tanhsoft),
            4,
        ),
        Case(
            "EIS-all-terms",
            lambda: L.EIS(**eis),
            (4, 6),
            lambda x, _: refs.activation("eis", x, **eis),
            5,
        ),
        Case(
            "TanhSoft-per-channel-axis1",
            lambda: L.TanhSoft(per_channel=True, axis=1, **tanhsoft),
            (2, 3, 4, 4),
            lambda x, _: refs.activation("tanhsoft", x, **tanhsoft),
            4 * 3,
        ),
        Case(
            "Swish-fixed-beta",
            lambda: L.Swish(beta=2.0, trainable_beta=False),
            (4, 6),
            lambda x, _: refs.activation("swish", x, beta=2.0),
            0,
        ),
        Case(
            "PReLU",
            lambda: L.PReLU(alpha_initializer=seeded),
            (4, 6),
            lambda x, layer: refs.prelu(x, _weights(layer, "alpha")),
            6,
        ),
        Case(
            "PReLU-per-element",
            lambda: L.PReLU(alpha_initializer=seeded, shared_axes=[]),
            (4, 3, 5),
            lambda x, layer: refs.prelu(x, _weights(layer, "alpha")),
            15,
        ),
        Case(
            "Maxout",
            lambda: L.Maxout(3),
            (4, 12),
            lambda x, _: refs.maxout(x, 3),
            0,
            elementwise=False,
        ),
        Case(
            "SirenDense-first",
            lambda: L.SirenDense(5, is_first=True),
            (4, 3),
            lambda x, layer: refs.siren_dense(
                x, _weights(layer, "kernel"), _weights(layer, "bias"), 30.0
            ),
            3 * 5 + 5,
            elementwise=False,
        ),
        Case(
            "SirenDense-hidden-no-bias",
            lambda: L.SirenDense(5, w0=10.0, use_bias=False),
            (4, 3),
            lambda x, layer: refs.siren_dense(x, _weights(layer, "kernel"), 0.0, 10.0),
            3 * 5,
            elementwise=False,
        ),
        Case(
            "SELUDense",
            lambda: L.SELUDense(5, dropout_rate=0.1, seed=SEED),
            (4, 3),
            lambda x, layer: refs.selu_dense(
                x, _weights(layer, "kernel"), _weights(layer, "bias")
            ),
            3 * 5 + 5,
            elementwise=False,
        ),
    ]


def _registry_classes():
    classes = {}
    for name in dir(L):
        cls = getattr(L, name)
        spec = getattr(cls, "spec", None)
        if (
            isinstance(cls, type)
            and spec is not None
            and name == L._activation.class_name(spec.name)
        ):
            classes[spec.name] = cls
    return classes


REGISTRY_CLASSES = _registry_classes()
CASES = [
    _spec_case(keras_acts.info(name), REGISTRY_CLASSES[name])
    for name in keras_acts.names()
] + _extra_cases()
PARAMS = [pytest.param(c, id=c.id) for c in CASES]


def _inputs(shape, seed=SEED):
    return np.random.default_rng(seed).normal(0.0, 2.0, shape).astype("float32")


def _built(case):
    layer = case.make()
    inputs = keras.Input(case.shape[1:])
    model = keras.Model(inputs, layer(inputs))
    return layer, model


@pytest.fixture(autouse=True)
def _seeded_float32():
    keras.utils.set_random_seed(SEED)
    previous = keras.config.dtype_policy()
    yield
    keras.config.set_dtype_policy(previous)


# --- Registry coverage, names, docs ------------------------------------------------


def test_every_activation_has_a_layer():
    assert sorted(REGISTRY_CLASSES) == keras_acts.names()
    for name, cls in REGISTRY_CLASSES.items():
        assert cls.spec is keras_acts.info(name)
        assert getattr(L, cls.__name__) is cls
        assert keras.saving.get_registered_name(cls) == f"keras_acts>{cls.__name__}"


@pytest.mark.parametrize(
    "name",
    ["ReLU", "ReLU6", "GELU", "SELU", "ELU", "LiSHT", "SERF", "StarReLU", "EIS"]
    + ["Mish", "HardSwish", "Softmax", "Step", "Sine", "TanhSoft", "LeakyReLU"],
)
def test_keras_style_class_names(name):
    assert name in L.__all__
    exec(f"from keras_acts.layers import {name}", {})


RATIONAL = ("PAU", "OrthogonalPade", "HP1", "HP2")  # Tested in test_rational.py.


@pytest.mark.parametrize("name", sorted(set(L.__all__) - set(RATIONAL)))
def test_docstrings_have_every_section(name):
    cls = getattr(L, name)
    doc = cls.__doc__
    for section in ("Formula:", "Args:", "Call arguments:", "Example:", "Reference:"):
        assert section in doc, (name, section)
    spec = getattr(cls, "spec", None)
    if spec is not None and name == L._activation.class_name(spec.name):
        assert spec.formula in doc
        for p in spec.params:
            assert f"{p.name}: " in doc and repr(p.default) in doc, (name, p.name)


# --- Config and serialization ------------------------------------------------------


@pytest.mark.parametrize("case", PARAMS)
def test_config_round_trips(case):
    layer = case.make()
    config = layer.get_config()
    json.dumps(config)  # Plain JSON types only.
    clone = type(layer).from_config(config)
    assert clone.get_config() == config
    restored = keras.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(layer)
    )
    assert type(restored) is type(layer)
    assert restored.get_config() == config


# --- Weights, shapes, values -------------------------------------------------------


@pytest.mark.parametrize("case", PARAMS)
def test_weights_and_symbolic_shape(case):
    layer, model = _built(case)
    assert layer.count_params() == case.n_params
    expected = tuple(layer.compute_output_shape((None, *case.shape[1:])))
    assert tuple(model.output.shape) == expected
    y = layer(_inputs(case.shape))
    assert tuple(y.shape) == (case.shape[0], *expected[1:])


@pytest.mark.parametrize("case", PARAMS)
def test_values_match_float64_reference(case):
    layer = case.make()
    x = _inputs(case.shape)
    y = keras.ops.convert_to_numpy(layer(x))
    assert y.dtype == np.float32
    expected = case.reference(x.astype(np.float64), layer)
    np.testing.assert_allclose(y, expected, rtol=2e-5, atol=2e-5)


@pytest.mark.parametrize("jit_compile", [False, True], ids=["graph", "jit"])
@pytest.mark.parametrize("case", PARAMS)
def test_fit_step_changes_weights(case, jit_compile):
    layer = case.make()
    inputs = keras.Input(case.shape[1:])
    pre = keras.layers.Dense(case.shape[-1]) if len(case.shape) == 2 else None
    h = inputs if pre is None else pre(inputs)
    model = keras.Model(inputs, layer(h))
    model.compile(
        optimizer=keras.optimizers.SGD(0.05), loss="mse", jit_compile=jit_compile
    )
    # 16 rows: every channel sees inputs of both signs.
    batch_shape = (16, *case.shape[1:])
    x = _inputs(batch_shape)
    target = _inputs((16, *model.output.shape[1:]), SEED + 1)
    before = [keras.ops.convert_to_numpy(w) for w in layer.trainable_weights]
    pre_before = None if pre is None else keras.ops.convert_to_numpy(pre.kernel)
    loss = model.train_on_batch(x, target)
    assert np.isfinite(loss)
    assert len(before) == len(layer.trainable_weights)
    any_moved = False
    for old, weight in zip(before, layer.trainable_weights, strict=True):
        new = keras.ops.convert_to_numpy(weight)
        assert np.all(np.isfinite(new)), weight.path
        moved = new != old
        if case.all_move:
            assert np.all(moved), weight.path
        any_moved |= bool(np.any(moved))
    assert any_moved or not before
    if pre is not None:
        gradient_flows = getattr(getattr(layer, "spec", None), "name", None) != "step"
        changed = not np.array_equal(pre_before, keras.ops.convert_to_numpy(pre.kernel))
        assert changed == gradient_flows  # Step's derivative is zero.


@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"])
@pytest.mark.parametrize("case", PARAMS)
def test_mixed_precision(case, policy):
    keras.config.set_dtype_policy(policy)
    layer = case.make()
    x = _inputs(case.shape)
    y = layer(x)
    compute = policy.split("_")[1]
    assert keras.backend.standardize_dtype(y.dtype) == compute
    for weight in layer.weights:
        assert keras.backend.standardize_dtype(weight.dtype) == "float32", weight.path
    y = keras.ops.convert_to_numpy(keras.ops.cast(y, "float32"))
    assert np.all(np.isfinite(y))
    if case.elementwise:
        # The reference at the rounded inputs; output rounding of the dtype.
        rounded = keras.ops.convert_to_numpy(
            keras.ops.cast(keras.ops.cast(x, compute), "float32")
        )
        expected = case.reference(rounded.astype(np.float64), layer)
        tol = 4e-3 if compute == "float16" else 3e-2
        np.testing.assert_allclose(y, expected, rtol=tol, atol=tol)


def test_alpha_dropout_under_mixed_float16_trains():
    keras.config.set_dtype_policy("mixed_float16")
    layer = L.SELUDense(8, dropout_rate=0.2, seed=SEED)
    y = layer(_inputs((64, 4)), training=True)
    assert keras.backend.standardize_dtype(y.dtype) == "float16"
    assert np.all(np.isfinite(keras.ops.convert_to_numpy(keras.ops.cast(y, "float32"))))


# --- Saving: all models, one fresh process ----------------------------------------


def _perturb(model):
    """Moves every weight off its initial value (inside its constraint)."""
    rng = np.random.default_rng(SEED + 3)
    for weight in model.trainable_weights:
        value = keras.ops.convert_to_numpy(weight)
        value = value + rng.normal(0.0, 0.05, value.shape).astype(value.dtype)
        if weight.constraint is not None:
            value = keras.ops.convert_to_numpy(weight.constraint(value))
        weight.assign(value)


def _activation_argument_model(layer):
    """Dense(activation=<layer instance>), trained one step (builds the layer)."""
    model = keras.Sequential(
        [
            keras.Input((5,)),
            keras.layers.Dense(6, activation=layer),
            keras.layers.Dense(1),
        ]
    )
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    model.train_on_batch(_inputs((8, 5)), _inputs((8, 1), SEED + 1))
    return model


def test_keras_round_trip_in_fresh_process(tmp_path):
    jobs = {}
    for case in CASES:
        _, model = _built(case)
        _perturb(model)
        jobs[case.id] = (model, _inputs(case.shape))
    for name in ("PReLU", "Swish", "Snake"):
        layer = getattr(L, name)()
        model = _activation_argument_model(layer)
        assert layer.weights and all(
            any(w is v for v in model.trainable_weights) for w in layer.weights
        ), f"{name} weights not tracked as Dense activation"
        jobs[f"Dense-activation-{name}"] = (model, _inputs((8, 5)))
    expected = {}
    for key, (model, x) in jobs.items():
        model.save(tmp_path / f"{key}.keras")
        np.save(tmp_path / f"{key}.x.npy", x)
        expected[key] = keras.ops.convert_to_numpy(model(x))
    script = textwrap.dedent(
        """
        import pathlib, sys
        import numpy as np, keras
        import keras_acts
        folder = pathlib.Path(sys.argv[1])
        for path in sorted(folder.glob("*.keras")):
            model = keras.models.load_model(path)  # No custom_objects.
            x = np.load(str(path)[: -len(".keras")] + ".x.npy")
            np.save(str(path)[: -len(".keras")] + ".y.npy",
                    keras.ops.convert_to_numpy(model(x)))
        """
    )
    env = dict(
        os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    for key, y in expected.items():
        loaded = np.load(tmp_path / f"{key}.y.npy")
        np.testing.assert_array_equal(loaded, y, err_msg=key)


# --- Convolutions: data formats, unknown batch -------------------------------------


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("kind", ["Maxout", "ChannelPReLU"])
def test_on_conv2d_outputs(kind, data_format):
    first = data_format == "channels_first"
    shape = (6, 6, 4)
    inputs = keras.Input(shape)  # Unknown batch size.
    conv = keras.layers.Conv2D(8, 3)(inputs)
    if first:
        # TF's CPU Conv2D is NHWC only: transpose its output to NCHW.
        conv = keras.layers.Permute((3, 1, 2))(conv)
    if kind == "Maxout":
        layer = L.Maxout(2, axis=1 if first else -1)
    else:
        init = keras.initializers.RandomUniform(0.0, 1.0, seed=SEED)
        layer = L.ChannelPReLU(alpha_initializer=init, data_format=data_format)
    out = layer(conv)
    model = keras.Model(inputs, out)
    conv_model = keras.Model(inputs, conv)
    if kind == "Maxout":
        assert tuple(out.shape) == ((None, 2, 4, 4) if first else (None, 4, 4, 2))
    else:
        assert tuple(layer.alpha.shape) == ((8, 1, 1) if first else (1, 1, 8))
    for batch in (2, 3):
        x = _inputs((batch, *shape))
        z = keras.ops.convert_to_numpy(conv_model(x)).astype(np.float64)
        if kind == "Maxout":
            expected = refs.maxout(z, 2, axis=1 if first else -1)
        else:
            expected = refs.prelu(z, _weights(layer, "alpha"))
        y = keras.ops.convert_to_numpy(model(x))
        np.testing.assert_allclose(y, expected, rtol=1e-6, atol=1e-6)


def test_maxout_groups_are_contiguous():
    x = np.array([[0.0, 5.0, 1.0, 2.0, 9.0, 3.0]], np.float32)
    # Contiguous groups of 3: (0, 5, 1) -> 5 and (2, 9, 3) -> 9; strided
    # grouping (c, c + 2, ...) would give (0, 1, 9) -> 9 and (5, 2, 3) -> 5.
    y = keras.ops.convert_to_numpy(L.Maxout(2)(x))
    np.testing.assert_array_equal(y, refs.maxout(x, 2))
    np.testing.assert_array_equal(y, [[5.0, 9.0]])


@pytest.mark.parametrize("axis", [-1, 1])
def test_maxout_with_an_unknown_channel_size(axis):
    # As TF Addons' Maxout allowed: the groups are formed when the layer runs.
    shape = (4, 2, None) if axis == -1 else (None, 3, 2)
    inputs = keras.Input(shape)
    outputs = L.Maxout(2, axis=axis)(inputs)
    assert outputs.shape[axis] == 2
    model = keras.Model(inputs, outputs)
    for channels in (2, 6):
        x_shape = (3, 4, 2, channels) if axis == -1 else (3, channels, 3, 2)
        x = _inputs(x_shape)
        y = keras.ops.convert_to_numpy(model(x))
        np.testing.assert_array_equal(y, refs.maxout(x, 2, axis=axis))


def test_maxout_unknown_channels_in_a_graph():
    if keras.backend.backend() != "tensorflow":
        pytest.skip("a TensorFlow graph with an unknown channel size")
    import tensorflow as tf

    layer = L.Maxout(3)
    fn = tf.function(layer, input_signature=[tf.TensorSpec((None, None))])
    x = _inputs((2, 12))
    np.testing.assert_array_equal(fn(x).numpy(), refs.maxout(x, 3))
    with pytest.raises(tf.errors.InvalidArgumentError):
        fn(_inputs((2, 10)))  # 10 channels do not split into 3 groups.


def test_selu_dense_noise_shape():
    layer = L.SELUDense(8, dropout_rate=0.5, noise_shape=[None, 1, 8], seed=SEED)
    config = layer.get_config()
    assert config["noise_shape"] == [None, 1, 8]
    clone = L.SELUDense.from_config(config)
    assert clone.dropout.noise_shape == [None, 1, 8]
    y = keras.ops.convert_to_numpy(layer(_inputs((2, 5, 3)), training=True))
    # One dropout mask shared along axis 1: the dropped units are the same
    # in every row (AlphaDropout sets them to the same value).
    dropped = np.isclose(y, y.min())
    assert dropped.any() and (dropped == dropped[:, :1, :]).all()
    with pytest.raises(ValueError, match="`noise_shape`"):
        L.SELUDense(8, dropout_rate=0.5, noise_shape=[0, 1])


# --- Constraints and learnable parameters ------------------------------------------


def test_range_constraint():
    clip = Range(0.0, 1.0)
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(clip(keras.ops.array([-1.0, 0.5, 2.0]))),
        [0.0, 0.5, 1.0],
    )
    assert Range.from_config(clip.get_config()).get_config() == clip.get_config()
    with pytest.raises(ValueError, match="low"):
        Range(2.0, 1.0)


@pytest.mark.parametrize("cls", [L.TanhSoft, L.EIS, L.Snake, L.Swish])
def test_learned_parameters_stay_in_the_papers_ranges(cls):
    layer = cls()
    inputs = keras.Input((6,))
    model = keras.Model(inputs, layer(inputs))
    model.compile(optimizer=keras.optimizers.SGD(1e3), loss="mse")
    x = _inputs((16, 6))
    for target in (_inputs((16, 6), SEED + 1) * 100, -100 * np.abs(x)):
        model.train_on_batch(x, target)
    for weight in layer.trainable_weights:
        name = weight.path.rsplit("/", 1)[-1]
        param = cls.spec.param(name)
        value = keras.ops.convert_to_numpy(weight)
        assert np.all(np.isfinite(value)), name
        if param.low is not None:
            margin = 0.0 if param.low_inclusive else STRICT_MARGIN
            assert np.all(value >= param.low + margin - 1e-7), (name, value)
        if param.high is not None:
            margin = 0.0 if param.high_inclusive else STRICT_MARGIN
            assert np.all(value <= param.high - margin + 1e-7), (name, value)


# --- SIREN -------------------------------------------------------------------------


def test_siren_initializers():
    first = keras.ops.convert_to_numpy(initializers.SirenFirst(seed=1)((4, 512)))
    assert np.abs(first).max() <= 1 / 4 and np.abs(first).max() > 0.9 / 4
    hidden = keras.ops.convert_to_numpy(
        initializers.SirenHidden(w0=30.0, seed=1)((64, 512))
    )
    limit = np.sqrt(6 / 64) / 30
    assert np.abs(hidden).max() <= limit and np.abs(hidden).max() > 0.9 * limit
    for init in (initializers.SirenFirst(seed=3), initializers.SirenHidden(10.0)):
        restored = keras.initializers.deserialize(keras.initializers.serialize(init))
        assert type(restored) is type(init)
        assert restored.get_config() == init.get_config()


def test_siren_dense_initialisation():
    layer = L.SirenDense(512, w0=30.0)
    layer.build((None, 64))
    kernel, bias = _weights(layer, "kernel"), _weights(layer, "bias")
    assert np.abs(kernel).max() <= np.sqrt(6 / 64) / 30
    assert np.abs(bias).max() <= 1 / np.sqrt(64) and np.abs(bias).max() > 0.1
    first = L.SirenDense(512, is_first=True)
    first.build((None, 2))
    assert np.abs(_weights(first, "kernel")).max() <= 1 / 2


# --- Argument errors ---------------------------------------------------------------


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: L.Maxout(0), "num_units"),
        (lambda: L.Maxout(2.5), "num_units"),
        (lambda: L.Maxout(3).build((None, 8)), "multiple of num_units"),
        (lambda: L.Maxout(2, axis=0).build((None, 8)), "axis"),
        (lambda: L.SirenDense(4, w0=-1.0), "w0"),
        (lambda: L.Sine(w0=-1.0), "w0"),
        (lambda: L.Sine(0.0), "w0"),
        (lambda: initializers.SirenHidden(w0=-30.0), "w0"),
        (lambda: L.Mish(beta=1.0), "unknown argument"),
        (lambda: L.Swish(bta=1.0), "unknown argument"),
        (lambda: L.TanhSoft(gamma=0.0), "gamma"),
        (lambda: L.TanhSoft(per_channel="yes"), "per_channel"),
        (lambda: L.GELU(approximate="fast"), "approximate"),
        (lambda: L.ChannelPReLU(data_format="nhwc"), "data_format"),
        (lambda: L.PReLU(shared_axes=[]).build((None, None, 3)), "unknown size"),
        (lambda: L.SELUDense(4, dropout_rate=1.5), "dropout_rate"),
        (lambda: L.SirenDense(4, activation="relu"), "activation"),
    ],
)
def test_argument_errors(make, message):
    with pytest.raises(ValueError, match=message):
        make()


# --- check_self_normalizing --------------------------------------------------------


def _mlp(*layers):
    return keras.Sequential([keras.Input((8,)), *layers])


def test_check_self_normalizing_accepts_a_correct_network():
    model = _mlp(
        L.SELUDense(16, dropout_rate=0.1),
        keras.layers.Dense(16, activation="selu", kernel_initializer="lecun_normal"),
        keras.layers.AlphaDropout(0.1),
        keras.layers.Dense(16, kernel_initializer="lecun_normal"),
        L.SELU(),
        keras.layers.Dense(2, activation="softmax"),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert check_self_normalizing(model) == []


@pytest.mark.parametrize(
    "layers, culprit, text",
    [
        ([keras.layers.Dense(8, activation="selu", name="d")], "d", "LeCun"),
        ([keras.layers.Dense(8, activation=keras_acts.selu, name="d")], "d", "LeCun"),
        ([keras.layers.Dense(8, name="d"), L.SELU()], "d", "LeCun"),
        ([L.SELUDense(8, kernel_initializer="he_normal", name="d")], "d", "LeCun"),
        (
            [L.SELUDense(8), keras.layers.Dropout(0.1, name="drop")],
            "drop",
            "AlphaDropout",
        ),
        (
            [L.SELUDense(8), keras.layers.BatchNormalization(name="bn")],
            "bn",
            "BatchNormalization",
        ),
    ],
)
def test_check_self_normalizing_findings(layers, culprit, text):
    model = _mlp(*layers)
    with pytest.warns(UserWarning, match=text):
        findings = check_self_normalizing(model)
    assert [f.layer for f in findings] == [culprit]
    assert text in findings[0].problem
    assert check_self_normalizing(model, warn=False) == findings


def test_check_self_normalizing_ignores_networks_without_selu():
    model = _mlp(keras.layers.Dense(8, activation="relu"), keras.layers.Dropout(0.5))
    assert check_self_normalizing(model, warn=False) == []
