"""GiantStepRegressor.partial_fit: the streamed readout against a ridge on all rows."""

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.linear_model import Ridge

from skgiant import GiantStepRegressor


def _data(n, d=5, noise=0.5, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = np.sin(2 * X[:, 0]) + X[:, 1] * X[:, 2] + 0.5 * X[:, 3] + noise * rng.normal(size=n)
    return X, y


def _features(net, X, linear):
    """The readout features of the network, computed independently of the package."""
    Z = (X - net.input_mean) / net.input_scale
    p, d = net.weights.shape
    hidden = np.maximum(Z @ net.weights.T + net.bias, 0.0) / np.sqrt(p)
    return np.hstack([hidden, Z / np.sqrt(d)]) if linear else hidden


@pytest.mark.parametrize("linear", [False, True])
def test_streamed_readout_is_the_ridge_on_all_rows(linear):
    X, y = _data(900)
    w = np.random.default_rng(1).uniform(0.2, 3.0, size=len(y))
    w[600:] *= 5.0  # later batches with larger weights: the weight scale must stay fixed
    alpha = 1e-3
    model = GiantStepRegressor(
        n_hidden=32, step_size=1.0, alpha=alpha, linear_readout=linear, random_state=0,
        solver_options={"linear_penalty_ratio": 1.0},
    )  # fmt: skip
    model.partial_fit(X[:300], y[:300], sample_weight=w[:300])
    first = model.network_
    for lo, hi in [(300, 500), (500, 600), (600, 900)]:
        model.partial_fit(X[lo:hi], y[lo:hi], sample_weight=w[lo:hi])
    np.testing.assert_array_equal(model.network_.weights, first.weights)
    phi = _features(first, X, linear)
    ridge = Ridge(alpha=alpha * w.sum()).fit(phi, y, sample_weight=w)
    np.testing.assert_allclose(model.predict(X), ridge.predict(phi), rtol=1e-6, atol=1e-6)
    # and not the ridge of the first batch alone
    alone = Ridge(alpha=alpha * w[:300].sum()).fit(phi[:300], y[:300], sample_weight=w[:300])
    assert np.max(np.abs(alone.predict(phi) - ridge.predict(phi))) > 1e-3


def test_two_penalties_with_a_fixed_ratio():
    X, y = _data(600)
    alpha, ratio = 1e-3, 0.01
    model = GiantStepRegressor(
        n_hidden=16, step_size=1.0, alpha=alpha, random_state=0,
        solver_options={"linear_penalty_ratio": ratio},
    )  # fmt: skip
    model.partial_fit(X[:300], y[:300])
    first = model.network_
    model.partial_fit(X[300:], y[300:])
    phi = _features(first, X, linear=True)
    # the linear block scaled by 1 / sqrt(ratio) under one penalty = its own penalty
    scale = np.r_[np.ones(16), np.full(X.shape[1], 1.0 / np.sqrt(ratio))]
    ridge = Ridge(alpha=alpha * len(y)).fit(phi * scale, y)
    np.testing.assert_allclose(model.predict(X), ridge.predict(phi * scale), rtol=1e-6, atol=1e-6)
    assert model.alpha_linear_ == pytest.approx(ratio * alpha)


def test_automatic_alpha_improves_with_more_batches():
    X, y = _data(6500, noise=1.0, seed=2)
    X_test = X[6000:]
    truth = np.sin(2 * X_test[:, 0]) + X_test[:, 1] * X_test[:, 2] + 0.5 * X_test[:, 3]
    model = GiantStepRegressor(n_hidden=256, random_state=0)
    model.partial_fit(X[:300], y[:300])
    errors, alphas = [np.mean((model.predict(X_test) - truth) ** 2)], [model.alpha_]
    for s in range(300, 6000, 950):
        model.partial_fit(X[s : s + 950], y[s : s + 950])
        errors.append(np.mean((model.predict(X_test) - truth) ** 2))
        alphas.append(model.alpha_)
    assert errors[-1] < 0.7 * errors[0]
    # more rows, less penalty needed: the re-solved penalty falls
    assert alphas[-1] < alphas[0]
    assert model.alpha_ in model.alpha_grid_
    # the penalty was chosen again from a leave-one-out curve of the streamed rows
    assert np.isfinite(model.cv_mse_[list(model.alpha_grid_).index(model.alpha_)])


def test_later_batches_must_match_the_first():
    X, y = _data(200)
    model = GiantStepRegressor(n_hidden=8, step_size=1.0, alpha=1e-2, random_state=0)
    model.partial_fit(X[:100], y[:100])
    with pytest.raises(ValueError, match="features"):
        model.partial_fit(X[100:, :3], y[100:])
    with pytest.raises(ValueError, match="outputs"):
        model.partial_fit(X[100:], np.c_[y[100:], y[100:]])
    with pytest.raises(ValueError, match="intervals"):
        clone(model).set_params(intervals=True).partial_fit(X, y)


def test_clipping_bounds_widen():
    X, y = _data(400)
    model = GiantStepRegressor(n_hidden=8, step_size=1.0, alpha=1e-2, random_state=0)
    model.partial_fit(X[:200], y[:200])
    high = model.network_.input_high.copy()
    model.partial_fit(X[200:] * 3.0, y[200:])
    assert np.all(model.network_.input_high >= high)
    assert np.any(model.network_.input_high > high)


def test_fit_ends_the_stream():
    X, y = _data(400)
    params = dict(n_hidden=8, step_size=1.0, alpha=1e-2, random_state=0)
    model = GiantStepRegressor(**params).partial_fit(X[:200], y[:200])
    model.fit(X[200:], y[200:])
    model.partial_fit(X[:200], y[:200])  # a new stream: a full fit on this batch
    fresh = GiantStepRegressor(**params).fit(X[:200], y[:200])
    np.testing.assert_allclose(model.predict(X), fresh.predict(X))


def test_pickle_and_clone_mid_stream():
    X, y = _data(900)
    model = GiantStepRegressor(n_hidden=16, random_state=0)
    model.partial_fit(X[:300], y[:300]).partial_fit(X[300:600], y[300:600])
    copy = pickle.loads(pickle.dumps(model))
    model.partial_fit(X[600:], y[600:])
    copy.partial_fit(X[600:], y[600:])
    np.testing.assert_array_equal(model.predict(X), copy.predict(X))
    again = clone(model)
    assert not hasattr(again, "network_") and not hasattr(again, "_stream")
    again.partial_fit(X[:300], y[:300]).partial_fit(X[300:600], y[300:600])
    reference = GiantStepRegressor(n_hidden=16, random_state=0)
    reference.partial_fit(X[:300], y[:300]).partial_fit(X[300:600], y[300:600])
    np.testing.assert_array_equal(again.predict(X), reference.predict(X))
