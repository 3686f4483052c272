"""GiantStepRegressor on dask arrays: the same model as in memory, read in 3 passes,
never pulling the rows to the driver."""

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


@pytest.fixture(scope="session")
def client():
    """An in-process cluster (one worker, two threads), used only where a test asks."""
    cluster = distributed.LocalCluster(
        processes=False, n_workers=1, threads_per_worker=2, dashboard_address=":0"
    )
    with distributed.Client(cluster, set_as_default=False) as c:
        yield c
    cluster.close()


@pytest.fixture(params=["distributed", "threads"])
def scheduler(request):
    """Each test using it runs on the in-process cluster and on the threaded scheduler."""
    target = request.getfixturevalue("client") if request.param == "distributed" else "threads"
    with dask.config.set(scheduler=target):
        yield request.param


@pytest.fixture
def threads():
    with dask.config.set(scheduler="threads"):
        yield


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
    np.testing.assert_array_equal(rows.weight, w[gather])
    np.testing.assert_array_equal(data.take(gather).Y, y[gather, None])
    np.testing.assert_allclose(data.map(lambda b: b.X[:, :1] * 2.0), X[:, :1] * 2.0)
    assert data.passes == 3


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
    created = []

    class Counting(DaskRowData):
        def __post_init__(self):
            super().__post_init__()
            created.append(self)

    monkeypatch.setattr(skdask, "DaskRowData", Counting)
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


def test_alternating_refuses_dask_input():
    X, y = _data(n=50)
    with pytest.raises(TypeError, match="supported by GiantStepRegressor only"):
        AlternatingOLSReLURegressor().fit(da.from_array(X), y)


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
