"""Tests of the pure alternating least-squares solver against independent computations."""

from dataclasses import replace

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.linear_model import Ridge

from skgiant import _alternating as alt
from skgiant import _memory


def _problem(n=80, d=3, m=1, slope=0.0, seed=0, chunk=None, weights=True):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    Y = np.sin(X @ rng.normal(size=(d, m))) + 0.1 * rng.normal(size=(n, m))
    w = rng.uniform(0.2, 3.0, size=n) if weights else np.ones(n)
    return alt.Problem.from_arrays(X, Y, w, slope, chunk)


def _X1(problem):
    """The inputs with the ones column, read directly (the reference computations)."""
    return alt.add_ones(problem.data.X)


def _network(problem, p, seed=1):
    rng = np.random.default_rng(seed)
    d1, m = _X1(problem).shape[1], problem.data.Y.shape[1]
    return rng.normal(size=(p, d1)), rng.normal(size=(p, m)), rng.normal(size=m)


def _explicit_design(problem, active, beta):
    """Z stacked over outputs, built entry by entry from the definition."""
    n, d1 = _X1(problem).shape
    p, m = beta.shape
    S = np.where(active, 1.0, problem.slope)
    Z = np.zeros((m, n, p * d1))
    for k in range(m):
        for j in range(p):
            for a in range(d1):
                Z[k, :, j * d1 + a] = beta[j, k] * S[:, j] * _X1(problem)[:, a]
    return Z


def _lstsq_step(problem, active, W, beta, b0, alpha, mu):
    """argmin (1/S) sum_i w_i ||y_i - b0 - Z_i t||^2 + alpha ||t||^2 + mu ||t - vec W||^2."""
    Z = _explicit_design(problem, active, beta)
    root = np.sqrt(problem.weights.array() / problem.weights.array().sum())
    P = Z.shape[2]
    A = [Z[k] * root[:, None] for k in range(Z.shape[0])]
    b = [(problem.data.Y[:, k] - b0[k]) * root for k in range(Z.shape[0])]
    A += [np.sqrt(alpha) * np.eye(P), np.sqrt(mu) * np.eye(P)]
    b += [np.zeros(P), np.sqrt(mu) * W.ravel()]
    return np.linalg.lstsq(np.vstack(A), np.concatenate(b), rcond=None)[0].reshape(W.shape)


@pytest.mark.parametrize("m", [1, 2])
@pytest.mark.parametrize("slope", [0.0, 0.2])
@pytest.mark.parametrize("mu", [0.0, 0.3])
@pytest.mark.parametrize("chunk", [None, 7])
def test_dense_hidden_solve_equals_lstsq(m, slope, mu, chunk):
    problem = _problem(m=m, slope=slope, chunk=chunk)
    W, beta, b0 = _network(problem, p=5)
    active = alt.activation_pattern(problem, W)
    sol = alt.solve_hidden_dense(problem, active, W, beta, b0, 0.01, mu)
    assert sol.method == "cholesky"
    assert_allclose(sol.W, _lstsq_step(problem, active, W, beta, b0, 0.01, mu), atol=1e-9)


@pytest.mark.parametrize("m", [1, 2])
@pytest.mark.parametrize("mu", [0.0, 0.3])
def test_dense_solve_with_fewer_rows_than_unknowns_uses_the_design_rows(m, mu):
    # 9 rows, 2 outputs, 5 * 4 = 20 unknowns: the dense system keeps D^(1/2) Z / sqrt(S)
    # and solves through their Gram matrix, to the least-squares step of the definition
    problem = _problem(n=9, m=m, slope=0.1, chunk=4)
    W, beta, b0 = _network(problem, p=5)
    active = alt.activation_pattern(problem, W)
    system = alt.hidden_system(problem, active, W, beta, b0, "dense")
    assert system.M is None and system.rows.shape == (9 * m, 20)
    Z = _explicit_design(problem, active, beta)
    w = problem.weights.array() / problem.weights.array().sum()
    M = sum(Z[k].T @ (Z[k] * w[:, None]) for k in range(m))
    assert_allclose(system.diagonal.ravel(), np.diag(M), atol=1e-12)
    Z_rows = system.rows.dense()  # rows (i, k), i-major
    assert_allclose(
        Z_rows, np.stack([Z[k] * np.sqrt(w)[:, None] for k in range(m)], 1).reshape(-1, 20)
    )
    assert_allclose(system.gram, Z_rows @ Z_rows.T, atol=1e-12)
    V = np.random.default_rng(3).normal(size=W.shape)
    assert_allclose(system.rows.matvec(V), Z_rows @ V.ravel(), atol=1e-12)
    assert_allclose(system.rows.rmatvec(Z_rows @ V.ravel()).ravel(), M @ V.ravel(), atol=1e-12)
    sol = alt.solve_dense(system, W, 0.01, mu)
    assert sol.method == "cholesky" and system.M is None  # no normal equations formed
    assert_allclose(sol.W, _lstsq_step(problem, active, W, beta, b0, 0.01, mu), atol=1e-9)
    sign, logdet = np.linalg.slogdet(M + (0.01 + mu) * np.eye(20))
    assert sign == 1 and sol.logdet == pytest.approx(logdet, rel=1e-10)
    # a shift too small for a reliable Cholesky factor: the normal equations decide
    tiny = alt.solve_dense(system, W, 1e-14, 0.0)
    assert system.M is not None
    assert_allclose(np.triu(system.M), np.triu(M), atol=1e-12)
    expected = alt.solve_dense_system((np.triu(M), system.r), W, 1e-14, 0.0)
    assert tiny.method == expected.method
    assert_allclose(tiny.W, expected.W, atol=1e-8)


@pytest.mark.parametrize("m", [1, 2])
@pytest.mark.parametrize("slope", [0.0, 0.1])
def test_normal_operators_equal_explicit_design(m, slope, monkeypatch):
    problem = _problem(m=m, slope=slope, chunk=9)
    W, beta, b0 = _network(problem, p=4)
    active = alt.activation_pattern(problem, W)
    Z = _explicit_design(problem, active, beta)
    w = problem.weights.array() / problem.weights.array().sum()
    M = sum(Z[k].T @ (Z[k] * w[:, None]) for k in range(Z.shape[0]))
    r = sum(Z[k].T @ ((problem.data.Y[:, k] - b0[k]) * w) for k in range(Z.shape[0]))
    V = np.random.default_rng(3).normal(size=W.shape)
    # the boolean pattern, the float multipliers, and the boolean fallback taken when
    # the multipliers do not fit in memory all give the same operators
    mult = alt.multipliers(problem, active)
    assert mult.dtype == np.float64
    assert_allclose(mult, np.where(active, 1.0, slope))
    for pattern in (active, mult):
        dense = alt.hidden_system(problem, pattern, W, beta, b0, "dense")
        assert dense.rows is None  # more rows than unknowns: the normal equations
        assert_allclose(np.triu(dense.M), np.triu(M), atol=1e-12)
        assert_array_equal(np.tril(dense.M, -1), 0.0)  # only the upper triangle is held
        assert_allclose(alt.normal_product(dense, V), (M @ V.ravel()).reshape(V.shape))
        assert_allclose(dense.diagonal.ravel(), np.diag(M), atol=1e-12)
        cg = alt.hidden_system(problem, pattern, W, beta, b0, "cg")
        assert_allclose(cg.diagonal.ravel(), np.diag(M), atol=1e-12)
        assert_allclose(cg.MW.ravel(), M @ W.ravel(), atol=1e-12)
        for system in (dense, cg):
            assert_allclose(system.r.ravel(), r, atol=1e-12)
            assert_allclose(system.yy, w @ np.sum((problem.data.Y - b0) ** 2, axis=1))
        mv = alt.normal_matvec(problem, pattern, beta, V).ravel()
        assert_allclose(mv, M @ V.ravel(), atol=1e-12)
    monkeypatch.setattr(_memory, "available_bytes", lambda: 1000)
    assert alt.multipliers(problem, active).dtype == bool


@pytest.mark.parametrize("solver", ["dense", "cg"])
@pytest.mark.parametrize("m", [1, 2])
def test_solve_reports_the_fixed_pattern_loss_of_its_result(solver, m):
    """The surrogate from the normal equations equals the loss evaluated on the rows."""
    problem = _problem(n=90, d=3, m=m, slope=0.1, chunk=11)
    W, beta, b0 = _network(problem, p=5)
    active = alt.activation_pattern(problem, W)
    for max_iter in (3, 200):  # truncated and converged CG
        sol = alt.solve_hidden(
            problem, active, W, beta, b0, 0.01, 0.2, solver=solver, max_iter=max_iter
        )
        direct = alt.surrogate_loss(problem, active, sol.W, beta, b0, 0.01)
        assert_allclose(sol.surrogate, direct, rtol=1e-9)


def test_evaluate_returns_the_activation_pattern():
    problem = _problem(n=50, chunk=7)
    W, beta, b0 = _network(problem, p=6)
    ev = alt.evaluate(problem, W, beta, b0, 0.1, pattern=True)
    assert_array_equal(ev.active, _X1(problem) @ W.T > 0)
    assert alt.evaluate(problem, W, beta, b0, 0.1).active is None


@pytest.mark.parametrize("m", [1, 2])
@pytest.mark.parametrize("mu", [0.0, 0.5])
def test_matrix_free_solve_equals_dense(m, mu):
    problem = _problem(n=120, d=4, m=m, slope=0.05, chunk=13)
    W, beta, b0 = _network(problem, p=6)
    active = alt.activation_pattern(problem, W)
    dense = alt.solve_hidden_dense(problem, active, W, beta, b0, 1e-3, mu)
    cg = alt.solve_hidden_cg(problem, active, W, beta, b0, 1e-3, mu, rtol=1e-13, max_iter=2000)
    assert cg.method == "cg" and cg.inner_iter > 0
    assert_allclose(cg.W, dense.W, rtol=1e-7, atol=1e-8)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("solver", ["dense", "cg"])
def test_surrogate_never_exceeds_previous_loss(seed, solver):
    problem = _problem(n=60, d=3, seed=seed)
    W, _, _ = _network(problem, p=8, seed=seed + 10)
    alpha = [0.0, 1e-3, 0.1][seed % 3]
    beta, b0 = alt.solve_beta(problem, W, alpha)
    active = alt.activation_pattern(problem, W)
    before = alt.evaluate(problem, W, beta, b0, alpha).loss
    # at the current pattern the surrogate is the true loss (independent evaluation)
    assert_allclose(alt.surrogate_loss(problem, active, W, beta, b0, alpha), before, rtol=1e-12)
    for mu in (0.0, 0.1):
        # even a truncated CG solve (3 iterations) may not raise the surrogate
        sol = alt.solve_hidden(
            problem, active, W, beta, b0, alpha + 1e-9, mu, solver=solver, max_iter=3
        )
        after = alt.surrogate_loss(problem, active, sol.W, beta, b0, alpha)
        assert after <= before * (1 + 1e-10)


def test_singular_system_falls_back_to_minimum_norm():
    problem = _problem(n=40, d=2)
    W, beta, b0 = _network(problem, p=4)
    beta[1] = 0.0  # unit 1 has a zero Jacobian: M is singular with alpha = mu = 0
    active = alt.activation_pattern(problem, W)
    sol = alt.solve_hidden_dense(problem, active, W, beta, b0, 0.0, 0.0)
    assert sol.method == "eigh"
    assert np.all(np.isfinite(sol.W))
    root = np.sqrt(problem.weights.array())
    Z = _explicit_design(problem, active, beta)[0] * root[:, None]
    ref = np.linalg.lstsq(Z, (problem.data.Y[:, 0] - b0[0]) * root, rcond=None)
    assert_allclose(sol.W.ravel(), ref[0], atol=1e-6)


def test_readout_step_equals_sklearn_ridge():
    problem = _problem(n=70, m=2, slope=0.3)
    W, _, _ = _network(problem, p=6)
    beta, b0 = alt.solve_beta(problem, W, 0.05)
    phi = alt.hidden_features(_X1(problem), W, problem.slope)
    ref = Ridge(alpha=0.05 * problem.weights.array().sum()).fit(
        phi, problem.data.Y, sample_weight=problem.weights.array()
    )
    assert_allclose(beta.T, ref.coef_, rtol=1e-8, atol=1e-10)
    assert_allclose(b0, ref.intercept_, rtol=1e-8, atol=1e-10)


def test_rebalance_keeps_function_and_lowers_penalty():
    problem = _problem(slope=0.1)
    W, beta, b0 = _network(problem, p=5)
    beta *= np.array([10.0, 0.1, 1.0, 3.0, 0.01])[:, None]
    W2, beta2 = alt.rebalance(W, beta)
    f = alt.hidden_features(_X1(problem), W, 0.1) @ beta
    assert_allclose(alt.hidden_features(_X1(problem), W2, 0.1) @ beta2, f, rtol=1e-12)
    assert_allclose(np.linalg.norm(W2, axis=1), np.linalg.norm(beta2, axis=1), rtol=1e-12)
    assert alt.penalty(1.0, W2, beta2) <= alt.penalty(1.0, W, beta)


def test_one_published_iteration_equals_reference():
    """max_iter=1, undamped: a dense lstsq W-step between two sklearn Ridge readouts."""
    problem = _problem(n=90, d=3, weights=False)
    W0, _, _ = _network(problem, p=6)
    alpha = 1e-3
    config = alt.AlternatingConfig(
        max_iter=1, alpha=alpha, step_fraction=1.0, tol=0.0, rebalance=False,
        revive_dead_units=False,
    )  # fmt: skip
    res = alt.fit_alternating(problem, config, W_init=W0)

    def ridge(W):
        phi = alt.hidden_features(_X1(problem), W, 0.0)
        return Ridge(alpha=alpha * len(phi)).fit(phi, problem.data.Y)

    r0 = ridge(W0)
    active = alt.hidden_features(_X1(problem), W0, 0.0) > 0
    beta0 = np.reshape(r0.coef_, (-1, W0.shape[0])).T
    b00 = np.reshape(r0.intercept_, -1)
    W1 = _lstsq_step(problem, active, W0, beta0, b00, alpha, 0.0)
    assert_allclose(res.W, W1, rtol=1e-7, atol=1e-9)
    r1 = ridge(W1)
    assert_allclose(res.beta.T, np.reshape(r1.coef_, (-1, 6)), rtol=1e-6, atol=1e-8)


def _oscillating_problem():
    # small, noisy, with many units: the undamped recipe flips many activations per step
    rng = np.random.default_rng(4)
    X = rng.normal(size=(150, 4))
    y = np.sin(2 * X[:, 0]) * X[:, 1] + 0.5 * rng.normal(size=150)
    return alt.Problem.from_arrays(X, (y - y.mean())[:, None] / y.std(), np.ones(150))


# the published recipe on the 150 rows of _oscillating_problem
PUBLISHED_CONFIG = alt.AlternatingConfig(
    n_hidden=16, max_iter=30, alpha=1e-3 / 150, step_fraction=1.0, tol=0.0,
    init_scale="standard", rebalance=False, revive_dead_units=False,
)  # fmt: skip


def test_safeguarded_iteration_is_monotone_where_published_oscillates():
    problem = _oscillating_problem()
    published = alt.fit_alternating(problem, PUBLISHED_CONFIG)
    losses = np.array([h.loss for h in published.history])
    assert np.any(np.diff(losses) > 0), "the published recipe should oscillate on this data"
    for batch_size in (None, 60):
        config = alt.AlternatingConfig(
            n_hidden=16, max_iter=30, alpha=1e-3 / 150, tol=0.0, init_scale="standard",
            batch_size=batch_size,
        )  # fmt: skip
        safe = alt.fit_alternating(problem, config)
        losses = np.array([h.loss for h in safe.history])
        assert np.all(np.diff(losses) <= 0)
        # every recorded loss is the true loss of an accepted network: recompute the last
        final = alt.evaluate(problem, safe.W, safe.beta, safe.b0, safe.alpha).loss
        assert_allclose(final, losses[-1], rtol=1e-12)


@pytest.mark.parametrize("solver", ["dense", "cg"])
def test_fit_is_invariant_to_chunk_size(solver):
    # CG stops at a residual tolerance; solved to convergence it differs only by rounding
    config = alt.AlternatingConfig(
        n_hidden=6, max_iter=5, alpha=1e-3, solver=solver, inner_tol=1e-14, max_inner_iter=1000
    )
    a = alt.fit_alternating(_problem(n=100, chunk=None), config)
    b = alt.fit_alternating(_problem(n=100, chunk=7), config)
    assert_allclose(a.W, b.W, rtol=1e-8, atol=1e-10)
    assert_allclose(a.beta, b.beta, rtol=1e-8, atol=1e-10)


def test_dead_units_are_revived():
    problem = _problem(n=80, d=2)
    W, _, _ = _network(problem, p=6)
    W[:2, :2] = 0.0
    W[:2, 2] = -5.0  # never active
    config = alt.AlternatingConfig(max_iter=3, alpha=1e-3, tol=0.0)
    res = alt.fit_alternating(problem, config, W_init=W)
    assert res.history[0].dead_units == 2
    assert sum(h.revived for h in res.history) >= 1
    assert res.history[-1].dead_units < 2


def test_dense_refuses_matrices_that_do_not_fit(monkeypatch):
    problem = _problem(n=30, d=3)
    W, beta, b0 = _network(problem, p=4)
    active = alt.activation_pattern(problem, W)
    monkeypatch.setattr(_memory, "available_bytes", lambda: 1000)
    with pytest.raises(MemoryError, match="solver='cg'"):
        alt.solve_hidden_dense(problem, active, W, beta, b0, 0.1)
    assert alt.choose_solver("auto", 4, 4, 30) == "cg"
    monkeypatch.undo()
    assert alt.choose_solver("auto", 4, 4, 30) == "dense"
    assert alt.choose_solver("auto", 200, 101, 100_000) == "cg"  # P = 20,200
    assert alt.choose_solver("auto", 32, 37, 7500) == "cg"  # 1e10 flops


def test_auto_solver_follows_the_cost_model():
    # tiny systems are always solved exactly
    assert alt.choose_solver("auto", 32, 11, 100) == "dense"  # 1.7e7 flops
    assert alt.choose_solver("auto", 32, 31, 30) == "dense"  # n <= P, 3.5e8 flops
    assert alt.choose_solver("auto", 32, 31, 2000) == "cg"
    assert alt.choose_solver("auto", 100, 51, 3000) == "cg"  # n <= P but 4.5e10 flops
    # beyond, dense while n P^2 + P^3/3 <= CG_FLOP_COST * K * 4 n P, i.e. P ~ 8 K
    assert alt.choose_solver("auto", 20, 11, 5000, max_inner_iter=30) == "dense"  # P = 220
    assert alt.choose_solver("auto", 25, 11, 5000, max_inner_iter=30) == "cg"  # P = 275
    assert alt.choose_solver("auto", 25, 11, 5000, max_inner_iter=100) == "dense"
    assert alt.choose_solver("auto", 32, 11, 7500) == "cg"
    assert alt.choose_solver("dense", 32, 37, 7500) == "dense"


def test_undamped_iteration_stops_when_no_activation_flips():
    # y = 2 relu(x - 0.2) is exactly a one-unit network; started at the right hyperplane,
    # the exact W-step keeps the pattern and the iteration stops at once
    x = np.linspace(-1, 1, 41)[:, None]
    problem = alt.Problem.from_arrays(x, 2 * np.maximum(x - 0.2, 0), np.ones(41))
    config = alt.AlternatingConfig(
        max_iter=10, alpha=1e-12, step_fraction=1.0, tol=0.0, rebalance=False,
        revive_dead_units=False,
    )  # fmt: skip
    res = alt.fit_alternating(problem, config, W_init=np.array([[1.0, -0.2]]))
    assert res.stop_reason == "pattern" and res.n_iter == 1
    assert res.history[1].flip_fraction == 0.0
    fitted = alt.hidden_features(_X1(problem), res.W, 0.0) @ res.beta + res.b0
    assert_allclose(fitted, problem.data.Y, atol=1e-8)


def test_auto_alpha_minimizes_dense_generalized_cross_validation():
    # the readout penalty at initialization: GCV = RSS / (1 - df / n)**2 of the ridge on
    # the hidden features, with df the trace of the hat matrix (intercept included)
    problem = _problem(n=120, d=3, weights=False)
    W = alt.init_weights(np.random.default_rng(0), 8, 3, "fan_in")
    alpha, beta, b0 = alt.select_alpha(problem, W)
    phi = alt.hidden_features(_X1(problem), W, problem.slope)
    centred = phi - phi.mean(axis=0)
    y = problem.data.Y[:, 0] - problem.data.Y[:, 0].mean()
    n = len(y)
    gcv = []
    for a in alt.AUTO_ALPHAS:
        hat = centred @ np.linalg.solve(centred.T @ centred + a * n * np.eye(8), centred.T)
        gcv.append(np.mean((y - hat @ y) ** 2) / (1.0 - (1.0 + np.trace(hat)) / n) ** 2)
    assert alpha == alt.AUTO_ALPHAS[int(np.argmin(gcv))]
    ref = Ridge(alpha=alpha * n).fit(phi, problem.data.Y[:, 0])
    assert_allclose(beta[:, 0], ref.coef_, rtol=1e-7, atol=1e-10)
    assert_allclose(b0, ref.intercept_, rtol=1e-7)


# ----------------------------------------------------------------------------------------
# Passes over the rows
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("solver", ["dense", "cg"])
def test_passes_per_accepted_iteration(solver):
    # normal equations (1, fused), CG iterations (k), the step's evaluation with the
    # readout statistics (1), the evaluation after the readout (1); as in the docstring
    problem = _problem(n=300, d=3, weights=False)
    passes = []
    config = alt.AlternatingConfig(
        n_hidden=6, max_iter=4, alpha=1e-3, step_fraction=1.0, tol=0.0, solver=solver,
        max_inner_iter=7, inner_tol=1e-15, revive_dead_units=False,
    )  # fmt: skip
    res = alt.fit_alternating(
        problem, config, callback=lambda record, state: passes.append(problem.passes)
    )
    assert passes[0] == 2  # initialization: readout statistics, evaluation
    for record, before, after in zip(res.history[1:], passes[:-1], passes[1:], strict=True):
        assert record.accepted and record.method == ("cg" if solver == "cg" else "cholesky")
        assert after - before == 3 + (record.inner_iter if solver == "cg" else 0)
    if solver == "cg":
        assert all(record.inner_iter == 7 for record in res.history[1:])


# ----------------------------------------------------------------------------------------
# The decisions of the phases, against independent computations
# ----------------------------------------------------------------------------------------


def _true_loss(problem, W, beta, b0, alpha):
    """J from its definition, on the rows read directly."""
    f = alt.hidden_features(_X1(problem), W, problem.slope) @ beta + b0
    w = problem.weights.array()
    mse = w @ np.sum((problem.data.Y - f) ** 2, axis=1) / w.sum()
    return mse + alpha * (np.sum(W**2) + np.sum(beta**2))


def _mean_normal_diagonal(problem, W, beta):
    """Mean of the diagonal of M = Z^T D Z / S at the pattern of W (explicit design)."""
    active = _X1(problem) @ W.T > 0
    Z = _explicit_design(problem, active, beta)
    w = problem.weights.array() / problem.weights.array().sum()
    return np.mean(sum((Z[k] ** 2).T @ w for k in range(Z.shape[0])))


def test_damping_shrinks_after_acceptance_and_grows_after_rejection():
    problem = _oscillating_problem()
    states = []
    config = alt.AlternatingConfig(
        n_hidden=16, max_iter=12, alpha=1e-3 / 150, tol=0.0, init_scale="standard",
        solver="dense",
    )  # fmt: skip
    res = alt.fit_alternating(
        problem, config, callback=lambda r, s: states.append(tuple(a.copy() for a in s))
    )
    # damping relative to the scale of the normal matrix at each iteration's start
    relative = [
        record.damping / _mean_normal_diagonal(problem, *states[k][:2])
        for k, record in enumerate(res.history[1:])
    ]
    accepted = [record.accepted for record in res.history[1:]]
    assert any(accepted) and not all(accepted), "needs both outcomes"
    for k in range(len(relative) - 1):
        factor = 1 / 3 if accepted[k] else 10.0
        assert_allclose(relative[k + 1], relative[k] * factor, rtol=1e-9)
        # a rejected step leaves the network as it was
        if not accepted[k]:
            for a, b in zip(states[k + 1], states[k], strict=True):
                assert_array_equal(a, b)


@pytest.mark.parametrize("adaptive", [True, False])
def test_step_is_accepted_only_on_a_real_decrease_of_the_true_loss(adaptive):
    problem = _problem(n=100, d=3, seed=5)
    alpha = 1e-3
    config = alt.AlternatingConfig(
        n_hidden=5, alpha=alpha, step_fraction="auto" if adaptive else 0.5, solver="dense"
    )
    state, _ = alt.initialize(problem, config, np.random.default_rng(0))
    before = _true_loss(problem, state.W, state.beta, state.b0, alpha)
    exact = alt.solve_hidden(problem, state.current.active, state.W, state.beta, state.b0, alpha)
    rng = np.random.default_rng(1)
    gauss_newton = exact.W - state.W
    directions = [gauss_newton, 0.1 * gauss_newton, np.zeros_like(state.W)]
    directions += [scale * rng.normal(size=state.W.shape) for scale in (0.01, 0.05, 0.3, 3.0)] * 3
    outcomes = set()
    for direction in directions:
        solve = alt.HiddenSolve(state.W + direction, "cholesky", np.nan, 0, 0.0)
        step = alt.line_search(problem, config, state, alt.HiddenStep(solve, 0.0))
        fractions = (1.0, 0.5, 0.25) if adaptive else (0.5,)
        losses = [
            _true_loss(problem, state.W + t * direction, state.beta, state.b0, alpha)
            for t in fractions
        ]
        if adaptive:  # the first fraction with a strict decrease, or none
            expected = next((t for t, v in zip(fractions, losses, strict=True) if v < before), 0.0)
        else:  # a fixed fraction is always taken
            expected = 0.5
        assert step.step == expected and step.accepted == (expected > 0)
        if step.accepted:
            assert_allclose(step.trial.loss, losses[fractions.index(expected)], rtol=1e-12)
        outcomes.add(expected)
    if adaptive:
        assert {1.0, 0.0} <= outcomes and outcomes & {0.5, 0.25}, outcomes


def _state_with_dead_units(problem, alpha):
    """An initialized state whose units 0 and 1 are never active."""
    config = alt.AlternatingConfig(n_hidden=5, alpha=alpha, rebalance=False, solver="dense")
    W = np.random.default_rng(2).normal(size=(5, problem.n_inputs))
    W[:2, :-1], W[:2, -1] = 0.0, -5.0
    state, _ = alt.initialize(problem, config, np.random.default_rng(0), W_init=W)
    return state, config


@pytest.mark.parametrize("scale", [0.5, 30.0])
def test_revival_is_kept_only_if_the_loss_does_not_rise(scale, monkeypatch):
    problem = _problem(n=120, d=2, seed=6)
    alpha = 0.05
    state, config = _state_with_dead_units(problem, alpha)
    before = _true_loss(problem, state.W, state.beta, state.b0, alpha)
    drawn = scale * np.random.default_rng(3).normal(size=(2, problem.n_inputs))
    monkeypatch.setattr(alt, "init_weights", lambda rng, p, d, init_scale: drawn[:p].copy())
    # the candidate's loss: its ridge readout (scikit-learn) and J from the definition
    W_new = state.W.copy()
    W_new[:2] = drawn
    phi = alt.hidden_features(_X1(problem), W_new, problem.slope)
    ridge = Ridge(alpha=alpha * problem.weights.array().sum())
    ridge.fit(phi, problem.data.Y, sample_weight=problem.weights.array())
    coef = np.reshape(ridge.coef_, (-1, W_new.shape[0])).T
    candidate = _true_loss(problem, W_new, coef, np.reshape(ridge.intercept_, -1), alpha)
    W_old = state.W.copy()
    revived = alt.revive_dead_units(problem, config, state, np.random.default_rng(0))
    if candidate <= before:
        assert revived == 2
        assert_array_equal(state.W, W_new)
        assert_allclose(state.current.loss, candidate, rtol=1e-8)
    else:
        assert revived == 0
        assert_array_equal(state.W, W_old)
        assert_allclose(state.current.loss, before, rtol=1e-12)
    # the two scales exercise the two outcomes
    assert (candidate <= before) == (scale == 0.5)


def _fit_with_iterates(problem, config, **kwargs):
    states = []
    res = alt.fit_alternating(
        problem, config, callback=lambda r, s: states.append(tuple(a.copy() for a in s)), **kwargs
    )
    return res, states


def test_tol_stops_at_the_first_small_relative_decrease():
    problem = _problem(n=150, d=3, seed=7)
    alpha = 1e-3
    config = alt.AlternatingConfig(n_hidden=6, max_iter=15, alpha=alpha, tol=0.0, solver="dense")
    res, states = _fit_with_iterates(problem, config)
    losses = np.array([_true_loss(problem, *s, alpha) for s in states])
    accepted = [k for k, record in enumerate(res.history) if k and record.accepted]
    decrease = np.abs(np.diff(losses)) / np.abs(losses[:-1])  # decrease[k - 1]: iteration k
    # a tol just above the decrease of an accepted iteration k that decreased less than
    # every accepted iteration before it (the test applies to accepted iterations only)
    k = next(
        k for i, k in enumerate(accepted)
        if i >= 2 and decrease[k - 1] < min(decrease[j - 1] for j in accepted[:i])
    )  # fmt: skip
    tol = decrease[k - 1] * (1 + 1e-6)
    res = alt.fit_alternating(problem, replace(config, tol=tol))
    assert res.stop_reason == "tol" and res.converged and res.n_iter == k


def test_pattern_stop_when_a_full_step_flips_no_activation():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(200, 2))
    y = np.maximum(X[:, 0] - 0.3, 0) - np.maximum(-X[:, 1], 0) + 0.01 * rng.normal(size=200)
    problem = alt.Problem.from_arrays(X, y, np.ones(200))
    config = alt.AlternatingConfig(
        n_hidden=3, max_iter=30, alpha=1e-6, step_fraction=1.0, tol=0.0, rebalance=False,
        revive_dead_units=False,
    )  # fmt: skip
    res, states = _fit_with_iterates(problem, config, rng=np.random.default_rng(5))
    patterns = [_X1(problem) @ s[0].T > 0 for s in states]
    expected = next(
        k for k in range(1, len(patterns)) if np.array_equal(patterns[k], patterns[k - 1])
    )
    assert res.stop_reason == "pattern" and res.n_iter == expected > 1


@pytest.mark.parametrize("max_rejections", [2, 4])
def test_no_decrease_stops_after_max_rejections(max_rejections, monkeypatch):
    problem = _problem(n=80, d=3, seed=8)
    config = alt.AlternatingConfig(n_hidden=4, alpha=1e-3, tol=0.0, max_rejections=max_rejections)

    def uphill(problem, active, W, beta, b0, alpha, mu=0.0, **kwargs):  # a step that cannot help
        return alt.HiddenSolve(W + 50.0, "cholesky", np.nan, 0, 0.0)

    monkeypatch.setattr(alt, "solve_hidden", uphill)
    res, states = _fit_with_iterates(problem, config)
    for t in (1.0, 0.5, 0.25):  # every fraction of the step raises J
        assert _true_loss(problem, states[0][0] + t * 50.0, *states[0][1:], 1e-3) > _true_loss(
            problem, *states[0], 1e-3
        )
    assert res.stop_reason == "no_decrease" and res.n_iter == max_rejections
    assert not any(record.accepted for record in res.history[1:])
    assert_array_equal(res.W, states[0][0])


def test_validation_stops_after_n_iter_no_change_and_returns_the_best_iterate():
    problem = _problem(n=160, d=3, seed=9)
    validation = _problem(n=60, d=3, seed=10)
    config = alt.AlternatingConfig(
        n_hidden=12, max_iter=40, alpha=1e-6, tol=1e-3, n_iter_no_change=2, solver="dense"
    )
    res, states = _fit_with_iterates(problem, config, validation=validation)
    # validation errors of every iterate, from the definition
    errors = [_true_loss(validation, *s, 0.0) for s in states]
    best, since, expected = 0, 0, None
    for k in range(1, len(errors)):
        if errors[k] < errors[best] * (1 - config.tol):
            best, since = k, 0
        else:
            since += 1
            if since >= config.n_iter_no_change:
                expected = k
                break
    assert expected is not None, "the validation error should stall on this problem"
    assert res.stop_reason == "validation" and res.n_iter == expected
    assert res.best_iter == best
    assert_array_equal(res.W, states[best][0])


def _path_fits(monkeypatch):
    """Record the settings of every fit on folds that the penalty refinement runs."""
    calls, fit = [], alt.fit_alternating

    def recording(problem, config=None, **kwargs):
        if config is not None and config.alpha != "auto":  # a fit of the path
            calls.append(config)
        return fit(problem, config, **kwargs)

    monkeypatch.setattr(alt, "fit_alternating", recording)
    return calls


def test_penalty_path_settings_set_the_fits_on_folds(monkeypatch):
    problem = _problem(n=60, d=3, seed=2)  # weight 86 < 3 * 12 * 4 first-layer parameters
    path = alt.PenaltyPath(factors=(4.0, 1.0), folds=2, max_iter=2)
    config = alt.AlternatingConfig(n_hidden=12, max_iter=4, penalty_path=path)
    calls = _path_fits(monkeypatch)
    res = alt.fit_alternating(problem, config)
    initial = min(res.alpha_scores)
    assert_allclose(sorted(res.alpha_scores), [initial, 4.0 * initial], rtol=1e-12)
    assert len(calls) == 2 * 2  # two folds, two penalties each, strongest first
    assert [c.alpha / initial for c in calls] == pytest.approx([4.0, 1.0, 4.0, 1.0])
    assert {c.max_iter for c in calls} == {2}
    default = alt.fit_alternating(problem, replace(config, penalty_path=alt.PenaltyPath()))
    assert len(default.alpha_scores) == 3 and {c.max_iter for c in calls[4:]} == {4}
    calls.clear()
    # the rows-per-parameter threshold and penalty_path=None switch the refinement off
    few = replace(config, penalty_path=replace(path, rows_per_parameter=problem.weight_sum / 48))
    none = replace(config, penalty_path=None)
    for settings in (few, none):
        assert alt.fit_alternating(problem, settings).alpha_scores is None
    assert not calls


def test_penalty_refinement_leaves_the_draws_of_the_fit_alone():
    # the refinement draws its folds and fits from a spawned generator: the fit that
    # follows (fresh batches of 40 rows each iteration) is the fit at the chosen penalty
    problem = _problem(n=60, d=3, seed=2)
    config = alt.AlternatingConfig(n_hidden=12, max_iter=4, batch_size=40)
    refined = alt.fit_alternating(problem, config, rng=np.random.default_rng(5))
    assert refined.alpha_scores is not None
    fixed = alt.fit_alternating(
        problem, replace(config, alpha=refined.alpha), rng=np.random.default_rng(5)
    )
    assert_array_equal(refined.W, fixed.W)
    assert_array_equal(refined.beta, fixed.beta)
    # where it keeps the initial choice, the fit is the one without the refinement
    problem = _problem(n=60, d=3, seed=3)
    kept = alt.fit_alternating(problem, config, rng=np.random.default_rng(5))
    initial = sorted(kept.alpha_scores)[1]
    assert kept.alpha == initial
    off = alt.fit_alternating(
        problem, replace(config, penalty_path=None), rng=np.random.default_rng(5)
    )
    assert off.alpha == initial and off.alpha_scores is None
    assert_array_equal(kept.W, off.W)
    assert_array_equal(kept.beta, off.beta)


def test_prepared_rows_give_the_blocks_of_the_rows_they_copy(monkeypatch):
    """The alternating solver's in-memory copy of the standardized rows with their ones
    column yields blocks bitwise equal to those of the rows it copies, gathers copies of
    its own kind and counts passes on the same counter."""
    import skgiant._blocks as blocks

    rng = np.random.default_rng(3)
    X, Y, w = rng.normal(size=(50, 3)) * 4 + 1, rng.normal(size=(50, 2)), rng.uniform(size=50)
    data = blocks.RowData(X, Y, w, chunk=7).standardized(X.mean(0), X.std(0), Y.mean(0), Y.std(0))
    prep = blocks.prepared(data)
    assert isinstance(prep, blocks.PreparedRows) and prep.n == 50 and prep.n_features == 3
    for rows in (slice(0, 7), slice(42, 50), np.array([1, 5, 40])):
        a, b = data.block(rows), prep.block(rows)
        for x, y in ((a.X, b.X), (a.Y, b.Y), (a.weight, b.weight)):
            np.testing.assert_array_equal(x, y)
        np.testing.assert_array_equal(b.with_ones(), np.column_stack([a.X, np.ones(len(a.X))]))
    before = data.passes
    total = prep.reduce(lambda block: block.with_ones().T @ block.Y)[0]
    np.testing.assert_allclose(
        total,
        np.column_stack([(X - X.mean(0)) / X.std(0), np.ones(50)]).T @ ((Y - Y.mean(0)) / Y.std(0)),
        rtol=1e-12,
        atol=1e-12,
    )
    assert data.passes == before + 1  # the same counter
    taken = prep.take([3, 9])
    assert isinstance(taken, blocks.PreparedRows)
    np.testing.assert_array_equal(taken.block(slice(0, 2)).X, data.block(np.array([3, 9])).X)
    monkeypatch.setattr(blocks, "PREPARED_MAX_BYTES", 100)  # too large to copy: as it is
    assert blocks.prepared(data) is data
