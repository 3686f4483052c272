"""Prediction intervals from cross-fitted residuals (skgiant._intervals)."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from skgiant import AlternatingOLSReLURegressor, GiantStepRegressor
from skgiant._intervals import IntervalCalibration, interval_folds

ESTIMATORS = [
    lambda **kw: GiantStepRegressor(n_hidden=64, **kw),
    lambda **kw: AlternatingOLSReLURegressor(n_hidden=8, max_iter=10, **kw),
]


def _calibration(scores, weights=None):
    scores = np.sort(np.asarray(scores, dtype=float))[:, None]
    weights = np.ones_like(scores) if weights is None else np.asarray(weights, float)[:, None]
    return IntervalCalibration(scores, weights, np.zeros((1, 1)), np.zeros(1), np.arange(0))


@pytest.mark.parametrize("n, coverage", [(9, 0.9), (19, 0.9), (100, 0.9), (100, 0.5), (8, 0.9)])
def test_conformal_quantile_is_the_finite_sample_rank(n, coverage):
    scores = np.random.default_rng(n).permutation(np.arange(1.0, n + 1))
    rank = int(np.ceil((n + 1) * coverage))  # 1-based rank of the conformal quantile
    expected = float(rank) if rank <= n else np.inf
    assert _calibration(scores).quantile(coverage)[0] == expected


def test_conformal_quantile_counts_integer_weights_as_copies():
    scores, weights = np.array([1.0, 2.0, 3.0, 4.0]), np.array([3, 1, 4, 2])
    repeated = np.repeat(scores, weights)
    for coverage in (0.3, 0.5, 0.8, 0.9):
        weighted = _calibration(scores[np.argsort(scores)], weights).quantile(coverage)
        assert weighted == _calibration(repeated).quantile(coverage)


def _noisy(n, seed, hetero=False):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    noise = (0.1 + np.abs(X[:, 1])) if hetero else 0.5
    return X, np.sin(X[:, 0]) + 0.5 * X[:, 2] + noise * rng.normal(size=n)


@pytest.mark.parametrize("make", ESTIMATORS)
def test_intervals_cover_fresh_rows_at_about_the_nominal_rate(make):
    X, y = _noisy(1600, 0)
    X_new, y_new = _noisy(4000, 1)
    model = make(intervals=True, random_state=0).fit(X, y)
    lo, hi = model.predict_interval(X_new, coverage=0.9).T
    covered = np.mean((y_new >= lo) & (y_new <= hi))
    assert 0.86 <= covered <= 0.94
    # wider for a higher coverage, and centred on the prediction
    lo80, hi80 = model.predict_interval(X_new, coverage=0.8).T
    assert np.all(hi80 - lo80 < hi - lo)
    assert_allclose((lo + hi) / 2, model.predict(X_new), rtol=1e-6, atol=1e-9)


def test_intervals_widen_where_the_noise_is_larger():
    X, y = _noisy(2000, 2, hetero=True)
    X_new, _ = _noisy(2000, 3, hetero=True)
    model = GiantStepRegressor(n_hidden=64, intervals=True, random_state=0).fit(X, y)
    lo, hi = model.predict_interval(X_new).T
    width = hi - lo
    # the noise level is 0.1 + |x1|: the widths follow it
    assert np.corrcoef(width, np.abs(X_new[:, 1]))[0, 1] > 0.6
    quiet, loud = np.abs(X_new[:, 1]) < 0.3, np.abs(X_new[:, 1]) > 1.5
    assert np.median(width[loud]) > 2 * np.median(width[quiet])


@pytest.mark.parametrize("make", ESTIMATORS)
def test_residuals_are_cross_fitted_not_in_sample(make):
    # in-sample residuals of a flexible fit are too small: the calibration must hold the
    # residuals of models that did not see the row, which are larger
    X, y = _noisy(300, 4)
    model = make(intervals=True, random_state=0).fit(X, y)
    calibration = model.interval_calibration_
    from skgiant._intervals import scale_features

    F = scale_features(model.network_, X, calibration.units)
    sigma = np.exp(F @ calibration.scale_coef + calibration.scale_intercept)[:, 0]
    in_sample = np.sort(np.abs(y - model.predict(X)) / sigma)
    assert np.median(calibration.scores[:, 0]) > 1.05 * np.median(in_sample)


def test_refit_params_reproduce_the_giant_step_model():
    X, y = _noisy(500, 5)
    model = GiantStepRegressor(n_hidden=64, random_state=0).fit(X, y)
    refit = GiantStepRegressor(n_hidden=64, random_state=0, **model._refit_params()).fit(X, y)
    assert_allclose(refit.network_.weights, model.network_.weights, rtol=1e-10)
    assert_allclose(refit.predict(X), model.predict(X), rtol=1e-7)


def test_multi_output_intervals_have_an_output_axis():
    X, y = _noisy(400, 6)
    Y = np.column_stack([y, -2 * y])
    model = GiantStepRegressor(n_hidden=32, intervals=True, random_state=0).fit(X, Y)
    out = model.predict_interval(X[:7])
    assert out.shape == (7, 2, 2)
    assert np.all(out[..., 0] < out[..., 1])


def test_predict_interval_needs_intervals_and_a_valid_coverage():
    X, y = _noisy(100, 7)
    model = GiantStepRegressor(n_hidden=16, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="intervals=True"):
        model.predict_interval(X)
    model.set_params(intervals=True).fit(X, y)
    for bad in (0.0, 1.0, 1.5):
        with pytest.raises(ValueError, match="coverage"):
            model.predict_interval(X, coverage=bad)


def test_interval_folds_split_the_weighted_rows():
    weights = np.ones(20)
    weights[[3, 7]] = 0.0
    folds = interval_folds(weights, 3, seed=0)
    together = np.sort(np.concatenate(folds))
    assert_allclose(together, np.flatnonzero(weights > 0))
    assert interval_folds(np.ones(5), 3, seed=0) is None  # too few rows
