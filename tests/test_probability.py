"""Tests of skgiant._probability against independent computations: finite differences,
scikit-learn's LogisticRegression and Ridge, brute-force refits, repeated rows and a
logistic model with known probabilities."""

import numpy as np
import pytest
from scipy.optimize import approx_fprime
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.utils.class_weight import compute_class_weight

from skgiant._classifier_base import find_labels
from skgiant._probability import (
    ProbabilityReadout,
    class_weights,
    expected_calibration_error,
    fit_calibrated_ridge_readout,
    fit_softmax_readout,
    fit_temperature,
    ridge_loo_scores,
    smoothed_targets,
    softmax_objective,
    temperature_objective,
)
from skgiant._ridge import dual_eigen_readout, eigen_readout, gram_statistics


def _features(X):
    return lambda rows: np.array(X[rows], dtype=np.float64)


def _brute_softmax(Z):
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)


def _logistic_problem(n, rng, n_features=3, n_classes=3):
    """Gaussian inputs and labels drawn from a known multinomial logistic model."""
    coef = np.array([[1.5, -1.0, 0.0], [0.0, 1.0, -1.0], [-0.5, 0.0, 0.8]])[:n_features]
    coef = coef[:, :n_classes]
    intercept = np.array([0.3, -0.2, 0.0])[:n_classes]
    X = rng.standard_normal((n, n_features))
    P = _brute_softmax(X @ coef + intercept)
    y = (rng.random(n)[:, None] > np.cumsum(P, axis=1)).sum(axis=1)
    return X, y, lambda Z: _brute_softmax(Z @ coef + intercept)


# ----------------------------------------------------------------------- class weights


def class_sample_weight(y, class_weight, classes, sample_weight=None):
    """The sample weights with the class weights folded in, as the classifiers make
    them: labels found with their weighted counts, the weight of each class, folded."""
    sample_weight = np.ones(len(y)) if sample_weight is None else sample_weight
    labels = find_labels(np.asarray(y), sample_weight)
    counts = np.zeros(len(classes))
    counts[labels.classes] = labels.counts
    per_class = class_weights(counts, labels.total, class_weight, np.asarray(classes))
    return labels.fold(labels.encode(np.arange(len(classes))), per_class)


def test_balanced_class_weight_matches_scikit_learn():
    y = np.array([0, 0, 0, 1, 2, 2, 0, 1])
    classes = np.array(["a", "b", "c"])
    expected = compute_class_weight("balanced", classes=np.arange(3), y=y)[y]
    np.testing.assert_allclose(class_sample_weight(y, "balanced", classes), expected)


def test_balanced_class_weight_with_weights_equals_repeated_rows():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 30)
    counts = rng.integers(1, 4, 30)
    classes = np.arange(3)
    weighted = class_sample_weight(y, "balanced", classes, counts.astype(float))
    repeated = class_sample_weight(np.repeat(y, counts), "balanced", classes)
    # the weight of a row with sample weight k is k times that of each of its copies
    np.testing.assert_allclose(np.repeat(weighted / counts, counts), repeated)
    # balanced: every class ends with the same total weight, S / K
    totals = np.bincount(y, weights=weighted)
    np.testing.assert_allclose(totals, counts.sum() / 3)


def test_dict_and_none_class_weight():
    y = np.array([0, 1, 1, 2])
    classes = np.array(["no", "yes", "maybe"])
    sw = np.array([1.0, 2.0, 3.0, 4.0])
    out = class_sample_weight(y, {"yes": 5.0}, classes, sw)
    np.testing.assert_array_equal(out, [1.0, 10.0, 15.0, 4.0])
    assert out is not sw and np.array_equal(sw, [1.0, 2.0, 3.0, 4.0])  # input untouched
    np.testing.assert_array_equal(class_sample_weight(y, None, classes, sw), sw)
    with pytest.raises(ValueError, match="not in the classes"):
        class_sample_weight(y, {"unknown": 2.0}, classes)
    with pytest.raises(ValueError, match="balanced"):
        class_sample_weight(y, "equal", classes)


# --------------------------------------------------------------------------- candidate A


def test_softmax_gradient_by_finite_differences():
    rng = np.random.default_rng(1)
    n, k, K = 40, 5, 3
    phi, y = rng.standard_normal((n, k)), rng.integers(0, K, n)
    w = rng.random(n)
    w /= w.sum()
    params = rng.standard_normal((k + 1) * K)
    loss, grad = softmax_objective(params, phi, y, w, 0.3)
    numeric = approx_fprime(params, lambda p: softmax_objective(p, phi, y, w, 0.3)[0], 1e-7)
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-6)
    # the loss itself, brute force
    B, b = params[: k * K].reshape(k, K), params[k * K :]
    P = _brute_softmax(phi @ B + b)
    expected = -np.sum(w * np.log(P[np.arange(n), y])) + 0.15 * np.sum(B * B)
    assert loss == pytest.approx(expected, rel=1e-12)


def test_softmax_readout_matches_logistic_regression_multiclass():
    rng = np.random.default_rng(2)
    X, y, _ = _logistic_problem(300, rng)
    X = X * np.array([1.0, 3.0, 0.2]) + 2.0  # uncentred, unequal scales
    w = rng.integers(1, 4, len(y)).astype(float)
    alpha = 0.02
    ours = fit_softmax_readout(_features(X), 3, y, 3, w, 64, alpha=alpha, tol=1e-10)
    ref = LogisticRegression(C=1.0 / (alpha * w.sum()), tol=1e-12, max_iter=10_000)
    ref.fit(X, y, sample_weight=w)
    np.testing.assert_allclose(ours.coef, ref.coef_.T, rtol=1e-5, atol=1e-6)
    # intercepts are defined up to a common shift
    np.testing.assert_allclose(
        ours.intercept - ours.intercept.mean(), ref.intercept_ - ref.intercept_.mean(), atol=1e-5
    )
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-6)


def test_softmax_readout_with_more_features_than_rows_matches_logistic_regression():
    # fewer weighted rows than features: the solve runs in the row space of the features;
    # rows of weight zero must play no part
    rng = np.random.default_rng(12)
    n, k = 40, 90
    X = rng.standard_normal((n, k)) @ rng.standard_normal((k, k)) / 4 + 1.0
    y = rng.integers(0, 3, n)
    w = rng.integers(1, 4, n).astype(float)
    w[:5] = 0.0
    alpha = 0.05
    ours = fit_softmax_readout(_features(X), k, y, 3, w, 16, alpha=alpha, tol=1e-10)
    kept = w > 0
    ref = LogisticRegression(C=1.0 / (alpha * w.sum()), tol=1e-12, max_iter=100_000)
    ref.fit(X[kept], y[kept], sample_weight=w[kept])
    np.testing.assert_allclose(ours.coef, ref.coef_.T, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-6)


def test_softmax_readout_binary_is_binomial_with_half_the_penalty():
    rng = np.random.default_rng(3)
    X, y, _ = _logistic_problem(200, rng, n_classes=2)
    alpha = 0.05
    ours = fit_softmax_readout(_features(X), 3, y, 2, np.ones(200), 50, alpha=alpha, tol=1e-10)
    ref = LogisticRegression(C=2.0 / (alpha * 200), tol=1e-12, max_iter=10_000).fit(X, y)
    np.testing.assert_allclose(ours.coef[:, 1] - ours.coef[:, 0], ref.coef_[0], rtol=1e-5)
    np.testing.assert_allclose(ours.coef[:, 1], -ours.coef[:, 0], rtol=1e-5)  # symmetric split


def test_softmax_readout_weights_equal_repeated_rows():
    rng = np.random.default_rng(4)
    X, y, _ = _logistic_problem(80, rng)
    counts = rng.integers(1, 4, 80)
    a = fit_softmax_readout(_features(X), 3, y, 3, counts.astype(float), 16, alpha=0.01, tol=1e-10)
    Xr, yr = np.repeat(X, counts, axis=0), np.repeat(y, counts)
    b = fit_softmax_readout(_features(Xr), 3, yr, 3, np.ones(len(yr)), 16, alpha=0.01, tol=1e-10)
    np.testing.assert_allclose(a.predict_proba(X), b.predict_proba(X), atol=1e-7)


def test_softmax_probabilities_are_a_softmax_of_the_readout():
    rng = np.random.default_rng(5)
    X, y, _ = _logistic_problem(150, rng)
    fit = fit_softmax_readout(_features(X), 3, y, 3, np.ones(150), 32)
    assert fit.alpha_grid is not None and fit.alpha in fit.alpha_grid
    P = fit.predict_proba(X)
    np.testing.assert_allclose(P.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(P, _brute_softmax(X @ fit.coef + fit.intercept), rtol=1e-12)


def test_softmax_auto_penalty_on_pure_noise_predicts_the_prior():
    rng = np.random.default_rng(6)
    n = 600
    X = rng.standard_normal((n, 20))
    y = (rng.random(n) < 0.3).astype(int)  # labels independent of X
    fit = fit_softmax_readout(_features(X), 20, y, 2, np.ones(n), 128)
    # a strong penalty wins (at least the mean feature variance: coefficients near zero)
    assert fit.alpha >= fit.alpha_grid[4] == pytest.approx(X.var(axis=0).mean())
    P = fit.predict_proba(rng.standard_normal((1000, 20)))
    assert np.abs(P[:, 1] - y.mean()).max() < 0.05
    # with signal, a weaker penalty wins
    X2, y2, _ = _logistic_problem(n, rng, n_classes=2)
    assert fit_softmax_readout(_features(X2), 3, y2, 2, np.ones(n), 128).alpha < fit.alpha


@pytest.mark.parametrize("fit", [fit_softmax_readout, fit_calibrated_ridge_readout])
def test_calibration_approaches_the_true_probabilities(fit):
    # candidate A is consistent for a multinomial logistic model; candidate B (ridge scores
    # through a fitted temperature) for a binary one with Gaussian inputs, where least squares
    # finds the direction of the true coefficients (Brillinger's theorem)
    n_classes = 3 if fit is fit_softmax_readout else 2
    rng = np.random.default_rng(7)
    X_test, _, truth = _logistic_problem(2000, rng, n_classes=n_classes)
    errors = []
    for n in (300, 3000, 30_000):
        X, y, _ = _logistic_problem(n, np.random.default_rng(n), n_classes=n_classes)
        readout = fit(_features(X), 3, y, n_classes, np.ones(n), 4096)
        errors.append(np.abs(readout.predict_proba(X_test) - truth(X_test)).mean())
    assert errors[0] > errors[1] > errors[2]
    assert errors[2] < 0.01 and errors[0] > 2 * errors[2]


# --------------------------------------------------------------------------- candidate B


@pytest.mark.parametrize("dual", [False, True])
def test_ridge_loo_scores_match_refits(dual):
    rng = np.random.default_rng(8)
    n, k, K = 25, (40 if dual else 6), 3
    phi = rng.standard_normal((n, k)) + 1.0
    Y = np.eye(K)[rng.integers(0, K, n)]
    w = rng.integers(1, 4, n).astype(float)
    if dual:
        eig = dual_eigen_readout(phi, Y, w)
    else:
        eig = eigen_readout(gram_statistics(_features(phi), Y, w, 7))
    alphas = np.array([0.01, 0.3]) * eig.mean_variance
    loo = ridge_loo_scores(eig, phi, Y, alphas)
    for i in (0, 7, 19):
        for j, alpha in enumerate(alphas):
            # refit with one unit of row i's weight removed; the penalty alpha * S stays
            w_minus = w.copy()
            w_minus[i] -= 1.0
            keep = w_minus > 0
            ref = Ridge(alpha=alpha * w.sum(), solver="svd")
            ref.fit(phi[keep], Y[keep], sample_weight=w_minus[keep])
            np.testing.assert_allclose(loo[i, :, j], ref.predict(phi[i : i + 1])[0], atol=1e-8)


def test_temperature_gradient_and_binary_closed_form():
    rng = np.random.default_rng(9)
    n = 500
    scores = rng.standard_normal((n, 2))
    y = (rng.random(n) < 1 / (1 + np.exp(-(2.0 * (scores[:, 1] - scores[:, 0]) + 0.5)))).astype(int)
    w = rng.random(n)
    params = np.array([0.7, 0.1, -0.3])
    wn = w / w.sum()
    T = smoothed_targets(y, 2, w)
    _, grad = temperature_objective(params, scores, T, wn)
    numeric = approx_fprime(params, lambda p: temperature_objective(p, scores, T, wn)[0], 1e-7)
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-7)
    # binary: an unpenalized logistic regression on the score difference
    scale, offsets, _, _ = fit_temperature(scores, y, w, smoothing=False)
    diff = (scores[:, 1] - scores[:, 0])[:, None]
    ref = LogisticRegression(C=np.inf, tol=1e-12).fit(diff, y, sample_weight=w)
    assert scale == pytest.approx(ref.coef_[0, 0], rel=1e-5)
    assert offsets[1] - offsets[0] == pytest.approx(ref.intercept_[0], rel=1e-5, abs=1e-6)


def test_temperature_hessian_matches_finite_differences():
    from skgiant._probability import _temperature_hessian

    rng = np.random.default_rng(14)
    scores, y, w = rng.standard_normal((300, 4)), rng.integers(0, 4, 300), rng.random(300)
    wn = w / w.sum()
    T = smoothed_targets(y, 4, w)
    params = np.array([1.3, 0.2, -0.1, 0.4, -0.5])
    numeric = np.array(
        [
            approx_fprime(
                params, lambda p, j=j: temperature_objective(p, scores, T, wn)[1][j], 1e-7
            )
            for j in range(5)
        ]
    )
    # the 1 / K added on the offsets' common shift, where the loss is flat
    numeric[1:, 1:] += 0.25
    np.testing.assert_allclose(_temperature_hessian(params, scores, wn), numeric, atol=1e-6)


def test_platt_targets_keep_separable_scores_finite():
    rng = np.random.default_rng(13)
    y = np.repeat([0, 1], [30, 10])
    w = rng.integers(1, 3, 40).astype(float)
    scores = np.c_[-(2.0 * y - 1) - rng.random(40), (2.0 * y - 1) + rng.random(40)]  # separable
    scale, offsets, _, _ = fit_temperature(scores, y, w)
    assert 0 < scale < 50
    # Platt's fit is a weighted logistic regression with every row twice: once as its own
    # class with weight w * t, once as the other with weight w * (1 - t)
    n_pos, n_neg = w[y == 1].sum(), w[y == 0].sum()
    t = np.where(y == 1, (n_pos + 1) / (n_pos + 2), 1 / (n_neg + 2))
    diff = np.r_[scores[:, 1] - scores[:, 0], scores[:, 1] - scores[:, 0]][:, None]
    ref = LogisticRegression(C=np.inf, tol=1e-12, max_iter=10_000)
    ref.fit(diff, np.r_[np.ones(40), np.zeros(40)], sample_weight=np.r_[w * t, w * (1 - t)])
    assert scale == pytest.approx(ref.coef_[0, 0], rel=1e-5)
    assert offsets[1] - offsets[0] == pytest.approx(ref.intercept_[0], rel=1e-5, abs=1e-6)
    # without smoothing the maximum-likelihood scale runs away
    assert fit_temperature(scores, y, w, smoothing=False)[0] > 3 * scale


@pytest.mark.parametrize("n", [40, 200])  # dual (n < k) and primal forms
def test_calibrated_ridge_weights_equal_repeated_rows(n):
    rng = np.random.default_rng(10)
    X = rng.standard_normal((n, 60))
    y = (X[:, 0] + 0.5 * rng.standard_normal(n) > 0).astype(int) + (X[:, 1] > 1)
    counts = rng.integers(1, 4, n)
    a = fit_calibrated_ridge_readout(_features(X), 60, y, 3, counts.astype(float), 32)
    Xr, yr = np.repeat(X, counts, axis=0), np.repeat(y, counts)
    b = fit_calibrated_ridge_readout(_features(Xr), 60, yr, 3, np.ones(len(yr)), 32)
    assert a.alpha == pytest.approx(b.alpha, rel=1e-9)
    np.testing.assert_allclose(a.predict_proba(X), b.predict_proba(X), atol=1e-6)


def test_calibrated_ridge_probabilities_are_a_softmax_of_the_ridge_readout():
    rng = np.random.default_rng(11)
    X, y, _ = _logistic_problem(400, rng)
    fit = fit_calibrated_ridge_readout(_features(X), 3, y, 3, np.ones(400), 64)
    # the ridge part is scikit-learn's Ridge on the one-hot targets at the chosen penalty
    ref = Ridge(alpha=fit.alpha * 400).fit(X, np.eye(3)[y])
    np.testing.assert_allclose(fit.coef, ref.coef_.T, rtol=1e-8, atol=1e-10)
    P = fit.predict_proba(X)
    np.testing.assert_allclose(P.sum(axis=1), 1.0, rtol=1e-12)
    expected = _brute_softmax(fit.scale * ref.predict(X) + fit.offsets)
    np.testing.assert_allclose(P, expected, rtol=1e-9)
    # the temperature was fitted on the leave-one-out scores at that penalty
    eig = eigen_readout(gram_statistics(_features(X), np.eye(3)[y], np.ones(400), 64))
    loo = ridge_loo_scores(eig, X, np.eye(3)[y], [fit.alpha])[:, :, 0]
    scale, offsets, _, _ = fit_temperature(loo, y, np.ones(400))  # Platt's targets
    assert fit.scale == pytest.approx(scale, rel=1e-9)
    assert fit.scale > 1.0  # ridge scores of one-hot targets are shrunk toward 1 / K


def test_readout_dataclass_formula():
    r = ProbabilityReadout(
        coef=np.array([[1.0, -1.0]]),
        intercept=np.array([0.0, 0.5]),
        scale=2.0,
        offsets=np.array([0.1, -0.1]),
        alpha=1.0,
        alpha_grid=None,
        cv_curve=None,
        n_iter=0,
    )
    phi = np.array([[0.0], [1.0]])
    z = np.array([[0.1, 0.9], [2.1, -1.1]])  # 2 * (phi @ coef + intercept) + offsets
    np.testing.assert_allclose(r.predict_proba(phi), _brute_softmax(z))


# ------------------------------------------------------------------------------- metrics


def test_expected_calibration_error_brute_force():
    rng = np.random.default_rng(12)
    n, K = 500, 4
    P = _brute_softmax(2 * rng.standard_normal((n, K)))
    y = rng.integers(0, K, n)
    total = 0.0
    for b in range(15):
        lo, hi = b / 15, (b + 1) / 15
        top = P.max(axis=1)
        members = (top >= lo) & ((top < hi) if b < 14 else (top <= 1.0))
        if members.any():
            acc = np.mean(P[members].argmax(axis=1) == y[members])
            total += members.mean() * abs(acc - top[members].mean())
    assert expected_calibration_error(y, P) == pytest.approx(total, rel=1e-10)
    # perfectly calibrated by construction: labels drawn from the probabilities
    y_cal = (rng.random(n)[:, None] > np.cumsum(P, axis=1)).sum(axis=1)
    big = np.repeat(P, 40, axis=0)
    y_big = (rng.random(len(big))[:, None] > np.cumsum(big, axis=1)).sum(axis=1)
    assert (
        expected_calibration_error(y_big, big)
        < 0.02
        < expected_calibration_error(y_cal, P[:, ::-1])
    )
