"""What every activation promises, checked over the registry and its layers.

Two groups of tests, each parameterised over every elementwise registry name
(as the function `keras_acts.<name>`) and every elementwise layer with its
default arguments (the generated layer of each name, PReLU and the rational
units); softmax, the one non-elementwise name, has its own cases.

Inputs:

* integer and bool inputs are cast to `keras.config.floatx()` (as a Keras
  layer casts its inputs) and give exactly what the same values as floats
  give; layers return their compute dtype;
* NaN gives NaN (and leaves the other entries alone);
* +-inf gives the mathematical limit where there is one, NaN where there is
  none (sine at infinity): the expected limit is read off the float64
  reference in tests/references.py far out (x = +-1e300), never hand-coded;
* finite inputs never give NaN, and give inf only where the true value is
  beyond the dtype's range, in float32, float16 and bfloat16 (values and
  gradients), over the dtype's whole range;
* scalars, 1-D to 5-D and zero-size tensors keep their shape.

Properties, with `hypothesis` (derandomised, so reproducible):
monotonic where the metadata says so, outputs inside the declared
`output_range`, `value_at_zero`, the gradient against a central finite
difference of the float64 reference (away from declared kinks), continuity
across declared kinks and across the thresholds where formulas switch branch
(the numeric constants of the definitions, scaled by the parameters), and
odd/even symmetry where declared. Parameters are drawn from their declared
ranges (tests/_params.py) and passed as tensors, so one compiled kernel per
activation serves every draw; the metadata flags themselves (monotonic,
output_range, value_at_zero, symmetry) describe the default parameters, as
the docstrings say, and are checked there. Many points are evaluated per
example, in one call.
"""

import dataclasses
import functools
import os
import sys

import keras
import layer_references as lrefs
import numpy as np
import pytest
from _params import bounds
from _util import (
    FD_STEP,
    FD_TOLERANCE,
    KINK_MARGIN,
    TOLERANCES,
    assert_close,
    dtype_of,
    fd_derivative,
    grad,
    limit,
    non_smooth_points,
    rounded,
    tensor,
    to_numpy,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from references import PARAM_CASES, REFERENCES

import keras_acts
import keras_acts.layers as L
from keras_acts import _math, _rational, _spec
from keras_acts.layers._activation import class_name

REGISTRY = _spec.registry()
ELEMENTWISE = [n for n in keras_acts.names() if REGISTRY[n].elementwise]
FLOATS = ("float64", "float32", "float16", "bfloat16")
LOW = ("float32", "float16", "bfloat16")
LARGEST = {
    "float32": float(np.finfo(np.float32).max),
    "float16": float(np.finfo(np.float16).max),
    "bfloat16": (2.0 - 2.0**-7) * 2.0**127,
}
N = 64  # Points per hypothesis example (one call each).


# CI runs the properties at full strength on TensorFlow and scaled down on
# the other backends (same math, other ops): KERAS_ACTS_HYPOTHESIS_SCALE=0.34
# there. Never below one example per test.
_SCALE = float(os.environ.get("KERAS_ACTS_HYPOTHESIS_SCALE", "1"))
if not 0.0 < _SCALE <= 10.0:
    raise ValueError(f"KERAS_ACTS_HYPOTHESIS_SCALE must be in (0, 10]; got {_SCALE!r}.")


def _settings(examples):
    return settings(
        max_examples=max(1, round(examples * _SCALE)),
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


# --- Subjects: the functions and the layers ----------------------------------------


@dataclasses.dataclass(frozen=True)
class Subject:
    """Something elementwise to test: a function or a layer with its reference."""

    id: str
    spec: object  # The ActivationSpec whose metadata applies.
    reference: callable  # float64 x (and **params for functions) -> float64.
    make_layer: callable = None  # dtype policy -> layer; None for functions.

    @property
    def is_layer(self):
        return self.make_layer is not None

    def __call__(self, x, params=None):
        """The subject on tensor `x`; `params` (functions only) as given."""
        if not self.is_layer:
            return self.spec.public(x, **(params or {}))
        dtype = dtype_of(x)
        layer = _layer(self, dtype if dtype in _POLICY else keras.config.floatx())
        shape = keras.ops.shape(x)
        out = layer(keras.ops.reshape(x, (-1, 1)))
        return keras.ops.reshape(out, shape)

    def ref(self, x, params=None):
        x = np.asarray(x, np.float64)
        return np.reshape(self.reference(x, **(params or {})), x.shape)


_POLICY = {
    "float64": "float64",
    "float32": "float32",
    "float16": "mixed_float16",
    "bfloat16": "mixed_bfloat16",
}


@functools.cache
def _layer(subject, dtype):
    """One built layer per subject and dtype (weights at their initial values)."""
    layer = subject.make_layer(_POLICY[dtype])
    layer.build((None, 1))
    return layer


def _rational_subject(cls):
    from test_rational import reference as rational_reference

    probe = cls()

    def reference(x):
        num, den = probe.coefficients()
        return rational_reference(x, num, den, probe.version, probe.basis)

    return Subject(cls.__name__, probe.spec, reference, lambda p: cls(dtype=p))


def _layer_subject(name, cls):
    """The layer of `name`, against the reference at the layer's own defaults.

    (A drop-in for a Keras layer keeps Keras's defaults: LeakyReLU's slope
    is 0.3 where the function's is 0.2.)
    """
    probe = cls()
    params = {p.name: getattr(probe, p.name) for p in REGISTRY[name].params}
    return Subject(
        f"layers.{cls.__name__}",
        REGISTRY[name],
        functools.partial(REFERENCES[name], **params),
        functools.partial(lambda p, cls: cls(dtype=p), cls=cls),
    )


def _subjects():
    functions = [Subject(n, REGISTRY[n], REFERENCES[n]) for n in ELEMENTWISE]
    layers = [_layer_subject(n, getattr(L, class_name(n))) for n in ELEMENTWISE]
    layers += [
        Subject(
            "layers.ChannelPReLU",
            L.ChannelPReLU.spec,
            lambda x: lrefs.prelu(x, 0.25),  # The documented initial slope.
            lambda p: L.ChannelPReLU(dtype=p),
        ),
        Subject(
            "layers.PReLU",
            L.PReLU.spec,
            lambda x: lrefs.prelu(x, 0.0),  # Keras's initial slope.
            lambda p: L.PReLU(dtype=p),
        ),
    ]
    layers += [_rational_subject(c) for c in (L.PAU, L.OrthogonalPade, L.HP1, L.HP2)]
    return functions + layers


SUBJECTS = _subjects()
FUNCTIONS = [s for s in SUBJECTS if not s.is_layer]


def _ids(subjects):
    return [pytest.param(s, id=s.id) for s in subjects]


# --- Parameters and inputs ----------------------------------------------------------


def _float32_bounds(param):
    low, high = bounds(param)
    low32, high32 = np.float32(low), np.float32(high)
    if low32 < low:
        low32 = np.nextafter(low32, np.float32(np.inf))
    if high32 > high:
        high32 = np.nextafter(high32, np.float32(-np.inf))
    return float(low32), float(high32)


def param_strategy(spec):
    """Parameters drawn from their declared ranges (float32-representable)."""
    fields = {}
    for p in spec.params:
        if p.choices is not None:
            fields[p.name] = st.sampled_from(p.choices)
        elif not p.integer:
            low, high = _float32_bounds(p)
            fields[p.name] = st.floats(low, high, width=32).map(
                functools.partial(_no_tiny, low=low, high=high)
            )
    return st.fixed_dictionaries(fields)


def _no_tiny(value, low, high):
    """0 for parameter magnitudes below 1e-6 (where 0 is allowed).

    The definitions document their approximations for such magnitudes (e.g.
    TanhSoft's exponential clamp matters only for beta below ~1e-33); the
    properties are claimed for ordinary parameters and for exact zeros.
    """
    if 0.0 < abs(value) < 1e-6:
        return (
            0.0
            if low <= 0.0 <= high
            else float(np.clip(np.copysign(1e-6, value), low, high))
        )
    return value


def _params_of(subject):
    """Strategy of parameter dicts: drawn (functions) or defaults (layers)."""
    if subject.is_layer:
        return st.just({})
    return param_strategy(subject.spec)


def _documented_params(subject):
    """The defaults and every PARAM_CASES setting (functions), defaults (layers)."""
    if subject.is_layer:
        return st.just({})
    return st.sampled_from([{}, *PARAM_CASES[subject.spec.name]])


def _as_tensors(subject, params, dtype):
    """Numeric parameters as tensors of the compute dtype; choices stay static."""
    compute = "float32" if dtype in ("float16", "bfloat16") else dtype
    out = {}
    for name, value in params.items():
        p = subject.spec.param(name)
        out[name] = value if p.choices is not None else tensor(value, compute)
    return out


def _run(subject, x, dtype, params=None):
    """float64 NumPy output of the subject on `x` cast to `dtype`."""
    y = subject(tensor(x, dtype), _as_tensors(subject, params or {}, dtype))
    assert dtype_of(y) == dtype
    return to_numpy(y).astype(np.float64)


def _run_grad(subject, x, dtype, params=None):
    kw = _as_tensors(subject, params or {}, dtype)
    (dx,) = grad(lambda t: keras.ops.sum(subject(t, kw)), tensor(x, dtype))
    assert dtype_of(dx) == dtype
    return to_numpy(dx).astype(np.float64)


def points(low=-60.0, high=60.0):
    """N float64 inputs: hypothesis's choice of values in [low, high]."""
    return hnp.arrays(np.float64, N, elements=st.floats(low, high))


def wide_points(dtype="float64"):
    """N inputs over the whole finite range of `dtype` (and the moderate range)."""
    width = {"float64": 64, "float32": 32, "float16": 16, "bfloat16": 32}[dtype]
    limit = LARGEST.get(dtype, 1.7976931348623157e308)
    elements = st.one_of(
        st.floats(-60.0, 60.0, width=width),
        st.floats(-limit, limit, width=width),
    )
    return hnp.arrays(np.float64, N, elements=elements)


def _keep_away(x, kinks):
    """Moves entries within the finite-difference margin of a kink out of it."""
    x = np.array(x, np.float64)
    for k in kinks:
        margin = 2 * KINK_MARGIN * max(1.0, abs(k))
        near = np.abs(x - k) <= margin
        x[near] = k + np.where(x[near] >= k, margin, -margin)
    return x


# --- Metadata against the references -------------------------------------------------

_DENSE = np.concatenate(
    [
        np.linspace(-40.0, 40.0, 160001),
        -np.logspace(-8, 300, 200),
        np.logspace(-8, 300, 200),
    ]
)


@pytest.mark.numerics
@pytest.mark.parametrize("name", keras_acts.names())
def test_metadata_matches_the_reference(name):
    """The declared flags hold for the independent reference (default params)."""
    spec = REGISTRY[name]
    if not spec.elementwise:
        assert spec.value_at_zero is None and spec.symmetry is None
        return
    ref = REFERENCES[name]
    y = ref(_DENSE)
    if spec.value_at_zero is not None:
        assert ref(np.array([0.0]))[0] == pytest.approx(spec.value_at_zero, abs=1e-15)
    if spec.smooth:
        assert not spec.kinks, f"{name} is declared smooth but lists kinks"
    # The declared range contains the reference and is tight (inf / sup).
    low, high = spec.output_range
    finite = y[np.isfinite(y)]
    assert finite.min() >= low - 1e-12 * max(1.0, abs(low))
    assert finite.max() <= high + 1e-12 * max(1.0, abs(high))
    if np.isfinite(low):
        assert _extreme(ref, y, 1.0) == pytest.approx(low, rel=1e-9, abs=1e-12)
    if np.isfinite(high):
        assert _extreme(ref, y, -1.0) == pytest.approx(high, rel=1e-9, abs=1e-12)
    # Monotonic exactly when declared (the grid finds a decrease otherwise).
    order = np.argsort(_DENSE)
    steps = np.diff(y[order])
    decreasing = steps < -1e-12 * np.maximum(1.0, np.abs(y[order][1:]))
    assert spec.monotonic == (not decreasing.any()), (
        f"{name}: monotonic={spec.monotonic} but the reference "
        f"{'decreases' if decreasing.any() else 'never decreases'}"
    )
    if spec.symmetry is not None:
        sign = -1.0 if spec.symmetry == "odd" else 1.0
        np.testing.assert_allclose(ref(-_DENSE), sign * y, rtol=1e-12, atol=1e-300)


# --- Inputs: integer, NaN, inf, finite, shapes ----------------------------------------


def _extreme(ref, y, sign):
    """min (sign 1) or max (sign -1) of the reference: the grid's, refined."""
    from scipy.optimize import minimize_scalar

    i = int(np.nanargmin(sign * y))
    order = np.argsort(_DENSE)
    j = int(np.flatnonzero(order == i)[0])
    if 0 < j < len(order) - 1:
        bracket = (_DENSE[order[j - 1]], _DENSE[order[j + 1]])
        best = minimize_scalar(
            lambda t: sign * ref(np.array([t]))[0],
            bounds=bracket,
            method="bounded",
            options={"xatol": 1e-12},
        )
        return sign * min(best.fun, sign * y[i])
    return y[i]


_INTS = np.array([-7, -3, -1, 0, 1, 2, 5, 100])


@pytest.mark.numerics
@pytest.mark.parametrize("int_dtype", ["int32", "uint8", "bool"])
@pytest.mark.parametrize("subject", _ids(SUBJECTS))
def test_integer_inputs_are_cast_to_floatx(subject, int_dtype):
    """Integer and bool tensors compute as floatx() (layers: their dtype)."""
    values = _INTS.astype(int_dtype) if int_dtype != "bool" else _INTS > 0
    y = subject(keras.ops.convert_to_tensor(values))
    assert dtype_of(y) == keras.config.floatx()
    expected = subject(tensor(values.astype(np.float64), keras.config.floatx()))
    np.testing.assert_array_equal(to_numpy(y), to_numpy(expected))


@pytest.mark.numerics
@pytest.mark.parametrize("int_dtype", ["int32", "bool"])
def test_integer_inputs_follow_floatx(int_dtype):
    previous = keras.config.floatx()
    keras.config.set_floatx("float64")
    try:
        for name in ("mish", "softmax", "relu", "eis"):
            values = _INTS.astype(int_dtype) if int_dtype != "bool" else _INTS > 0
            y = keras_acts.get(name)(keras.ops.convert_to_tensor(values))
            assert dtype_of(y) == "float64", name
            expected = REFERENCES[name](values.astype(np.float64))
            assert_close(to_numpy(y), expected, *TOLERANCES["float64"], what=name)
    finally:
        keras.config.set_floatx(previous)


@pytest.mark.numerics
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("subject", _ids(SUBJECTS))
def test_nan_gives_nan(subject, dtype):
    x = np.array([np.nan, -2.0, 0.0, 1.5, np.nan, 30.0])
    y = _run(subject, x, dtype)
    nan = np.isnan(x)
    assert np.isnan(y[nan]).all(), f"{subject.id}({dtype}) at NaN gave {y[nan]}"
    expected = _run(subject, x[~nan], dtype)
    np.testing.assert_array_equal(y[~nan], expected)


@pytest.mark.numerics
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("subject", _ids(SUBJECTS))
def test_infinities_give_the_limit(subject, dtype):
    x = np.array([-np.inf, np.inf])
    y = _run(subject, x, dtype)
    expected = np.array([limit(subject.ref, -1.0), limit(subject.ref, 1.0)])
    none = np.isnan(expected)  # No limit: NaN, or a value in the declared range.
    low, high = subject.spec.output_range
    with np.errstate(invalid="ignore"):
        ok = np.isnan(y[none]) | ((y[none] >= low) & (y[none] <= high))
    assert ok.all(), f"{subject.id}({dtype}) at {x[none]}: {y[none]}"
    rtol, atol = TOLERANCES[dtype]
    assert_close(
        y[~none], expected[~none], rtol, atol, x[~none], f"{subject.id}({dtype})"
    )


@pytest.mark.numerics
@pytest.mark.parametrize("dtype", LOW)
@pytest.mark.parametrize("subject", _ids(SUBJECTS))
def test_finite_inputs_give_finite_outputs(subject, dtype):
    """No NaN for finite inputs; inf only where the true value overflows."""
    largest = LARGEST[dtype]

    @_settings(8)
    @given(raw=wide_points(dtype), params=_params_of(subject))
    def check(raw, params):
        x = rounded(np.clip(raw, -largest, largest), dtype)
        ref = functools.partial(subject.ref, params=params)
        y = _run(subject, x, dtype, params)
        expected = ref(x)
        _check_finite(y, expected, x, largest, f"{subject.id}{params} {dtype}")
        dx = _run_grad(subject, x, dtype, params)
        h = FD_STEP * np.maximum(1.0, np.abs(x))
        slope = (ref(x + h) - ref(x - h)) / (2 * h)
        _check_finite(dx, slope, x, largest, f"d{subject.id}{params} {dtype}")

    check()


def _check_finite(y, expected, x, largest, what):
    assert not np.isnan(y).any(), f"{what}: NaN at x={x[np.isnan(y)]}"
    with np.errstate(invalid="ignore"):
        too_big = ~(np.abs(expected) <= largest)  # inf or NaN: no claim
    bad = np.isinf(y) & ~too_big
    assert not bad.any(), f"{what}: inf at x={x[bad]}, expected {expected[bad]}"


_SHAPES = [(), (0,), (3, 0), (2, 3), (2, 1, 3), (1, 2, 1, 3), (2, 1, 3, 1, 2)]


@pytest.mark.numerics
@pytest.mark.parametrize("shape", _SHAPES, ids=str)
@pytest.mark.parametrize("subject", _ids(SUBJECTS))
def test_shapes(subject, shape):
    x = np.random.default_rng(len(shape)).normal(0.0, 3.0, shape)
    y = _run(subject, x, "float32")
    assert y.shape == shape
    assert_close(y, subject.ref(rounded(x, "float32")), *TOLERANCES["float32"])
    dx = _run_grad(subject, x, "float32")
    assert dx.shape == shape and np.isfinite(dx).all()


# --- Softmax: the non-elementwise name ----------------------------------------------


def _softmax_subjects():
    return [
        pytest.param(keras_acts.softmax, id="softmax"),
        pytest.param(lambda x: L.Softmax(dtype=_POLICY[dtype_of(x)])(x), id="Softmax"),
    ]


@pytest.mark.numerics
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("fn", _softmax_subjects())
def test_softmax_nan_and_inf(fn, dtype):
    """A row with NaN is NaN; a single +-inf entry gives the limit (one-hot)."""
    rows = np.array(
        [
            [np.nan, 0.0, 1.0],
            [np.inf, 0.0, 1.0],
            [-np.inf, 0.0, 1.0],
            [np.inf, -np.inf, 2.0],
            [0.5, -1.0, 2.0],
        ]
    )
    y = to_numpy(fn(tensor(rows, dtype))).astype(np.float64)
    assert np.isnan(y[0]).all()
    # The limit as the infinite entries go to +-inf, from the reference.
    expected = REFERENCES["softmax"](
        np.nan_to_num(rows[1:], posinf=1e300, neginf=-1e300)
    )
    rtol, atol = TOLERANCES[dtype]
    assert_close(y[1:], expected, rtol, atol, rows[1:], f"softmax({dtype}) limits")


@pytest.mark.numerics
@pytest.mark.parametrize("shape", [s for s in _SHAPES if s], ids=str)
@pytest.mark.parametrize("fn", _softmax_subjects())
def test_softmax_shapes(fn, shape):
    x = np.random.default_rng(len(shape)).normal(0.0, 3.0, shape)
    y = to_numpy(fn(tensor(x, "float32")))
    assert y.shape == shape
    assert_close(
        y, REFERENCES["softmax"](rounded(x, "float32")), *TOLERANCES["float32"]
    )


@pytest.mark.numerics
@pytest.mark.parametrize("int_dtype", ["int32", "bool"])
def test_softmax_integer_inputs(int_dtype):
    values = np.array([[0, 1, 2], [3, 0, 0]]).astype(int_dtype)
    for fn in (keras_acts.softmax, L.Softmax()):
        y = fn(keras.ops.convert_to_tensor(values))
        assert dtype_of(y) == keras.config.floatx()
        expected = REFERENCES["softmax"](values.astype(np.float64))
        assert_close(to_numpy(y), expected, *TOLERANCES["float32"])


# --- Properties -----------------------------------------------------------------


@pytest.mark.numerics
@pytest.mark.parametrize("subject", _ids(SUBJECTS))
def test_value_at_zero(subject):
    value = subject.spec.value_at_zero
    if value is None:  # Declared as depending on the weights (rational units).
        assert subject.spec.name.startswith("rational_"), subject.id
        value = float(subject.ref(np.zeros(1))[0])
    for dtype in FLOATS:
        y = _run(subject, np.array([0.0, -0.0]), dtype)
        rtol, atol = TOLERANCES[dtype]
        assert_close(y, np.full(2, value), rtol, atol, what=f"{subject.id}({dtype})(0)")


@pytest.mark.numerics
@pytest.mark.parametrize("subject", _ids([s for s in SUBJECTS if s.spec.monotonic]))
def test_monotonic(subject):
    @_settings(15)
    @given(x=points(-1e4, 1e4), params=_documented_params(subject))
    def check(x, params):
        x = np.sort(np.concatenate([x, np.linspace(-8.0, 8.0, N)]))
        y = _run(subject, x, "float64", params)
        steps = np.diff(y)
        bad = steps < -1e-12 * np.maximum(1.0, np.abs(y[1:]))
        assert not bad.any(), (
            f"{subject.id}{params} decreases between x={x[:-1][bad]} and "
            f"{x[1:][bad]}: {y[:-1][bad]} -> {y[1:][bad]}"
        )

    check()


@pytest.mark.numerics
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("subject", _ids(SUBJECTS))
def test_output_inside_declared_range(subject, dtype):
    low, high = subject.spec.output_range
    # A few units in the last place of the bound, for rounding.
    eps = 4 * float(np.finfo(dtype).eps)

    @_settings(10)
    @given(x=wide_points(dtype))
    def check(x):
        x = rounded(x, dtype)
        y = _run(subject, x, dtype)
        assert not np.isnan(y).any()
        below = y < low - eps * max(1.0, abs(low))
        above = y > high + eps * max(1.0, abs(high))
        assert not (below | above).any(), (
            f"{subject.id}({dtype}) outside [{low}, {high}] at x="
            f"{x[below | above]}: {y[below | above]}"
        )

    check()


@pytest.mark.numerics
@pytest.mark.parametrize("subject", _ids(SUBJECTS))
def test_derivative_matches_finite_difference(subject):
    """float64 gradient vs a central difference of the float64 reference."""
    kinks = non_smooth_points(subject.spec)

    @_settings(15)
    @given(x=points(), params=_params_of(subject))
    def check(x, params):
        x = _keep_away(x, kinks)
        dx = _run_grad(subject, x, "float64", params)
        ref = functools.partial(subject.ref, params=params)
        expected = fd_derivative(ref, x)
        # The difference's own truncation error (fourth order: Richardson).
        truncation = np.abs(expected - fd_derivative(ref, x, FD_STEP / 2))
        rtol, atol = FD_TOLERANCE
        bad = ~(
            np.abs(dx - expected) <= atol + rtol * np.abs(expected) + 2 * truncation
        )
        assert not bad.any(), (
            f"d{subject.id}{params}: at x={x[bad]} got {dx[bad]}, finite "
            f"difference {expected[bad]}"
        )

    check()


# The thresholds the definitions held when this test was written (exp
# clamps, tails, saturation points, rational fits' bounds, ...): a move of
# code that hides one from `_threshold_constants` fails the test below
# instead of silently testing fewer points.
KNOWN_THRESHOLDS = (
    *(0.044715, 0.3989422804014327, 0.4472135954999579, 0.7071067811865476),
    *(0.7978845608028654, 0.8944271909999159, 1.0507009873554805),
    *(1.1283791670955126, 1.6732632423543772, 1.702, 4.0, 6.0),
    *(7.905311107635498, 16.0, 20.0, 40.0, 64.0, 80.0, 88.72283, 100.0),
    *(2001.0, 10000.0, 1e15),
)


def _numeric_modules():
    """Every module a formula lives in: the numerics (`_math`), the module of
    each registered activation, and the rational units' modules."""
    modules = {_math.__name__}
    modules.update(spec.forward.__module__ for spec in REGISTRY.values())
    modules.update(name for name in sys.modules if name.startswith(_rational.__name__))
    return [sys.modules[name] for name in sorted(modules)]


def _threshold_constants():
    """Where formulas may switch branch: kink-free candidates from the source.

    The numeric constants of the definitions (exp clamps, tails, saturation
    points, ...) in every module a formula lives in, and 1 (the rational
    units' |x| > 1 switch).
    """
    values = {1.0}
    for module in _numeric_modules():
        for key, value in vars(module).items():
            if (
                key.lstrip("_").isupper()
                and isinstance(value, (int, float))
                and not isinstance(value, bool)
                and 1e-3 <= abs(value) <= 1e20
            ):
                values.add(abs(float(value)))
    return sorted(values)


THRESHOLDS = _threshold_constants()


def test_threshold_constants_are_all_found():
    missing = [c for c in KNOWN_THRESHOLDS if not np.isclose(THRESHOLDS, c).any()]
    assert not missing, (
        f"{missing}: thresholds the formulas held are no longer found: where "
        "did they move? (`_numeric_modules`)"
    )


def _candidates(spec, params):
    """Kinks, and each threshold c at +-c, +-c / p and log(p) (p: parameters)."""
    scales = [1.0] + [
        abs(v) for v in params.values() if isinstance(v, float) and abs(v) > 1e-3
    ]
    out = set(spec.kinks)
    for c in THRESHOLDS:
        for s in scales:
            out.update((c / s, -c / s))
    out.update(np.log(s) for s in scales if s != 1.0)
    return np.array(sorted(out))


def _neighbours(c, dtype):
    """Each point with two representable values on each side: shape (5, len(c)).

    Around 0 the nearest *normal* numbers: CPUs run XLA with subnormals
    flushed to zero, so an input of 5e-324 computes as 0 (step(5e-324) = 0).
    """
    t = np.float32 if dtype == "float32" else np.float64
    tiny = np.finfo(t).tiny
    c = c.astype(t)
    rows = {0: c}
    for side, direction in ((1, np.inf), (-1, -np.inf)):
        v = c
        for k in (1, 2):
            v = np.nextafter(v, t(direction))
            rows[side * k] = v
    out = np.stack([rows[k] for k in (-2, -1, 0, 1, 2)]).astype(np.float64)
    zero = np.abs(c) < tiny
    out[:, zero] = (np.arange(-2, 3) * float(tiny))[:, None]
    return out


@pytest.mark.numerics
@pytest.mark.parametrize("subject", _ids(SUBJECTS))
def test_continuous_across_kinks_and_thresholds(subject):
    """Across each candidate point the subject jumps as the reference does.

    That is: not at all, except at a declared discontinuity (step at 0).
    Checked in float64 and float32 at the candidate and its nearest
    representable neighbours, where the dtype can resolve the function
    (|x f'(x)| eps within the tolerance; not where the reference overflows).
    """

    @_settings(6)
    @given(params=_params_of(subject))
    def check(params):
        candidates = _candidates(subject.spec, params)
        candidates = candidates[np.abs(candidates) < 1e30]
        for dtype in ("float64", "float32"):
            x = _neighbours(candidates, dtype)
            y = _run(subject, x.ravel(), dtype, params).reshape(x.shape)
            ref = subject.ref(x, params)
            rtol, atol = TOLERANCES[dtype]
            scale = atol + rtol * np.abs(ref).max(axis=0)
            with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
                secant = np.abs(np.diff(ref, axis=0) / np.diff(x, axis=0))
                conditioning = (
                    np.abs(x[2]) * np.maximum(secant[0], secant[3])
                ) * float(np.finfo(dtype).eps)
                keep = (np.abs(ref).max(axis=0) <= LARGEST["float32"]) & (
                    conditioning <= scale
                )
            for i in range(4):
                jump = y[i + 1, keep] - y[i, keep]
                ref_jump = ref[i + 1, keep] - ref[i, keep]
                bad = ~(np.abs(jump - ref_jump) <= 2 * scale[keep])
                assert not bad.any(), (
                    f"{subject.id}{params} {dtype}: jumps by {jump[bad]} "
                    f"(reference {ref_jump[bad]}) at x={x[i + 1, keep][bad]}"
                )
            assert_close(
                y[:, keep],
                ref[:, keep],
                rtol,
                atol,
                x[:, keep],
                f"{subject.id} {dtype}",
            )

    check()


@pytest.mark.numerics
@pytest.mark.parametrize(
    "subject", _ids([s for s in SUBJECTS if s.spec.symmetry is not None])
)
def test_symmetry(subject):
    sign = -1.0 if subject.spec.symmetry == "odd" else 1.0

    @_settings(15)
    @given(x=points(-1e3, 1e3), params=_params_of(subject))
    def check(x, params):
        for dtype in ("float64", "float32"):
            xd = rounded(x, dtype)
            both = _run(subject, np.concatenate([xd, -xd]), dtype, params)
            y, y_neg = both[:N], both[N:]
            eps = 2 * float(np.finfo(dtype).eps)
            assert_close(y_neg, sign * y, eps, 1e-300, xd, f"{subject.id} {dtype}")

    check()
