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
``alpha = 1 / n_train``) fitted on all the rows.

    python benchmarks/paper/fig2_staircase.py            # d=256, p=512, 5 seeds
    python benchmarks/paper/fig2_staircase.py --quick --out /tmp
"""

import sys

import numpy as np

if __package__ in (None, ""):
    sys.path.insert(0, __import__("os").path.dirname(__file__))

from _paper_common import (
    PAPER,
    errorbar,
    fmt,
    header,
    one_thread,
    parse_args,
    pyplot,
    rms,
    save_figure,
    table,
)

from skgiant import GiantStepRegressor
from skgiant.datasets import make_multi_index
from skgiant.diagnostics import alignment

NAME = "fig2_staircase"
TARGETS = ("T2", "T2prime")


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
            # step 0: random features (same width, same ridge); note that a warm start
            # from an n_steps=0 fit would keep its step size 0, so the steps start afresh
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
    header(
        "Figure 2: staircase T2 vs the T2' control, fresh batches of n = 4d",
        args,
        f"d={d}, p={p}, n={ratio}d per step, {n_steps} steps, step_size=1 "
        f"(eta = p sqrt(n/d)), alpha=1/n_train, {PAPER}, {n_test} test rows",
    )
    with one_thread():
        res = run(d, p, ratio, n_steps, args.seeds, n_test)
    steps = list(range(n_steps + 1))
    table(
        ["steps", *(f"{t} {k}" for t in TARGETS for k in ("cos v_perp", "cos v*", "test MSE"))],
        [
            [t, *(fmt(res[g][k][:, t]) for g in TARGETS for k in ("perp", "star", "mse"))]
            for t in steps
        ],
    )
    print(f"random level 1/sqrt(d) = {1 / np.sqrt(d):.3f}\n")

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
    return dict(d=d, p=p, steps=steps, **res)


if __name__ == "__main__":
    main()
