"""The alternating classifier's own defaults: early stopping from 1,000 weighted rows and
shorter fits in the refinement of its penalty; and the study that chose them."""

import importlib.util
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from skgiant import AlternatingOLSReLUClassifier, AlternatingOLSReLURegressor
from skgiant import _alternating as alt
from skgiant._alternating_base import AUTO_EARLY_STOPPING_ROWS

BENCH_DIR = Path(__file__).resolve().parent.parent / "benchmarks"

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _classes(n, d=4, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    return X, (np.sin(2 * X[:, 0]) + X[:, 1] * X[:, 2] > 0).astype(int)


@pytest.mark.parametrize("weighted", [AUTO_EARLY_STOPPING_ROWS - 1, AUTO_EARLY_STOPPING_ROWS])
def test_auto_early_stopping_from_a_thousand_weighted_rows(weighted):
    # 1,050 rows of which only ``weighted`` have a positive weight: the rows that count
    X, y = _classes(AUTO_EARLY_STOPPING_ROWS + 50)
    w = np.zeros(len(y))
    w[:weighted] = 1.0
    settings = dict(n_hidden=4, max_iter=2, alpha=0.01, random_state=0)
    model = AlternatingOLSReLUClassifier(**settings).fit(X, y, sample_weight=w)
    on = weighted >= AUTO_EARLY_STOPPING_ROWS
    assert (model.validation_scores_ is not None) == on
    explicit = AlternatingOLSReLUClassifier(**settings, early_stopping=on)
    explicit.fit(X, y, sample_weight=w)
    np.testing.assert_array_equal(model.network_.weights, explicit.network_.weights)
    # the regressor keeps early_stopping=False by default, and takes "auto" too
    regressor = AlternatingOLSReLURegressor(**settings).fit(X, y, sample_weight=w)
    assert regressor.validation_scores_ is None
    auto = AlternatingOLSReLURegressor(**settings, early_stopping="auto")
    assert (auto.fit(X, y, sample_weight=w).validation_scores_ is not None) == on


def test_auto_early_stopping_fits_two_rows_and_true_needs_three():
    X, y = np.array([[0.0, 1.0], [1.0, 0.0]]), np.array([0, 1])
    model = AlternatingOLSReLUClassifier(n_hidden=2, max_iter=1, random_state=0).fit(X, y)
    assert model.validation_scores_ is None
    with pytest.raises(ValueError, match="3"):
        AlternatingOLSReLUClassifier(n_hidden=2, early_stopping=True).fit(X, y)


def _path_iterations(monkeypatch):
    """Record ``max_iter`` of every fit on held-out rows of the penalty refinement."""
    seen, fit = [], alt.fit_alternating

    def recording(problem, config=None, **kwargs):
        if config.alpha != "auto":
            seen.append(config.max_iter)
        return fit(problem, config, **kwargs)

    monkeypatch.setattr(alt, "fit_alternating", recording)
    return seen


def test_the_classifiers_refinement_fits_stop_after_ten_iterations(monkeypatch):
    X, y = _classes(60)  # 60 rows < 3 * 8 * 5 first-layer parameters: refined
    seen = _path_iterations(monkeypatch)
    model = AlternatingOLSReLUClassifier(n_hidden=8, max_iter=12, random_state=0).fit(X, y)
    assert model.alpha_scores_ is not None
    assert seen and set(seen) == {10}
    seen.clear()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        regressor = AlternatingOLSReLURegressor(n_hidden=8, max_iter=12, random_state=0)
        regressor.fit(X, y.astype(float))
    assert regressor.alpha_scores_ is not None
    assert seen and set(seen) == {12}  # the regressor's run to its own max_iter


def _load_study():
    if str(BENCH_DIR) not in sys.path:
        sys.path.insert(0, str(BENCH_DIR))
    path = BENCH_DIR / "study_alternating_classifier.py"
    spec = importlib.util.spec_from_file_location("study_alternating_classifier", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_study_quick_run_writes_its_tables(tmp_path, capsys):
    study = _load_study()
    out = tmp_path / "study.md"
    summary = study.main(["--quick", "--out", str(out)])
    text = out.read_text(encoding="utf-8")
    assert "- command: `python benchmarks/study_alternating_classifier.py --quick --out" in text
    assert "## wine (n_train = 133" in text and "## Across sets" in text
    table = summary["wine"]
    for name in (*study.QUICK_VARIANTS, *study.BASELINES):
        assert f"| {name} |" in text
        assert np.all(np.isfinite(table[name]["log_loss"]))
    # the default variant is the classifier as it is
    assert (
        study.variant(study.DEFAULT, 0).get_params()
        == AlternatingOLSReLUClassifier(random_state=0).get_params()
    )
    assert table[study.REFERENCE]["refined"].all()  # wine: 133 rows, refined
    # the regressor's part: diabetes (331 rows) refines its penalty, with each path
    assert "## The regressor" in text and "| diabetes | " in text
