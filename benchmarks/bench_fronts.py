"""Accuracy-time fronts over widths: skgiant estimators against MLPRegressor.

Run from the repository root::

    python benchmarks/bench_fronts.py             # every development set, split 0
    python benchmarks/bench_fronts.py --quick     # 1 small set, 2 widths (smoke run)
    python benchmarks/bench_fronts.py --datasets weather ames --widths 256 1024

Writes ``benchmarks/RESULTS_fronts.md`` (``--out``) and ``doc/figures/fronts.png``
(``--figure``: one panel per data set, test R² against fit time on a log axis, one line
per model over its widths) and prints the same tables.

Every model is ``dev_pipeline(model)`` (mean imputation, standardization, model) fitted on
the same split(s) of the development protocol (``dev_splits``: 75/25, seed 0 by default,
at most 8000 training rows), BLAS/OpenMP threads pinned (``--threads``, default 1),
``random_state=0``. Models per width p in ``--widths`` (64 ... 2048):

- ``GiantStep 1 step``: ``GiantStepRegressor(n_hidden=p)``;
- ``GiantStep 2 steps``: ``GiantStepRegressor(n_hidden=p, n_steps=2)``;
- ``random features``: ``GiantStepRegressor(n_hidden=p, step_size=0.0)``;
- ``MLP adam``: ``MLPRegressor(hidden_layer_sizes=(p,), solver="adam", max_iter=200)``;
- ``MLP lbfgs``: ``MLPRegressor(hidden_layer_sizes=(p,), solver="lbfgs", max_iter=1000)``;

and ``Alternating``: ``AlternatingOLSReLURegressor(n_hidden=q)`` for q in ``--alt-widths``
(8 ... 128; it costs more per unit). ConvergenceWarnings are counted, not shown.

Goal check: an MLPRegressor point (either solver, any width) is *matched* if one of ours
(GiantStep 1 or 2 steps, or Alternating, any width) reaches test R² ≥ MLP R² − 0.002 in at
most a tenth of the MLP's fit time. An MLP fit whose time, extrapolated linearly in the
width from the same solver's previous width, exceeds ``--max-seconds-per-fit`` (300) is
skipped and left out of the check (listed as skipped).
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from _common import (
    fit_counting,
    load_summary,
    pin_threads,
    resolve_datasets,
    results_header,
)
from sklearn.neural_network import MLPRegressor

from skgiant import AlternatingOLSReLURegressor, GiantStepRegressor
from skgiant._devdata import dev_pipeline, dev_splits

DEFAULT_OUT = "benchmarks/RESULTS_fronts.md"
DEFAULT_FIGURE = "doc/figures/fronts.png"
WIDTHS = [64, 128, 256, 512, 1024, 2048]
ALT_WIDTHS = [8, 16, 32, 64, 128]
QUICK_SETS, QUICK_WIDTHS, QUICK_ALT_WIDTHS = ["diabetes"], [64, 128], [8, 16]
#: A match: R² at least the MLP's minus R2_TOL in at most 1/SPEEDUP of its time.
R2_TOL, SPEEDUP = 0.002, 10.0

G1, G2, RF, ALT = "GiantStep 1 step", "GiantStep 2 steps", "random features", "Alternating"
ADAM, LBFGS = "MLP adam", "MLP lbfgs"
OURS = (G1, G2, ALT)
MLPS = (ADAM, LBFGS)
MODEL_ORDER = (G1, G2, ALT, RF, ADAM, LBFGS)


def make_model(label, width):
    """The unfitted final estimator of ``label`` at ``width`` hidden units."""
    if label == G1:
        return GiantStepRegressor(n_hidden=width, random_state=0)
    if label == G2:
        return GiantStepRegressor(n_hidden=width, n_steps=2, random_state=0)
    if label == RF:
        return GiantStepRegressor(n_hidden=width, step_size=0.0, random_state=0)
    if label == ALT:
        return AlternatingOLSReLURegressor(n_hidden=width, random_state=0)
    if label == ADAM:
        return MLPRegressor(
            hidden_layer_sizes=(width,), solver="adam", max_iter=200, random_state=0
        )
    if label == LBFGS:
        return MLPRegressor(
            hidden_layer_sizes=(width,), solver="lbfgs", max_iter=1000, random_state=0
        )
    raise ValueError(label)


def run_dataset(name, seeds, widths, alt_widths, max_seconds):
    """Fit every (model, width) on every split; return ``{(label, width): record}``."""
    splits = list(dev_splits(name, seeds))
    plan = [(label, p) for label in (G1, G2, RF, ADAM, LBFGS) for p in widths]
    plan += [(ALT, q) for q in alt_widths]
    points, last = {}, {}
    for label, width in plan:
        if label in MLPS and label in last:
            p0, t0 = last[label]
            predicted = t0 * width / p0
            if predicted > max_seconds:
                points[(label, width)] = {"skipped": predicted}
                print(
                    f"  {name}: {label} width {width}: skipped (predicted {predicted:.0f} s "
                    f"> {max_seconds:g} s)",
                    file=sys.stderr,
                    flush=True,
                )
                continue
        r2, times, n_conv = [], [], 0
        for X_tr, X_te, y_tr, y_te in splits:
            pipe = dev_pipeline(make_model(label, width))
            seconds, caught = fit_counting(pipe, X_tr, y_tr)
            r2.append(pipe.score(X_te, y_te))
            times.append(seconds)
            n_conv += caught
        rec = {"r2": float(np.mean(r2)), "time": float(np.mean(times)), "warnings": n_conv}
        points[(label, width)] = rec
        last[label] = (width, rec["time"])
        print(
            f"  {name}: {label} width {width}: R² {rec['r2']:.4f}, {rec['time']:.2f} s "
            f"({load_summary()})",
            file=sys.stderr,
            flush=True,
        )
    n, d = splits[-1][0].shape
    return points, (n, d, len(splits[-1][1]))


def goal_check(points):
    """Per measured MLP point: ``(label, width, rec, match, best_in_budget)``."""
    ours = [(k, v) for k, v in points.items() if k[0] in OURS and "r2" in v]
    rows = []
    for (label, width), rec in points.items():
        if label not in MLPS or "r2" not in rec:
            continue
        budget = rec["time"] / SPEEDUP
        in_budget = [(k, v) for k, v in ours if v["time"] <= budget]
        matches = [(k, v) for k, v in in_budget if v["r2"] >= rec["r2"] - R2_TOL]
        match = min(matches, key=lambda kv: kv[1]["time"]) if matches else None
        best = max(in_budget, key=lambda kv: kv[1]["r2"]) if in_budget else None
        rows.append((label, width, rec, match, best))
    return rows


def _point(kv):
    (label, width), rec = kv
    return f"{label} ({width}): R² {rec['r2']:.4f}, {rec['time']:.3g} s"


def dataset_section(name, shape, n_splits, points, checks):
    n, d, n_test = shape
    matched = {(label, width): match for label, width, _, match, _ in checks}
    lines = [
        f"### {name} (n_train={n}, d={d}, n_test={n_test}, {n_splits} split(s))",
        "",
        "| model | width | test R² | fit time (s) | ConvergenceWarnings | matched by "
        f"(ours with R² ≥ MLP − {R2_TOL} in ≤ 1/{SPEEDUP:g} of the time; fastest) |",
        "|---|---|---|---|---|---|",
    ]
    for label in MODEL_ORDER:
        for (lab, width), rec in points.items():
            if lab != label:
                continue
            if "skipped" in rec:
                lines.append(
                    f"| {label} | {width} | skipped: predicted {rec['skipped']:.0f} s | | | |"
                )
                continue
            match = ""
            if label in MLPS:
                m = matched[(label, width)]
                match = _point(m) if m else "**not matched**"
            lines.append(
                f"| {label} | {width} | {rec['r2']:.4f} | {rec['time']:.3f} "
                f"| {rec['warnings']} | {match} |"
            )
    return "\n".join(lines)


def summary_section(all_checks, skipped, points_of):
    lines = [
        "### Goal check: MLP points matched by ours",
        "",
        "| data set | MLP points matched | unmatched | skipped (time limit) |",
        "|---|---|---|---|",
    ]
    unmatched = []
    for name, checks in all_checks.items():
        n_match = sum(c[3] is not None for c in checks)
        lines.append(
            f"| {name} | {n_match} of {len(checks)} | {len(checks) - n_match} "
            f"| {len(skipped[name])} |"
        )
        for label, width, rec, match, best in checks:
            if match is None:
                best_txt = _point(best) if best else "none of ours fits in the budget"
                reach = [
                    kv
                    for kv in points_of[name].items()
                    if kv[0][0] in OURS and "r2" in kv[1] and kv[1]["r2"] >= rec["r2"] - R2_TOL
                ]
                if reach:
                    fastest = min(reach, key=lambda kv: kv[1]["time"])
                    best_txt += (
                        f"; fastest of ours reaching the R²: {_point(fastest)} "
                        f"(MLP time / this = {rec['time'] / fastest[1]['time']:.1f})"
                    )
                else:
                    best_txt += "; none of ours reaches the R² at any width"
                unmatched.append(
                    f"| {name} | {label} ({width}) | {rec['r2']:.4f} | {rec['time']:.3g} "
                    f"| {rec['time'] / SPEEDUP:.3g} | {best_txt} |"
                )
    lines += ["", "Unmatched MLP points and the best of ours within their time budget:", ""]
    if unmatched:
        lines += [
            "| data set | MLP point | MLP R² | MLP time (s) | budget (s) | best of ours "
            "within the budget |",
            "|---|---|---|---|---|---|",
            *unmatched,
        ]
    else:
        lines.append("(none)")
    return "\n".join(lines)


def _reached(points, rec):
    """Whether any of our points reaches R² ≥ ``rec``'s R² − R2_TOL, at any time."""
    return any(
        k[0] in OURS and "r2" in v and v["r2"] >= rec["r2"] - R2_TOL for k, v in points.items()
    )


def reading(all_checks, skipped, points_of):
    out = ["### Reading (generated from the numbers above)", ""]
    total = sum(len(c) for c in all_checks.values())
    n_match = sum(m is not None for c in all_checks.values() for *_, m, _ in c)
    full = [n for n, c in all_checks.items() if all(x[3] is not None for x in c)]
    part = [
        f"{n} ({sum(x[3] is None for x in c)} of {len(c)} unmatched)"
        for n, c in all_checks.items()
        if any(x[3] is None for x in c)
    ]
    out.append(
        f"- The goal (every MLPRegressor point matched: R² ≥ MLP − {R2_TOL} in ≤ 1/"
        f"{SPEEDUP:g} of its fit time) holds on {len(full)} of {len(all_checks)} data sets "
        f"({', '.join(full) or 'none'}); {n_match} of {total} MLP points are matched overall."
    )
    out.append(f"- It does not hold on: {', '.join(part) or 'none'}.")
    unmatched = [(n, c) for n, checks in all_checks.items() for c in checks if c[3] is None]
    slow = sum(_reached(points_of[n], c[2]) for n, c in unmatched)
    if unmatched:
        out.append(
            f"- Of the {len(unmatched)} unmatched MLP points, {slow} are missed on time only "
            f"(one of ours reaches R² ≥ MLP − {R2_TOL}, but not within 1/{SPEEDUP:g} of the "
            f"MLP's time) and {len(unmatched) - slow} on accuracy (none of ours reaches that "
            "R² at any width)."
        )
    for solver in MLPS:
        miss = [
            f"{n} {w}"
            for n, c in all_checks.items()
            for label, w, _, m, _ in c
            if label == solver and m is None
        ]
        out.append(f"- Unmatched {solver} points: {', '.join(miss) or 'none'}.")
    n_skip = sum(len(s) for s in skipped.values())
    if n_skip:
        out.append(
            f"- {n_skip} MLP fit(s) were skipped by the time limit and are not in the check: "
            + ", ".join(f"{n} {lab} {w}" for n, s in skipped.items() for lab, w in s)
            + "."
        )
    return "\n".join(out)


def plot_fronts(results, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import NullFormatter

    names = list(results)
    ncols = min(3, len(names))
    nrows = -(-len(names) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.6 * ncols, 3.6 * nrows), squeeze=False)
    styles = {
        G1: ("C0", "o", "-"),
        G2: ("C1", "s", "-"),
        ALT: ("C2", "^", "-"),
        RF: ("C7", "o", ":"),
        ADAM: ("C3", "D", "--"),
        LBFGS: ("C4", "v", "--"),
    }
    for ax, name in zip(axes.ravel(), names, strict=False):
        points = results[name][0]
        r2s = [v["r2"] for v in points.values() if "r2" in v]
        top = max(r2s)
        floor = max(min(r2s), top - 0.5)
        for label in MODEL_ORDER:
            pts = sorted((w, v) for (lab, w), v in points.items() if lab == label and "r2" in v)
            if not pts:
                continue
            t = [v["time"] for _, v in pts]
            r = [max(v["r2"], floor) for _, v in pts]
            color, marker, ls = styles[label]
            ax.plot(t, r, color=color, marker=marker, ls=ls, ms=4, label=label)
        ax.set_xscale("log")
        ax.xaxis.set_minor_formatter(NullFormatter())
        pad = 0.05 * max(top - floor, 0.01)
        ax.set_ylim(floor - pad, top + pad)
        clipped = min(r2s) < floor
        ax.set_title(name + (f" (R² clipped at {floor:.2f})" if clipped else ""), fontsize=9)
        ax.set_xlabel("fit time (s)")
        ax.set_ylabel("test R²")
        ax.grid(True, which="both", alpha=0.3)
    for ax in axes.ravel()[len(names) :]:
        ax.set_visible(False)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    per_row = len(labels) if ncols >= 3 else 3
    fig.legend(handles, labels, loc="lower center", ncol=per_row, fontsize=8)
    legend_inches = 0.25 * -(-len(labels) // per_row) + 0.15
    fig.tight_layout(rect=(0, legend_inches / fig.get_figheight(), 1, 1))
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 small set, 2 widths (smoke)")
    parser.add_argument("--seeds", type=int, default=1, help="splits per data set (1: seed 0)")
    parser.add_argument("--datasets", nargs="+", default=None, metavar="NAME")
    parser.add_argument("--widths", type=int, nargs="+", default=None, help=f"{WIDTHS}")
    parser.add_argument("--alt-widths", type=int, nargs="+", default=None, help=f"{ALT_WIDTHS}")
    parser.add_argument(
        "--max-seconds-per-fit",
        type=float,
        default=300.0,
        help="skip MLP fits predicted (linearly in the width) to take longer (300)",
    )
    parser.add_argument("--threads", type=int, default=1, help="BLAS/OpenMP threads (1)")
    parser.add_argument("--out", default=DEFAULT_OUT, help=f"results file ({DEFAULT_OUT})")
    parser.add_argument("--figure", default=DEFAULT_FIGURE, help=f"figure ({DEFAULT_FIGURE})")
    args = parser.parse_args(argv)
    argv = sys.argv[1:] if argv is None else list(argv)
    seeds = range(args.seeds)
    widths = args.widths or (QUICK_WIDTHS if args.quick else WIDTHS)
    alt_widths = args.alt_widths or (QUICK_ALT_WIDTHS if args.quick else ALT_WIDTHS)
    datasets = resolve_datasets(parser, args.datasets, args.quick, QUICK_SETS)

    tic = time.perf_counter()
    with pin_threads(args.threads):
        header = [
            *results_header(
                "Accuracy-time fronts over widths", "benchmarks/bench_fronts.py", argv, args.threads
            ),
            f"- splits: seeds {seeds.start}..{seeds.stop - 1} of `dev_splits` (75/25, at most "
            "8000 training rows; with several splits, R² and time are means); every model "
            "is `dev_pipeline(model)`, `random_state=0`",
            f"- widths {widths}; Alternating widths {alt_widths}; MLP fits predicted "
            f"above {args.max_seconds_per_fit:g} s skipped",
            f"- figure: `{args.figure}`",
        ]
        if args.quick:
            header.append("- **quick smoke run** (`--quick`): not the benchmark's numbers")
        print("\n".join(header) + "\n", flush=True)
        results, all_checks, skipped, sections = {}, {}, {}, []
        for name in datasets:
            print(f"{name} ...", file=sys.stderr, flush=True)
            points, shape = run_dataset(name, seeds, widths, alt_widths, args.max_seconds_per_fit)
            results[name] = (points, shape)
            all_checks[name] = goal_check(points)
            skipped[name] = [k for k, v in points.items() if "skipped" in v]
            sections.append(dataset_section(name, shape, len(seeds), points, all_checks[name]))
            print(sections[-1] + "\n", flush=True)
        plot_fronts(results, args.figure)
        points_of = {k: v[0] for k, v in results.items()}
        summary = summary_section(all_checks, skipped, points_of)
        read = reading(all_checks, skipped, points_of)
        footer = f"Total wall time {time.perf_counter() - tic:.0f} s; {load_summary()} at end."
    print("\n\n".join([summary, read, footer]), flush=True)
    with open(args.out, "w", encoding="utf-8") as fh:
        fh.write("\n\n".join(["\n".join(header), summary, read, *sections, footer]) + "\n")
    print(f"wrote {args.out} and {args.figure}", file=sys.stderr)
    return results


if __name__ == "__main__":
    sys.exit(main() and 0)
