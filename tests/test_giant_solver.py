"""The giant-step solver layer: passes over the data, selection pieces, configuration."""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.linear_model import Ridge

import skgiant._giant_base as giant_base
from skgiant import GiantStepRegressor
from skgiant._blocks import RowData
from skgiant._giant import init_first_layer
from skgiant._giant_solver import (
    SOLVER_OPTIONS,
    FirstLayer,
    GiantStepConfig,
    first_pass,
    linear_fit,
    linear_fit_rows,
    reduced_first_layer,
    selection_folds,
    transfer_step_size,
)


@pytest.fixture
def counted(monkeypatch):
    """The row data of the next fit, whose ``passes`` count its reads of the rows."""
    created = []

    class Counting(RowData):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            created.append(self)

    monkeypatch.setattr(giant_base, "RowData", Counting)
    return created


def _data(n=3000, d=6, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) * 3.0 + 1.0
    y = np.sin(X[:, 0]) + 0.3 * X[:, 1] * X[:, 2] + 0.1 * rng.normal(size=n)
    return X, y


@pytest.mark.parametrize(
    "params, passes",
    [
        ({}, 3),  # moments + sample; the step's gradient; the readout
        ({"n_steps": 2, "step_size": 1.0}, 5),  # each further step: gradient + readout
        ({"n_steps": 3, "step_size": 1.0}, 7),
        ({"n_steps": 0}, 2),  # random features: moments, readout
        ({"step_size": 0.0}, 2),
        # frozen signs: no readout between the steps
        ({"n_steps": 2, "step_size": 1.0, "second_layer": "frozen"}, 4),
        ({"alpha": 1e-3, "step_size": 1.0}, 3),
    ],
)
def test_fit_reads_the_rows_a_fixed_number_of_times(counted, params, passes):
    X, y = _data()
    GiantStepRegressor(n_hidden=64, random_state=0, **params).fit(X, y)
    assert counted[0].n == len(X)
    assert counted[0].passes == passes


def test_warm_start_continuation_adds_one_readout_then_two_passes_per_step(counted):
    X, y = _data()
    model = GiantStepRegressor(n_hidden=64, step_size=1.0, warm_start=True, random_state=0)
    model.fit(X, y)
    assert counted[-1].passes == 3
    model.fit(X, y)
    # moments, the readout the continued step follows, gradient, readout
    assert counted[-1].passes == 4


def test_transfer_step_size_keeps_the_selection_move():
    data = RowData(np.zeros((400, 2)), np.zeros((400, 1)), np.full(400, 0.5))
    config = GiantStepConfig()
    # full batch of weight 200 against a selection batch of weight 50: half the constant
    assert transfer_step_size(2.0, 50.0, data, config) == pytest.approx(2.0 * np.sqrt(50 / 200))
    # never larger than the selected constant, and untouched outside the giant convention
    assert transfer_step_size(2.0, 800.0, data, config) == 2.0
    width = GiantStepConfig(learning_rate_scaling="width")
    assert transfer_step_size(2.0, 50.0, data, width) == 2.0


@pytest.mark.parametrize("n, fraction", [(100, 0.2), (2000, 0.2), (37, 0.5), (5, 0.2)])
def test_selection_folds_are_disjoint_and_score_about_the_target_rows(n, fraction):
    config = GiantStepConfig(selection_fraction=fraction)
    folds = selection_folds(n, config, seed=3)
    size = max(1, min(int(np.ceil(fraction * n)), n - 1))
    assert all(len(f) == size for f in folds)
    together = np.concatenate(folds)
    assert len(np.unique(together)) == len(together)  # disjoint
    assert len(folds) == max(1, min(n // size, int(np.ceil(1000 / size)), 5))


def test_reduced_first_layer_keeps_sign_pairs_and_the_mean_field_scale():
    rng = np.random.default_rng(0)
    W, b, a = init_first_layer(rng, 5, 512, 1, bias_scale=1.0, symmetric=True)
    small = reduced_first_layer(FirstLayer(W, b, a, None, 0), GiantStepConfig())
    assert small.W.shape == (128, 5)
    half = 64
    assert_allclose(small.W[:half], small.W[half:])  # the +/- pairs stay together
    assert_allclose(small.a[:half], -small.a[half:])
    # the signs are rescaled so that sum_j a_j act(.) keeps its size: rms 1/sqrt(128)
    assert_allclose(np.sqrt(np.mean(small.a**2)), 1 / np.sqrt(128))


def test_linear_fit_from_moments_is_ridge_on_the_standardized_inputs():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(700, 4)) * [1.0, 5.0, 0.1, 2.0] + [0.0, 10.0, -3.0, 1.0]
    y = X @ [1.0, -0.2, 4.0, 0.5] + rng.normal(size=700)
    w = rng.uniform(0.5, 2.0, size=700)
    raw = RowData(X, y[:, None], w, chunk=64)
    rows = linear_fit_rows(raw.weights, 4)
    first = first_pass(raw, rows, cross=True)
    mean, scale = first.moments.mean_and_scale()
    sample = first.subset(rows, mean[:4], scale[:4], mean[4:], scale[4:])
    stats = first.moments.gram_statistics(4, w.sum(), shift=mean, scale=scale)
    fit = linear_fit(stats, (sample.X, sample.Y, sample.weights.array()))
    Xs, ys = (X - mean[:4]) / scale[:4], (y - mean[4]) / scale[4]
    ref = Ridge(alpha=fit.alpha * w.sum()).fit(Xs, ys, sample_weight=w)
    assert_allclose(fit.coef.ravel(), ref.coef_, rtol=1e-8)
    assert_allclose(fit.intercept, ref.intercept_, atol=1e-10)
    assert raw.passes == 1


def test_solver_options_are_validated_and_reach_the_config():
    X, y = _data(n=200)
    with pytest.raises(ValueError, match="Unknown solver_options.*valid keys"):
        GiantStepRegressor(solver_options={"learning_rate": 1.0}).fit(X, y)
    with pytest.raises(ValueError, match="random_fraction"):
        GiantStepRegressor(solver_options={"random_fraction": 2.0}).fit(X, y)
    model = GiantStepRegressor(n_hidden=16, step_size=1.0, solver_options={"max_row_move": 1e-9})
    model.fit(X, y)
    assert model.history_[0].rows_capped > 0  # the cap reached the solver
    assert set(SOLVER_OPTIONS) >= {"random_fraction", "max_row_move", "normalize_rows"}


def test_a_monitor_that_asks_to_stop_ends_the_steps():
    from skgiant._giant_solver import Monitor, fit_giant_steps

    class StopAfterFirst(Monitor):
        def end(self, model):
            W, b, readout = model()  # the model of this moment is available
            assert readout.beta.shape[0] == W.shape[0] + W.shape[1]  # hidden + linear
            return True

    X, y = _data(n=300)
    data = RowData(X, y[:, None], np.ones(300)).standardized(
        X.mean(0), X.std(0), np.array([y.mean()]), np.array([y.std()])
    )
    rng = np.random.default_rng(0)
    W, b, a = init_first_layer(rng, 6, 32, 1, bias_scale=1.0, symmetric=True)
    config = GiantStepConfig(n_steps=3, step_size=1.0, remove_linear=False)
    result = fit_giant_steps(data, config, FirstLayer(W, b, a, None, 0), monitor=StopAfterFirst())
    assert len(result.history) == 1


def test_a_final_readout_replaces_the_ridge_readout_of_the_model():
    from skgiant._giant_solver import fit_giant_steps

    X, y = _data(n=300)
    data = RowData(X, y[:, None], np.ones(300)).standardized(
        X.mean(0), X.std(0), np.array([y.mean()]), np.array([y.std()])
    )
    rng = np.random.default_rng(0)
    W, b, a = init_first_layer(rng, 6, 32, 1, bias_scale=1.0, symmetric=True)
    seen = []

    def final(rows, W_final, b_final):
        seen.append((rows, W_final))
        return "the classifier's readout"

    config = GiantStepConfig(n_steps=1, step_size=1.0, remove_linear=False)
    result = fit_giant_steps(data, config, FirstLayer(W, b, a, None, 0), final_readout=final)
    assert result.readout == "the classifier's readout"
    assert seen[0][0] is data and not np.allclose(seen[0][1], W)  # after the step
    assert data.passes == 1  # the gradient only: the hook reads the rows itself


def test_linear_penalty_ratio_gives_the_linear_term_its_own_fixed_penalty():
    X, y = _data(n=400)
    alpha, ratio = 1e-2, 1e-3
    model = GiantStepRegressor(
        n_hidden=32, n_steps=0, alpha=alpha, random_state=0,
        solver_options={"linear_penalty_ratio": ratio},
    ).fit(X, y)  # fmt: skip
    assert model.alpha_linear_ == pytest.approx(alpha * ratio)
    net = model.network_
    Z = net.inputs(X)
    phi = np.hstack([net.hidden_of_inputs(Z), Z / np.sqrt(Z.shape[1])])
    # Ridge with per-block penalties: scale the linear block by 1 / sqrt(ratio)
    scaled = phi.copy()
    scaled[:, 32:] /= np.sqrt(ratio)
    ys = (y - y.mean()) / y.std()
    ref = Ridge(alpha=alpha * len(y)).fit(scaled, ys)
    assert_allclose(model.predict(X), (ref.predict(scaled)) * y.std() + y.mean(), rtol=1e-7)
