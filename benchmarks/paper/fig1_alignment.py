"""Figure 1 (Dandi et al.): one giant step -- alignment with the target against n/d.

One giant step (``GiantStepRegressor(n_steps=1, step_size=1, **PAPER)`` with
``PAPER = THEORY_PARAMS``, i.e. ``eta = p sqrt(n/d)``, no biases, symmetric init, frozen
+-1/sqrt(p) second layer) on
a Gaussian single-index target ``y = s(<theta, x>)`` (``s = He1 + He2/2 + He4/24``) and on
T1 = (s(h1) + s(h2))/2. Plotted: the RMS over units of |cos(w_j, v)| with

- single index: v = theta (learned) and a random unit vector orthogonal to theta (control);
- T1: v* = (theta1 + theta2)/sqrt(2), its linear direction (learned), and
  v_perp = (theta1 - theta2)/sqrt(2), the orthogonal teacher direction (one step cannot
  learn it at n = O(d)),

as n/d grows, with the random level 1/sqrt(d). Writes ``doc/figures/fig1_alignment.png``
and ``doc/paper_results/fig1_alignment.md``.

    python benchmarks/paper/fig1_alignment.py            # d=256, p=512, 5 seeds
    python benchmarks/paper/fig1_alignment.py --quick --out /tmp
"""

import sys

import numpy as np

if __package__ in (None, ""):
    sys.path.insert(0, __import__("os").path.dirname(__file__))

from _paper_common import (
    PAPER,
    Report,
    errorbar,
    fmt,
    one_thread,
    parse_args,
    pyplot,
    rms,
    save_figure,
)

from skgiant import GiantStepRegressor
from skgiant.datasets import make_multi_index, make_single_index
from skgiant.diagnostics import alignment

NAME = "fig1_alignment"
#: An independent re-run of the paper's protocol (d = 256, p = 512, readout on a fresh
#: sample), T1: RMS |cos(w_j, v*)| at n/d = 1, 4, 64; not numbers printed in the paper.
RERUN_T1 = {1.0: 0.29, 4.0: 0.54, 64.0: 0.93}


def run(d, p, ratios, seeds):
    """Return {curve label: array (n_seeds, n_ratios)} of RMS alignments."""
    labels = ("single-index: theta", "single-index: orthogonal", "T1: v*", "T1: v_perp")
    out = {k: np.zeros((len(seeds), len(ratios))) for k in labels}
    for s, seed in enumerate(seeds):
        rng = np.random.default_rng(10_000 + seed)
        for r, ratio in enumerate(ratios):
            n = max(int(round(ratio * d)), 2)
            model = GiantStepRegressor(
                n_hidden=p, n_steps=1, step_size=1.0, alpha=1e-3, random_state=seed, **PAPER
            )
            X, y, U = make_single_index(n, d, link="hermite", random_state=seed)
            model.fit(X, y)
            ortho = rng.standard_normal(d)
            ortho -= (ortho @ U[0]) * U[0]
            out[labels[0]][s, r] = rms(alignment(model, U[0]))
            out[labels[1]][s, r] = rms(alignment(model, ortho))
            X, y, U = make_multi_index(n, d, target="T1", random_state=seed)
            model.fit(X, y)
            out[labels[2]][s, r] = rms(alignment(model, (U[0] + U[1]) / np.sqrt(2)))
            out[labels[3]][s, r] = rms(alignment(model, (U[0] - U[1]) / np.sqrt(2)))
        print(f"seed {seed} done", flush=True)
    return out


def main(argv=None):
    args = parse_args(NAME, __doc__.split("\n")[0], argv)
    if args.quick:
        d, p, ratios = 32, 64, (0.5, 1.0, 4.0, 16.0)
    else:
        d, p, ratios = 256, 512, (0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0)
    report = Report(
        NAME,
        "Figure 1: one giant step, RMS |cos(w_j, v)| against n/d",
        args,
        f"d={d}, p={p}, `GiantStepRegressor(n_hidden={p}, n_steps=1, step_size=1, "
        f"alpha=1e-3, **{PAPER})` (eta = p sqrt(n/d)), single-index link He1+He2/2+He4/24",
    )
    with one_thread():
        res = run(d, p, ratios, args.seeds)
    report.table(
        ["n/d", *res.keys(), "re-run: T1 v* (d=256)"],
        [
            [f"{r:g}", *(fmt(v[:, i]) for v in res.values()), RERUN_T1.get(r, "")]
            for i, r in enumerate(ratios)
        ],
    )
    report.text(f"Random level 1/sqrt(d) = {1 / np.sqrt(d):.4f}.")

    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
    for ax, prefix in zip(axes, ("single-index", "T1"), strict=True):
        for label, values in res.items():
            if label.startswith(prefix):
                errorbar(ax, ratios, values, label.split(": ")[1], marker="o")
        ax.axhline(1 / np.sqrt(d), color="gray", ls="--", label=r"random level $1/\sqrt{d}$")
        ax.set_xscale("log", base=2)
        ax.set_xlabel("n / d (one step on n fresh samples)")
        ax.set_title(f"{prefix}: d={d}, p={p}, {len(args.seeds)} seeds")
        ax.legend()
    axes[0].set_ylabel(r"RMS over units of $|\cos(w_j, v)|$")
    save_figure(fig, args.out)
    report.save()
    return dict(d=d, p=p, ratios=list(ratios), **res)


if __name__ == "__main__":
    main()
