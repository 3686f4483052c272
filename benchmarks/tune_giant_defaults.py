"""Evidence for GiantStepRegressor's defaults: test R² of configurations vs n_steps=0.

Each configuration is the default estimator with some parameters changed, inside
``Pipeline(StandardScaler(), ...)``, on the development data sets (DEVELOPERS.md), several
random 75/25 splits. Prints mean test R² and the difference to the same configuration
with ``n_steps=0`` (pure random features + the same readout), which the giant steps must
beat.

    python benchmarks/tune_giant_defaults.py [--seeds 3] [--datasets diabetes friedman1 ...]

``--datasets`` also takes the Gaussian targets of ``bench_giant.py`` (T1, T2, relu).
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

CONFIGS = {
    "default": {},
    "no-steps": {"n_steps": 0},
    "2 steps": {"n_steps": 2},
    "3 steps": {"n_steps": 3},
    "2 steps frozen": {"n_steps": 2, "second_layer": "frozen"},
    "3 steps frozen": {"n_steps": 3, "second_layer": "frozen"},
    "grid-to-2": {"solver_options": {"step_size_grid": [0.0, 0.25, 0.5, 1.0, 2.0]}},
    "keep-linear-in-steps": {"remove_linear": False},
    "no-bias": {"bias_scale": 0.0},
    "no-linear-readout": {"linear_readout": False, "remove_linear": False},
    "half-random": {"solver_options": {"random_fraction": 0.5}},
    "cap-1": {"solver_options": {"max_row_move": 1.0}},
    "width-512": {"n_hidden": 512},
    "width-512-no-steps": {"n_hidden": 512, "n_steps": 0},
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument(
        "--datasets", nargs="+", default=["diabetes", "friedman1", "weather", "deliveries"]
    )
    parser.add_argument("--configs", nargs="+", default=list(CONFIGS))
    parser.add_argument("--set", default="{}", help="JSON of parameters applied to all configs")
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads (default 1)")
    args = parser.parse_args(argv)
    base = json.loads(args.set)
    print(machine_summary())
    print(f"base parameters: {base or 'defaults'}; seeds 0..{args.seeds - 1}")
    with pin_threads(args.threads):
        rows = []
        for name in args.datasets:
            for label in args.configs:
                params = {**base, **CONFIGS[label]}
                r2, t, chosen = [], [], []
                if name in SYNTHETIC_SETS:
                    splits = synthetic_splits(name, range(args.seeds), 4096, 4096)
                else:
                    splits = dev_splits(name, range(args.seeds))
                for X_tr, X_te, y_tr, y_te in splits:
                    model = make_pipeline(
                        StandardScaler(), GiantStepRegressor(random_state=0, **params)
                    )
                    t.append(timed_fit(model, X_tr, y_tr))
                    r2.append(model.score(X_te, y_te))
                    chosen.append((model[-1].step_size_, model[-1].n_iter_))
                rows.append((name, label, np.mean(r2), np.std(r2), np.mean(t), chosen))
                print(
                    f"{name:11s} {label:22s} R2 {np.mean(r2):.4f} ± {np.std(r2):.4f} "
                    f"fit {np.mean(t):6.2f}s (step_size_, n_iter_) {chosen}",
                    flush=True,
                )
    return rows


if __name__ == "__main__":
    sys.exit(main() and 0)
