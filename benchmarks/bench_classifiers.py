"""Benchmark of GiantStepClassifier and AlternatingOLSReLUClassifier against baselines.

Run from the repository root::

    python benchmarks/bench_classifiers.py            # every classification set, 5 splits
    python benchmarks/bench_classifiers.py --quick    # wine, 2 splits: a smoke run

On every classification development set (``skgiant._devdata.dev_class_splits``: stratified
75/25 splits, seeds ``0..splits-1``), the rows go through ``dev_class_preprocessor`` (fitted
on the training rows; its time is not counted) and then each model, all fitted in the same
run with BLAS/OpenMP threads pinned (``--threads``, default 1):

- ``GiantStep``: ``GiantStepClassifier(random_state=seed)``, defaults (width 1024);
- ``Alternating``: ``AlternatingOLSReLUClassifier(random_state=seed)``, defaults (width 32);
- ``LogisticRegressionCV``: 10 penalties chosen by 5-fold log loss;
- ``MLP(adam, p)``, ``MLP(lbfgs, p)``: ``MLPClassifier(hidden_layer_sizes=(p,),
  solver=..., random_state=seed)`` at our two widths, p = 1024 and 32, otherwise defaults
  (``max_iter=200``; ConvergenceWarnings counted, not shown);
- ``RFF + LogisticRegressionCV``: ``RBFSampler(n_components=512, gamma=1/d)`` then
  ``LogisticRegressionCV(Cs=5, cv=3)`` by log loss;
- ``HistGB``: ``HistGradientBoostingClassifier(random_state=seed)``.

Scores on the test rows: accuracy, log loss, top-label expected calibration error
(``skgiant._probability.expected_calibration_error``, 15 bins) and the fit time. The
targets, per set and per classifier of ours, against the best *non-tree* baseline (every
model above but ``HistGB``, best per metric, means over splits): accuracy at least the
best minus 0.01, log loss at most 1.1 times the best, and a fit at least 10 times faster
than ``MLP(adam)`` at the same width (the mean fit time over splits).

Writes ``benchmarks/RESULTS_classifiers.md`` (``--out``): the command, machine and date,
a table per set, the target table and a reading generated from it.
"""

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.kernel_approximation import RBFSampler
from sklearn.linear_model import LogisticRegressionCV
from sklearn.metrics import accuracy_score, log_loss
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import LabelEncoder

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import pin_threads, results_header  # noqa: E402

from skgiant import AlternatingOLSReLUClassifier, GiantStepClassifier  # noqa: E402
from skgiant._devdata import dev_class_preprocessor, dev_class_splits  # noqa: E402
from skgiant._probability import expected_calibration_error  # noqa: E402

OUT = Path(__file__).resolve().parent / "RESULTS_classifiers.md"
QUICK_SETS = ["wine"]
#: Our classifiers, with the width of each (the MLP it is timed against has that width).
OURS = {"GiantStep": 1024, "Alternating": 32}
TREES = ("HistGB",)
ACCURACY_SLACK, LOG_LOSS_FACTOR, SPEEDUP = 0.01, 1.1, 10.0


def models(seed, d):
    """``{name: estimator}`` for one split (``d`` columns after preprocessing)."""
    out = {
        "GiantStep": GiantStepClassifier(random_state=seed),
        "Alternating": AlternatingOLSReLUClassifier(random_state=seed),
        "LogisticRegressionCV": LogisticRegressionCV(
            Cs=10,
            scoring="neg_log_loss",
            l1_ratios=(0.0,),
            use_legacy_attributes=False,
            max_iter=2000,
        ),  # fmt: skip
    }
    for width in sorted(set(OURS.values()), reverse=True):
        for solver in ("adam", "lbfgs"):
            out[f"MLP({solver}, {width})"] = MLPClassifier(
                hidden_layer_sizes=(width,), solver=solver, random_state=seed
            )
    out["RFF + LogisticRegressionCV"] = make_pipeline(
        RBFSampler(n_components=512, gamma=1.0 / d, random_state=seed),
        LogisticRegressionCV(
            Cs=5, cv=3, scoring="neg_log_loss", l1_ratios=(0.0,), use_legacy_attributes=False,
            max_iter=2000,
        ),
    )  # fmt: skip
    out["HistGB"] = HistGradientBoostingClassifier(random_state=seed)
    return out


def run_split(Z_tr, Z_te, y_tr, y_te, seed):
    """Fit every model on one split; ``{name: {metric: value}}``."""
    rows = {}
    for name, model in models(seed, Z_tr.shape[1]).items():
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            tic = time.perf_counter()
            model.fit(Z_tr, y_tr)
            seconds = time.perf_counter() - tic
        P = np.clip(model.predict_proba(Z_te), 1e-15, 1.0)
        P /= P.sum(axis=1, keepdims=True)
        rows[name] = {
            "accuracy": accuracy_score(y_te, P.argmax(axis=1)),
            "log_loss": log_loss(y_te, P, labels=np.arange(P.shape[1])),
            "ece": expected_calibration_error(y_te, P),
            "time": seconds,
            "warnings": sum(issubclass(w.category, ConvergenceWarning) for w in caught),
        }
    return rows


def check_targets(table):
    """Per classifier of ours on one set: ``{name: {target: (holds, detail)}}``.

    ``table`` maps model names to ``{metric: array over splits}``.
    """
    mean = {name: {m: float(np.mean(v)) for m, v in t.items()} for name, t in table.items()}
    baselines = [n for n in mean if n not in OURS and n not in TREES]
    best_acc = max(baselines, key=lambda n: mean[n]["accuracy"])
    best_ll = min(baselines, key=lambda n: mean[n]["log_loss"])
    out = {}
    for name, width in OURS.items():
        ours, mlp = mean[name], mean[f"MLP(adam, {width})"]
        gap = ours["accuracy"] - mean[best_acc]["accuracy"]
        ratio = ours["log_loss"] / mean[best_ll]["log_loss"]
        speedup = mlp["time"] / ours["time"]
        out[name] = {
            "accuracy": (gap >= -ACCURACY_SLACK, f"{gap:+.4f} vs {best_acc}"),
            "log_loss": (ratio <= LOG_LOSS_FACTOR, f"{ratio:.3f} × {best_ll}"),
            "speed": (speedup >= SPEEDUP, f"{speedup:.3g}×"),
        }
    return out


def _set_table(name, table, n_train, d, K):
    lines = [
        "",
        f"## {name} (n_train = {n_train}, d = {d} columns after preprocessing, K = {K})",
        "",
        "| model | accuracy | log loss | ECE | fit time (s) | ConvergenceWarnings |",
        "|---|---|---|---|---|---|",
    ]
    for model in sorted(table, key=lambda m: np.mean(table[m]["log_loss"])):
        t = table[model]
        lines.append(
            f"| {model} | {np.mean(t['accuracy']):.4f} "
            f"| {np.mean(t['log_loss']):.4f} ± {np.std(t['log_loss']):.4f} "
            f"| {np.mean(t['ece']):.4f} | {np.mean(t['time']):.2f} "
            f"| {int(np.sum(t['warnings']))} |"
        )
    return lines


def reading(summary):
    """The target table and the sentences that read it (both computed from ``summary``)."""
    checks = {name: check_targets(table) for name, table in summary.items()}
    lines = [
        "",
        "## Targets",
        "",
        f"Per set, against the best non-tree baseline of each metric: accuracy ≥ best − "
        f"{ACCURACY_SLACK}, log loss ≤ {LOG_LOSS_FACTOR} × best; fit ≥ {SPEEDUP:g}× faster "
        "than MLP(adam) at the same width (ratio of mean fit times). ✓ holds, ✗ misses.",
        "",
        "| set | model | accuracy − best | log loss ÷ best | MLP(adam) time ÷ ours |",
        "|---|---|---|---|---|",
    ]
    for set_name, per_model in checks.items():
        for model, targets in per_model.items():
            cells = [f"{'✓' if ok else '✗'} {detail}" for ok, detail in targets.values()]
            lines.append(f"| {set_name} | {model} | " + " | ".join(cells) + " |")
    lines += ["", "## Reading (generated from the tables above)", ""]
    n_sets = len(checks)
    for model in OURS:
        for target, what in (
            ("accuracy", "the accuracy target"),
            ("log_loss", "the log-loss target"),
            ("speed", f"the {SPEEDUP:g}× speed target"),
        ):
            missed = [s for s, c in checks.items() if not c[model][target][0]]
            held = n_sets - len(missed)
            text = f"- {model}: {what} holds on {held}/{n_sets} sets"
            if missed:
                text += "; misses: " + ", ".join(
                    f"{s} ({checks[s][model][target][1]})" for s in missed
                )
            lines.append(text + ".")
    lines += ["", "Where a tree model does better (HistGB against the better of ours, means):", ""]
    tree_wins = []
    for set_name, table in summary.items():
        ours_ll = min(np.mean(table[m]["log_loss"]) for m in OURS)
        ours_acc = max(np.mean(table[m]["accuracy"]) for m in OURS)
        hgb_ll, hgb_acc = np.mean(table["HistGB"]["log_loss"]), np.mean(table["HistGB"]["accuracy"])
        if hgb_ll < ours_ll or hgb_acc > ours_acc:
            tree_wins.append(
                f"- {set_name}: HistGB log loss {hgb_ll:.4f} (ours {ours_ll:.4f}), accuracy "
                f"{hgb_acc:.4f} (ours {ours_acc:.4f})"
            )
    lines += tree_wins or ["- none: on every set one of ours has the lower log loss and the "
                           "higher or equal accuracy."]  # fmt: skip
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="wine, 2 splits")
    parser.add_argument("--datasets", nargs="+", help="classification sets (default: all)")
    parser.add_argument("--splits", type=int, default=None, help="splits per set (default 5)")
    parser.add_argument("--threads", type=int, default=1, help="BLAS/OpenMP threads (1)")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    from skgiant._devdata import available_class_datasets

    available = list(available_class_datasets())
    datasets = args.datasets or (QUICK_SETS if args.quick else available)
    unknown = sorted(set(datasets) - set(available))
    if unknown:
        parser.error(f"unknown or unavailable data sets {unknown}; available: {available}")
    seeds = range(args.splits or (2 if args.quick else 5))
    summary = {}
    with pin_threads(args.threads):
        lines = results_header(
            "Classifiers against baselines on the classification development sets",
            "benchmarks/bench_classifiers.py",
            sys.argv[1:] if argv is None else argv,
            args.threads,
        )
        lines += [
            "",
            f"{len(seeds)} stratified 75/25 splits per set (`dev_class_splits`), preprocessing "
            "`dev_class_preprocessor` fitted on the training rows (not timed). Test accuracy, log "
            "loss (mean ± standard deviation over splits), top-label ECE (15 bins) and fit time "
            "(mean over splits). Models as in the script's docstring; rows sorted by log loss.",
        ]
        for name in datasets:
            per_split = []
            for seed, (X_tr, X_te, y_tr, y_te) in zip(
                seeds, dev_class_splits(name, seeds=seeds), strict=True
            ):
                pre = dev_class_preprocessor().fit(X_tr)
                enc = LabelEncoder().fit(y_tr)
                Z_tr, Z_te = pre.transform(X_tr), pre.transform(X_te)
                per_split.append(
                    run_split(Z_tr, Z_te, enc.transform(y_tr), enc.transform(y_te), seed)
                )
                print(f"{name} split {seed} done", flush=True)
            table = {
                model: {m: np.array([s[model][m] for s in per_split]) for m in per_split[0][model]}
                for model in per_split[0]
            }
            summary[name] = table
            lines += _set_table(name, table, len(y_tr), Z_tr.shape[1], len(enc.classes_))
            args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")  # partial results
    lines += reading(summary)
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    return summary


if __name__ == "__main__":
    main()
