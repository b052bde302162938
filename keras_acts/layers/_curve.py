"""What a layer computes as a function of one number, at initialisation.

Used by the command line (`info`, `plot`) and the docs generator: a layer's
curve is the registry spec it applies and the parameter values it starts
with, read from the class (its `spec` and constructor defaults) or from a
fresh instance (its initial weights).
"""

import inspect

import keras


def layer_classes():
    """Public layer classes of `keras_acts.layers`, by class name."""
    from keras_acts import layers

    return {
        name: getattr(layers, name)
        for name in sorted(layers.__all__)
        if isinstance(getattr(layers, name, None), type)
        and issubclass(getattr(layers, name), keras.layers.Layer)
    }


def is_learnable(cls):
    """Whether the layer trains the parameters of its activation."""
    from keras_acts.layers import _rational

    names = {c.__name__ for c in cls.__mro__}
    return bool(names & {"LearnableActivation", "ChannelPReLU"}) or issubclass(
        cls, _rational._Rational
    )


def initial_curve(cls):
    """The curve `cls()` computes before training.

    Args:
        cls: a layer class of `keras_acts.layers`.

    Returns:
        ``(spec, params, note)``: the spec whose ``forward`` and
        ``derivative`` give the curve, the parameter values to pass them
        (float64 tensors for a rational unit's coefficients), and a short
        description of where those values come from. None for a layer with
        no activation spec (`Maxout`). The spec may not be elementwise
        (`Softmax`): check `spec.elementwise` before plotting it as f(x).
    """
    from keras_acts.layers import _rational

    if issubclass(cls, _rational._Rational):
        layer = cls()
        numerator, denominator = layer.coefficients()
        # float64 tensors: the unit's formula mixes them with a float64 grid.
        params = {
            f"a{i}": keras.ops.convert_to_tensor(v, "float64")
            for i, v in enumerate(numerator)
        }
        params.update(
            {
                f"b{j}": keras.ops.convert_to_tensor(v, "float64")
                for j, v in enumerate(denominator, 1)
            }
        )
        note = (
            f"initial coefficients: a fit of {layer.approximate} on "
            f"{list(layer.fit_range)} (max error {layer.fit_error:.3g})"
        )
        return layer.spec, params, note
    spec = getattr(cls, "spec", None)
    if spec is None:
        return None
    params = dict(spec.defaults)
    signature = inspect.signature(cls)
    for p in spec.params:
        given = signature.parameters.get(p.name)
        if given is not None and given.default is not inspect.Parameter.empty:
            params[p.name] = given.default
    note = "the layer's default parameters"
    if issubclass(cls, keras.layers.Layer) and "ChannelPReLU" in {
        c.__name__ for c in cls.__mro__
    }:
        layer = cls()
        layer.build((None, 1))
        slope = float(keras.ops.convert_to_numpy(layer.alpha).ravel()[0])
        params["negative_slope"] = slope
        note = "its learned slope alpha (as negative_slope), initially"
    elif is_learnable(cls):
        note = "the initial values of its trained parameters"
    return spec, params, note
