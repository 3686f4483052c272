"""Figure 3 (Dandi et al.): test error against sample complexity log N / log d.

For N = d^kappa training rows, a network trained by k = 1, 2, 3 giant steps, each on a
fresh batch of N // k rows (``GiantStepRegressor(n_steps=k, batch_size=N // k,
step_size=1, alpha=1/N, **PAPER)``, i.e. eta = p sqrt(batch/d), ridge lambda = 1 on
un-normalized sums as the authors), with its readout fitted on all N rows; beside

- random features at initialization: the same network with ``n_steps=0`` (same width,
  same ridge, same N rows);
- the best linear predictor fitted on the same rows (``RidgeCV``), and its population
  value (T1: 0.27, T2: 1.0, dashed).

Targets T1 and T2 (``skgiant.datasets.make_multi_index``); test MSE on fresh rows.
Every method sees the same N rows, so the x axis is the total sample size.
``PAPER = THEORY_PARAMS`` (frozen second layer, symmetric init, no biases, no linear
term). Writes ``doc/figures/fig3_sample_complexity.png`` and
``doc/paper_results/fig3_sample_complexity.md``.

    python benchmarks/paper/fig3_sample_complexity.py            # d=128, p=256, 5 seeds
    python benchmarks/paper/fig3_sample_complexity.py --quick --out /tmp
"""

import sys

import numpy as np
from sklearn.linear_model import RidgeCV

if __package__ in (None, ""):
    sys.path.insert(0, __import__("os").path.dirname(__file__))

from _paper_common import PAPER, Report, errorbar, fmt, one_thread, parse_args, pyplot, save_figure

from skgiant import GiantStepRegressor
from skgiant.datasets import make_multi_index

NAME = "fig3_sample_complexity"
TARGETS = ("T1", "T2")
#: Population MSE of the best linear predictor: Var(y) minus the squared first Hermite
#: coefficients (T1: 0.771 - 0.5, T2: 1.5 - 0.5; tests/test_datasets.py checks the closed forms).
BEST_LINEAR = {"T1": 0.27, "T2": 1.0}
STEPS = (1, 2, 3)


def methods():
    return ["random features", *(f"{k} step{'s' * (k > 1)}" for k in STEPS), "linear (RidgeCV)"]


def run(d, p, exponents, seeds, n_test):
    """Per target: {method: array (n_seeds, n_exponents)} of test MSE."""
    sizes = [int(round(d**e)) for e in exponents]
    res = {}
    for target in TARGETS:
        mse = {m: np.zeros((len(seeds), len(sizes))) for m in methods()}
        for s, seed in enumerate(seeds):
            X_all, y_all, _ = make_multi_index(
                max(sizes) + n_test, d, target=target, random_state=seed
            )
            X_test, y_test = X_all[-n_test:], y_all[-n_test:]
            for i, N in enumerate(sizes):
                X, y = X_all[:N], y_all[:N]
                common = dict(n_hidden=p, alpha=1.0 / N, random_state=seed, **PAPER)
                models = {"random features": GiantStepRegressor(n_steps=0, **common)}
                for k in STEPS:
                    models[f"{k} step{'s' * (k > 1)}"] = GiantStepRegressor(
                        n_steps=k, batch_size=N // k, step_size=1.0, **common
                    )
                models["linear (RidgeCV)"] = RidgeCV(alphas=np.logspace(-3, 4, 15))
                for name, model in models.items():
                    model.fit(X, y)
                    mse[name][s, i] = np.mean((model.predict(X_test) - y_test) ** 2)
        res[target] = mse
        print(f"{target} done", flush=True)
    return sizes, res


def main(argv=None):
    args = parse_args(NAME, __doc__.split("\n")[0], argv)
    if args.quick:
        d, p, exponents, n_test = 24, 48, (1.0, 1.5, 2.0), 1000
    else:
        d, p, exponents, n_test = 128, 256, (1.0, 1.25, 1.5, 1.75, 2.0), 10_000
    report = Report(
        NAME,
        "Figure 3: test MSE against log N / log d",
        args,
        f"d={d}, p={p}, N = d^kappa for kappa in {exponents}; k steps: `GiantStepRegressor("
        f"n_hidden={p}, n_steps=k, batch_size=N // k, step_size=1, alpha=1/N, **{PAPER})` "
        "(fresh batches, eta = p sqrt(batch/d), lambda = 1); random features: `n_steps=0`; "
        f"linear: `RidgeCV(alphas=logspace(-3, 4, 15))`; {n_test} test rows",
    )
    with one_thread():
        sizes, res = run(d, p, exponents, args.seeds, n_test)
    for target in TARGETS:
        report.heading(f"{target} (population best linear MSE {BEST_LINEAR[target]})")
        report.table(
            ["log N / log d", "N", *methods()],
            [
                [f"{e:g}", N, *(fmt(res[target][m][:, i]) for m in methods())]
                for i, (e, N) in enumerate(zip(exponents, sizes, strict=True))
            ],
        )

    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    for ax, target in zip(axes, TARGETS, strict=True):
        for j, m in enumerate(methods()):
            style = dict(marker="o", color=f"C{j}")
            if m.startswith("linear"):
                style.update(ls=":", marker="s", color="gray")
            errorbar(ax, exponents, res[target][m], m, **style)
        ax.axhline(BEST_LINEAR[target], color="k", ls="--", lw=1, label="best linear (population)")
        ax.set_yscale("log")
        ax.set_xlabel(r"$\log N / \log d$ (N training rows)")
        ax.set_ylabel("test MSE")
        ax.set_title(f"{target}: d={d}, p={p}, {len(args.seeds)} seeds")
        ax.legend(fontsize=8)
    save_figure(fig, args.out)
    report.save()
    return dict(d=d, p=p, exponents=list(exponents), sizes=sizes, **res)


if __name__ == "__main__":
    main()
