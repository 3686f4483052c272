import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.linear_model import Ridge

from skgiant._ridge import (
    LinAlgConditionWarning,
    eigen_readout,
    gram_statistics,
    loo_mse,
    ridge_coef,
    solve_readout,
)


def _problem(n=60, p=12, m=2, seed=0, offset=3.0):
    rng = np.random.default_rng(seed)
    phi = rng.normal(size=(n, p)) + offset  # non-centred features
    y = phi[:, :3] @ rng.normal(size=(3, m)) + rng.normal(size=(n, m)) + 5.0
    w = rng.uniform(0.2, 3.0, size=n)
    return phi, y, w


def _stats(phi, y, w, chunk):
    return gram_statistics(lambda rows: phi[rows], y, w, chunk)


@pytest.mark.parametrize("chunk", [1, 7, 1000])
@pytest.mark.parametrize("alpha", [1e-3, 0.5])
def test_readout_equals_sklearn_ridge(chunk, alpha):
    phi, y, w = _problem()
    stats = _stats(phi, y, w, chunk)
    ref = Ridge(alpha=alpha * w.sum()).fit(phi, y, sample_weight=w)
    for beta, intercept in (solve_readout(stats, alpha), ridge_coef(eigen_readout(stats), alpha)):
        assert_allclose(beta.T, ref.coef_, rtol=1e-8, atol=1e-10)
        assert_allclose(intercept, ref.intercept_, rtol=1e-8, atol=1e-10)


def test_chunk_size_only_changes_rounding():
    phi, y, w = _problem(n=101)
    a, b = _stats(phi, y, w, 3), _stats(phi, y, w, 101)
    assert_allclose(a.gram, b.gram, rtol=1e-10, atol=1e-12)
    assert_allclose(a.cross, b.cross, rtol=1e-10, atol=1e-12)


def _brute_force_loo(phi, y, alpha, w=None):
    n = len(y)
    w = np.ones(n) if w is None else w
    errs = []
    for i in range(n):
        keep = np.arange(n) != i
        model = Ridge(alpha=alpha * w[keep].sum()).fit(phi[keep], y[keep], sample_weight=w[keep])
        errs.append(np.mean((y[i] - model.predict(phi[i : i + 1])[0]) ** 2))
    return np.average(errs, weights=w)


@pytest.mark.parametrize("p", [5, 40])  # fewer and more features than rows
def test_loo_equals_brute_force(p):
    phi, y, _ = _problem(n=30, p=p)
    w = np.ones(len(y))
    alphas = np.array([1e-2, 0.3, 3.0])
    eig = eigen_readout(_stats(phi, y, w, 8))
    fast = loo_mse(eig, phi, y, w, alphas)
    # brute force refits on n - 1 rows, where sum(w) is n - 1: the normalized penalty
    # alpha * S keeps Ridge's absolute penalty alpha * n on every refit.
    slow = [_brute_force_loo(phi, y, a * len(y) / (len(y) - 1)) for a in alphas]
    assert_allclose(fast, slow, rtol=1e-7)


def test_loo_with_integer_weights_leaves_one_copy_out():
    phi, y, _ = _problem(n=20, p=6)
    w = np.random.default_rng(1).integers(1, 4, size=20).astype(float)
    alphas = np.array([0.05])
    eig = eigen_readout(_stats(phi, y, w, 5))
    weighted = loo_mse(eig, phi, y, w, alphas)
    rep = np.repeat(np.arange(20), w.astype(int))
    eig_rep = eigen_readout(_stats(phi[rep], y[rep], np.ones(len(rep)), 5))
    repeated = loo_mse(eig_rep, phi[rep], y[rep], np.ones(len(rep)), alphas)
    assert_allclose(weighted, repeated, rtol=1e-9)


def test_singular_system_warns_and_returns_min_norm():
    phi, y, w = _problem(n=10, p=30, offset=0.0)
    stats = _stats(phi, y, np.ones(10), 4)
    with pytest.warns(LinAlgConditionWarning, match="numerically singular"):
        beta, intercept = solve_readout(stats, 0.0)
    assert np.all(np.isfinite(beta))
    # min-norm interpolation: fits the training data exactly and is orthogonal to the null space
    pred = phi @ beta + intercept
    assert_allclose(pred, y, atol=1e-6)
    centred = phi - phi.mean(axis=0)
    ref = np.linalg.lstsq(centred, y - y.mean(axis=0), rcond=None)[0]
    assert_allclose(beta, ref, atol=1e-6)
