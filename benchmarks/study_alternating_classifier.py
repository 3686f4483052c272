"""Study: the alternating classifier's penalty refinement and number of iterations.

Run from the repository root::

    python benchmarks/study_alternating_classifier.py           # 7 sets, 5 splits x 2 seeds
    python benchmarks/study_alternating_classifier.py --quick   # wine, 1 split: a smoke run

``AlternatingOLSReLUClassifier`` fits its first layer by alternating least squares on the
one-hot labels, then a softmax readout on the hidden features. With ``alpha="auto"`` the
least-squares penalty is refined on held-out rows where rows are few per first-layer
parameter (``AlternatingConfig.penalty_path``: 3 content folds, the initial choice times
10, 1 and 0.1, a full fit on each fold and penalty); that refinement was most of the fit
time. This script measures, on every classification development set
(``dev_class_splits``, 5 stratified splits; each classifier fitted with ``--repeats``
random states per split), the test log loss, accuracy and fit time of

- the refinement and cheaper options at 30 iterations (the regressor's default): as is,
  none, 2 folds, two candidates (x10, x1), fits on folds capped at 10 iterations;
- fewer least-squares iterations (``max_iter`` 10, 5, 3, with the refinement; 5 without)
  and early stopping on 10% held-out rows (``early_stopping=True``, 30 iterations at most);
- the defaults this study chose (``AlternatingOLSReLUClassifier()`` as it is now):
  ``early_stopping="auto"`` (on from 1,000 weighted rows) and the refinement's fits
  stopped after 10 iterations -- the same fits as one of the two variants before on each
  set, fitted again;

each variant an ``AlternatingOLSReLUClassifier`` with its parameters set explicitly and
its solver settings through ``_config_fields`` (the fields of ``AlternatingConfig`` a
classifier fixes); beside ``MLPClassifier(hidden_layer_sizes=(32,), solver="adam")``
(our width), ``LogisticRegressionCV`` (10 penalties by 5-fold log loss) and
``LogisticRegression()``, fitted on the same splits in the same run, with BLAS threads
pinned to one. Variants that differ only in the refinement are the same fit where it
does not run (the refinement draws from a spawned generator): those fits are made once
and their results shared, time included.

Why the shorter fits of the refinement are the classifier's alone: on the regression
development sets (``dev_splits``, 5 splits, the same random states), the test R2 and fit
time of ``AlternatingOLSReLURegressor()`` with its refinement as is, with the fits on
folds capped at 10 iterations, and without the refinement (sets where it does not run
are listed, not tabled; ``--no-regression`` skips this part).

Writes ``benchmarks/RESULTS_alternating_classifier.md`` (``--out``): per set a table,
then a summary across sets against the default before this study (30 iterations,
refinement as is) generated from the tables, then the regression table.
"""

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, LogisticRegressionCV
from sklearn.metrics import accuracy_score, log_loss
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import LabelEncoder

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import load_summary, pin_threads, results_header  # noqa: E402

from skgiant import AlternatingOLSReLUClassifier, AlternatingOLSReLURegressor  # noqa: E402
from skgiant._alternating import PenaltyPath  # noqa: E402
from skgiant._devdata import (  # noqa: E402
    available_class_datasets,
    available_dev_datasets,
    dev_class_preprocessor,
    dev_class_splits,
    dev_pipeline,
    dev_splits,
)

OUT = Path(__file__).resolve().parent / "RESULTS_alternating_classifier.md"
#: The default before this study, which every variant is compared with.
REFERENCE = "30 it, refine"
#: The default this study chose: early stopping from 1,000 rows, and the fits of the
#: refinement stopped after 10 iterations (the classifier's own settings).
DEFAULT = "default: early stopping auto, folds <= 10 it"
_OLD = dict(early_stopping=False)
_PATH = PenaltyPath()
#: ``{name: (estimator parameters, AlternatingConfig fields)}``.
VARIANTS = {
    REFERENCE: (dict(max_iter=30, **_OLD), dict(penalty_path=_PATH)),
    "30 it, no refinement": (dict(max_iter=30, **_OLD), dict(penalty_path=None)),
    "30 it, refine 2 folds": (
        dict(max_iter=30, **_OLD),
        dict(penalty_path=PenaltyPath(folds=2)),
    ),
    "30 it, refine x10/x1": (
        dict(max_iter=30, **_OLD),
        dict(penalty_path=PenaltyPath(factors=(10.0, 1.0))),
    ),
    "30 it, refine, folds <= 10 it": (
        dict(max_iter=30, **_OLD),
        dict(penalty_path=PenaltyPath(max_iter=10)),
    ),
    "30 it, early stopping": (
        dict(max_iter=30, early_stopping=True),
        dict(penalty_path=_PATH),
    ),
    "10 it, refine": (dict(max_iter=10, **_OLD), dict(penalty_path=_PATH)),
    "5 it, refine": (dict(max_iter=5, **_OLD), dict(penalty_path=_PATH)),
    "5 it, no refinement": (dict(max_iter=5, **_OLD), dict(penalty_path=None)),
    "3 it, refine": (dict(max_iter=3, **_OLD), dict(penalty_path=_PATH)),
    DEFAULT: ({}, {}),
}
BASELINES = ("MLP(adam, 32)", "LogisticRegressionCV", "LogisticRegression")
QUICK_VARIANTS = (REFERENCE, "30 it, no refinement", DEFAULT)
#: The regressor's refinement: as is, with the fits on folds capped, and off.
REGRESSION_PATHS = {
    "refine (default)": PenaltyPath(),
    "refine, folds <= 10 it": PenaltyPath(max_iter=10),
    "no refinement": None,
}


def config_fields(name):
    """The ``AlternatingConfig`` fields the variant ``name`` sets (over the classifier's)."""
    return {**AlternatingOLSReLUClassifier._config_fields, **VARIANTS[name][1]}


def variant(name, seed):
    """The classifier of the variant ``name`` with ``random_state=seed``."""
    cls = type(
        "AlternatingOLSReLUClassifier",
        (AlternatingOLSReLUClassifier,),
        {"_config_fields": config_fields(name)},
    )
    return cls(random_state=seed, **VARIANTS[name][0])


def baseline(name, seed):
    """The scikit-learn baseline ``name`` with ``random_state=seed`` where it has one."""
    if name == "MLP(adam, 32)":
        return MLPClassifier(hidden_layer_sizes=(32,), solver="adam", random_state=seed)
    if name == "LogisticRegressionCV":
        return LogisticRegressionCV(
            Cs=10, scoring="neg_log_loss", l1_ratios=(0.0,), use_legacy_attributes=False,
            max_iter=2000,
        )  # fmt: skip
    return LogisticRegression(max_iter=2000)


def _scores(model, seconds, X_te, y_te):
    P = np.clip(model.predict_proba(X_te), 1e-15, 1.0)
    P /= P.sum(axis=1, keepdims=True)
    return {
        "log_loss": log_loss(y_te, P, labels=np.arange(P.shape[1])),
        "accuracy": accuracy_score(y_te, P.argmax(axis=1)),
        "time": seconds,
    }


def _timed_fit(model, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        tic = time.perf_counter()
        model.fit(X, y)
        return time.perf_counter() - tic


def run_split(X_tr, X_te, y_tr, y_te, seed, names):
    """Every variant in ``names`` and every baseline on one split with one random state:
    ``{model: {metric: value}}``, plus ``refined`` (whether the penalty refinement ran)
    and ``moved`` (whether it changed the penalty) for the variants."""
    rows, unrefined = {}, {}
    for name in names:
        key = tuple(sorted(VARIANTS[name][0].items()))
        if key in unrefined:  # where one path is not taken, none is: the same fit
            rows[name] = dict(unrefined[key])
            continue
        model = variant(name, seed)
        seconds = _timed_fit(model, X_tr, y_tr)
        rows[name] = _scores(model, seconds, X_te, y_te)
        path = config_fields(name).get("penalty_path", PenaltyPath())
        rows[name]["refined"] = model.alpha_scores_ is not None
        rows[name]["moved"] = _penalty_moved(model, path)
        if path is not None and not rows[name]["refined"]:
            unrefined[key] = rows[name]
    for name in BASELINES:
        model = baseline(name, seed)
        rows[name] = _scores(model, _timed_fit(model, X_tr, y_tr), X_te, y_te)
    return rows


def _penalty_moved(model, path):
    """Whether the refinement (``path``) chose another penalty than the initial choice."""
    if model.alpha_scores_ is None:
        return False
    initial = min(model.alpha_scores_) / min(path.factors)
    return not np.isclose(model.alpha_, initial, rtol=1e-9)


def _set_table(name, table, n_train, d, K):
    mlp = np.mean(table["MLP(adam, 32)"]["time"])
    lines = [
        "",
        f"## {name} (n_train = {n_train}, d = {d} columns after preprocessing, K = {K})",
        "",
        "| model | log loss | accuracy | fit time (s) | ÷ MLP(adam, 32) time "
        "| refined / penalty moved |",
        "|---|---|---|---|---|---|",
    ]
    for model, t in table.items():
        moved = f"{int(np.sum(t['refined']))} / {int(np.sum(t['moved']))}" if "refined" in t else ""
        lines.append(
            f"| {model} | {np.mean(t['log_loss']):.4f} ± {np.std(t['log_loss']):.4f} "
            f"| {np.mean(t['accuracy']):.4f} | {np.mean(t['time']):.3f} "
            f"| {np.mean(t['time']) / mlp:.2f} | {moved} |"
        )
    return lines


def summary_lines(summary, names):
    """The table across sets against ``REFERENCE`` and the baselines, and its reading."""
    lines = [
        "",
        "## Across sets",
        "",
        f"Against `{REFERENCE}` (the default before this study): the geometric mean over "
        "sets of the ratio of mean test log loss, on how many sets the log loss is lower "
        "(or equal), the mean accuracy difference, and the geometric mean of the ratio of "
        "mean fit time to that of MLP(adam, 32) in the same run; then the best baseline "
        "of each set (least log loss) for reference.",
        "",
        "| variant | log loss ÷ reference | sets lower or equal | accuracy − reference "
        "| fit time ÷ MLP(adam, 32) |",
        "|---|---|---|---|---|",
    ]
    sets = list(summary)

    def mean(s, model, metric):
        return float(np.mean(summary[s][model][metric]))

    for model in [*names, *BASELINES]:
        ratio = [mean(s, model, "log_loss") / mean(s, REFERENCE, "log_loss") for s in sets]
        lower = sum(r <= 1.0 for r in ratio)
        acc = np.mean([mean(s, model, "accuracy") - mean(s, REFERENCE, "accuracy") for s in sets])
        speed = [mean(s, model, "time") / mean(s, "MLP(adam, 32)", "time") for s in sets]
        lines.append(
            f"| {model} | {np.exp(np.mean(np.log(ratio))):.3f} | {lower}/{len(sets)} "
            f"| {acc:+.4f} | {np.exp(np.mean(np.log(speed))):.2f} |"
        )
    lines += ["", "Per set, log loss ÷ that of the best baseline (least log loss):", ""]
    lines += ["| variant | " + " | ".join(sets) + " |", "|---|" + "---|" * len(sets)]
    best = {s: min(BASELINES, key=lambda b, s=s: mean(s, b, "log_loss")) for s in sets}
    for model in names:
        cells = [f"{mean(s, model, 'log_loss') / mean(s, best[s], 'log_loss'):.2f}" for s in sets]
        lines.append(f"| {model} | " + " | ".join(cells) + " |")
    lines.append("| (best baseline) | " + " | ".join(best[s] for s in sets) + " |")
    return lines


def _regressor(path, seed):
    """``AlternatingOLSReLURegressor`` refining its penalty with ``path``, in the
    regression protocol's pipeline."""
    cls = type(
        "AlternatingOLSReLURegressor",
        (AlternatingOLSReLURegressor,),
        {"_config_fields": {"penalty_path": path}},
    )
    return dev_pipeline(cls(random_state=seed))


def _regression_row(name, seeds, repeats):
    """``{path: {"r2": [...], "time": [...]}}`` on the set ``name``, or None where the
    refinement does not run (the number of rows decides, the same on every split)."""
    rows = {key: {"r2": [], "time": []} for key in REGRESSION_PATHS}
    for seed, (X_tr, X_te, y_tr, y_te) in zip(seeds, dev_splits(name, seeds=seeds), strict=True):
        for r in repeats:
            for key, path in REGRESSION_PATHS.items():
                model = _regressor(path, seed + 100 * r)
                seconds = _timed_fit(model, X_tr, y_tr)
                if path is not None and model[-1].alpha_scores_ is None:
                    return None
                rows[key]["r2"].append(model.score(X_te, y_te))
                rows[key]["time"].append(seconds)
    return rows


def regression_lines(datasets, seeds, repeats):
    """The regressor's test R2 and fit time with each of ``REGRESSION_PATHS``, on the
    regression sets where its refinement runs (the others are named)."""
    lines = [
        "",
        "## The regressor: why the shorter fits on folds are the classifier's alone",
        "",
        "`AlternatingOLSReLURegressor()` on the regression development sets (`dev_splits`, "
        "`dev_pipeline`) with its refinement as is, with the fits on folds capped at 10 "
        "iterations, and without it: test R² (mean ± standard deviation) and fit time in "
        "seconds (mean), over the same splits and random states.",
        "",
        "| set | " + " | ".join(f"R² {k} | time {k}" for k in REGRESSION_PATHS) + " |",
        "|---|" + "---|---|" * len(REGRESSION_PATHS),
    ]
    skipped = []
    for name in datasets:
        rows = _regression_row(name, seeds, repeats)
        print(f"regression {name} done ({load_summary()})", flush=True)
        if rows is None:
            skipped.append(name)
            continue
        cells = [
            f"{np.mean(v['r2']):.4f} ± {np.std(v['r2']):.4f} | {np.mean(v['time']):.2f}"
            for v in rows.values()
        ]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines + ["", f"The refinement does not run on: {', '.join(skipped) or 'none'}."]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="wine, 1 split, 3 variants")
    parser.add_argument("--datasets", nargs="+", help="classification sets (default: all)")
    parser.add_argument("--splits", type=int, default=None, help="splits per set (5)")
    parser.add_argument("--repeats", type=int, default=None, help="random states (2)")
    parser.add_argument("--no-regression", dest="regression", action="store_false")
    parser.add_argument("--regression-datasets", nargs="+", help="(default: all)")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    available = list(available_class_datasets())
    datasets = args.datasets or (["wine"] if args.quick else available)
    unknown = sorted(set(datasets) - set(available))
    if unknown:
        parser.error(f"unknown or unavailable data sets {unknown}; available: {available}")
    seeds = range(args.splits or (1 if args.quick else 5))
    repeats = range(args.repeats or (1 if args.quick else 2))
    names = list(QUICK_VARIANTS if args.quick else VARIANTS)
    lines = results_header(
        "The alternating classifier: penalty refinement and iterations",
        "benchmarks/study_alternating_classifier.py",
        sys.argv[1:] if argv is None else argv,
        1,
    )
    lines += [
        "",
        f"{len(seeds)} stratified 75/25 splits per set (`dev_class_splits`), preprocessing "
        f"`dev_class_preprocessor` fitted on the training rows (not timed); every model "
        f"fitted with random states `split + 100 r`, r < {len(repeats)}. Test log loss "
        "(mean ± standard deviation over splits and random states), accuracy and fit time "
        "(means); `refined / penalty moved`: in how many fits the penalty refinement ran "
        "and in how many it chose another penalty than the initial one. Variants as in the "
        "script's docstring.",
    ]
    summary = {}
    with pin_threads(1):
        for name in datasets:
            fits = []
            for seed, (X_tr, X_te, y_tr, y_te) in zip(
                seeds, dev_class_splits(name, seeds=seeds), strict=True
            ):
                pre, enc = dev_class_preprocessor().fit(X_tr), LabelEncoder().fit(y_tr)
                Z_tr, Z_te = pre.transform(X_tr), pre.transform(X_te)
                y_tr_enc, y_te_enc = enc.transform(y_tr), enc.transform(y_te)
                for r in repeats:
                    fits.append(run_split(Z_tr, Z_te, y_tr_enc, y_te_enc, seed + 100 * r, names))
                print(f"{name} split {seed} done ({load_summary()})", flush=True)
            table = {m: {k: np.array([f[m][k] for f in fits]) for k in fits[0][m]} for m in fits[0]}
            summary[name] = table
            lines += _set_table(name, table, len(y_tr), Z_tr.shape[1], len(enc.classes_))
            args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")  # partial results
    lines += summary_lines(summary, names)
    if args.regression:
        with pin_threads(1):
            regression = args.regression_datasets or (
                ["diabetes"] if args.quick else list(available_dev_datasets())
            )
            lines += regression_lines(regression, seeds, repeats)
    lines.append(f"\n{load_summary()} at the end.")
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    return summary


if __name__ == "__main__":
    main()
