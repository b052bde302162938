"""Distributed training of every learnable layer gives one device's weights.

tests/_distributed_worker.py trains one model holding every keras_acts layer
with weights (a branch each) for a few SGD steps on fixed seeded data, from
the same initial weights, on one device and distributed, in a subprocess per
backend (devices must be set up before the backend starts):

* TensorFlow: `tf.distribute.MirroredStrategy` over 2 logical CPU devices;
* JAX (4 host devices, ``--xla_force_host_platform_device_count=4``):
  `keras.distribution.DataParallel` (batch split 4 ways) and
  `keras.distribution.ModelParallel` (2x2 mesh: batch split 2 ways, every
  channel axis of the weights sharded 2 ways).

The reference is the single-device run of the same backend. Each weight must
match it within `UPDATE_RTOL` of its layer's update, and every activation's
weights must have moved, so a lost or doubled replica gradient, or a weight
left unsynchronised, fails.

Tolerance: the runs compute the same math in float32 but not in the same
order. Gradients are summed per replica and then across replicas (another
association of each batch sum: a sum of n terms may change by about
n * 6e-8 of the sum of their magnitudes; here n = 48 per step, so a few
1e-6 of a gradient), and XLA's CPU kernels take other code paths for
per-replica shapes (last-bit differences in matmuls and transcendentals);
over 6 steps such differences add up. Measured: at most 1.2e-7 absolute,
7.4e-6 of the layer's update (TensorFlow and JAX, both JAX layouts), so
`UPDATE_RTOL` = 2e-4 leaves a margin of 25. A distribution bug (a replica's
gradient lost or counted twice, a weight left unsynchronised) changes
updates by tens of percent; even a 1% error in every update is 50 times
the tolerance (checked by hand on recorded runs).

The subprocesses choose their own backend, so the outer one does not matter:
the tests run once, in CI's TensorFlow step (run under another backend, they
skip rather than train the same models again). They take
the two subprocesses' time, each compiling the model's train step once per
configuration (XLA: tens of seconds on a CPU).
"""

import json
import os
import pathlib
import subprocess
import sys

import _distributed_worker as worker
import keras
import numpy as np
import pytest

import keras_acts
import keras_acts.layers as L

BACKEND = keras.backend.backend()
WORKER = pathlib.Path(worker.__file__).resolve()
# The keras_acts this process tests, first on the subprocess's path.
SOURCE = pathlib.Path(keras_acts.__file__).resolve().parent.parent

# A weight's difference from the single-device run, at most this fraction of
# its layer's update (the largest change of the layer's weights); see above.
UPDATE_RTOL = 2e-4
# An activation layer's update must be at least this large: it trained.
MIN_UPDATE = 1e-3

once = pytest.mark.skipif(
    BACKEND != "tensorflow",
    reason="the subprocesses pick their backends: run once, under TensorFlow",
)

# Required arguments of layers that cannot be built bare.
_REQUIRED = {"Maxout": {"num_units": 4}, "SELUDense": {"units": 8}}
_REQUIRED["SirenDense"] = {"units": 8}


def test_every_learnable_layer_is_covered():
    """Every layer of keras_acts.layers with weights has a branch."""
    covered = {cls for cls, _, _ in worker.BRANCHES.values()}
    learnable = set()
    for name in L.__all__:
        layer = getattr(L, name)(**_REQUIRED.get(name, {}))
        layer.build((None, *worker.SHAPE))
        if layer.weights:
            learnable.add(name)
    assert learnable, "no layer with weights found"
    assert learnable <= covered, f"not trained distributed: {learnable - covered}"


def _train(backend, folder):
    env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3")
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(SOURCE), env.get("PYTHONPATH")) if p
    )
    # float32 training, as users run it (conftest enables x64 for numerics).
    env["JAX_ENABLE_X64"] = "0"
    out = folder / f"{backend}.npz"
    proc = subprocess.run(
        [sys.executable, str(WORKER), str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert proc.returncode == 0, f"worker failed:\n{proc.stderr[-4000:]}"
    with np.load(out) as arrays:
        return {key: arrays[key] for key in arrays.files}


def _info(run, config):
    return json.loads(str(run[f"{config}:info"]))


def _branch_errors(run, config, branch):
    """How `config`'s weights of `branch` (its Dense and its layer) differ
    from the single-device run's beyond tolerance, or the layer did not train.
    """
    layers = (branch, f"{branch}_in")
    keys = [
        key[len("single/") :]
        for key in run
        if key.startswith("single/") and key.split("/")[1] in layers
    ]
    if not keys:
        return [f"{branch}: no weights recorded"]
    update = {
        key: float(np.max(np.abs(run[f"single/{key}"] - run[f"initial/{key}"])))
        for key in keys
    }
    errors = []
    own = [u for key, u in update.items() if key.split("/")[0] == branch]
    # Maxout has no weights: its branch's Dense must still match.
    if own and max(own) < MIN_UPDATE:
        errors.append(f"{branch}: did not train (largest update {max(own):.1e})")
    for key in keys:
        layer = key.split("/")[0]
        scale = max(u for k, u in update.items() if k.split("/")[0] == layer)
        error = float(np.max(np.abs(run[f"{config}/{key}"] - run[f"single/{key}"])))
        if not error <= UPDATE_RTOL * scale:
            errors.append(
                f"{config} {key}: differs from one device by {error:.2e}; the "
                f"layer's update is {scale:.2e} (tolerance {UPDATE_RTOL * scale:.2e})"
            )
    return errors


def _check(run, config):
    errors = [e for b in worker.BRANCHES for e in _branch_errors(run, config, b)]
    assert not errors, "\n".join(errors)


# One test per subprocess, every layer checked in it (not a test per layer
# sharing a fixture: pytest-xdist may tear a module fixture down between
# tests and run the subprocess again).


@pytest.mark.tensorflow
def test_mirrored_strategy(tmp_path):
    run = _train("tensorflow", tmp_path)
    single, mirrored = _info(run, "single"), _info(run, "mirrored")
    assert single["steps"] == mirrored["steps"] == worker.STEPS
    assert mirrored["replicas"] == 2
    # Every variable mirrored (created under the strategy's scope).
    assert mirrored["mirrored_variables"] == mirrored["variables"] > 0
    _check(run, "mirrored")


@once
def test_jax_distribution(tmp_path):
    run = _train("jax", tmp_path)
    single = _info(run, "single")
    data = _info(run, "data_parallel")
    model = _info(run, "model_parallel")
    assert single["steps"] == data["steps"] == model["steps"] == worker.STEPS
    assert data["devices"] == model["devices"] == [4]
    assert data["sharded"] == []  # DataParallel replicates the weights.
    # ModelParallel sharded the channel axis of each per-channel weight.
    for weight in (
        "snake/alpha",
        "channel_prelu/alpha",
        "prelu/alpha",
        "tanhsoft/alpha",
        "star_relu/scale",
        "pau/numerator",
        "selu_dense/kernel",
        "siren_dense/kernel",
    ):
        assert weight in model["sharded"], weight
    _check(run, "data_parallel")
    _check(run, "model_parallel")
