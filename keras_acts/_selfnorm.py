"""`check_self_normalizing`: finds what breaks SELU's self-normalisation."""

import dataclasses
import warnings

import keras


@dataclasses.dataclass(frozen=True)
class SelfNormalizingFinding:
    """One problem found by `keras_acts.check_self_normalizing`.

    Attributes:
        layer: name of the layer concerned.
        problem: what is wrong and how to fix it.
    """

    layer: str
    problem: str

    def __str__(self):
        return f"{self.layer}: {self.problem}"


def _is_selu(fn):
    """Whether an activation (function, layer or string) is SELU."""
    if fn is None:
        return False
    if isinstance(fn, str):
        return fn == "selu"
    spec = getattr(fn, "spec", None)
    if spec is not None and getattr(spec, "name", None) == "selu":
        return True  # keras_acts.selu, its Keras-named alias, the SELU layer.
    return getattr(fn, "__name__", None) == "selu"  # keras.activations.selu.


def _layer_is_selu(layer):
    from keras_acts.layers import SELUDense

    if isinstance(layer, SELUDense):
        return True
    return _is_selu(layer) or _is_selu(getattr(layer, "activation", None))


def _is_lecun_normal(init):
    if isinstance(init, keras.initializers.LecunNormal):
        return True
    return (
        isinstance(init, keras.initializers.VarianceScaling)
        and init.scale == 1.0
        and init.mode == "fan_in"
        and init.distribution in ("truncated_normal", "untruncated_normal", "normal")
    )


def _flatten(model):
    """Layers in order, nested models expanded."""
    for layer in getattr(model, "layers", []):
        if isinstance(layer, keras.Model) or hasattr(layer, "layers"):
            yield from _flatten(layer)
        else:
            yield layer


def check_self_normalizing(model, *, warn=True):
    """Checks a SELU network for what breaks self-normalisation.

    SELU keeps activations near mean 0 and variance 1 only with LeCun-normal
    weights, AlphaDropout instead of Dropout, and no batch normalisation
    (Klambauer et al. 2017). This walks the model's layers (nested models
    included) and reports:

    * a SELU (string ``"selu"``, `keras.activations.selu`, `keras_acts.selu`,
      the layers `keras_acts.layers.SELU`/`SELUDense`) whose weights (its own
      layer's, or the preceding layer's for a standalone activation layer)
      have a kernel initializer other than LeCun normal;
    * plain `Dropout` in a network that uses SELU (use `AlphaDropout`);
    * `BatchNormalization` in a network that uses SELU.

    A model without SELU gives no findings.

    Args:
        model: a Keras model (Sequential, functional or subclassed with
            `.layers`).
        warn: bool, default True. Also emit each finding with
            `warnings.warn`.

    Returns:
        A list of `SelfNormalizingFinding` (fields `layer`, `problem`),
        empty when nothing is wrong.

    Example:

    >>> import keras, keras_acts
    >>> model = keras.Sequential([keras.Input((8,)),
    ...                           keras.layers.Dense(8, activation="selu")])
    >>> [f.layer for f in keras_acts.check_self_normalizing(model, warn=False)]
    ['dense']

    Reference:
        [Klambauer et al. 2017, Self-Normalizing Neural Networks]
        (https://arxiv.org/abs/1706.02515)
    """
    if not isinstance(warn, bool):
        raise ValueError(
            f"check_self_normalizing: argument `warn` got {warn!r}; expected True "
            "or False."
        )
    if not hasattr(model, "layers"):
        raise ValueError(
            f"check_self_normalizing: argument `model` got {model!r}; expected a "
            "Keras model (with `.layers`)."
        )
    layers = list(_flatten(model))
    if not any(_layer_is_selu(layer) for layer in layers):
        return []
    findings = []
    last_weighted = None
    for layer in layers:
        has_kernel = hasattr(layer, "kernel_initializer")
        if has_kernel:
            last_weighted = layer
        if _layer_is_selu(layer):
            source = layer if has_kernel else last_weighted
            if source is not None and not _is_lecun_normal(source.kernel_initializer):
                init = keras.initializers.serialize(source.kernel_initializer)
                name = init.get("class_name") if isinstance(init, dict) else init
                findings.append(
                    SelfNormalizingFinding(
                        source.name,
                        f"SELU after kernel_initializer {name}; self-normalisation "
                        'needs LeCun normal (kernel_initializer="lecun_normal").',
                    )
                )
        if isinstance(layer, keras.layers.Dropout):
            findings.append(
                SelfNormalizingFinding(
                    layer.name,
                    "Dropout in a SELU network changes the activations' mean and "
                    "variance; use keras.layers.AlphaDropout.",
                )
            )
        if isinstance(layer, keras.layers.BatchNormalization):
            findings.append(
                SelfNormalizingFinding(
                    layer.name,
                    "BatchNormalization in a SELU network: SELU normalises by "
                    "itself; remove the normalisation layer (or use ReLU/GELU "
                    "with it instead of SELU).",
                )
            )
    if warn:
        for finding in findings:
            warnings.warn(f"keras_acts.check_self_normalizing: {finding}", stacklevel=2)
    return findings
