"""Argument checks shared by the layers, with the package's error wording.

Each error names the layer (`owner`), the argument and the value received,
and says what is allowed; misspelt names get `_spec.did_you_mean`. Choice
arguments are checked by a `_spec.Param`, as the activations' own are.
"""

import inspect
import numbers

import keras

from keras_acts import _spec

# Keyword arguments every Keras layer accepts; the rest must be parameters.
LAYER_KWARGS = frozenset(
    {"name", "dtype", "trainable", "autocast", "activity_regularizer"}
    | {"input_shape", "input_dim"}
)


def owner(layer_or_cls):
    cls = layer_or_cls if isinstance(layer_or_cls, type) else type(layer_or_cls)
    return f"keras_acts.layers.{cls.__name__}"


def check_bool(value, arg, who):
    if not isinstance(value, bool):
        raise ValueError(
            f"{who}: argument `{arg}` got {value!r}; expected True or False."
        )
    return value


def check_int(value, arg, who):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{who}: argument `{arg}` got {value!r}; expected an integer.")
    return int(value)


def accepted_arguments(cls):
    """Names of every argument `cls(...)` accepts (its and its bases' inits)."""
    names = set(LAYER_KWARGS)
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None or klass is object:
            continue
        for param in inspect.signature(init).parameters.values():
            if param.kind not in (param.VAR_KEYWORD, param.VAR_POSITIONAL):
                names.add(param.name)
        if klass is keras.layers.Layer:
            break
    names.discard("self")
    return names


def check_kwargs(cls, kwargs, who):
    """Raises for keyword arguments `cls` does not accept, with close matches.

    Keras itself rejects them too, but without suggesting the intended name.
    """
    accepted = accepted_arguments(cls)
    unknown = sorted(set(kwargs) - accepted)
    if not unknown:
        return
    hints = "".join(
        _spec.did_you_mean(_spec.close_matches(name, sorted(accepted)), about=name)
        for name in unknown
    )
    raise ValueError(
        f"{who}: unknown argument(s) {unknown}.{hints} Accepted: "
        f"{', '.join(sorted(accepted))}."
    )


def keras_object(getter, value, arg, who):
    """`getter(value)` (e.g. `keras.regularizers.get`), naming `arg` on error."""
    try:
        return getter(value)
    except (ValueError, TypeError) as error:
        raise ValueError(f"{who}: argument `{arg}` got {value!r}: {error}") from None


def check_units(value, who):
    """`units` of a Dense-like layer: a positive integer (not a bool)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(
            f"{who}: argument `units` got {value!r}; expected a positive integer."
        )
    return int(value)


def check_choice(value, arg, who, choices):
    """`value` if it is one of `choices` (strings), else a ValueError with
    the close matches: `_spec.Param`'s check of a choice parameter."""
    return _spec.Param(arg, None, "", choices=tuple(choices)).validate(value, who)
