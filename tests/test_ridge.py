import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.linear_model import Ridge

from skgiant._ridge import (
    LinAlgConditionWarning,
    TridiagonalReadout,
    dual_eigen_readout,
    eigen_readout,
    gcv_mse,
    gram_statistics,
    loo_mse,
    penalty_path,
    ridge_coef,
    select_penalty,
    solve_dual_readout,
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


@pytest.mark.parametrize("chunk", [7, 1000])
def test_gcv_equals_dense_weighted_hat_matrix(chunk):
    # GCV = (weighted RSS / S) / (1 - tr(H) / S)**2 with H the weighted hat matrix of the
    # ridge with an unpenalized intercept, built explicitly here
    phi, y, w = _problem()
    eig = eigen_readout(_stats(phi, y, w, chunk))
    alphas = np.array([1e-4, 0.05, 2.0])
    assert_allclose(gcv_mse(eig, alphas), _dense_gcv(phi, y, w, alphas), rtol=1e-8)


def _dense_gcv(phi, y, w, alphas):
    """GCV from the explicit weighted hat matrix of the ridge with a free intercept."""
    S = w.sum()
    Z = np.hstack([np.ones((len(y), 1)), phi])
    expected = []
    for alpha in alphas:
        penalty = np.diag(np.r_[0.0, np.full(phi.shape[1], alpha * S)])
        hat = Z @ np.linalg.solve(Z.T @ (w[:, None] * Z) + penalty, (w[:, None] * Z).T)
        rss = (w[:, None] * (y - hat @ y) ** 2).sum(axis=0) / S
        expected.append(np.mean(rss) / (1.0 - np.trace(hat) / S) ** 2)
    return expected


@pytest.mark.parametrize("m", [1, 3])
def test_tridiagonal_readout_equals_hat_matrix_gcv_and_sklearn_ridge(m):
    # the tridiagonal path (no eigenvectors) against an explicit hat matrix and Ridge
    phi, y, w = _problem(n=80, p=15, m=m)
    alphas = np.array([1e-4, 0.05, 2.0])
    tri = penalty_path(_stats(phi, y, w, 9), alphas[0])
    assert isinstance(tri, TridiagonalReadout)
    for alpha in alphas:
        ref = Ridge(alpha=alpha * w.sum()).fit(phi, y, sample_weight=w)
        beta, intercept = ridge_coef(tri, alpha)
        assert_allclose(beta, ref.coef_.reshape(m, -1).T, rtol=1e-8, atol=1e-11)
        assert_allclose(intercept, np.atleast_1d(ref.intercept_), rtol=1e-8)
    assert_allclose(gcv_mse(tri, alphas), _dense_gcv(phi, y, w, alphas), rtol=1e-8)
    assert_allclose(tri.mean_variance, np.trace(tri.stats.gram) / 15, rtol=1e-12)


def test_penalty_path_falls_back_to_the_eigendecomposition_when_ill_posed():
    phi, y, w = _problem(n=80, p=15)
    alphas = np.array([1e-3, 0.1])
    # one feature constant up to rounding: the eigendecomposition drops its direction,
    # the tridiagonal path keeps it, with no effect beyond rounding at these penalties
    constant = phi.copy()
    constant[:, 4] = 3.0 + 1e-17 * np.arange(80)
    stats = _stats(constant, y, w, 9)
    tri, eig = penalty_path(stats, alphas[0]), eigen_readout(stats)
    assert isinstance(tri, TridiagonalReadout)
    assert_allclose(gcv_mse(tri, alphas), gcv_mse(eig, alphas), rtol=1e-9)
    for alpha in alphas:
        for got, want in zip(ridge_coef(tri, alpha), ridge_coef(eig, alpha), strict=True):
            assert_allclose(got, want, rtol=1e-7, atol=1e-9)
    # every feature constant up to rounding (penalties on the noise scale), a penalty at
    # rounding level of the spectrum, and fewer rows than features: the eigendecomposition
    flat = 3.0 + 1e-17 * np.random.default_rng(0).normal(size=(80, 15))
    flat_stats = _stats(flat, y, w, 9)
    assert not isinstance(
        penalty_path(flat_stats, 1e-6 * np.trace(flat_stats.gram) / 15), TridiagonalReadout
    )
    assert not isinstance(penalty_path(_stats(phi, y, w, 9), 1e-300), TridiagonalReadout)
    phi_few, y_few, _ = _problem(n=10, p=15)
    few = _stats(phi_few, y_few, np.ones(10), 4)
    assert not isinstance(penalty_path(few, 1e-3), TridiagonalReadout)


def test_dual_form_equals_primal_for_few_rows():
    # fewer rows than features, some with zero weight: the kernel-matrix diagonalization
    # gives the same coefficients, leave-one-out and GCV errors as the Gram one
    phi, y, w = _problem(n=25, p=40)
    w[[3, 11]] = 0.0
    primal = eigen_readout(_stats(phi, y, w, 7))
    dual = dual_eigen_readout(phi, y, w)
    assert dual.stats.gram is None and dual.eigenvalues.size <= 23
    assert_allclose(dual.mean_variance, np.trace(primal.stats.gram) / 40, rtol=1e-10)
    assert_allclose(primal.mean_variance, np.trace(primal.stats.gram) / 40, rtol=1e-10)
    alphas = np.array([1e-3, 0.1, 3.0])
    for alpha in alphas:
        for got, want in zip(ridge_coef(dual, alpha), ridge_coef(primal, alpha), strict=True):
            assert_allclose(got, want, rtol=1e-7, atol=1e-9)
    # rows of positive weight lie in the span the dual form keeps (zero-weight rows, which
    # never count in the weighted error, may not)
    live = w > 0
    assert_allclose(
        loo_mse(dual, phi[live], y[live], w[live], alphas, per_row=True),
        loo_mse(primal, phi[live], y[live], w[live], alphas, per_row=True),
        rtol=1e-7,
    )
    assert_allclose(loo_mse(dual, phi, y, w, alphas), loo_mse(primal, phi, y, w, alphas))
    assert_allclose(gcv_mse(dual, alphas), gcv_mse(primal, alphas), rtol=1e-7)


def test_dual_readout_equals_sklearn_ridge_and_warns_when_singular():
    phi, y, w = _problem(n=20, p=50)
    eig = dual_eigen_readout(phi, y, w)
    beta, intercept = solve_dual_readout(eig, 0.3)
    ref = Ridge(alpha=0.3 * w.sum()).fit(phi, y, sample_weight=w)
    assert_allclose(beta, ref.coef_.T, rtol=1e-7, atol=1e-10)
    assert_allclose(intercept, ref.intercept_, rtol=1e-7)
    with pytest.warns(LinAlgConditionWarning, match="numerically singular"):
        beta0, _ = solve_dual_readout(eig, 0.0)
    # the minimum-norm interpolant: fits every weighted row exactly
    assert_allclose(phi @ beta0 + _ - y, 0.0, atol=1e-8)


@pytest.mark.parametrize("n, p", [(60, 12), (20, 40)])
def test_select_penalty_gcv_with_many_rows_loo_with_few(n, p):
    phi, y, w = _problem(n=n, p=p)
    w = np.round(w) + 1.0  # integer weights: rows counted by weight, sum(w) > n
    eig = eigen_readout(_stats(phi, y, w, 9))
    alphas = np.logspace(-3, 1, 9)
    index, curve, criterion = select_penalty(eig, alphas, lambda: (phi, y, w))
    if w.sum() >= p:
        assert criterion == "gcv"
        assert_allclose(curve, gcv_mse(eig, alphas))
    else:
        assert criterion == "loo"
        assert_allclose(curve, loo_mse(eig, phi, y, w, alphas))
    assert index == int(np.argmin(curve))
