"""Tests of AlternatingOLSReLURegressor: scikit-learn citizenship and safeguards."""

import warnings

import numpy as np
import pytest
import sklearn
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LinearRegression

from skgiant import AlternatingOLSReLURegressor
from skgiant._alternating import IterationRecord
from skgiant._alternating_regressor import PUBLISHED_PARAMS
from skgiant._ridge import LinAlgConditionWarning


def _data(n=120, d=3, m=None, seed=0, noise=0.2):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    f = np.sin(2 * X[:, 0]) * X[:, 1] + np.abs(X[:, 2 % d])
    if m is not None:
        f = np.column_stack([f, X[:, 0] ** 2][:m])
    y = f + noise * rng.normal(size=f.shape)
    return X, y


def test_learns_a_nonlinear_function_beyond_linear_and_random_features():
    X, y = _data(n=400)
    X_test, y_test = _data(n=400, seed=1)
    model = AlternatingOLSReLURegressor(random_state=0).fit(X, y)
    rf = AlternatingOLSReLURegressor(max_iter=0, random_state=0).fit(X, y)
    linear = LinearRegression().fit(X, y).score(X_test, y_test)
    assert model.score(X_test, y_test) > max(rf.score(X_test, y_test), linear) + 0.1
    assert model.n_iter_ == len(model.loss_curve_) - 1 == len(model.history_) - 1


def test_default_loss_is_monotone_where_published_recipe_oscillates():
    X, y = _data(n=150, d=4, noise=0.5, seed=4)
    published = AlternatingOLSReLURegressor(
        **{**PUBLISHED_PARAMS, "n_hidden": 16}, alpha=1e-3 / len(y), random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        published.fit(X, y)
    assert np.any(np.diff(published.loss_curve_) > 0)
    safe = AlternatingOLSReLURegressor(n_hidden=16, max_iter=30, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        safe.fit(X, y)
    assert np.all(np.diff(safe.loss_curve_) <= 0)
    assert safe.loss_curve_[-1] < safe.loss_curve_[0]
    # the recorded loss is the true penalized loss of the returned model: recompute it
    Xs = (X - X.mean(0)) / X.std(0)
    ys = (y - y.mean()) / y.std()
    net = safe.network_
    W = np.column_stack([net.weights, net.bias])  # the network acts on standardized inputs
    assert_allclose(net.inputs(X), Xs, rtol=1e-12, atol=1e-12)
    beta = net.coef / y.std()
    resid = ys - (
        np.maximum(Xs @ W[:, :-1].T + W[:, -1], 0) @ beta[:, 0]
        + net.intercept[0] / y.std()
        - y.mean() / y.std()
    )
    loss = np.mean(resid**2) + safe.alpha_ * (np.sum(W**2) + np.sum(beta**2))
    assert_allclose(loss, safe.loss_curve_[-1], rtol=1e-8)


def test_results_are_invariant_to_chunk_size():
    X, y = _data(n=200)
    kwargs = dict(n_hidden=8, max_iter=5, tol=0.0, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ref = AlternatingOLSReLURegressor(**kwargs).fit(X, y).predict(X)
        with sklearn.config_context(working_memory=0.002):  # a few rows per chunk
            small = AlternatingOLSReLURegressor(**kwargs).fit(X, y).predict(X)
    assert_allclose(small, ref, rtol=1e-8, atol=1e-10)


def test_sample_weights_equal_row_repetition():
    X, y = _data(n=60, m=2)
    weights = np.random.default_rng(0).integers(0, 4, size=len(y))
    kwargs = dict(n_hidden=8, max_iter=8, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        weighted = AlternatingOLSReLURegressor(**kwargs).fit(X, y, sample_weight=weights)
        repeated = AlternatingOLSReLURegressor(**kwargs).fit(
            np.repeat(X, weights, axis=0), np.repeat(y, weights, axis=0)
        )
    assert_allclose(weighted.predict(X), repeated.predict(X), rtol=1e-7, atol=1e-9)


def test_float32_and_multioutput():
    X, y = _data(n=100, m=2)
    model = AlternatingOLSReLURegressor(n_hidden=8, max_iter=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        pred32 = model.fit(X.astype(np.float32), y).predict(X.astype(np.float32))
        pred64 = model.fit(X, y).predict(X)
    assert pred32.dtype == np.float32 and pred32.shape == (100, 2)
    assert_allclose(pred32, pred64, rtol=1e-3, atol=1e-3)


def test_deterministic_given_random_state():
    X, y = _data()
    a = AlternatingOLSReLURegressor(random_state=3).fit(X, y).predict(X)
    b = AlternatingOLSReLURegressor(random_state=3).fit(X, y).predict(X)
    assert_array_equal(a, b)


def test_convergence_warning_only_when_still_improving():
    X, y = _data()
    with pytest.warns(ConvergenceWarning, match="max_iter=2"):
        AlternatingOLSReLURegressor(max_iter=2, random_state=0).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model = AlternatingOLSReLURegressor(max_iter=200, tol=1e-3, random_state=0).fit(X, y)
    assert model.n_iter_ < 200 and model.stop_reason_ in ("tol", "no_decrease")


def test_early_stopping_keeps_best_iterate():
    X, y = _data(n=300, noise=0.5)
    model = AlternatingOLSReLURegressor(
        n_hidden=32, max_iter=40, early_stopping=True, n_iter_no_change=3, random_state=0
    ).fit(X, y)
    scores = model.validation_scores_
    assert model.best_iter_ == int(np.nanargmin(scores))
    assert model.n_iter_ <= 40


@pytest.mark.parametrize("solver", ["dense", "cg"])
def test_batch_size_runs_monotone(solver):
    X, y = _data(n=300)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = AlternatingOLSReLURegressor(
            n_hidden=8, batch_size=50, max_iter=10, solver=solver, random_state=0
        ).fit(X, y)
    assert np.all(np.diff(model.loss_curve_) <= 0)
    assert model.loss_curve_[-1] < model.loss_curve_[0]


def test_verbose_prints_diagnostics(capsys):
    X, y = _data(n=50)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        AlternatingOLSReLURegressor(n_hidden=4, max_iter=2, verbose=1).fit(X, y)
    out = capsys.readouterr().out
    assert "iter   1" in out and "flips" in out and "surrogate" in out


def test_numerical_trouble_gives_finite_model():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 1))
    X = np.hstack([x, x, x * 1e8])  # collinear, badly scaled
    y = 1e12 * np.sin(x[:, 0])
    model = AlternatingOLSReLURegressor(
        **{**PUBLISHED_PARAMS, "n_hidden": 16, "max_iter": 5}, alpha=0.0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", LinAlgConditionWarning)
        model.fit(X, y)
    assert np.all(np.isfinite(model.predict(X)))


@pytest.mark.parametrize(
    ("X", "y", "match"),
    [
        (np.array([[0.0, np.nan], [1.0, 2.0], [3.0, 4.0]]), np.ones(3), "NaN"),
        (np.ones((3, 2)), np.array([1.0, np.inf, 2.0]), "infinity"),
        (np.ones((1, 2)), np.ones(1), "1 sample"),
        (np.ones((3, 2)), np.ones(4), "inconsistent numbers of samples"),
    ],
)
def test_bad_input_raises_value_error(X, y, match):
    with pytest.raises(ValueError, match=match):
        AlternatingOLSReLURegressor().fit(X, y)


def test_predict_rejects_wrong_number_of_features():
    X, y = _data(n=40)
    model = AlternatingOLSReLURegressor(n_hidden=4, max_iter=1).fit(X, y)
    with pytest.raises(ValueError, match="features"):
        model.predict(X[:, :2])


def test_auto_penalty_of_the_trained_network_on_few_rows():
    # few rows per first-layer parameter: the penalty is refined on cross-fitted folds
    # (a warm-started path over multiples of the initial choice); another penalty is
    # kept only if it beats the initial choice, so its cross-fitted error is lower
    X, y = _data(n=80)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = AlternatingOLSReLURegressor(n_hidden=8, max_iter=6, random_state=0).fit(X, y)
    scores = model.alpha_scores_
    assert scores is not None and model.alpha_ in scores
    initial = sorted(scores)[1]  # the factors are 0.1, 1 and 10 times the initial choice
    assert_allclose(sorted(scores), [initial * 0.1, initial, initial * 10.0], rtol=1e-12)
    assert scores[model.alpha_] <= scores[initial]


def test_no_penalty_path_with_many_rows_per_parameter():
    X, y = _data(n=400)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = AlternatingOLSReLURegressor(n_hidden=2, max_iter=3, random_state=0).fit(X, y)
    assert model.alpha_scores_ is None  # 400 rows >= 3 * 2 * (d + 1) parameters


def test_content_folds_keep_equal_rows_together_and_skip_zero_weights():
    from skgiant._alternating import Problem, content_folds

    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 3))
    X = np.vstack([X, X[:10], X[:10]])  # rows 0..9 appear three times
    w = np.ones(len(X))
    w[20:25] = 0.0
    problem = Problem.from_arrays(X, rng.normal(size=(len(X), 1)), w)
    folds = content_folds(problem, 3, np.random.default_rng(1))
    fold_of = {}
    for j, fold in enumerate(folds):
        for i in fold:
            fold_of[i] = j
    assert sorted(fold_of) == sorted(np.flatnonzero(w > 0))  # each weighted row once
    for i in range(10):
        assert fold_of[i] == fold_of[50 + i] == fold_of[60 + i]
    assert min(len(f) for f in folds) > 5  # roughly balanced


def test_no_penalty_path_with_the_matrix_free_solve():
    # few rows, but a matrix-free hidden-layer solve: the extra fits would be costly
    X, y = _data(n=80)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = AlternatingOLSReLURegressor(
            n_hidden=8, max_iter=3, solver="cg", random_state=0
        ).fit(X, y)
    assert model.alpha_scores_ is None


def test_auto_batch_size_is_all_rows_up_to_the_cap_and_the_cap_beyond(monkeypatch):
    import skgiant._alternating_base as module  # the fit steps shared with the classifier

    monkeypatch.setattr(module, "AUTO_BATCH_ROWS", 50)
    X, y = _data(n=120)
    kwargs = dict(n_hidden=4, max_iter=4, alpha=0.01, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        auto = AlternatingOLSReLURegressor(**kwargs).fit(X, y)
        capped = AlternatingOLSReLURegressor(batch_size=50, **kwargs).fit(X, y)
        full = AlternatingOLSReLURegressor(batch_size=None, **kwargs).fit(X, y)
        small_auto = AlternatingOLSReLURegressor(**kwargs).fit(X[:50], y[:50])
        small_full = AlternatingOLSReLURegressor(batch_size=None, **kwargs).fit(X[:50], y[:50])
    assert_allclose(auto.predict(X), capped.predict(X), rtol=1e-12)
    assert not np.allclose(auto.predict(X), full.predict(X))
    assert_allclose(small_auto.predict(X), small_full.predict(X), rtol=1e-12)


def test_solver_options_reach_the_solver_and_are_validated():
    X, y = _data(n=200, d=3, seed=2)
    # the message lists the valid keys
    with pytest.raises(ValueError, match=r"\['init_scale', 'inner_tol'"):
        AlternatingOLSReLURegressor(solver_options={"max_inner_iterations": 3}).fit(X, y)
    for bad in ({"max_inner_iter": 0}, {"inner_tol": 1.0}, {"rebalance": "yes"}):
        with pytest.raises(ValueError, match=list(bad)[0]):
            AlternatingOLSReLURegressor(solver_options=bad).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = AlternatingOLSReLURegressor(
            n_hidden=8, max_iter=3, solver="cg", solver_options={"max_inner_iter": 2},
            random_state=0,
        ).fit(X, y)  # fmt: skip
    assert all(isinstance(record, IterationRecord) for record in model.history_)
    assert [record.iter for record in model.history_] == list(range(model.n_iter_ + 1))
    assert max(record.inner_iter for record in model.history_) == 2
    assert_array_equal(model.loss_curve_, [record.loss for record in model.history_])


def test_published_params_are_the_published_recipe():
    # Barbu (2023): 64 units, 30 undamped iterations from N(0, 1) weights, no safeguards
    model = AlternatingOLSReLURegressor(**PUBLISHED_PARAMS, alpha=1e-3 / 100)
    assert model.get_params()["step_fraction"] == 1.0
    assert (model.n_hidden, model.max_iter) == (64, 30)
    assert model.solver_options == {
        "init_scale": "standard",
        "rebalance": False,
        "revive_dead_units": False,
    }
