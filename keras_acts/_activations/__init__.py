"""The stateless activations: one definition per activation, by family.

Each entry is a forward formula and its analytic derivative, written with
`keras.ops` (and the primitives of `keras_acts._math`) and computed in
float32 or float64 (the kernels cast low-precision inputs). Formulas are
written to stay finite for every finite input: any `exp` is clamped where it
would overflow, and quotients of two infinities are avoided.

Importing this package registers every activation (`@activation` in
`keras_acts._spec`); a new one goes into the module of its family.
"""

from keras_acts._activations import (  # noqa: F401  (registers the activations)
    gated,
    parametric,
    periodic,
    rectifiers,
    sigmoidal,
    torch_kernels,
)
