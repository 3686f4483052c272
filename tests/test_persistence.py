"""Safe persistence with skops: round trips, and only skgiant's own types need trusting."""

import importlib

import numpy as np
import pytest
import skops.io as sio
from numpydoc.validate import validate
from sklearn.base import clone

from skgiant import (
    AlternatingOLSReLUClassifier,
    AlternatingOLSReLURegressor,
    GiantStepClassifier,
    GiantStepFeatures,
    GiantStepRegressor,
)
from skgiant.persistence import trusted_types

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _data(n_outputs=1):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(240, 4))
    Y = np.c_[np.abs(X[:, 0]) + X[:, 1] * X[:, 2], np.sin(2 * X[:, 3])]
    return X, (Y if n_outputs > 1 else Y[:, 0])


def _labels(n_classes):
    X, y = _data()
    cuts = np.quantile(y, np.linspace(0, 1, n_classes + 1)[1:-1])
    return X, np.array(["ant", "bee", "cat"])[np.searchsorted(cuts, y)]


def _typed_labels(kind):
    """``_labels(3)`` as an object array of strings, booleans (two classes) or integers."""
    X, y = _labels(3)
    if kind == "object":
        return X, y.astype(object)
    if kind == "bool":
        return X, y == "cat"
    return X, np.select([y == "ant", y == "bee"], [-3, 7], default=42)


def _warm_started():
    X, y = _data()
    model = GiantStepRegressor(n_hidden=24, warm_start=True, random_state=0).fit(X[:120], y[:120])
    return model.set_params(n_steps=2).fit(X, y)


#: id -> a function returning a fitted estimator.
FITTED = {
    "giant default": lambda: GiantStepRegressor(random_state=0).fit(*_data()),
    "giant tanh, no linear term, fixed step, unclipped, 2 outputs": lambda: GiantStepRegressor(
        n_hidden=24,
        n_steps=2,
        step_size=1.0,
        alpha=0.1,
        activation="tanh",
        linear_readout=False,
        clip_inputs=False,
        random_state=0,
    ).fit(*_data(2)),
    "giant warm-started": _warm_started,
    "alternating default": lambda: AlternatingOLSReLURegressor(random_state=0).fit(*_data()),
    "alternating leaky, early stopping, cg, 2 outputs": lambda: AlternatingOLSReLURegressor(
        n_hidden=8,
        negative_slope=0.1,
        early_stopping=True,
        solver="cg",
        clip_inputs=False,
        random_state=np.random.RandomState(0),
    ).fit(*_data(2)),
    "giant classifier, 3 string classes": lambda: GiantStepClassifier(
        n_hidden=24, random_state=0
    ).fit(*_labels(3)),
    "alternating classifier, binary, balanced": lambda: AlternatingOLSReLUClassifier(
        n_hidden=4, max_iter=3, class_weight="balanced", random_state=0
    ).fit(*_labels(2)),
    "giant classifier tanh, no linear term, unclipped, class weights, object labels": (
        lambda: GiantStepClassifier(
            n_hidden=24,
            n_steps=2,
            activation="tanh",
            linear_readout=False,
            clip_inputs=False,
            class_weight={"ant": 2.0, "cat": 0.5},
            random_state=0,
        ).fit(*_typed_labels("object"))
    ),
    "giant classifier default, boolean labels": lambda: GiantStepClassifier(random_state=0).fit(
        *_typed_labels("bool")
    ),
    "alternating classifier leaky, early stopping, integer labels": lambda: (
        AlternatingOLSReLUClassifier(
            n_hidden=8,
            negative_slope=0.1,
            early_stopping=True,
            random_state=np.random.RandomState(0),
        ).fit(*_typed_labels("int"))
    ),
    "features default": lambda: GiantStepFeatures(random_state=0).fit(*_data()),
    "features erf, 2 steps": lambda: GiantStepFeatures(
        n_hidden=16, n_steps=2, activation="erf", random_state=0
    ).fit(*_data()),
}


def _output(model, X):
    if isinstance(model, GiantStepFeatures):
        return model.transform(X)
    return model.predict_proba(X) if hasattr(model, "predict_proba") else model.predict(X)


@pytest.mark.parametrize("name", list(FITTED))
def test_round_trip_trusting_only_skgiant_types(name, tmp_path):
    model = FITTED[name]()
    path = tmp_path / "model.skops"
    sio.dump(model, path)

    untrusted = sio.get_untrusted_types(file=path)
    assert f"{type(model).__module__}.{type(model).__qualname__}" in untrusted
    for qualified in untrusted:
        module, _, qualname = qualified.rpartition(".")
        assert module.split(".")[0] == "skgiant", qualified
        assert isinstance(getattr(importlib.import_module(module), qualname), type), qualified
    assert set(untrusted) <= set(trusted_types())

    with pytest.raises(sio.exceptions.UntrustedTypesFoundException):
        sio.load(path)
    loaded = sio.load(path, trusted=trusted_types())
    assert type(loaded) is type(model)
    assert sorted(vars(loaded)) == sorted(vars(model))  # every fitted attribute came back
    X, _ = _data()
    X_far = 5.0 * X  # outside the training range: clipping, if on, must survive the trip
    for rows in (X, X_far):
        np.testing.assert_array_equal(_output(loaded, rows), _output(model, rows))
    if hasattr(model, "classes_"):  # the labels come back with their type
        assert loaded.classes_.dtype == model.classes_.dtype
        np.testing.assert_array_equal(loaded.predict(X_far), model.predict(X_far))
    params = {k: v for k, v in model.get_params().items() if k != "random_state"}
    assert {k: loaded.get_params()[k] for k in params} == params


def test_a_loaded_model_can_be_refitted():
    model = AlternatingOLSReLURegressor(n_hidden=8, random_state=0).fit(*_data())
    loaded = sio.loads(sio.dumps(model), trusted=trusted_types())
    X, y = _data()
    np.testing.assert_array_equal(clone(loaded).fit(X, y).predict(X), model.predict(X))


def test_trusted_types_are_skgiant_classes_only():
    names = trusted_types()
    assert names == sorted(set(names))
    for qualified in names:
        module, _, qualname = qualified.rpartition(".")
        assert module.split(".")[0] == "skgiant"
        obj = getattr(importlib.import_module(module), qualname)
        assert isinstance(obj, type) and obj.__module__ == module
    for cls in (
        GiantStepRegressor,
        AlternatingOLSReLURegressor,
        GiantStepFeatures,
        GiantStepClassifier,
        AlternatingOLSReLUClassifier,
    ):
        assert f"{cls.__module__}.{cls.__name__}" in names


def test_public_docstring_is_valid_and_its_example_runs():
    import doctest

    from test_docstrings import CHECKS_WITH_EXAMPLE

    errors = validate("skgiant.persistence.trusted_types")["errors"]
    assert not [e for e in errors if e[0] in CHECKS_WITH_EXAMPLE]
    result = doctest.testmod(
        importlib.import_module("skgiant.persistence"), optionflags=doctest.ELLIPSIS
    )
    assert result.attempted > 0 and result.failed == 0
