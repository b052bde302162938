"""Fuzz: small random models from the registry, trained one step and saved.

Each model is a few Dense layers whose activations are drawn from the
registry, each as a string (``Dense(activation="tanhsoft")``), as a layer of
keras_acts.layers after a Dense, or as such a layer passed as
``Dense(activation=...)``; PReLU, Maxout and PAU join the draw. Layer
parameters are drawn inside their declared ranges (tests/_params.py; an
``axis`` indexes the rank-2 inputs), learnable layers draw ``per_channel``,
and each model draws a dtype policy (float32, mixed_float16, mixed_bfloat16)
and ``jit_compile``. Each model must:

* take one fit step with a finite loss and finite weights afterwards;
* round-trip through `.keras`: the loaded model has the same layer configs and
  dtype policies and gives identical predictions, eager and through
  `predict`.

The plans are drawn once from a fixed seed at collection (the test ids say
what each model is), every registry name is drawn at least once, and the
count is fixed, so a failure reproduces by its id.
"""

import dataclasses

import keras
import numpy as np
import pytest
from _params import random_value
from _util import SEED

import keras_acts
import keras_acts.layers as L
from keras_acts.layers._activation import LearnableActivation, class_name

pytestmark = pytest.mark.slow

N_MODELS = 16
POLICIES = ("float32", "mixed_float16", "mixed_bfloat16")
EXTRA_LAYERS = ("PReLU", "Maxout", "PAU")  # Not registry names; drawn too.
KINDS = ("string", "layer", "dense-activation")


@dataclasses.dataclass(frozen=True)
class Slot:
    """One activation of a model: how it is given, and its arguments."""

    kind: str  # One of KINDS.
    name: str  # A registry name, or one of EXTRA_LAYERS.
    kwargs: tuple = ()  # (argument, value) pairs for a layer.

    def describe(self):
        args = ",".join(
            f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}"
            for k, v in self.kwargs
        )
        label = repr(self.name) if self.kind == "string" else self.name
        return f"{self.kind}:{label}" + (f"({args})" if args else "")


@dataclasses.dataclass(frozen=True)
class Plan:
    index: int
    policy: str
    jit_compile: bool
    units: tuple  # Units of the Dense before each slot.
    slots: tuple

    @property
    def id(self):
        jit = "jit" if self.jit_compile else "graph"
        slots = "+".join(s.describe() for s in self.slots)
        return f"{self.index}-{self.policy}-{jit}-{slots}"


def _layer_kwargs(name, rng):
    """Arguments drawn for the layer of `name`: some parameters, some options."""
    if name == "PReLU":
        return ()
    if name == "Maxout":
        return (("num_units", int(rng.integers(1, 4))),)
    if name == "PAU":
        return (("version", str(rng.choice(["A", "B"]))),)
    cls = getattr(L, class_name(name))
    kwargs = []
    for param in keras_acts.info(name).params:
        if rng.random() < 0.3:
            continue  # Left at its default.
        if param.name == "axis":
            value = int(rng.integers(-2, 2))  # Must index the rank-2 inputs.
        else:
            value = random_value(param, rng)
        kwargs.append((param.name, value))
    if issubclass(cls, LearnableActivation):
        kwargs.append(("per_channel", bool(rng.random() < 0.5)))
    return tuple(kwargs)


def _plans():
    rng = np.random.default_rng(SEED)
    deck = []

    def draw():
        if not deck:
            deck.extend(rng.permutation([*keras_acts.names(), *EXTRA_LAYERS]))
        return str(deck.pop())

    plans = []
    for index in range(N_MODELS):
        slots = []
        for _ in range(int(rng.integers(1, 4))):
            name = draw()
            kind = "layer" if name in EXTRA_LAYERS else str(rng.choice(KINDS))
            if name == "Maxout":
                kind = "layer"  # Changes the width: not an activation= of Dense.
            kwargs = () if kind == "string" else _layer_kwargs(name, rng)
            slots.append(Slot(kind, name, kwargs))
        units = tuple(int(rng.integers(2, 7)) for _ in slots)
        policy = str(rng.choice(POLICIES))
        plans.append(Plan(index, policy, bool(rng.random() < 0.5), units, tuple(slots)))
    return plans


PLANS = _plans()


def test_plans_draw_every_name_and_setting():
    drawn = {s.name for p in PLANS for s in p.slots}
    assert drawn >= set(keras_acts.names()) | set(EXTRA_LAYERS)
    assert {p.policy for p in PLANS} == set(POLICIES)
    assert {p.jit_compile for p in PLANS} == {False, True}
    assert {s.kind for p in PLANS for s in p.slots} == set(KINDS)


def _layer(slot):
    cls = getattr(L, slot.name if slot.name in EXTRA_LAYERS else class_name(slot.name))
    return cls(**dict(slot.kwargs))


def _model(plan):
    layers = [keras.Input((4,))]
    for slot, units in zip(plan.slots, plan.units, strict=True):
        if slot.kind == "string":
            layers.append(keras.layers.Dense(units, activation=slot.name))
        elif slot.kind == "dense-activation":
            layers.append(keras.layers.Dense(units, activation=_layer(slot)))
        else:
            # Maxout needs a width that its num_units divides.
            n = dict(slot.kwargs).get("num_units", 1)
            layers += [keras.layers.Dense(units * n), _layer(slot)]
    # Float32 outputs and loss, as mixed-precision models are usually built.
    layers.append(keras.layers.Dense(2, dtype="float32"))
    return keras.Sequential(layers)


@pytest.fixture
def policy_restored():
    previous = keras.config.dtype_policy()
    yield
    keras.config.set_dtype_policy(previous)


def _numpy(t):
    return np.asarray(keras.ops.convert_to_numpy(t))


def _comparable(config):
    """`config` without Keras's `shared_object_id`s (ids of Python objects)."""
    if isinstance(config, dict):
        return {k: _comparable(v) for k, v in config.items() if k != "shared_object_id"}
    if isinstance(config, (list, tuple)):
        return [_comparable(v) for v in config]
    return config


# Keras skips (and warns about) the saved optimizer variables of a
# mixed_float16 model (its LossScaleOptimizer) on load; the weights and
# predictions checked here do load.
@pytest.mark.filterwarnings("ignore:Skipping variable loading for optimizer")
@pytest.mark.parametrize("plan", [pytest.param(p, id=p.id) for p in PLANS])
def test_random_model_trains_and_round_trips(plan, tmp_path, policy_restored):
    keras.utils.set_random_seed(SEED + plan.index)
    keras.config.set_dtype_policy(plan.policy)
    model = _model(plan)
    model.compile(
        optimizer=keras.optimizers.SGD(0.01), loss="mse", jit_compile=plan.jit_compile
    )
    rng = np.random.default_rng(SEED + plan.index)
    x = rng.normal(0.0, 1.0, (16, 4)).astype("float32")
    y = rng.normal(0.0, 1.0, (16, 2)).astype("float32")
    loss = model.train_on_batch(x, y)
    assert np.isfinite(loss), loss
    for weight in model.weights:
        assert np.all(np.isfinite(_numpy(weight))), weight.path

    path = tmp_path / "model.keras"
    model.save(path)
    # Loaded under the default policy: the file must carry each layer's own.
    keras.config.set_dtype_policy("float32")
    loaded = keras.models.load_model(path)
    assert len(loaded.layers) == len(model.layers)
    for old, new in zip(model.layers, loaded.layers, strict=True):
        assert type(new) is type(old)
        assert _comparable(new.get_config()) == _comparable(old.get_config())
        assert new.dtype_policy.name == old.dtype_policy.name, old.name
    np.testing.assert_array_equal(_numpy(loaded(x)), _numpy(model(x)))
    np.testing.assert_array_equal(
        loaded.predict(x, verbose=0), model.predict(x, verbose=0)
    )
