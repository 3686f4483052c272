"""Bad input and numerical stress, for both estimators.

Every case is registered once, in ``CASES``, with the behaviour observed for each
estimator; ``test_case`` runs its check for both estimators, and ``doc/reliability.md`` is
rendered from the same table (``python doc/make_reliability_page.py``;
``test_page_is_up_to_date`` fails when the page and the table disagree).
"""

import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LinearRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skgiant import AlternatingOLSReLURegressor, GiantStepRegressor
from skgiant._alternating_regressor import PUBLISHED_PARAMS
from skgiant._ridge import LinAlgConditionWarning

ESTIMATORS = [GiantStepRegressor, AlternatingOLSReLURegressor]
PAGE = Path(__file__).resolve().parents[1] / "doc" / "reliability.md"

# Short fits keep the suite fast; the alternating estimator then often stops at max_iter,
# which its ConvergenceWarning reports (tested in test_alternating_regressor.py).
pytestmark = pytest.mark.filterwarnings(
    "ignore:AlternatingOLSReLURegressor stopped at max_iter:sklearn.exceptions.ConvergenceWarning"
)


def make(Estimator, **params):
    """A small, fast, seeded instance."""
    if Estimator is GiantStepRegressor:
        base = dict(n_hidden=16, random_state=0)
    else:
        base = dict(n_hidden=8, max_iter=5, random_state=0)
    return Estimator(**{**base, **params})


def data(n=60, d=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    y = X[:, 0] + 0.5 * np.sin(2 * X[:, 1 % d]) + 0.1 * rng.standard_normal(n)
    return X, y


def r2(y, pred):
    return 1.0 - np.mean((y - pred) ** 2) / np.var(y)


def fit_predict(model, X, y, X_test=None, **fit_params):
    model.fit(X, y, **fit_params)
    pred = model.predict(X if X_test is None else X_test)
    assert np.all(np.isfinite(pred))
    return pred


@dataclass(frozen=True)
class Case:
    """A bad input or stress case and the behaviour each estimator shows (and is tested for)."""

    id: str
    kind: str  # "bad input" or "stress"
    what: str
    giant: str
    alternating: str
    check: object


CASES = {}


def case(kind, what, giant, alternating=None):
    """Register ``check(Estimator)`` as the test of a case (its name is the case id)."""

    def register(check):
        CASES[check.__name__] = Case(
            check.__name__, kind, what, giant, giant if alternating is None else alternating, check
        )
        return check

    return register


# ---------------------------------------------------------------------------- bad input
@case("bad input", "NaN in X (fit and predict)", "`ValueError`: Input X contains NaN")
def nan_in_X(Estimator):
    X, y = data()
    Xn = X.copy()
    Xn[3, 1] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN"):
        make(Estimator).fit(Xn, y)
    model = make(Estimator).fit(X, y)
    with pytest.raises(ValueError, match="Input X contains NaN"):
        model.predict(Xn)


@case("bad input", "infinity in X", "`ValueError`: Input X contains infinity")
def inf_in_X(Estimator):
    X, y = data()
    X[0, 0] = -np.inf
    with pytest.raises(ValueError, match="Input X contains infinity"):
        make(Estimator).fit(X, y)


@case("bad input", "NaN in y", "`ValueError`: Input y contains NaN")
def nan_in_y(Estimator):
    X, y = data()
    y[5] = np.nan
    with pytest.raises(ValueError, match="Input y contains NaN"):
        make(Estimator).fit(X, y)


@case("bad input", "infinity in y", "`ValueError`: Input y contains infinity")
def inf_in_y(Estimator):
    X, y = data()
    y[5] = np.inf
    with pytest.raises(ValueError, match="Input y contains infinity"):
        make(Estimator).fit(X, y)


@case("bad input", "empty X (0 rows)", "`ValueError`: Found array with 0 sample(s) ...")
def empty_X(Estimator):
    with pytest.raises(ValueError, match=r"0 sample\(s\)"):
        make(Estimator).fit(np.empty((0, 3)), np.empty(0))


@case("bad input", "X with 0 columns", "`ValueError`: Found array with 0 feature(s) ...")
def no_features(Estimator):
    with pytest.raises(ValueError, match=r"0 feature\(s\)"):
        make(Estimator).fit(np.empty((10, 0)), np.ones(10))


@case(
    "bad input",
    "1 sample",
    "`ValueError`: Found array with 1 sample(s) ... a minimum of 2 is required",
)
def one_sample(Estimator):
    with pytest.raises(ValueError, match=r"1 sample\(s\).*minimum of 2 is required"):
        make(Estimator).fit(np.ones((1, 3)), np.ones(1))


@case("bad input", "2 samples", "finite model; predictions within the range of y")
def two_samples(Estimator):
    X, y = data(n=2)
    pred = fit_predict(make(Estimator), X, y)
    spread = y.max() - y.min()
    assert np.all(pred >= y.min() - 1e-9 * spread) and np.all(pred <= y.max() + 1e-9 * spread)


def _beats_linear_regression(model, X, y):
    """Training R^2 above linear regression's: the nonlinear part of ``y`` is fitted too
    (a constant or purely linear predictor cannot pass)."""
    linear = r2(y, LinearRegression().fit(X, y).predict(X))
    assert r2(y, fit_predict(model, X, y)) > linear + 0.005


@case(
    "bad input",
    "1 feature",
    "finite model fitting a 1-D curve (training R² above linear regression's)",
)
def one_feature(Estimator):
    X, y = data(d=1)
    _beats_linear_regression(make(Estimator), X, y)


@case(
    "bad input",
    "more features than samples (12 x 40)",
    "finite model; training predictions within max(y) - min(y) of the mean of y",
)
def more_features_than_samples(Estimator):
    X, y = data(n=12, d=40)
    pred = fit_predict(make(Estimator), X, y)
    spread = y.max() - y.min()
    assert np.all(np.abs(pred - y.mean()) <= spread)


@case("bad input", "a constant column", "finite model, training R² above linear regression's")
def constant_column(Estimator):
    X, y = data()
    X = np.hstack([X, np.full((len(X), 1), 3.0)])
    _beats_linear_regression(make(Estimator), X, y)


@case(
    "bad input",
    "an exactly duplicated column",
    "finite model, training R² above linear regression's",
)
def duplicated_column(Estimator):
    X, y = data()
    X = np.hstack([X, X[:, :1]])
    _beats_linear_regression(make(Estimator), X, y)


@case("bad input", "constant y", "predicts the constant exactly, on any X; no warning")
def constant_y(Estimator):
    X, _ = data()
    X_new, _ = data(seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pred = fit_predict(make(Estimator), X, np.full(len(X), 7.5), X_new)
    assert_allclose(pred, 7.5, rtol=1e-12)


@case("bad input", "all columns constant", "predicts the weighted mean of y; no warning")
def constant_X(Estimator):
    _, y = data()
    w = np.linspace(0.5, 2.0, len(y))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pred = fit_predict(make(Estimator), np.full((len(y), 3), 2.0), y, sample_weight=w)
    assert_allclose(pred, w @ y / w.sum(), rtol=1e-10)


@case("bad input", "integer X and y", "same model as the float64 copy (float64 predictions)")
def integer_dtype(Estimator):
    X, y = data()
    Xi, yi = np.round(5 * X).astype(np.int64), np.round(5 * y).astype(np.int32)
    pred_int = fit_predict(make(Estimator), Xi, yi)
    assert pred_int.dtype == np.float64
    assert_array_equal(pred_int, fit_predict(make(Estimator), Xi.astype(float), yi.astype(float)))


@case("bad input", "boolean X", "same model as the float64 copy")
def bool_dtype(Estimator):
    X, y = data()
    Xb = X > 0
    assert_array_equal(
        fit_predict(make(Estimator), Xb, y), fit_predict(make(Estimator), 1.0 * Xb, y)
    )


@case(
    "bad input",
    "float32 X and y",
    "float32 predictions equal to the float64 model's (rounded to float32)",
)
def float32_dtype(Estimator):
    X, y = data()
    X32, y32 = X.astype(np.float32), y.astype(np.float32)
    pred32 = fit_predict(make(Estimator), X32, y32)
    pred64 = fit_predict(make(Estimator), X32.astype(float), y32.astype(float))
    assert pred32.dtype == np.float32
    assert_allclose(pred32, pred64, rtol=1e-6, atol=1e-6)


@case("bad input", "object array of numbers", "converted: same model as the float64 copy")
def object_dtype(Estimator):
    X, y = data()
    assert_array_equal(
        fit_predict(make(Estimator), X.astype(object), y), fit_predict(make(Estimator), X, y)
    )


@case("bad input", "strings in X", "`ValueError`: could not convert string to float")
def string_dtype(Estimator):
    X = np.array([["a", "b", "c"]] * 10)
    with pytest.raises(ValueError, match="could not convert string to float"):
        make(Estimator).fit(X, np.arange(10.0))


@case("bad input", "complex X or y", "`ValueError`: Complex data not supported")
def complex_dtype(Estimator):
    X, y = data()
    with pytest.raises(ValueError, match="Complex data not supported"):
        make(Estimator).fit(X + 1j, y)
    with pytest.raises(ValueError, match="Complex data not supported"):
        make(Estimator).fit(X, y + 1j)


@case(
    "bad input",
    "pandas DataFrame",
    "column names kept in `feature_names_in_`, same model as the array; renamed or reordered "
    "columns at predict: `ValueError` (feature names should match); an array at predict: "
    "`UserWarning` (X does not have valid feature names)",
)
def pandas_dataframe(Estimator):
    import pandas as pd  # a test dependency: fail loudly if missing

    X, y = data()
    df = pd.DataFrame(X, columns=["temp", "pressure", "flow"])
    model = make(Estimator)
    pred = fit_predict(model, df, pd.Series(y))
    assert list(model.feature_names_in_) == ["temp", "pressure", "flow"]
    # equal up to rounding: the frame arrives Fortran-ordered, which changes BLAS summation
    assert_allclose(pred, fit_predict(make(Estimator), X, y), rtol=1e-12, atol=1e-14)
    with pytest.raises(ValueError, match="feature names should match"):
        model.predict(df[["pressure", "temp", "flow"]])
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        model.predict(X)


@case(
    "bad input",
    "scipy sparse X",
    "refused: `TypeError`: Sparse data was passed ... Use '.toarray()' (tags: `input_tags.sparse "
    "= False`)",
)
def sparse_X(Estimator):
    X, y = data()
    assert Estimator().__sklearn_tags__().input_tags.sparse is False
    for matrix in (sp.csr_matrix, sp.csc_array):
        with pytest.raises(TypeError, match=r"Sparse data was passed.*toarray"):
            make(Estimator).fit(matrix(X), y)
    model = make(Estimator).fit(X, y)
    with pytest.raises(TypeError, match=r"Sparse data was passed.*toarray"):
        model.predict(sp.csr_matrix(X))


@case(
    "bad input",
    "X of magnitude 1e150",
    "same model as for the unscaled X (inputs are standardized internally); in a "
    "`StandardScaler` pipeline: the unscaled model",
)
def huge_X(Estimator):
    _check_rescaled_X(Estimator, 1e150)


@case(
    "bad input",
    "X of magnitude 1e-150",
    "same model as for the unscaled X (inputs are standardized internally); in a "
    "`StandardScaler` pipeline: the unscaled model",
)
def tiny_X(Estimator):
    _check_rescaled_X(Estimator, 1e-150)


def _check_rescaled_X(Estimator, factor):
    X, y = data()
    X[:, 0] = np.where(X[:, 0] == 0, 1.0, X[:, 0])  # every column scaled, none constant
    reference = fit_predict(make(Estimator), X, y)
    scaled = make_pipeline(StandardScaler(), make(Estimator))
    pipe_reference = fit_predict(make_pipeline(StandardScaler(), make(Estimator)), X, y)
    assert_allclose(fit_predict(scaled, X * factor, y), pipe_reference, rtol=1e-7, atol=1e-9)
    assert_allclose(fit_predict(make(Estimator), X * factor, y), reference, rtol=1e-7, atol=1e-9)


@case(
    "bad input",
    "y of magnitude 1e9 (and 1e300, 1e-150)",
    "predictions scale with y: `pred(c y) = c pred(y)` up to rounding",
)
def huge_y(Estimator):
    X, y = data()
    pred = fit_predict(make(Estimator), X, y)
    for c in (1e9, 1e300, 1e-150):
        assert_allclose(fit_predict(make(Estimator), X, c * y), c * pred, rtol=1e-8, atol=0)


@case(
    "bad input",
    "wrong number of features at predict",
    "`ValueError`: X has 2 features, but ... is expecting 3 features as input",
)
def wrong_n_features(Estimator):
    X, y = data()
    model = make(Estimator).fit(X, y)
    with pytest.raises(ValueError, match="X has 2 features, but .* is expecting 3 features"):
        model.predict(X[:, :2])


@case(
    "bad input",
    "inputs far outside the training range at predict (X scaled by 1e10, or ±1.8e308; "
    "model of y ~ 1e300)",
    "finite predictions inside the training targets' range widened by half its width on "
    "each side (inputs are clipped to their training range); with `clip_inputs=False`: "
    "`ValueError`: The predictions overflow float64 ... rescale X, or finite predictions, "
    "never NaN",
)
def predict_overflow(Estimator):
    X, y = data()
    model = make(Estimator).fit(X, 1e300 * y)
    far = np.vstack([1e10 * X, np.full((3, X.shape[1]), np.finfo(float).max), -np.sign(X) * 1e307])
    pred = model.predict(far)
    width = 1e300 * (y.max() - y.min())
    assert np.all(pred >= 1e300 * y.min() - width / 2) and np.all(
        pred <= 1e300 * y.max() + width / 2
    )
    unclipped = make(Estimator, clip_inputs=False).fit(X, 1e300 * y)
    with pytest.raises(ValueError, match="predictions overflow float64"):
        unclipped.predict(1e10 * X)
    model = make(Estimator, clip_inputs=False).fit(X, y)
    big = np.finfo(float).max
    for row in ([big, big, big], [big, -big, big], [-big, 0.0, 0.0]):
        try:
            pred = model.predict(np.array([row]))
        except ValueError as error:
            assert "predictions overflow float64" in str(error)
        else:
            assert np.all(np.isfinite(pred))


@case(
    "bad input",
    "negative sample weights",
    "`ValueError`: Negative values in data passed to `sample_weight`",
)
def negative_weights(Estimator):
    X, y = data()
    w = np.ones(len(y))
    w[2] = -1.0
    with pytest.raises(ValueError, match="Negative values in data passed to `sample_weight`"):
        make(Estimator).fit(X, y, sample_weight=w)


@case("bad input", "all-zero sample weights", "`ValueError`: ... at least one non-zero number")
def all_zero_weights(Estimator):
    X, y = data()
    with pytest.raises(ValueError, match="at least one non-zero"):
        make(Estimator).fit(X, y, sample_weight=np.zeros(len(y)))


@case(
    "bad input",
    "a single positive sample weight",
    "`ValueError`: needs at least 2 samples with a positive weight; got 1",
)
def one_positive_weight(Estimator):
    X, y = data()
    w = np.zeros(len(y))
    w[7] = 3.0
    with pytest.raises(ValueError, match="at least 2 samples with a positive weight; got 1"):
        make(Estimator).fit(X, y, sample_weight=w)


@case(
    "bad input",
    "zero weights on some rows",
    "same model as dropping those rows (see also test_properties.py)",
)
def some_zero_weights(Estimator):
    X, y = data()
    w = np.ones(len(y))
    w[::3] = 0.0
    # fixed step size: with step_size="auto" the folds are drawn over all rows (see
    # test_properties.py)
    params = dict(n_steps=1, step_size=0.5) if Estimator is GiantStepRegressor else {}
    pred = fit_predict(make(Estimator, **params), X, y, sample_weight=w)
    kept = w > 0
    assert_allclose(
        pred, fit_predict(make(Estimator, **params), X[kept], y[kept], X), rtol=1e-7, atol=1e-9
    )


@case(
    "bad input",
    "NaN, infinite or overflowing sample weights",
    "`ValueError`: Input sample_weight contains NaN / infinity; weights summing beyond float64: "
    "`ValueError`: sample_weight sums to infinity",
)
def nonfinite_weights(Estimator):
    X, y = data()
    for bad, match in (
        (np.nan, "sample_weight contains NaN"),
        (np.inf, "sample_weight contains infinity"),
    ):
        w = np.ones(len(y))
        w[0] = bad
        with pytest.raises(ValueError, match=match):
            make(Estimator).fit(X, y, sample_weight=w)
    with pytest.raises(ValueError, match="sample_weight sums to infinity"):
        make(Estimator).fit(X, y, sample_weight=np.full(len(y), 1e307))


@case(
    "bad input",
    "sample weights of 1e300 or 1e-300",
    "finite model, training R² > 0.8",
)
def extreme_weights(Estimator):
    X, y = data()
    for c in (1e300, 1e-300):
        assert r2(y, fit_predict(make(Estimator), X, y, sample_weight=np.full(len(y), c))) > 0.8


@case(
    "bad input",
    "zero width (n_hidden=0)",
    "`InvalidParameterError` (a `ValueError`): The 'n_hidden' parameter ... must be an int in "
    "the range [1, inf)",
)
def zero_width(Estimator):
    X, y = data()
    with pytest.raises(ValueError, match=r"'n_hidden' parameter .* range \[1, inf\)"):
        make(Estimator, n_hidden=0).fit(X, y)


@case(
    "bad input",
    "negative alpha",
    "`InvalidParameterError`: The 'alpha' parameter ... must be a float in the range [0.0, inf)",
)
def negative_alpha(Estimator):
    X, y = data()
    with pytest.raises(ValueError, match=r"'alpha' parameter .* range \[0.0, inf\)"):
        make(Estimator, alpha=-1.0).fit(X, y)


@case(
    "bad input",
    "step size that overflows (`step_size=1e300`)",
    "`ConvergenceWarning`: Giant step 1 ... diverged ...; the model equals the no-step model",
    "`step_fraction=1e300`: `InvalidParameterError`: The 'step_fraction' parameter ... range "
    "(0.0, 1.0]",
)
def overflowing_step_size(Estimator):
    X, y = data()
    if Estimator is GiantStepRegressor:
        with pytest.warns(
            ConvergenceWarning, match="Giant step 1 with step_size=1e\\+300 diverged"
        ):
            pred = fit_predict(make(Estimator, n_steps=1, step_size=1e300), X, y)
        assert_array_equal(pred, fit_predict(make(Estimator, n_steps=1, step_size=0.0), X, y))
    else:
        with pytest.raises(ValueError, match=r"'step_fraction' parameter .* range \(0.0, 1.0\]"):
            make(Estimator, step_fraction=1e300).fit(X, y)


@case(
    "bad input",
    "initialization scale that overflows (1e300)",
    "`InvalidParameterError`: The 'bias_scale' parameter ... range [0.0, 1000000.0]",
    "`InvalidParameterError`: The 'init_scale' parameter ... range [1e-06, 1000000.0]",
)
def overflowing_init_scale(Estimator):
    X, y = data()
    if Estimator is GiantStepRegressor:
        params = {"bias_scale": 1e300}
    else:
        params = {"solver_options": {"init_scale": 1e300}}
    name = next(iter(params)) if Estimator is GiantStepRegressor else "init_scale"
    with pytest.raises(ValueError, match=f"'{name}' parameter .* range \\[.*1000000.0\\]"):
        make(Estimator, **params).fit(X, y)


# ------------------------------------------------------------------------------- stress
@case(
    "stress",
    "collinear columns and alpha=0",
    "`LinAlgConditionWarning`: The readout system is numerically singular ...; minimum-norm "
    "solution, finite, training R² > 0.8",
    "undamped (`step_fraction=1.0`, `solver='dense'`): `LinAlgConditionWarning`: Some "
    "hidden-layer "
    "systems were numerically singular ...; finite, training R² > 0.8",
)
def collinear_no_penalty(Estimator):
    X, y = data()
    X = np.hstack([X, X[:, :1], 2 * X[:, 1:2] - X[:, :1]])
    if Estimator is GiantStepRegressor:
        model, match = make(Estimator, alpha=0.0), "readout system is numerically singular"
    else:
        model = make(Estimator, alpha=0.0, step_fraction=1.0, solver="dense")
        match = "hidden-layer systems were numerically singular"
    with pytest.warns(LinAlgConditionWarning, match=match):
        pred = fit_predict(model, X, y)
    assert r2(y, pred) > 0.8


@case(
    "stress",
    "huge step that does not overflow (`step_size=1e10`)",
    "`ConvergenceWarning`: ... diverged ...; finite model, training R² > 0.8",
    "undamped published recipe on collinear columns scaled 1 and 1e8 with y ~ 1e12: "
    "`LinAlgConditionWarning`; finite",
)
def huge_step_size(Estimator):
    if Estimator is GiantStepRegressor:
        X, y = data()
        with pytest.warns(ConvergenceWarning, match="diverged"):
            pred = fit_predict(make(Estimator, n_steps=2, step_size=1e10), X, y)
        assert r2(y, pred) > 0.8
    else:
        x = np.random.default_rng(0).normal(size=(40, 1))
        X, y = np.hstack([x, x, x * 1e8]), 1e12 * np.sin(x[:, 0])
        model = make(Estimator, **{**PUBLISHED_PARAMS, "n_hidden": 16}, alpha=0.0)
        with pytest.warns(LinAlgConditionWarning, match="numerically singular"):
            fit_predict(model, X, y)


@case(
    "stress",
    "(nearly) dead units",
    "`bias_scale=1e3` (units with a large negative bias never fire): `ConvergenceWarning`: "
    "k of 16 hidden units are dead ...; finite, training R² > 0.8 (the linear term carries "
    "the fit)",
    "published recipe (`solver_options={'revive_dead_units': False}`): `ConvergenceWarning`: "
    "k of 16 hidden units are dead ... Set solver_options={'revive_dead_units': True}; finite",
)
def dead_units(Estimator):
    X, y = data()
    if Estimator is GiantStepRegressor:
        model = make(Estimator, bias_scale=1e3)
    else:
        model = make(Estimator, **{**PUBLISHED_PARAMS, "n_hidden": 16}, alpha=1e-6)
    with pytest.warns(ConvergenceWarning, match=r"\d+ of 16 hidden units are dead"):
        pred = fit_predict(model, X, y)
    if Estimator is GiantStepRegressor:
        assert r2(y, pred) > 0.8


@case(
    "stress",
    "a problem that cannot fit in memory",
    "`MemoryError` before allocating: The readout of n_hidden=... needs ... GiB but only ... GiB "
    "is available. Lower n_hidden.",
    "`solver='dense'`: `MemoryError` before allocating (... GiB ... Use solver='cg'); "
    "`solver='auto'`: routed to the matrix-free solve; `n_hidden=10**6`: `MemoryError` for the "
    "readout (... GiB ... Lower n_hidden)",
)
def out_of_memory(Estimator):
    X, y = data(n=20, d=3)
    if Estimator is GiantStepRegressor:
        with pytest.raises(MemoryError, match=r"needs [\d.]+ GiB .*Lower n_hidden"):
            make(Estimator, n_hidden=10**6).fit(X, y)
        return
    with pytest.raises(MemoryError, match=r"needs [\d.]+ GiB .*Lower n_hidden"):
        make(Estimator, n_hidden=10**6).fit(X, y)
    X, y = data(n=20, d=2000)  # dense normal equations: (300 * 2001)**2 * 16 bytes, 5.8 TB
    with pytest.raises(MemoryError, match=r"needs [\d.]+ GiB.*solver='cg'"):
        make(Estimator, n_hidden=300, solver="dense", max_iter=1).fit(X, y)
    model = make(Estimator, n_hidden=300, max_iter=1, solver_options={"max_inner_iter": 2})
    fit_predict(model, X, y)
    assert model.history_[1].method == "cg"


# -------------------------------------------------------------------------------- tests
@pytest.mark.parametrize("case_id", list(CASES))
@pytest.mark.parametrize("Estimator", ESTIMATORS, ids=lambda E: E.__name__)
def test_case(Estimator, case_id):
    with warnings.catch_warnings():
        # every warning a case does not expect must not be a numpy RuntimeWarning either
        warnings.simplefilter("error", RuntimeWarning)
        CASES[case_id].check(Estimator)


def test_clone_of_a_failed_fit_refits():
    """A fit that raised leaves an estimator that clones and fits normally."""
    X, y = data()
    for Estimator in ESTIMATORS:
        model = make(Estimator)
        with pytest.raises(ValueError):
            model.fit(X[:1], y[:1])
        assert np.all(np.isfinite(clone(model).fit(X, y).predict(X)))


def render_page():
    """The Markdown page listing every case, from ``CASES``."""

    def cell(text):
        return text.replace("|", "\\|")

    lines = [
        "# Reliability: bad input and numerical stress",
        "",
        "<!-- Generated by doc/make_reliability_page.py from the CASES table in",
        "     tests/test_reliability.py; tests/test_reliability.py::test_page_is_up_to_date",
        "     fails when this page is out of date. Do not edit by hand. -->",
        "",
        "Each row is a test case, run for both estimators by `tests/test_reliability.py`",
        "(small widths, fixed seeds); the behaviour columns are what those tests assert. An",
        "error is a `ValueError` (or `TypeError`, `MemoryError`) whose message is quoted (the",
        "tests match it); all but the prediction-overflow check are raised before any",
        "numerical work. scikit-learn's `InvalidParameterError` is a `ValueError`. A warning",
        "is always paired with a finite model. No case produces NaN predictions or a numpy",
        "`RuntimeWarning` (the tests turn those into errors).",
        "",
        "Properties checked on random data by `tests/test_properties.py` (hypothesis) are",
        "listed after the table.",
        "",
    ]
    for kind, title in (("bad input", "Bad input"), ("stress", "Numerical stress")):
        lines += [
            f"## {title}",
            "",
            "| Case | Input | GiantStepRegressor | AlternatingOLSReLURegressor |",
            "| --- | --- | --- | --- |",
        ]
        for c in CASES.values():
            if c.kind == kind:
                alternating = "same" if c.alternating == c.giant else cell(c.alternating)
                lines.append(f"| `{c.id}` | {cell(c.what)} | {cell(c.giant)} | {alternating} |")
        lines.append("")
    lines += [
        "## Properties (hypothesis)",
        "",
        "For random shapes, dtypes (float64, float32, int), widths, weights and seeds:",
        "",
        "- predictions are finite, with the shape of y and the float dtype of X;",
        "- the same `random_state` gives the identical model; a pickle round trip and",
        "  `clone` + refit give identical predictions;",
        "- zero-weight rows equal dropping them, and integer weights equal repeating rows, for",
        "  `GiantStepRegressor(n_steps=0)` and `GiantStepRegressor(n_steps=1, step_size=0.5)`",
        "  (`alpha` fixed or 'auto'), and `AlternatingOLSReLURegressor(solver='dense')` (with",
        "  `step_size='auto'` the giant-step estimator draws its validation folds over rows,",
        "  so a weighted row and its copies fall in different folds; the matrix-free solve",
        "  stops at a residual tolerance that rounding moves);",
        "- translating y by a constant translates the predictions, and scaling y scales",
        "  them, for both estimators with their defaults (`alpha='auto'`, early stopping",
        "  included): y is standardized before anything else sees it, and near-ties in the",
        "  leave-one-out choice of `alpha` go to the largest tied penalty, so rounding cannot",
        "  decide it;",
        "- the ridge readout is linear in y: `a y + b` gives `a beta` and intercept",
        "  `a intercept + b`, for either sign of `a`.",
        "",
        "The example budget is the `ci` hypothesis profile (20 examples per property, set in",
        "`tests/conftest.py`); `HYPOTHESIS_PROFILE=thorough` runs 300. Examples the thorough",
        "runs found are pinned in `tests/test_properties.py`.",
        "",
    ]
    return "\n".join(lines)


def test_page_is_up_to_date():
    assert PAGE.read_text() == render_page(), (
        "doc/reliability.md is out of date: run python doc/make_reliability_page.py"
    )


def test_page_lists_every_case_once():
    ids = re.findall(r"^\| `(\w+)` \|", PAGE.read_text(), flags=re.M)
    assert sorted(ids) == sorted(CASES) and len(ids) == len(set(ids))
