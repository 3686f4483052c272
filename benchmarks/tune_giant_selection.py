"""Evidence for how GiantStepRegressor's automatic choices are made cheaply.

The step-size selection fits one readout per candidate and fold on a copy of the problem
cut to at most ``selection_max_rows`` rows and ``selection_max_width`` units (solver
options of ``GiantStepRegressor``). Smaller is cheaper; the run prints, for each size,
the test R² of the final model, the step sizes chosen and the fit time, on the
development data and the Gaussian targets of ``bench_giant.py``.

    python benchmarks/tune_giant_selection.py [--seeds 3] [--datasets ...]
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

from skgiant import GiantStepRegressor

#: (rows, units) of the reduced selection problem.
SIZES = [(4000, 256), (2000, 256), (4000, 128), (2000, 128), (2000, 64)]


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
    with pin_threads(1):
        for name in args.datasets:
            splits = list(_splits(name, range(args.seeds)))
            for rows, units in sizes:
                options = dict(params.get("solver_options") or {})
                options.update(selection_max_rows=rows, selection_max_width=units)
                label = f"rows<={rows:<5d} units<={units:<4d}"
                result = _evaluate(splits, {**params, "solver_options": options})
                print(f"{name:11s} {label} {result}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
