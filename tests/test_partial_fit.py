"""partial_fit of GiantStepRegressor and GiantStepClassifier: the streamed readouts
against a ridge on all rows, brute-force leave-one-out and repeated rows."""

import pickle
import warnings

import numpy as np
import pytest
from scipy import optimize
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Ridge

from skgiant import GiantStepClassifier, GiantStepRegressor


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


# ------------------------------------------------------------------------- classifier


@pytest.fixture
def _quiet_convergence():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def _labels(n, n_classes=3, d=5, seed=0):
    """A nonlinear labelling rule with noise: the class of the largest noisy score."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    scores = np.column_stack([np.sin(2 * X[:, 0]), X[:, 1] * X[:, 2], X[:, 3]][:n_classes])
    return X, np.argmax(scores + 0.5 * rng.normal(size=scores.shape), axis=1)


def _stream(model, X, y, cuts, classes, w=None):
    for lo, hi in zip(cuts[:-1], cuts[1:], strict=True):
        weight = None if w is None else w[lo:hi]
        model.partial_fit(X[lo:hi], y[lo:hi], classes=classes, sample_weight=weight)
    return model


def _softmax(logits):
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_classifier_streamed_ridge_is_the_ridge_on_all_rows(n_classes, _quiet_convergence):
    X, y = _labels(900, n_classes)
    w = np.random.default_rng(1).uniform(0.2, 3.0, size=len(y))
    w[600:] *= 5.0  # later batches with larger weights: the weight scale must stay fixed
    alpha = 1e-3
    model = GiantStepClassifier(n_hidden=32, step_size=1.0, alpha=alpha, random_state=0)
    _stream(model, X, y, [0, 300], np.arange(n_classes), w)
    first = model.network_
    _stream(model, X, y, [300, 500, 600, 900], None, w)
    np.testing.assert_array_equal(model.network_.weights, first.weights)
    assert model.readout_method_ == "calibrated_ridge"
    phi = _features(first, X, linear=True)
    onehot = np.eye(n_classes)[y]
    ridge = Ridge(alpha=alpha * w.sum()).fit(phi, onehot, sample_weight=w)
    np.testing.assert_allclose(model.readout_.coef, ridge.coef_.T, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(model.readout_.intercept, ridge.intercept_, rtol=1e-6, atol=1e-7)
    # and not the ridge of the first batch alone
    alone = Ridge(alpha=alpha * w[:300].sum()).fit(phi[:300], onehot[:300], sample_weight=w[:300])
    assert np.max(np.abs(alone.coef_ - ridge.coef_)) > 1e-3


def test_classifier_probabilities_are_the_softmax_of_the_readout(_quiet_convergence):
    X, y = _labels(600)
    model = GiantStepClassifier(n_hidden=32, random_state=0)
    _stream(model, X, y, [0, 300, 450, 600], [0, 1, 2])
    proba = model.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    r = model.readout_
    logits = r.scale * (_features(model.network_, X, linear=True) @ r.coef + r.intercept)
    np.testing.assert_allclose(proba, _softmax(logits + r.offsets), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(model.predict_log_proba(X), np.log(proba), rtol=1e-9, atol=1e-9)
    # alpha="auto" chose the ridge penalty again from the calibrated leave-one-out curve
    assert model.alpha_ in model.alpha_grid_
    assert np.isfinite(model.cv_log_loss_[list(model.alpha_grid_).index(model.alpha_)])


def _platt_temperature(scores, y, n_classes):
    """Scale and centred offsets of softmax(a * scores + c) fitted by cross-entropy
    against Platt's targets, with a generic optimizer."""
    counts = np.bincount(y, minlength=n_classes)
    on = (counts + 1.0) / (counts + 2.0)
    targets = np.tile(((1.0 - on[y]) / (n_classes - 1))[:, None], n_classes)
    targets[np.arange(len(y)), y] = on[y]

    def loss(params):
        logits = params[0] * scores + params[1:]
        logits -= logits.max(axis=1, keepdims=True)
        logp = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
        return -np.sum(targets * logp) / len(y)

    x = optimize.minimize(loss, np.r_[1.0, np.zeros(n_classes)], method="BFGS", tol=1e-12).x
    return x[0], x[1:] - x[1:].mean()


def test_classifier_calibration_is_exact_leave_one_out_on_the_reservoir(
    monkeypatch, _quiet_convergence
):
    monkeypatch.setattr(GiantStepClassifier, "_stream_capacity", 40)
    X, y = _labels(150)
    alpha = 1e-2
    model = GiantStepClassifier(n_hidden=16, step_size=1.0, alpha=alpha, random_state=0)
    _stream(model, X, y, [0, 50, 100, 150], [0, 1, 2])
    net = model.network_
    # the reservoir: 40 of the 150 rows, from every batch
    Z = (X - net.input_mean) / net.input_scale
    distance = np.linalg.norm(model._stream.loo_X[:, None, :] - Z[None], axis=2)
    rows = np.argmin(distance, axis=1)
    assert np.allclose(distance[np.arange(len(rows)), rows], 0.0)
    assert len(np.unique(rows)) == 40 and rows.max() >= 100 and rows.min() < 50
    # brute force: the ridge refitted without each of them, its penalty as on all rows
    phi, onehot = _features(net, X, linear=True), np.eye(3)[y]
    loo = np.array([
        Ridge(alpha=alpha * len(y)).fit(np.delete(phi, i, 0), np.delete(onehot, i, 0))
        .predict(phi[i : i + 1])[0]
        for i in rows
    ])  # fmt: skip
    scale, offsets = _platt_temperature(loo, y[rows], 3)
    np.testing.assert_allclose(model.readout_.scale, scale, rtol=1e-5)
    np.testing.assert_allclose(model.readout_.offsets, offsets, rtol=1e-4, atol=1e-5)


def test_classifier_classes_are_checked():
    X, y = _labels(200)
    model = GiantStepClassifier(n_hidden=8, step_size=1.0, alpha=1e-2, random_state=0)
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        model.partial_fit(X[:100], y[:100])
    with pytest.raises(ValueError, match="at least 2 classes"):
        model.partial_fit(X[:100][y[:100] == 0], y[:100][y[:100] == 0], classes=[0, 1, 2])
    with pytest.raises(ValueError, match=r"labels \[2\] that are not in classes \[0, 1\]"):
        model.partial_fit(X[:100], y[:100], classes=[0, 1])
    with pytest.raises(ValueError, match="balanced"):
        clone(model).set_params(class_weight="balanced").partial_fit(X, y, classes=[0, 1, 2])
    model.partial_fit(X[:100], y[:100], classes=[0, 1, 2])
    with pytest.raises(ValueError, match="not the same as on the first call"):
        model.partial_fit(X[100:], y[100:], classes=[0, 1, 2, 3])
    with pytest.raises(ValueError, match="not in classes"):
        model.partial_fit(X[100:], y[100:] + 1)
    with pytest.raises(ValueError, match="features"):
        model.partial_fit(X[100:, :3], y[100:])
    model.partial_fit(X[100:], y[100:], classes=np.array([2, 0, 1]))  # the same classes
    # fit ends the stream: the next call starts a new one, with the classes of the fit
    model.fit(X[y < 2], y[y < 2])
    with pytest.raises(ValueError, match="not in classes"):
        model.partial_fit(X, y)
    model.partial_fit(X, y, classes=[0, 1, 2])  # or new ones
    assert model.classes_.tolist() == [0, 1, 2]


def test_classifier_string_labels_and_a_class_missing_from_the_first_batch(_quiet_convergence):
    X, codes = _labels(1200, seed=3)
    y = np.array(["low", "mid", "high"])[codes]
    later = codes[300:] == 2  # "high" only appears after the first batch
    X_stream = np.r_[X[:300][codes[:300] != 2], X[300:]]
    y_stream = np.r_[y[:300][codes[:300] != 2], y[300:]]
    model = GiantStepClassifier(n_hidden=32, random_state=0)
    start = int(np.count_nonzero(codes[:300] != 2))
    model.partial_fit(X_stream[:start], y_stream[:start], classes=["mid", "low", "high"])
    assert model.classes_.tolist() == ["high", "low", "mid"]
    unseen = model.predict_proba(X[300:][later])[:, 0]
    assert unseen.max() < 0.05  # not seen yet
    # but not vanishing either: Platt's smoothed calibration of the calibrated ridge
    # (the softmax readout gave it ~1e-300, a log loss of ~700 on its first rows)
    assert model.readout_method_ == "calibrated_ridge" and unseen.min() > 1e-6
    model.partial_fit(X_stream[start:], y_stream[start:])
    assert set(model.predict(X)) <= {"high", "low", "mid"}
    # learned from the later batches alone
    assert np.mean(model.predict(X[300:][later]) == "high") > 0.6
    model.partial_fit(X[:10][codes[:10] == 0], y[:10][codes[:10] == 0])  # one class: fine


def test_classifier_sample_weight_is_repeated_rows(_quiet_convergence):
    X, y = _labels(300)
    w = np.random.default_rng(4).integers(0, 4, size=len(y))
    params = dict(n_hidden=16, step_size=1.0, alpha=0.01, random_state=0)
    weighted = _stream(GiantStepClassifier(**params), X, y, [0, 100, 200, 300], [0, 1, 2], w)
    repeat = np.repeat(np.arange(len(y)), w)
    cuts = [0, *np.searchsorted(repeat, [100, 200]), len(repeat)]
    repeated = _stream(GiantStepClassifier(**params), X[repeat], y[repeat], cuts, [0, 1, 2])
    np.testing.assert_allclose(
        weighted.predict_proba(X), repeated.predict_proba(X), rtol=1e-6, atol=1e-7
    )


def test_classifier_class_weight_is_a_sample_weight_per_class(_quiet_convergence):
    X, y = _labels(300)
    params = dict(n_hidden=16, step_size=1.0, alpha=0.01, random_state=0)
    weights = {0: 3.0, 2: 0.5}
    by_class = GiantStepClassifier(**params, class_weight=weights)
    _stream(by_class, X, y, [0, 100, 200, 300], [0, 1, 2])
    w = np.array([3.0, 1.0, 0.5])[y]
    by_row = _stream(GiantStepClassifier(**params), X, y, [0, 100, 200, 300], [0, 1, 2], w)
    np.testing.assert_allclose(by_class.predict_proba(X), by_row.predict_proba(X), rtol=1e-9)


def test_classifier_stream_is_close_to_a_full_fit():
    X, y = load_digits(return_X_y=True)
    order = np.random.default_rng(0).permutation(len(y))
    X, y = X[order], y[order]
    test = slice(1500, None)
    model = GiantStepClassifier(n_hidden=64, random_state=0)
    _stream(model, X, y, [0, 300, 600, 900, 1200, 1500], np.arange(10))
    full = GiantStepClassifier(n_hidden=64, random_state=0).fit(X[:1500], y[:1500])
    first = GiantStepClassifier(n_hidden=64, random_state=0).fit(X[:300], y[:300])
    streamed = model.score(X[test], y[test])
    assert streamed >= full.score(X[test], y[test]) - 0.03
    assert streamed > first.score(X[test], y[test])


def test_classifier_first_call_is_a_fit(_quiet_convergence):
    X, y = _labels(300)
    params = dict(n_hidden=16, random_state=0)
    model = GiantStepClassifier(**params).partial_fit(X, y, classes=[0, 1, 2])
    fitted = GiantStepClassifier(**params).fit(X, y)
    np.testing.assert_array_equal(model.predict_proba(X), fitted.predict_proba(X))
    copy = pickle.loads(pickle.dumps(model))
    model.partial_fit(X[:50], y[:50])
    copy.partial_fit(X[:50], y[:50])
    np.testing.assert_array_equal(model.predict_proba(X), copy.predict_proba(X))


def test_reservoir_is_a_uniform_sample_of_every_row_seen():
    """Over many seeds, every weighted row of a stream of batches of different sizes is in
    the reservoir with probability capacity / rows seen (zero-weight rows never), as a
    uniform sample without replacement must be."""
    from skgiant._blocks import RowData
    from skgiant._streaming import add_batch, start_stream

    sizes, capacity, runs = [6, 20, 3, 11], 8, 3000
    n = sum(sizes)
    X = np.arange(float(n))[:, None]  # a row's input is its index
    w = np.ones(n)
    w[[2, 17]] = 0.0
    starts = np.cumsum([0] + sizes)
    counts = np.zeros(n)
    for seed in range(runs):
        state = None
        for a, b in zip(starts[:-1], starts[1:], strict=True):
            data = RowData(X[a:b], np.zeros((b - a, 1)), w[a:b])
            if state is None:
                state = start_stream(data, lambda Z: Z, 1, seed=seed, capacity=capacity)
            else:
                state = add_batch(state, data, lambda Z: Z, 1)
        rows = state.loo_X[:, 0].astype(int)
        assert len(rows) == capacity == len(np.unique(rows))
        counts[rows] += 1
    weighted = w > 0
    assert counts[~weighted].sum() == 0
    p = capacity / np.count_nonzero(weighted)
    sd = np.sqrt(runs * p * (1 - p))
    assert np.all(np.abs(counts[weighted] - runs * p) < 4.5 * sd)
