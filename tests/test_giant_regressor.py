"""GiantStepRegressor: scikit-learn citizenship, numerics against references, paper effects."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn import config_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Ridge
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skgiant import GiantStepRegressor
from skgiant._giant_regressor import THEORY_PARAMS
from skgiant.datasets import make_multi_index, make_single_index
from skgiant.diagnostics import alignment

# The theory's protocol: no biases, no linear term, plain labels, symmetric init, frozen a.
PAPER = THEORY_PARAMS


def rms(v):
    return float(np.sqrt(np.mean(np.square(v))))


def _data(n=120, d=4, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = np.sin(2 * X[:, 0]) + X[:, 1] * X[:, 2] + 0.1 * rng.normal(size=n)
    return X, y


def _readout_features(model, X):
    net = model.network_
    hidden = net.hidden(X)
    if net.linear_coef is None:
        return hidden
    # the linear term acts on the inputs as the network sees them (standardized)
    return np.hstack([hidden, net.inputs(X) / np.sqrt(X.shape[1])])


@pytest.mark.parametrize("linear_readout", [True, False])
def test_readout_equals_sklearn_ridge(linear_readout):
    X, y = _data()
    y = 50 + 7 * y  # non-centred, large-scale targets
    w = np.random.default_rng(1).uniform(0.5, 2, size=len(y))
    model = GiantStepRegressor(
        n_hidden=24,
        n_steps=1,
        step_size=0.5,
        alpha=0.03,
        linear_readout=linear_readout,
        random_state=0,
    ).fit(X, y, sample_weight=w)
    phi = _readout_features(model, X)
    ref = Ridge(alpha=0.03 * w.sum()).fit(phi, y, sample_weight=w)
    assert_allclose(model.predict(X), ref.predict(phi), rtol=1e-9)
    coef = model.network_.coef.ravel()
    if linear_readout:
        coef = np.concatenate([coef, model.network_.linear_coef.ravel() * np.sqrt(X.shape[1])])
    assert_allclose(coef, ref.coef_, rtol=1e-7, atol=1e-10)


def _block_scaled(model, phi):
    """Features on which one penalty ``alpha_`` equals the model's two penalties."""
    p = model.n_hidden
    scaled = phi.copy()
    if model.alpha_linear_ is not None:
        scaled[:, p:] *= np.sqrt(model.alpha_ / model.alpha_linear_)
    return scaled


def test_fewer_rows_than_units_matches_ridge_and_brute_force_leave_one_out():
    # n < p takes the kernel (dual) form of the readout: same model as the Gram form
    X, y = _data(n=30)
    model = GiantStepRegressor(n_hidden=64, n_steps=0, random_state=0).fit(X, y)
    assert model.alpha_criterion_ == "loo"
    assert np.isfinite(model.alpha_) and model.alpha_linear_ != model.alpha_
    phi = _block_scaled(model, _readout_features(model, X))
    y_std = (y - y.mean()) / y.std()
    brute = []
    for alpha in model.alpha_grid_:
        ratio_alpha = alpha  # the linear block keeps the chosen ratio along the curve
        errs = [
            (
                y_std[i]
                - Ridge(alpha=ratio_alpha * 30)
                .fit(np.delete(_rescale(phi, model, alpha), i, 0), np.delete(y_std, i))
                .predict(_rescale(phi, model, alpha)[i : i + 1])[0]
            )
            ** 2
            for i in range(30)
        ]
        brute.append(np.mean(errs))
    assert_allclose(model.cv_mse_, brute, rtol=1e-6)
    # the grid is relative to the mean variance of the hidden features
    hidden = _readout_features(model, X)[:, :64]
    assert_allclose(model.alpha_grid_, np.logspace(-6, 2, 25) * hidden.var(axis=0).mean())
    ref = Ridge(alpha=model.alpha_ * 30).fit(phi, y)
    assert_allclose(model.predict(X), ref.predict(phi), rtol=1e-7, atol=1e-8)
    fixed = GiantStepRegressor(n_hidden=64, n_steps=0, alpha=0.01, random_state=0).fit(X, y)
    ref = Ridge(alpha=0.01 * 30).fit(_readout_features(fixed, X), y)
    assert_allclose(fixed.predict(X), ref.predict(_readout_features(fixed, X)), rtol=1e-7)


def _rescale(phi, model, alpha):
    """``phi`` (scaled for ``alpha_``) rescaled so that penalty ``alpha`` keeps the ratio."""
    return phi  # the ratio alpha_linear / alpha is fixed along the curve: same features


def _dense_loo(phi, y_std, penalty):
    """Leave-one-out MSE of ridge (unpenalized intercept) from the dense hat matrix."""
    n = len(y_std)
    centred = phi - phi.mean(axis=0)
    hat = np.full((n, n), 1.0 / n) + centred @ np.linalg.solve(
        centred.T @ centred + n * np.diag(penalty), centred.T
    )
    resid = y_std - hat @ y_std
    return np.mean((resid / (1.0 - np.diag(hat))) ** 2)


def test_auto_alpha_chooses_both_penalties_by_exact_leave_one_out():
    # more rows than features: the two penalties (hidden units, linear term) are chosen
    # jointly by exact leave-one-out, the special case "linear term only" included
    X, y = _data(n=120)
    model = GiantStepRegressor(n_hidden=32, n_steps=0, random_state=0).fit(X, y)
    assert model.alpha_criterion_ == "loo"
    phi = _readout_features(model, X)
    y_std = (y - y.mean()) / y.std()
    p, d = model.n_hidden, X.shape[1]

    def loo(alpha, alpha_linear):
        return _dense_loo(phi, y_std, np.r_[np.full(p, alpha), np.full(d, alpha_linear)])

    # one pair by brute force: refit without each row (scikit-learn's Ridge)
    scale = np.r_[np.ones(p), np.full(d, np.sqrt(model.alpha_ / model.alpha_linear_))]
    brute = np.mean(
        [
            (
                y_std[i]
                - Ridge(alpha=model.alpha_ * 120)
                .fit(np.delete(phi * scale, i, 0), np.delete(y_std, i))
                .predict((phi * scale)[i : i + 1])[0]
            )
            ** 2
            for i in range(120)
        ]
    )
    assert_allclose(loo(model.alpha_, model.alpha_linear_), brute, rtol=1e-8)
    # the curve: leave-one-out along the grid at the chosen ratio of the two penalties
    ratio = model.alpha_linear_ / model.alpha_
    floor = 1e-6 * phi[:, p:].var(axis=0).mean() * (1 - 1e-9)
    curve = [loo(a, ratio * a) if ratio * a >= floor else np.inf for a in model.alpha_grid_]
    assert_allclose(model.cv_mse_, curve, rtol=1e-6)
    # the choice: least error over every pair and the "linear term only" special case
    linear = phi[:, p:]
    linear_variance = linear.var(axis=0).mean()
    # (linear penalties below the linear block's own grid, 1e-6 of its mean variance,
    # are not candidates)
    pairs = {
        (a, r * a): loo(a, r * a)
        for a in model.alpha_grid_
        for r in np.logspace(-4, 2, 7)
        if r * a >= 1e-6 * linear_variance * (1 - 1e-9)
    }
    only = min(
        _dense_loo(linear, y_std, np.full(d, a)) for a in np.logspace(-6, 2, 25) * linear_variance
    )
    best = min(pairs, key=pairs.get)
    assert pairs[best] < only  # on this nonlinear target the network must win...
    assert_allclose((model.alpha_, model.alpha_linear_), best, rtol=1e-12)


def test_auto_alpha_keeps_the_linear_term_only_when_the_target_is_linear():
    # hidden units that add nothing: the readout falls back to plain ridge on X, the
    # same model as scikit-learn's Ridge with the penalty of least leave-one-out error
    rng = np.random.default_rng(3)
    X = rng.normal(size=(80, 6))
    y = X @ rng.normal(size=6) + 0.5 * rng.normal(size=80)
    model = GiantStepRegressor(n_hidden=64, n_steps=0, random_state=0).fit(X, y)
    assert model.alpha_ == np.inf
    Z = model.network_.inputs(X) / np.sqrt(6)
    y_std = (y - y.mean()) / y.std()
    grid = np.logspace(-6, 2, 25) * Z.var(axis=0).mean()
    errors = np.array([_dense_loo(Z, y_std, np.full(6, a)) for a in grid])
    # the largest penalty tied (to 1e-6) with the least error: the safe side of a tie
    tied = np.flatnonzero(errors <= errors.min() * (1 + 1e-6))
    assert model.alpha_linear_ == pytest.approx(grid[tied[-1]], rel=1e-12)
    ref = Ridge(alpha=model.alpha_linear_ * 80).fit(Z, y)
    assert_allclose(model.predict(X), ref.predict(Z), rtol=1e-8)
    assert_allclose(model.network_.coef, 0.0)


def test_auto_alpha_without_linear_term_equals_dense_leave_one_out():
    # one block (no linear term) and more rows than features: exact leave-one-out from
    # the reduced Gram matrix, the same as from the dense hat matrix
    X, y = _data(n=40)
    model = GiantStepRegressor(n_hidden=12, n_steps=0, linear_readout=False, random_state=0).fit(
        X, y
    )
    assert model.alpha_criterion_ == "loo" and model.alpha_linear_ is None
    phi = _readout_features(model, X)
    y_std = (y - y.mean()) / y.std()
    brute = np.array([_dense_loo(phi, y_std, np.full(12, a)) for a in model.alpha_grid_])
    assert_allclose(model.cv_mse_, brute, rtol=1e-6)
    tied = np.flatnonzero(brute <= brute.min() * (1 + 1e-6))
    assert model.alpha_ == model.alpha_grid_[tied[-1]]


def test_leave_one_out_rows_are_a_fixed_subset_beyond_the_cap(monkeypatch):
    # beyond LOO_ROWS weighted rows the penalty is chosen on a seeded random subset of
    # them: an unbiased estimate of the leave-one-out error, the same on every fit
    import skgiant._readout as readout

    monkeypatch.setattr(readout, "LOO_ROWS", 25)
    X, y = _data(n=60)
    model = GiantStepRegressor(n_hidden=8, n_steps=0, linear_readout=False, random_state=0).fit(
        X, y
    )
    phi = _readout_features(model, X)
    y_std = (y - y.mean()) / y.std()
    rows = np.sort(np.random.default_rng(0).choice(60, 25, replace=False))
    centred = phi - phi.mean(axis=0)
    expected = []
    for a in model.alpha_grid_:
        hat = np.full((60, 60), 1 / 60) + centred @ np.linalg.solve(
            centred.T @ centred + 60 * a * np.eye(8), centred.T
        )
        resid = (y_std - hat @ y_std) / (1 - np.diag(hat))
        expected.append(np.mean(resid[rows] ** 2))
    assert_allclose(model.cv_mse_, expected, rtol=1e-6)


def test_pipeline_and_grid_search_over_user_hyperparameters():
    X, y = _data(n=200)
    pipe = make_pipeline(StandardScaler(), GiantStepRegressor(n_steps=1, random_state=0))
    grid = {
        "giantstepregressor__batch_size": [50, 150],
        "giantstepregressor__step_size": [0.0, 1.0],
        "giantstepregressor__n_hidden": [16, 64],
        "giantstepregressor__alpha": [1e-3, "auto"],
    }
    search = GridSearchCV(pipe, grid, cv=3).fit(X, y)
    scores = search.cv_results_["mean_test_score"]
    assert len(scores) == 16 and np.all(np.isfinite(scores))
    assert search.best_score_ == scores.max()
    assert (
        search.best_estimator_[-1].get_params()["n_hidden"]
        == search.best_params_["giantstepregressor__n_hidden"]
    )
    # the search finds a model clearly better than predicting the mean
    assert search.score(X, y) > 0.5


def test_single_index_alignment_rises_with_samples_and_step_beats_random_features():
    d, p = 64, 256
    align = []
    for ratio in (1, 4, 16):
        X, y, U = make_single_index(ratio * d, d, link="relu", random_state=1)
        model = GiantStepRegressor(
            n_hidden=p, n_steps=1, step_size=1.0, alpha=1e-3, random_state=0, **PAPER
        ).fit(X, y)
        align.append(rms(alignment(model, U)))
        # one giant step is a rank-one spike
        svals = model.history_[0].update_singular_values
        assert svals[0] > 3 * svals[1]
    assert align[0] < align[1] < align[2]
    assert align[0] > 2 / np.sqrt(d) and align[2] > 0.7
    X_test, y_test, _ = make_single_index(4000, d, link="relu", random_state=1)
    mse = {}
    for c in (0.0, 1.0):
        model = GiantStepRegressor(
            n_hidden=p, n_steps=1, step_size=c, alpha=1e-3, random_state=0, **PAPER
        ).fit(X, y)
        mse[c] = np.mean((model.predict(X_test) - y_test) ** 2)
    assert mse[1.0] < 0.5 * mse[0.0]


def test_staircase_second_step_learns_second_direction_but_not_for_control():
    d, p = 128, 256
    n = 4 * d
    curves = {}
    for target in ("T2", "T2prime"):
        X, y, U = make_multi_index(4 * n, d, target=target, random_state=2)
        # T2 = u / sqrt(2) + u v with u, v the sum and difference directions: one step
        # learns u; v is reachable from u (a staircase). In T2' v only enters as v**2.
        v_perp = (U[0] - U[1]) / np.sqrt(2)
        curve = []
        for steps in range(5):
            model = GiantStepRegressor(
                n_hidden=p,
                n_steps=steps,
                batch_size=n,
                step_size=1.0,
                alpha=1e-3,
                random_state=0,
                **PAPER,
            ).fit(X, y)
            assert model.n_iter_ == steps and all(r.fresh_batch for r in model.history_)
            curve.append(rms(alignment(model, v_perp)))
        curves[target] = curve
    t2, control = curves["T2"], curves["T2prime"]
    assert t2[1] < t2[2] < t2[3] < t2[4]
    assert t2[4] > 2 * control[4]
    assert control[4] < 2.5 / np.sqrt(d)


def test_chunk_size_does_not_change_the_result():
    X, y = _data(n=300)
    params = dict(n_hidden=40, n_steps=2, random_state=0)
    ref = GiantStepRegressor(**params).fit(X, y)
    with config_context(working_memory=0.01):  # a few rows per chunk
        small = GiantStepRegressor(**params).fit(X, y)
    assert small.step_size_ == ref.step_size_
    assert_allclose(small.network_.weights, ref.network_.weights, rtol=1e-9, atol=1e-12)
    pred = ref.predict(X)
    assert_allclose(small.predict(X), pred, rtol=1e-8, atol=1e-10 * np.abs(pred).max())


def test_deterministic_for_fixed_seed():
    X, y = _data()
    a = GiantStepRegressor(n_hidden=32, random_state=3).fit(X, y).predict(X)
    b = GiantStepRegressor(n_hidden=32, random_state=3).fit(X, y).predict(X)
    c = GiantStepRegressor(n_hidden=32, random_state=4).fit(X, y).predict(X)
    assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_float32_in_float32_out():
    X, y = _data()
    model = GiantStepRegressor(n_hidden=32, random_state=0)
    p64 = model.fit(X, y).predict(X)
    p32 = model.fit(X.astype(np.float32), y.astype(np.float32)).predict(X.astype(np.float32))
    assert p32.dtype == np.float32
    assert_allclose(p32, p64, rtol=1e-3, atol=1e-3)


def test_multi_output_readout_is_per_output():
    X, y = _data()
    Y = np.column_stack([y, 3 * X[:, 0] ** 2])
    params = dict(n_hidden=32, n_steps=0, alpha=0.01, random_state=0)
    both = GiantStepRegressor(**params).fit(X, Y).predict(X)
    assert both.shape == (len(y), 2)
    for k in range(2):
        single = GiantStepRegressor(**params).fit(X, Y[:, k]).predict(X)
        assert_allclose(both[:, k], single, rtol=1e-10)
    # multi-output steps run too, and predictions keep the 2-D shape
    stepped = GiantStepRegressor(n_hidden=32, n_steps=1, step_size=0.5, random_state=0)
    assert stepped.fit(X, Y).predict(X).shape == (len(y), 2)


@pytest.mark.parametrize("params", [dict(n_steps=0), dict(n_steps=1, step_size=0.7)])
def test_sample_weights_equal_dropping_and_repeating_rows(params):
    X, y = _data(n=60)
    w = np.random.default_rng(0).integers(0, 4, size=60)
    model = dict(n_hidden=24, random_state=0, **params)
    weighted = GiantStepRegressor(**model).fit(X, y, sample_weight=w)
    rep = np.repeat(np.arange(60), w)
    repeated = GiantStepRegressor(**model).fit(X[rep], y[rep])
    assert_allclose(weighted.predict(X), repeated.predict(X), rtol=1e-8, atol=1e-10)


def test_warm_start_continues_the_step_schedule():
    X, y = _data(n=400)
    params = dict(n_hidden=32, batch_size=100, step_size=0.5, random_state=0)
    two = GiantStepRegressor(n_steps=2, **params).fit(X, y)
    warm = GiantStepRegressor(n_steps=1, warm_start=True, **params).fit(X, y)
    assert warm.n_iter_ == 1
    warm.fit(X, y)
    assert warm.n_iter_ == 2 and len(warm.loss_curve_) == 2
    assert_allclose(warm.network_.weights, two.network_.weights, rtol=1e-10)
    assert_allclose(warm.predict(X), two.predict(X), rtol=1e-8)


def test_warm_start_uses_a_step_size_given_after_a_no_step_fit():
    X, y = _data(n=300)
    model = GiantStepRegressor(n_hidden=32, n_steps=0, step_size=1.0, random_state=0).fit(X, y)
    assert model.step_size_ == 0.0 and model.n_iter_ == 0
    model.set_params(n_steps=1, warm_start=True).fit(X, y)
    assert model.n_iter_ == 1 and model.step_size_ == 1.0
    cold = GiantStepRegressor(n_hidden=32, n_steps=1, step_size=1.0, random_state=0).fit(X, y)
    assert_allclose(model.network_.weights, cold.network_.weights, rtol=1e-10)


def _manual_step(X, R, W, b, a, c):
    """One giant step following residuals ``R`` with second layer ``a`` (plain numpy)."""
    n, d = X.shape
    p = W.shape[0]
    z = X @ W.T + b
    back = (R @ a.T) * (z > 0)
    eta = c * p * np.sqrt(n / d)
    return W + eta * back.T @ X / (n * np.sqrt(p)), b + eta * back.sum(axis=0) / (n * np.sqrt(p))


def test_refit_second_layer_follows_the_ridge_readout_of_the_previous_step():
    # Two steps built by hand: the first follows the frozen random signs, the second the
    # scikit-learn Ridge readout of the features after the first (its hidden coefficients
    # rescaled to the signs' root mean square, its residuals as labels).
    X_raw, y = _data(n=200)
    X_raw = 5.0 + 3.0 * X_raw  # unscaled inputs: the estimator standardizes them itself
    X = (X_raw - X_raw.mean(axis=0)) / X_raw.std(axis=0)
    y = 3.0 + 2.0 * y
    c, alpha, p = 0.7, 1e-2, 16
    params = dict(n_hidden=p, step_size=c, alpha=alpha, remove_linear=False, random_state=0)
    init = GiantStepRegressor(n_steps=0, **params).fit(X_raw, y)
    W, b, a = init.network_.weights, init.network_.bias, init.initial_signs_
    Yt = ((y - y.mean()) / y.std())[:, None]
    W, b = _manual_step(X, Yt - np.maximum(X @ W.T + b, 0) @ a / np.sqrt(p), W, b, a, c)
    phi = np.hstack([np.maximum(X @ W.T + b, 0) / np.sqrt(p), X / np.sqrt(X.shape[1])])
    ridge = Ridge(alpha=alpha * len(y)).fit(phi, Yt)
    beta = ridge.coef_.ravel()[:p]
    a2 = (beta / (np.sqrt(np.mean(beta**2)) * np.sqrt(p)))[:, None]
    resid = Yt - ridge.predict(phi).reshape(-1, 1)
    W, b = _manual_step(X, resid, W, b, a2, c)
    model = GiantStepRegressor(n_steps=2, **params).fit(X_raw, y)
    assert model.n_iter_ == 2 and model.batch_size_ == len(y)
    assert_allclose(model.network_.weights, W, rtol=1e-8, atol=1e-10)
    assert_allclose(model.network_.bias, b, rtol=1e-8, atol=1e-10)
    # the recorded loss of step 2 is that of the readout it follows
    assert_allclose(model.loss_curve_[1], 0.5 * np.mean(resid**2), rtol=1e-8)


def test_auto_selection_chooses_the_number_of_steps_on_held_out_rows():
    X, y = _data(n=400)
    model = GiantStepRegressor(n_hidden=32, n_steps=2, random_state=0).fit(X, y)
    scores = model.selection_scores_
    assert (0.0, 0) in scores
    assert set(scores) == {(0.0, 0)} | {
        (float(c), t) for c in (0.0, 0.5, 1.0, 2.0, 4.0, 8.0) if c > 0 for t in (1, 2)
    }
    chosen = model.selected_step_
    assert chosen in scores and chosen[1] == model.n_iter_
    # carried to the full batch (all 400 rows) from the selection's (the 80% not held
    # out) so that the rows move as far: c * sqrt(0.8)
    assert model.step_size_ == pytest.approx(chosen[0] * np.sqrt(0.8), rel=1e-12)
    # the choice is at least as simple as the best candidate (fewer steps, or as many
    # and a step size no larger), and no worse than it by more than its score spread
    best = min(scores, key=scores.get)
    assert (chosen[1], chosen[0]) <= (best[1], best[0])
    assert model.step_size_scores_ == {
        c: min(v for (cc, _), v in scores.items() if cc == c)
        for c in (0.0, 0.5, 1.0, 2.0, 4.0, 8.0)
    }


# refit: every step on all rows; frozen: fresh batches (a fixed size, so that one step
# and then another take the same batches as two steps at once)
@pytest.mark.parametrize("second_layer, batch_size", [("refit", "auto"), ("frozen", 150)])
def test_warm_start_continues_the_steps_of_a_cold_fit(second_layer, batch_size):
    X, y = _data(n=300)
    params = dict(
        n_hidden=32,
        step_size=1.0,
        batch_size=batch_size,
        second_layer=second_layer,
        random_state=0,
    )
    model = GiantStepRegressor(n_steps=1, warm_start=True, **params).fit(X, y)
    model.fit(X, y)  # one more step
    cold = GiantStepRegressor(n_steps=2, **params).fit(X, y)
    assert model.n_iter_ == cold.n_iter_ == 2
    assert_allclose(model.network_.weights, cold.network_.weights, rtol=1e-10)
    assert_allclose(model.predict(X), cold.predict(X), rtol=1e-8)


def test_n_steps_zero_is_step_size_zero():
    X, y = _data()
    a = GiantStepRegressor(n_hidden=32, n_steps=0, random_state=0).fit(X, y)
    b = GiantStepRegressor(n_hidden=32, n_steps=3, step_size=0.0, random_state=0).fit(X, y)
    assert a.n_iter_ == 0 and b.n_iter_ == 0
    assert_allclose(a.predict(X), b.predict(X))


def test_auto_step_size_keeps_random_features_on_pure_noise():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 5))
    y = rng.normal(size=300)  # nothing to learn: a step can only overfit
    model = GiantStepRegressor(n_hidden=64, random_state=0).fit(X, y)
    assert model.step_size_ == 0.0
    assert set(model.step_size_scores_) == {0.0, 0.5, 1.0, 2.0, 4.0, 8.0}


def test_auto_step_size_takes_a_step_where_there_is_structure():
    X, y, _ = make_multi_index(4000, 32, target="T1", noise=0.1, random_state=0)
    train, test = slice(0, 2000), slice(2000, None)
    model = GiantStepRegressor(n_hidden=128, random_state=0).fit(X[train], y[train])
    assert model.step_size_ > 0
    chosen = model.selected_step_[0]
    assert model.step_size_scores_[chosen] < 0.7 * model.step_size_scores_[0.0]
    random_features = GiantStepRegressor(n_hidden=128, n_steps=0, random_state=0)
    gain = model.score(X[test], y[test]) - random_features.fit(X[train], y[train]).score(
        X[test], y[test]
    )
    assert gain > 0.1


def test_verbose_prints_progress(capsys):
    X, y = _data()
    GiantStepRegressor(n_hidden=16, n_steps=2, step_size=0.5, verbose=2).fit(X, y)
    out = capsys.readouterr().out
    assert "step 1" in out and "step 2" in out and "loss=" in out


def test_divergent_step_size_warns_and_stays_finite():
    X, y = _data()
    model = GiantStepRegressor(n_hidden=16, n_steps=3, step_size=1e12, random_state=0)
    with pytest.warns(ConvergenceWarning, match="diverged"):
        model.fit(X, y)
    assert model.n_iter_ < 3
    assert np.all(np.isfinite(model.predict(X)))


def test_bad_step_size_grid():
    X, y = _data()
    with pytest.raises(ValueError, match="step_size_grid"):
        GiantStepRegressor(solver_options={"step_size_grid": [0.5, -1.0]}).fit(X, y)
    with pytest.raises(ValueError, match="step_size_grid"):
        GiantStepRegressor(solver_options={"step_size_grid": []}).fit(X, y)
    # the grid reaches the selection
    model = GiantStepRegressor(
        n_hidden=16, solver_options={"step_size_grid": [0.0, 0.3]}, random_state=0
    ).fit(X, y)
    assert set(model.step_size_scores_) == {0.0, 0.3}


def test_feature_names_are_kept_and_checked():
    import pandas as pd  # a test dependency: fail loudly if missing

    X, y = _data()
    df = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    model = GiantStepRegressor(n_hidden=16, random_state=0).fit(df, y)
    assert list(model.feature_names_in_) == ["a", "b", "c", "d"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.predict(df)
    with pytest.raises(ValueError, match="feature names"):
        model.predict(df.rename(columns={"a": "z"}))


def test_too_wide_for_memory_is_refused_before_allocating():
    X, y = _data(n=20)
    with pytest.raises(MemoryError, match="GiB.*Lower n_hidden"):
        GiantStepRegressor(n_hidden=2_000_000).fit(X, y)


def test_the_reported_step_size_refits_the_same_first_layer():
    # step_size_ is the constant of the final fit (the selected one carried to the full
    # batch): passing it back, with the chosen number of steps, gives the same layer
    X, y = _data(n=300)
    auto = GiantStepRegressor(n_hidden=32, random_state=0).fit(X, y)
    assert auto.step_size_ > 0
    fixed = GiantStepRegressor(
        n_hidden=32, step_size=auto.step_size_, n_steps=auto.n_iter_, random_state=0
    ).fit(X, y)
    assert_allclose(fixed.network_.weights, auto.network_.weights, rtol=1e-12)
    assert_allclose(fixed.network_.bias, auto.network_.bias, rtol=1e-12)
