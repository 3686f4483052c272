"""TrainingHistoryDisplay and AlignmentDisplay."""

import sys

import matplotlib
import numpy as np
import pytest
from sklearn.datasets import make_friedman1
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skgiant import (
    AlignmentDisplay,
    AlternatingOLSReLURegressor,
    GiantStepFeatures,
    GiantStepRegressor,
    TrainingHistoryDisplay,
)
from skgiant.datasets import make_multi_index

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def friedman():
    return make_friedman1(n_samples=300, random_state=0)


def test_history_of_giant_steps(friedman):
    X, y = friedman
    model = GiantStepRegressor(n_hidden=32, n_steps=3, step_size=0.5, random_state=0).fit(X, y)
    display = TrainingHistoryDisplay.from_estimator(model)
    assert display.iterations.tolist() == [1, 2, 3]
    np.testing.assert_array_equal(display.line_.get_ydata(), model.loss_curve_)
    np.testing.assert_array_equal(display.loss, [record.batch_loss for record in model.history_])
    assert display.validation_line_ is None
    assert "step" in display.ax_.get_xlabel()
    assert display.figure_ is display.ax_.figure


def test_history_of_alternating_fit_with_validation(friedman):
    X, y = friedman
    model = AlternatingOLSReLURegressor(
        n_hidden=4, max_iter=4, tol=0.0, early_stopping=True, random_state=0
    )
    pipe = make_pipeline(StandardScaler(), model).fit(X, y)
    _, ax = plt.subplots()
    display = TrainingHistoryDisplay.from_estimator(pipe, ax=ax, name="ALS", color="C3")
    assert display.ax_ is ax
    assert display.iterations.tolist() == list(range(model.n_iter_ + 1))
    np.testing.assert_array_equal(display.loss, model.loss_curve_)
    np.testing.assert_array_equal(display.validation_line_.get_ydata(), model.validation_scores_)
    assert display.line_.get_label() == "ALS (train)"
    assert display.line_.get_color() == "C3"


def test_history_of_features_and_of_no_step(friedman):
    X, y = friedman
    features = GiantStepFeatures(n_hidden=16, n_steps=2, step_size=0.5, random_state=0).fit(X, y)
    display = TrainingHistoryDisplay.from_estimator(features)
    np.testing.assert_array_equal(display.loss, features.regressor_.loss_curve_)
    no_step = GiantStepRegressor(n_hidden=16, n_steps=0, random_state=0).fit(X, y)
    display = TrainingHistoryDisplay.from_estimator(no_step)
    assert display.loss.size == 0
    assert "no step" in display.ax_.texts[0].get_text()


def test_history_rejects_other_estimators(friedman):
    X, y = friedman
    with pytest.raises(ValueError, match="TrainingHistoryDisplay needs"):
        TrainingHistoryDisplay.from_estimator(Ridge().fit(X, y))
    with pytest.raises(ValueError, match="Fit it first"):
        TrainingHistoryDisplay.from_estimator(GiantStepRegressor())


def test_alignment_display_matches_diagnostics():
    X, y, directions = make_multi_index(2000, 16, target="T1", random_state=0)
    model = GiantStepRegressor(n_hidden=64, n_steps=1, step_size=1.0, random_state=0).fit(X, y)
    display = AlignmentDisplay.from_estimator(model, directions, direction_labels=["u1", "u2"])
    # independent computation of |cos(w_j, u_r)|
    W = model.network_.weights
    expected = np.abs(W @ directions.T) / np.linalg.norm(W, axis=1)[:, None]
    np.testing.assert_allclose(display.cosines, expected, rtol=1e-10)
    assert len(display.hist_) == 2
    counts = [sum(patch.get_height() for patch in patches) for patches in display.hist_]
    assert counts == [64, 64]
    assert display.random_line_.get_xdata()[0] == pytest.approx(1 / np.sqrt(16))
    # the giant step moved the units towards both teacher directions (0.26 and 0.23 RMS at
    # initialization, 0.37 after the step)
    initial = GiantStepRegressor(n_hidden=64, n_steps=0, random_state=0).fit(X, y)
    before = AlignmentDisplay.from_estimator(initial, directions).cosines
    assert np.all(
        np.sqrt(np.mean(display.cosines**2, axis=0)) > np.sqrt(np.mean(before**2, axis=0)) + 0.08
    )
    with pytest.raises(ValueError, match="direction_labels"):
        display.plot(name="again").__class__(
            cosines=display.cosines, n_features=16, direction_labels=["only one"]
        ).plot()


def test_missing_matplotlib_gives_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    display = AlignmentDisplay(cosines=np.array([[0.5]]), n_features=4)
    with pytest.raises(ImportError, match="pip install matplotlib"):
        display.plot()
