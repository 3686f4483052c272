"""Which readout should the classifiers use? Softmax (A) against calibrated ridge (B).

On every classification development set (5 stratified splits, ``dev_class_splits``),
features from ``GiantStepFeatures`` fitted on one-hot targets (giant steps with the squared
loss, what the transformer does today) and from the same network without a step (random
features, ``n_steps=0``), with and without the linear term ``[features, X / sqrt(d)]``, go
through

* A: ``skgiant._probability.fit_softmax_readout`` (multinomial logistic, penalty by
  cross-fitted log loss), and
* B: ``skgiant._probability.fit_calibrated_ridge_readout`` (ridge on one-hot targets, softmax
  temperature and offsets fitted on exact leave-one-out scores),

beside scikit-learn baselines: ``LogisticRegressionCV`` (penalty by 5-fold log loss),
``MLPClassifier`` (adam, lbfgs), the random features with ``LogisticRegression`` (C=1),
``HistGradientBoostingClassifier``.
Scores on the test rows: log loss, top-label expected calibration error (15 bins), accuracy;
fit time (the readout's alone for A and B; the features' time is a separate column).

Writes ``benchmarks/RESULTS_class_readouts.md``. ``--quick`` runs two small sets, two splits.
"""

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, LogisticRegressionCV
from sklearn.metrics import accuracy_score, log_loss
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import LabelEncoder

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import pin_threads, results_header  # noqa: E402

from skgiant import GiantStepFeatures  # noqa: E402
from skgiant._devdata import (  # noqa: E402
    available_class_datasets,
    dev_class_preprocessor,
    dev_class_splits,
)
from skgiant._probability import (  # noqa: E402
    expected_calibration_error,
    fit_calibrated_ridge_readout,
    fit_softmax_readout,
)

OUT = Path(__file__).resolve().parent / "RESULTS_class_readouts.md"
CHUNK = 2048


def _scores(y, P):
    P = np.clip(P, 1e-15, 1.0)
    P = P / P.sum(axis=1, keepdims=True)
    return {
        "log_loss": log_loss(y, P, labels=np.arange(P.shape[1])),
        "ece": expected_calibration_error(y, P),
        "accuracy": accuracy_score(y, P.argmax(axis=1)),
    }


def _timed(func):
    tic = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        out = func()
    return out, time.perf_counter() - tic


def _run_split(Z_tr, Z_te, y_tr, y_te, K, seed, n_hidden):
    rows = {}
    d = Z_tr.shape[1]
    Y = np.eye(K)[y_tr]
    w = np.ones(len(y_tr))
    feature_time = {}
    for kind, n_steps in (("giant", 1), ("random", 0)):
        net, seconds = _timed(
            lambda n_steps=n_steps: GiantStepFeatures(
                n_hidden=n_hidden, n_steps=n_steps, random_state=seed
            ).fit(Z_tr, Y)
        )
        feature_time[kind] = seconds
        H_tr, H_te = net.transform(Z_tr), net.transform(Z_te)
        for linear in (False, True):
            F_tr = np.hstack([H_tr, Z_tr / np.sqrt(d)]) if linear else H_tr
            F_te = np.hstack([H_te, Z_te / np.sqrt(d)]) if linear else H_te
            for name, fit in (
                ("A softmax", fit_softmax_readout),
                ("B ridge+T", fit_calibrated_ridge_readout),
            ):
                readout, seconds = _timed(
                    lambda fit=fit, F_tr=F_tr: fit(
                        lambda r, F_tr=F_tr: F_tr[r], F_tr.shape[1], y_tr, K, w, CHUNK
                    )
                )
                key = f"{name} | {kind} | {'[phi, X]' if linear else 'phi'}"
                rows[key] = {
                    **_scores(y_te, readout.predict_proba(F_te)),
                    "time": seconds,
                    "feature_time": feature_time[kind],
                }
        if kind == "random":
            model, seconds = _timed(
                lambda H_tr=H_tr: LogisticRegression(max_iter=2000).fit(H_tr, y_tr)
            )
            rows["random features + LogisticRegression(C=1) | random | phi"] = {
                **_scores(y_te, model.predict_proba(H_te)),
                "time": seconds,
                "feature_time": feature_time[kind],
            }
    baselines = {
        "LogisticRegressionCV": lambda: LogisticRegressionCV(
            Cs=10,
            scoring="neg_log_loss",
            l1_ratios=(0.0,),
            use_legacy_attributes=False,
            max_iter=2000,
        ),
        "MLPClassifier(adam)": lambda: MLPClassifier(random_state=seed, max_iter=200),
        "MLPClassifier(lbfgs)": lambda: MLPClassifier(
            solver="lbfgs", random_state=seed, max_iter=500
        ),
        "HistGradientBoostingClassifier": lambda: HistGradientBoostingClassifier(random_state=seed),
    }
    for name, make in baselines.items():
        model, seconds = _timed(lambda make=make: make().fit(Z_tr, y_tr))
        rows[f"{name} | - | X"] = {
            **_scores(y_te, model.predict_proba(Z_te)),
            "time": seconds,
            "feature_time": 0.0,
        }
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--n-hidden", type=int, default=512)
    parser.add_argument("--datasets", nargs="*")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    datasets = args.datasets or (
        ["wine", "pima"] if args.quick else list(available_class_datasets())
    )
    seeds = range(2) if args.quick else range(5)
    lines = results_header(
        "Classification readouts: softmax (A) against LOO-calibrated ridge (B)",
        "benchmarks/study_class_readouts.py",
        sys.argv[1:] if argv is None else argv,
        1,
    )
    lines += [
        "",
        f"{len(seeds)} stratified splits per set (`dev_class_splits`), preprocessing "
        f"`dev_class_preprocessor`; features `GiantStepFeatures(n_hidden={args.n_hidden})` "
        "fitted on one-hot targets (`giant`, one step, step size auto) or with `n_steps=0` "
        "(`random`); `[phi, X]` appends the standardized inputs divided by sqrt(d). "
        "Test-set log loss, top-label ECE (15 equal-width bins), accuracy: mean over splits "
        "(± standard deviation for log loss). `time` is the fit of the readout (or the whole "
        "baseline), `feat` that of the features, in seconds.",
    ]
    summary = {}
    with pin_threads(1):
        for name in datasets:
            per_split = []
            for seed, (X_tr, X_te, y_tr, y_te) in zip(
                seeds, dev_class_splits(name, seeds=seeds), strict=True
            ):
                pre = dev_class_preprocessor().fit(X_tr)
                enc = LabelEncoder().fit(y_tr)
                K = len(enc.classes_)
                per_split.append(
                    _run_split(
                        pre.transform(X_tr),
                        pre.transform(X_te),
                        enc.transform(y_tr),
                        enc.transform(y_te),
                        K,
                        seed,
                        args.n_hidden,
                    )
                )
                print(f"{name} split {seed} done", flush=True)
            keys = list(per_split[0])
            table = {
                key: {m: np.array([s[key][m] for s in per_split]) for m in per_split[0][key]}
                for key in keys
            }
            summary[name] = table
            n_tr = len(y_tr)
            lines += [
                "",
                f"## {name} (n_train = {n_tr}, d = {X_tr.shape[1]} raw columns, K = {K})",
                "",
                "| readout | features | input | log loss | ECE | accuracy | time | feat |",
                "|---|---|---|---|---|---|---|---|",
            ]
            for key in sorted(keys, key=lambda k: table[k]["log_loss"].mean()):
                t = table[key]
                lines.append(
                    f"| {key} | {t['log_loss'].mean():.4f} ± {t['log_loss'].std():.4f} "
                    f"| {t['ece'].mean():.4f} | {t['accuracy'].mean():.4f} "
                    f"| {t['time'].mean():.2f} | {t['feature_time'].mean():.2f} |"
                )
            args.out.write_text("\n".join(lines) + "\n")  # partial results as they come
    lines += _reading(summary)
    args.out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def _reading(summary):
    """Head-to-head counts computed from the tables above."""
    out = ["", "## Head to head (computed from the tables)", ""]
    configs = [(kind, inp) for kind in ("giant", "random") for inp in ("phi", "[phi, X]")]
    metrics = (("log_loss", min), ("ece", min), ("accuracy", max), ("time", min))
    out.append(
        "A against B on the same features, sets where A is better / sets (mean over splits):"
    )
    out.append("")
    out.append(
        "| features | input | " + " | ".join(m for m, _ in metrics) + " | mean log-loss ratio A/B |"
    )
    out.append("|---|---|" + "---|" * (len(metrics) + 1))
    for kind, inp in configs:
        a_key, b_key = f"A softmax | {kind} | {inp}", f"B ridge+T | {kind} | {inp}"
        cells = []
        for metric, better in metrics:
            wins = sum(
                better(t[a_key][metric].mean(), t[b_key][metric].mean()) == t[a_key][metric].mean()
                and t[a_key][metric].mean() != t[b_key][metric].mean()
                for t in summary.values()
            )
            cells.append(f"{wins}/{len(summary)}")
        ratio = np.mean(
            [t[a_key]["log_loss"].mean() / t[b_key]["log_loss"].mean() for t in summary.values()]
        )
        out.append(f"| {kind} | {inp} | " + " | ".join(cells) + f" | {ratio:.3f} |")
    out += [
        "",
        "Giant-step features against random features (same readout and input), log loss:",
        "",
    ]
    out.append("| readout | input | sets where giant is better | mean ratio giant/random |")
    out.append("|---|---|---|---|")
    for readout in ("A softmax", "B ridge+T"):
        for inp in ("phi", "[phi, X]"):
            g = [t[f"{readout} | giant | {inp}"]["log_loss"].mean() for t in summary.values()]
            r = [t[f"{readout} | random | {inp}"]["log_loss"].mean() for t in summary.values()]
            wins = sum(a < b for a, b in zip(g, r, strict=True))
            out.append(f"| {readout} | {inp} | {wins}/{len(g)} | {np.mean(np.divide(g, r)):.3f} |")
    out += ["", "Best of ours (any of the 8) against the best baseline, log loss per set:", ""]
    out.append("| set | best of ours | log loss | best baseline | log loss |")
    out.append("|---|---|---|---|---|")
    for name, t in summary.items():
        ours = {k: v["log_loss"].mean() for k, v in t.items() if k.startswith(("A ", "B "))}
        base = {k: v["log_loss"].mean() for k, v in t.items() if not k.startswith(("A ", "B "))}
        o, b = min(ours, key=ours.get), min(base, key=base.get)
        o_name, b_name = o.replace(" | ", ", "), b.replace(" | - | X", "")
        out.append(f"| {name} | {o_name} | {ours[o]:.4f} | {b_name} | {base[b]:.4f} |")
    return out


if __name__ == "__main__":
    main()
