"""GiantStepClassifier and AlternatingOLSReLUClassifier: probabilities against independent
computations, class weights, agreement with the regressors, calibration, labels."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.calibration import CalibratedClassifierCV
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import log_loss
from sklearn.model_selection import GridSearchCV, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import skgiant._classifier_base as classifier_base
from skgiant import (
    AlternatingOLSReLUClassifier,
    AlternatingOLSReLURegressor,
    GiantStepClassifier,
    GiantStepRegressor,
)

# small, fast settings with every automatic choice fixed where a test needs exactness
GIANT_FIXED = dict(n_hidden=24, n_steps=1, step_size=0.5, alpha=0.01, random_state=0)
ALTERNATING_FIXED = dict(n_hidden=6, max_iter=4, alpha=0.01, random_state=0)


@pytest.fixture(autouse=True)
def _quiet_convergence():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def _classes(n=150, d=4, n_classes=3, seed=0):
    """Labels from a nonlinear rule with noise: class ``argmax`` of noisy scores."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    scores = np.column_stack(
        [np.sin(2 * X[:, 0]), X[:, 1] * X[:, 2], X[:, 3] - 0.5 * X[:, 0]][:n_classes]
    )
    y = np.argmax(scores + 0.5 * rng.normal(size=scores.shape), axis=1)
    return X, y


def _softmax(logits):
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _standardized(model, X):
    net = model.network_
    Z = (X - net.input_mean) / net.input_scale
    return np.clip(Z, net.input_low, net.input_high)


def _giant_features(model, X):
    """The giant classifier's readout features, computed from the weights by hand."""
    net = model.network_
    Z = _standardized(model, X)
    p, d = net.weights.shape
    hidden = np.maximum(Z @ net.weights.T + net.bias, 0.0) / np.sqrt(p)
    return np.hstack([hidden, Z / np.sqrt(d)])


def _alternating_features(model, X):
    net = model.network_
    z = _standardized(model, X) @ net.weights.T + net.bias
    return np.where(z > 0, z, net.negative_slope * z)


def _brute_force_proba(model, phi):
    r = model.readout_
    return _softmax(r.scale * (phi @ r.coef + r.intercept) + r.offsets)


CASES = [
    (GiantStepClassifier, GIANT_FIXED, _giant_features),
    (AlternatingOLSReLUClassifier, ALTERNATING_FIXED, _alternating_features),
]


@pytest.mark.parametrize("Classifier, params, features", CASES)
@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("softmax", [True, False])
def test_probabilities_are_the_softmax_of_the_readout_on_the_hidden_features(
    Classifier, params, features, n_classes, softmax, monkeypatch
):
    if not softmax:
        monkeypatch.setattr(classifier_base, "SOFTMAX_MAX_ENTRIES", 0)
    X, y = _classes(n_classes=n_classes)
    model = Classifier(**params).fit(X, y)
    assert model.readout_method_ == ("softmax" if softmax else "calibrated_ridge")
    X_new = np.random.default_rng(5).normal(size=(40, X.shape[1])) * 1.5
    proba = model.predict_proba(X_new)
    assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    assert_allclose(proba, _brute_force_proba(model, features(model, X_new)), rtol=1e-9)
    assert_allclose(model.predict_log_proba(X_new), np.log(proba), rtol=1e-9, atol=1e-12)
    assert_array_equal(model.predict(X_new), model.classes_[np.argmax(proba, axis=1)])
    decision = model.decision_function(X_new)
    if n_classes == 2:
        assert_allclose(decision, np.log(proba[:, 1] / proba[:, 0]), rtol=1e-8, atol=1e-10)
    else:  # logits: the log-probabilities up to a constant per row
        centred = np.log(proba) - np.log(proba).mean(axis=1, keepdims=True)
        assert_allclose(decision - decision.mean(axis=1, keepdims=True), centred, atol=1e-8)


@pytest.mark.parametrize("Classifier, params, features", CASES)
@pytest.mark.parametrize("n_classes", [2, 3])
def test_softmax_readout_is_sklearn_logistic_regression(Classifier, params, features, n_classes):
    # the fixed penalty (alpha / 2) ||B||^2 beside the weighted mean log loss is
    # LogisticRegression(C=1 / (alpha S)) with K >= 3 columns and C=2 / (alpha S) for the
    # binomial difference of two columns
    X, y = _classes(n_classes=n_classes)
    w = np.random.default_rng(2).uniform(0.5, 2.0, size=len(y))
    model = Classifier(**params).fit(X, y, sample_weight=w)
    assert model.readout_method_ == "softmax"
    phi = features(model, X)
    C = (2.0 if n_classes == 2 else 1.0) / (params["alpha"] * w.sum())
    reference = LogisticRegression(C=C, tol=1e-12, max_iter=100_000).fit(phi, y, sample_weight=w)
    assert_allclose(model.predict_proba(X), reference.predict_proba(phi), atol=2e-4)


@pytest.mark.parametrize("Classifier, params, features", CASES)
def test_calibrated_ridge_readout_is_sklearn_ridge_on_one_hot_targets(
    Classifier, params, features, monkeypatch
):
    monkeypatch.setattr(classifier_base, "SOFTMAX_MAX_ENTRIES", 0)
    X, y = _classes(n_classes=3)
    model = Classifier(**params).fit(X, y)
    phi = features(model, X)
    ridge = Ridge(alpha=params["alpha"] * len(y)).fit(phi, np.eye(3)[y])
    assert_allclose(model.readout_.coef, ridge.coef_.T, rtol=1e-7, atol=1e-10)
    assert_allclose(model.readout_.intercept, ridge.intercept_, rtol=1e-7, atol=1e-10)
    assert model.readout_.scale > 0


@pytest.mark.parametrize("Classifier, params, features", CASES)
@pytest.mark.parametrize("softmax", [True, False])
def test_class_weights_equal_repeated_rows(Classifier, params, features, softmax, monkeypatch):
    if not softmax:
        monkeypatch.setattr(classifier_base, "SOFTMAX_MAX_ENTRIES", 0)
    X, y = _classes(n_classes=3)
    weighted = Classifier(**params, class_weight={0: 3, 2: 2}).fit(X, y)
    repeats = np.where(y == 0, 3, np.where(y == 2, 2, 1))
    repeated = Classifier(**params).fit(np.repeat(X, repeats, axis=0), np.repeat(y, repeats))
    X_new = np.random.default_rng(3).normal(size=(30, X.shape[1]))
    assert_allclose(weighted.network_.weights, repeated.network_.weights, rtol=1e-7, atol=1e-9)
    assert_allclose(weighted.predict_proba(X_new), repeated.predict_proba(X_new), atol=1e-5)


def test_balanced_class_weight_is_total_over_classes_times_class_total():
    X, y = _classes(n_classes=3)
    w = np.random.default_rng(4).uniform(0.5, 2.0, size=len(y))
    totals = np.bincount(y, weights=w)
    by_hand = {k: w.sum() / (3 * totals[k]) for k in range(3)}
    balanced = GiantStepClassifier(**GIANT_FIXED, class_weight="balanced").fit(X, y, w)
    explicit = GiantStepClassifier(**GIANT_FIXED, class_weight=by_hand).fit(X, y, w)
    assert_allclose(balanced.predict_proba(X), explicit.predict_proba(X), rtol=1e-10)
    unweighted = GiantStepClassifier(**GIANT_FIXED).fit(X, y, w)
    assert not np.allclose(balanced.predict_proba(X), unweighted.predict_proba(X))


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("step_size", [0.5, "auto"])
def test_giant_hidden_layer_is_the_regressors_on_one_hot_targets(n_classes, step_size):
    X, y = _classes(n_classes=n_classes)
    params = {**GIANT_FIXED, "step_size": step_size}
    model = GiantStepClassifier(**params).fit(X, y)
    # the one-hot matrix; with two classes its second column (the first is its negative
    # once centred)
    targets = (y == 1).astype(float) if n_classes == 2 else np.eye(n_classes)[y]
    regressor = GiantStepRegressor(**params).fit(X, targets)
    assert_allclose(model.network_.weights, regressor.network_.weights, rtol=1e-12)
    assert_allclose(model.network_.bias, regressor.network_.bias, rtol=1e-12)
    assert model.step_size_ == regressor.step_size_


@pytest.mark.parametrize("n_classes", [2, 3])
def test_alternating_hidden_layer_is_the_regressors_on_one_hot_targets(n_classes):
    X, y = _classes(n_classes=n_classes)
    model = AlternatingOLSReLUClassifier(**ALTERNATING_FIXED).fit(X, y)
    targets = (y == 1).astype(float) if n_classes == 2 else np.eye(n_classes)[y]
    regressor = AlternatingOLSReLURegressor(**ALTERNATING_FIXED).fit(X, targets)
    assert_allclose(model.network_.weights, regressor.network_.weights, rtol=1e-12)
    assert_allclose(model.network_.bias, regressor.network_.bias, rtol=1e-12)
    assert_allclose(model.loss_curve_, regressor.loss_curve_, rtol=1e-12)


def _logistic_problem(n, seed):
    """Three classes with known probabilities: ``softmax(X @ B + c)``."""
    rng = np.random.default_rng(seed)
    B = np.array([[1.5, -1.0, 0.0], [0.0, 1.0, -1.0], [-0.5, 0.5, 1.0], [0.0, 0.0, 0.0]])
    X = rng.normal(size=(n, 4))
    P = _softmax(X @ B + np.array([0.2, 0.0, -0.3]))
    y = (rng.uniform(size=(n, 1)) > np.cumsum(P, axis=1)).sum(axis=1)
    return X, y, P


@pytest.mark.parametrize(
    "model",
    [
        GiantStepClassifier(n_hidden=64, random_state=0),
        AlternatingOLSReLUClassifier(n_hidden=8, max_iter=5, random_state=0),
    ],
    ids=["giant", "alternating"],
)
@pytest.mark.parametrize("softmax", [True, False], ids=["softmax", "calibrated_ridge"])
def test_calibrated_on_a_logistic_model_with_known_probabilities(model, softmax, monkeypatch):
    if not softmax:
        monkeypatch.setattr(classifier_base, "SOFTMAX_MAX_ENTRIES", 0)
    X, y, _ = _logistic_problem(3000, seed=0)
    X_test, y_test, P_test = _logistic_problem(3000, seed=1)
    model.fit(X, y)
    proba = model.predict_proba(X_test)
    assert np.mean(np.abs(proba - P_test)) < 0.03
    # expected log loss of the true probabilities (the Bayes risk) on the test inputs
    bayes = float(np.mean(-np.sum(P_test * np.log(P_test), axis=1)))
    assert log_loss(y_test, proba) < bayes + 0.03
    assert log_loss(y_test, P_test) == pytest.approx(bayes, abs=0.05)  # the sample is fair


@pytest.mark.parametrize("Classifier, params, features", CASES)
def test_string_boolean_and_integer_labels(Classifier, params, features):
    X, y = _classes(n_classes=2)
    reference = Classifier(**params).fit(X, y)
    for labels in (np.array(["no", "yes"]), np.array([False, True]), np.array([-3, 7])):
        model = Classifier(**params).fit(X, labels[y])
        assert_array_equal(model.classes_, labels)
        assert_array_equal(model.predict(X), labels[reference.predict(X)])
        assert_allclose(model.predict_proba(X), reference.predict_proba(X), rtol=1e-10)
    X3, y3 = _classes(n_classes=3)
    names = np.array(["ant", "bee", "cat"])
    model = Classifier(**params).fit(X3, names[y3])
    assert set(model.predict(X3)) <= set(names)
    assert model.score(X3, names[y3]) == np.mean(model.predict(X3) == names[y3])


@pytest.mark.parametrize("Classifier, params, features", CASES)
def test_one_class_is_a_clear_error(Classifier, params, features):
    X, y = _classes(n_classes=2)
    with pytest.raises(ValueError, match="at least 2 classes.*only one class"):
        Classifier(**params).fit(X, np.full(len(y), "spam"))
    weight = (y == 1).astype(float)  # the other class has no weight
    with pytest.raises(ValueError, match="at least 2 classes"):
        Classifier(**params).fit(X, y, sample_weight=weight)


def test_regression_targets_are_refused():
    X, y = _classes()
    with pytest.raises(ValueError, match="Unknown label type"):
        GiantStepClassifier(**GIANT_FIXED).fit(X, y + np.linspace(0, 0.5, len(y)))


def test_warm_start_continues_the_steps():
    X, y = _classes(n_classes=3)
    model = GiantStepClassifier(**GIANT_FIXED, warm_start=True).fit(X, y)
    W = model.network_.weights.copy()
    model.fit(X, y)
    assert model.n_iter_ == 2
    assert not np.allclose(model.network_.weights, W)
    with pytest.raises(ValueError, match="does not know"):
        model.fit(X, np.where(y == 0, 5, y))


def test_float32_inputs_and_feature_names():
    pd = pytest.importorskip("pandas")
    X, y = _classes(n_classes=3)
    model64 = GiantStepClassifier(**GIANT_FIXED).fit(X, y)
    model32 = GiantStepClassifier(**GIANT_FIXED).fit(X.astype(np.float32), y)
    assert_allclose(model32.predict_proba(X), model64.predict_proba(X), atol=1e-4)
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    named = AlternatingOLSReLUClassifier(**ALTERNATING_FIXED).fit(frame, y)
    assert_array_equal(named.feature_names_in_, ["a", "b", "c", "d"])
    assert named.predict(frame).shape == (len(y),)


def test_model_selection_tools():
    X, y = _classes(n=120, n_classes=2)
    pipe = make_pipeline(StandardScaler(), GiantStepClassifier(n_hidden=16, random_state=0))
    search = GridSearchCV(pipe, {"giantstepclassifier__alpha": [0.01, 1.0]}, cv=3,
                          scoring="neg_log_loss").fit(X, y)  # fmt: skip
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    search = GridSearchCV(AlternatingOLSReLUClassifier(n_hidden=4, max_iter=2, random_state=0),
                          {"alpha": [0.01, "auto"]}, cv=3, scoring="roc_auc").fit(X, y)  # fmt: skip
    assert search.best_score_ > 0.6
    calibrated = CalibratedClassifierCV(GiantStepClassifier(**GIANT_FIXED), cv=3).fit(X, y)
    assert_allclose(calibrated.predict_proba(X).sum(axis=1), 1.0)
    proba = cross_val_predict(
        GiantStepClassifier(**GIANT_FIXED), X, y, cv=3, method="predict_proba"
    )
    assert proba.shape == (len(y), 2)
    assert_allclose(proba.sum(axis=1), 1.0)


def test_giant_step_features_read_class_labels_as_the_classifier_does():
    from skgiant import GiantStepFeatures

    shared = dict(n_hidden=24, n_steps=1, step_size=0.5, alpha=0.01, random_state=0)
    for n_classes in (2, 3):
        X, y = _classes(n_classes=n_classes)
        names = np.array(["ant", "bee", "cat"])[:n_classes]
        classifier = GiantStepClassifier(**shared).fit(X, y)
        by_name = GiantStepFeatures(**shared).fit(X, names[y])
        assert_array_equal(by_name.classes_, names)
        assert_allclose(by_name.transform(X), classifier.network_.hidden(X), rtol=1e-12)
        by_code = GiantStepFeatures(**shared, target_type="classes").fit(X, y)
        assert_allclose(by_code.transform(X), by_name.transform(X), rtol=1e-12)
        # integers are numeric targets unless said otherwise
        as_values = GiantStepFeatures(**shared).fit(X, y)
        assert not hasattr(as_values, "classes_")
        reference = GiantStepRegressor(**shared).fit(X, y.astype(float))
        assert_allclose(as_values.transform(X), reference.network_.hidden(X), rtol=1e-12)


@pytest.mark.parametrize("n_rows", [12, 200])  # fewer rows than features: the dual form
def test_readout_on_row_blocks_is_the_readout_on_a_feature_callable(n_rows):
    from skgiant._blocks import RowData
    from skgiant._probability import (
        fit_calibrated_ridge_readout,
        fit_calibrated_ridge_readout_on_rows,
    )

    rng = np.random.default_rng(0)
    X, y = _classes(n=n_rows, n_classes=3)
    w = rng.uniform(0.5, 2.0, size=n_rows)
    w[:2] = 0.0
    W = rng.normal(size=(20, X.shape[1]))

    def feature_map(Z):
        return np.tanh(Z @ W.T)

    data = RowData(X, np.zeros((n_rows, 1)), w, chunk=7)
    on_rows = fit_calibrated_ridge_readout_on_rows(data, feature_map, 20, y, 3, alpha="auto")
    assert data.passes == 1
    reference = fit_calibrated_ridge_readout(
        lambda rows: feature_map(X[rows]), 20, y, 3, w, 7, alpha="auto"
    )
    for name in ("coef", "intercept", "scale", "offsets", "alpha"):
        assert_allclose(getattr(on_rows, name), getattr(reference, name), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("Classifier, params, features", CASES)
def test_scoring_monitor_scores_the_final_classifier(Classifier, params, features):
    from sklearn.callback import ScoringMonitor

    X, y = _classes(n_classes=3)
    monitor = ScoringMonitor(scoring="neg_log_loss")
    model = Classifier(**params).set_callbacks(monitor).fit(X, y)
    last = [row["neg_log_loss"] for row in monitor.get_logs().data][-1]
    if Classifier is GiantStepClassifier:  # the readout subtask is the final model
        assert last == pytest.approx(-log_loss(y, model.predict_proba(X)), rel=1e-10)
    else:  # the iterates of the least-squares fit on the one-hot labels are reported
        assert np.isfinite(last)
    assert_array_equal(model.predict(X), Classifier(**params).fit(X, y).predict(X))


@pytest.mark.parametrize("softmax", [True, False])
def test_giant_classifier_reads_the_rows_as_often_as_the_regressor(softmax, monkeypatch):
    # the probabilistic readout takes the place of the ridge readout's single pass
    from skgiant._blocks import RowData

    if not softmax:
        monkeypatch.setattr(classifier_base, "SOFTMAX_MAX_ENTRIES", 0)
    passes = []
    original = RowData.reduce, RowData.map

    def counted(method):
        def wrapper(self, *args, **kwargs):
            passes.append(method.__name__)
            return method(self, *args, **kwargs)

        return wrapper

    monkeypatch.setattr(RowData, "reduce", counted(original[0]))
    monkeypatch.setattr(RowData, "map", counted(original[1]))
    X, y = _classes(n_classes=3)
    GiantStepClassifier(**GIANT_FIXED).fit(X, y)
    n_classifier = len(passes)
    passes.clear()
    GiantStepRegressor(**GIANT_FIXED).fit(X, np.eye(3)[y])
    assert n_classifier == len(passes)


def test_dead_units_are_counted_from_the_readout_features():
    X, y = _classes(n_classes=3)
    model = GiantStepClassifier(**GIANT_FIXED).fit(X, y)
    mean = _giant_features(model, X).mean(axis=0)
    assert_allclose(model.readout_.feature_mean, mean, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("Classifier, params, features", CASES)
def test_glitched_inputs_are_clipped_to_the_training_range(Classifier, params, features):
    X, y = _classes(n_classes=3)
    model = Classifier(**params).fit(X, y)
    spike = X[:5].copy()
    spike[:, 0] = 1e200  # a glitched reading, far beyond the training range
    at_edge = X[:5].copy()
    at_edge[:, 0] = X[:, 0].max()  # what clipping turns it into
    proba = model.predict_proba(spike)
    assert np.all(np.isfinite(proba))
    assert_allclose(proba, model.predict_proba(at_edge), rtol=1e-10)
    missing = X[:5].copy()
    missing[0, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        model.predict_proba(missing)
