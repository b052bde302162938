"""String names: makes every registered activation work as `activation="..."`.

Three kinds of names:

* keras_acts-only names (`tanhsoft`, ...): installed for Keras's name lookup
  and registered as ``keras_acts>name`` for saving; a saved model needs
  keras_acts to load.
* names with a Keras built-in of the same math and defaults (`mish`, `gelu`,
  `swish`/`silu`, ...): by default the string resolves to keras_acts'
  implementation, through an object whose ``__name__`` is Keras's own name, so
  a saved model stores the plain Keras name and still loads where keras_acts
  is not installed. `use_keras_builtins(True)` (or the environment variable
  ``KERAS_ACTS_USE_KERAS_BUILTINS=1`` before import) keeps Keras's own.
* everything else is Keras's business.
"""

import os
import types

import keras

from keras_acts import _keras_internals, _spec

_state = {"keras_builtins": False}
_aliases = {}  # (function, name) -> alias; stable identity across toggles.


def _alias(fn, name):
    """A copy of `fn` that serializes under `name`."""
    if fn.__name__ == name:
        return fn
    if (fn, name) in _aliases:
        return _aliases[fn, name]
    copy = types.FunctionType(
        fn.__code__, fn.__globals__, name, fn.__defaults__, fn.__closure__
    )
    copy.__dict__.update(fn.__dict__)
    copy.__doc__ = fn.__doc__
    copy.__module__ = fn.__module__
    copy.__qualname__ = name
    copy.__kwdefaults__ = fn.__kwdefaults__
    _aliases[fn, name] = copy
    return copy


def _keras_keys(keras_name):
    """`keras_name` and Keras's aliases of it (silu -> swish, ...)."""
    original = _keras_internals.keras_builtin(keras_name)
    return sorted(
        key
        for key in _keras_internals.keras_builtin_names()
        if _keras_internals.keras_builtin(key) is original
    )


def _string_objects():
    """key -> (object to install, is it a Keras built-in name)."""
    objects = {}
    for spec in _spec.registry().values():
        if spec.keras_name is None:
            if spec.name in _keras_internals.keras_builtin_names():
                raise ValueError(
                    f"{spec.name!r} is a Keras built-in name: its definition "
                    "must set keras_name (same math and defaults) or use "
                    "another name."
                )
            objects[spec.name] = (spec.public, False)
            continue
        alias = _alias(spec.public, spec.keras_name)
        for key in {spec.name, *_keras_keys(spec.keras_name)}:
            objects[key] = (alias, key in _keras_internals.keras_builtin_names())
    return objects


def register_all():
    """Installs string names and saving registrations for the registry."""
    for spec in _spec.registry().values():
        if not _keras_internals.serializes_as_builtin(spec.public.__name__):
            # Serialized as "keras_acts>name": loads wherever keras_acts is
            # imported. Names Keras knows stay unregistered so they are saved
            # as the bare Keras name instead.
            keras.saving.register_keras_serializable(
                package="keras_acts", name=spec.name
            )(spec.public)
    use_keras_builtins(
        os.environ.get("KERAS_ACTS_USE_KERAS_BUILTINS", "0").lower()
        in ("1", "true", "yes")
    )
    _keras_internals.install_error_messages()


def use_keras_builtins(enabled=True):
    """Chooses what Keras's own activation names resolve to.

    By default, after `import keras_acts`, strings such as ``"mish"``,
    ``"gelu"`` or ``"swish"`` resolve to keras_acts' fused implementations
    (same math and defaults as Keras's, checked by the tests). Call
    ``use_keras_builtins(True)`` to get Keras's own functions for those
    names; keras_acts-only names keep working either way. The environment
    variable ``KERAS_ACTS_USE_KERAS_BUILTINS=1`` sets this at import.

    Args:
        enabled: bool, default True. True: Keras's built-ins; False:
            keras_acts' implementations.

    Returns:
        The previous setting.
    """
    if not isinstance(enabled, bool):
        raise ValueError(
            f"use_keras_builtins: `enabled` must be True or False, got {enabled!r}."
        )
    previous = _state["keras_builtins"]
    for key, (obj, is_keras_name) in _string_objects().items():
        if enabled and is_keras_name:
            _keras_internals.restore(key)
        else:
            _keras_internals.install(key, obj)
    _state["keras_builtins"] = enabled
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
