"""What keras_acts writes into a saved model, and how it reads it back.

Keras locates a saved keras_acts object only where keras_acts is imported.
Where keras_acts is not installed, Keras's error is "Could not locate class
(or function) ... Full object config: {...}": it prints the saved entry and
imports the saved ``module`` only for Keras's own packages. So the only text
of that error keras_acts can choose is the entry itself, and every keras_acts
entry carries ``"requires": REQUIREMENT``: the configs of the classes
registered with `register` (layers, the functional-API op, constraints,
initializers) and, through `_keras_internals`, the entries of keras_acts-only
activation functions (``"keras_acts>tanhsoft"``).
"""

import functools

import keras

KEY = "requires"
REQUIREMENT = (
    "keras_acts: install it with `pip install keras_acts` and "
    "`import keras_acts` before loading"
)


def without_requirement(config):
    """`config` without the ``requires`` entry (a copy if it had one)."""
    if isinstance(config, dict) and KEY in config:
        return {k: v for k, v in config.items() if k != KEY}
    return config


def register(cls):
    """Registers `cls` for saving as ``keras_acts>ClassName``.

    Its configs start with ``"requires": REQUIREMENT``, which `from_config`
    drops again. A ValueError raised while building the object from a saved
    config (a value or argument the metadata does not allow) stays a
    ValueError: Keras's `Operation.from_config` re-raises every error of
    ``__init__`` as a TypeError.

    Args:
        cls: a class with `get_config` and `from_config`.

    Returns:
        `cls`, registered.
    """
    get_config = cls.get_config
    from_config = cls.from_config.__func__

    @functools.wraps(get_config)
    def get_config_with_requirement(self):
        # First, so that a printed config shows it before anything else.
        return {KEY: REQUIREMENT, **without_requirement(get_config(self))}

    @functools.wraps(from_config)
    def from_config_without_requirement(klass, config):
        config = without_requirement(config)
        try:
            return from_config(klass, config)
        except TypeError as error:
            cause = error.__context__
            if not isinstance(cause, ValueError):
                raise
        name = config.get("name") if isinstance(config, dict) else None
        what = f"{klass.__name__} {name!r}" if isinstance(name, str) else klass.__name__
        raise ValueError(
            f"Cannot load keras_acts {what} from its saved config: {cause}"
        ) from cause

    cls.get_config = get_config_with_requirement
    cls.from_config = classmethod(from_config_without_requirement)
    return keras.saving.register_keras_serializable(package="keras_acts")(cls)
