"""GiantStepFeatures: common checks, and the features equal the regressor's hidden layer."""

import numpy as np
import pytest
from sklearn.datasets import make_friedman1
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LinearRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skgiant import GiantStepFeatures, GiantStepRegressor
from skgiant._activations import activation


@pytest.fixture(scope="module")
def data():
    X, y = make_friedman1(n_samples=400, random_state=0)
    return StandardScaler().fit_transform(X), y


def test_features_are_the_regressors_hidden_layer(data):
    X, y = data
    params = dict(n_hidden=24, n_steps=1, step_size=0.5, random_state=3)
    features = GiantStepFeatures(**params).fit(X, y)
    regressor = GiantStepRegressor(**params).fit(X, y)
    W, b = regressor.network_.weights, regressor.network_.bias
    # independent computation: act(X W^T + b) / sqrt(p), no readout, no linear term
    expected = activation("relu", X @ W.T + b) / np.sqrt(W.shape[0])
    Z = features.transform(X)
    assert Z.shape == (X.shape[0], 24)
    np.testing.assert_allclose(Z, expected, rtol=1e-12, atol=1e-12)
    assert features.regressor_.n_iter_ == 1
    # the steps moved the first layer: the features are not the random ones
    random_layer = GiantStepFeatures(**{**params, "n_steps": 0}).fit(X, y).transform(X)
    assert np.abs(Z - random_layer).max() > 1e-3


def test_learned_features_help_a_linear_model(data):
    X, y = data
    X_tr, X_te, y_tr, y_te = X[:300], X[300:], y[:300], y[300:]
    learned = make_pipeline(
        GiantStepFeatures(n_hidden=64, n_steps=1, step_size=0.5, random_state=0),
        LinearRegression(),
    )
    random = make_pipeline(
        GiantStepFeatures(n_hidden=64, n_steps=0, random_state=0), LinearRegression()
    )
    assert learned.fit(X_tr, y_tr).score(X_te, y_te) > random.fit(X_tr, y_tr).score(X_te, y_te)


def test_feature_names_and_set_output(data):
    import pandas as pd  # a test dependency: fail loudly if missing

    X, y = data
    frame = pd.DataFrame(X, columns=[f"s{j}" for j in range(X.shape[1])])
    features = GiantStepFeatures(n_hidden=8, random_state=0).set_output(transform="pandas")
    out = features.fit(frame, y).transform(frame)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == [f"giantstepfeatures{j}" for j in range(8)]
    assert list(features.get_feature_names_out()) == list(out.columns)
    assert list(features.feature_names_in_) == list(frame.columns)


def test_in_front_of_gradient_boosting(data):
    X, y = data
    model = make_pipeline(
        GiantStepFeatures(n_hidden=32, random_state=0),
        HistGradientBoostingRegressor(max_iter=50, random_state=0),
    )
    model.fit(X[:300], y[:300])
    assert model[-1].n_features_in_ == 32
    assert model.score(X[300:], y[300:]) > 0.4


def test_transform_before_fit_and_wrong_width(data):
    X, y = data
    with pytest.raises(NotFittedError):
        GiantStepFeatures().transform(X)
    features = GiantStepFeatures(n_hidden=8, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="features"):
        features.transform(X[:, :3])
