"""GiantStepRegressor and AlternatingOLSReLURegressor on dask arrays: the same model as in
memory, read in few passes, never pulling the rows to the driver."""

import pickle

import numpy as np
import pytest

dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")

from dask.callbacks import Callback  # noqa: E402

import skgiant._dask as skdask  # noqa: E402
from skgiant import AlternatingOLSReLURegressor, GiantStepRegressor  # noqa: E402
from skgiant._blocks import RowData  # noqa: E402
from skgiant._dask import DaskRowData  # noqa: E402

RTOL = 1e-8


def _data(n=1203, d=5, m=1, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) * 2.0 + 1.0
    Y = np.column_stack(
        [np.sin(X[:, k % d]) + 0.3 * X[:, 1] * X[:, 2] + 0.1 * rng.normal(size=n) for k in range(m)]
    )
    return X, (Y.ravel() if m == 1 else Y)


def _dask(X, y, chunk=400, weights=None):
    Xd = da.from_array(X, chunks=(chunk, X.shape[1]))
    yd = da.from_array(y, chunks=(chunk,) + y.shape[1:])
    wd = None if weights is None else da.from_array(weights, chunks=chunk)
    return Xd, yd, wd


def _assert_same_model(a, b, X):
    """Both fits predict the same (float64 network outputs) and made the same choices."""
    pa, pb = a.network_.predict(np.asarray(X, float)), b.network_.predict(np.asarray(X, float))
    scale = np.abs(pa).max()
    assert np.abs(pa - pb).max() <= RTOL * scale
    assert a.step_size_ == pytest.approx(b.step_size_, rel=RTOL)
    assert a.n_iter_ == b.n_iter_
    assert a.alpha_ == pytest.approx(b.alpha_, rel=1e-6)


SETTINGS = {
    "default": {},
    "weights": {},
    "multi-output": {},
    "float32": {},
    "two steps": dict(n_steps=2, step_size=1.0),
    "frozen": dict(n_steps=2, step_size=1.0, second_layer="frozen"),
    "fixed alpha": dict(alpha=1e-2, step_size=1.0),
    "no linear part": dict(remove_linear=False, linear_readout=False),
}


def test_block_weights_are_summarized_and_looked_up_in_the_blocks(threads):
    """BlockWeights (weights left in the blocks) answer as the array would: totals in one
    compute, the weights of given rows, and ranks among the weighted rows mapped to rows
    (a block without weighted rows included)."""
    w = np.random.default_rng(3).uniform(0.0, 2.0, size=1000)
    w[::3] = 0.0
    w[200:400] = 0.0  # a whole block of zeros
    chunks = (150, 50, 200, 333, 267)
    with _Computes() as computes:
        weights = skdask.BlockWeights.of(da.from_array(w, chunks=(chunks,)))
    assert computes.count == 1
    assert weights.total == pytest.approx(w.sum(), rel=1e-14)
    assert (weights.largest, weights.smallest) == (w.max(), w.min())
    assert weights.n_weighted == np.count_nonzero(w) and weights.finite
    rows = np.array([0, 3, 250, 401, 999])
    np.testing.assert_array_equal(weights.at(rows), w[rows])
    weighted = np.flatnonzero(w > 0)
    ranks = np.array([0, 5, 130, len(weighted) - 1])
    np.testing.assert_array_equal(weights.positions(ranks), weighted[ranks])
    with _Computes() as computes:
        sample = weights.sample_weighted(100, seed=0)
    assert computes.count == 1
    expected = np.sort(np.random.default_rng(0).choice(weighted, 100, replace=False))
    np.testing.assert_array_equal(sample, expected)
    np.testing.assert_array_equal(weights.weighted_rows(), weighted)


def _refuse_row_vectors(monkeypatch, n):
    """Make numpy refuse to allocate a vector of ``n`` entries (the rows of the fit)."""
    for name in ("arange", "zeros", "ones", "empty", "full", "flatnonzero"):
        original = getattr(np, name)

        def guarded(*args, _original=original, _name=name, **kwargs):
            out = _original(*args, **kwargs)
            if np.ndim(out) >= 1 and len(out) == n:
                raise AssertionError(f"np.{_name} made a vector of all {n} rows")
            return out

        monkeypatch.setattr(np, name, guarded)


@pytest.mark.parametrize("weighted", [False, True], ids=["unit weights", "dask weights"])
def test_the_driver_holds_no_vector_of_all_rows(threads, monkeypatch, weighted):
    """A GiantStep fit on dask makes no driver-side array as long as the rows: the
    weights stay in the blocks (or are not stored at all), the full-batch step needs no
    row index, and the selection sample and leave-one-out rows are drawn without a
    permutation of all rows (``n`` beyond 50 times the samples, where
    ``Generator.choice`` draws by Floyd's algorithm)."""
    n = 30001  # > 50 * 512 leave-one-out rows
    X, y = _data(n=n, d=3)
    w = _weights(n) if weighted else None
    Xd, yd, wd = _dask(X, y, chunk=5000, weights=w)
    params = dict(n_hidden=8, random_state=0, solver_options={"selection_max_rows": 200})
    local = GiantStepRegressor(**params).fit(X, y, sample_weight=w)
    with pytest.raises(AssertionError):  # the guard works
        _refuse_row_vectors(monkeypatch, n)
        np.zeros(n)
    model = GiantStepRegressor(**params).fit(Xd, yd, sample_weight=wd)
    monkeypatch.undo()
    _assert_same_model(local, model, X)


@pytest.mark.parametrize("case", list(SETTINGS))
def test_fit_equals_the_in_memory_fit(scheduler, case):
    X, y = _data(m=2 if case == "multi-output" else 1)
    if case == "float32":
        X = X.astype(np.float32)
    w = None
    if case == "weights":
        w = np.random.default_rng(1).uniform(0.0, 3.0, size=len(X))
        w[::7] = 0.0
    params = dict(n_hidden=32, random_state=0, **SETTINGS[case])
    local = GiantStepRegressor(**params).fit(X, y, sample_weight=w)
    Xd, yd, wd = _dask(X, y, weights=w)  # 1203 rows in blocks of 400: an uneven last one
    assert Xd.chunks[0][-1] == 3
    model = GiantStepRegressor(**params).fit(Xd, yd, sample_weight=wd)
    _assert_same_model(local, model, X)
    assert model.n_features_in_ == X.shape[1]
    if case == "multi-output":
        assert model.predict(Xd).shape == (len(X), 2)
    if case == "float32":
        assert model.predict(Xd).dtype == np.float32


def test_chunking_does_not_change_the_model(threads):
    X, y = _data(n=1500)
    models = [
        GiantStepRegressor(n_hidden=32, n_steps=2, random_state=0).fit(*_dask(X, y, chunk)[:2])
        for chunk in (1500, 512, 137)
    ]
    for other in models[1:]:
        _assert_same_model(models[0], other, X)


def test_blocks_carry_global_row_indices(threads):
    """A kernel that reads ``block.rows`` sees the same rows as in memory, and the
    gathered rows are the requested ones, whatever the chunking."""
    X, y = _data(n=1000)
    w = np.linspace(0.5, 2.0, len(X))
    mask = np.zeros(len(X), bool)
    mask[::3] = True

    def kernel(block):
        chosen = mask[block.rows]
        return np.array(
            [block.weight[chosen].sum(), (block.X[chosen, 0] * block.weight[chosen]).sum()]
        )

    gather = np.array([0, 5, 399, 400, 401, 999])
    reference = RowData(X, y[:, None], w, chunk=128)
    expected, expected_rows = reference.reduce(kernel, gather=gather)
    Xd, yd, wd = _dask(X, y[:, None], chunk=250, weights=w)
    data = DaskRowData(Xd, yd, w, chunk=64)
    total, rows = data.reduce(kernel, gather=gather)
    np.testing.assert_allclose(total, expected, rtol=1e-12)
    np.testing.assert_array_equal(rows.X, X[gather])
    np.testing.assert_array_equal(rows.weights.array(), w[gather])
    np.testing.assert_array_equal(data.take(gather).Y, y[gather, None])
    np.testing.assert_allclose(data.map(lambda b: b.X[:, :1] * 2.0), X[:, :1] * 2.0)
    assert data.passes == 3


def _counting(monkeypatch):
    """The DaskRowData made from now on (their ``passes`` count a fit's passes)."""
    created = []

    class Counting(DaskRowData):
        def __post_init__(self):
            super().__post_init__()
            created.append(self)

    monkeypatch.setattr(skdask, "DaskRowData", Counting)
    return created


class _Computes(Callback):
    def __init__(self):
        super().__init__()
        self.count = 0

    def _start(self, dsk):
        self.count += 1


@pytest.mark.parametrize(
    "params, passes",
    [({}, 3), (dict(n_steps=2, step_size=1.0), 5), (dict(n_steps=0), 2)],
)
def test_a_fit_reads_the_blocks_once_per_pass(threads, monkeypatch, params, passes):
    created = _counting(monkeypatch)
    X, y = _data()
    with _Computes() as computes:
        GiantStepRegressor(n_hidden=32, random_state=0, **params).fit(*_dask(X, y)[:2])
    assert created[0].passes == passes
    assert computes.count == passes  # one dask.compute per pass, nothing else


def test_nothing_is_converted_to_numpy(threads, monkeypatch):
    X, y = _data()
    w = np.random.default_rng(2).uniform(0.5, 1.5, size=len(X))
    Xd, yd, wd = _dask(X, y, weights=w)
    local = GiantStepRegressor(n_hidden=32, random_state=0).fit(X, y, sample_weight=w)

    def refuse(self, *args, **kwargs):
        raise AssertionError("a dask array was converted to numpy")

    monkeypatch.setattr(da.Array, "__array__", refuse)
    with pytest.raises(AssertionError):
        np.asarray(Xd)  # the patch works
    model = GiantStepRegressor(n_hidden=32, random_state=0).fit(Xd, yd, sample_weight=wd)
    prediction = model.predict(Xd)
    score = model.score(Xd, yd, sample_weight=wd)
    monkeypatch.undo()
    assert isinstance(prediction, da.Array)
    np.testing.assert_allclose(prediction.compute(), local.predict(X), rtol=RTOL, atol=1e-12)
    assert score == pytest.approx(local.score(X, y, sample_weight=w), rel=1e-10)


def test_predict_is_lazy_and_score_matches(scheduler):
    X, y = _data(m=2)
    model = GiantStepRegressor(n_hidden=32, random_state=0).fit(X, y)
    Xd, yd, _ = _dask(X, y, chunk=300)
    with _Computes() as computes:
        prediction = model.predict(Xd)
    assert computes.count == 0
    assert prediction.chunks == (Xd.chunks[0], (2,))
    np.testing.assert_allclose(prediction.compute(), model.predict(X), rtol=1e-12)
    X_test, y_test = _data(n=700, m=2, seed=5)
    assert model.score(*_dask(X_test, y_test)[:2]) == pytest.approx(
        model.score(X_test, y_test), rel=1e-10
    )


def test_fitted_model_is_numpy_pickles_and_predicts_without_a_cluster(client):
    X, y = _data()
    with dask.config.set(scheduler=client):
        model = GiantStepRegressor(n_hidden=32, random_state=0).fit(*_dask(X, y)[:2])

    def no_dask(value):
        assert not hasattr(value, "__dask_graph__")
        if isinstance(value, dict):
            for v in value.values():
                no_dask(v)
        elif isinstance(value, list | tuple):
            for v in value:
                no_dask(v)

    no_dask(vars(model))
    no_dask(vars(model.network_))
    restored = pickle.loads(pickle.dumps(model))
    out = restored.predict(X)
    assert isinstance(out, np.ndarray)
    np.testing.assert_array_equal(out, model.predict(X))


def test_warm_start_continues_as_in_memory(threads):
    X, y = _data()
    Xd, yd, _ = _dask(X, y)
    params = dict(n_hidden=32, step_size=1.0, warm_start=True, random_state=0)
    local, model = GiantStepRegressor(**params), GiantStepRegressor(**params)
    for _ in range(2):
        local.fit(X, y)
        model.fit(Xd, yd)
    assert model.n_iter_ == local.n_iter_ == 2
    _assert_same_model(local, model, X)


def test_misaligned_targets_are_rechunked_exactly(threads):
    X, y = _data()
    Xd = da.from_array(X, chunks=(400, 5))
    local = GiantStepRegressor(n_hidden=32, random_state=0).fit(X, y)
    model = GiantStepRegressor(n_hidden=32, random_state=0).fit(
        Xd, da.from_array(y, chunks=250), sample_weight=da.ones(len(X), chunks=333)
    )
    _assert_same_model(local, model, X)


def test_unknown_chunks_and_mismatched_lengths_are_refused(threads):
    X, y = _data()
    Xd, yd, _ = _dask(X, y)
    model = GiantStepRegressor(n_hidden=8)
    unknown = Xd[Xd[:, 0] > -100]
    assert np.isnan(unknown.shape[0])
    with pytest.raises(ValueError, match="X has unknown chunk sizes.*compute_chunk_sizes"):
        model.fit(unknown, yd)
    with pytest.raises(ValueError, match="y has unknown chunk sizes"):
        model.fit(Xd, yd[yd > -100])
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        model.fit(Xd, yd[:-1])
    with pytest.raises(ValueError, match="sample_weight has unknown chunk sizes"):
        model.fit(Xd, yd, sample_weight=yd[yd > -100])
    data = DaskRowData(Xd, yd[:, None], np.ones(len(X)))
    with pytest.raises(ValueError, match="row chunks"):
        DaskRowData(Xd, data.Y.rechunk({0: 300}), np.ones(len(X)))
    with pytest.raises(TypeError, match="X must be a dask array"):
        model.fit(X, yd)


@pytest.mark.parametrize("where", ["X", "y"])
def test_nan_is_found_in_the_first_pass(threads, where):
    X, y = _data()
    (X if where == "X" else y)[1100] = np.nan
    with pytest.raises(ValueError, match=f"Input {where} contains NaN or infinity"):
        GiantStepRegressor(n_hidden=8).fit(*_dask(X, y)[:2])


def test_bad_weights_are_refused_like_in_memory(threads):
    X, y = _data()
    Xd, yd, _ = _dask(X, y)
    with pytest.raises(ValueError, match="Negative values"):
        GiantStepRegressor(n_hidden=8).fit(Xd, yd, sample_weight=-da.ones(len(X), chunks=400))
    w = np.zeros(len(X))
    w[0] = 1.0
    with pytest.raises(ValueError, match="at least 2 samples with a positive weight"):
        GiantStepRegressor(n_hidden=8).fit(Xd, yd, sample_weight=da.from_array(w, chunks=400))


def test_dask_dataframe_input_keeps_feature_names(threads):
    dd = pytest.importorskip("dask.dataframe")
    pd = pytest.importorskip("pandas")
    X, y = _data()
    frame = pd.DataFrame(X, columns=[f"x{k}" for k in range(X.shape[1])])
    local = GiantStepRegressor(n_hidden=32, random_state=0).fit(frame, y)
    ddf = dd.from_pandas(frame, npartitions=3)
    model = GiantStepRegressor(n_hidden=32, random_state=0).fit(
        ddf, dd.from_pandas(pd.Series(y), npartitions=3)
    )
    np.testing.assert_array_equal(model.feature_names_in_, frame.columns)
    _assert_same_model(local, model, X)
    np.testing.assert_allclose(model.predict(ddf).compute(), local.predict(frame), rtol=RTOL)
    with pytest.raises(ValueError, match="feature names should match"):
        model.predict(dd.from_pandas(frame.rename(columns=str.upper), npartitions=2))


def test_fit_on_worker_processes():
    """Kernels and their closures travel to separate processes (cloudpickle)."""
    X, y = _data(n=600)
    cluster = distributed.LocalCluster(
        processes=True, n_workers=1, threads_per_worker=1, dashboard_address=":0"
    )
    with cluster, distributed.Client(cluster, set_as_default=False) as c:
        with dask.config.set(scheduler=c):
            w = np.linspace(0.5, 1.5, len(X))
            Xd, yd, wd = _dask(X, y, chunk=250, weights=w)
            model = GiantStepRegressor(n_hidden=16, random_state=0).fit(Xd, yd, sample_weight=wd)
            score = model.score(Xd, yd)
    local = GiantStepRegressor(n_hidden=16, random_state=0).fit(X, y, sample_weight=w)
    _assert_same_model(local, model, X)
    assert score == pytest.approx(local.score(X, y), rel=1e-10)


# ----------------------------------------------------------------------------------------
# AlternatingOLSReLURegressor
# ----------------------------------------------------------------------------------------

import skgiant._alternating as alt  # noqa: E402
from skgiant._base import validate_fit_data  # noqa: E402

ALT = dict(n_hidden=16, max_iter=4, random_state=0)
ALT_SETTINGS = {
    "default": {},
    "weights": {},
    "multi-output": {},
    "float32": {},
    "fixed alpha": dict(alpha=1e-3),
    "dense": dict(solver="dense", alpha=1e-3),
    "published step": dict(step_fraction=1.0, alpha=1e-3),
    "early stopping": dict(early_stopping=True, max_iter=6, n_iter_no_change=2),
    "batches": dict(batch_size=500, alpha=1e-3),
}


def _weights(n, seed=1):
    w = np.random.default_rng(seed).uniform(0.0, 3.0, size=n)
    w[::7] = 0.0
    return w


def _assert_same_alternating(local, model, X, *, history=True):
    """The first iterations agree tightly and the loss curve to 1e-6 relative; the
    predictions to a looser tolerance (the iteration amplifies rounding)."""
    assert model.alpha_ == pytest.approx(local.alpha_, rel=1e-10)
    n = min(3, len(local.loss_curve_))
    np.testing.assert_allclose(model.loss_curve_[:n], local.loss_curve_[:n], rtol=1e-6)
    if history:
        for a, b in zip(local.history_[:n], model.history_[:n], strict=True):
            assert (a.accepted, a.step, a.method) == (b.accepted, b.step, b.method)
            assert a.flip_fraction == pytest.approx(b.flip_fraction, rel=1e-9, abs=1e-12)
    pa = local.network_.predict(np.asarray(X, float))
    pb = model.network_.predict(np.asarray(X, float))
    assert np.abs(pa - pb).max() <= 1e-5 * np.abs(pa).max()


@pytest.mark.parametrize("case", list(ALT_SETTINGS))
def test_alternating_fit_equals_the_in_memory_fit(threads, case):
    X, y = _data(m=2 if case == "multi-output" else 1)
    if case == "float32":
        X = X.astype(np.float32)
    w = _weights(len(X)) if case == "weights" else None
    params = {**ALT, **ALT_SETTINGS[case]}
    local = AlternatingOLSReLURegressor(**params).fit(X, y, sample_weight=w)
    Xd, yd, wd = _dask(X, y, weights=w)  # blocks of 400 rows and a last one of 3
    model = AlternatingOLSReLURegressor(**params).fit(Xd, yd, sample_weight=wd)
    _assert_same_alternating(local, model, X)
    assert model.n_iter_ == local.n_iter_ and model.best_iter_ == local.best_iter_
    assert model.n_features_in_ == X.shape[1]
    if case == "early stopping":
        np.testing.assert_allclose(
            model.validation_scores_[:3], local.validation_scores_[:3], rtol=1e-6
        )
    if case == "batches":
        assert local.n_iter_ >= 2  # several batches were drawn
    if case == "multi-output":
        assert model.predict(Xd).shape == (len(X), 2)
    if case == "float32":
        assert model.predict(Xd).dtype == np.float32


def test_alternating_on_the_cluster(scheduler):
    X, y = _data()
    w = _weights(len(X))
    local = AlternatingOLSReLURegressor(**ALT).fit(X, y, sample_weight=w)
    model = AlternatingOLSReLURegressor(**ALT).fit(*_dask(X, y, weights=w))
    _assert_same_alternating(local, model, X)


def test_alternating_penalty_path_on_folds(threads):
    """With few rows per first-layer parameter, alpha="auto" cross-fits a penalty path
    on folds drawn by value: the same folds, fits and choice as in memory."""
    X, y = _data(n=250)
    params = dict(n_hidden=16, max_iter=3, random_state=0)  # 250 < 3 * 16 * 6 rows
    local = AlternatingOLSReLURegressor(**params).fit(X, y)
    assert local.alpha_scores_ is not None
    model = AlternatingOLSReLURegressor(**params).fit(*_dask(X, y, chunk=128)[:2])
    assert sorted(model.alpha_scores_) == pytest.approx(sorted(local.alpha_scores_), rel=1e-10)
    for a, score in local.alpha_scores_.items():
        assert model.alpha_scores_[min(model.alpha_scores_, key=lambda b: abs(b - a))] == (
            pytest.approx(score, rel=1e-6)
        )
    _assert_same_alternating(local, model, X)


@pytest.mark.parametrize("case", ["early stopping", "batches", "penalty path"])
def test_alternating_on_views_of_the_blocks(threads, monkeypatch, case):
    """Subsets too large to gather (here: all) stay in the blocks as views; the fit is
    the same as in memory, and nothing is gathered."""
    monkeypatch.setattr(skdask, "GATHER_BYTES", 0)
    monkeypatch.setattr(DaskRowData, "take", lambda self, index: pytest.fail("rows were gathered"))
    n = 200 if case == "penalty path" else 1203  # weights sum to about 1.3 n
    X, y = _data(n=n)
    w = _weights(n)
    params = {
        "early stopping": dict(early_stopping=True, max_iter=5, n_iter_no_change=2),
        "batches": dict(batch_size=500, alpha=1e-3),
        "penalty path": dict(max_iter=3),
    }[case]
    params = {**ALT, **params}
    local = AlternatingOLSReLURegressor(**params).fit(X, y, sample_weight=w)
    if case == "penalty path":
        assert local.alpha_scores_ is not None
    model = AlternatingOLSReLURegressor(**params).fit(*_dask(X, y, chunk=137, weights=w))
    _assert_same_alternating(local, model, X)
    assert model.n_iter_ == local.n_iter_


def test_views_number_their_rows_like_a_gathered_copy(threads, monkeypatch):
    """A view (and a view of a view) sees the kept rows, numbered from 0 in order, in
    reduce, map and take, whatever the chunking -- also with blocks that keep no row."""
    monkeypatch.setattr(skdask, "GATHER_BYTES", 0)
    X, y = _data(n=1000)
    w = np.linspace(0.5, 2.0, len(X))
    outer = np.flatnonzero(
        (np.arange(1000) % 3 != 0) & ((np.arange(1000) < 250) | (np.arange(1000) >= 500))
    )
    inner = np.arange(0, len(outer), 2)
    reference = RowData(X, y[:, None], w, chunk=64).take(outer).take(inner)
    mask = np.random.default_rng(0).random(len(inner)) < 0.5

    def kernel(block):
        chosen = mask[block.rows]
        return np.array([block.weight[chosen].sum(), block.X[chosen, 1] @ block.weight[chosen]])

    expected = reference.reduce(kernel)[0]
    for chunk in (1000, 250, 97):
        Xd, yd, _ = _dask(X, y[:, None], chunk=chunk)
        data = DaskRowData(Xd, yd, w, chunk=50)
        view = data.subset(outer).subset(inner)
        assert isinstance(view, DaskRowData) and view.n == len(inner)
        np.testing.assert_allclose(view.reduce(kernel)[0], expected, rtol=1e-12)
        np.testing.assert_array_equal(view.map(lambda b: b.X[:, :2]), reference.X[:, :2])
        gather = np.array([0, 1, len(inner) // 2, len(inner) - 1])
        taken = view.take(gather)
        np.testing.assert_array_equal(taken.X, reference.X[gather])
        np.testing.assert_array_equal(taken.weights.array(), reference.weights.array()[gather])
        assert data.passes == 3  # the view's passes count on the data's counter


def test_alternating_patterns_are_recomputed_in_the_blocks(threads):
    """On dask rows the pattern is the implicit one of W; the normal equations, the CG
    product and the flip count built from it equal those of the stored pattern."""
    X, y = _data(n=700)
    problem = alt.Problem.from_arrays(X, y, np.linspace(0.2, 1.5, len(X)), slope=0.1)
    Xd, yd, _ = _dask(X, y[:, None], chunk=250)
    remote = alt.Problem(DaskRowData(Xd, yd, problem.weights.array(), chunk=100), slope=0.1)
    rng = np.random.default_rng(3)
    W = alt.init_weights(rng, 6, X.shape[1], "fan_in")
    beta, b0 = rng.normal(size=(6, 1)), np.array([0.2])
    stored = alt.evaluate(problem, W, beta, b0, 0.1, pattern=True)
    implicit = alt.evaluate(remote, W, beta, b0, 0.1, pattern=True)
    assert isinstance(implicit.active, alt.ImplicitPattern)
    assert stored.active.shape == (len(X), 6)
    assert implicit.loss == pytest.approx(stored.loss, rel=1e-12)
    for kind in ("dense", "cg"):
        a = alt.hidden_system(problem, stored.active, W, beta, b0, kind)
        b = alt.hidden_system(remote, implicit.active, W, beta, b0, kind)
        np.testing.assert_allclose(b.r, a.r, rtol=1e-10)
        np.testing.assert_allclose(b.diagonal, a.diagonal, rtol=1e-10)
        if kind == "dense":
            np.testing.assert_allclose(b.M, a.M, rtol=1e-10, atol=1e-14)
        else:
            np.testing.assert_allclose(b.MW, a.MW, rtol=1e-10)
    V = rng.normal(size=W.shape)
    np.testing.assert_allclose(
        alt.normal_matvec(remote, implicit.active, beta, V),
        alt.normal_matvec(problem, stored.active, beta, V),
        rtol=1e-10,
    )
    W2 = W + 0.3 * rng.normal(size=W.shape)
    flips = alt.evaluate(problem, W2, beta, b0, 0.1, reference=stored.active).flip_fraction
    assert flips > 0
    assert alt.evaluate(remote, W2, beta, b0, 0.1, reference=implicit.active).flip_fraction == (
        pytest.approx(flips, rel=1e-12)
    )


def test_no_pattern_is_assembled_on_the_driver(threads, monkeypatch):
    """An (n, p) pattern is assembled from the blocks only for in-memory rows."""
    X, y = _data()
    Xd, yd, _ = _dask(X, y)
    monkeypatch.setattr(alt.RowPieces, "assemble", lambda self: pytest.fail("pattern stored"))
    for params in (dict(alpha=1e-3), dict(batch_size=500, solver="cg", alpha=1e-3)):
        AlternatingOLSReLURegressor(**{**ALT, **params}).fit(Xd, yd)
    with pytest.raises(pytest.fail.Exception, match="pattern stored"):
        AlternatingOLSReLURegressor(**ALT).fit(X, y)  # the patch works


def test_distributed_auto_solver_is_dense_while_unknowns_allow():
    # in memory, many rows and P = 352 unknowns favour 30 CG products over the dense Gram
    assert alt.choose_solver("auto", 32, 11, 10**6, 30) == "cg"
    assert alt.choose_solver("auto", 32, 11, 10**6, 30, distributed=True) == "dense"
    P = alt.DISTRIBUTED_DENSE_UNKNOWNS
    assert alt.choose_solver("auto", P // 8, 8, 10**6, 30, distributed=True) == "dense"
    assert alt.choose_solver("auto", P // 8 + 1, 8, 10**6, 30, distributed=True) == "cg"
    assert alt.choose_solver("cg", 4, 3, 10**6, 30, distributed=True) == "cg"


@pytest.mark.parametrize(
    "params, per_iteration",
    [
        (dict(), lambda record: 3),
        (dict(solver="cg"), lambda record: 3 + record.inner_iter),
        (dict(batch_size=500), lambda record: 3),
    ],
)
def test_alternating_passes_per_iteration(threads, monkeypatch, params, per_iteration):
    """Moments (1), readout statistics and evaluation at initialization (2); per accepted
    iteration: normal equations (1, dense) or the batch gathered (1), each CG product
    (k), the tried step with its readout statistics (1), the evaluation after the
    readout (1). One dask.compute per pass."""
    created = _counting(monkeypatch)
    X, y = _data(d=10)  # P = 16 * 11 = 176 unknowns
    settings = dict(
        n_hidden=16, max_iter=3, alpha=1e-3, step_fraction=1.0, tol=0.0, random_state=0,
        solver_options=dict(revive_dead_units=False, max_inner_iter=5, inner_tol=1e-15),
    )  # fmt: skip
    with _Computes() as computes:
        model = AlternatingOLSReLURegressor(**settings, **params).fit(*_dask(X, y)[:2])
    records = model.history_[1:]
    assert len(records) == 3 and all(record.accepted for record in records)
    assert all(record.method == ("cg" if "solver" in params else "cholesky") for record in records)
    expected = 3 + sum(per_iteration(record) for record in records)
    assert created[0].passes == expected
    assert computes.count == expected


def test_alternating_early_stopping_on_a_view_adds_one_pass(threads, monkeypatch):
    """Held-out rows too many to gather are scored in the blocks: one pass more per
    accepted iteration."""
    monkeypatch.setattr(skdask, "GATHER_BYTES", 0)
    created = _counting(monkeypatch)
    X, y = _data()
    model = AlternatingOLSReLURegressor(
        n_hidden=16, max_iter=3, alpha=1e-3, step_fraction=1.0, tol=0.0, random_state=0,
        early_stopping=True, n_iter_no_change=10,
        solver_options=dict(revive_dead_units=False),
    ).fit(*_dask(X, y)[:2])  # fmt: skip
    assert model.n_iter_ == 3 and all(r.accepted for r in model.history_[1:])
    # moments, then initialization (2) and its validation score (1), 4 per iteration
    assert created[0].passes == 1 + 3 + 4 * 3


def test_alternating_converts_nothing_to_numpy(threads, monkeypatch):
    X, y = _data()
    w = np.random.default_rng(2).uniform(0.5, 1.5, size=len(X))
    Xd, yd, wd = _dask(X, y, weights=w)
    params = {**ALT, "early_stopping": True, "batch_size": 500}
    local = AlternatingOLSReLURegressor(**params).fit(X, y, sample_weight=w)

    def refuse(self, *args, **kwargs):
        raise AssertionError("a dask array was converted to numpy")

    monkeypatch.setattr(da.Array, "__array__", refuse)
    with pytest.raises(AssertionError):
        np.asarray(Xd)  # the patch works
    model = AlternatingOLSReLURegressor(**params).fit(Xd, yd, sample_weight=wd)
    prediction = model.predict(Xd)
    score = model.score(Xd, yd, sample_weight=wd)
    monkeypatch.undo()
    assert isinstance(prediction, da.Array)
    np.testing.assert_allclose(prediction.compute(), model.predict(X), rtol=1e-12)
    _assert_same_alternating(local, model, X)
    assert score == pytest.approx(model.score(X, y, sample_weight=w), rel=1e-10)


def test_alternating_chunking_does_not_change_the_model(threads):
    X, y = _data(n=1500)
    models = [
        AlternatingOLSReLURegressor(**ALT).fit(*_dask(X, y, chunk)[:2])
        for chunk in (1500, 512, 137)
    ]
    for other in models[1:]:
        _assert_same_alternating(models[0], other, X)


def test_alternating_refuses_bad_dask_input_clearly(threads):
    X, y = _data()
    Xd, yd, _ = _dask(X, y)
    model = AlternatingOLSReLURegressor(n_hidden=8, max_iter=2)
    with pytest.raises(ValueError, match="X has unknown chunk sizes.*compute_chunk_sizes"):
        model.fit(Xd[Xd[:, 0] > -100], yd)
    with pytest.raises(ValueError, match="y has unknown chunk sizes"):
        model.fit(Xd, yd[yd > -100])
    X[1100, 2] = np.inf
    with pytest.raises(ValueError, match="Input X contains NaN or infinity"):
        model.fit(*_dask(X, y)[:2])
    with pytest.raises(ValueError, match="intervals=True needs in-memory data"):
        AlternatingOLSReLURegressor(intervals=True).fit(Xd, yd)
    with pytest.raises(ValueError, match="intervals=True needs in-memory data"):
        GiantStepRegressor(intervals=True).fit(Xd, yd)


def test_estimators_without_a_dask_path_still_refuse_it():
    class NoDask(GiantStepRegressor):
        pass

    X, y = _data(n=50)
    with pytest.raises(TypeError, match="NoDask does not accept dask collections"):
        validate_fit_data(NoDask(), da.from_array(X), y, None)


def test_alternating_forced_cg_works_on_dask(threads):
    """solver="cg" on a cluster: every product is a pass, but the fit is the same
    safeguarded iteration (its result depends on rounding at the level of inner_tol,
    in memory too, so only the first step is compared, loosely)."""
    X, y = _data()
    params = {**ALT, "solver": "cg", "alpha": 1e-3}
    local = AlternatingOLSReLURegressor(**params).fit(X, y)
    model = AlternatingOLSReLURegressor(**params).fit(*_dask(X, y)[:2])
    assert all(record.method == "cg" for record in model.history_[1:])
    assert all(record.inner_iter > 0 for record in model.history_[1:])
    assert np.all(np.diff(model.loss_curve_) <= 0)
    # (in memory alone, another working_memory moves loss_curve_[1] by a few 1e-3)
    np.testing.assert_allclose(model.loss_curve_[:2], local.loss_curve_[:2], rtol=1e-2)
    assert model.loss_curve_[-1] < 0.5 * model.loss_curve_[0]


@pytest.mark.parametrize("alpha", ["auto", 1e-2])
def test_partial_fit_on_dask_batches_equals_in_memory_batches(threads, monkeypatch, alpha):
    """A stream of dask batches (weights in the blocks, or none) gives the model of the
    same batches in memory: the first fit, the reservoir's draws and the streamed
    readout; nothing is converted to numpy, and a later unweighted batch is read in two
    passes plus one gather of the rows the reservoir takes."""
    X, y = _data(n=1500)
    w = _weights(1500)
    batches = [slice(0, 600), slice(600, 1000), slice(1000, 1500)]
    params = dict(n_hidden=16, alpha=alpha, random_state=0)
    local, remote = GiantStepRegressor(**params), GiantStepRegressor(**params)
    for k, rows in enumerate(batches):
        weights = None if k == 2 else w[rows]
        local.partial_fit(X[rows], y[rows], sample_weight=weights)
        Xd, yd, wd = _dask(X[rows], y[rows], chunk=150, weights=weights)
        monkeypatch.setattr(da.Array, "__array__", _refuse_numpy)
        with _Computes() as computes:
            remote.partial_fit(Xd, yd, sample_weight=wd)
        monkeypatch.undo()
        _assert_same_model(local, remote, X)
    assert computes.count == 3  # the range, the moments, the reservoir's rows
    assert remote._stream.n_batches == 3


def _refuse_numpy(self, *args, **kwargs):
    raise AssertionError("a dask array was converted to numpy")


@pytest.mark.parametrize("clip", [True, False])
def test_partial_fit_finds_nan_in_a_later_dask_batch(threads, clip):
    """A later dask batch is checked in its first pass (whether or not the clipping
    bounds take a pass of their own), and a refused batch leaves the stream as it was."""
    X, y = _data(n=900)
    model = GiantStepRegressor(n_hidden=8, random_state=0, clip_inputs=clip)
    model.partial_fit(*_dask(X[:400], y[:400], chunk=100)[:2])
    before = model.predict(X)
    bad = X[400:].copy()
    bad[77, 2] = np.nan
    with pytest.raises(ValueError, match="NaN or infinity"):
        model.partial_fit(*_dask(bad, y[400:], chunk=100)[:2])
    assert model._stream.n_batches == 1
    np.testing.assert_array_equal(model.predict(X), before)
