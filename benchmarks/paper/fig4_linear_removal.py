"""Figure 4 (Dandi et al.): one step with the label's linear part removed learns T1 at n ~ d^2.

The authors' one-step protocol on T1: ReLU, no biases, W ~ N(0, 1/d), frozen +-1/sqrt(p)
second layer, eta = 10 sqrt(n p), labels with their mean and linear part removed before
the step, ridge lambda = 1 on un-normalized sums, the linear part added back at
prediction. In skgiant: ``GiantStepRegressor(n_steps=1, step_size=10 sqrt(d/p),
bias_scale=0, remove_linear=True, linear_readout=True, second_layer="frozen",
alpha=1/n, solver_options=dict(symmetric_init=True))`` (the linear part is refitted by
the readout; the training estimate, never the test labels, is used).

Against n = d^kappa for kappa in 1 ... 2 (the authors: 1.3, 1.65, 2), plotted:
RMS |cos(w_j, v)| for v* = (theta1 + theta2)/sqrt(2) and v_perp = (theta1 - theta2)/sqrt(2)
(the table also gives the alignment with the span of theta1, theta2), with and without
the removal, and the test MSE of both and of random features (``n_steps=0``, same readout).
Writes ``doc/figures/fig4_linear_removal.png`` and ``doc/paper_results/fig4_linear_removal.md``.

    python benchmarks/paper/fig4_linear_removal.py            # d=128, p=256, 5 seeds
    python benchmarks/paper/fig4_linear_removal.py --quick --out /tmp
"""

import sys

import numpy as np

if __package__ in (None, ""):
    sys.path.insert(0, __import__("os").path.dirname(__file__))

from _paper_common import Report, errorbar, fmt, one_thread, parse_args, pyplot, rms, save_figure

from skgiant import GiantStepRegressor
from skgiant.datasets import make_multi_index
from skgiant.diagnostics import alignment

NAME = "fig4_linear_removal"
#: The authors' one-step notebook (github.com/lucpoisson/GiantStep,
#: ``single_step/single_step.ipynb``: d = 512, p = 1024, 10 seeds), test MSE at n = d^kappa.
AUTHORS = {1.3: 0.336, 1.65: 0.207, 2.0: 0.077}
VARIANTS = ("linear part removed", "plain labels", "random features")


def run(d, p, exponents, seeds, n_test):
    sizes = [int(round(d**e)) for e in exponents]
    shape = (len(seeds), len(sizes))
    res = {v: {k: np.zeros(shape) for k in ("star", "perp", "span", "mse")} for v in VARIANTS}
    for s, seed in enumerate(seeds):
        X_all, y_all, U = make_multi_index(max(sizes) + n_test, d, target="T1", random_state=seed)
        X_test, y_test = X_all[-n_test:], y_all[-n_test:]
        v_star, v_perp = (U[0] + U[1]) / np.sqrt(2), (U[0] - U[1]) / np.sqrt(2)
        for i, n in enumerate(sizes):
            X, y = X_all[:n], y_all[:n]
            common = dict(
                n_hidden=p,
                step_size=10 * np.sqrt(d / p),
                alpha=1.0 / n,
                bias_scale=0.0,
                linear_readout=True,
                second_layer="frozen",
                random_state=seed,
                solver_options=dict(symmetric_init=True),
            )
            models = {
                "linear part removed": GiantStepRegressor(n_steps=1, remove_linear=True, **common),
                "plain labels": GiantStepRegressor(n_steps=1, remove_linear=False, **common),
                "random features": GiantStepRegressor(n_steps=0, remove_linear=False, **common),
            }
            for name, model in models.items():
                model.fit(X, y)
                res[name]["star"][s, i] = rms(alignment(model, v_star))
                res[name]["perp"][s, i] = rms(alignment(model, v_perp))
                res[name]["span"][s, i] = rms(alignment(model, U))
                res[name]["mse"][s, i] = np.mean((model.predict(X_test) - y_test) ** 2)
        print(f"seed {seed} done", flush=True)
    return sizes, res


def main(argv=None):
    args = parse_args(NAME, __doc__.split("\n")[0], argv)
    if args.quick:
        d, p, exponents, n_test = 24, 48, (1.0, 1.5, 2.0), 1000
    else:
        d, p, exponents, n_test = 128, 256, (1.0, 1.3, 1.5, 1.65, 1.8, 2.0), 10_000
    report = Report(
        NAME,
        "Figure 4: one step with the linear part removed, T1, n = d^kappa",
        args,
        f"d={d}, p={p}, `GiantStepRegressor(n_hidden={p}, n_steps=1, "
        f"step_size=10 sqrt(d/p)={10 * np.sqrt(d / p):.3g}, alpha=1/n, bias_scale=0, "
        "remove_linear=True, linear_readout=True, second_layer='frozen', "
        "solver_options=dict(symmetric_init=True))` (eta = 10 sqrt(n p), lambda = 1); "
        f"plain labels: `remove_linear=False`; random features: `n_steps=0`; {n_test} test rows",
    )
    with one_thread():
        sizes, res = run(d, p, exponents, args.seeds, n_test)
    cols = ["log n / log d", "n"]
    for v in VARIANTS[:2]:
        cols += [f"{v}: cos v*", f"{v}: cos v_perp", f"{v}: cos span"]
    cols += [f"{v}: test MSE" for v in VARIANTS] + ["authors (d=512)"]
    rows = []
    for i, (e, n) in enumerate(zip(exponents, sizes, strict=True)):
        row = [f"{e:g}", n]
        for v in VARIANTS[:2]:
            row += [fmt(res[v][k][:, i]) for k in ("star", "perp", "span")]
        row += [fmt(res[v]["mse"][:, i]) for v in VARIANTS]
        row.append(AUTHORS.get(e, ""))
        rows.append(row)
    report.table(cols, rows)
    report.text(f"Random level 1/sqrt(d) = {1 / np.sqrt(d):.4f}.")

    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    for j, v in enumerate(VARIANTS[:2]):
        errorbar(axes[0], exponents, res[v]["star"], f"{v}: $v^*$", marker="o", color=f"C{j}")
        errorbar(
            axes[0],
            exponents,
            res[v]["perp"],
            rf"{v}: $v_\perp$",
            marker="s",
            ls=":",
            color=f"C{j}",
        )
    axes[0].axhline(1 / np.sqrt(d), color="gray", ls="--", label=r"$1/\sqrt{d}$")
    axes[0].set_ylabel(r"RMS over units of $|\cos(w_j, v)|$")
    for j, v in enumerate(VARIANTS):
        errorbar(axes[1], exponents, res[v]["mse"], v, marker="o", color=f"C{j}")
    axes[1].plot(
        list(AUTHORS), list(AUTHORS.values()), "k*", ms=10, label="authors (d=512, p=1024)"
    )
    axes[1].axhline(0.27, color="k", ls="--", lw=1, label="best linear (population)")
    axes[1].set_yscale("log")
    axes[1].set_ylabel("test MSE")
    for ax in axes:
        ax.set_xlabel(r"$\log n / \log d$")
        ax.legend(fontsize=8)
    axes[0].set_title(f"T1, one step, d={d}, p={p}, {len(args.seeds)} seeds")
    axes[1].set_title("test error")
    save_figure(fig, args.out)
    report.save()
    return dict(d=d, p=p, exponents=list(exponents), sizes=sizes, **res)


if __name__ == "__main__":
    main()
