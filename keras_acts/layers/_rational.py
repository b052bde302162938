"""The rational-unit layers: PAU, OrthogonalPade, HP1 and HP2.

The math (bases, kernel, fit) is in `keras_acts._rational`.
"""

import dataclasses
import math
import numbers

import keras
import numpy as np
from keras import ops

from keras_acts import _saving
from keras_acts._rational import (
    BASES,
    MAX_DEGREE,
    ORTHOGONAL_BASES,
    VERSIONS,
    fit,
    max_error,
    rational,
    rational_spec,
    validate_target,
)
from keras_acts.layers._checks import (
    check_bool,
    check_choice,
    check_int,
    check_kwargs,
    keras_object,
)

# --- Layers --------------------------------------------------------------------


def _check_int(value, name, owner, low, high):
    if (
        not isinstance(value, numbers.Integral)
        or isinstance(value, bool)
        or not low <= value <= high
    ):
        raise ValueError(
            f"{owner}: argument `{name}` got {value!r}; expected an integer "
            f"from {low} to {high}."
        )
    return int(value)


def _check_range(value, owner):
    ok = (
        isinstance(value, (tuple, list))
        and len(value) == 2
        and all(
            isinstance(v, numbers.Real) and not isinstance(v, bool) and math.isfinite(v)
            for v in value
        )
        and value[0] < value[1]
    )
    if not ok:
        raise ValueError(
            f"{owner}: argument `fit_range` got {value!r}; expected two finite "
            "numbers (low, high) with low < high."
        )
    return (float(value[0]), float(value[1]))


def _check_coefficients(value, m, n, owner):
    if value is None:
        return None
    if isinstance(value, dict) and set(value) == {"numerator", "denominator"}:
        num, den = value["numerator"], value["denominator"]
    else:
        raise ValueError(
            f"{owner}: argument `initial_coefficients` got {value!r}; expected "
            "None or a dict with keys 'numerator' and 'denominator'."
        )
    try:
        num = np.asarray(num, dtype=np.float64)
        den = np.asarray(den, dtype=np.float64)
    except (TypeError, ValueError):
        num = den = np.array([np.nan])
    if (
        num.shape != (m + 1,)
        or den.shape != (n,)
        or not (np.all(np.isfinite(num)) and np.all(np.isfinite(den)))
    ):
        raise ValueError(
            f"{owner}: argument `initial_coefficients` got {value!r}; expected "
            f"{m + 1} finite numerator and {n} finite denominator coefficients "
            f"(numerator_degree={m}, denominator_degree={n})."
        )
    return num, den


def _owner(layer):
    return f"keras_acts.layers.{type(layer).__name__}"


@dataclasses.dataclass(frozen=True)
class _Arguments:
    """The arguments every rational unit takes besides `basis`, as given
    (`_Rational` checks them): one object instead of ten positional
    arguments passed from each public class to the next."""

    numerator_degree: object
    denominator_degree: object
    version: object
    approximate: object
    fit_range: object
    initial_coefficients: object
    per_channel: object
    axis: object
    coefficient_regularizer: object
    coefficient_constraint: object

    @classmethod
    def of(cls, local_variables):
        """The arguments from a public `__init__`'s `locals()`."""
        return cls(**{f.name: local_variables[f.name] for f in dataclasses.fields(cls)})

    def values(self):
        """The arguments in field order (as given: not copied)."""
        return [getattr(self, f.name) for f in dataclasses.fields(self)]


class _Rational(keras.layers.Layer):
    """Shared implementation of PAU and OrthogonalPade."""

    _basis_fixed = None

    def __init__(self, basis, arguments, **kwargs):
        (
            numerator_degree,
            denominator_degree,
            version,
            approximate,
            fit_range,
            initial_coefficients,
            per_channel,
            axis,
            coefficient_regularizer,
            coefficient_constraint,
        ) = arguments.values()
        owner = _owner(self)
        check_kwargs(type(self), kwargs, owner)
        super().__init__(**kwargs)
        self.numerator_degree = _check_int(
            numerator_degree, "numerator_degree", owner, 0, MAX_DEGREE
        )
        self.denominator_degree = _check_int(
            denominator_degree, "denominator_degree", owner, 1, MAX_DEGREE
        )
        self.version = check_choice(version, "version", owner, VERSIONS)
        self.basis = check_choice(basis, "basis", owner, tuple(BASES))
        self.fit_range = _check_range(fit_range, owner)
        self.per_channel = check_bool(per_channel, "per_channel", owner)
        self.axis = check_int(axis, "axis", owner)
        self.coefficient_regularizer = keras_object(
            keras.regularizers.get,
            coefficient_regularizer,
            "coefficient_regularizer",
            owner,
        )
        self.coefficient_constraint = keras_object(
            keras.constraints.get,
            coefficient_constraint,
            "coefficient_constraint",
            owner,
        )
        if approximate is None and initial_coefficients is None:
            raise ValueError(
                f"{owner}: give `approximate` (a name or callable to fit) or "
                "`initial_coefficients`; both are None."
            )
        self.approximate = (
            None if approximate is None else validate_target(approximate, owner)
        )
        m, n = self.numerator_degree, self.denominator_degree
        given = _check_coefficients(initial_coefficients, m, n, owner)
        if given is not None:
            self._initial = given
            self.fit_error = (
                None
                if self.approximate is None
                else max_error(
                    *given, self.approximate, self.version, self.basis, self.fit_range
                )
            )
        else:
            num, den, self.fit_error = fit(
                self.approximate, m, n, self.version, self.basis, self.fit_range
            )
            self._initial = (num, den)
        self.spec = rational_spec(m, n, self.version, self.basis)

    def build(self, input_shape):
        owner = _owner(self)
        rank = len(input_shape)
        shape_suffix = ()
        if self.per_channel:
            if not -rank <= self.axis < rank:
                raise ValueError(
                    f"{owner}: argument `axis` got {self.axis}; inputs have "
                    f"rank {rank} (shape {tuple(input_shape)})."
                )
            channels = input_shape[self.axis]
            if channels is None:
                raise ValueError(
                    f"{owner}: per_channel=True needs a known size on axis "
                    f"{self.axis}; got input shape {tuple(input_shape)}."
                )
            shape_suffix = (int(channels),)
            self._channel_shape = (int(channels),) + (1,) * (
                rank - 1 - (self.axis % rank)
            )
        num, den = self._initial

        def initializer(values):
            def init(shape, dtype=None):
                full = np.broadcast_to(values.reshape((-1,) + (1,) * len(shape_suffix)),
                                       shape)  # fmt: skip
                return ops.convert_to_tensor(np.array(full), dtype=dtype)

            return init

        common = dict(
            regularizer=self.coefficient_regularizer,
            constraint=self.coefficient_constraint,
            autocast=False,  # Stay float32 under mixed precision.
        )
        self.numerator = self.add_weight(
            shape=(len(num),) + shape_suffix,
            initializer=initializer(num),
            name="numerator",
            **common,
        )
        self.denominator = self.add_weight(
            shape=(len(den),) + shape_suffix,
            initializer=initializer(den),
            name="denominator",
            **common,
        )

    def call(self, inputs):
        # As tensors: Keras's torch `unstack` does not accept a variable.
        numerator = ops.unstack(ops.convert_to_tensor(self.numerator), axis=0)
        denominator = ops.unstack(ops.convert_to_tensor(self.denominator), axis=0)
        if self.per_channel and len(self._channel_shape) > 1:
            numerator = [ops.reshape(c, self._channel_shape) for c in numerator]
            denominator = [ops.reshape(c, self._channel_shape) for c in denominator]
        return rational(
            inputs,
            numerator,
            denominator,
            self.version,
            self.basis,
            param_grads=self.trainable,  # A frozen unit skips coefficient grads.
        )

    def compute_output_shape(self, input_shape):
        return input_shape

    def coefficients(self):
        """The current coefficients as float64 NumPy arrays.

        Returns:
            ``(numerator, denominator)``: shapes ``(m+1,)`` and ``(n,)``, or
            ``(m+1, channels)`` and ``(n, channels)`` when per-channel. Before
            the layer is built, the initial coefficients.
        """
        if not self.built:
            return tuple(np.array(c, dtype=np.float64) for c in self._initial)
        return (
            np.asarray(ops.convert_to_numpy(self.numerator), np.float64),
            np.asarray(ops.convert_to_numpy(self.denominator), np.float64),
        )

    def get_config(self):
        config = super().get_config()
        num, den = self._initial
        config.update(
            numerator_degree=self.numerator_degree,
            denominator_degree=self.denominator_degree,
            version=self.version,
            # A callable target cannot be saved; the fitted coefficients are.
            approximate=self.approximate if isinstance(self.approximate, str) else None,
            fit_range=list(self.fit_range),
            initial_coefficients={
                "numerator": [float(v) for v in num],
                "denominator": [float(v) for v in den],
            },
            per_channel=self.per_channel,
            axis=self.axis,
            coefficient_regularizer=keras.regularizers.serialize(
                self.coefficient_regularizer
            ),
            coefficient_constraint=keras.constraints.serialize(
                self.coefficient_constraint
            ),
        )
        if self._basis_fixed is None:
            config["basis"] = self.basis
        return config


_COMMON_ARGS = """\
        numerator_degree: int, default 5. Degree m of the numerator (0 to 16).
        denominator_degree: int, default 4. Degree n of the denominator (1 to
            16).
        version: "A" (default) or "B". "A": $D = 1 + \\sum_j |b_j| |f_j(x)|$;
            "B": $D = 1 + |\\sum_j b_j f_j(x)|$. Both are $\\ge 1$ everywhere.
        approximate: str or callable, default "leaky_relu". The activation
            the unit starts as: the coefficients are a float64 NumPy
            least-squares fit to it on `fit_range`. A name from
            `keras_acts.names()` or "leaky_relu" (slope 0.01, the PAU
            paper's; Keras's own defaults to 0.2), or any callable mapping a
            float64 NumPy array to an array (e.g. ``np.tanh``). Fits are
            deterministic and cached per (target, degrees, version, basis,
            range). May be None when `initial_coefficients` is given.
        fit_range: (low, high), default (-3.0, 3.0). Range of the fit.
        initial_coefficients: None (default) or a dict ``{"numerator": m+1
            numbers, "denominator": n numbers}`` used instead of fitting
            (`get_config` stores the fitted ones here, so a callable target
            need not be serializable).
        per_channel: bool, default False. False: one set of coefficients for
            the whole layer; True: one set per channel along `axis`.
        axis: int, default -1. The channel axis when `per_channel` (use 1
            for channels_first).
        coefficient_regularizer: regularizer for the coefficients, default
            None.
        coefficient_constraint: constraint for the coefficients, default None.
        **kwargs: Standard layer arguments (`name`, `dtype`, `trainable`...).

    Call arguments:
        inputs: a float tensor of any shape (float16/bfloat16 are computed in
            float32). With `per_channel`, its size along `axis` is the number
            of channels.

    Returns:
        A tensor of the same shape and dtype as `inputs`.

    Attributes:
        fit_error: float or None. Max absolute error of the initial
            coefficients against the target on `fit_range` (None if there is
            no target).
        numerator, denominator: the coefficient variables, shapes (m+1,) and
            (n,), or (m+1, channels) and (n, channels).

    Inspecting a learned unit: ``layer.coefficients()`` returns the current
    coefficients as NumPy arrays; calling the layer on
    ``np.linspace(-5, 5, 201)`` (shared coefficients) gives its shape.
"""


@_saving.register
class PAU(_Rational):
    __doc__ = rf"""Padé Activation Unit: a learnable rational function.

    $F(x) = P(x) / Q(x)$ with $P(x) = a_0 + a_1 x + \dots + a_m x^m$ and

    * version "A" (safe PAU): $Q(x) = 1 + |b_1| |x| + \dots + |b_n| |x|^n$,
    * version "B": $Q(x) = 1 + |b_1 x + \dots + b_n x^n|$.

    $Q \ge 1$, so the unit has no poles. Default degrees 5/4, initialised as
    leaky ReLU (slope 0.01) by a least-squares fit on [-3, 3]; for that
    case the fit's max error (about 0.014) is below that of the authors'
    published coefficients (about 0.030). The kernel evaluates the
    polynomials by their recurrence (scaled by 1/x for |x| > 1, so it
    never overflows to inf/inf) and computes every gradient in one fused
    backward pass that stores only the input.

    Args:
{_COMMON_ARGS}
    Example:

    >>> import keras
    >>> from keras_acts.layers import PAU
    >>> model = keras.Sequential([keras.Input((16,)), keras.layers.Dense(32),
    ...                           PAU(), keras.layers.Dense(1)])
    >>> numerator, denominator = model.layers[1].coefficients()

    Reference:
        [Molina, Schramowski & Kersting 2019, Padé Activation Units]
        (https://arxiv.org/abs/1907.06732). Versions A and B follow the
        authors' rational-activations library.
    """

    def __init__(
        self,
        numerator_degree=5,
        denominator_degree=4,
        version="A",
        approximate="leaky_relu",
        fit_range=(-3.0, 3.0),
        initial_coefficients=None,
        per_channel=False,
        axis=-1,
        coefficient_regularizer=None,
        coefficient_constraint=None,
        **kwargs,
    ):
        if "basis" in kwargs and kwargs["basis"] != "power":
            raise ValueError(
                f"{_owner(self)}: argument `basis` got {kwargs['basis']!r}; PAU "
                "uses the power basis ('power'). For an orthogonal basis use "
                "keras_acts.layers.OrthogonalPade."
            )
        kwargs.pop("basis", None)
        arguments = _Arguments.of(locals())
        super().__init__("power", arguments, **kwargs)

    _basis_fixed = "power"


@_saving.register
class OrthogonalPade(_Rational):
    __doc__ = rf"""Orthogonal-Padé unit: learnable rational function, orthogonal basis.

    $F(x) = (c_0 f_0(x) + \dots + c_m f_m(x)) / D(x)$ with

    * version "A" (safe, the paper's form):
      $D(x) = 1 + |d_1| |f_1(x)| + \dots + |d_n| |f_n(x)|$,
    * version "B": $D(x) = 1 + |d_1 f_1(x) + \dots + d_n f_n(x)|$,

    where $f_i$ is one of the six families of the paper (`basis`):
    "chebyshev_first_kind" ($T_i$), "chebyshev_second_kind" ($U_i$),
    "hermite_probabilists" ($\mathit{{He}}_i$), "hermite_physicists" ($H_i$),
    "laguerre" ($L_i$), "legendre" ($P_i$); conventions as in
    `numpy.polynomial` (chebyshev, hermite_e, hermite, laguerre, legendre).
    `HP1` and `HP2` are the paper's two best ("safe Hermite-Padé")
    presets. Initialisation, kernels and inspection as in `PAU`.

    Args:
        basis: str, default "hermite_probabilists". One of the six above.
{_COMMON_ARGS}
    Example:

    >>> from keras_acts.layers import OrthogonalPade
    >>> unit = OrthogonalPade(basis="legendre", approximate="swish")
    >>> unit.fit_error < 0.05
    True

    Reference:
        [Biswas, Banerjee & Pandey 2021, Orthogonal-Padé Activation
        Functions](https://arxiv.org/abs/2106.09693).
    """

    def __init__(
        self,
        basis="hermite_probabilists",
        numerator_degree=5,
        denominator_degree=4,
        version="A",
        approximate="leaky_relu",
        fit_range=(-3.0, 3.0),
        initial_coefficients=None,
        per_channel=False,
        axis=-1,
        coefficient_regularizer=None,
        coefficient_constraint=None,
        **kwargs,
    ):
        if self._basis_fixed is None:
            check_choice(basis, "basis", _owner(self), ORTHOGONAL_BASES)
        super().__init__(basis, _Arguments.of(locals()), **kwargs)


_HP_NOTE = """
    What the paper states and what keras_acts chose: the paper's abstract
    (arXiv 2106.09693) names HP-1 and HP-2 its two best of six
    orthogonal-Padé activations, "safe Hermite-Padé" (safe: the version "A"
    denominator). The rest is keras_acts' choice, not checked against the
    body of the paper: HP-1 uses probabilists' and HP-2 physicists' Hermite
    polynomials, with degrees 5/4 and a leaky-ReLU initialisation by
    default. Pass `numerator_degree`, `denominator_degree`, `approximate` or
    `initial_coefficients` for another setting.
"""


def _hermite_preset(name, basis, label):
    def __init__(self, numerator_degree=5, denominator_degree=4, version="A",
                 approximate="leaky_relu", fit_range=(-3.0, 3.0),
                 initial_coefficients=None, per_channel=False, axis=-1,
                 coefficient_regularizer=None, coefficient_constraint=None,
                 **kwargs):  # fmt: skip
        if "basis" in kwargs and kwargs["basis"] != basis:
            raise ValueError(
                f"{_owner(self)}: argument `basis` got {kwargs['basis']!r}; "
                f"{name} fixes it to {basis!r} (use OrthogonalPade for another)."
            )
        kwargs.pop("basis", None)
        _Rational.__init__(self, basis, _Arguments.of(locals()), **kwargs)

    doc = rf"""{label}: safe Hermite-Padé unit, `OrthogonalPade` with basis "{basis}".

    $F(x) = \frac{{\sum_i c_i f_i(x)}}{{1 + \sum_j |d_j| \, |f_j(x)|}}$ with
    $f_i$ the {BASES[basis].title}. Same arguments as `OrthogonalPade` except `basis`.
{_HP_NOTE}
    Example:

    >>> from keras_acts.layers import {name}
    >>> unit = {name}()  # starts as leaky ReLU (slope 0.01) on [-3, 3]

    Reference:
        [Biswas, Banerjee & Pandey 2021, Orthogonal-Padé Activation
        Functions](https://arxiv.org/abs/2106.09693).
    """
    cls = type(
        name,
        (OrthogonalPade,),
        {"__init__": __init__, "__doc__": doc, "_basis_fixed": basis,
         "__module__": __name__},
    )  # fmt: skip
    return _saving.register(cls)


HP1 = _hermite_preset("HP1", "hermite_probabilists", "HP-1")
HP2 = _hermite_preset("HP2", "hermite_physicists", "HP-2")

__all__ = ["PAU", "OrthogonalPade", "HP1", "HP2"]
