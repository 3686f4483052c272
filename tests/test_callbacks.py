"""scikit-learn 1.9 callbacks: progress per giant step / alternating iteration, early stop."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.callback import ScoringMonitor
from sklearn.exceptions import ConvergenceWarning

from skgiant import AlternatingOLSReLURegressor, GiantStepRegressor


def _data(n=300, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    return X, np.sin(X[:, 0]) + X[:, 1] ** 2 + 0.1 * rng.normal(size=n)


class StopAfter:
    """A FitCallback that asks to stop at the end of the k-th subtask."""

    def __init__(self, k):
        self.k = k

    def setup(self, estimator, context):
        self.ended = 0

    def teardown(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context, *, X=None):
        pass

    def on_fit_task_end(self, estimator, context, *, X=None):
        # X is None only for the subtask begun after the last iteration, which never ran
        if context.task_name in ("giant-step", "iteration") and X is not None:
            self.ended += 1
            return self.ended >= self.k
        return False


def _scores(monitor, task):
    return [row["r2"] for row in monitor.get_logs().data if row["task_name"] == task]


def test_scoring_monitor_sees_the_model_after_every_giant_step():
    X, y = _data()
    params = dict(n_hidden=32, batch_size=100, step_size=0.5, random_state=0)
    monitor = ScoringMonitor(scoring="r2")
    model = GiantStepRegressor(n_steps=3, **params).set_callbacks(monitor).fit(X, y)
    per_step = _scores(monitor, "giant-step")
    assert len(per_step) == 3
    # the model reported after step k is the model fitted with n_steps=k
    for k, score in enumerate(per_step, start=1):
        cold = GiantStepRegressor(n_steps=k, **params).fit(X, y)
        assert score == pytest.approx(cold.score(X, y), rel=1e-10)
    assert _scores(monitor, "readout") == [pytest.approx(model.score(X, y), rel=1e-12)]


def test_scoring_monitor_sees_every_alternating_iterate():
    X, y = _data()
    monitor = ScoringMonitor(scoring="r2")
    params = dict(n_hidden=8, tol=0.0, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = AlternatingOLSReLURegressor(max_iter=4, **params).set_callbacks(monitor).fit(X, y)
        per_iter = _scores(monitor, "iteration")
        assert len(per_iter) == model.n_iter_ + 1  # the initialization, then each iteration
        for k, score in enumerate(per_iter):
            cold = AlternatingOLSReLURegressor(max_iter=k, **params).fit(X, y)
            assert score == pytest.approx(cold.score(X, y), rel=1e-9)
    assert_allclose(per_iter[-1], model.score(X, y), rtol=1e-12)


def test_a_callback_can_stop_the_giant_steps():
    X, y = _data()
    model = GiantStepRegressor(n_hidden=32, n_steps=4, batch_size=50, step_size=0.5)
    model.set_callbacks(StopAfter(2)).fit(X, y)
    assert model.n_iter_ == 2 and len(model.loss_curve_) == 2
    assert np.all(np.isfinite(model.predict(X)))


def test_a_callback_can_stop_the_alternating_iterations():
    X, y = _data()
    model = AlternatingOLSReLURegressor(n_hidden=8, max_iter=30, tol=0.0, random_state=0)
    model.set_callbacks(StopAfter(3)).fit(X, y)  # the initialization counts as the first
    assert model.stop_reason_ == "callback" and model.n_iter_ == 2
    assert np.all(np.isfinite(model.predict(X)))
