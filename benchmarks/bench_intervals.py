"""Prediction intervals: coverage and width of 90% intervals on the development data.

For each development set (5 splits) and each regressor, the empirical coverage of the
``predict_interval(X, coverage=0.9)`` intervals of ``intervals=True`` on the test rows and
their mean width (in units of the test target's standard deviation), beside two
split-conformal references: ``HistGradientBoostingRegressor`` and the same estimator,
each fitted on 75% of the training rows with the absolute residuals of the other 25% as
the conformal scores. Also the fit time of ``intervals=True`` over the plain default.
Requirement: coverage between 0.86 and 0.95 on every set (mean over the splits).

    python benchmarks/bench_intervals.py [--splits 5] [--datasets ...] [--quick]
"""

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from _common import dev_splits, pin_threads, resolve_datasets, results_header
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from skgiant import AlternatingOLSReLURegressor, GiantStepRegressor
from skgiant._devdata import dev_pipeline

COVERAGE = 0.9
RESULTS = Path(__file__).resolve().parent / "RESULTS_intervals.md"
MODELS = {"GiantStep": GiantStepRegressor, "Alternating": AlternatingOLSReLURegressor}


def _split_conformal(model, X, y, seed):
    """Split-conformal half width: fit on 75%, score the other 25%."""
    X_fit, X_cal, y_fit, y_cal = train_test_split(X, y, test_size=0.25, random_state=seed)
    model.fit(X_fit, y_fit)
    scores = np.sort(np.abs(y_cal - model.predict(X_cal)))
    k = int(np.ceil((len(scores) + 1) * COVERAGE)) - 1
    return model, (scores[k] if k < len(scores) else np.inf)


def _evaluate(name, n_splits):
    rows = {label: [] for label in MODELS}
    for seed, (X_tr, X_te, y_tr, y_te) in enumerate(dev_splits(name, range(n_splits))):
        sd = np.std(y_te)
        hgb = dev_pipeline(HistGradientBoostingRegressor(random_state=seed))
        hgb, q_hgb = _split_conformal(hgb, X_tr, y_tr, seed)
        hgb_cov = np.mean(np.abs(y_te - hgb.predict(X_te)) <= q_hgb)
        for label, Estimator in MODELS.items():
            tic = time.perf_counter()
            dev_pipeline(Estimator(random_state=seed)).fit(X_tr, y_tr)
            plain = time.perf_counter() - tic
            tic = time.perf_counter()
            model = dev_pipeline(Estimator(random_state=seed, intervals=True)).fit(X_tr, y_tr)
            with_intervals = time.perf_counter() - tic
            interval = model[:-1].transform(X_te)
            interval = model[-1].predict_interval(interval, coverage=COVERAGE)
            inside = (y_te >= interval[:, 0]) & (y_te <= interval[:, 1])
            split = dev_pipeline(Estimator(random_state=seed))
            split, q_split = _split_conformal(split, X_tr, y_tr, seed)
            split_cov = np.mean(np.abs(y_te - split.predict(X_te)) <= q_split)
            rows[label].append(
                (
                    inside.mean(),
                    np.mean(interval[:, 1] - interval[:, 0]) / sd,
                    split_cov,
                    2 * q_split / sd,
                    hgb_cov,
                    2 * q_hgb / sd,
                    with_intervals / plain,
                )
            )
    return {label: np.array(r) for label, r in rows.items()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--splits", type=int, default=5)
    parser.add_argument("--datasets", nargs="+")
    parser.add_argument("--quick", action="store_true", help="two small sets, two splits")
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args(argv)
    argv = sys.argv[1:] if argv is None else argv
    datasets = resolve_datasets(parser, args.datasets, args.quick, ["diabetes", "bdims"])
    n_splits = 2 if args.quick else args.splits
    lines = results_header("Prediction intervals", "benchmarks/bench_intervals.py", argv, 1)
    lines += [
        "",
        f"Nominal coverage {COVERAGE:.0%}; {n_splits} splits per set (mean over splits; "
        "worst split in brackets). Widths are mean interval widths over the test target's "
        "standard deviation. *split* = the same estimator fitted on 75% of the training "
        "rows, scored on the other 25%; *HGB split* = the same for "
        "`HistGradientBoostingRegressor`. *time* = fit with `intervals=True` over the "
        "plain default.",
        "",
        "| data | model | coverage | width | split coverage | split width | "
        "HGB split coverage | HGB split width | time |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    failures = []
    with pin_threads(1), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for name in datasets:
            for label, r in _evaluate(name, n_splits).items():
                mean = r.mean(axis=0)
                line = (
                    f"| {name} | {label} | {mean[0]:.3f} [{r[:, 0].min():.3f}] | {mean[1]:.2f} "
                    f"| {mean[2]:.3f} | {mean[3]:.2f} | {mean[4]:.3f} | {mean[5]:.2f} "
                    f"| {mean[6]:.2f}x |"
                )
                print(line, flush=True)
                lines.append(line)
                if not 0.86 <= mean[0] <= 0.95:
                    failures.append(f"{label} on {name} ({mean[0]:.3f})")
    lines += ["", "## Reading", ""]
    if failures:
        lines.append("Coverage outside [0.86, 0.95]: " + "; ".join(failures) + ".")
    else:
        lines.append("Coverage is within [0.86, 0.95] on every set for both regressors.")
    Path(args.out).write_text("\n".join(lines) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
