"""Property-based tests (hypothesis) of both estimators and of the ridge readout.

The example budget comes from the hypothesis profile loaded in conftest.py ("ci": a
few dozen examples per property; ``HYPOTHESIS_PROFILE=thorough`` for many more).
"""

import pickle
import warnings

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning

from skgiant import AlternatingOLSReLURegressor, GiantStepRegressor
from skgiant._ridge import eigen_readout, gram_statistics, ridge_coef

DTYPES = (np.float64, np.float32, np.int64)


@st.composite
def problems(draw, *, max_rows=40, dtypes=DTYPES):
    """Random (X, y, sample_weight) with 6 to ``max_rows`` rows, 1 to 5 columns."""
    n = draw(st.integers(6, max_rows))
    d = draw(st.integers(1, 5))
    m = draw(st.sampled_from([None, 2]))  # 1-D y or two outputs
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    X = rng.standard_normal((n, d))
    y = np.sin(2 * X[:, 0]) + X[:, -1] + 0.1 * rng.standard_normal(n)
    if m is not None:
        y = np.column_stack([y, X[:, 0] ** 2])
    dtype = draw(st.sampled_from(dtypes))
    X = np.round(3 * X).astype(dtype) if dtype is np.int64 else X.astype(dtype)
    weights = draw(st.sampled_from(["none", "float", "integer"]))
    if weights == "float":
        sw = rng.uniform(0.1, 3.0, n)
    elif weights == "integer":
        sw = rng.integers(1, 4, n).astype(float)
    else:
        sw = None
    return X, y, sw


def estimators(*, alternating_params=None, giant_params=None):
    """A small GiantStepRegressor or AlternatingOLSReLURegressor with a random seed."""
    giant = st.builds(
        GiantStepRegressor,
        n_hidden=st.integers(1, 12),
        n_steps=st.integers(0, 2),
        random_state=st.integers(0, 10_000),
        **(giant_params or {}),
    )
    alternating = st.builds(
        AlternatingOLSReLURegressor,
        n_hidden=st.integers(1, 6),
        max_iter=st.integers(0, 3),
        random_state=st.integers(0, 10_000),
        **(alternating_params or {}),
    )
    return st.one_of(giant, alternating)


def fit(model, X, y, sw=None):
    with warnings.catch_warnings():
        # short fits stop at max_iter and tiny ones can leave dead units: both are
        # reported by a ConvergenceWarning, tested elsewhere
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y, sample_weight=sw)


def network_arrays(model):
    net = model.network_
    arrays = [net.weights, net.bias, net.coef, net.intercept]
    return arrays + ([] if net.linear_coef is None else [net.linear_coef])


@given(problem=problems(), model=estimators())
def test_predictions_finite_with_right_shape_and_dtype(problem, model):
    X, y, sw = problem
    pred = fit(model, X, y, sw).predict(X)
    assert pred.shape == y.shape
    assert pred.dtype == (np.float32 if X.dtype == np.float32 else np.float64)
    assert np.all(np.isfinite(pred))


@given(problem=problems(), model=estimators())
def test_same_seed_gives_identical_model(problem, model):
    X, y, sw = problem
    first = fit(clone(model), X, y, sw)
    second = fit(clone(model), X, y, sw)
    for a, b in zip(network_arrays(first), network_arrays(second), strict=True):
        assert_array_equal(a, b)
    assert_array_equal(first.predict(X), second.predict(X))


@given(problem=problems(), model=estimators())
def test_pickle_round_trip_and_clone_refit_predict_identically(problem, model):
    X, y, sw = problem
    model = fit(model, X, y, sw)
    pred = model.predict(X)
    assert_array_equal(pickle.loads(pickle.dumps(model)).predict(X), pred)
    assert_array_equal(fit(clone(model), X, y, sw).predict(X), pred)


# Weights. Where these hold exactly (up to rounding) the fit sees rows only through
# weighted sums. Excluded configurations, and why:
# * GiantStepRegressor(step_size="auto") draws its validation folds over rows: a row of
#   weight 2 falls in one fold while its two copies can fall in two, and a zero-weight row
#   still takes a place in a fold (so the other rows' folds change); the chosen step size
#   can then differ.
# * n_steps >= 2 with batch_size="auto" splits the rows into batches by position, so
#   dropping or repeating rows changes which rows share a batch.
# * AlternatingOLSReLURegressor(solver="cg") stops at a residual tolerance; weighted and
#   repeated rows give normal equations equal only up to rounding, which moves where the
#   conjugate gradients stop (see test_common.py).
# The alternating iteration accepts a step when the loss decreases, so rounding can flip
# a decision that is on a knife edge; tolerances are loose enough for rounding, far
# tighter than any real difference between two models.
WEIGHT_EXACT = st.one_of(
    st.builds(
        GiantStepRegressor,
        n_hidden=st.integers(1, 12),
        n_steps=st.just(0),
        alpha=st.sampled_from(["auto", 0.1]),
        random_state=st.integers(0, 10_000),
    ),
    st.builds(
        GiantStepRegressor,
        n_hidden=st.integers(1, 12),
        n_steps=st.just(1),
        step_size=st.just(0.5),
        alpha=st.sampled_from(["auto", 0.1]),
        random_state=st.integers(0, 10_000),
    ),
    st.builds(
        AlternatingOLSReLURegressor,
        n_hidden=st.integers(1, 6),
        max_iter=st.integers(0, 3),
        solver=st.just("dense"),
        random_state=st.integers(0, 10_000),
    ),
)


def assert_same_predictions(a, b, y):
    scale = float(np.std(y)) + 1e-300
    assert_allclose(a, b, rtol=1e-6, atol=1e-7 * scale)


@given(problem=problems(dtypes=(np.float64,)), model=WEIGHT_EXACT, data=st.data())
def test_zero_weight_rows_equal_dropping_them(problem, model, data):
    X, y, sw = problem
    n = len(y)
    sw = np.ones(n) if sw is None else sw.copy()
    zero = np.array(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    zero[:3] = False  # keep a few rows with positive weight
    sw[zero] = 0.0
    weighted = fit(clone(model), X, y, sw).predict(X)
    dropped = fit(clone(model), X[~zero], y[~zero], sw[~zero]).predict(X)
    assert_same_predictions(weighted, dropped, y)


@given(problem=problems(dtypes=(np.float64,)), model=WEIGHT_EXACT, data=st.data())
def test_integer_weights_equal_repeating_rows(problem, model, data):
    X, y, _ = problem
    n = len(y)
    counts = np.array(data.draw(st.lists(st.integers(1, 3), min_size=n, max_size=n)))
    weighted = fit(clone(model), X, y, counts.astype(float)).predict(X)
    repeated = fit(clone(model), np.repeat(X, counts, axis=0), np.repeat(y, counts, axis=0))
    assert_same_predictions(weighted, repeated.predict(X), y)


# Examples hypothesis found (with HYPOTHESIS_PROFILE=thorough) before the fixes they led
# to, kept so the "ci" budget always checks them:
# * a zero-weight row changed the weighted share of flipped activations, which decides
#   the "pattern" stop (now weighted);
# * rounding left a dead unit's readout at 0 with repeated rows but at 3e-15 with integer
#   weights, so rebalancing shrank that unit's row in one fit only and the penalty
#   differed (now a readout within rounding of zero counts as zero).
REGRESSIONS = {
    "zero_weight_pattern_stop": (
        [
            [0.12573022, -0.13210486, 0.64042265, 0.10490012, -0.53566937],
            [0.36159505, 1.30400005, 0.94708096, -0.70373524, -1.26542147],
            [-0.62327446, 0.04132598, -2.32503077, -0.21879166, -1.24591095],
            [-0.73226735, -0.54425898, -0.31630016, 0.41163054, 1.04251337],
            [-0.12853466, 1.36646347, -0.66519467, 0.35151007, 0.90347018],
            [0.0940123, -0.74349925, -0.92172538, -0.45772583, 0.22019512],
        ],
        [-0.38781246, -0.62455937, -2.20972422, 0.10223838, 0.67068882, 0.44265107],
        [1, 1, 1, 1, 0, 1],
        dict(n_hidden=1, max_iter=2, random_state=0),
    ),
    "integer_weights_dead_unit_rebalance": (
        [
            [-1.1420923057255792, -1.0693365802085328],
            [-0.7572575068057147, 0.7686581312993666],
            [-1.0379354649276662, -1.0260363353167576],
            [-0.39261925899459704, 1.3877289445272596],
            [-0.9174509604357025, -0.6967310185745602],
            [0.19330890944750215, 0.14465215661725417],
        ],
        [-1.7868761328297185, -0.2868173479177086, -1.9947330771891543, 0.5471833128461104,
         -1.6291054050764058, 0.5009560701852941],
        [1, 3, 1, 1, 3, 2],
        dict(n_hidden=5, max_iter=1, random_state=655),
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", list(REGRESSIONS))
def test_weight_regressions(name):
    X, y, counts, params = (np.asarray(v) if i < 3 else v for i, v in enumerate(REGRESSIONS[name]))
    model = AlternatingOLSReLURegressor(solver="dense", **params)
    weighted = fit(clone(model), X, y, counts.astype(float)).predict(X)
    repeated = fit(clone(model), np.repeat(X, counts, axis=0), np.repeat(y, counts)).predict(X)
    assert_same_predictions(weighted, repeated, y)


# y is standardized before anything else sees it, so shifting or (positively) scaling y
# shifts or scales every prediction, alpha="auto" and early stopping included: both
# select on errors measured in standardized units.
WITH_DEFAULTS = estimators(
    alternating_params=dict(early_stopping=st.booleans()),
    giant_params=dict(step_size=st.sampled_from(["auto", 0.5])),
)


@given(
    problem=problems(dtypes=(np.float64, np.float32)),
    model=WITH_DEFAULTS,
    shift=st.floats(-100.0, 100.0),
)
def test_translating_y_translates_predictions(problem, model, shift):
    X, y, sw = problem
    y = y.astype(X.dtype)
    scale = float(np.std(y))
    shifted = (y + shift * scale).astype(X.dtype)
    base = fit(clone(model), X, y, sw).predict(X).astype(float)
    moved = fit(clone(model), X, shifted, sw).predict(X).astype(float)
    # rounding y + shift loses about eps * |shift| of y's spread, and a nearly
    # interpolating readout amplifies that by its condition number; any real difference
    # (another penalty or step size chosen) is orders of magnitude above sqrt(eps)
    tol = np.sqrt(np.finfo(X.dtype).eps) * (1.0 + abs(shift)) * scale
    assert_allclose(moved - (shifted - y).mean(axis=0), base, rtol=0, atol=tol)


@given(
    problem=problems(dtypes=(np.float64,)),
    model=WITH_DEFAULTS,
    log_factor=st.floats(-12.0, 12.0),
)
@example(  # a flat leave-one-out curve: the penalty was decided by rounding (now: ties)
    problem=(
        np.array([[2.1175342719927888], [0.6312628978172184], [0.1461989868319344],
                  [1.3468277419293966], [0.9980349826844853], [-0.6797778882152782]]),
        np.array([1.090644604023306, 1.5093283472644767, 0.46859738346701657,
                  1.7949801173069302, 2.036369133477139, -1.8428868156343174]),
        np.array([2.888529009020219, 2.083450067370653, 2.8590191396202953,
                  0.7494495846322091, 1.1250836540214797, 2.9081141099834165]),
    ),
    model=AlternatingOLSReLURegressor(max_iter=1, n_hidden=1, random_state=1),
    log_factor=1.0,
)  # fmt: skip
def test_scaling_y_scales_predictions(problem, model, log_factor):
    X, y, sw = problem
    factor = 10.0**log_factor
    base = fit(clone(model), X, y, sw).predict(X)
    scaled = fit(clone(model), X, factor * y, sw).predict(X)
    assert_allclose(scaled, factor * base, rtol=1e-8, atol=1e-8 * factor * np.std(y))


@given(
    problem=problems(dtypes=(np.float64,)),
    factor=st.floats(-1e6, 1e6).filter(lambda f: abs(f) > 1e-6),
    relative_shift=st.floats(-100.0, 100.0),
    alpha=st.floats(1e-6, 10.0),
)
def test_readout_is_linear_in_y(problem, factor, relative_shift, alpha):
    """The ridge readout: ``factor * y + shift`` gives ``factor * beta`` and a shifted
    intercept, for any sign of the factor (the features stay fixed). The shift is drawn
    relative to the spread of ``factor * y``: rounding ``factor * y + shift`` loses about
    ``eps * |shift|``, which no solver can recover."""
    X, y, sw = problem
    y = y.reshape(len(y), -1)
    sw = np.ones(len(y)) if sw is None else sw
    shift = relative_shift * abs(factor) * float(np.std(y))
    W = np.random.default_rng(0).standard_normal((X.shape[1], 4))

    def solve(targets):
        stats = gram_statistics(lambda rows: np.tanh(X[rows] @ W + 0.5), targets, sw, 7)
        return ridge_coef(eigen_readout(stats), alpha)

    beta, intercept = solve(y)
    beta_t, intercept_t = solve(factor * y + shift)
    size = abs(factor) * (np.abs(beta).max() + np.abs(intercept).max() + np.std(y))
    assert_allclose(beta_t, factor * beta, rtol=1e-8, atol=1e-9 * size)
    assert_allclose(intercept_t, factor * intercept + shift, rtol=1e-8, atol=1e-9 * size)
