"""Benchmark of AlternatingOLSReLURegressor against MLPRegressor and random features.

Run from the repository root::

    python benchmarks/bench_alternating.py            # everything (about 15 minutes)
    python benchmarks/bench_alternating.py --quick    # smaller grids, for a smoke run
    python benchmarks/bench_alternating.py --defaults 3   # table behind the defaults

Prints markdown tables, all measured in one run on one machine with BLAS pinned to one
thread (threadpoolctl):

1. per data set (development data, a 2-D signed distance function, sin(|x|^2) in d=30):
   fit time, iterations, train and test R2 of the default estimator, the published recipe,
   random features of the same width (``max_iter=0``) and MLPRegressor (sgd, adam, lbfgs)
   at the same width; the time our default (and a nearly unregularized run) needs to reach
   the training loss lbfgs ends with, as a fraction of lbfgs's time;
2. training and test R2 against iterations and against wall time for each method;
3. the time-to-lbfgs-loss ratio of table 1 over several random initializations
   (``random_state`` 0..4) of our default on one split: how often, in how many
   iterations and how fast it reaches lbfgs's training loss;
4. one hidden-layer solve, dense versus matrix-free: time and peak traced memory as
   p (d + 1) grows, and the crossover;
5. the matrix-free solve at p (d + 1) = 20,200 with n = 100,000: peak memory.

Inputs and targets are standardized on the training split for every method (R2 does not
depend on the target scaling). Splits follow DEVELOPERS.md (75/25, seed 0; weather cut
to 8000 training rows).
"""

import argparse
import os
import platform
import resource
import time
import tracemalloc
import warnings

import numpy as np
import scipy
import sklearn
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPRegressor
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_info, threadpool_limits

from skgiant import AlternatingOLSReLURegressor
from skgiant import _alternating as alt
from skgiant._alternating_regressor import PUBLISHED_PARAMS
from skgiant._devdata import available_dev_datasets, load_dev_dataset

WIDTH = 32


# ----------------------------------------------------------------------------------------
# data
# ----------------------------------------------------------------------------------------


def signed_distance_data(n, seed):
    """2-D points in [-1, 1]^2 and the signed distance to a rounded cross shape."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, size=(n, 2))

    def box(P, half):
        q = np.abs(P) - half
        outside = np.linalg.norm(np.maximum(q, 0), axis=1)
        return outside + np.minimum(np.max(q, axis=1), 0)

    cross = np.minimum(box(X, np.array([0.6, 0.15])), box(X, np.array([0.15, 0.6])))
    circle = np.linalg.norm(X - np.array([0.4, 0.4]), axis=1) - 0.25
    return X, np.minimum(cross, circle) - 0.05


def sin_norm_data(n, seed, d=30):
    """x ~ N(0, (2/d) I_d) (so |x|^2 is about 2), y = sin(|x|^2) + N(0, 0.05^2)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(scale=np.sqrt(2.0 / d), size=(n, d))
    return X, np.sin(np.sum(X * X, axis=1)) + 0.05 * rng.normal(size=n)


def load(name, quick):
    if name == "sdf2d":
        X, y = signed_distance_data(2500 if quick else 5000, 0)
    elif name == "sin_d30":
        X, y = sin_norm_data(2500 if quick else 5000, 0)
    else:
        X, y, _ = load_dev_dataset(name)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25, random_state=0)
    if name == "weather":
        X_tr, y_tr = X_tr[:8000], y_tr[:8000]
    xs, ys = StandardScaler().fit(X_tr), StandardScaler().fit(y_tr[:, None])
    f = lambda v: ys.transform(v[:, None]).ravel()  # noqa: E731
    return xs.transform(X_tr), xs.transform(X_te), f(y_tr), f(y_te)


# ----------------------------------------------------------------------------------------
# methods; each returns a list of (iteration, seconds, train R2, test R2)
# ----------------------------------------------------------------------------------------


def published(n):
    return dict(PUBLISHED_PARAMS, n_hidden=WIDTH, alpha=1e-3 / n, solver="dense")


def ours_curve(data, params, checkpoints):
    X_tr, X_te, y_tr, y_te = data
    t = time.perf_counter()
    model = AlternatingOLSReLURegressor(random_state=0, **params).fit(X_tr, y_tr)
    total = time.perf_counter() - t
    curve = [(h.iter, h.time, 1.0 - h.mse, np.nan) for h in model.history_]
    # test R2 at checkpoints: the fit is deterministic, so max_iter=k gives iterate k
    tests = {}
    for k in checkpoints:
        if k >= model.n_iter_:
            tests[model.n_iter_] = model.score(X_te, y_te)
            break
        m = AlternatingOLSReLURegressor(random_state=0, **{**params, "max_iter": k})
        tests[k] = m.fit(X_tr, y_tr).score(X_te, y_te)
    curve = [(i, s, tr, tests.get(i, np.nan)) for i, s, tr, _ in curve]
    return model, total, curve


def mlp_curve(data, solver, epochs):
    X_tr, X_te, y_tr, y_te = data
    curve = []
    if solver == "lbfgs":
        for k in epochs:
            m = MLPRegressor(
                hidden_layer_sizes=(WIDTH,), solver="lbfgs", max_iter=k, random_state=0
            )
            t = time.perf_counter()
            m.fit(X_tr, y_tr)
            dt = time.perf_counter() - t
            curve.append((m.n_iter_, dt, m.score(X_tr, y_tr), m.score(X_te, y_te)))
        return curve
    kw = dict(learning_rate_init=0.01, momentum=0.9) if solver == "sgd" else {}
    m = MLPRegressor(
        hidden_layer_sizes=(WIDTH,), solver=solver, random_state=0, batch_size=200, **kw
    )
    spent = 0.0
    for epoch in range(1, max(epochs) + 1):
        t = time.perf_counter()
        m.partial_fit(X_tr, y_tr)
        spent += time.perf_counter() - t
        if epoch in epochs:
            curve.append((epoch, spent, m.score(X_tr, y_tr), m.score(X_te, y_te)))
    return curve


def time_to_reach(curve, target_r2):
    for _, seconds, train_r2, _ in curve:
        if train_r2 >= target_r2:
            return seconds
    return np.nan


# ----------------------------------------------------------------------------------------
# tables
# ----------------------------------------------------------------------------------------


def data_set_tables(names, quick):
    summary, curves = [], []
    epochs = (1, 3, 10, 30, 100) if quick else (1, 3, 10, 30, 100, 200)
    lbfgs_iters = (10, 30, 100, 200) if quick else (10, 30, 100, 200, 500)
    for name in names:
        data = load(name, quick)
        n = len(data[2])
        runs = {}
        for label, params in (
            ("ours (default)", {}),
            ("ours (alpha=1e-6)", {"alpha": 1e-6, "max_iter": 50}),
            ("ours (early stopping)", {"early_stopping": True, "max_iter": 60}),
            ("published recipe", published(n)),
            ("random features", {"max_iter": 0}),
        ):
            model, total, curve = ours_curve(data, params, (0, 1, 3, 10, 30, 60))
            runs[label] = (total, model.n_iter_, curve)
        for solver in ("sgd", "adam", "lbfgs"):
            curve = mlp_curve(data, solver, lbfgs_iters if solver == "lbfgs" else epochs)
            runs[f"MLP {solver}"] = (curve[-1][1], curve[-1][0], curve)
        lbfgs_time, _, lbfgs_curve = runs["MLP lbfgs"]
        target = lbfgs_curve[-1][2]
        rf_test = runs["random features"][2][-1][3]
        for label, (total, iters, curve) in runs.items():
            last = curve[-1]
            reach = time_to_reach(curve, target) if label.startswith("ours") else np.nan
            summary.append(
                f"| {name} | {label} | {total:.2f} | {iters} | {last[2]:.3f} | {last[3]:.3f} "
                f"| {last[3] - rf_test:+.3f} | {reach / lbfgs_time:.2f} |"
            )
            for i, s, tr, te in curve:
                if np.isfinite(te):  # our curves: the checkpoints where test R2 was measured
                    curves.append(f"| {name} | {label} | {i} | {s:.3f} | {tr:.3f} | {te:.3f} |")
        print(f"done {name}", flush=True)
    print("\n### Summary (width 32, one split)\n")
    print(
        "| data | method | fit s | iters | train R2 | test R2 | test R2 - random features "
        "| time to lbfgs train loss / lbfgs time |"
    )
    print("|---|---|---|---|---|---|---|---|")
    print("\n".join(summary))
    print("\n### Curves: R2 against iterations (epochs for sgd/adam) and seconds\n")
    print("| data | method | iter | seconds | train R2 | test R2 |")
    print("|---|---|---|---|---|---|")
    print("\n".join(curves))


DEFAULT_CONFIGS = {
    "default": {},
    "early_stopping=True": {"early_stopping": True},
    "tol=1e-3": {"tol": 1e-3},
    "n_hidden=64": {"n_hidden": 64},
    "solver='cg'": {"solver": "cg"},
    "published recipe (p=32)": "published",
    "random features (max_iter=0)": {"max_iter": 0},
}


def defaults_table(names, n_seeds):
    """Test R2 (mean +- std over splits), fit time and iterations of candidate defaults."""
    from sklearn.pipeline import make_pipeline

    rows = []
    for name in names:
        X, y, _ = load_dev_dataset(name)
        for label, params in DEFAULT_CONFIGS.items():
            scores, train, seconds, iters = [], [], [], []
            for seed in range(n_seeds):
                X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25, random_state=seed)
                if name == "weather":
                    X_tr, y_tr = X_tr[:8000], y_tr[:8000]
                kw = published(len(y_tr)) if params == "published" else params
                model = make_pipeline(
                    StandardScaler(), AlternatingOLSReLURegressor(random_state=0, **kw)
                )
                t = time.perf_counter()
                model.fit(X_tr, y_tr)
                seconds.append(time.perf_counter() - t)
                scores.append(model.score(X_te, y_te))
                train.append(model.score(X_tr, y_tr))
                iters.append(model[-1].n_iter_)
            rows.append(
                f"| {name} | {label} | {np.mean(train):.3f} | {np.mean(scores):.3f} ± "
                f"{np.std(scores):.3f} | {np.mean(seconds):.2f} | {np.mean(iters):.1f} |"
            )
        print(f"done {name}", flush=True)
    print(f"\n### Candidate defaults ({n_seeds} splits, mean ± std of test R2)\n")
    print("| data | configuration | train R2 | test R2 | fit s | iters |")
    print("|---|---|---|---|---|---|")
    print("\n".join(rows))


def reach_table(names, n_seeds):
    """Time to lbfgs's training loss over random initializations of our default."""
    rows = []
    for name in names:
        X_tr, X_te, y_tr, y_te = load(name, False)
        t = time.perf_counter()
        lbfgs = MLPRegressor(
            hidden_layer_sizes=(WIDTH,), solver="lbfgs", max_iter=500, random_state=0
        ).fit(X_tr, y_tr)
        lbfgs_time = time.perf_counter() - t
        target = lbfgs.score(X_tr, y_tr)
        for seed in range(n_seeds):
            t = time.perf_counter()
            model = AlternatingOLSReLURegressor(random_state=seed).fit(X_tr, y_tr)
            total = time.perf_counter() - t
            hit = next((h for h in model.history_ if 1.0 - h.mse >= target), None)
            it, ratio = ("-", np.nan) if hit is None else (hit.iter, hit.time / lbfgs_time)
            per_iter = model.history_[-1].time / max(model.n_iter_, 1)
            rows.append(
                f"| {name} | {lbfgs_time:.2f} | {lbfgs.n_iter_} | {target:.4f} | {seed} "
                f"| {1.0 - model.history_[-1].mse:.4f} | {model.score(X_te, y_te):.3f} "
                f"| {total:.2f} | {model.n_iter_} | {1e3 * per_iter:.1f} "
                f"| {1e3 * lbfgs_time / lbfgs.n_iter_:.2f} | {it} | {ratio:.2f} |"
            )
        print(f"done {name}", flush=True)
    print(f"\n### Time to lbfgs's training loss over {n_seeds} initializations (one split)\n")
    print(
        "| data | lbfgs s | lbfgs iters | lbfgs train R2 | random_state | our final train R2 "
        "| our test R2 | our fit s | our iters | ms per our iteration | ms per lbfgs iteration "
        "| our iteration reaching lbfgs | time to reach / lbfgs time |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))


def one_solve(problem, active, W, beta, b0, solver, max_inner_iter=100):
    tracemalloc.start()
    t = time.perf_counter()
    sol = alt.solve_hidden(
        problem, active, W, beta, b0, 1e-3, 1e-3, solver=solver, max_iter=max_inner_iter
    )
    seconds = time.perf_counter() - t
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return seconds, peak, sol


def solver_table(quick):
    n, d = (2000, 30) if quick else (5000, 30)
    X, y = sin_norm_data(n, 1, d)
    problem = alt.Problem.from_arrays(X, (y - y.mean())[:, None] / y.std(), np.ones(n))
    rows = []
    widths = (2, 4, 8, 16, 32) if quick else (2, 4, 8, 16, 32, 64, 96)
    for p in widths:
        rng = np.random.default_rng(0)
        W = alt.init_weights(rng, p, d, "fan_in")
        beta, b0 = alt.solve_beta(problem, W, 1e-3)
        active = alt.activation_pattern(problem, W)
        ref = alt.evaluate(problem, W, beta, b0, 1e-3).loss
        ds, dm, dsol = one_solve(problem, active, W, beta, b0, "dense")
        cs, cm, csol = one_solve(problem, active, W, beta, b0, "cg")
        sd = alt.surrogate_loss(problem, active, dsol.W, beta, b0, 1e-3)
        sc = alt.surrogate_loss(problem, active, csol.W, beta, b0, 1e-3)
        rows.append(
            f"| {p} | {p * (d + 1)} | {ds:.3f} | {cs:.3f} | {cs / ds:.2f} | "
            f"{dm / 2**20:.1f} | {cm / 2**20:.1f} | {csol.inner_iter} | "
            f"{(ref - sc) / (ref - sd):.4f} |"
        )
    print(f"\n### One hidden-layer solve, dense vs matrix-free (n = {n}, d = {d})\n")
    print(
        "| p | p(d+1) | dense s | CG s | CG / dense time | dense peak MiB | CG peak MiB "
        "| CG iters | CG surrogate decrease / exact |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))


def large_table(quick):
    n, d, p = (20_000, 99, 200) if quick else (100_000, 99, 200)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, d))
    y = np.sin(X[:, 0]) + X[:, 1] * X[:, 2]
    problem = alt.Problem.from_arrays(X, (y - y.mean())[:, None] / y.std(), np.ones(n))
    W = alt.init_weights(rng, p, d, "fan_in")
    beta, b0 = alt.solve_beta(problem, W, 1e-3)
    active = alt.activation_pattern(problem, W)
    seconds, peak, sol = one_solve(problem, active, W, beta, b0, "auto", max_inner_iter=5)
    rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    data_mib = (problem.data.X.nbytes + problem.data.Y.nbytes + active.nbytes) / 2**20
    print(f"\n### Matrix-free solve at p(d+1) = {p * (d + 1)}, n = {n}\n")
    print(
        "| method | CG iters | seconds per CG iter | peak traced MiB during solve | data MiB "
        "| process max RSS MiB |"
    )
    print("|---|---|---|---|---|---|")
    print(
        f"| {sol.method} | {sol.inner_iter} | {seconds / max(sol.inner_iter, 1):.2f} | "
        f"{peak / 2**20:.0f} | {data_mib:.0f} | {rss_mib:.0f} |"
    )
    print(
        f"(dense normal equations would need {alt.dense_bytes(p, d + 1) / 2**30:.1f} GiB; "
        "solver='auto' picks CG)"
    )


def machine():
    blas = [f"{i['internal_api']} {i.get('version')}" for i in threadpool_info()]
    print(f"- machine: {platform.platform()}, {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} CPUs, Python {platform.python_version()}")  # fmt: skip
    print(f"- numpy {np.__version__}, scipy {scipy.__version__}, scikit-learn "
          f"{sklearn.__version__}, BLAS {sorted(set(blas))} pinned to 1 thread")  # fmt: skip
    try:
        print(f"- load average at start: {os.getloadavg()}")
    except OSError:  # pragma: no cover
        pass


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--skip", nargs="*", default=[], help="sections: data reach solver large")
    parser.add_argument("--reach-seeds", type=int, default=5, metavar="SEEDS")
    parser.add_argument("--datasets", nargs="*", default=None)
    parser.add_argument(
        "--defaults", type=int, default=0, metavar="SPLITS",
        help="only the table of candidate defaults on the development data, SPLITS splits",
    )  # fmt: skip
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    machine()
    names = args.datasets or [*available_dev_datasets(), "sdf2d", "sin_d30"]
    with threadpool_limits(limits=1):
        if args.defaults:
            defaults_table(args.datasets or available_dev_datasets(), args.defaults)
            return
        if "data" not in args.skip:
            data_set_tables(names, args.quick)
        if "reach" not in args.skip:
            reach = [n for n in names if n in ("friedman1", "weather", "deliveries")]
            reach_table(reach, 2 if args.quick else args.reach_seeds)
        if "solver" not in args.skip:
            solver_table(args.quick)
        if "large" not in args.skip:
            large_table(args.quick)


if __name__ == "__main__":
    main()
