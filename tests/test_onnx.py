"""ONNX export: ONNX Runtime on the exported graph agrees with predict / transform."""

import copy
import importlib

import numpy as np
import pandas as pd
import pytest
import skl2onnx
from numpydoc.validate import validate
from onnxruntime import InferenceSession
from skl2onnx.common.data_types import FloatTensorType, StringTensorType
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

import skgiant.onnx
from skgiant import (
    AlternatingOLSReLUClassifier,
    AlternatingOLSReLURegressor,
    GiantStepClassifier,
    GiantStepFeatures,
    GiantStepRegressor,
)

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

#: ONNX Runtime must agree with predict / transform to this fraction of the spread
#: (standard deviation) of what they return.
RTOL_OF_SPREAD = 1e-4


def _data(n_outputs, seed=0):
    """Train rows, and test rows of which a third lie far outside the training range."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(300, 4))
    Y = np.c_[np.abs(X[:, 0]) + X[:, 1] * X[:, 2], np.sin(2 * X[:, 3]) + X[:, 0]]
    y = Y[:, :n_outputs] if n_outputs > 1 else Y[:, 0]
    X_test = rng.normal(size=(150, 4))
    X_test[::3] *= 6.0  # glitched readings: clipping must act on these
    return X.astype(np.float32), y, X_test.astype(np.float32)


def _run(onx, X):
    session = InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])
    feeds = X if isinstance(X, dict) else {session.get_inputs()[0].name: X}
    (out,) = session.run(None, feeds)
    return out


def _assert_agrees(got, expected):
    expected = np.asarray(expected, dtype=np.float64).reshape(got.shape)
    spread = np.std(expected)
    assert spread > 0
    np.testing.assert_allclose(got, expected, rtol=0, atol=RTOL_OF_SPREAD * spread)


REGRESSORS = {
    "giant relu": GiantStepRegressor(n_hidden=32, random_state=0),
    "giant relu no linear term": GiantStepRegressor(
        n_hidden=32, linear_readout=False, random_state=0
    ),
    "giant tanh": GiantStepRegressor(n_hidden=32, activation="tanh", random_state=0),
    "giant erf": GiantStepRegressor(n_hidden=32, activation="erf", random_state=0),
    "alternating relu": AlternatingOLSReLURegressor(n_hidden=8, max_iter=5, random_state=0),
    "alternating leaky relu": AlternatingOLSReLURegressor(
        n_hidden=8, max_iter=5, negative_slope=0.2, random_state=0
    ),
}


@pytest.mark.parametrize("clip_inputs", [True, False], ids=["clipped", "unclipped"])
@pytest.mark.parametrize("n_outputs", [1, 2])
@pytest.mark.parametrize("name", list(REGRESSORS))
def test_regressor_graph_agrees_with_predict(name, n_outputs, clip_inputs):
    X, y, X_test = _data(n_outputs)
    model = copy.deepcopy(REGRESSORS[name]).set_params(clip_inputs=clip_inputs).fit(X, y)
    net = model.network_
    assert (net.input_low is not None) == clip_inputs
    if name == "alternating leaky relu":
        assert net.negative_slope == 0.2
    if name == "giant relu no linear term":
        assert net.linear_coef is None
    got = _run(skl2onnx.to_onnx(model, X[:1]), X_test)
    assert got.dtype == np.float32 and got.shape == (len(X_test), n_outputs)
    _assert_agrees(got, model.predict(X_test))


def test_the_variants_cover_what_they_claim():
    """The parametrization above exercises every activation and the linear term both ways."""
    X, y, _ = _data(1)
    nets = [copy.deepcopy(m).fit(X, y).network_ for m in REGRESSORS.values()]
    assert {n.activation for n in nets} == {"relu", "tanh", "erf"}
    assert any(n.negative_slope > 0 for n in nets)
    assert any(n.linear_coef is None for n in nets)
    assert any(n.linear_coef is not None and np.any(n.linear_coef != 0) for n in nets)


def test_clipping_acts_on_the_glitched_test_rows():
    """Without clipping the network would predict differently on the glitched rows, so the
    agreement above depends on the graph's clipping nodes."""
    X, y, X_test = _data(1)
    model = GiantStepRegressor(n_hidden=32, random_state=0).fit(X, y)
    unclipped = copy.copy(model.network_)
    unclipped.input_low = unclipped.input_high = None
    gap = np.abs(unclipped.predict(X_test).ravel() - model.predict(X_test))
    assert gap.max() > 100 * RTOL_OF_SPREAD * np.std(model.predict(X_test))
    got = _run(skl2onnx.to_onnx(model, X[:1]), X_test)
    _assert_agrees(got, model.predict(X_test))


@pytest.mark.parametrize("clip_inputs", [True, False], ids=["clipped", "unclipped"])
@pytest.mark.parametrize("activation", ["relu", "tanh", "erf"])
def test_features_graph_agrees_with_transform(activation, clip_inputs):
    X, y, X_test = _data(1)
    features = GiantStepFeatures(
        n_hidden=16, activation=activation, clip_inputs=clip_inputs, random_state=0
    ).fit(X, y)
    got = _run(skl2onnx.to_onnx(features, X[:1]), X_test)
    assert got.shape == (len(X_test), 16)
    _assert_agrees(got, features.transform(X_test))


def test_float64_input_gives_a_float64_graph():
    X, y, X_test = _data(2)
    model = GiantStepRegressor(n_hidden=32, random_state=0).fit(X, y)
    X64 = X_test.astype(np.float64)
    got = _run(skl2onnx.to_onnx(model, X64[:1]), X64)
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, model.predict(X64), rtol=1e-10, atol=1e-10)


def test_pipeline_with_imputer_and_scaler():
    X, y, X_test = _data(1)
    X_gaps, X_test_gaps = X.copy(), X_test.copy()
    X_gaps[::7, 1] = np.nan
    X_test_gaps[::5, 2] = np.nan
    for model, train, test in (
        (
            make_pipeline(SimpleImputer(), StandardScaler(), GiantStepRegressor(random_state=0)),
            X_gaps,
            X_test_gaps,
        ),
        (
            make_pipeline(StandardScaler(), AlternatingOLSReLURegressor(random_state=0)),
            X,
            X_test,
        ),
        (
            make_pipeline(SimpleImputer(), GiantStepFeatures(n_hidden=16, random_state=0), Ridge()),
            X_gaps,
            X_test_gaps,
        ),
    ):
        model.fit(train, y)
        got = _run(skl2onnx.to_onnx(model, test[:1]), test)
        _assert_agrees(got, model.predict(test))


def test_column_transformer_with_one_hot_encoder():
    X, y, X_test = _data(1)
    rng = np.random.default_rng(1)
    frames = []
    for rows in (X, X_test):
        frame = pd.DataFrame(rows, columns=["a", "b", "c", "d"])
        frame["site"] = rng.choice(["north", "south", "east"], size=len(rows))
        frames.append(frame)
    train, test = frames
    y = y + (train["site"] == "north").to_numpy()
    prep = ColumnTransformer(
        [
            ("num", StandardScaler(), ["a", "b", "c", "d"]),
            ("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False), ["site"]),
        ]
    )
    for estimator in (
        GiantStepRegressor(n_hidden=32, random_state=0),
        AlternatingOLSReLURegressor(n_hidden=8, random_state=0),
    ):
        model = make_pipeline(prep, estimator).fit(train, y)
        initial_types = [(c, FloatTensorType([None, 1])) for c in "abcd"]
        initial_types.append(("site", StringTensorType([None, 1])))
        onx = skl2onnx.to_onnx(model, initial_types=initial_types)
        feeds = {c: test[[c]].to_numpy(dtype=np.float32) for c in "abcd"}
        feeds["site"] = test[["site"]].to_numpy(dtype=object)
        _assert_agrees(_run(onx, feeds), model.predict(test))


#: ONNX Runtime's probabilities must agree with predict_proba to this (absolute).
PROBA_ATOL = 1e-4

CLASSIFIERS = {
    "giant relu": GiantStepClassifier(n_hidden=32, random_state=0),
    "giant tanh no linear term, unclipped": GiantStepClassifier(
        n_hidden=32, activation="tanh", linear_readout=False, clip_inputs=False, random_state=0
    ),
    "alternating leaky relu": AlternatingOLSReLUClassifier(
        n_hidden=8, max_iter=5, negative_slope=0.2, random_state=0
    ),
}


def _labels(kind, X):
    """Labels of the rows ``X``: two or more classes of strings, integers or booleans."""
    score = X[:, 0] + X[:, 1] * X[:, 2]
    if kind == "bool":
        return score > 0
    bins = np.digitize(score, [-1.0, 0.0, 1.0])
    if kind == "str binary":
        return np.array(["no", "yes"])[(bins > 1).astype(int)]
    if kind == "str multiclass":
        return np.array(["low", "mid", "high", "top"])[bins]
    if kind == "int binary":
        return np.array([-1, 1])[(bins > 1).astype(int)]
    if kind == "int multiclass":  # not 0..k-1: the graph must look the labels up
        return np.array([-3, 0, 7, 42])[bins]
    raise ValueError(kind)


LABEL_KINDS = ["str binary", "str multiclass", "int binary", "int multiclass", "bool"]


def _class_data(kind):
    X, _, X_test = _data(1)
    return X, _labels(kind, X.astype(np.float64)), X_test


def _run_all(onx, X):
    session = InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])
    feeds = X if isinstance(X, dict) else {session.get_inputs()[0].name: X}
    names = [o.name for o in session.get_outputs()]
    return dict(zip(names, session.run(None, feeds), strict=True))


def _expected_onnx_labels(labels):
    """skl2onnx's label type: int64 for integer and boolean classes, else strings."""
    labels = np.asarray(labels)
    return labels.astype(np.int64) if labels.dtype.kind in "biu" else labels.astype(str)


def _assert_classifier_agrees(out, model, X):
    label, proba = out["label"], out["probabilities"]
    expected = _expected_onnx_labels(model.predict(X))
    assert label.shape == (len(X),)
    assert label.dtype == (np.int64 if expected.dtype == np.int64 else object)
    np.testing.assert_array_equal(label.astype(expected.dtype), expected)
    assert proba.dtype == np.float32 and proba.shape == (len(X), len(model.classes_))
    np.testing.assert_allclose(proba, model.predict_proba(X), rtol=0, atol=PROBA_ATOL)


def _no_zipmap(model, classifier=None):
    return {id(classifier if classifier is not None else model): {"zipmap": False}}


@pytest.mark.parametrize("kind", LABEL_KINDS)
@pytest.mark.parametrize("name", list(CLASSIFIERS))
def test_classifier_graph_agrees_with_predict_and_predict_proba(name, kind):
    X, y, X_test = _class_data(kind)
    model = copy.deepcopy(CLASSIFIERS[name]).fit(X, y)
    onx = skl2onnx.to_onnx(model, X[:1], options=_no_zipmap(model))
    out = _run_all(onx, X_test)
    assert list(out) == ["label", "probabilities"]
    _assert_classifier_agrees(out, model, X_test)
    # not all one class: the labels test the argmax and the lookup in classes_
    assert len(np.unique(out["label"])) == len(model.classes_)


@pytest.mark.parametrize("kind", ["str multiclass", "bool"])
def test_classifier_default_zipmap_gives_dictionaries(kind):
    """As for LogisticRegression: outputs output_label and output_probability, a list of
    {class: probability} (boolean classes as 0 and 1)."""
    X, y, X_test = _class_data(kind)
    model = GiantStepClassifier(n_hidden=32, random_state=0).fit(X, y)
    out = _run_all(skl2onnx.to_onnx(model, X[:1]), X_test)
    assert list(out) == ["output_label", "output_probability"]
    keys = _expected_onnx_labels(model.classes_).tolist()
    proba = model.predict_proba(X_test)
    assert len(out["output_probability"]) == len(X_test)
    for row, expected in zip(out["output_probability"], proba, strict=True):
        assert list(row) == keys
        np.testing.assert_allclose(list(row.values()), expected, rtol=0, atol=PROBA_ATOL)
    np.testing.assert_array_equal(out["output_label"], _expected_onnx_labels(model.predict(X_test)))


def test_classifier_outputs_match_logistic_regression():
    """The same output names and types as skl2onnx gives LogisticRegression."""
    from sklearn.linear_model import LogisticRegression

    X, y, _ = _class_data("str multiclass")
    for zipmap in (True, False):
        signatures = []
        for model in (LogisticRegression(), GiantStepClassifier(n_hidden=16, random_state=0)):
            model.fit(X, y)
            onx = skl2onnx.to_onnx(model, X[:1], options={id(model): {"zipmap": zipmap}})
            signatures.append([(o.name, str(o.type)) for o in onx.graph.output])
        assert signatures[0] == signatures[1]


def test_classifier_takes_skl2onnx_classifier_options():
    X, y, X_test = _class_data("int multiclass")
    model = GiantStepClassifier(n_hidden=16, random_state=0).fit(X, y)
    proba = model.predict_proba(X_test)
    encoded = np.searchsorted(model.classes_, model.predict(X_test))

    def run(**options):
        return _run_all(skl2onnx.to_onnx(model, X[:1], options={id(model): options}), X_test)

    columns = run(zipmap="columns")  # one output per class, named i<class>
    assert list(columns)[1:] == [f"i{c}" for c in model.classes_]
    np.testing.assert_allclose(np.c_[tuple(columns.values())[1:]], proba, atol=PROBA_ATOL)
    nocl = run(zipmap=False, nocl=True)  # labels are the indices of the classes
    np.testing.assert_array_equal(nocl["label"], encoded)
    with_classes = run(zipmap=False, output_class_labels=True)
    np.testing.assert_array_equal(with_classes["class_labels"], model.classes_)


def test_classifier_clipping_acts_on_the_glitched_test_rows():
    """Without clipping the network's probabilities would differ on the glitched rows,
    so the agreement depends on the graph's clipping nodes."""
    X, y, X_test = _class_data("str multiclass")
    model = GiantStepClassifier(n_hidden=32, random_state=0).fit(X, y)
    unclipped = copy.copy(model.network_)
    unclipped.input_low = unclipped.input_high = None
    from scipy.special import softmax

    gap = np.abs(softmax(unclipped.predict(X_test), axis=1) - model.predict_proba(X_test))
    assert gap.max() > 100 * PROBA_ATOL
    out = _run_all(skl2onnx.to_onnx(model, X[:1], options=_no_zipmap(model)), X_test)
    _assert_classifier_agrees(out, model, X_test)


def test_classifier_float64_graph():
    X, y, X_test = _class_data("int multiclass")
    model = AlternatingOLSReLUClassifier(n_hidden=8, max_iter=5, random_state=0).fit(X, y)
    X64 = X_test.astype(np.float64)
    out = _run_all(skl2onnx.to_onnx(model, X64[:1], options=_no_zipmap(model)), X64)
    assert out["probabilities"].dtype == np.float64
    np.testing.assert_array_equal(out["label"], model.predict(X64))
    np.testing.assert_allclose(out["probabilities"], model.predict_proba(X64), atol=1e-10)


def test_classifier_in_pipeline_with_imputer_and_scaler():
    X, y, X_test = _class_data("str multiclass")
    X_gaps, X_test_gaps = X.copy(), X_test.copy()
    X_gaps[::7, 1] = np.nan
    X_test_gaps[::5, 2] = np.nan
    for classifier in (
        GiantStepClassifier(n_hidden=32, random_state=0),
        AlternatingOLSReLUClassifier(n_hidden=8, max_iter=5, random_state=0),
    ):
        model = make_pipeline(SimpleImputer(), StandardScaler(), classifier).fit(X_gaps, y)
        onx = skl2onnx.to_onnx(model, X_test_gaps[:1], options=_no_zipmap(model, classifier))
        _assert_classifier_agrees(_run_all(onx, X_test_gaps), model, X_test_gaps)


def test_classifier_in_column_transformer_with_one_hot_encoder():
    X, _, X_test = _data(1)
    rng = np.random.default_rng(1)
    frames = []
    for rows in (X, X_test):
        frame = pd.DataFrame(rows, columns=["a", "b", "c", "d"])
        frame["site"] = rng.choice(["north", "south", "east"], size=len(rows))
        frames.append(frame)
    train, test = frames
    y = _labels("bool", X.astype(np.float64) + (train[["site"]] == "north").to_numpy())
    prep = ColumnTransformer(
        [
            ("num", StandardScaler(), ["a", "b", "c", "d"]),
            ("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False), ["site"]),
        ]
    )
    classifier = AlternatingOLSReLUClassifier(n_hidden=8, max_iter=5, random_state=0)
    model = make_pipeline(prep, classifier).fit(train, y)
    initial_types = [(c, FloatTensorType([None, 1])) for c in "abcd"]
    initial_types.append(("site", StringTensorType([None, 1])))
    onx = skl2onnx.to_onnx(
        model, initial_types=initial_types, options=_no_zipmap(model, classifier)
    )
    feeds = {c: test[[c]].to_numpy(dtype=np.float32) for c in "abcd"}
    feeds["site"] = test[["site"]].to_numpy(dtype=object)
    _assert_classifier_agrees(_run_all(onx, feeds), model, test)


def test_wrong_number_of_input_columns_is_refused():
    X, y, _ = _data(1)
    model = GiantStepRegressor(n_hidden=8, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="fitted on 4 features but its ONNX input has 3"):
        skl2onnx.to_onnx(model, X[:1, :3])


def test_add_network_nodes_rejects_an_unknown_output():
    with pytest.raises(ValueError, match="prediction"):
        skgiant.onnx.add_network_nodes(None, None, "X", None, output="labels")


def test_public_docstring_is_valid_and_its_example_runs():
    import doctest

    from test_docstrings import CHECKS_WITH_EXAMPLE

    errors = validate("skgiant.onnx.add_network_nodes")["errors"]
    assert not [e for e in errors if e[0] in CHECKS_WITH_EXAMPLE]
    result = doctest.testmod(importlib.import_module("skgiant.onnx"), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
