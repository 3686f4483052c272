"""GiantStepRegressor and AlternatingOLSReLURegressor on dask arrays: fit time, time per
pass and peak memory against rows.

Run from the repository root::

    python benchmarks/bench_dask.py                        # n = 10^5, 10^6, 10^7
    python benchmarks/bench_dask.py --sizes 100000 1000000 # a subset
    python benchmarks/bench_dask.py --alternating-sizes 100000 1000000 10000000
    python benchmarks/bench_dask.py --quick                # n = 20000 (smoke run)

Writes ``benchmarks/RESULTS_dask.md`` (``--out``) and prints the same text.

Data: ``x ~ N(0, I_16)``, ``y = sin(x0) + x1 x2 + 0.1 x3^3 + 0.1 eps``, generated lazily
with ``dask.array.random`` in blocks of ``--chunk`` rows (never held whole: every pass
regenerates its blocks), once also written to a Zarr store on disk and read back from it
(``--zarr-size``, when zarr is installed). The test set is 100,000 fresh in-memory rows.

Models: ``GiantStepRegressor(n_hidden=128, random_state=0)`` (the other defaults: one giant
step with the step size selected on a sample of 2,000 rows, automatic ``alpha``), at
``--sizes``; ``AlternatingOLSReLURegressor(random_state=0)`` (width 32, up to 30
iterations, each hidden-layer solve on a fresh batch of 50,000 rows gathered to the
driver, the acceptance test and the readout on all rows), at ``--alternating-sizes``, on
blocks persisted in the workers' memory (an iterative fit reads the rows about 90 times:
regenerating or rereading them every pass would dominate).

Every fit runs in a fresh spawned process that starts an in-process
``distributed.LocalCluster(processes=False, n_workers=k, threads_per_worker=1)`` (BLAS
pinned to one thread per worker), fits, scores and reads its own ``ru_maxrss``: the peak
resident memory of the driver and its workers together (interpreter, dask and libraries
included), reported with the peak before the fit. Each pass is timed (the wall time of
its ``dask.compute``). Where the rows fit in memory (``--memory-max``), the in-memory fit
on the same rows (computed to numpy) runs in another process, for its time and the
largest difference between the two models' test predictions.
"""

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context

import numpy as np
from _common import load_summary, pin_threads, results_header

DEFAULT_OUT = "benchmarks/RESULTS_dask.md"
D, NOISE, N_TEST, WIDTH = 16, 0.1, 100_000, 128
SIZES, QUICK_SIZES = [100_000, 1_000_000, 10_000_000], [20_000]
ALTERNATING_SIZES = [100_000, 1_000_000]
CHUNK = 100_000
TRAIN_SEED, TEST_SEED = 0, 1
#: Targets of the issue: peak memory at 10^7 rows and time against linear scaling.
PEAK_TARGET_MB, SCALING_TARGET = 800, 1.5


def lazy_data(n, seed, chunk):
    """``(X, y)`` as lazy dask arrays (blocks of ``chunk`` rows)."""
    import dask.array as da

    rng = da.random.default_rng(seed)
    X = rng.standard_normal((n, D), chunks=(chunk, D))
    eps = rng.standard_normal(n, chunks=chunk)
    y = da.sin(X[:, 0]) + X[:, 1] * X[:, 2] + 0.1 * X[:, 3] ** 3 + NOISE * eps
    return X, y


def test_data():
    rng = np.random.default_rng(TEST_SEED)
    X = rng.standard_normal((N_TEST, D))
    y = (
        np.sin(X[:, 0])
        + X[:, 1] * X[:, 2]
        + 0.1 * X[:, 3] ** 3
        + NOISE * rng.standard_normal(N_TEST)
    )
    return X, y


def _peak_mb():
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: kB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20


def _model(kind):
    from skgiant import AlternatingOLSReLURegressor, GiantStepRegressor

    if kind == "alternating":
        return AlternatingOLSReLURegressor(random_state=0)
    return GiantStepRegressor(n_hidden=WIDTH, random_state=0)


def _fitted(model):
    """What the table compares: the loss curve of an iterative fit, the step size of a
    giant-step one."""
    if (
        hasattr(model, "loss_curve_")
        and hasattr(model, "history_")
        and not hasattr(model, "step_size_")
    ):
        return {"loss_curve": model.loss_curve_, "n_iter": model.n_iter_}
    return {"step_size_": float(model.step_size_)}


def dask_fit_in_child(n, workers, chunk, zarr_path=None, persist=False, kind="giant"):
    """Fresh process: start the cluster, fit on the lazy (or Zarr, or persisted) rows,
    time the passes."""
    import dask
    import dask.array as da
    import distributed

    import skgiant._dask as skdask

    pass_times = []
    run = skdask.DaskRowData._run

    def timed_run(self, *args, **kwargs):
        tic = time.perf_counter()
        try:
            return run(self, *args, **kwargs)
        finally:
            pass_times.append(time.perf_counter() - tic)

    skdask.DaskRowData._run = timed_run
    with pin_threads(1):
        cluster = distributed.LocalCluster(
            processes=False, n_workers=workers, threads_per_worker=1, dashboard_address=":0"
        )
        with cluster, distributed.Client(cluster) as client:
            if zarr_path:
                X, y = da.from_zarr(f"{zarr_path}/X"), da.from_zarr(f"{zarr_path}/y")
            else:
                X, y = lazy_data(n, TRAIN_SEED, chunk)
            if persist:  # generated once into the workers' memory, before the clock starts
                X, y = client.persist([X, y])
                distributed.wait([X, y])
            X_test, y_test = test_data()
            before = _peak_mb()
            model = _model(kind)
            with dask.config.set(scheduler=client):
                tic = time.perf_counter()
                model.fit(X, y)
                seconds = time.perf_counter() - tic
            peak = _peak_mb()
    prediction = model.predict(X_test)
    return {
        "time": seconds,
        "passes": len(pass_times),
        "pass_times": pass_times,
        "peak_mb": peak,
        "before_mb": before,
        "r2": float(model.score(X_test, y_test)),
        "prediction": prediction,
        **_fitted(model),
    }


def memory_fit_in_child(n, chunk, kind="giant"):
    """Fresh process: the same rows computed to numpy, the in-memory fit."""
    import dask

    with pin_threads(1):
        with dask.config.set(scheduler="threads", num_workers=1):
            X, y = dask.compute(*lazy_data(n, TRAIN_SEED, chunk))
        X_test, y_test = test_data()
        before = _peak_mb()
        model = _model(kind)
        tic = time.perf_counter()
        model.fit(X, y)
        seconds = time.perf_counter() - tic
        peak = _peak_mb()
    return {
        "time": seconds,
        "peak_mb": peak,
        "before_mb": before,
        "r2": float(model.score(X_test, y_test)),
        "prediction": model.predict(X_test),
        **_fitted(model),
    }


def write_zarr(n, chunk, path):
    """Fresh process: write the lazy rows to a Zarr store (X and y)."""
    import dask
    import dask.array as da

    with dask.config.set(scheduler="threads", num_workers=2):
        X, y = lazy_data(n, TRAIN_SEED, chunk)
        da.to_zarr(X, f"{path}/X", overwrite=True)
        da.to_zarr(y, f"{path}/y", overwrite=True)
    return sum(os.path.getsize(os.path.join(root, f)) for root, _, fs in os.walk(path) for f in fs)


def in_child(func, *args):
    """``func(*args)`` in a new spawned process; a crash gives ``{"error": ...}``."""
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        try:
            return pool.submit(func, *args).result()
        except BrokenProcessPool as exc:  # e.g. killed for memory
            return {"error": f"child process died ({exc})"}
        except Exception as exc:  # noqa: BLE001 -- report any failure
            return {"error": f"{type(exc).__name__}: {exc}"}


def zarr_available():
    try:
        import zarr  # noqa: F401
    except ImportError as exc:
        return False, str(exc)
    return True, ""


def table(rows):
    out = [
        "| rows | source | workers | fit (s) | passes | mean pass (s) | driver-only (s) "
        "| peak RSS (MB) | RSS before fit (MB) | test R² | in-memory fit (s) "
        "| max abs prediction difference |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in (r for r in rows if r.get("kind", "giant") == "giant"):
        d = r["dask"]
        if "error" in d:
            out.append(f"| {r['n']:,} | {r['source']} | {r['workers']} | {d['error']} |")
            continue
        m = r.get("memory")
        mem_time = f"{m['time']:.2f}" if m and "error" not in m else "–"
        diff = "–"
        if m and "error" not in m:
            diff = f"{np.abs(m['prediction'] - d['prediction']).max():.1e}"
        elif m:
            mem_time = m["error"]
        out.append(
            f"| {r['n']:,} | {r['source']} | {r['workers']} | {d['time']:.2f} | {d['passes']} "
            f"| {np.mean(d['pass_times']):.2f} | {d['time'] - sum(d['pass_times']):.2f} "
            f"| {d['peak_mb']:.0f} | {d['before_mb']:.0f} | {d['r2']:.4f} | {mem_time} | {diff} |"
        )
    return "\n".join(out)


def alternating_table(rows):
    """The alternating estimator: iterations, passes per iteration, the loss curve's
    agreement with the in-memory fit."""
    out = [
        "| rows | source | workers | fit (s) | iterations | passes | passes per iteration "
        "| mean pass (s) | driver-only (s) | peak RSS (MB) | RSS before fit (MB) | test R² "
        "| in-memory fit (s) | in-memory peak RSS (MB) | loss_curve_[:3] max rel. difference "
        "| max abs prediction difference |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in (r for r in rows if r.get("kind") == "alternating"):
        d, m = r["dask"], r.get("memory")
        if "error" in d:
            out.append(f"| {r['n']:,} | {r['source']} | {r['workers']} | {d['error']} |")
            continue
        mem_time = mem_peak = loss_diff = diff = "–"
        if m and "error" in m:
            mem_time = m["error"]
        elif m:
            mem_time, mem_peak = f"{m['time']:.2f}", f"{m['peak_mb']:.0f}"
            k = min(3, len(m["loss_curve"]), len(d["loss_curve"]))
            rel = np.abs(d["loss_curve"][:k] / m["loss_curve"][:k] - 1).max()
            loss_diff = f"{rel:.1e}"
            diff = f"{np.abs(m['prediction'] - d['prediction']).max():.1e}"
        # moments, then 2 at the initialization; the rest is spread over the iterations
        per_iteration = (d["passes"] - 3) / max(d["n_iter"], 1)
        out.append(
            f"| {r['n']:,} | {r['source']} | {r['workers']} | {d['time']:.2f} | {d['n_iter']} "
            f"| {d['passes']} | {per_iteration:.1f} | {np.mean(d['pass_times']):.2f} "
            f"| {d['time'] - sum(d['pass_times']):.2f} | {d['peak_mb']:.0f} "
            f"| {d['before_mb']:.0f} | {d['r2']:.4f} | {mem_time} | {mem_peak} | {loss_diff} "
            f"| {diff} |"
        )
    return "\n".join(out)


def reading(rows):
    """Targets: the largest n's peak memory, and time against linear scaling."""
    rows = [r for r in rows if r.get("kind", "giant") == "giant"]
    lazy = {(r["n"], r["workers"]): r["dask"] for r in rows if r["source"] == "random"}
    lazy = {k: v for k, v in lazy.items() if "error" not in v}
    out = ["## Reading", ""]
    for workers in sorted({w for _, w in lazy}):
        sizes = sorted(n for n, w in lazy if w == workers)
        if len(sizes) < 2:
            continue
        small, large = sizes[-2], sizes[-1]
        a, b = lazy[(small, workers)], lazy[(large, workers)]
        ratio = b["time"] / (a["time"] * large / small)
        out.append(
            f"- {workers} worker(s): {large:,} rows took {b['time']:.1f} s, "
            f"{ratio:.2f}× linear scaling from {small:,} rows ({a['time']:.1f} s; target "
            f"≤ {SCALING_TARGET}×: {'met' if ratio <= SCALING_TARGET else 'missed'}); "
            f"peak RSS {b['peak_mb']:.0f} MB (target < {PEAK_TARGET_MB} MB at 10^7 rows: "
            f"{'met' if b['peak_mb'] < PEAK_TARGET_MB else 'missed'})."
        )
    by_source = {(r["n"], r["source"], r["workers"]): r["dask"] for r in rows}
    for (n, source, workers), r in sorted(by_source.items()):
        base = by_source.get((n, "random", workers))
        if source == "random" or base is None or "error" in r or "error" in base:
            continue
        how = "read from Zarr" if source == "zarr" else "persisted in memory"
        out.append(
            f"- {n:,} rows, {workers} worker(s): blocks {how} take "
            f"{np.mean(r['pass_times']):.2f} s a pass against "
            f"{np.mean(base['pass_times']):.2f} s generated by dask.array.random in every pass."
        )
    if len(lazy) >= 2:
        workers = sorted({w for _, w in lazy})
        n = max(n for n, w in lazy if all((n, k) in lazy for k in workers))
        if len(workers) > 1:
            t = [lazy[(n, w)]["time"] for w in workers]
            out.append(
                f"- {n:,} rows: {workers[-1]} workers fit in {t[-1]:.1f} s against "
                f"{t[0]:.1f} s with {workers[0]} ({t[0] / t[-1]:.2f}× faster)."
            )
    return "\n".join(out)


NOTES = """## Notes

- The in-process workers share the 2 cores of this machine with other processes (see the
  load averages): a second worker only helps when a core is free, and timings of the same
  fit vary by up to 2x between runs.
- "driver-only" is the fit time outside the passes: validation, the step-size selection
  on the 2,000-row sample, the readout's leave-one-out choice of the penalty, and the
  index draws over all n rows on the driver (the weights vector, the batch permutation).
- The peak RSS counts the whole process: interpreter, numpy, scikit-learn, dask and
  distributed (the "before fit" column), the workers' blocks in flight and the driver's
  n-sized index vectors. For the alternating estimator the persisted blocks are in the
  "before fit" column (136 bytes a row); its in-memory fit holds the computed arrays.
- The alternating estimator's passes: 1 for the moments, 2 at the initialization, and
  per accepted iteration 1 to gather the batch of the hidden-layer solve, 1 per step
  length tried (with the readout statistics of the tried first layer) and 1 to
  evaluate the network after the readout; a revival of dead units adds 2. Its
  hidden-layer solve runs on the driver, on the gathered batch; "driver-only" is mostly
  that solve."""


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="n = 20000 (smoke run)")
    parser.add_argument("--sizes", type=int, nargs="+", default=None, help="training rows")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="in-process workers")
    parser.add_argument("--chunk", type=int, default=CHUNK, help=f"rows per block ({CHUNK})")
    parser.add_argument(
        "--memory-max", type=int, default=1_000_000, help="largest n also fitted in memory"
    )
    parser.add_argument(
        "--zarr-size", type=int, default=1_000_000, help="rows read from a Zarr store (0: none)"
    )
    parser.add_argument(
        "--persist-size",
        type=int,
        default=1_000_000,
        help="rows also fitted from blocks persisted in the workers (0: none)",
    )
    parser.add_argument(
        "--alternating-sizes",
        type=int,
        nargs="*",
        default=None,
        help="rows of the alternating estimator's fits (default 10^5 and 10^6; none: skip)",
    )
    parser.add_argument("--out", default=DEFAULT_OUT, help=f"results file ({DEFAULT_OUT})")
    args = parser.parse_args(argv)
    argv = sys.argv[1:] if argv is None else list(argv)
    sizes = sorted(args.sizes or (QUICK_SIZES if args.quick else SIZES))
    alt_sizes = args.alternating_sizes
    if alt_sizes is None:
        alt_sizes = QUICK_SIZES if args.quick else ALTERNATING_SIZES
    alt_sizes = sorted(alt_sizes)
    chunk = min(args.chunk, max(sizes)) if args.quick else args.chunk
    has_zarr, why = zarr_available()
    zarr_n = args.zarr_size if has_zarr and not args.quick else 0

    import dask
    import distributed

    tic = time.perf_counter()
    header = [
        *results_header(
            "GiantStepRegressor and AlternatingOLSReLURegressor on dask arrays: time, "
            "passes and memory against rows",
            "benchmarks/bench_dask.py",
            argv,
            1,
        ),
        f"- dask {dask.__version__}, distributed {distributed.__version__}; in-process "
        "LocalCluster, one thread per worker, in a fresh spawned process per fit",
        f"- data: d = {D} standard normal features, y = sin(x0) + x1·x2 + 0.1·x3³ + "
        f"{NOISE}·N(0, 1), generated lazily by dask.array.random in blocks of "
        f"{chunk:,} rows; test set {N_TEST:,} fresh rows",
        f"- models: `GiantStepRegressor(n_hidden={WIDTH}, random_state=0)`; "
        "`AlternatingOLSReLURegressor(random_state=0)` (width 32) on persisted blocks at "
        + (", ".join(f"{n:,}" for n in alt_sizes) or "no")
        + " rows",
        "- Zarr: "
        + (
            f"{zarr_n:,} rows written to a local store, then fitted from it"
            if zarr_n
            else ("not run" if has_zarr else f"zarr not installed ({why})")
        ),
    ]
    if args.quick:
        header.append("- **quick smoke run** (`--quick`): not the benchmark's numbers")
    print("\n".join(header) + "\n", flush=True)
    rows = []
    for n in sizes:
        memory = in_child(memory_fit_in_child, n, chunk) if n <= args.memory_max else None
        for workers in args.workers:
            print(f"n = {n:,}, {workers} worker(s) ...", file=sys.stderr, flush=True)
            result = in_child(dask_fit_in_child, n, workers, chunk)
            rows.append(dict(n=n, source="random", workers=workers, dask=result, memory=memory))
            print(f"  {_summary(result)} ({load_summary()})", file=sys.stderr, flush=True)
    if args.persist_size and not args.quick:
        n = args.persist_size
        memory = next((r["memory"] for r in rows if r["n"] == n), None)
        for workers in args.workers:
            result = in_child(dask_fit_in_child, n, workers, chunk, None, True)
            rows.append(dict(n=n, source="persisted", workers=workers, dask=result, memory=memory))
            print(f"  persisted: {_summary(result)}", file=sys.stderr, flush=True)
    if zarr_n:
        path = tempfile.mkdtemp(prefix="bench_dask_zarr_")
        try:
            size = in_child(write_zarr, zarr_n, chunk, path)
            header[-1] += f" ({size / 2**20:.0f} MB on disk)" if isinstance(size, int) else ""
            memory = next((r["memory"] for r in rows if r["n"] == zarr_n), None)
            for workers in args.workers:
                result = in_child(dask_fit_in_child, zarr_n, workers, chunk, path)
                rows.append(
                    dict(n=zarr_n, source="zarr", workers=workers, dask=result, memory=memory)
                )
                print(f"  zarr: {_summary(result)}", file=sys.stderr, flush=True)
        finally:
            shutil.rmtree(path, ignore_errors=True)
    for n in alt_sizes:
        memory = (
            in_child(memory_fit_in_child, n, chunk, "alternating") if n <= args.memory_max else None
        )
        for workers in args.workers:
            print(f"alternating, n = {n:,}, {workers} worker(s) ...", file=sys.stderr, flush=True)
            result = in_child(dask_fit_in_child, n, workers, chunk, None, True, "alternating")
            rows.append(
                dict(
                    n=n, source="persisted", workers=workers, dask=result, memory=memory,
                    kind="alternating",
                )
            )  # fmt: skip
            print(f"  {_summary(result)} ({load_summary()})", file=sys.stderr, flush=True)
    body = [
        table(rows),
        reading(rows),
        "## AlternatingOLSReLURegressor\n\n" + alternating_table(rows),
        NOTES,
    ]
    body.append(f"Total wall time {time.perf_counter() - tic:.0f} s; {load_summary()} at end.")
    print("\n\n".join(body), flush=True)
    with open(args.out, "w", encoding="utf-8") as fh:
        fh.write("\n\n".join(["\n".join(header), *body]) + "\n")
    print(f"wrote {args.out}", file=sys.stderr)
    return rows


def _summary(r):
    if "error" in r:
        return r["error"]
    return f"{r['time']:.2f} s, {r['passes']} passes, {r['peak_mb']:.0f} MB, R² {r['r2']:.4f}"


if __name__ == "__main__":
    sys.exit(main() and 0)
