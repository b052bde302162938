"""Every use of private Keras internals, in one place.

Keras 3 resolves `activation="name"` only through the private dict
`keras.src.activations.ALL_OBJECTS_DICT`; registered custom objects are not
consulted (keras-team/keras#20333). keras_acts therefore adds its names to that
dict, wraps `keras.activations.get` so an unknown name lists close matches
(and Keras's lookup of saved objects, so that an unknown ``keras_acts>...``
entry of a saved config does too), and wraps `keras.activations.serialize` so
the saved entry of a keras_acts-only function says how to install keras_acts
(see `_saving`). `check()` verifies these assumptions and fails with a clear
message if a Keras release changes them; the test suite calls it.
"""

import functools

from keras.src import activations as _keras_activations

from keras_acts import _saving

# Kept on Keras's module rather than here, so that it survives
# `importlib.reload` of keras_acts and a re-import after its modules were
# dropped from sys.modules: Keras's own names and objects can only be read
# before keras_acts first changes the table.
_STATE = vars(_keras_activations).setdefault(
    "_keras_acts_state",
    {
        "originals": {},  # key -> Keras's own object, for the keys we replaced.
        "installed": {},  # key -> the object keras_acts installed.
        "keras_names": frozenset(_keras_activations.ALL_OBJECTS_DICT),
    },
)
_ORIGINALS = _STATE["originals"]
_INSTALLED = _STATE["installed"]
_KERAS_NAMES = _STATE["keras_names"]


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


def _all_activation_names():
    return sorted(_table())


def _unknown_saved_entry(config):
    """The error for a saved ``keras_acts>...`` entry keras_acts lacks, or None.

    Keras's own error ("Could not locate class ...") names no alternative.
    """
    if not isinstance(config, dict):
        return None
    is_function = config.get("class_name") == "function"
    key = config.get("config") if is_function else config.get("registered_name")
    if not isinstance(key, str) or not key.startswith("keras_acts>"):
        return None
    import keras

    if keras.saving.get_registered_object(key) is not None:
        return None
    from keras_acts._spec import close_matches, did_you_mean, names

    name = key.partition(">")[2]
    if is_function:
        kind, candidates = "activation", names()
    else:
        kind = "class"
        candidates = sorted(
            k.partition(">")[2]
            for k, v in keras.saving.get_custom_objects().items()
            if k.startswith("keras_acts>") and isinstance(v, type)
        )
    hint = did_you_mean(close_matches(name, candidates))
    return ValueError(
        f"A saved config names the keras_acts {kind} {name!r} ({key!r}), which "
        f"keras_acts does not have.{hint} Valid {kind} names: "
        f"{', '.join(candidates)}."
    )


def _wrap_retrieve(retrieve):
    if getattr(retrieve, "_keras_acts_wrapped", False):
        return retrieve

    @functools.wraps(retrieve)
    def wrapped(*args, **kwargs):
        try:
            return retrieve(*args, **kwargs)
        except TypeError as error:
            unknown = _unknown_saved_entry(kwargs.get("full_config"))
            if unknown is None:
                raise
            raise unknown from error

    wrapped._keras_acts_wrapped = True
    return wrapped


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
            from keras_acts._spec import close_matches, did_you_mean

            hint = did_you_mean(close_matches(identifier, _all_activation_names()))
            raise ValueError(
                f"Unknown activation {identifier!r}.{hint} Valid names are "
                "Keras's built-ins and keras_acts.names() (after "
                "`import keras_acts`)."
            ) from error

    wrapped._keras_acts_wrapped = True
    return wrapped


def _wrap_serialize(serialize):
    if getattr(serialize, "_keras_acts_wrapped", False):
        return serialize

    @functools.wraps(serialize)
    def wrapped(activation):
        config = serialize(activation)
        name = config.get("config") if isinstance(config, dict) else None
        if isinstance(name, str) and name.startswith("keras_acts>"):
            # Keras ignores the extra key; where keras_acts is missing, its
            # error prints this entry, the install hint with it.
            config = {**config, _saving.KEY: _saving.REQUIREMENT}
        return config

    wrapped._keras_acts_wrapped = True
    return wrapped


def _installed_for(config):
    """The object keras_acts installed for a saved function entry, or None.

    Keras's `deserialize` finds a taken-over name in its table, then looks
    for a public Keras symbol for that object and fails ("Could not locate
    function"); the name deserializes to what `get` returns instead.
    """
    if isinstance(config, dict) and config.get("class_name") == "function":
        if config.get("module") not in ("builtins", "keras.activations"):
            return None
        config = config.get("config")
    if isinstance(config, str) and config in _KERAS_NAMES:
        return _INSTALLED.get(config)
    return None


def _wrap_deserialize(deserialize):
    if getattr(deserialize, "_keras_acts_wrapped", False):
        return deserialize

    @functools.wraps(deserialize)
    def wrapped(config, custom_objects=None):
        installed = _installed_for(config)
        if installed is not None:
            return installed
        return deserialize(config, custom_objects=custom_objects)

    wrapped._keras_acts_wrapped = True
    return wrapped


def install_hooks():
    """Error messages, install hints and `deserialize` for taken-over names.

    Unknown activation strings list close matches, in layers too. So do
    unknown ``keras_acts>...`` entries of a saved config (Keras looks every
    saved object up with `serialization_lib._retrieve_class_or_fn`), and the
    saved entries of keras_acts-only functions carry the install hint of
    `_saving`. `keras.activations.deserialize` of a Keras name that
    keras_acts took over returns what `get` returns.
    """
    import keras
    from keras.src.saving import serialization_lib

    # Layers call `keras.src.activations.get`/`serialize`; users call
    # `keras.activations.get`/`serialize`.
    _keras_activations.get = _wrap_get(_keras_activations.get)
    keras.activations.get = _wrap_get(keras.activations.get)
    _keras_activations.serialize = _wrap_serialize(_keras_activations.serialize)
    keras.activations.serialize = _wrap_serialize(keras.activations.serialize)
    _keras_activations.deserialize = _wrap_deserialize(_keras_activations.deserialize)
    keras.activations.deserialize = _wrap_deserialize(keras.activations.deserialize)
    # Called by name inside serialization_lib, so the module attribute is it.
    # Only error messages depend on it: a Keras without it still works.
    retrieve = getattr(serialization_lib, "_retrieve_class_or_fn", None)
    if retrieve is not None:
        serialization_lib._retrieve_class_or_fn = _wrap_retrieve(retrieve)


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
    # The saving hooks: only messages depend on them, but say so if they broke.
    saved = keras.layers.Dense(1, activation="tanhsoft").get_config()["activation"]
    if not (isinstance(saved, dict) and saved.get(_saving.KEY) == _saving.REQUIREMENT):
        raise KerasInternalsChanged(
            "keras.layers.Dense no longer saves its activation through "
            "keras.src.activations.serialize; saved keras_acts names lose "
            "their install hint with this Keras release "
            f"({keras.__version__})."
        )
    for key, obj in _INSTALLED.items():
        if key in _KERAS_NAMES and keras.activations.deserialize(key) is not obj:
            raise KerasInternalsChanged(
                "keras.activations.deserialize no longer goes through the hook "
                f"keras_acts installs: {key!r} does not deserialize to what "
                f"`get` returns with this Keras release ({keras.__version__})."
            )
    from keras.src.saving import serialization_lib

    retrieve = getattr(serialization_lib, "_retrieve_class_or_fn", None)
    if not getattr(retrieve, "_keras_acts_wrapped", False):
        raise KerasInternalsChanged(
            "keras.src.saving.serialization_lib._retrieve_class_or_fn is gone; "
            "unknown keras_acts entries of saved configs no longer list close "
            f"matches with this Keras release ({keras.__version__})."
        )
