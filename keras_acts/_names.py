"""String names: makes every registered activation work as `activation="..."`.

Three kinds of names:

* keras_acts-only names (`tanhsoft`, ...): installed for Keras's name lookup
  and registered as ``keras_acts>name`` for saving; a saved model needs
  keras_acts to load.
* Keras built-in names that keras_acts *takes over* on the active backend
  (`TAKEN_OVER`): only where its fused kernel measured clearly faster than
  Keras's own function. The string then resolves to a drop-in for Keras's
  function: Keras's name, signature, defaults and meaning (a strict
  superset: keras_acts' extra arguments are accepted too, and a value only
  Keras accepts is computed by Keras's function). It saves as Keras's own
  name, so a saved model still loads where keras_acts is not installed.
  `use_keras_builtins(True)` (or ``KERAS_ACTS_USE_KERAS_BUILTINS=1`` before
  import) gives every such name back to Keras.
* every other Keras name stays Keras's own object, untouched
  (``keras.activations.get("relu") is keras.activations.relu``): Keras tests
  some of them by identity (softmax and sigmoid outputs carry the logits
  for cross-entropy; LSTM/GRU pick cuDNN for tanh and sigmoid).
"""

import inspect
import os

import keras

from keras_acts import _keras_internals, _kernels, _spec

# Keras names whose string keras_acts resolves to its fused kernel, per
# backend. The rule: forward+backward at most 0.85x Keras's own function in
# one mode (TensorFlow: tf.function or jit_compile; JAX: jit) and not slower
# in the other. Measured by benchmarks/bench_keras_names.py; the figures are
# in docs/benchmarks.md ("Keras names"). Keras's aliases (swish, hard_swish)
# follow their name. On PyTorch Keras's functions call torch's native fused
# kernels, which keras_acts' op-by-op formulas do not beat.
TAKEN_OVER = {
    "tensorflow": ("elu", "gelu", "hard_silu", "mish", "selu", "silu", "softplus"),
    # JAX: only mish has a quiet-machine measurement that meets the rule
    # (0.66x Keras's under jit); gelu measured 0.91x, short of 0.85x.
    "jax": ("mish",),
    "torch": (),
}

# Keras argument values that keras_acts spells differently.
_KERAS_VALUES = {("gelu", "approximate"): {True: "tanh", False: "none"}}

_state = {"keras_builtins": False}
_drop_ins = {}  # Keras name -> its drop-in; stable identity across toggles.


def taken_over():
    """The Keras names resolved to keras_acts on the active backend."""
    names = TAKEN_OVER.get(keras.backend.backend(), ())
    return tuple(sorted(names)) if not _state["keras_builtins"] else ()


def _spec_for_keras_name(keras_name):
    for spec in _spec.registry().values():
        if spec.keras_name == keras_name:
            return spec
    raise ValueError(f"No keras_acts activation has keras_name={keras_name!r}.")


def _keras_value(keras_name, arg, value):
    table = _KERAS_VALUES.get((keras_name, arg), {})
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return table.get(bool(value), value)
    return value


_LOW_PRECISION = ("float16", "bfloat16")


def drop_in(keras_name):
    """keras_acts' kernel behind Keras's function `keras_name`.

    Takes Keras's arguments with Keras's defaults and meaning (positional or
    keyword) and keras_acts' extra parameters as keywords. A value keras_acts'
    definition does not allow but Keras's function does (a negative ELU
    alpha, say) is computed by Keras's own function, so nothing Keras
    accepts is refused; a misspelt argument name is an error that lists
    close matches.
    """
    if keras_name in _drop_ins:
        return _drop_ins[keras_name]
    spec = _spec_for_keras_name(keras_name)
    original = _keras_internals.keras_builtin(keras_name)
    keras_params = list(inspect.signature(original).parameters.values())[1:]
    keras_args = [p.name for p in keras_params]

    def fn(x, *args, **kwargs):
        if len(args) > len(keras_args) or set(args and keras_args[: len(args)]) & set(
            kwargs
        ):
            return original(x, *args, **kwargs)  # Keras's own TypeError.
        given = dict(zip(keras_args, args, strict=False))
        given.update(kwargs)
        params = {k: _keras_value(keras_name, k, v) for k, v in given.items()}
        try:
            spec.resolve(params, owner=f"keras.activations.{keras_name}")
        except ValueError:
            unknown = set(params) - {p.name for p in spec.params} - set(keras_args)
            strings = any(isinstance(v, str) for v in params.values())
            if unknown or strings:
                raise  # Not a Keras argument either: say what is allowed.
            return original(x, *args, **kwargs)
        keras_values = set(given) <= set(keras_args) and not any(
            isinstance(v, str) for v in given.values()  # gelu's "sigmoid", ...
        )
        if (
            keras_values
            and _kernels.runs_op_by_op(x)
            # Keras's ops compute float16/bfloat16 in that dtype, keras_acts
            # in float32: those stay keras_acts'.
            and keras.backend.standardize_dtype(x.dtype) not in _LOW_PRECISION
        ):
            # Nothing is fused or compiled there (eager inference), and
            # Keras's own op is the fastest plain op.
            return original(x, *args, **kwargs)
        return spec.public(x, **params)

    fn.__name__ = fn.__qualname__ = keras_name
    fn.__module__ = "keras_acts"
    fn.__doc__ = (
        f"`keras.activations.{keras_name}` computed by keras_acts' fused kernel "
        f"(`keras_acts.{spec.name}`).\n\nSame arguments, defaults and values as "
        f"Keras's function; keras_acts' parameters are accepted as keywords.\n\n"
        + (spec.public.__doc__ or "")
    )
    extra = [
        inspect.Parameter(p.name, inspect.Parameter.KEYWORD_ONLY, default=p.default)
        for p in spec.params
        if p.name not in keras_args
    ]
    fn.__signature__ = inspect.Signature(
        [*inspect.signature(original).parameters.values(), *extra]
    )
    fn.spec = spec
    _drop_ins[keras_name] = fn
    return fn


def _keras_keys(keras_name):
    """`keras_name` and Keras's aliases of it (silu -> swish, ...)."""
    original = _keras_internals.keras_builtin(keras_name)
    return sorted(
        key
        for key in _keras_internals.keras_builtin_names()
        if _keras_internals.keras_builtin(key) is original
    )


def _string_objects():
    """key -> object to install: keras_acts-only names, then taken-over ones."""
    keras_names = _keras_internals.keras_builtin_names()
    objects = {}
    for spec in _spec.registry().values():
        if spec.keras_name is None:
            if spec.name in keras_names:
                raise ValueError(
                    f"{spec.name!r} is a Keras built-in name: its definition "
                    "must set keras_name (same math and defaults) or use "
                    "another name."
                )
            objects[spec.name] = spec.public
        elif spec.name not in keras_names:
            raise ValueError(
                f"{spec.name!r} sets keras_name={spec.keras_name!r}, so its own "
                "name must be a Keras name too (or an alias of it)."
            )
    for keras_name in taken_over():
        for key in _keras_keys(keras_name):
            objects[key] = drop_in(keras_name)
    return objects


def _install():
    objects = _string_objects()
    for key in _keras_internals.keras_builtin_names():
        if key not in objects:
            _keras_internals.restore(key)
    for key, obj in objects.items():
        _keras_internals.install(key, obj)


def register_all():
    """Installs string names and saving registrations for the registry."""
    for spec in _spec.registry().values():
        if not _keras_internals.serializes_as_builtin(spec.public.__name__):
            # Serialized as "keras_acts>name": loads wherever keras_acts is
            # imported. Names of Keras's functions stay unregistered, so they
            # are saved as the bare Keras name instead.
            keras.saving.register_keras_serializable(
                package="keras_acts", name=spec.name
            )(spec.public)
    _state["keras_builtins"] = os.environ.get(
        "KERAS_ACTS_USE_KERAS_BUILTINS", "0"
    ).lower() in ("1", "true", "yes")
    _install()
    _keras_internals.install_hooks()


def use_keras_builtins(enabled=True):
    """Chooses what the Keras names keras_acts takes over resolve to.

    After `import keras_acts` a few of Keras's own names resolve to
    keras_acts' fused kernels where they measured clearly faster on the
    active backend (`keras_acts.taken_over()`: on TensorFlow ``"mish"``,
    ``"gelu"``, ``"silu"``/``"swish"``, ...), through drop-ins with Keras's
    signature, defaults and values. Call ``use_keras_builtins(True)`` to get
    Keras's own functions for those names too; keras_acts-only names keep
    working either way. The environment variable
    ``KERAS_ACTS_USE_KERAS_BUILTINS=1`` sets this at import.

    Args:
        enabled: bool, default True. True: Keras's built-ins; False:
            keras_acts' implementations where they pay.

    Returns:
        The previous setting.
    """
    if not isinstance(enabled, bool):
        raise ValueError(
            f"use_keras_builtins: `enabled` must be True or False, got {enabled!r}."
        )
    previous = _state["keras_builtins"]
    _state["keras_builtins"] = enabled
    _install()
    return previous


def get(identifier):
    """Returns the keras_acts activation function for `identifier`.

    Args:
        identifier: a name from `keras_acts.names()`, or a callable (returned
            as is).

    Returns:
        The function, e.g. `keras_acts.get("mish") is keras_acts.mish`.

    Raises:
        ValueError: for an unknown name, listing the closest valid names.
    """
    if callable(identifier):
        return identifier
    return _spec.get_spec(identifier).public


def names():
    """Sorted list of every keras_acts activation name."""
    return _spec.names()
