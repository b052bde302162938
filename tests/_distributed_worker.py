"""Trains every learnable keras_acts layer on one device and distributed.

Run by tests/test_distributed.py in a subprocess, because the devices must be
set up before the backend initialises them:

    KERAS_BACKEND=tensorflow python tests/_distributed_worker.py OUT.npz
    KERAS_BACKEND=jax python tests/_distributed_worker.py OUT.npz

(CPU devices only: it hides GPUs, and on JAX sets
``XLA_FLAGS=--xla_force_host_platform_device_count=4`` itself.)

One model holds every layer: a branch per layer (``Dense(8)`` then the
layer, or the Dense-like layer itself) on the same input, the branches
concatenated, averaged over the middle axis, then ``Dense(1)``; MSE on fixed
seeded data. Each configuration starts from the same initial weights and
takes `STEPS` plain SGD steps (`fit`, no shuffling) on the same batches:

* TensorFlow: ``single`` (no strategy: one CPU device) and ``mirrored``
  (`tf.distribute.MirroredStrategy` over 2 logical CPU devices);
* JAX: ``single`` (no distribution: the first of 4 host devices),
  ``data_parallel`` (`keras.distribution.DataParallel`, batch split 4 ways)
  and ``model_parallel`` (`keras.distribution.ModelParallel` on a 2x2 mesh:
  batch split 2 ways, and every channel-sized weight axis, the Dense
  kernels' and biases' and the per-channel activation weights', sharded 2
  ways over "model").

Writes OUT.npz: ``<config>/<layer>/<weight>`` for the trained weights,
``initial/<layer>/<weight>`` for the starting ones, and ``<config>:info`` (a
JSON string: replicas, sharded weights, loss history). Importable without
side effects: the test reads BRANCHES from here.
"""

import json
import os
import sys

SEED = 20261203
BATCH = 16  # Divisible by 2 and 4 replicas.
SAMPLES = 32  # Two batches per epoch.
EPOCHS = 3  # So STEPS = 6 SGD steps.
STEPS = SAMPLES // BATCH * EPOCHS
LEARNING_RATE = 0.05
FEATURES = 8  # Channels: divisible by the 2-way "model" axis.
SHAPE = (3, FEATURES)  # Per-sample input: a middle axis to reduce over.

# Branch name -> (class name in keras_acts.layers, constructor arguments,
# whether the layer replaces the branch's Dense (a Dense-like layer)). Every
# layer with weights once (tests/test_distributed.py checks that none is
# missing), scalar and per-channel forms mixed: each branch costs compile
# time.
BRANCHES = {
    "prelu": ("PReLU", {}, False),  # alpha (3, 8)
    "channel_prelu": ("ChannelPReLU", {}, False),  # alpha (1, 8)
    "swish": ("Swish", {}, False),  # A scalar beta.
    "snake": ("Snake", {}, False),  # Per channel by default.
    "tanhsoft": ("TanhSoft", {"per_channel": True}, False),
    "eis": ("EIS", {}, False),
    "star_relu": ("StarReLU", {"per_channel": True}, False),
    "pau": ("PAU", {"per_channel": True}, False),  # (6, 8) and (4, 8)
    "hp1": ("HP1", {}, False),
    "hp2": ("HP2", {}, False),
    "orthogonal_pade": ("OrthogonalPade", {}, False),
    "maxout": ("Maxout", {"num_units": FEATURES // 2}, False),  # No weights.
    "selu_dense": ("SELUDense", {"units": FEATURES}, True),
    # w0=1, not 30: with 30 this learning rate moves its kernel to 20 times
    # its initial scale in 6 steps, where float32 rounding differences grow
    # to 1e-3 (chaos, not a distribution effect).
    "siren_dense": ("SirenDense", {"units": FEATURES, "w0": 1.0}, True),
}


def data():
    import numpy as np

    rng = np.random.default_rng(SEED)
    x = rng.normal(0.0, 1.0, (SAMPLES, *SHAPE)).astype("float32")
    y = rng.normal(0.0, 1.0, (SAMPLES, 1)).astype("float32")
    return x, y


def build_model():
    import keras

    import keras_acts.layers as L

    keras.utils.set_random_seed(SEED)
    inputs = keras.Input(SHAPE, name="x")
    outputs = []
    for name, (cls, kwargs, dense_like) in BRANCHES.items():
        if dense_like:
            h = getattr(L, cls)(**kwargs, name=name)(inputs)
        else:
            h = keras.layers.Dense(FEATURES, name=f"{name}_in")(inputs)
            h = getattr(L, cls)(**kwargs, name=name)(h)
        outputs.append(h)
    h = keras.layers.Concatenate(name="concat")(outputs)
    h = keras.layers.GlobalAveragePooling1D(name="pool")(h)
    outputs = keras.layers.Dense(1, name="head")(h)
    return keras.Model(inputs, outputs)


def weights(model):
    """``<layer>/<weight>`` -> numpy array, for every weight of the model."""
    import numpy as np

    out = {}
    for layer in model.layers:
        for w in layer.weights:
            out[f"{layer.name}/{w.name}"] = np.array(w.numpy())
    return out


def train(initial, info):
    """Builds the model, sets `initial` weights (a list, if any), trains.

    Returns the model and its weights before training (a dict and a list).
    """
    import time

    import keras

    begin = time.perf_counter()
    model = build_model()
    if initial is not None:
        model.set_weights(initial)
    start = weights(model), model.get_weights()
    model.compile(optimizer=keras.optimizers.SGD(LEARNING_RATE), loss="mse")
    x, y = data()
    history = model.fit(x, y, batch_size=BATCH, epochs=EPOCHS, shuffle=False, verbose=0)
    info["loss"] = [float(v) for v in history.history["loss"]]
    info["seconds"] = round(time.perf_counter() - begin, 2)
    info["steps"] = int(keras.ops.convert_to_numpy(model.optimizer.iterations))
    return model, start


def split_cpu():
    """Two logical CPU devices: before anything (Keras too) initialises TF."""
    import tensorflow as tf

    # CPUs only, on a machine with a GPU too: the single-device reference
    # would otherwise run on the GPU (other kernels, TF32 matmuls).
    tf.config.set_visible_devices([], "GPU")
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration()] * 2
    )


def run_tensorflow():
    import tensorflow as tf

    devices = [d.name for d in tf.config.list_logical_devices("CPU")]
    results, infos = {}, {}

    info = {"replicas": 1}
    model, (initial, start) = train(None, info)
    results["initial"] = initial
    results["single"] = weights(model)
    infos["single"] = info

    strategy = tf.distribute.MirroredStrategy(devices)
    info = {"replicas": int(strategy.num_replicas_in_sync), "devices": devices}
    with strategy.scope():
        # Built inside the scope: its variables are MirroredVariables.
        model, (begin, _) = train(start_weights(start), info)
    info["mirrored_variables"] = sum(
        isinstance(w.value, tf.distribute.DistributedValues) for w in model.weights
    )
    info["variables"] = len(model.weights)
    check_start(begin, initial)
    results["mirrored"] = weights(model)
    infos["mirrored"] = info
    return results, infos


def start_weights(arrays):
    return [a.copy() for a in arrays]


def check_start(begin, initial):
    """Every configuration must start from the reference's initial weights."""
    import numpy as np

    for key, value in initial.items():
        if not np.array_equal(begin[key], value):
            raise SystemExit(f"{key}: a different initial value")


def model_parallel_layout(mesh, model):
    """Shards every axis of size FEATURES (channels) over "model"."""
    import keras

    layout_map = keras.distribution.LayoutMap(mesh)
    for layer in model.layers:
        for w in layer.weights:
            shape = tuple(w.shape)
            if shape and shape[-1] == FEATURES:
                axes = (None,) * (len(shape) - 1) + ("model",)
                layout_map[w.path] = axes
    return layout_map


def run_jax():
    import jax
    import keras

    devices = jax.devices()
    if len(devices) != 4:
        raise SystemExit(f"expected 4 host devices, got {devices}")
    results, infos = {}, {}

    info = {"replicas": 1}
    model, (initial, start) = train(None, info)
    results["initial"] = initial
    results["single"] = weights(model)
    infos["single"] = info

    mesh = keras.distribution.DeviceMesh((2, 2), ["batch", "model"], devices)
    configs = {
        "data_parallel": keras.distribution.DataParallel(devices=devices),
        "model_parallel": keras.distribution.ModelParallel(
            layout_map=model_parallel_layout(mesh, model), batch_dim_name="batch"
        ),
    }
    for name, distribution in configs.items():
        info = {}
        with distribution.scope():
            model, (begin, _) = train(start_weights(start), info)
        check_start(begin, initial)
        shardings = [w.value.sharding for w in model.weights]
        info["devices"] = sorted({len(s.device_set) for s in shardings})
        info["sharded"] = sorted(
            w.path
            for w, s in zip(model.weights, shardings, strict=True)
            if not s.is_fully_replicated
        )
        info["variables"] = len(model.weights)
        results[name] = weights(model)
        infos[name] = info
    return results, infos


def main(out):
    backend = os.environ.get("KERAS_BACKEND", "tensorflow")
    if backend == "tensorflow":
        split_cpu()
    elif backend == "jax":  # Before JAX starts: 4 CPU devices, no GPU.
        os.environ["JAX_PLATFORMS"] = "cpu"
        flags = os.environ.get("XLA_FLAGS", "")
        if "xla_force_host_platform_device_count" not in flags:
            count = "--xla_force_host_platform_device_count=4"
            os.environ["XLA_FLAGS"] = f"{flags} {count}".strip()
    import keras
    import numpy as np

    if backend == "tensorflow":
        results, infos = run_tensorflow()
    elif backend == "jax":
        results, infos = run_jax()
    else:
        raise SystemExit(f"unsupported backend {backend!r}")
    assert keras.backend.backend() == backend
    arrays = {
        f"{config}/{key}": value
        for config, values in results.items()
        for key, value in values.items()
    }
    arrays.update({f"{config}:info": json.dumps(i) for config, i in infos.items()})
    np.savez(out, **arrays)


if __name__ == "__main__":
    main(sys.argv[1])
