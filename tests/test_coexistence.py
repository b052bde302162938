"""`import keras_acts` leaves what plain Keras code computes unchanged.

Keras tests some of its own function objects by identity (cross-entropy reads
the logits that its softmax and sigmoid attach to their outputs; LSTM and GRU
pick cuDNN for its tanh and sigmoid), deserializes names through its public
symbols, and documents arguments that keras_acts' definitions do not have.
These tests hold keras_acts to Keras's behaviour in each of those places; the
CI step tools/keras_suite.py runs Keras's own shipped tests with keras_acts
imported as well. Keras's own functions are read from
`keras.src.activations.activations`, which keras_acts never changes.
"""

import importlib
import inspect
import math

import keras
import numpy as np
import pytest
from keras.src.activations import activations as keras_own

import keras_acts
import keras_acts.layers as L
from keras_acts import _keras_internals, _names

# CI also runs this module beyond the TensorFlow step (see .ci/run).
pytestmark = [pytest.mark.ci_jax, pytest.mark.ci_lowest]

SEED = 20261203
BACKEND = keras.backend.backend()
KERAS_NAMES = sorted(_keras_internals.keras_builtin_names())
TAKEN_KEYS = {key for name in _names.taken_over() for key in _names._keras_keys(name)}


def _numpy(x):
    return np.asarray(keras.ops.convert_to_numpy(x), dtype=np.float64)


def _grid():
    return np.linspace(-6.0, 6.0, 49, dtype="float32").reshape(7, 7)


# --- Which names keras_acts takes over ----------------------------------------------


def test_taken_over_names_are_definitions_with_keras_math():
    defined = {s.keras_name for s in keras_acts._spec.registry().values()}
    for backend, names in _names.TAKEN_OVER.items():
        assert set(names) <= defined, backend
    assert set(_names.TAKEN_OVER) == {"tensorflow", "jax", "torch"}


@pytest.mark.parametrize("key", KERAS_NAMES)
def test_every_other_keras_name_is_keras_own_object(key):
    got = keras.activations.get(key)
    if key in TAKEN_KEYS:
        assert got.__module__ == "keras_acts"
        assert got.__name__ == _keras_internals.keras_builtin(key).__name__
    else:
        assert got is _keras_internals.keras_builtin(key)
        assert got is getattr(keras_own, got.__name__)


def test_use_keras_builtins_gives_every_name_back():
    assert keras_acts.use_keras_builtins(True) is False
    try:
        assert keras_acts.taken_over() == ()
        for key in KERAS_NAMES:
            assert keras.activations.get(key) is _keras_internals.keras_builtin(key)
        assert keras.activations.get("tanhsoft") is keras_acts.tanhsoft
    finally:
        keras_acts.use_keras_builtins(False)
    assert set(keras_acts.taken_over()) == set(_names.TAKEN_OVER[BACKEND])


# --- get / serialize / deserialize -------------------------------------------------


@pytest.mark.parametrize("key", KERAS_NAMES)
def test_keras_names_round_trip(key):
    fn = keras.activations.get(key)
    saved = keras.activations.serialize(fn)
    assert saved == _keras_internals.keras_builtin(key).__name__
    assert keras.activations.deserialize(saved) is fn
    if key == saved or key in TAKEN_KEYS:
        # (Plain Keras fails on its aliases: deserialize("swish") raises.)
        assert keras.activations.deserialize(key) is fn
    assert keras.activations.get(saved) is fn
    layer = keras.layers.Dense(2, activation=key)
    clone = keras.layers.Dense.from_config(layer.get_config())
    assert clone.activation is fn


# Keras's documented arguments, with values other than the defaults:
# (name, positional arguments after x, keyword arguments).
KERAS_ARGUMENTS = [
    ("relu", (), dict(negative_slope=0.1, max_value=2.0, threshold=0.5)),
    ("leaky_relu", (), dict(negative_slope=0.3)),
    ("elu", (), dict(alpha=0.5)),
    ("elu", (0.5,), {}),
    ("elu", (), dict(alpha=-0.5)),  # Keras computes it; keras_acts' definition not.
    ("gelu", (), dict(approximate=True)),
    ("gelu", (True,), {}),
    ("gelu", (), dict(approximate=False)),
    ("softmax", (), dict(axis=0)),
    ("softmax", (), dict(axis=(0, 1))),
    ("threshold", (0.5, -1.0), {}),
    ("glu", (), dict(axis=0)),  # Needs an even size: 48 rows below.
] + [(name, (), {}) for name in KERAS_NAMES if name not in ("threshold", "glu")]


@pytest.mark.parametrize(
    "key,args,kwargs",
    KERAS_ARGUMENTS,
    ids=[f"{k}-{a}-{kw}" for k, a, kw in KERAS_ARGUMENTS],
)
def test_keras_arguments_keep_their_meaning(key, args, kwargs):
    x = np.linspace(-6.0, 6.0, 48 * 3, dtype="float32").reshape(48, 3)
    expected = _numpy(_keras_internals.keras_builtin(key)(x, *args, **kwargs))
    got = _numpy(keras.activations.get(key)(x, *args, **kwargs))
    # Absolute tolerance: in the far tails Keras's float32 formulas round to 0.
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.skipif("gelu" not in TAKEN_KEYS, reason="gelu is Keras's here")
def test_taken_over_names_accept_keras_acts_arguments_and_reject_typos():
    x = _grid()
    gelu = keras.activations.get("gelu")
    np.testing.assert_allclose(
        _numpy(gelu(x, approximate="sigmoid")),
        _numpy(keras_acts.gelu(x, approximate="sigmoid")),
    )
    with pytest.raises(ValueError, match="did you mean 'approximate'"):
        gelu(x, aproximate=True)
    with pytest.raises(ValueError, match="Did you mean: 'tanh'"):
        gelu(x, approximate="tnah")


# --- Cross-entropy from the logits -------------------------------------------------


def _loss_and_gradient(activation, loss, logits, target):
    """Loss and gradient of `loss(target, activation(logits @ kernel))`.

    The kernel is the identity; `activation` is resolved as Dense resolves
    its `activation` argument.
    """
    act = keras.activations.get(activation)
    x = keras.ops.convert_to_tensor(logits)
    kernel = np.eye(logits.shape[-1], dtype="float32")

    def f(k):
        return keras.ops.mean(loss(target, act(keras.ops.matmul(x, k))))

    if BACKEND == "tensorflow":
        import tensorflow as tf

        k = tf.Variable(kernel)
        with tf.GradientTape() as tape:
            value = f(k)
        grad = tape.gradient(value, k)
    elif BACKEND == "jax":
        import jax

        value, grad = jax.value_and_grad(f)(kernel)
    else:
        import torch

        k = torch.tensor(kernel, requires_grad=True)
        value = f(k)
        value.backward()
        grad = k.grad
    return _numpy(value), _numpy(grad)


CROSS_ENTROPY = [
    ("softmax", keras.losses.sparse_categorical_crossentropy, [[100.0, 0.0]], [1]),
    ("softmax", keras.losses.categorical_crossentropy, [[100.0, 0.0]], [[0.0, 1.0]]),
    ("sigmoid", keras.losses.binary_crossentropy, [[60.0, -60.0]], [[0.0, 1.0]]),
]


@pytest.mark.parametrize("name,loss,logits,target", CROSS_ENTROPY)
@pytest.mark.parametrize("form", ["string", "keras_acts function", "layer"])
def test_cross_entropy_at_extreme_logits_is_plain_keras(
    name, loss, logits, target, form
):
    if form == "layer" and name != "softmax":
        pytest.skip("Keras has no sigmoid layer")  # Covered by the other forms.
    logits = np.asarray(logits, "float32")
    target = np.asarray(target, "float32" if name == "sigmoid" else None)
    activation = {
        "string": name,
        "keras_acts function": getattr(keras_acts, name),
        "layer": L.Softmax() if name == "softmax" else None,
    }[form]
    got = _loss_and_gradient(activation, loss, logits, target)
    plain = _loss_and_gradient(getattr(keras_own, name), loss, logits, target)
    np.testing.assert_array_equal(got[0], plain[0])
    np.testing.assert_array_equal(got[1], plain[1])
    if BACKEND == "tensorflow":
        # From the logits (float64 reference), not from clipped probabilities.
        z = logits.astype(np.float64)
        if name == "softmax":
            expected = np.log(np.exp(z - z.max()).sum()) + z.max() - z[0, 1]
        else:
            expected = np.mean(np.logaddexp(0.0, -z * (2 * target - 1)))
        np.testing.assert_allclose(got[0], expected, rtol=1e-6)


def test_keras_softmax_test_case_from_the_issue():
    if BACKEND != "tensorflow":
        pytest.skip("Keras's cross-entropy reads the logits on TensorFlow only")
    loss, grad = _loss_and_gradient(
        "softmax",
        keras.losses.sparse_categorical_crossentropy,
        np.asarray([[1.0, 0.0]], "float32") * 100.0,
        np.asarray([1]),
    )
    assert loss == pytest.approx(100.0)
    np.testing.assert_allclose(grad, [[100.0, -100.0], [0.0, 0.0]])


# --- LSTM and GRU: cuDNN eligibility ------------------------------------------------


def _cudnn_check(monkeypatch):
    rnn = importlib.import_module(f"keras.src.backend.{BACKEND}.rnn")
    if BACKEND == "tensorflow":

        def check(layer, gru):
            if gru:
                return rnn._do_gru_arguments_support_cudnn(
                    layer.cell.activation,
                    layer.cell.recurrent_activation,
                    False,
                    True,
                    True,
                )
            return rnn._do_lstm_arguments_support_cudnn(
                layer.cell.activation, layer.cell.recurrent_activation, False, True
            )

        return check
    # JAX and torch also ask for a GPU; only the activations matter here.
    for attr in ("_is_gpu_available", "_is_cuda_cudnn_available"):
        if hasattr(rnn, attr):
            monkeypatch.setattr(rnn, attr, lambda: True)
    return lambda layer, gru: rnn.cudnn_ok(
        layer.cell.activation, layer.cell.recurrent_activation, False, True
    )


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_rnn_keeps_cudnn_eligibility(kind, monkeypatch):
    if BACKEND != "tensorflow" and kind == "GRU":
        pytest.skip("JAX and torch take no cuDNN path for GRU")
    check = _cudnn_check(monkeypatch)
    layer = getattr(keras.layers, kind)(4)
    assert check(layer, kind == "GRU") is True
    explicit = getattr(keras.layers, kind)(
        4, activation="tanh", recurrent_activation="sigmoid"
    )
    assert check(explicit, kind == "GRU") is True


# --- Same-named layers are drop-ins --------------------------------------------------

LAYER_ARGUMENTS = [
    ("ReLU", {}),
    ("ReLU", dict(max_value=2.0, negative_slope=0.1, threshold=0.5)),
    ("LeakyReLU", {}),
    ("LeakyReLU", dict(negative_slope=0.05)),
    ("ELU", {}),
    ("ELU", dict(alpha=0.5)),
    ("Softmax", {}),
    ("Softmax", dict(axis=(1, 2))),
    ("PReLU", {}),
    ("PReLU", dict(shared_axes=[1], alpha_initializer="ones")),
]


@pytest.mark.parametrize(
    "name,kwargs", LAYER_ARGUMENTS, ids=[f"{n}-{a}" for n, a in LAYER_ARGUMENTS]
)
def test_same_named_layers_are_drop_ins(name, kwargs):
    x = np.random.default_rng(SEED).normal(0.0, 3.0, (2, 3, 4)).astype("float32")
    ours, theirs = getattr(L, name)(**kwargs), getattr(keras.layers, name)(**kwargs)
    assert ours.built == theirs.built
    np.testing.assert_allclose(_numpy(ours(x)), _numpy(theirs(x)), rtol=2e-6, atol=1e-7)
    assert [w.shape for w in ours.weights] == [w.shape for w in theirs.weights]
    ours_config = {
        k: v for k, v in ours.get_config().items() if k not in ("requires", "name")
    }
    theirs_config = {k: v for k, v in theirs.get_config().items() if k != "name"}
    # Keras's config, plus at most its own constructor arguments (Keras 3.10's
    # ELU leaves `alpha` out of its config; keras_acts' saves it).
    assert theirs_config.items() <= ours_config.items()
    extra = set(ours_config) - set(theirs_config)
    assert extra <= set(inspect.signature(getattr(keras.layers, name)).parameters)


def test_softmax_layer_takes_a_mask_like_keras():
    x = np.random.default_rng(SEED).normal(0.0, 3.0, (2, 5)).astype("float32")
    mask = np.array([[1, 1, 0, 1, 0], [0, 1, 1, 1, 1]], bool)
    np.testing.assert_array_equal(
        _numpy(L.Softmax()(x, mask=mask)), _numpy(keras.layers.Softmax()(x, mask=mask))
    )


def test_leaky_relu_layer_has_keras_default():
    assert (
        L.LeakyReLU().negative_slope == keras.layers.LeakyReLU().negative_slope == 0.3
    )


def test_prelu_saved_with_the_old_defaults_loads_as_channel_prelu():
    old = L.ChannelPReLU().get_config()  # What PReLU saved before.
    assert "data_format" in old
    layer = L.PReLU.from_config(old)
    assert type(layer) is L.ChannelPReLU
    layer.build((None, 4, 4, 3))
    assert tuple(layer.alpha.shape) == (1, 1, 3)


# --- Unknown rank ---------------------------------------------------------------------


@pytest.mark.tensorflow
@pytest.mark.parametrize("name", keras_acts.names())
def test_inputs_of_unknown_rank(name):
    if BACKEND != "tensorflow":
        pytest.skip("unknown ranks are a TensorFlow graph feature")
    import tensorflow as tf

    fn = getattr(keras_acts, name)
    x = tf.constant(_grid())

    @tf.function(input_signature=[tf.TensorSpec(None, tf.float32)])
    def value_and_grad(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = fn(x)
        return y, tape.gradient(y, x)

    y, dy = value_and_grad(x)
    y_known, dy_known = value_and_grad.python_function(x)
    np.testing.assert_array_equal(_numpy(y), _numpy(y_known))
    np.testing.assert_array_equal(_numpy(dy), _numpy(dy_known))
    assert math.isfinite(float(np.sum(_numpy(dy))))
