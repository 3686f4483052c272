"""Evidence for the size of the reduced problem on which ``step_size="auto"`` is chosen.

The step-size selection fits one readout per candidate and fold on a copy of the problem
cut to at most ``_SELECTION_MAX_ROWS`` rows and ``_SELECTION_MAX_WIDTH`` units (private
constants of ``skgiant._giant_regressor``, patched here). Smaller is cheaper; this
prints, for each size, the test R² of the final model, the step sizes chosen and the
fit time, on the development data and the Gaussian targets of ``bench_giant.py``.

    python benchmarks/tune_giant_selection.py [--seeds 3] [--datasets ...]
"""

import argparse
import sys

import numpy as np
from _common import dev_splits, machine_summary, pin_threads, timed_fit
from bench_giant import SYNTHETIC_SETS, synthetic_splits
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import skgiant._giant_regressor as giant
from skgiant import GiantStepRegressor

#: (rows, units) of the reduced selection problem.
SIZES = [(4000, 256), (2000, 256), (4000, 128), (2000, 128), (2000, 64)]


def _splits(name, seeds):
    if name in SYNTHETIC_SETS:
        return synthetic_splits(name, seeds, 4096, 4096)
    return dev_splits(name, seeds)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument(
        "--datasets",
        nargs="+",
        default=["diabetes", "friedman1", "weather", "deliveries", *SYNTHETIC_SETS],
    )
    args = parser.parse_args(argv)
    print(machine_summary())
    print(f"seeds 0..{args.seeds - 1}; default estimator, random_state = split index")
    saved = giant._SELECTION_MAX_ROWS, giant._SELECTION_MAX_WIDTH
    try:
        with pin_threads(1):
            for name in args.datasets:
                splits = list(_splits(name, range(args.seeds)))
                for rows, units in SIZES:
                    giant._SELECTION_MAX_ROWS, giant._SELECTION_MAX_WIDTH = rows, units
                    r2, t, chosen = [], [], []
                    for seed, (X_tr, X_te, y_tr, y_te) in enumerate(splits):
                        model = make_pipeline(
                            StandardScaler(), GiantStepRegressor(random_state=seed)
                        )
                        t.append(timed_fit(model, X_tr, y_tr))
                        r2.append(model.score(X_te, y_te))
                        chosen.append(model[-1].step_size_)
                    print(
                        f"{name:11s} rows<={rows:<5d} units<={units:<4d} "
                        f"R2 {np.mean(r2):.4f} ± {np.std(r2):.4f} fit {np.mean(t):5.2f}s "
                        f"step_size_ {chosen}",
                        flush=True,
                    )
    finally:
        giant._SELECTION_MAX_ROWS, giant._SELECTION_MAX_WIDTH = saved
    return 0


if __name__ == "__main__":
    sys.exit(main())
