"""Independent float64 NumPy references for the layers of keras_acts.layers.

Elementwise activation layers reuse tests/references.py (REFERENCES). The
structural layers get their own references here, written from the papers'
definitions; they take the layer's *weights* (read as NumPy arrays), never
its computation.
"""

import numpy as np
from references import REFERENCES, SELU_ALPHA, SELU_SCALE


def activation(name, x, **params):
    """The registry activation `name` at float64 `x`."""
    return REFERENCES[name](np.asarray(x, np.float64), **params)


def prelu(x, alpha):
    """He et al. 2015: x for x >= 0, alpha * x otherwise (alpha broadcasts)."""
    x = np.asarray(x, np.float64)
    return np.where(x >= 0.0, x, np.asarray(alpha, np.float64) * x)


def maxout(x, num_units, axis=-1):
    """Max over contiguous groups: unit u = max(x[u*k : (u+1)*k]) along axis."""
    x = np.moveaxis(np.asarray(x, np.float64), axis, -1)
    k = x.shape[-1] // num_units
    out = np.empty(x.shape[:-1] + (num_units,))
    for u in range(num_units):
        out[..., u] = np.max(x[..., u * k : (u + 1) * k], axis=-1)
    return np.moveaxis(out, -1, axis)


def dense(x, kernel, bias=None):
    y = np.asarray(x, np.float64) @ np.asarray(kernel, np.float64)
    return y if bias is None else y + np.asarray(bias, np.float64)


def siren_dense(x, kernel, bias, w0):
    """Sitzmann et al. 2020: sin(w0 (x W + b))."""
    return np.sin(w0 * dense(x, kernel, bias))


def selu_dense(x, kernel, bias):
    """Klambauer et al. 2017: selu(x W + b), inference (no dropout)."""
    z = dense(x, kernel, bias)
    return SELU_SCALE * np.where(z > 0, z, SELU_ALPHA * np.expm1(np.minimum(z, 0.0)))
