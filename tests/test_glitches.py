"""Glitched inputs at prediction time: clipped to the training range inside the network.

A sensor glitch (one feature 200 training standard deviations out) must not wreck a
prediction: with 10% of the test rows glitched, the test R^2 of each default estimator
falls by at most 0.10 and no prediction leaves the training target range widened by
half its width. Without clipping the same rows do wreck the predictions, so these tests
fail if the clipping stops working.
"""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import r2_score

from skgiant import AlternatingOLSReLURegressor, GiantStepFeatures, GiantStepRegressor


def _friedman(n, rng):
    X = rng.uniform(size=(n, 6))
    y = (
        10 * np.sin(np.pi * X[:, 0] * X[:, 1])
        + 20 * (X[:, 2] - 0.5) ** 2
        + 10 * X[:, 3]
        + 5 * X[:, 4]
        + rng.normal(size=n)
    )
    return 3.0 + 2.0 * X, y  # not standardized: the estimators do that themselves


def _glitch(X_test, X_train, rng, fraction=0.1, sd=200.0):
    """A copy of ``X_test`` with one feature of ``fraction`` of the rows at +-sd SD."""
    X = X_test.copy()
    rows = rng.choice(len(X), int(round(fraction * len(X))), replace=False)
    cols = rng.integers(0, X.shape[1], size=len(rows))
    signs = rng.choice([-1.0, 1.0], size=len(rows))
    X[rows, cols] = X_train.mean(axis=0)[cols] + signs * sd * X_train.std(axis=0)[cols]
    return X, rows


ESTIMATORS = {
    "giant": lambda **kw: GiantStepRegressor(n_hidden=128, random_state=0, **kw),
    "alternating": lambda **kw: AlternatingOLSReLURegressor(n_hidden=16, random_state=0, **kw),
}


@pytest.mark.parametrize("name", sorted(ESTIMATORS))
def test_glitched_rows_barely_move_the_default_model(name):
    rng = np.random.default_rng(0)
    X_train, y_train = _friedman(1000, rng)
    X_test, y_test = _friedman(1000, rng)
    X_glitched, rows = _glitch(X_test, X_train, rng)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = ESTIMATORS[name]().fit(X_train, y_train)
        raw = ESTIMATORS[name](clip_inputs=False).fit(X_train, y_train)
    clean = r2_score(y_test, model.predict(X_test))
    glitched = model.predict(X_glitched)
    assert clean - r2_score(y_test, glitched) <= 0.10
    width = y_train.max() - y_train.min()
    assert np.all(glitched >= y_train.min() - width / 2)
    assert np.all(glitched <= y_train.max() + width / 2)
    # the untouched rows are predicted exactly as before
    untouched = np.setdiff1d(np.arange(len(X_test)), rows)
    assert_allclose(glitched[untouched], model.predict(X_test)[untouched], rtol=1e-12)
    # without clipping the same glitches wreck the predictions
    assert r2_score(y_test, raw.predict(X_glitched)) < clean - 1.0


@pytest.mark.parametrize("name", sorted(ESTIMATORS))
def test_a_glitched_value_acts_as_the_extreme_training_value(name):
    rng = np.random.default_rng(1)
    X_train, y_train = _friedman(300, rng)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = ESTIMATORS[name]().fit(X_train, y_train)
    row = X_train[:1].copy()
    far_high, at_max = row.copy(), row.copy()
    far_high[0, 2], at_max[0, 2] = 1e12, X_train[:, 2].max()
    far_low, at_min = row.copy(), row.copy()
    far_low[0, 3], at_min[0, 3] = -1e12, X_train[:, 3].min()
    assert_allclose(model.predict(far_high), model.predict(at_max), rtol=1e-12)
    assert_allclose(model.predict(far_low), model.predict(at_min), rtol=1e-12)
    # the bounds are the training range in the network's standardized units
    net = model.network_
    Z = (X_train - X_train.mean(axis=0)) / X_train.std(axis=0)
    assert_allclose(net.input_low, Z.min(axis=0), rtol=1e-10, atol=1e-12)
    assert_allclose(net.input_high, Z.max(axis=0), rtol=1e-10, atol=1e-12)


def test_learned_features_are_clipped_too():
    rng = np.random.default_rng(2)
    X_train, y_train = _friedman(300, rng)
    features = GiantStepFeatures(n_hidden=16, random_state=0).fit(X_train, y_train)
    row = X_train[:1].copy()
    glitched, at_max = row.copy(), row.copy()
    glitched[0, 0], at_max[0, 0] = 1e9, X_train[:, 0].max()
    assert_allclose(features.transform(glitched), features.transform(at_max), rtol=1e-12)


def test_clipping_can_be_switched_off():
    rng = np.random.default_rng(3)
    X_train, y_train = _friedman(200, rng)
    model = GiantStepRegressor(n_hidden=32, clip_inputs=False, random_state=0)
    model.fit(X_train, y_train)
    assert model.network_.input_low is None and model.network_.input_high is None
    far = X_train[:1].copy()
    far[0, 3] = X_train[:, 3].max() + 10 * X_train[:, 3].std()
    at_max = X_train[:1].copy()
    at_max[0, 3] = X_train[:, 3].max()
    assert not np.allclose(model.predict(far), model.predict(at_max))
