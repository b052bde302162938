"""Every use of private Keras internals, in one place.

Keras 3 resolves `activation="name"` only through the private dict
`keras.src.activations.ALL_OBJECTS_DICT`; registered custom objects are not
consulted (keras-team/keras#20333). keras_acts therefore adds its names to that
dict, and wraps `keras.activations.get` so an unknown name lists close
matches. `check()` verifies these assumptions and fails with a clear message if
a Keras release changes them; the test suite calls it.
"""

import functools

from keras.src import activations as _keras_activations

_ORIGINALS = {}  # key -> Keras's own object, for the keys we replaced.
_INSTALLED = {}  # key -> the object keras_acts installed.
_KERAS_NAMES = frozenset(_keras_activations.ALL_OBJECTS_DICT)


class KerasInternalsChanged(RuntimeError):
    """Raised when a Keras release no longer works the way keras_acts needs."""


def _table():
    table = getattr(_keras_activations, "ALL_OBJECTS_DICT", None)
    if not isinstance(table, dict):
        raise KerasInternalsChanged(
            "keras_acts needs keras.src.activations.ALL_OBJECTS_DICT (a dict) "
            "to make its activation names work as `activation=` strings, and "
            "this Keras release does not have it. Please report this at the "
            "keras_acts issue tracker with your Keras version; meanwhile pin "
            "keras<=3.15 or pass keras_acts functions instead of strings."
        )
    return table


def keras_builtin_names():
    """Names Keras itself resolves as activation strings."""
    return _KERAS_NAMES


def serializes_as_builtin(name):
    """Whether a function named `name` is saved as that bare Keras name.

    `keras.activations.serialize` stores a function by its bare name when the
    name is a function of Keras's activations module (aliases such as
    "swish" are not).
    """
    return callable(vars(_keras_activations).get(name))


def keras_builtin(name):
    """Keras's own object for `name` (even if keras_acts replaced it)."""
    return _ORIGINALS.get(name, _keras_activations.ALL_OBJECTS_DICT.get(name))


def install(key, obj):
    """Makes `activation=key` resolve to `obj` in every Keras layer."""
    table = _table()
    if key in table and key not in _ORIGINALS and key in _KERAS_NAMES:
        _ORIGINALS[key] = table[key]
    table[key] = obj
    _INSTALLED[key] = obj


def restore(key):
    """Gives `key` back to Keras's own built-in, if it had one."""
    table = _table()
    if key in _ORIGINALS:
        table[key] = _ORIGINALS.pop(key)
    _INSTALLED.pop(key, None)


def resolve(key):
    return _table().get(key)


def _all_activation_names():
    return sorted(_table())


def _wrap_get(get):
    if getattr(get, "_keras_acts_wrapped", False):
        return get

    @functools.wraps(get)
    def wrapped(identifier):
        try:
            return get(identifier)
        except ValueError as error:
            if not isinstance(identifier, str):
                raise
            from keras_acts._spec import close_matches

            matches = close_matches(identifier, _all_activation_names())
            hint = (
                "Did you mean: " + ", ".join(repr(m) for m in matches) + "? "
                if matches
                else ""
            )
            raise ValueError(
                f"Unknown activation {identifier!r}. {hint}Valid names are "
                "Keras's built-ins and keras_acts.names() (after "
                "`import keras_acts`)."
            ) from error

    wrapped._keras_acts_wrapped = True
    return wrapped


def install_error_messages():
    """Unknown activation strings list close matches, in layers too."""
    import keras

    # Layers call `keras.src.activations.get`; users call `keras.activations.get`.
    _keras_activations.get = _wrap_get(_keras_activations.get)
    keras.activations.get = _wrap_get(keras.activations.get)


def check():
    """Fails loudly if Keras no longer resolves names the way we rely on."""
    import keras

    sentinel_key = "__keras_acts_probe__"

    def probe(x):
        return x

    table = _table()
    table[sentinel_key] = probe
    try:
        for where, get in (
            ("keras.activations.get", keras.activations.get),
            ("keras.src.activations.get", _keras_activations.get),
        ):
            if get(sentinel_key) is not probe:
                raise KerasInternalsChanged(
                    f"{where} no longer looks activation names up in "
                    "keras.src.activations.ALL_OBJECTS_DICT; keras_acts names "
                    "will not work as `activation=` strings with this Keras "
                    f"release ({keras.__version__})."
                )
        layer = keras.layers.Dense(1, activation=sentinel_key)
        if layer.activation is not probe:
            raise KerasInternalsChanged(
                "keras.layers.Dense no longer resolves `activation=` strings "
                "through keras.src.activations; keras_acts names will not work "
                f"as strings with this Keras release ({keras.__version__})."
            )
    finally:
        del table[sentinel_key]
