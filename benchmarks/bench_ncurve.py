"""Accuracy, time and memory against the number of training rows on a synthetic target.

Run from the repository root::

    python benchmarks/bench_ncurve.py                   # n = 10^4, 10^5, 10^6
    python benchmarks/bench_ncurve.py --quick           # n = 2000, 10000 (smoke run)
    python benchmarks/bench_ncurve.py --alternating     # also the alternating default
    python benchmarks/bench_ncurve.py --sizes 10000 100000

Writes ``benchmarks/RESULTS_ncurve.md`` (``--out``) and prints the same text.

Data: ``x ~ N(0, I_16)``, ``y = sin(x0) + x1 x2 + 0.1 x3^3 + 0.1 eps`` with ``eps ~ N(0, 1)``
(noise standard deviation 0.1; the noise variance is about 0.5% of the variance of y).
The training sets are nested (the first n rows of one stream); the test set is 20,000
fresh rows drawn from another seed, the same for every n.

Models, each fitted in ``make_pipeline(StandardScaler(), est)``, ``random_state=0``:
``GiantStepRegressor()`` (the defaults), ``GiantStepRegressor(step_size=0.0)`` (no step),
with ``--alternating`` also ``AlternatingOLSReLURegressor()`` (off by default: slow at
10^6 rows), and ``AlternatingOLSReLURegressor(batch_size="auto")`` whenever the installed
estimator accepts that value (checked at startup; the file says whether it did).

Every fit runs in a fresh process (multiprocessing, "spawn"), which generates the data,
pins BLAS threads, fits, scores and reads its own ``ru_maxrss``: the peak resident memory
of the process (interpreter, libraries and data included) -- reported with the peak
before the fit, so the fit's own share is visible.
"""

import argparse
import resource
import sys
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context

import numpy as np
from _common import load_summary, pin_threads, results_header
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import r2_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skgiant import AlternatingOLSReLURegressor, GiantStepRegressor

DEFAULT_OUT = "benchmarks/RESULTS_ncurve.md"
D, NOISE, N_TEST = 16, 0.1, 20_000
SIZES, QUICK_SIZES = [10_000, 100_000, 1_000_000], [2000, 10_000]
TRAIN_SEED, TEST_SEED = 0, 1
#: Allowed decrease of the test R² from one n to the next.
MONOTONE_TOL = 0.003

GIANT, NOSTEP = "GiantStep", "GiantStep(step_size=0)"
ALT, ALT_AUTO = "Alternating", 'Alternating(batch_size="auto")'


def make_data(n, seed, d=D, noise=NOISE):
    """``(X, y)``: ``n`` rows of the synthetic target; rows are a prefix of a fixed stream."""
    X = np.random.default_rng([seed, 0]).standard_normal((n, d))
    eps = np.random.default_rng([seed, 1]).standard_normal(n)
    y = np.sin(X[:, 0]) + X[:, 1] * X[:, 2] + 0.1 * X[:, 3] ** 3 + noise * eps
    return X, y


def _peak_mb():
    # ru_maxrss is in kilobytes on Linux (bytes on macOS)
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20


def fit_in_child(estimator, n, threads):
    """Run in a fresh process: generate the data, fit, score; return the measurements."""
    with pin_threads(threads):
        X, y = make_data(n, TRAIN_SEED)
        X_test, y_test = make_data(N_TEST, TEST_SEED)
        before = _peak_mb()
        pipe = make_pipeline(StandardScaler(), estimator)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            tic = time.perf_counter()
            pipe.fit(X, y)
            seconds = time.perf_counter() - tic
        peak = _peak_mb()
        r2 = r2_score(y_test, pipe.predict(X_test))
    est = pipe[-1]
    return {
        "r2": float(r2),
        "time": seconds,
        "peak_mb": peak,
        "before_mb": before,
        "step_size_": getattr(est, "step_size_", None),
        "n_iter_": getattr(est, "n_iter_", None),
        "warnings": sum(issubclass(w.category, ConvergenceWarning) for w in caught),
    }


def run_fit(estimator, n, threads):
    """``fit_in_child`` in a new spawned process; a crashed child gives ``{"error": ...}``."""
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        try:
            return pool.submit(fit_in_child, estimator, n, threads).result()
        except BrokenProcessPool as exc:  # e.g. killed for memory
            return {"error": f"child process died ({exc})"}
        except Exception as exc:  # noqa: BLE001 -- report any failure of the fit
            return {"error": f"{type(exc).__name__}: {exc}"}


def alternating_auto_available():
    """Whether ``AlternatingOLSReLURegressor(batch_size="auto")`` is accepted, and why not."""
    est = AlternatingOLSReLURegressor(batch_size="auto", n_hidden=2, max_iter=1, random_state=0)
    X, y = make_data(50, 0)
    try:
        est.fit(X, y)
    except (ValueError, TypeError) as exc:  # InvalidParameterError is both
        return False, str(exc).splitlines()[0]
    return True, ""


def models(alternating, alt_auto):
    out = {
        GIANT: GiantStepRegressor(random_state=0),
        NOSTEP: GiantStepRegressor(step_size=0.0, random_state=0),
    }
    if alternating:
        out[ALT] = AlternatingOLSReLURegressor(random_state=0)
    if alt_auto:
        out[ALT_AUTO] = AlternatingOLSReLURegressor(batch_size="auto", random_state=0)
    return out


def table(results, sizes):
    lines = [
        "### Test R², fit time and peak memory against n",
        "",
        "*peak MB*: the fitting process's peak resident memory after the fit (before the "
        "fit: interpreter, libraries, training and test data).",
        "",
        "| model | n | test R² | fit time (s) | peak MB (before fit) | step_size_ | n_iter_ "
        "| ConvergenceWarnings |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for label, per_n in results.items():
        for n in sizes:
            r = per_n[n]
            if "error" in r:
                lines.append(f"| {label} | {n:,} | failed: {r['error']} | | | | | |")
                continue
            step = "" if r["step_size_"] is None else f"{r['step_size_']:.4g}"
            iters = "" if r["n_iter_"] is None else f"{r['n_iter_']}"
            lines.append(
                f"| {label} | {n:,} | {r['r2']:.4f} | {r['time']:.2f} "
                f"| {r['peak_mb']:.0f} ({r['before_mb']:.0f}) | {step} | {iters} "
                f"| {r['warnings']} |"
            )
    return "\n".join(lines)


def reading(results, sizes):
    out = ["### Reading (generated from the numbers above)", ""]
    for label, per_n in results.items():
        r2 = [per_n[n].get("r2", np.nan) for n in sizes]
        if np.any(np.isnan(r2)):
            failed = [f"{n:,}" for n, v in zip(sizes, r2, strict=True) if np.isnan(v)]
            out.append(f"- {label}: the fit failed at n = {', '.join(failed)}.")
            continue
        drops = [
            f"{a:,} → {b:,} ({rb - ra:+.4f})"
            for a, b, ra, rb in zip(sizes, sizes[1:], r2, r2[1:], strict=False)
            if rb < ra - MONOTONE_TOL
        ]
        curve = ", ".join(f"{v:.4f}" for v in r2)
        if drops:
            out.append(
                f"- {label}: test R² is NOT non-decreasing in n (tolerance {MONOTONE_TOL}): "
                f"{curve}; it falls at {'; '.join(drops)}."
            )
        else:
            out.append(
                f"- {label}: test R² is non-decreasing in n (tolerance {MONOTONE_TOL}): {curve}."
            )
    n = sizes[-1]
    a, b = results[GIANT][n], results[NOSTEP][n]
    if "error" in a or "error" in b:
        out.append(f"- At n = {n:,} a fit failed; the default and no-step cannot be compared.")
    else:
        verdict = "holds" if a["r2"] >= b["r2"] else "does NOT hold"
        out.append(
            f"- At the largest n = {n:,}, GiantStep (default) ≥ no-step {verdict}: "
            f"{a['r2']:.4f} vs {b['r2']:.4f} ({a['r2'] - b['r2']:+.4f}; the default chose "
            f"step_size_ = {a['step_size_']:.4g}, n_iter_ = {a['n_iter_']})."
        )
    return "\n".join(out)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="n = 2000, 10000 (smoke run)")
    parser.add_argument("--sizes", type=int, nargs="+", default=None, help="training rows")
    parser.add_argument(
        "--alternating", action="store_true", help="also AlternatingOLSReLURegressor()"
    )
    parser.add_argument("--threads", type=int, default=1, help="BLAS/OpenMP threads (1)")
    parser.add_argument("--out", default=DEFAULT_OUT, help=f"results file ({DEFAULT_OUT})")
    args = parser.parse_args(argv)
    argv = sys.argv[1:] if argv is None else list(argv)
    sizes = sorted(args.sizes or (QUICK_SIZES if args.quick else SIZES))

    tic = time.perf_counter()
    with pin_threads(args.threads):
        alt_auto, why = alternating_auto_available()
        header = [
            *results_header(
                "Test R², fit time and memory against the number of training rows",
                "benchmarks/bench_ncurve.py",
                argv,
                args.threads,
            ),
            f"- data: d = {D} standard normal features, y = sin(x0) + x1·x2 + 0.1·x3³ "
            f"+ {NOISE}·N(0, 1) noise (noise standard deviation {NOISE}); nested training "
            f"sets n = {', '.join(f'{n:,}' for n in sizes)}; one fixed test set of "
            f"{N_TEST:,} fresh rows",
            "- every fit: `make_pipeline(StandardScaler(), est)`, `random_state=0`, in a "
            "fresh spawned process",
            '- `AlternatingOLSReLURegressor(batch_size="auto")`: '
            + ("accepted, included" if alt_auto else f"not accepted ({why}), not run"),
            "- `AlternatingOLSReLURegressor()`: "
            + (
                "included (`--alternating`)" if args.alternating else "not run (no `--alternating`)"
            ),
        ]
        if args.quick:
            header.append("- **quick smoke run** (`--quick`): not the benchmark's numbers")
    print("\n".join(header) + "\n", flush=True)
    results = {}
    for n in sizes:
        for label, est in models(args.alternating, alt_auto).items():
            print(f"n = {n:,}: {label} ...", file=sys.stderr, flush=True)
            r = run_fit(est, n, args.threads)
            results.setdefault(label, {})[n] = r
            summary = (
                r.get("error") or f"R² {r['r2']:.4f}, {r['time']:.2f} s, {r['peak_mb']:.0f} MB"
            )
            print(f"  {summary} ({load_summary()})", file=sys.stderr, flush=True)
    body = [table(results, sizes), reading(results, sizes)]
    body.append(f"Total wall time {time.perf_counter() - tic:.0f} s; {load_summary()} at end.")
    print("\n\n".join(body), flush=True)
    with open(args.out, "w", encoding="utf-8") as fh:
        fh.write("\n\n".join(["\n".join(header), *body]) + "\n")
    print(f"wrote {args.out}", file=sys.stderr)
    return results


if __name__ == "__main__":
    sys.exit(main() and 0)
