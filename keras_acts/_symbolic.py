"""Functional-API support: keras_acts functions applied to `keras.Input`s.

Calling `keras_acts.mish(inputs)` on a symbolic `KerasTensor` records an
`ActivationOp` node in the functional graph, which saves and loads like Keras's
own ops (`keras.ops.relu(inputs)` does the same).
"""

import keras

from keras_acts import _kernels, _saving, _spec


@_saving.register
class ActivationOp(keras.Operation):
    """A registry activation with static parameters, as a graph operation."""

    def __init__(self, activation, params=None, name=None):
        if name is None:  # Unique within the session, as Keras names layers.
            uid = keras.backend.get_uid(activation)
            name = activation if uid == 1 else f"{activation}_{uid - 1}"
        super().__init__(name=name)
        self.activation = activation
        self.params = dict(params or {})
        self._spec = _spec.get_spec(activation)
        self._values = self._spec.resolve(self.params)

    def call(self, x):
        return _kernels.apply(self._spec, x, self._values)

    def compute_output_spec(self, x):
        dtype = keras.backend.standardize_dtype(x.dtype)
        if not keras.backend.is_float_dtype(dtype):
            dtype = keras.config.floatx()
        return keras.KerasTensor(x.shape, dtype=dtype)

    def get_config(self):
        return {
            "activation": self.activation,
            "params": dict(self.params),
            "name": self.name,
        }


def is_symbolic(x):
    return isinstance(x, keras.KerasTensor)


def apply(spec, x, params):
    tensors = [k for k, v in params.items() if _spec._is_tensor_like(v)]
    if tensors:
        raise ValueError(
            f"keras_acts.{spec.name}: tensor-valued parameters {tensors} cannot "
            "be used on symbolic inputs; use the layer "
            "(keras_acts.layers) for learnable parameters."
        )
    return ActivationOp(spec.name, params)(x)
