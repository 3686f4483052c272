"""Robustness of the skgiant defaults: special cases and test-time glitches.

Run from the repository root::

    python benchmarks/bench_robustness.py            # every development set, 5 splits
    python benchmarks/bench_robustness.py --quick    # 1 split, 2 small sets (smoke run)
    python benchmarks/bench_robustness.py --datasets diabetes ames --seeds 3

Writes ``benchmarks/RESULTS_robustness.md`` (``--out``) and prints the same text.

Every model is ``dev_pipeline(model)`` (mean imputation, standardization, model) fitted on
the same splits of the development protocol (``dev_splits``: 75/25, seeds ``0..seeds-1``,
at most 8000 training rows) in the same run, BLAS/OpenMP threads pinned (``--threads``).
The models (``random_state=0`` wherever there is one):

- ``GiantStep``: ``GiantStepRegressor()`` (the defaults);
- ``no-step``: ``GiantStepRegressor(step_size=0.0)``, the same network without the step;
- ``Alternating``: ``AlternatingOLSReLURegressor()`` (the defaults, 32 hidden units);
- ``RidgeCV``: ``RidgeCV(alphas=np.logspace(-3, 3, 13))``;
- ``MLP lbfgs(32)``: ``MLPRegressor(hidden_layer_sizes=(32,), solver="lbfgs",
  max_iter=1000)``, the same width as Alternating (ConvergenceWarnings counted);
- ``Nystroem+RidgeCV``: ``Nystroem(n_components=min(1024, n_train), gamma=1/d)`` then
  ``RidgeCV(alphas=np.logspace(-6, 3, 19))``;
- ``HistGB``: ``HistGradientBoostingRegressor()``.

Table A (special cases): test R² per model, and the paired differences GiantStep −
RidgeCV, GiantStep − no-step and Alternating − MLP lbfgs(32) (mean over splits and the
worst split). Requirements, on the mean over the splits: GiantStep ≥ RidgeCV − 0.005,
GiantStep ≥ no-step − 0.005, Alternating ≥ MLP lbfgs(32) − 0.01.

Table B (glitches): after fitting on clean training rows, 10% of the test rows get one
randomly chosen feature set to ±200 training standard deviations from the training mean
(``glitch_rows``). Requirement per model: the test R² drops by at most 0.10 and every
prediction stays within ``[min(y_train) − w/2, max(y_train) + w/2]``, ``w`` the training
target range.
"""

import argparse
import sys
import time

import numpy as np
from _common import (
    fit_counting,
    load_summary,
    pin_threads,
    resolve_datasets,
    results_header,
)
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.kernel_approximation import Nystroem
from sklearn.linear_model import RidgeCV
from sklearn.metrics import r2_score
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import make_pipeline

from skgiant import AlternatingOLSReLURegressor, GiantStepRegressor
from skgiant._devdata import dev_pipeline, dev_splits

DEFAULT_OUT = "benchmarks/RESULTS_robustness.md"
QUICK_SETS = ["diabetes", "chem_proc_yield"]

GIANT, NOSTEP, ALT = "GiantStep", "no-step", "Alternating"
RIDGE, MLP, NYS, HGB = "RidgeCV", "MLP lbfgs(32)", "Nystroem+RidgeCV", "HistGB"
GLITCH_MODELS = [GIANT, ALT, RIDGE, HGB]

#: Tolerances of the requirements.
TOL_RIDGE = TOL_NOSTEP = 0.005
TOL_MLP = 0.01
MAX_DROP = 0.10
GLITCH_FRACTION, GLITCH_SD = 0.1, 200.0


def models(n_train, d):
    """Label -> unfitted final estimator for ``n_train`` rows and ``d`` features."""
    return {
        GIANT: GiantStepRegressor(random_state=0),
        NOSTEP: GiantStepRegressor(step_size=0.0, random_state=0),
        ALT: AlternatingOLSReLURegressor(random_state=0),
        RIDGE: RidgeCV(alphas=np.logspace(-3, 3, 13)),
        MLP: MLPRegressor(hidden_layer_sizes=(32,), solver="lbfgs", max_iter=1000, random_state=0),
        NYS: make_pipeline(
            Nystroem(n_components=min(1024, n_train), gamma=1.0 / d, random_state=0),
            RidgeCV(alphas=np.logspace(-6, 3, 19)),
        ),
        HGB: HistGradientBoostingRegressor(random_state=0),
    }


def glitch_rows(X_test, X_train, fraction=GLITCH_FRACTION, sd=GLITCH_SD, rng=None):
    """A copy of ``X_test`` with one feature of a random ``fraction`` of rows glitched.

    ``round(fraction * n_test)`` rows are drawn without replacement; in each, one feature
    ``j`` drawn at random is set to ``mean_j ± sd * std_j`` (sign random), with the mean
    and standard deviation of column ``j`` of ``X_train`` over its finite entries. A
    constant (or empty) training column uses standard deviation 1 (and mean 0 if empty).

    Parameters
    ----------
    X_test, X_train : ndarray of shape (n_test, d), (n_train, d)
    fraction : float, default=0.1
    sd : float, default=200
    rng : int, numpy Generator or None
        Seed or generator of the choice of rows, features and signs.

    Returns
    -------
    X_glitched : ndarray of shape (n_test, d), float64
        A new array; ``X_test`` is not modified.
    """
    rng = np.random.default_rng(rng)
    X_train = np.asarray(X_train, dtype=np.float64)
    X = np.array(X_test, dtype=np.float64, copy=True)
    n, d = X.shape
    finite = np.isfinite(X_train)
    count = finite.sum(axis=0)
    safe = np.maximum(count, 1)
    mean = np.where(finite, X_train, 0.0).sum(axis=0) / safe
    var = np.where(finite, (X_train - mean) ** 2, 0.0).sum(axis=0) / safe
    std = np.sqrt(var)
    std[~(std > 0)] = 1.0
    k = int(round(fraction * n))
    rows = rng.choice(n, size=k, replace=False)
    cols = rng.integers(d, size=k)
    signs = rng.choice(np.array([-1.0, 1.0]), size=k)
    X[rows, cols] = mean[cols] + signs * sd * std[cols]
    return X


def run_dataset(name, seeds):
    """Fit every model on every split; return per-model records and the shape."""
    records = {}
    for seed, (X_tr, X_te, y_tr, y_te) in zip(seeds, dev_splits(name, seeds), strict=True):
        n, d = X_tr.shape
        X_gl = glitch_rows(X_te, X_tr, rng=seed)
        lo, hi = y_tr.min(), y_tr.max()
        lo, hi = lo - (hi - lo) / 2, hi + (hi - lo) / 2
        y_sd = float(np.std(y_tr)) or 1.0
        for label, model in models(n, d).items():
            pipe = dev_pipeline(model)
            seconds, n_conv = fit_counting(pipe, X_tr, y_tr)
            pred = pipe.predict(X_te)
            rec = records.setdefault(label, {"r2": [], "time": [], "warnings": 0})
            rec["r2"].append(r2_score(y_te, pred))
            rec["time"].append(seconds)
            rec["warnings"] += n_conv
            if isinstance(model, GiantStepRegressor):
                rec.setdefault("step", []).append((model.step_size_, model.n_iter_))
            if label in GLITCH_MODELS:
                pred_gl = pipe.predict(X_gl)
                with np.errstate(all="ignore"):
                    outside = ~((pred_gl >= lo) & (pred_gl <= hi))
                    outside_clean = ~((pred >= lo) & (pred <= hi))
                    change = np.abs(pred_gl - pred) / y_sd
                    r2_gl = r2_score(y_te, pred_gl) if np.all(np.isfinite(pred_gl)) else -np.inf
                rec.setdefault("r2_glitch", []).append(r2_gl)
                rec.setdefault("outside", []).append(int(outside.sum()))
                rec.setdefault("outside_clean", []).append(int(outside_clean.sum()))
                rec.setdefault("n_pred", []).append(len(pred))
                rec.setdefault("change", []).append(float(np.nanmax(change, initial=0.0)))
                if not np.all(np.isfinite(change)):
                    rec["change"][-1] = np.inf
        print(
            f"  {name} split {seed}: done ({load_summary()})",
            file=sys.stderr,
            flush=True,
        )
    return records, (n, d, len(y_te))


def _r2(x):
    """R² formatted to 4 decimals, or 3 significant digits when huge."""
    return f"{x:.4f}" if abs(x) < 1000 else f"{x:.3g}"


def _paired(records, a, b):
    delta = np.asarray(records[a]["r2"]) - np.asarray(records[b]["r2"])
    return float(delta.mean()), float(delta.min())


def _mark(ok):
    return "✓" if ok else "✗"


def table_a(results):
    labels = list(next(iter(results.values()))[0])
    r2 = [
        "### Table A1: test R² (mean ± std over the splits) and mean fit time (s)",
        "",
        "| data set | n_train × d | splits | "
        + " | ".join(labels)
        + " | MLP ConvergenceWarnings |",
        "|---" * (len(labels) + 4) + "|",
    ]
    checks = [
        "### Table A2: special cases (paired by split: mean over splits / worst split)",
        "",
        f"| data set | GiantStep − RidgeCV | GiantStep − no-step | Alternating − {MLP} "
        f"| GiantStep ≥ RidgeCV − {TOL_RIDGE} | GiantStep ≥ no-step − {TOL_NOSTEP} "
        f"| Alternating ≥ MLP − {TOL_MLP} | GiantStep fit (s) | Alternating fit (s) "
        "| GiantStep step_size_:n_iter_ per split |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    verdicts = {"ridge": {}, "nostep": {}, "mlp": {}}
    for name, (records, shape, n_splits) in results.items():
        n, d, _ = shape
        cells = [
            f"{_r2(np.mean(records[m]['r2']))} ± {np.std(records[m]['r2']):.4f} "
            f"({np.mean(records[m]['time']):.2f} s)"
            for m in labels
        ]
        r2.append(
            f"| {name} | {n} × {d} | {n_splits} | "
            + " | ".join(cells)
            + f" | {records[MLP]['warnings']} |"
        )
        diffs = {
            "ridge": _paired(records, GIANT, RIDGE),
            "nostep": _paired(records, GIANT, NOSTEP),
            "mlp": _paired(records, ALT, MLP),
        }
        tol = {"ridge": TOL_RIDGE, "nostep": TOL_NOSTEP, "mlp": TOL_MLP}
        for key, (mean, worst) in diffs.items():
            verdicts[key][name] = (mean >= -tol[key], mean, worst)
        cols = " | ".join(f"{m:+.4f} / {w:+.4f}" for m, w in diffs.values())
        marks = " | ".join(_mark(verdicts[k][name][0]) for k in diffs)
        checks.append(
            f"| {name} | {cols} | {marks} | {np.mean(records[GIANT]['time']):.3f} "
            f"| {np.mean(records[ALT]['time']):.3f} "
            f"| {' '.join(f'{c:.3g}:{t}' for c, t in records[GIANT]['step'])} |"
        )
    return "\n".join(r2), "\n".join(checks), verdicts


def table_b(results):
    lines = [
        "### Table B: glitched test rows "
        f"({GLITCH_FRACTION:.0%} of rows, one feature at ±{GLITCH_SD:g} training SD)",
        "",
        "Means over the splits; *drop* = clean − glitched test R² (mean / worst split); "
        "*outside* = predictions outside [min − w/2, max + w/2] of y_train, glitched "
        "(clean) test rows, summed over the splits; *largest change* = the largest "
        "|glitched − clean| prediction of any single row, in training-target SD (max over "
        "the splits).",
        "",
        "| data set | model | test R² clean | test R² glitched | drop | outside "
        f"| largest change (SD) | drop ≤ {MAX_DROP} and none outside |",
        "|---|---|---|---|---|---|---|---|",
    ]
    verdicts = {}
    for name, (records, _, _) in results.items():
        for m in GLITCH_MODELS:
            rec = records[m]
            drops = np.asarray(rec["r2"]) - np.asarray(rec["r2_glitch"])
            drop, worst = float(drops.mean()), float(drops.max())
            out, out_clean = sum(rec["outside"]), sum(rec["outside_clean"])
            ok = drop <= MAX_DROP and out == 0
            verdicts[(name, m)] = (ok, drop, worst, out, sum(rec["n_pred"]))
            lines.append(
                f"| {name} | {m} | {_r2(np.mean(rec['r2']))} | {_r2(np.mean(rec['r2_glitch']))} "
                f"| {_r2(drop)} / {_r2(worst)} | {out} ({out_clean}) of {sum(rec['n_pred'])} "
                f"| {max(rec['change']):.3g} | {_mark(ok)} |"
            )
    return "\n".join(lines), verdicts


def _names(items):
    return ", ".join(items) if items else "none"


def reading(verdicts_a, verdicts_b, n_sets):
    """Plain statements computed from the verdicts of tables A and B."""
    out = ["### Reading (generated from the numbers above)", ""]
    texts = {
        "ridge": (f"GiantStep ≥ RidgeCV − {TOL_RIDGE} (mean over splits)", TOL_RIDGE),
        "nostep": (f"GiantStep ≥ no-step − {TOL_NOSTEP} (mean over splits)", TOL_NOSTEP),
        "mlp": (f"Alternating ≥ {MLP} − {TOL_MLP} (mean over splits)", TOL_MLP),
    }
    for key, (text, tol) in texts.items():
        held = [n for n, v in verdicts_a[key].items() if v[0]]
        failed = [f"{n} ({v[1]:+.4f})" for n, v in verdicts_a[key].items() if not v[0]]
        split_below = [
            f"{n} ({v[2]:+.4f})" for n, v in verdicts_a[key].items() if v[0] and v[2] < -tol
        ]
        line = (
            f"- {text}: holds on {len(held)} of {n_sets} data sets ({_names(held)}); "
            f"does not hold on: {_names(failed)}."
        )
        if split_below:
            line += (
                " It holds on the mean, but the worst split is below the tolerance on: "
                f"{_names(split_below)}."
            )
        out.append(line)
    for m in GLITCH_MODELS:
        items = {n: v for (n, mm), v in verdicts_b.items() if mm == m}
        held = [n for n, v in items.items() if v[0]]
        big_drop = [f"{n} (drop {_r2(v[1])})" for n, v in items.items() if v[1] > MAX_DROP]
        outside = [f"{n} ({v[3]} of {v[4]})" for n, v in items.items() if v[3] > 0]
        out.append(
            f"- Glitches, {m}: the requirement (drop ≤ {MAX_DROP} and no prediction outside "
            f"the band) holds on {len(held)} of {n_sets} data sets ({_names(held)}). "
            f"R² drops by more than {MAX_DROP} on: {_names(big_drop)}. "
            f"Predictions outside the band on: {_names(outside)}."
        )
    return "\n".join(out)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 split, 2 small sets (smoke)")
    parser.add_argument("--seeds", type=int, default=None, help="splits per data set (5)")
    parser.add_argument("--datasets", nargs="+", default=None, metavar="NAME")
    parser.add_argument("--threads", type=int, default=1, help="BLAS/OpenMP threads (1)")
    parser.add_argument("--out", default=DEFAULT_OUT, help=f"results file ({DEFAULT_OUT})")
    args = parser.parse_args(argv)
    argv = sys.argv[1:] if argv is None else list(argv)
    seeds = range(args.seeds or (1 if args.quick else 5))
    datasets = resolve_datasets(parser, args.datasets, args.quick, QUICK_SETS)

    tic = time.perf_counter()
    with pin_threads(args.threads):
        header = [
            *results_header(
                "Robustness of the skgiant defaults: special cases and glitches",
                "benchmarks/bench_robustness.py",
                argv,
                args.threads,
            ),
            f"- splits: seeds {seeds.start}..{seeds.stop - 1} of `dev_splits` "
            "(75/25, at most 8000 training rows); every model is `dev_pipeline(model)`, "
            "`random_state=0`",
        ]
        if args.quick:
            header.append("- **quick smoke run** (`--quick`): not the benchmark's numbers")
        print("\n".join(header) + "\n", flush=True)
        results = {}
        for name in datasets:
            print(f"{name} ...", file=sys.stderr, flush=True)
            records, shape = run_dataset(name, seeds)
            results[name] = (records, shape, len(seeds))
        a1, a2, verdicts_a = table_a(results)
        b, verdicts_b = table_b(results)
        read = reading(verdicts_a, verdicts_b, len(results))
        footer = f"Total wall time {time.perf_counter() - tic:.0f} s; {load_summary()} at end."
    text = "\n\n".join(["\n".join(header), a1, a2, b, read, footer]) + "\n"
    print("\n\n".join([a1, a2, b, read, footer]), flush=True)
    with open(args.out, "w", encoding="utf-8") as fh:
        fh.write(text)
    print(f"wrote {args.out}", file=sys.stderr)
    return results


if __name__ == "__main__":
    sys.exit(main() and 0)
