"""Figure 2 (Dandi et al.): the staircase -- T2 learns its second direction, T2' does not.

Several giant steps, each on a fresh batch of n = 4d samples
(``GiantStepRegressor(n_steps=1, batch_size=n, step_size=1, warm_start=True, **PAPER)``
refitted once per step, which continues the same fresh-batch schedule), on

- T2 = ((h1 + h1^2) + (h2 - h2^2)) / 2 = u/sqrt(2) + u v (u, v = <v*, x>, <v_perp, x>):
  v_perp = (theta1 - theta2)/sqrt(2) is linearly coupled to the learned direction v*;
- T2' = ((h1 + h1^2) + (h2 + h2^2)) / 2 = u/sqrt(2) + (u^2 + v^2)/2: v_perp only enters
  through v^2 and is not learnable at n = O(d).

Plotted: RMS over units of |cos(w_j, v_perp)| (and of |cos(w_j, v*)|) after each step,
and the test MSE of the ridge readout (lambda = 1 on un-normalized sums, i.e.
``alpha = 1 / n_train``) fitted on all the rows. ``PAPER = THEORY_PARAMS`` (frozen
second layer, symmetric init, no biases, no linear term). Writes
``doc/figures/fig2_staircase.png`` and ``doc/paper_results/fig2_staircase.md``.

    python benchmarks/paper/fig2_staircase.py            # d=256, p=512, 5 seeds
    python benchmarks/paper/fig2_staircase.py --quick --out /tmp
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
from skgiant.datasets import make_multi_index
from skgiant.diagnostics import alignment

NAME = "fig2_staircase"
TARGETS = ("T2", "T2prime")
#: An independent re-run of the paper's protocol (d = 256, p = 512, n = 4d, readout on a
#: fresh sample): RMS |cos(w_j, v_perp)| after each step for T2 (T2' stays near 0.08 at
#: step 4); not numbers printed in the paper.
RERUN_T2_PERP = {1: 0.07, 2: 0.23, 3: 0.37, 4: 0.51}


def run(d, p, ratio, n_steps, seeds, n_test):
    """Per target: arrays (n_seeds, n_steps + 1) of alignments and test MSE."""
    n = ratio * d
    res = {}
    for target in TARGETS:
        perp, star, mse = (np.zeros((len(seeds), n_steps + 1)) for _ in range(3))
        for s, seed in enumerate(seeds):
            X, y, U = make_multi_index(n * n_steps + n_test, d, target=target, random_state=seed)
            X, y, X_test, y_test = X[:-n_test], y[:-n_test], X[-n_test:], y[-n_test:]
            v_star, v_perp = (U[0] + U[1]) / np.sqrt(2), (U[0] - U[1]) / np.sqrt(2)
            params = dict(n_hidden=p, batch_size=n, alpha=1.0 / len(y), random_state=seed)
            # step 0: random features (same width, same ridge, same seed, hence the same
            # initial first layer); the stepped model then starts afresh from it
            model = GiantStepRegressor(n_steps=0, **params, **PAPER)
            for t in range(n_steps + 1):
                model.fit(X, y)  # one more giant step on the next fresh batch
                assert model.n_iter_ == t and all(r.fresh_batch for r in model.history_)
                perp[s, t] = rms(alignment(model, v_perp))
                star[s, t] = rms(alignment(model, v_star))
                mse[s, t] = np.mean((model.predict(X_test) - y_test) ** 2)
                if t == 0:
                    model = GiantStepRegressor(
                        n_steps=1, step_size=1.0, warm_start=True, **params, **PAPER
                    )
        res[target] = dict(perp=perp, star=star, mse=mse)
        print(f"{target} done", flush=True)
    return res


def main(argv=None):
    args = parse_args(NAME, __doc__.split("\n")[0], argv)
    if args.quick:
        d, p, n_steps, n_test = 48, 96, 3, 1000
    else:
        d, p, n_steps, n_test = 256, 512, 5, 10_000
    ratio = 4
    report = Report(
        NAME,
        "Figure 2: staircase T2 vs the T2' control, fresh batches of n = 4d",
        args,
        f"d={d}, p={p}, n={ratio}d per step, {n_steps} steps, `GiantStepRegressor("
        f"n_hidden={p}, n_steps=1, batch_size={ratio * d}, step_size=1, warm_start=True, "
        f"alpha=1/n_train, **{PAPER})` refitted once per step (eta = p sqrt(n/d)); "
        f"step 0 is `n_steps=0`; {n_test} test rows",
    )
    with one_thread():
        res = run(d, p, ratio, n_steps, args.seeds, n_test)
    steps = list(range(n_steps + 1))
    report.table(
        [
            "steps",
            *(f"{t} {k}" for t in TARGETS for k in ("cos v_perp", "cos v*", "test MSE")),
            "re-run: T2 cos v_perp (d=256)",
        ],
        [
            [
                t,
                *(fmt(res[g][k][:, t]) for g in TARGETS for k in ("perp", "star", "mse")),
                RERUN_T2_PERP.get(t, ""),
            ]
            for t in steps
        ],
    )
    report.text(f"Random level 1/sqrt(d) = {1 / np.sqrt(d):.4f}.")

    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for target, color in zip(TARGETS, ("C0", "C3"), strict=True):
        name = "T2'" if target == "T2prime" else target
        errorbar(
            axes[0], steps, res[target]["perp"], rf"{name}: $v_\perp$", marker="o", color=color
        )
        errorbar(
            axes[0], steps, res[target]["star"], f"{name}: $v^*$", marker="s", ls=":", color=color
        )
        errorbar(axes[1], steps, res[target]["mse"], name, marker="o", color=color)
    axes[0].axhline(1 / np.sqrt(d), color="gray", ls="--", label=r"$1/\sqrt{d}$")
    axes[0].set_ylabel(r"RMS over units of $|\cos(w_j, v)|$")
    axes[1].set_ylabel("test MSE (ridge readout, lambda = 1)")
    for ax in axes:
        ax.set_xlabel(f"giant steps (each on a fresh batch of n = {ratio}d)")
        ax.legend()
    axes[0].set_title(f"alignment, d={d}, p={p}, {len(args.seeds)} seeds")
    axes[1].set_title("test error (step 0 = random features)")
    save_figure(fig, args.out)
    report.save()
    return dict(d=d, p=p, steps=steps, **res)


if __name__ == "__main__":
    main()
