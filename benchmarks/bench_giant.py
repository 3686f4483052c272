"""Benchmark of GiantStepRegressor against MLPRegressor, random features and kernels.

Run from the repository root::

    python benchmarks/bench_giant.py                # 3 seeds, every data set
    python benchmarks/bench_giant.py --quick        # 1 seed, small data, for a smoke run
    python benchmarks/bench_giant.py --seeds 5 --datasets diabetes weather T1

Every model is ``make_pipeline(StandardScaler(), model)``, fitted on the same splits in
the same run, with BLAS/OpenMP threads pinned by threadpoolctl (``--threads``, default 1).
The models, all of the estimator's default width (1024) where they have a width:

- ``GiantStep``: ``GiantStepRegressor(random_state=0)`` (defaults, ``step_size="auto"``);
- ``GiantStep(n_steps=2)``: the same with up to two steps (the second following the
  refitted readout), the more accurate setting;
- ``GiantStep(c=0.5)``: a fixed step size, no selection (``alpha`` still ``"auto"``);
- ``RF``: ``GiantStepRegressor(n_steps=0, random_state=0)``, random features of the same
  width with the same readout;
- ``MLP(adam)``, ``MLP(lbfgs)``: ``MLPRegressor(hidden_layer_sizes=(1024,), max_iter=200,
  random_state=0)`` (adam without early stopping; ConvergenceWarnings counted, not shown);
- ``RBFSampler`` and ``Nystroem``: 1024 components, ``gamma = 1/d`` (what ``gamma="scale"``
  gives on standardized inputs), then ``RidgeCV(alphas=np.logspace(-6, 3, 19))``;
- ``HistGB``: ``HistGradientBoostingRegressor(random_state=0)``.

Data: the development sets of DEVELOPERS.md (75/25 splits, seeds ``0..seeds-1``, weather
cut to 8000 training rows) and Gaussian synthetic targets from ``skgiant.datasets``, d=64,
4096 training and 4096 test rows drawn with ``random_state=seed``: ``T1`` and ``T2``
(``make_multi_index``) and ``relu`` (``make_single_index(link="relu")``), no label noise.

The matrix-product floor of one GiantStepRegressor fit at the same width p is timed on
random arrays of the training shapes (median of 3, once per split): the pre-activations
``X @ W.T`` (n x d by d x p), the readout Gram ``Phi.T @ Phi`` (Phi is n x (p + d)) and its
reduction to tridiagonal form (LAPACK ``dsytrd``, what generalized cross-validation over
a grid of penalties needs) -- or, when n < p + d, the n x n kernel ``Phi @ Phi.T`` and its
eigendecomposition (``eigh(driver="evd")``) if that is cheaper (the dual form the
estimator then uses, with exact leave-one-out).

Prints the machine, then per data set a table of test R2 (mean +- std over the splits)
and mean fit time, then summary tables of ratios and R2 differences (paired by split).
``MLP(adam)/floor`` bounds the speed-up over MLPRegressor that any fit of this readout
could reach (it must at least form and diagonalize the Gram or kernel matrix).
"""

import argparse
import sys
import time
import warnings

import numpy as np
import scipy
import sklearn
from _common import dev_splits, load_summary, machine_summary, median_time, pin_threads, timed_fit
from scipy import linalg
from scipy.linalg import lapack
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.kernel_approximation import Nystroem, RBFSampler
from sklearn.linear_model import RidgeCV
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skgiant import GiantStepRegressor
from skgiant.datasets import make_multi_index, make_single_index

#: Width of every model: the estimator's default.
WIDTH = GiantStepRegressor().n_hidden
DEV_SETS = ["diabetes", "friedman1", "weather", "deliveries"]
SYNTHETIC_SETS = ["T1", "T2", "relu"]
SYNTHETIC_D = 64
RIDGE_ALPHAS = np.logspace(-6, 3, 19)

GIANT, FIXED, RF = "GiantStep", "GiantStep(c=0.5)", "RF (n_steps=0)"
GIANT2 = "GiantStep(n_steps=2)"
ADAM, LBFGS, ADAM100 = "MLP(adam)", "MLP(lbfgs)", "MLP(adam, 100 units)"


def models(d):
    """Label -> unfitted final estimator, for inputs with ``d`` features."""
    gamma = 1.0 / d
    return {
        GIANT: GiantStepRegressor(n_hidden=WIDTH, random_state=0),
        GIANT2: GiantStepRegressor(n_hidden=WIDTH, n_steps=2, random_state=0),
        FIXED: GiantStepRegressor(n_hidden=WIDTH, step_size=0.5, random_state=0),
        RF: GiantStepRegressor(n_hidden=WIDTH, n_steps=0, random_state=0),
        ADAM: MLPRegressor(
            hidden_layer_sizes=(WIDTH,),
            solver="adam",
            max_iter=200,
            early_stopping=False,
            random_state=0,
        ),
        LBFGS: MLPRegressor(
            hidden_layer_sizes=(WIDTH,), solver="lbfgs", max_iter=200, random_state=0
        ),
        # scikit-learn's default MLP, what users reach for first
        ADAM100: MLPRegressor(random_state=0),
        "RBFSampler+RidgeCV": make_pipeline(
            RBFSampler(gamma=gamma, n_components=WIDTH, random_state=0),
            RidgeCV(alphas=RIDGE_ALPHAS),
        ),
        "Nystroem+RidgeCV": make_pipeline(
            Nystroem(gamma=gamma, n_components=WIDTH, random_state=0),
            RidgeCV(alphas=RIDGE_ALPHAS),
        ),
        "HistGB": HistGradientBoostingRegressor(random_state=0),
    }


def synthetic_splits(name, seeds, n_train, n_test, d=SYNTHETIC_D):
    """Yield ``(X_train, X_test, y_train, y_test)`` of a Gaussian synthetic target."""
    for seed in seeds:
        n = n_train + n_test
        if name == "relu":
            X, y, _ = make_single_index(n, d, link="relu", random_state=seed)
        else:
            X, y, _ = make_multi_index(n, d, target=name, random_state=seed)
        yield X[:n_train], X[n_train:], y[:n_train], y[n_train:]


def matrix_floor(n, d, p=WIDTH, repeats=3, seed=0):
    """Median times of the products one fit cannot avoid: ``(preact, gram, diag)``.

    The readout needs the Gram matrix of the ``n x (p + d)`` features and its reduction
    to tridiagonal form (enough for generalized cross-validation over a grid of
    penalties), or, with fewer rows than features, the ``n x n`` kernel matrix and its
    eigendecomposition (the dual form, for exact leave-one-out): the cheaper of the two
    is the floor.
    """
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    W = rng.standard_normal((p, d))
    phi = rng.standard_normal((n, p + d))
    preact = median_time(lambda: X @ W.T, repeats)
    gram = phi.T @ phi
    lwork = int(lapack.dsytrd_lwork(p + d, lower=1)[0])
    floors = [
        (
            median_time(lambda: phi.T @ phi, repeats),
            median_time(lambda: lapack.dsytrd(gram, lower=1, lwork=lwork), repeats),
        )
    ]
    if n < p + d:
        kernel = phi @ phi.T
        floors.append(
            (
                median_time(lambda: phi @ phi.T, repeats),
                median_time(lambda: linalg.eigh(kernel, driver="evd"), repeats),
            )
        )
    return (preact, *min(floors, key=sum))


def run_dataset(splits, seeds):
    """Fit every model on every split; return per-model records and the floor times."""
    records, floors = {}, []
    for split, (X_tr, X_te, y_tr, y_te) in zip(seeds, splits, strict=True):
        n, d = X_tr.shape
        floors.append(matrix_floor(n, d))
        for label, model in models(d).items():
            pipe = make_pipeline(StandardScaler(), model)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", ConvergenceWarning)
                seconds = timed_fit(pipe, X_tr, y_tr)
            rec = records.setdefault(label, {"r2": [], "time": [], "warnings": 0, "step": []})
            rec["r2"].append(pipe.score(X_te, y_te))
            rec["time"].append(seconds)
            for w in caught:
                if issubclass(w.category, ConvergenceWarning):
                    rec["warnings"] += 1
                else:  # only ConvergenceWarnings are counted instead of shown
                    warnings.showwarning(w.message, w.category, w.filename, w.lineno)
            if isinstance(model, GiantStepRegressor):
                rec["step"].append((model.step_size_, model.n_iter_))
        print(f"  split {split}: done ({load_summary()})", file=sys.stderr, flush=True)
    shape = (n, d, len(y_te))
    return records, np.mean(floors, axis=0), shape


def dataset_table(name, shape, records, n_splits):
    n, d, n_test = shape
    lines = [
        f"### {name} (n_train={n}, d={d}, n_test={n_test}, {n_splits} split(s))",
        "",
        "| model | test R² (mean ± std) | fit time (s) | ConvergenceWarnings "
        "| step_size_:n_iter_ |",
        "|---|---|---|---|---|",
    ]
    for label, rec in records.items():
        steps = " ".join(f"{c:g}:{t}" for c, t in rec["step"])
        lines.append(
            f"| {label} | {np.mean(rec['r2']):.4f} ± {np.std(rec['r2']):.4f} "
            f"| {np.mean(rec['time']):.3f} | {rec['warnings']} | {steps} |"
        )
    return "\n".join(lines)


def _diff(records, a, b):
    """Paired R² difference a − b over the splits, as 'mean ± std'."""
    delta = np.asarray(records[a]["r2"]) - np.asarray(records[b]["r2"])
    return f"{delta.mean():+.4f} ± {delta.std():.4f}"


def _time(records, label):
    return float(np.mean(records[label]["time"]))


def summary_tables(results):
    speed = [
        "### Fit time ratios (ratio of mean fit times over the splits)",
        "",
        "| data set | GiantStep (s) | MLP(adam)/GiantStep | MLP(lbfgs)/GiantStep "
        "| floor (s) = preact + Gram + diag | GiantStep/floor | MLP(adam)/floor "
        "| GiantStep(c=0.5) (s) | GiantStep(c=0.5)/floor | MLP(adam)/GiantStep(c=0.5) "
        "| MLP(lbfgs)/GiantStep(c=0.5) | GiantStep(n_steps=2) (s) "
        "| MLP(adam)/GiantStep(n_steps=2) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    accuracy = [
        "### Test R² differences (paired by split, mean ± std)",
        "",
        "| data set | GiantStep − RF | GiantStep − MLP(adam) | GiantStep − MLP(lbfgs) "
        "| GiantStep − HistGB | GiantStep(c=0.5) − RF | GiantStep(c=0.5) − MLP(adam) "
        "| GiantStep(c=0.5) − MLP(lbfgs) | GiantStep(n_steps=2) − GiantStep "
        "| GiantStep(n_steps=2) − MLP(adam) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, (records, floor, _) in results.items():
        t_giant, t_fixed, t_two = (_time(records, m) for m in (GIANT, FIXED, GIANT2))
        t_adam, t_lbfgs = _time(records, ADAM), _time(records, LBFGS)
        total = float(np.sum(floor))
        parts = " + ".join(f"{f:.4f}" for f in floor)
        speed.append(
            f"| {name} | {t_giant:.3f} | {t_adam / t_giant:.1f}× | {t_lbfgs / t_giant:.1f}× "
            f"| {total:.4f} = {parts} | {t_giant / total:.1f}× | {t_adam / total:.1f}× "
            f"| {t_fixed:.3f} | {t_fixed / total:.1f}× | {t_adam / t_fixed:.1f}× "
            f"| {t_lbfgs / t_fixed:.1f}× | {t_two:.3f} | {t_adam / t_two:.1f}× |"
        )
        accuracy.append(
            f"| {name} | {_diff(records, GIANT, RF)} | {_diff(records, GIANT, ADAM)} "
            f"| {_diff(records, GIANT, LBFGS)} | {_diff(records, GIANT, 'HistGB')} "
            f"| {_diff(records, FIXED, RF)} | {_diff(records, FIXED, ADAM)} "
            f"| {_diff(records, FIXED, LBFGS)} | {_diff(records, GIANT2, GIANT)} "
            f"| {_diff(records, GIANT2, ADAM)} |"
        )
    return "\n".join(speed), "\n".join(accuracy)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=None, help="splits per data set (3)")
    parser.add_argument(
        "--large-seeds",
        type=int,
        default=None,
        help="splits for weather and deliveries (default: same as --seeds)",
    )
    parser.add_argument(
        "--datasets", nargs="+", default=None, choices=DEV_SETS + SYNTHETIC_SETS, metavar="NAME"
    )
    parser.add_argument("--n-synthetic", type=int, default=None, help="synthetic train rows")
    parser.add_argument("--threads", type=int, default=1, help="BLAS/OpenMP threads (1)")
    parser.add_argument("--quick", action="store_true", help="1 seed, small data (smoke run)")
    args = parser.parse_args(argv)
    seeds = args.seeds or (1 if args.quick else 3)
    large_seeds = args.large_seeds or seeds
    default_sets = ["diabetes", "friedman1"] + SYNTHETIC_SETS if args.quick else None
    datasets = args.datasets or default_sets or DEV_SETS + SYNTHETIC_SETS
    n_syn = args.n_synthetic or (512 if args.quick else 4096)

    tic = time.perf_counter()
    with pin_threads(args.threads):
        print(machine_summary())
        print(
            f"scikit-learn {sklearn.__version__}, scipy {scipy.__version__}; "
            f"threads pinned to {args.threads}; {load_summary()} at start"
        )
        print(
            f"seeds 0..{seeds - 1} (weather, deliveries: 0..{large_seeds - 1}); "
            f"synthetic n_train = n_test = {n_syn}, d = {SYNTHETIC_D}; width {WIDTH}"
        )
        print()
        results = {}
        for name in datasets:
            n_splits = large_seeds if name in ("weather", "deliveries") else seeds
            split_seeds = range(n_splits)
            if name in SYNTHETIC_SETS:
                splits = synthetic_splits(name, split_seeds, n_syn, n_syn)
                label = f"{name} (d={SYNTHETIC_D})"
            else:
                splits = dev_splits(name, split_seeds)
                label = name
            print(f"{label} ...", file=sys.stderr, flush=True)
            records, floor, shape = run_dataset(splits, split_seeds)
            results[label] = (records, floor, shape)
            print(dataset_table(label, shape, records, n_splits), flush=True)
            print(flush=True)
        speed, accuracy = summary_tables(results)
        print(speed)
        print()
        print(accuracy)
        print()
        print(f"total wall time {time.perf_counter() - tic:.0f} s; {load_summary()} at end")
    return results


if __name__ == "__main__":
    sys.exit(main() and 0)
