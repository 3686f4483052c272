"""GiantStepClassifier, AlternatingOLSReLUClassifier and GiantStepFeatures on dask arrays:
the same model as in memory, labels found and encoded in the blocks, lazy outputs, scores
in the blocks, few passes, nothing pulled to the driver."""

import warnings

import numpy as np
import pytest
from scipy.special import log_softmax

dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")

from test_dask import (  # noqa: E402
    _Computes,
    _counting,
    _dask,
    _refuse_numpy,
    _refuse_row_vectors,
)

import skgiant._classifier_base as classifier_base  # noqa: E402
import skgiant._dask as skdask  # noqa: E402
from skgiant import (  # noqa: E402
    AlternatingOLSReLUClassifier,
    GiantStepClassifier,
    GiantStepFeatures,
    GiantStepRegressor,
)

GIANT = dict(n_hidden=32, step_size=0.5, random_state=0)
FAST = dict(n_hidden=16, step_size=0.5, alpha=0.01, random_state=0)  # no automatic choice
ALTERNATING = dict(n_hidden=8, max_iter=4, random_state=0)
NAMES = np.array(["ant", "bee", "cat"])

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _classes(n=603, d=5, n_classes=3, seed=0):
    """Labels from a nonlinear rule with noise; 603 rows make blocks of 400 and 203."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) * 2.0 + 1.0
    scores = np.column_stack([np.sin(X[:, 0]), 0.3 * X[:, 1] * X[:, 2], X[:, 3] - X[:, 0]])
    scores = scores[:, :n_classes] + 0.3 * rng.normal(size=(n, n_classes))
    return X, np.argmax(scores, axis=1)


def _weights(n, seed=1):
    w = np.random.default_rng(seed).uniform(0.0, 3.0, size=n)
    w[::7] = 0.0
    return w


def _readout_features(model, X):
    """The readout features of a fitted classifier, from its weights by hand."""
    net = model.network_
    Z = np.clip((X - net.input_mean) / net.input_scale, net.input_low, net.input_high)
    z = Z @ net.weights.T + net.bias
    if isinstance(model, AlternatingOLSReLUClassifier):
        return np.where(z > 0, z, net.negative_slope * z)
    p, d = net.weights.shape
    return np.hstack([np.maximum(z, 0.0) / np.sqrt(p), Z / np.sqrt(d)])


def _softmax_objective(model, X, y, weight):
    """The softmax readout's objective at its coefficients: the weighted mean log loss
    plus ``(alpha / 2) ||B||**2`` (the convention of ``skgiant._probability``)."""
    r = model.readout_
    logp = log_softmax(_readout_features(model, X) @ r.coef + r.intercept, axis=1)
    encoded = np.searchsorted(model.classes_, y)
    loss = -(weight @ logp[np.arange(len(y)), encoded]) / weight.sum()
    return loss + 0.5 * r.alpha * np.sum(r.coef**2)


def _class_weight(y, w, class_weight):
    """``sample_weight`` times scikit-learn's balanced class weights, by hand."""
    if class_weight is None:
        return w
    classes, encoded = np.unique(y, return_inverse=True)
    totals = np.bincount(encoded, weights=w)
    return w * (w.sum() / (len(classes) * totals))[encoded]


def _assert_same_classifier(local, model, X, y, w, *, first_layer_rtol=1e-8, ridge_rtol=1e-8):
    """Both fits learned the same first layer and chose the same readout; the calibrated
    ridge readout (a direct solve) gives the same probabilities to ``ridge_rtol``. The
    softmax readout is an L-BFGS solve stopped at a gradient tolerance: in memory too,
    a change of X by one part in 1e15 moves its probabilities by about 3e-5, so both
    fits must reach the same minimum of its objective instead (a minimum is flat: the
    values agree to about the square of the difference)."""
    np.testing.assert_array_equal(model.classes_, local.classes_)
    assert model.classes_.dtype == local.classes_.dtype
    assert model.readout_method_ == local.readout_method_
    for name in ("weights", "bias", "input_mean", "input_scale", "input_low", "input_high"):
        a, b = getattr(local.network_, name), getattr(model.network_, name)
        assert np.abs(a - b).max() <= first_layer_rtol * np.abs(a).max(), name
    assert model.readout_.alpha == pytest.approx(local.readout_.alpha, rel=1e-6)
    pa, pb = local.predict_proba(X), model.predict_proba(X)
    if local.readout_method_ == "calibrated_ridge":
        assert np.abs(pa - pb).max() <= ridge_rtol
    else:
        weight = _class_weight(y, np.ones(len(y)) if w is None else w, local.class_weight)
        objective = _softmax_objective(local, X, y, weight)
        assert _softmax_objective(model, X, y, weight) == pytest.approx(objective, rel=1e-9)
        assert np.abs(pa - pb).max() <= 1e-4
    np.testing.assert_array_equal(model.predict(X), local.predict(X))


GIANT_CASES = {  # automatic step size and penalties unless "alpha" is given
    "multiclass": {},
    "binary": dict(n_classes=2, step_size="auto"),
    "strings": dict(labels=NAMES, step_size="auto"),
    "booleans": dict(n_classes=2, labels=np.array([False, True]), alpha=0.01),
    "weights": dict(weights=True, alpha=0.01),
    "balanced": dict(weights=True, class_weight="balanced"),
    "float32": dict(float32=True, alpha=0.01),
    "ridge readout": dict(ridge=True, weights=True, step_size="auto"),
    "ridge readout, binary, balanced": dict(ridge=True, n_classes=2, class_weight="balanced"),
}


def _case(case, monkeypatch):
    """``(X, y, w, params)`` of a case; forces the calibrated ridge readout if asked."""
    X, y = _classes(n_classes=case.get("n_classes", 3))
    if "labels" in case:
        y = case["labels"][y]
    if case.get("float32"):
        X = X.astype(np.float32)
    if case.get("ridge"):  # as if the rows were too many for the softmax readout
        monkeypatch.setattr(classifier_base, "SOFTMAX_MAX_ENTRIES", 0)
    w = _weights(len(X)) if case.get("weights") else None
    params = {key: case[key] for key in ("class_weight", "alpha", "step_size") if key in case}
    return X, y, w, params


@pytest.mark.parametrize("case", list(GIANT_CASES))
def test_giant_fit_equals_the_in_memory_fit(threads, monkeypatch, case):
    X, y, w, params = _case(GIANT_CASES[case], monkeypatch)
    params = {**GIANT, **params}
    local = GiantStepClassifier(**params).fit(X, y, sample_weight=w)
    model = GiantStepClassifier(**params).fit(*_dask(X, y, weights=w))
    assert model.readout_method_ == ("calibrated_ridge" if "ridge" in case else "softmax")
    _assert_same_classifier(local, model, X, y, w)
    assert model.step_size_ == pytest.approx(local.step_size_, rel=1e-8)
    assert model.n_iter_ == local.n_iter_ and model.n_features_in_ == X.shape[1]


def test_giant_fit_on_the_cluster_with_few_rows_for_the_readout(scheduler, monkeypatch):
    """Fewer weighted rows than readout features: the calibrated ridge gathers them (the
    dual form); on the in-process cluster and the threaded scheduler."""
    monkeypatch.setattr(classifier_base, "SOFTMAX_MAX_ENTRIES", 0)
    X, y = _classes(n=60)
    params = dict(n_hidden=64, step_size=0.5, random_state=0)
    local = GiantStepClassifier(**params).fit(X, NAMES[y])
    model = GiantStepClassifier(**params).fit(*_dask(X, NAMES[y], chunk=25)[:2])
    _assert_same_classifier(local, model, X, NAMES[y], None)


ALTERNATING_CASES = {
    "multiclass": {},
    "strings and weights": dict(labels=NAMES, weights=True),
    "balanced": dict(n_classes=2, class_weight="balanced"),
    "ridge readout": dict(ridge=True, weights=True),
}


@pytest.mark.parametrize("case", list(ALTERNATING_CASES))
def test_alternating_fit_equals_the_in_memory_fit(threads, monkeypatch, case):
    """As for the regressor: the least-squares iterations tightly, so the hidden layer
    to 1e-6 (the iteration amplifies rounding), then the same readout."""
    X, y, w, params = _case(ALTERNATING_CASES[case], monkeypatch)
    local = AlternatingOLSReLUClassifier(**ALTERNATING, **params).fit(X, y, sample_weight=w)
    model = AlternatingOLSReLUClassifier(**ALTERNATING, **params).fit(*_dask(X, y, weights=w))
    np.testing.assert_allclose(model.loss_curve_, local.loss_curve_, rtol=1e-6)
    assert model.n_iter_ == local.n_iter_
    _assert_same_classifier(local, model, X, y, w, first_layer_rtol=1e-6, ridge_rtol=1e-6)


def test_chunking_does_not_change_the_model(threads, monkeypatch):
    monkeypatch.setattr(classifier_base, "SOFTMAX_MAX_ENTRIES", 0)
    X, y = _classes(n=1500)
    models = [
        GiantStepClassifier(**GIANT).fit(*_dask(X, y, chunk)[:2]) for chunk in (1500, 512, 137)
    ]
    for other in models[1:]:
        _assert_same_classifier(models[0], other, X, y, None)


def test_labels_are_found_and_encoded_in_the_blocks(threads):
    """Classes from a tree of per-block uniques, including a block without some class;
    weighted counts for class_weight="balanced"; one pass over the labels."""
    y = np.array(["b", "b", "a", "b", "c", "c", "a", "a", "c", "a"], dtype=object)
    w = np.arange(1.0, 11.0)
    yd, wd = da.from_array(y, chunks=3), da.from_array(w, chunks=3)
    with _Computes() as computes:
        labels = skdask.find_dask_labels(yd, wd)
    assert computes.count == 1
    np.testing.assert_array_equal(labels.classes, ["a", "b", "c"])
    np.testing.assert_allclose(labels.counts, [3 + 7 + 8 + 10, 1 + 2 + 4, 5 + 6 + 9])
    # the weights stay in the blocks, summarized in the same compute
    assert isinstance(labels.weights, skdask.BlockWeights)
    assert labels.weights.total == w.sum() and labels.weights.largest == 10.0
    assert labels.weights.n_weighted == 10
    np.testing.assert_array_equal(labels.weights.array(), w)
    encoded = labels.encode(np.array(["a", "b", "c", "d"], dtype=object))
    assert isinstance(encoded, da.Array)
    np.testing.assert_array_equal(encoded.compute(), np.searchsorted(["a", "b", "c"], y))
    targets = labels.targets(encoded, 4).compute()
    np.testing.assert_array_equal(targets, np.eye(4)[np.searchsorted(["a", "b", "c"], y)])
    per_class = np.array([2.0, 3.0, 5.0, 7.0])
    with _Computes() as computes:
        folded = labels.fold(encoded, per_class)
    assert computes.count == 1  # the summary of the folded weights
    expected = w * per_class[np.searchsorted(["a", "b", "c"], y)]
    assert isinstance(folded, skdask.BlockWeights) and folded.total == expected.sum()
    assert folded.largest == expected.max() and folded.n_weighted == 10
    np.testing.assert_array_equal(folded.array(), expected)


def test_misaligned_labels_are_rechunked_and_bad_input_refused(threads):
    X, y = _classes(n=600)
    Xd, yd, _ = _dask(X, NAMES[y], chunk=250)
    local = GiantStepClassifier(**FAST).fit(X, NAMES[y])
    model = GiantStepClassifier(**FAST).fit(
        Xd, da.from_array(NAMES[y], chunks=170), sample_weight=da.ones(600, chunks=333)
    )
    _assert_same_classifier(local, model, X, NAMES[y], None)
    for Classifier in (GiantStepClassifier, AlternatingOLSReLUClassifier):
        new = Classifier(n_hidden=4)
        with pytest.raises(ValueError, match="X has unknown chunk sizes.*compute_chunk_sizes"):
            new.fit(Xd[Xd[:, 0] > -100], yd)
        with pytest.raises(ValueError, match="y has unknown chunk sizes"):
            new.fit(Xd, yd[yd != "none"])
        with pytest.raises(ValueError, match="sample_weight has unknown chunk sizes"):
            new.fit(Xd, yd, sample_weight=Xd[Xd[:, 0] > -100, 0])
        with pytest.raises(ValueError, match="inconsistent numbers of samples"):
            new.fit(Xd, yd[:-1])
        with pytest.raises(ValueError, match="1D array of class labels"):
            new.fit(Xd, da.stack([yd, yd], axis=1))
        with pytest.raises(ValueError, match="Unknown label type"):
            new.fit(Xd, da.from_array(X[:, 0], chunks=250))
        with pytest.raises(ValueError, match="only one class"):
            new.fit(Xd, da.from_array(np.repeat("ant", 600), chunks=250))
        with pytest.raises(ValueError, match="Negative values"):
            new.fit(Xd, yd, sample_weight=-da.ones(600, chunks=250))
        with pytest.raises(TypeError, match="X must be a dask array"):
            new.fit(X, yd)
    with pytest.raises(ValueError, match="X has unknown chunk sizes"):
        model.score(Xd[Xd[:, 0] > -100], yd)


def test_nothing_is_converted_to_numpy(threads, monkeypatch):
    X, y = _classes()
    y, w = NAMES[y], _weights(len(X))
    Xd, yd, wd = _dask(X, y, weights=w)
    params = dict(class_weight="balanced")
    local = GiantStepClassifier(**GIANT, **params).fit(X, y, sample_weight=w)
    features = GiantStepFeatures(n_hidden=8, random_state=0).fit(X, y)

    def refuse(self, *args, **kwargs):
        raise AssertionError("a dask array was converted to numpy")

    monkeypatch.setattr(da.Array, "__array__", refuse)
    with pytest.raises(AssertionError):
        np.asarray(Xd)  # the patch works
    model = GiantStepClassifier(**GIANT, **params).fit(Xd, yd, sample_weight=wd)
    outputs = {
        kind: getattr(model, kind)(Xd)
        for kind in ("predict", "predict_proba", "predict_log_proba", "decision_function")
    }
    score = model.score(Xd, yd, sample_weight=wd)
    AlternatingOLSReLUClassifier(**ALTERNATING, **params).fit(Xd, yd, sample_weight=wd)
    lazy_features = GiantStepFeatures(n_hidden=8, random_state=0).fit(Xd, yd).transform(Xd)
    monkeypatch.undo()
    _assert_same_classifier(local, model, X, y, w)
    for kind, out in outputs.items():
        assert isinstance(out, da.Array)
        expected = getattr(model, kind)(X)
        if kind == "predict":
            np.testing.assert_array_equal(out.compute(), expected)
        else:
            np.testing.assert_allclose(out.compute(), expected, rtol=1e-12)
    assert score == pytest.approx(model.score(X, y, sample_weight=w), rel=1e-12)
    assert score == pytest.approx(local.score(X, y, sample_weight=w), rel=1e-12)
    np.testing.assert_allclose(lazy_features.compute(), features.transform(X), rtol=1e-8)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_outputs_are_lazy_and_scores_are_computed_in_the_blocks(threads, n_classes):
    X, y = _classes(n_classes=n_classes)
    y = NAMES[y]
    model = GiantStepClassifier(**FAST).fit(X, y)
    X_test, y_test = _classes(n=700, n_classes=n_classes, seed=5)
    Xd, yd, wd = _dask(X_test, NAMES[y_test], chunk=300, weights=_weights(700))
    with _Computes() as computes:
        outputs = {
            kind: getattr(model, kind)(Xd)
            for kind in ("predict", "predict_proba", "predict_log_proba", "decision_function")
        }
    assert computes.count == 0
    shapes = {
        "predict": (700,),
        "predict_proba": (700, n_classes),
        "predict_log_proba": (700, n_classes),
        "decision_function": (700,) if n_classes == 2 else (700, n_classes),
    }
    for kind, out in outputs.items():
        assert out.shape == shapes[kind] and out.chunks[0] == Xd.chunks[0]
        computed = out.compute()
        assert computed.dtype == getattr(model, kind)(X_test).dtype
        if kind == "predict":
            np.testing.assert_array_equal(computed, model.predict(X_test))
        else:
            np.testing.assert_allclose(computed, getattr(model, kind)(X_test), rtol=1e-12)
    with _Computes() as computes:
        score = model.score(Xd, yd, sample_weight=wd)
        unweighted = model.score(Xd, yd)
    assert computes.count == 2
    expected = model.score(X_test, NAMES[y_test], sample_weight=_weights(700))
    assert score == pytest.approx(expected, rel=1e-12)
    assert unweighted == pytest.approx(model.score(X_test, NAMES[y_test]), rel=1e-12)
    assert 0.3 < unweighted < 1.0


@pytest.mark.parametrize(
    "params, ridge, computes",
    [
        # one pass over the labels, then the 3 passes of the regressor (the readout's
        # single pass takes the place of the ridge readout's)
        (dict(), False, 1 + 3),
        (dict(), True, 1 + 3),
        (dict(n_steps=2, step_size=1.0), False, 1 + 5),
        # class weights other than 1: one more pass over the labels, and the weights
        # are persisted on the workers once
        (dict(class_weight="balanced"), False, 2 + 1 + 3),
    ],
)
def test_giant_passes(threads, monkeypatch, params, ridge, computes):
    if ridge:
        monkeypatch.setattr(classifier_base, "SOFTMAX_MAX_ENTRIES", 0)
    created = _counting(monkeypatch)
    X, y = _classes()
    with _Computes() as counted:
        model = GiantStepClassifier(**{**GIANT, **params}).fit(*_dask(X, y)[:2])
    assert model.readout_method_ == ("calibrated_ridge" if ridge else "softmax")
    assert created[0].passes == computes - (1 if "class_weight" not in params else 3)
    assert counted.count == computes  # one dask.compute per pass, nothing else


def test_alternating_and_features_passes(threads, monkeypatch):
    """The alternating classifier reads the rows as the regressor does (moments,
    initialization 2, 3 per accepted dense iteration), plus 1 for the readout;
    GiantStepFeatures on labels as the regressor, after one pass over the labels."""
    created = _counting(monkeypatch)
    X, y = _classes(d=10)
    settings = dict(
        n_hidden=8, max_iter=3, alpha=1e-3, step_fraction=1.0, tol=0.0, random_state=0,
        solver_options=dict(revive_dead_units=False),
    )  # fmt: skip
    with _Computes() as counted:
        model = AlternatingOLSReLUClassifier(**settings).fit(*_dask(X, NAMES[y])[:2])
    records = model.history_[1:]
    assert len(records) == 3 and all(r.accepted and r.method == "cholesky" for r in records)
    assert created[0].passes == 3 + 3 * 3 + 1
    assert counted.count == 1 + created[0].passes
    created.clear()
    with _Computes() as counted:
        GiantStepFeatures(n_hidden=16, step_size=0.5, random_state=0).fit(*_dask(X, NAMES[y])[:2])
    assert created[0].passes == 3 and counted.count == 1 + 3


@pytest.mark.parametrize("target", ["classes", "values"])
def test_features_fit_and_transform_equal_in_memory(threads, target):
    X, y = _classes()
    w = _weights(len(X))
    if target == "classes":
        y = NAMES[y]
    else:
        y = np.sin(X[:, 0]) + 0.3 * X[:, 1] * X[:, 2]
    local = GiantStepFeatures(n_hidden=16, random_state=0).fit(X, y, sample_weight=w)
    Xd, yd, wd = _dask(X, y, weights=w)
    features = GiantStepFeatures(n_hidden=16, random_state=0).fit(Xd, yd, sample_weight=wd)
    assert hasattr(features, "classes_") == (target == "classes")
    if target == "classes":
        np.testing.assert_array_equal(features.classes_, NAMES)
        assert features.regressor_.initial_signs_.shape[1] == 3  # the one-hot matrix
    with _Computes() as computes:
        out = features.transform(Xd)
    assert computes.count == 0 and isinstance(out, da.Array)
    assert out.shape == (len(X), 16) and out.chunks[0] == Xd.chunks[0]
    expected = local.transform(X)
    assert np.abs(out.compute() - expected).max() <= 1e-8 * np.abs(expected).max()
    np.testing.assert_array_equal(features.get_feature_names_out(), local.get_feature_names_out())


def test_dask_dataframe_input_keeps_feature_names(threads):
    dd = pytest.importorskip("dask.dataframe")
    pd = pytest.importorskip("pandas")
    X, y = _classes(n=600)
    frame = pd.DataFrame(X, columns=[f"x{k}" for k in range(X.shape[1])])
    labels = pd.Series(NAMES[y])
    local = GiantStepClassifier(**FAST).fit(frame, labels)
    with warnings.catch_warnings():  # dask: string columns become object arrays
        warnings.filterwarnings("ignore", "Dask currently has limited support", UserWarning)
        ddf = dd.from_pandas(frame, npartitions=3)
        model = GiantStepClassifier(**FAST).fit(ddf, dd.from_pandas(labels, npartitions=3))
        score = model.score(ddf, dd.from_pandas(labels, npartitions=3))
    np.testing.assert_array_equal(model.feature_names_in_, frame.columns)
    with warnings.catch_warnings():  # the comparison predicts on the numpy rows
        warnings.filterwarnings("ignore", "X does not have valid feature names", UserWarning)
        _assert_same_classifier(local, model, X, NAMES[y], None)
    np.testing.assert_allclose(model.predict_proba(ddf).compute(), local.predict_proba(frame))
    assert score == pytest.approx(local.score(frame, labels), rel=1e-12)
    with pytest.raises(ValueError, match="feature names should match"):
        model.predict(dd.from_pandas(frame.rename(columns=str.upper), npartitions=2))


def test_warm_start_continues_as_in_memory(threads):
    X, y = _classes(n=600)
    Xd, yd, _ = _dask(X, NAMES[y], chunk=250)
    params = dict(FAST, step_size=1.0, warm_start=True)
    local, model = GiantStepClassifier(**params), GiantStepClassifier(**params)
    for _ in range(2):
        local.fit(X, NAMES[y])
        model.fit(Xd, yd)
    assert model.n_iter_ == local.n_iter_ == 2
    _assert_same_classifier(local, model, X, NAMES[y], None)
    with pytest.raises(ValueError, match="warm_start: y has labels \\['dog'\\]"):
        model.fit(Xd, da.from_array(np.where(y == 0, "dog", NAMES[y]), chunks=250))


def test_fit_on_worker_processes():
    """Kernels, label encoders and readouts travel to separate processes (cloudpickle)."""
    X, y = _classes(n=600)
    w = np.linspace(0.5, 1.5, len(X))
    cluster = distributed.LocalCluster(
        processes=True, n_workers=1, threads_per_worker=1, dashboard_address=":0"
    )
    with cluster, distributed.Client(cluster, set_as_default=False) as c:
        with dask.config.set(scheduler=c):
            Xd, yd, wd = _dask(X, NAMES[y], chunk=250, weights=w)
            params = dict(FAST, class_weight="balanced")
            model = GiantStepClassifier(**params).fit(Xd, yd, sample_weight=wd)
            proba = model.predict_proba(Xd).compute()
            score = model.score(Xd, yd)
    local = GiantStepClassifier(**params).fit(X, NAMES[y], sample_weight=w)
    _assert_same_classifier(local, model, X, NAMES[y], w)
    np.testing.assert_allclose(proba, model.predict_proba(X), rtol=1e-12)
    assert score == pytest.approx(local.score(X, NAMES[y]), rel=1e-12)


def test_features_read_as_the_regressor_on_one_hot_labels(threads):
    """On dask labels, GiantStepFeatures learns the first layer of GiantStepRegressor on
    the one-hot matrix (the same targets as in memory)."""
    X, y = _classes(n=600)
    features = GiantStepFeatures(n_hidden=16, random_state=0).fit(*_dask(X, NAMES[y])[:2])
    regressor = GiantStepRegressor(n_hidden=16, random_state=0).fit(X, np.eye(3)[y])
    expected = regressor.network_.hidden(X)
    assert np.abs(features.network_.hidden(X) - expected).max() <= 1e-8 * np.abs(expected).max()


def test_the_driver_holds_no_vector_of_all_rows(threads, monkeypatch):
    """With class weights folded into dask weights, the classifier's fit (the calibrated
    ridge readout, as on many rows) makes no driver-side array as long as the rows."""
    import skgiant._probability as probability

    n = 30001
    X, y = _classes(n=n, d=4)
    w = np.random.default_rng(4).uniform(0.0, 2.0, size=n)
    Xd, yd, wd = _dask(X, NAMES[y], chunk=5000, weights=w)
    monkeypatch.setattr(classifier_base, "SOFTMAX_MAX_ENTRIES", 1000)
    monkeypatch.setattr(probability, "CALIBRATION_ROWS", 256)
    params = dict(FAST, n_hidden=8, class_weight="balanced")
    local = GiantStepClassifier(**params).fit(X, NAMES[y], sample_weight=w)
    _refuse_row_vectors(monkeypatch, n)
    model = GiantStepClassifier(**params).fit(Xd, yd, sample_weight=wd)
    monkeypatch.undo()
    assert model.readout_method_ == local.readout_method_ == "calibrated_ridge"
    np.testing.assert_allclose(model.predict_proba(X), local.predict_proba(X), atol=1e-8)


def test_partial_fit_on_dask_batches_equals_in_memory_batches(threads, monkeypatch):
    """A stream of dask batches (string labels, a class-weight dict, weights in the blocks,
    a later batch of a single class) gives the model of the same batches in memory, and
    converts nothing to numpy."""
    X, y = _classes(n=900)
    labels, w = NAMES[y], _weights(900)
    labels[600:700] = "bee"  # a batch of one class
    batches = [slice(0, 400), slice(400, 600), slice(600, 700), slice(700, 900)]
    params = dict(FAST, class_weight={"ant": 2.0})
    local, remote = GiantStepClassifier(**params), GiantStepClassifier(**params)
    for rows in batches:
        local.partial_fit(X[rows], labels[rows], classes=NAMES, sample_weight=w[rows])
        Xd, yd, wd = _dask(X[rows], labels[rows], chunk=70, weights=w[rows])
        monkeypatch.setattr(da.Array, "__array__", _refuse_numpy)
        remote.partial_fit(Xd, yd, classes=NAMES, sample_weight=wd)
        monkeypatch.undo()
    assert remote.readout_method_ == local.readout_method_ == "calibrated_ridge"
    np.testing.assert_array_equal(remote.classes_, NAMES)
    np.testing.assert_allclose(remote.predict_proba(X), local.predict_proba(X), atol=1e-8)
    assert remote._stream.n_batches == 4


def test_partial_fit_on_dask_refuses_unknown_labels(threads):
    X, y = _classes(n=300)
    model = GiantStepClassifier(**FAST).partial_fit(X[:200], NAMES[y[:200]], classes=NAMES)
    Xd, yd, _ = _dask(X[200:], np.where(y[200:] == 0, "emu", NAMES[y[200:]]), chunk=50)
    with pytest.raises(ValueError, match=r"labels \['emu'\] that are not in classes"):
        model.partial_fit(Xd, yd)
