"""Evidence for how GiantStepRegressor's automatic choices are made cheaply.

* The step-size selection fits one readout per candidate and fold on a copy of the
  problem cut to at most ``_SELECTION_MAX_ROWS`` rows and ``_SELECTION_MAX_WIDTH`` units
  (private constants of ``skgiant._giant_regressor``, patched here). Smaller is cheaper;
  the default run prints, for each size, the test R² of the final model, the step sizes
  chosen and the fit time.
* ``--criterion``: instead, the final penalty chosen by generalized cross-validation
  (the default with at least as many rows as features) against exact leave-one-out on
  every row (``skgiant._ridge.GCV_ROWS_PER_FEATURE`` patched to infinity).

Both on the development data and the Gaussian targets of ``bench_giant.py``.

    python benchmarks/tune_giant_selection.py [--criterion] [--seeds 3] [--datasets ...]
        [--set '{"n_steps": 3}'] [--sizes '[[2000, 128], [2000, 256]]']
"""

import argparse
import json
import sys

import numpy as np
from _common import dev_splits, machine_summary, pin_threads, timed_fit
from bench_giant import SYNTHETIC_SETS, synthetic_splits
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import skgiant._giant_regressor as giant
import skgiant._ridge as ridge
from skgiant import GiantStepRegressor

#: (rows, units) of the reduced selection problem.
SIZES = [(4000, 256), (2000, 256), (4000, 128), (2000, 128), (2000, 64)]
#: Label -> rows per feature from which the final penalty is chosen by GCV.
CRITERIA = {"gcv (default)": 1.0, "leave-one-out": np.inf}


def _splits(name, seeds):
    if name in SYNTHETIC_SETS:
        return synthetic_splits(name, seeds, 4096, 4096)
    return dev_splits(name, seeds)


def _evaluate(splits, params):
    """Mean/std test R², mean fit time and the (step size, steps) of the estimator."""
    r2, t, chosen = [], [], []
    for seed, (X_tr, X_te, y_tr, y_te) in enumerate(splits):
        model = make_pipeline(StandardScaler(), GiantStepRegressor(random_state=seed, **params))
        t.append(timed_fit(model, X_tr, y_tr))
        r2.append(model.score(X_te, y_te))
        chosen.append((model[-1].step_size_, model[-1].n_iter_))
    return (
        f"R2 {np.mean(r2):.4f} ± {np.std(r2):.4f} fit {np.mean(t):5.2f}s "
        f"(step_size_, n_iter_) {chosen}"
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument(
        "--datasets",
        nargs="+",
        default=["diabetes", "friedman1", "weather", "deliveries", *SYNTHETIC_SETS],
    )
    parser.add_argument(
        "--criterion", action="store_true", help="compare GCV with leave-one-out instead"
    )
    parser.add_argument("--set", default="{}", help="JSON of estimator parameters")
    parser.add_argument(
        "--sizes", default=None, help=f"JSON list of [rows, units] (default: {SIZES})"
    )
    args = parser.parse_args(argv)
    params = json.loads(args.set)
    sizes = [tuple(size) for size in json.loads(args.sizes)] if args.sizes else SIZES
    print(machine_summary())
    print(
        f"seeds 0..{args.seeds - 1}; estimator parameters {params or 'defaults'}, "
        "random_state = split index"
    )
    names = ("_SELECTION_MAX_ROWS", "_SELECTION_MAX_WIDTH")
    saved = {name: getattr(giant, name) for name in names}
    saved_gcv = ridge.GCV_ROWS_PER_FEATURE
    try:
        with pin_threads(1):
            for name in args.datasets:
                splits = list(_splits(name, range(args.seeds)))
                if args.criterion:
                    for label, rows_per_feature in CRITERIA.items():
                        ridge.GCV_ROWS_PER_FEATURE = rows_per_feature
                        print(f"{name:11s} {label:14s} {_evaluate(splits, params)}", flush=True)
                    continue
                for rows, units in sizes:
                    giant._SELECTION_MAX_ROWS, giant._SELECTION_MAX_WIDTH = rows, units
                    label = f"rows<={rows:<5d} units<={units:<4d}"
                    print(f"{name:11s} {label} {_evaluate(splits, params)}", flush=True)
    finally:
        for name, value in saved.items():
            setattr(giant, name, value)
        ridge.GCV_ROWS_PER_FEATURE = saved_gcv
    return 0


if __name__ == "__main__":
    sys.exit(main())
