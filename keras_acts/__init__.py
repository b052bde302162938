"""keras_acts: modern and learnable activation functions for Keras 3.

After ``import keras_acts`` every name in :func:`keras_acts.names` works as
``activation="name"`` in any Keras layer, each function is available as
``keras_acts.<name>``, and the layers live in :mod:`keras_acts.layers`.
"""

from keras_acts import (
    _activations,  # noqa: F401  (defines the registry)
    _names,
    _public,
    _spec,
)
from keras_acts._names import get, names, taken_over, use_keras_builtins

__version__ = "0.1.0"


def info(name):
    """The definition behind an activation: formula, parameters, metadata.

    Args:
        name: a name from `keras_acts.names()`.

    Returns:
        The `ActivationSpec` keras_acts itself uses, with fields such as
        ``formula``, ``params``, ``output_range``, ``monotonic``, ``smooth``,
        ``reference``. Read it, do not change it: the functions, layers and
        string names of this session all use this one object.
    """
    return _spec.get_spec(name)


# The functions themselves: one public name per registry entry.
_public.build_all()
globals().update({name: spec.public for name, spec in _spec.registry().items()})

_names.register_all()

# Submodules import the registry above, so they come after it.
from keras_acts import constraints, initializers, layers  # noqa: E402
from keras_acts._selfnorm import check_self_normalizing  # noqa: E402

__all__ = ["__version__", "get", "info", "names", "taken_over", "use_keras_builtins"]
__all__ += ["check_self_normalizing", "constraints", "initializers", "layers"]
__all__ += _spec.names()
