"""Bad arguments fail early, with a message that says what is wrong.

Every public function (`keras_acts.<name>(x, **params)`) and every layer of
`keras_acts.layers` is checked with values generated from the registry's
`Param` metadata (tests/_params.py): wrong types (booleans are never numbers),
non-finite numbers, values just outside the declared range, wrong choices.
Each must raise `ValueError` naming the argument, the value received and
what is allowed; misspelt argument and activation names must list the close
matches. Layers raise at construction, before any input is seen.

The structural layers (Maxout, PReLU, SirenDense, SELUDense) and the rational
units have no `Param` metadata; their arguments are listed here.
"""

import inspect
import math

import keras
import numpy as np
import pytest
from _params import bad_values, good_values

import keras_acts
import keras_acts.layers as L
from keras_acts import _rational, _spec
from keras_acts.layers._activation import LearnableActivation, class_name

REGISTRY = _spec.registry()
LAYER_CLASSES = {name: getattr(L, class_name(name)) for name in REGISTRY}
LEARNABLE = [
    n for n, cls in LAYER_CLASSES.items() if issubclass(cls, LearnableActivation)
]


def _value_repr(value):
    return _spec._short_repr(value)


def _assert_names(error, arg, value, allowed=None):
    """The message names the argument, shows the value and what is allowed."""
    message = str(error.value)
    assert f"`{arg}`" in message, message
    assert _value_repr(value) in message, message
    if allowed is not None:
        assert allowed in message, message


def _cases(values_of):
    """(name, param, value) for every parameter of every activation."""
    return [
        pytest.param(name, p, value, id=f"{name}-{p.name}-{why}")
        for name, spec in REGISTRY.items()
        for p in spec.params
        for value, why in values_of(p)
    ]


BAD = _cases(bad_values)
GOOD = _cases(lambda p: [(v, f"{i}:{v!r}") for i, v in enumerate(good_values(p))])


def _finite_number(value):
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(value)
    )


def test_every_parameter_is_covered():
    # What users see: the keyword arguments of each public function, read
    # from its signature (not from the registry the cases come from).
    public = {
        (name, arg.name)
        for name in keras_acts.names()
        for arg in inspect.signature(getattr(keras_acts, name)).parameters.values()
        if arg.kind is inspect.Parameter.KEYWORD_ONLY
    }
    bad = {(c.values[0], c.values[1].name) for c in BAD}
    good = {(c.values[0], c.values[1].name) for c in GOOD}
    assert bad == public, "arguments with no value to reject"
    assert good == public, "arguments with no value to accept"
    # Every declared bound is tested from the outside.
    for case in BAD:
        name, param, _ = case.values
        if param.low is not None:
            assert any(
                c.values[:2] == (name, param)
                and _finite_number(c.values[2])
                and c.values[2] <= param.low
                for c in BAD
            ), f"{name}.{param.name}: nothing at or below {param.low}"
        if param.high is not None:
            assert any(
                c.values[:2] == (name, param)
                and _finite_number(c.values[2])
                and c.values[2] >= param.high
                for c in BAD
            ), f"{name}.{param.name}: nothing at or above {param.high}"
    # Each activation's layer is the public class of that name, built from
    # the registry's spec.
    for name in keras_acts.names():
        cls = getattr(L, class_name(name))
        assert cls.__name__ in L.__all__, name
        assert cls.spec is REGISTRY[name], name


# --- Functions ---------------------------------------------------------------------


@pytest.mark.parametrize("name,param,value", BAD)
def test_function_rejects_bad_value(name, param, value):
    x = np.zeros((2, 3), "float32")
    with pytest.raises(ValueError) as error:
        getattr(keras_acts, name)(x, **{param.name: value})
    _assert_names(error, param.name, value, param.allowed())
    assert f"keras_acts.{name}" in str(error.value)


@pytest.mark.parametrize("name,param,value", GOOD)
def test_function_accepts_allowed_value(name, param, value):
    # A symbolic input runs the same validation without compiling a kernel;
    # an axis needs an input with that many axes (the declared range is 16).
    shape = (None, 3) + ((1,) * 14 if param.name == "axis" else ())
    y = getattr(keras_acts, name)(keras.KerasTensor(shape), **{param.name: value})
    assert tuple(y.shape) == shape
    resolved = REGISTRY[name].resolve({param.name: value})[param.name]
    if param.choices is None:
        assert type(resolved) is (int if param.integer else float)
        assert resolved == value


@pytest.mark.parametrize(
    "name",
    [
        n
        for n, s in REGISTRY.items()
        if any(p.numeric and not p.integer for p in s.params)
    ],
)
def test_function_accepts_tensor_parameters(name):
    """Tensors (learnable parameters) pass; bool tensors do not."""
    spec = REGISTRY[name]
    p = next(p for p in spec.params if p.numeric and not p.integer)
    value = np.asarray(p.default, "float32")
    assert spec.resolve({p.name: value})[p.name] is value
    tensor = keras.ops.convert_to_tensor(value)
    assert spec.resolve({p.name: tensor})[p.name] is tensor
    flag = keras.ops.convert_to_tensor(np.array(True))
    with pytest.raises(ValueError) as error:
        spec.resolve({p.name: flag})
    assert f"`{p.name}`" in str(error.value) and "bool" in str(error.value)


@pytest.mark.parametrize("name", keras_acts.names())
def test_function_unknown_argument_lists_close_matches(name):
    spec = REGISTRY[name]
    x = np.zeros((2, 3), "float32")
    if spec.params:
        target = spec.params[-1].name
        typo = target[:-1] if len(target) > 2 else target + "x"
    else:
        target, typo = None, "beta"
    with pytest.raises(ValueError) as error:
        getattr(keras_acts, name)(x, **{typo: 1.0})
    message = str(error.value)
    assert "unknown argument" in message and repr(typo) in message, message
    if target is not None:
        assert f"did you mean {target!r}" in message, message
    for p in spec.params:
        assert p.name in message, message


def test_positional_parameters_are_refused():
    with pytest.raises(TypeError):
        keras_acts.swish(np.zeros(3), 2.0)


# --- axis (softmax) against the input's rank ---------------------------------------


@pytest.mark.parametrize("shape,axis", [((), -1), ((3,), 1), ((2, 3), 2), ((2, 3), -3)])
def test_axis_must_index_the_input(shape, axis):
    x = np.zeros(shape, "float32")
    with pytest.raises(ValueError) as error:
        keras_acts.softmax(x, axis=axis)
    _assert_names(error, "axis", axis, f"rank {len(shape)}")
    layer = L.Softmax(axis=axis)  # Fine until it sees an input.
    with pytest.raises(ValueError) as error:
        layer(x)
    _assert_names(error, "axis", axis, f"rank {len(shape)}")


def test_valid_axis_is_accepted():
    y = keras_acts.softmax(np.zeros((2, 4), "float32"), axis=0)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(y), 0.5)


# --- Unknown activation names ------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda n: keras_acts.get(n), id="keras_acts.get"),
        pytest.param(lambda n: keras_acts.info(n), id="keras_acts.info"),
        pytest.param(lambda n: keras.activations.get(n), id="keras.activations.get"),
        pytest.param(lambda n: keras.layers.Dense(2, activation=n), id="Dense"),
        pytest.param(lambda n: L.PAU(approximate=n), id="PAU-approximate"),
    ],
)
@pytest.mark.parametrize("name", ["mish", "hard_swish", "tanhsoft"])
def test_unknown_activation_lists_close_matches(call, name):
    typo = name[0] + name[2] + name[1] + name[3:]  # Two letters swapped.
    with pytest.raises(ValueError) as error:
        call(typo)
    message = str(error.value)
    assert repr(typo) in message and repr(name) in message, message


def test_non_string_name_gets_no_suggestions():
    with pytest.raises(ValueError) as error:
        keras_acts.get(3)
    assert "Did you mean" not in str(error.value)


# --- Generated layers ---------------------------------------------------------------


@pytest.mark.parametrize("name,param,value", BAD)
def test_layer_rejects_bad_value_at_construction(name, param, value):
    cls = LAYER_CLASSES[name]
    with pytest.raises(ValueError) as error:
        cls(**{param.name: value})
    _assert_names(error, param.name, value, param.allowed())
    assert f"keras_acts.layers.{cls.__name__}" in str(error.value)


@pytest.mark.parametrize(
    "name,param",
    [
        pytest.param(n, p, id=f"{n}-{p.name}")
        for n, s in REGISTRY.items()
        for p in s.params
        if p.numeric and not p.integer
    ],
)
def test_layer_rejects_tensor_values(name, param):
    """Layer arguments go into the config: numbers only, not tensors."""
    value = keras.ops.convert_to_tensor(np.float32(param.default))
    with pytest.raises(ValueError) as error:
        LAYER_CLASSES[name](**{param.name: value})
    _assert_names(error, param.name, value, param.allowed())


@pytest.mark.parametrize("name,param,value", GOOD)
def test_layer_accepts_allowed_value(name, param, value):
    layer = LAYER_CLASSES[name](**{param.name: value})
    config = layer.get_config()
    assert config[param.name] == value
    assert type(layer).from_config(config).get_config() == config


@pytest.mark.parametrize("name", keras_acts.names())
def test_layer_unknown_argument_lists_close_matches(name):
    cls = LAYER_CLASSES[name]
    spec = REGISTRY[name]
    typos = {"nmae": "name"}
    if spec.params:
        typos[spec.params[0].name + "s"] = spec.params[0].name
    if name in LEARNABLE:
        typos["per_chanel"] = "per_channel"
        typos[f"trainable_{spec.numeric_params[0].name}x"] = (
            f"trainable_{spec.numeric_params[0].name}"
        )
    for typo, meant in typos.items():
        with pytest.raises(ValueError) as error:
            cls(**{typo: 1})
        message = str(error.value)
        assert repr(typo) in message and repr(meant) in message, message


@pytest.mark.parametrize("name", keras_acts.names())
def test_layer_too_many_positional_arguments(name):
    cls = LAYER_CLASSES[name]
    # Drop-ins for Keras's layers (ReLU, ...) take Keras's positional arguments.
    positional = [
        p
        for p in inspect.signature(cls).parameters.values()
        if p.kind is p.POSITIONAL_OR_KEYWORD and p.name != "self"
    ]
    args = [p.default for p in positional] + [1.0]
    with pytest.raises(ValueError) as error:
        cls(*args)
    assert "positional" in str(error.value)


_LEARNABLE_BAD = [
    ("trainable_{p}", 1),
    ("trainable_{p}", "yes"),
    ("trainable_{p}", None),
    ("per_channel", 1),
    ("per_channel", "True"),
    ("axis", 1.5),
    ("axis", "x"),
    ("axis", True),
    ("regularizer", "l3"),
]


@pytest.mark.parametrize(
    "name,arg,value",
    [
        pytest.param(n, arg, value, id=f"{n}-{arg}-{value!r}")
        for n in LEARNABLE
        for arg, value in _LEARNABLE_BAD
    ],
)
def test_learnable_layer_rejects_bad_option(name, arg, value):
    arg = arg.format(p=REGISTRY[name].numeric_params[0].name)
    with pytest.raises(ValueError) as error:
        LAYER_CLASSES[name](**{arg: value})
    _assert_names(error, arg, value)


@pytest.mark.parametrize("name", LEARNABLE)
def test_per_channel_axis_is_checked_when_built(name):
    layer = LAYER_CLASSES[name](per_channel=True, axis=0)
    with pytest.raises(ValueError) as error:
        layer.build((None, 4))
    _assert_names(error, "axis", 0)
    layer = LAYER_CLASSES[name](per_channel=True, axis=3)
    with pytest.raises(ValueError) as error:
        layer.build((None, 4))
    _assert_names(error, "axis", 3)


# --- Structural layers ---------------------------------------------------------------

_STRUCTURAL = [
    # (layer, arg, bad value, fragment of what is allowed)
    (L.Maxout, dict(), "num_units", 0, ">= 1"),
    (L.Maxout, dict(), "num_units", -2, ">= 1"),
    (L.Maxout, dict(), "num_units", 2.5, "integer"),
    (L.Maxout, dict(), "num_units", True, "integer"),
    (L.Maxout, dict(), "num_units", "2", "integer"),
    (L.Maxout, dict(), "num_units", None, "integer"),
    (L.Maxout, dict(num_units=2), "axis", 1.5, "integer"),
    (L.Maxout, dict(num_units=2), "axis", True, "integer"),
    (L.PReLU, dict(), "shared_axes", "1", "list"),
    (L.PReLU, dict(), "shared_axes", [1.5], "integer"),
    (L.PReLU, dict(), "shared_axes", [True], "integer"),
    (L.ChannelPReLU, dict(), "data_format", "channels_middle", "channels_last"),
    (L.PReLU, dict(), "alpha_initializer", "bogus", None),
    (L.PReLU, dict(), "alpha_regularizer", "l3", None),
    (L.PReLU, dict(), "alpha_constraint", "bogus", None),
    (L.SirenDense, dict(units=4), "w0", 0.0, "> 0"),
    (L.SirenDense, dict(units=4), "w0", -30.0, "> 0"),
    (L.SirenDense, dict(units=4), "w0", math.nan, "> 0"),
    (L.SirenDense, dict(units=4), "w0", True, "> 0"),
    (L.SirenDense, dict(units=4), "w0", "30", "> 0"),
    (L.SirenDense, dict(units=4), "is_first", 1, "True or False"),
    (L.SirenDense, dict(units=4), "is_first", "yes", "True or False"),
    (L.SirenDense, dict(), "units", 0, "positive integer"),
    (L.SirenDense, dict(), "units", True, "positive integer"),
    (L.SirenDense, dict(), "units", 2.5, "positive integer"),
    (L.SirenDense, dict(units=4), "activation", "relu", "built in"),
    (L.SELUDense, dict(), "units", -3, "positive integer"),
    (L.SELUDense, dict(), "units", False, "positive integer"),
    (L.SELUDense, dict(units=4), "dropout_rate", 1.0, "[0, 1)"),
    (L.SELUDense, dict(units=4), "dropout_rate", -0.1, "[0, 1)"),
    (L.SELUDense, dict(units=4), "dropout_rate", True, "[0, 1)"),
    (L.SELUDense, dict(units=4), "dropout_rate", "0.1", "[0, 1)"),
    (L.SELUDense, dict(units=4), "seed", "a", "integer"),
    (L.SELUDense, dict(units=4), "seed", 1.5, "integer"),
    (L.SELUDense, dict(units=4), "activation", "selu", "built in"),
]


@pytest.mark.parametrize(
    "cls,base,arg,value,allowed",
    [pytest.param(*c, id=f"{c[0].__name__}-{c[2]}-{c[3]!r}") for c in _STRUCTURAL],
)
def test_structural_layer_rejects_bad_argument(cls, base, arg, value, allowed):
    with pytest.raises(ValueError) as error:
        cls(**base, **{arg: value})
    _assert_names(error, arg, value, allowed)
    assert f"keras_acts.layers.{cls.__name__}" in str(error.value)


@pytest.mark.parametrize(
    "make,shape,arg",
    [
        (lambda: L.Maxout(3), (None, 8), "num_units"),
        (lambda: L.Maxout(2, axis=0), (None, 8), "axis"),
        (lambda: L.Maxout(2, axis=2), (None, 8), "axis"),
        (lambda: L.PReLU(shared_axes=[0]), (None, 4, 3), "shared_axes"),
        (lambda: L.PReLU(shared_axes=[3]), (None, 4, 3), "shared_axes"),
        (lambda: L.PReLU(), (None,), "rank"),
    ],
)
def test_structural_layer_rejects_incompatible_input(make, shape, arg):
    layer = make()
    with pytest.raises(ValueError) as error:
        layer.build(shape)
    assert arg in str(error.value) and str(tuple(shape)) in str(error.value)


@pytest.mark.parametrize(
    "cls,base,typo,meant",
    [
        (L.Maxout, dict(num_units=2), "num_unit", "num_units"),
        (L.PReLU, dict(), "shared_axis", "shared_axes"),
        (L.SirenDense, dict(units=2), "is_frist", "is_first"),
        (L.SELUDense, dict(units=2), "droput_rate", "dropout_rate"),
        (L.PAU, dict(), "numerator_degre", "numerator_degree"),
        (L.OrthogonalPade, dict(), "bassis", "basis"),
        (L.HP1, dict(), "fit_rang", "fit_range"),
        (L.HP2, dict(), "per_chanel", "per_channel"),
    ],
)
def test_structural_layer_unknown_argument_lists_close_matches(cls, base, typo, meant):
    with pytest.raises(ValueError) as error:
        cls(**base, **{typo: 1})
    message = str(error.value)
    assert repr(typo) in message and repr(meant) in message, message


# --- Rational units -----------------------------------------------------------------

_MAX = _rational.MAX_DEGREE
_RATIONAL_BAD = [
    ("numerator_degree", -1, f"0 to {_MAX}"),
    ("numerator_degree", _MAX + 1, f"0 to {_MAX}"),
    ("numerator_degree", 2.0, f"0 to {_MAX}"),
    ("numerator_degree", True, f"0 to {_MAX}"),
    ("numerator_degree", "5", f"0 to {_MAX}"),
    ("denominator_degree", 0, f"1 to {_MAX}"),
    ("denominator_degree", _MAX + 1, f"1 to {_MAX}"),
    ("denominator_degree", False, f"1 to {_MAX}"),
    ("version", "C", "'A', 'B'"),
    ("version", "a", "Did you mean: 'A'"),
    ("version", None, "'A', 'B'"),
    ("approximate", "leaky_rel", "'leaky_relu'"),
    ("approximate", 3, "callable"),
    ("approximate", True, "callable"),
    ("fit_range", (3.0, -3.0), "low < high"),
    ("fit_range", (0.0, math.inf), "finite"),
    ("fit_range", (1.0,), "two"),
    ("fit_range", (False, 2.0), "two finite numbers"),
    ("fit_range", "ab", "two"),
    ("initial_coefficients", {"numerator": [1.0]}, "numerator"),
    ("initial_coefficients", [1.0, 2.0], "dict"),
    ("per_channel", 1, "True or False"),
    ("per_channel", "yes", "True or False"),
    ("axis", 1.5, "integer"),
    ("axis", True, "integer"),
    ("coefficient_regularizer", "l3", None),
    ("coefficient_constraint", "bogus", None),
]


@pytest.mark.parametrize("cls", [L.PAU, L.OrthogonalPade, L.HP1, L.HP2])
@pytest.mark.parametrize(
    "arg,value,allowed",
    [pytest.param(*c, id=f"{c[0]}-{c[1]!r}") for c in _RATIONAL_BAD],
)
def test_rational_layer_rejects_bad_argument(cls, arg, value, allowed):
    with pytest.raises(ValueError) as error:
        cls(**{arg: value})
    _assert_names(error, arg, value, allowed)
    assert f"keras_acts.layers.{cls.__name__}" in str(error.value)


@pytest.mark.parametrize(
    "cls,value,allowed",
    [
        (L.PAU, "legendre", "'power'"),
        (L.OrthogonalPade, "power", "'legendre'"),
        (L.OrthogonalPade, "legendr", "Did you mean: 'legendre'"),
        (L.OrthogonalPade, 3, "'laguerre'"),
        (L.HP1, "hermite_physicists", "'hermite_probabilists'"),
        (L.HP2, "legendre", "'hermite_physicists'"),
    ],
)
def test_rational_basis(cls, value, allowed):
    with pytest.raises(ValueError) as error:
        cls(basis=value)
    _assert_names(error, "basis", value, allowed)


def test_rational_needs_a_target_or_coefficients():
    with pytest.raises(ValueError) as error:
        L.PAU(approximate=None)
    assert "`approximate`" in str(error.value)
    assert "`initial_coefficients`" in str(error.value)


def test_rational_per_channel_axis_is_checked_when_built():
    layer = L.PAU(per_channel=True, axis=3)
    with pytest.raises(ValueError) as error:
        layer.build((None, 4))
    _assert_names(error, "axis", 3, "rank 2")
    layer = L.PAU(per_channel=True, axis=-1)
    with pytest.raises(ValueError) as error:
        layer.build((None, None))
    assert "known size" in str(error.value)
