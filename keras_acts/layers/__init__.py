"""Keras layers: one per activation, plus learnable and structural layers.

* One layer per registry activation, generated from its definition (name in
  CamelCase with Keras's acronyms: `Mish`, `GELU`, `ReLU6`, `LiSHT`, ...);
  parameters are fixed at construction.
* Where Keras has a layer of the same class name (`ReLU`, `LeakyReLU`,
  `ELU`, `Softmax`, `PReLU`), keras_acts' is a drop-in for it: Keras's
  arguments, defaults and outputs.
* Learnable versions where a parameter is worth training: `Swish` (beta),
  `Snake` (alpha, per channel), `TanhSoft`, `EIS`, `StarReLU`, and
  `ChannelPReLU` (leaky ReLU with a learned per-channel slope, the paper's
  defaults). They replace the static layer of the same activation.
* `Maxout`, `SirenDense` (with `keras_acts.initializers`), `SELUDense`.
* The rational units `PAU`, `OrthogonalPade`, `HP1`, `HP2`.

Every layer is registered for saving under the package ``keras_acts`` and
also works as ``activation=`` of another layer
(``keras.layers.Dense(64, activation=PReLU())``).
"""

from keras_acts import _spec
from keras_acts.layers._activation import learnable_layer as _learnable_layer
from keras_acts.layers._activation import static_layer as _static_layer
from keras_acts.layers._dense import SELUDense as SELUDense
from keras_acts.layers._dense import SirenDense as SirenDense
from keras_acts.layers._keras_dropins import DROP_INS as _DROP_INS
from keras_acts.layers._maxout import Maxout as Maxout
from keras_acts.layers._prelu import ChannelPReLU as ChannelPReLU
from keras_acts.layers._prelu import PReLU as PReLU
from keras_acts.layers._rational import HP1 as HP1
from keras_acts.layers._rational import HP2 as HP2
from keras_acts.layers._rational import PAU as PAU
from keras_acts.layers._rational import OrthogonalPade as OrthogonalPade


def _generate():
    classes = {}
    for spec in _spec.registry().values():
        if spec.name in _DROP_INS:
            cls = _DROP_INS[spec.name]
        elif spec.layer.learnable:
            cls = _learnable_layer(
                spec,
                per_channel_default=spec.layer.per_channel_default,
                note=spec.layer.note,
            )
        else:
            cls = _static_layer(spec)
        classes[cls.__name__] = cls
    return classes


_GENERATED = _generate()
globals().update(_GENERATED)

__all__ = sorted(
    [*_GENERATED, "PReLU", "ChannelPReLU", "Maxout", "SirenDense", "SELUDense"]
    + ["PAU", "OrthogonalPade", "HP1", "HP2"]
)
