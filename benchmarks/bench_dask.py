"""GiantStepRegressor and AlternatingOLSReLURegressor on dask arrays: fit time, time per
pass and peak memory against rows.

Run from the repository root::

    python benchmarks/bench_dask.py                        # n = 10^5, 10^6, 10^7
    python benchmarks/bench_dask.py --sizes 100000 1000000 # a subset
    python benchmarks/bench_dask.py --alternating-sizes 100000 1000000 10000000
    python benchmarks/bench_dask.py --quick                # n = 20000 (smoke run)
    python benchmarks/bench_dask.py --only classifiers     # the classifier part only
    python benchmarks/bench_dask.py --only classifiers --classifier-sizes 100000 1000000 10000000

Writes ``benchmarks/RESULTS_dask.md`` (``--out``) and prints the same text; the
classifier part writes ``benchmarks/RESULTS_dask_classifiers.md`` (``--classifier-out``).
``--only regressors`` or ``--only classifiers`` runs one part (default: both).

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

Classifier part: 3 classes made in the blocks by thresholding the same ``y`` at its
terciles (fixed cut points estimated once on 2,000,000 in-memory rows, so the labels do
not depend on the chunking); ``GiantStepClassifier(n_hidden=128, random_state=0)`` at
``--classifier-sizes`` (10^5 and 10^6; larger sizes with one worker, only if the 10^6 fit
took under ``--large-budget`` seconds), measured as above plus the test accuracy and log
loss (sklearn.metrics on the test predictions computed from the lazy dask
``predict_proba`` and ``predict``) and the largest difference from the in-memory fit's
probabilities; in memory on the same rows, in processes of their own,
``HistGradientBoostingClassifier(random_state=0)`` and
``SGDClassifier(loss="log_loss", random_state=0)`` as baselines; and
``AlternatingOLSReLUClassifier(random_state=0)`` on persisted blocks at
``--alternating-classifier-sizes`` (10^5, one worker; its row is kept when the fit takes
under 2 minutes).
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
from contextlib import contextmanager
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


def timed_passes(labels=False):
    """Time every pass of the fits on dask blocks in this process: each
    ``DaskRowData._run`` (one ``dask.compute``) and, with ``labels``, the classifiers' pass
    over the labels (``find_dask_labels``, one ``dask.compute``). Returns the list the
    wall times are appended to."""
    import skgiant._dask as skdask

    pass_times = []

    def timed(func):
        def wrapper(*args, **kwargs):
            tic = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                pass_times.append(time.perf_counter() - tic)

        return wrapper

    skdask.DaskRowData._run = timed(skdask.DaskRowData._run)
    if labels:
        skdask.find_dask_labels = timed(skdask.find_dask_labels)
    return pass_times


@contextmanager
def _client(workers):
    """An in-process ``LocalCluster`` of ``workers`` one-thread workers and its client."""
    import distributed

    cluster = distributed.LocalCluster(
        processes=False, n_workers=workers, threads_per_worker=1, dashboard_address=":0"
    )
    with cluster, distributed.Client(cluster) as client:
        yield client


def _persisted(client, X, y, persist):
    """``(X, y)``, generated once into the workers' memory first if ``persist`` (before
    the clock starts)."""
    if not persist:
        return X, y
    import distributed

    X, y = client.persist([X, y])
    distributed.wait([X, y])
    return X, y


def _timed_fit(model, X, y):
    """Seconds ``model.fit(X, y)`` takes."""
    tic = time.perf_counter()
    model.fit(X, y)
    return time.perf_counter() - tic


def dask_fit_in_child(n, workers, chunk, zarr_path=None, persist=False, kind="giant"):
    """Fresh process: start the cluster, fit on the lazy (or Zarr, or persisted) rows,
    time the passes."""
    import dask
    import dask.array as da

    pass_times = timed_passes()
    with pin_threads(1), _client(workers) as client:
        if zarr_path:
            X, y = da.from_zarr(f"{zarr_path}/X"), da.from_zarr(f"{zarr_path}/y")
        else:
            X, y = lazy_data(n, TRAIN_SEED, chunk)
        X, y = _persisted(client, X, y, persist)
        X_test, y_test = test_data()
        before = _peak_mb()
        model = _model(kind)
        with dask.config.set(scheduler=client):
            seconds = _timed_fit(model, X, y)
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
  on the 2,000-row sample and the readout's leave-one-out choice of the penalty. A
  GiantStep fit holds no vector of all n rows on the driver (the weights stay in the
  blocks; samples are drawn by rank).
- The peak RSS counts the whole process: interpreter, numpy, scikit-learn, dask and
  distributed (the "before fit" column), the workers' blocks in flight and the partial
  results not yet combined. For the alternating estimator the persisted blocks are in the
  "before fit" column (136 bytes a row); its in-memory fit holds the computed arrays.
- The alternating estimator's passes: 1 for the moments, 2 at the initialization, and
  per accepted iteration 1 to gather the batch of the hidden-layer solve, 1 per step
  length tried (with the readout statistics of the tried first layer) and 1 to
  evaluate the network after the readout; a revival of dead units adds 2. Its
  hidden-layer solve runs on the driver, on the gathered batch; "driver-only" is mostly
  that solve."""


# ----------------------------------------------------------------------------------------
# Classifiers: GiantStepClassifier (and one AlternatingOLSReLUClassifier row) on dask
# ----------------------------------------------------------------------------------------

CLASSIFIER_OUT = "benchmarks/RESULTS_dask_classifiers.md"
CLASSIFIER_SIZES = [100_000, 1_000_000]
ALTERNATING_CLASSIFIER_SIZES = [100_000]
#: The class thresholds are the terciles of y = f(x) + noise, estimated on this many
#: in-memory rows drawn with this seed (independent of the training and test rows).
THRESHOLD_ROWS, THRESHOLD_SEED = 2_000_000, 2
#: Largest tolerated difference between the dask and in-memory fits' probabilities.
PROBA_TOLERANCE = 1e-4
#: Sizes beyond ``--memory-max`` run (with one worker) only if the largest in-memory
#: size fitted on dask in less than this many seconds.
LARGE_BUDGET = 30.0
#: The alternating classifier's row is kept only if its dask fit took less than this.
ALTERNATING_BUDGET = 120.0
BASELINES = ("hgb", "sgd")
MODEL_NAMES = {
    "giant": f"GiantStepClassifier(n_hidden={WIDTH})",
    "alternating": "AlternatingOLSReLUClassifier",
    "hgb": "HistGradientBoostingClassifier",
    "sgd": 'SGDClassifier(loss="log_loss")',
}


def class_thresholds():
    """The terciles of ``y = f(x) + noise`` as fixed cut points ``(-c, c)``.

    ``y`` is symmetric about 0 (a sum of independent terms, each symmetric), so its
    terciles are ``-c`` and ``c`` with ``c`` the 1/3 quantile of ``|y|``, estimated on
    ``THRESHOLD_ROWS`` in-memory rows: the labels do not depend on the chunking.
    """
    rng = np.random.default_rng(THRESHOLD_SEED)
    x = rng.standard_normal((THRESHOLD_ROWS, 4))  # f reads the first 4 features
    y = (
        np.sin(x[:, 0])
        + x[:, 1] * x[:, 2]
        + 0.1 * x[:, 3] ** 3
        + NOISE * rng.standard_normal(THRESHOLD_ROWS)
    )
    c = float(np.quantile(np.abs(y), 1 / 3))
    return (-c, c)


def to_classes(y, thresholds):
    """The class of each row: how many thresholds ``y`` exceeds (numpy, or dask block by
    block)."""
    return sum((y > t).astype(np.int64) for t in thresholds)


def lazy_class_data(n, seed, chunk, thresholds):
    """``(X, labels)`` as lazy dask arrays: the regression rows, labels made in the
    blocks."""
    X, y = lazy_data(n, seed, chunk)
    return X, to_classes(y, thresholds)


def class_test_data(thresholds):
    X, y = test_data()
    return X, to_classes(y, thresholds)


def _classifier(kind):
    if kind == "hgb":
        from sklearn.ensemble import HistGradientBoostingClassifier

        return HistGradientBoostingClassifier(random_state=0)
    if kind == "sgd":
        from sklearn.linear_model import SGDClassifier

        return SGDClassifier(loss="log_loss", random_state=0)
    from skgiant import AlternatingOLSReLUClassifier, GiantStepClassifier

    if kind == "alternating":
        return AlternatingOLSReLUClassifier(random_state=0)
    return GiantStepClassifier(n_hidden=WIDTH, random_state=0)


def _class_scores(y_test, proba, labels, classes):
    """Test accuracy and log loss (sklearn.metrics) of computed predictions."""
    from sklearn.metrics import accuracy_score, log_loss

    return {
        "accuracy": float(accuracy_score(y_test, labels)),
        "log_loss": float(log_loss(y_test, proba, labels=classes)),
    }


def _class_fitted(model):
    """The iterations and loss curve of an iterative fit (the alternating classifier)."""
    if not hasattr(model, "loss_curve_"):
        return {}
    return {"n_iter": int(model.n_iter_), "loss_curve": np.asarray(model.loss_curve_)}


def dask_classifier_fit_in_child(n, workers, chunk, thresholds, persist=False, kind="giant"):
    """Fresh process: start the cluster, fit the classifier on the lazy (or persisted)
    rows and labels, time the passes; then predict the test rows as a dask array (lazy
    ``predict_proba`` and ``predict``, computed in the cluster) and score them in the
    blocks."""
    import warnings

    import dask
    import dask.array as da

    # the test rows go into the prediction graph (da.from_array): 12.8 MB, on purpose
    warnings.filterwarnings("ignore", message="Sending large graph")
    pass_times = timed_passes(labels=True)
    with pin_threads(1), _client(workers) as client:
        X, y = _persisted(client, *lazy_class_data(n, TRAIN_SEED, chunk, thresholds), persist)
        X_test, y_test = class_test_data(thresholds)
        before = _peak_mb()
        model = _classifier(kind)
        with dask.config.set(scheduler=client):
            seconds = _timed_fit(model, X, y)
            peak = _peak_mb()
            fit_passes = list(pass_times)
            X_lazy = da.from_array(X_test, chunks=(min(chunk, N_TEST), D))
            y_lazy = da.from_array(y_test, chunks=min(chunk, N_TEST))
            tic = time.perf_counter()
            proba_lazy, labels_lazy = model.predict_proba(X_lazy), model.predict(X_lazy)
            lazy = all(isinstance(a, da.Array) for a in (proba_lazy, labels_lazy))
            proba, labels = dask.compute(proba_lazy, labels_lazy)
            predict_seconds = time.perf_counter() - tic
            block_accuracy = float(model.score(X_lazy, y_lazy))
    in_memory_proba = model.predict_proba(X_test)
    return {
        "time": seconds,
        "passes": len(fit_passes),
        "pass_times": fit_passes,
        "peak_mb": peak,
        "before_mb": before,
        **_class_scores(y_test, proba, labels, model.classes_),
        "proba": proba,
        "lazy": lazy,
        "predict_time": predict_seconds,
        "predict_diff": float(np.abs(proba - in_memory_proba).max()),
        "labels_equal": bool(np.array_equal(labels, model.predict(X_test))),
        "block_accuracy": block_accuracy,
        **_class_fitted(model),
    }


def memory_classifier_fit_in_child(n, chunk, thresholds, kind="giant"):
    """Fresh process: the same rows and labels computed to numpy, the in-memory fit of
    ``kind`` (ours or a scikit-learn baseline)."""
    import dask

    with pin_threads(1):
        with dask.config.set(scheduler="threads", num_workers=1):
            X, y = dask.compute(*lazy_class_data(n, TRAIN_SEED, chunk, thresholds))
        X_test, y_test = class_test_data(thresholds)
        before = _peak_mb()
        model = _classifier(kind)
        tic = time.perf_counter()
        model.fit(X, y)
        seconds = time.perf_counter() - tic
        peak = _peak_mb()
        proba = model.predict_proba(X_test)
        labels = model.predict(X_test)
    return {
        "time": seconds,
        "peak_mb": peak,
        "before_mb": before,
        **_class_scores(y_test, proba, labels, model.classes_),
        "proba": proba,
        **_class_fitted(model),
    }


def _proba_diff(r):
    """Largest |dask − in-memory| test probability of a row, or None."""
    d, m = r["dask"], r.get("memory")
    if m is None or "error" in m or "error" in d:
        return None
    return float(np.abs(d["proba"] - m["proba"]).max())


def classifier_table(rows):
    out = [
        "| rows | model | source | workers | fit (s) | passes | mean pass (s) | driver-only (s) "
        "| peak RSS (MB) | RSS before fit (MB) | test accuracy | test log loss "
        "| in-memory fit (s) | max abs predict_proba difference |",
        "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        d, m = r["dask"], r.get("memory")
        head = f"| {r['n']:,} | {MODEL_NAMES[r['kind']]} | {r['source']} | {r['workers']} "
        if "error" in d:
            out.append(f"{head}| {d['error']} |")
            continue
        mem_time = "–" if m is None else m.get("error") or f"{m['time']:.2f}"
        diff = _proba_diff(r)
        out.append(
            f"{head}| {d['time']:.2f} | {d['passes']} | {np.mean(d['pass_times']):.2f} "
            f"| {d['time'] - sum(d['pass_times']):.2f} | {d['peak_mb']:.0f} "
            f"| {d['before_mb']:.0f} | {d['accuracy']:.4f} | {d['log_loss']:.4f} | {mem_time} "
            f"| {'–' if diff is None else f'{diff:.1e}'} |"
        )
    return "\n".join(out)


def _giant_dask(rows, n, workers):
    return next(
        (
            r["dask"]
            for r in rows
            if r["n"] == n
            and r["kind"] == "giant"
            and r["workers"] == workers
            and r["source"] == "random"
            and "error" not in r["dask"]
        ),
        None,
    )


def baseline_table(rows, memory, workers):
    """The in-memory fits on the same rows (one thread), against the GiantStepClassifier
    fit on dask."""
    cols = " | ".join(f"dask fit ({w} worker{'s' * (w > 1)}) ÷ this" for w in workers)
    out = [
        f"| rows | model, in memory | fit (s) | peak RSS (MB) | test accuracy | test log loss "
        f"| {cols} | accuracy: dask GiantStep − this | log loss: dask GiantStep ÷ this |",
        "|---:|---|---:|---:|---:|---:|" + "---:|" * len(workers) + "---:|---:|",
    ]
    for (n, kind), m in sorted(memory.items(), key=lambda kv: (kv[0][0], kv[0][1] != "giant")):
        if kind == "alternating":
            continue
        head = f"| {n:,} | {MODEL_NAMES[kind]} "
        if "error" in m:
            out.append(f"{head}| {m['error']} |")
            continue
        ratios = []
        for w in workers:
            d = _giant_dask(rows, n, w)
            ratios.append("–" if d is None else f"{d['time'] / m['time']:.2f}")
        d = _giant_dask(rows, n, workers[0])
        acc = "–" if d is None else f"{d['accuracy'] - m['accuracy']:+.4f}"
        loss = "–" if d is None else f"{d['log_loss'] / m['log_loss']:.3f}"
        out.append(
            f"{head}| {m['time']:.2f} | {m['peak_mb']:.0f} | {m['accuracy']:.4f} "
            f"| {m['log_loss']:.4f} | {' | '.join(ratios)} | {acc} | {loss} |"
        )
    return "\n".join(out)


def classifier_reading(rows, memory, workers, notes):
    """What the numbers say: agreement with the in-memory fit, the prediction path,
    scaling, and the baselines (where they win)."""
    out = ["## Reading", ""]
    ok = [r for r in rows if "error" not in r["dask"]]
    failed = [r for r in rows if "error" in r["dask"]]
    for r in failed:
        out.append(
            f"- **failed**: {MODEL_NAMES[r['kind']]} on {r['n']:,} rows, {r['workers']} "
            f"worker(s): {r['dask']['error']}"
        )
    for kind in ("giant", "alternating"):
        diffs = [(r, _proba_diff(r)) for r in ok if r["kind"] == kind]
        diffs = [(r, x) for r, x in diffs if x is not None]
        if not diffs:
            continue
        worst_row, worst = max(diffs, key=lambda rx: rx[1])
        same_acc = all(r["dask"]["accuracy"] == r["memory"]["accuracy"] for r, _ in diffs)
        verdict = "within" if worst <= PROBA_TOLERANCE else "**beyond**"
        d, m = worst_row["dask"], worst_row["memory"]
        accuracy = (
            "identical in every row"
            if same_acc
            else f"**differs** ({d['accuracy']:.4f} on dask, {m['accuracy']:.4f} in memory)"
        )
        extra = ""
        if kind == "alternating":
            k = min(len(d["loss_curve"]), len(m["loss_curve"]))
            rel = np.abs(d["loss_curve"][:k] / m["loss_curve"][:k] - 1)
            extra = (
                f"; {d['n_iter']} and {m['n_iter']} iterations, the training loss curves "
                f"differ by {rel[:3].max():.1e} (relative) over the first 3 entries and by "
                f"{rel.max():.1e} at most (the iteration amplifies rounding)"
            )
        out.append(
            f"- {MODEL_NAMES[kind]}, dask against in-memory fit of the same rows: largest "
            f"test probability difference {worst:.1e} ({worst_row['n']:,} rows, "
            f"{worst_row['workers']} worker(s); {verdict} the tolerance "
            f"{PROBA_TOLERANCE:.0e}; mean {np.abs(d['proba'] - m['proba']).mean():.1e}); "
            f"test accuracy {accuracy}{extra}."
        )
    if ok:
        pred = max(r["dask"]["predict_diff"] for r in ok)
        lazy = all(r["dask"]["lazy"] for r in ok)
        labels = all(r["dask"]["labels_equal"] for r in ok)
        score = max(abs(r["dask"]["block_accuracy"] - r["dask"]["accuracy"]) for r in ok)
        out.append(
            f"- Prediction on dask: predict_proba and predict of the {N_TEST:,} test rows "
            f"as a dask array {'were' if lazy else '**were not**'} lazy dask arrays; "
            f"computed, they differ from the in-memory predict_proba of the same model "
            f"by at most {pred:.1e}, the labels "
            f"{'are identical' if labels else '**differ**'}, and score() in the blocks "
            f"differs from sklearn's accuracy by at most {score:.1e}."
        )
    for w in workers:
        sizes = sorted(
            r["n"]
            for r in ok
            if r["kind"] == "giant" and r["workers"] == w and r["source"] == "random"
        )
        if len(sizes) < 2:
            continue
        small, large = sizes[-2], sizes[-1]
        a, b = _giant_dask(rows, small, w), _giant_dask(rows, large, w)
        ratio = b["time"] / (a["time"] * large / small)
        out.append(
            f"- {w} worker(s): {large:,} rows took {b['time']:.1f} s against "
            f"{a['time']:.1f} s for {small:,} ({ratio:.2f}× linear scaling), "
            f"{b['passes']} passes of {np.mean(b['pass_times']):.2f} s on average; peak RSS "
            f"{b['peak_mb']:.0f} MB against {a['peak_mb']:.0f} MB."
        )
    if len(workers) > 1:
        both = [
            n for n in sorted({r["n"] for r in ok}) if all(_giant_dask(rows, n, w) for w in workers)
        ]
        if both:
            n = both[-1]
            t = [_giant_dask(rows, n, w)["time"] for w in workers]
            out.append(
                f"- {n:,} rows: {workers[-1]} workers fit in {t[-1]:.1f} s against "
                f"{t[0]:.1f} s with {workers[0]} ("
                + (
                    f"{t[0] / t[-1]:.2f}× faster)."
                    if t[0] >= t[-1]
                    else f"{t[-1] / t[0]:.2f}× slower: the cores are shared)."
                )
            )
    for n in sorted({n for n, _ in memory}):
        d = _giant_dask(rows, n, workers[0])
        if d is None:
            continue
        parts = []
        for kind in BASELINES:
            m = memory.get((n, kind))
            if m is None or "error" in m:
                continue
            acc = d["accuracy"] - m["accuracy"]
            loss = d["log_loss"] / m["log_loss"]
            speed = d["time"] / m["time"]
            parts.append(
                f"{MODEL_NAMES[kind]} in memory has "
                + (
                    f"the higher accuracy by {-acc:.4f}"
                    if acc < 0
                    else f"the lower accuracy by {acc:.4f}"
                    if acc > 0
                    else "the same accuracy"
                )
                + f" and the {'lower' if loss > 1 else 'higher'} log loss "
                f"({m['log_loss']:.4f} against {d['log_loss']:.4f}), and fits "
                + (f"{speed:.1f}× faster" if speed > 1 else f"{1 / speed:.1f}× slower")
                + f" ({m['time']:.1f} s against {d['time']:.1f} s)"
            )
        if parts:
            out.append(
                f"- {n:,} rows, against the dask GiantStepClassifier fit with {workers[0]} "
                "worker(s): " + "; ".join(parts) + "."
            )
    by_n = {}
    for r in ok:
        if r["kind"] == "giant" and r["source"] == "random":
            by_n.setdefault(r["n"], r["dask"])
    if len(by_n) > 1:
        out.append(
            f"- {MODEL_NAMES['giant']} on dask, test accuracy and log loss by rows: "
            + "; ".join(
                f"{n:,}: {d['accuracy']:.4f}, {d['log_loss']:.4f}" for n, d in sorted(by_n.items())
            )
            + "."
        )
    for r in (r for r in ok if r["kind"] == "alternating"):
        d, n = r["dask"], r["n"]
        others = [(MODEL_NAMES["giant"] + " on dask", _giant_dask(rows, n, r["workers"]))]
        others += [(MODEL_NAMES[k] + " in memory", memory.get((n, k))) for k in BASELINES]
        others = [(name, o) for name, o in others if o is not None and "error" not in o]
        out.append(
            f"- {MODEL_NAMES['alternating']} on {n:,} persisted rows ({r['workers']} worker, "
            f"{d['passes']} passes): fit {d['time']:.1f} s (under the "
            f"{ALTERNATING_BUDGET:.0f} s budget, so the row is kept), test accuracy "
            f"{d['accuracy']:.4f} and log loss {d['log_loss']:.4f}; "
            + "; ".join(
                f"{name}: {o['accuracy']:.4f} and {o['log_loss']:.4f} in {o['time']:.1f} s"
                for name, o in others
            )
            + "."
        )
    out.extend(f"- {note}" for note in notes)
    return "\n".join(out)


CLASSIFIER_NOTES = """## Notes

- Passes are the fit's ``dask.compute`` calls, each timed: the pass over the labels that
  finds the classes and their counts, then those of ``GiantStepRegressor`` on the one-hot
  targets (moments, the giant step, the readout statistics), made lazily in the blocks.
  "driver-only" is the fit time outside them (validation, the step-size selection on a
  gathered sample, the calibrated readout's choice of the penalty, temperature and
  offsets on its leave-one-out scores).
- The in-process workers share the 2 cores of this machine with other processes (see the
  load averages): timings of the same fit vary by up to 2x between runs.
- The in-memory fits (ours and the baselines) run in their own spawned process with one
  thread, on the rows computed to numpy; their peak RSS includes those rows (136 bytes a
  row with the labels). The baselines are scikit-learn's defaults:
  HistGradientBoostingClassifier stops early on a 10% validation split beyond 10,000
  rows; SGDClassifier sees the inputs as they are (already standard normal).
- The accuracy and log loss are sklearn.metrics on the test predictions computed from
  the lazy dask ``predict_proba`` and ``predict`` (in the cluster).
- AlternatingOLSReLUClassifier holds out rows for early stopping from 1,000 rows on; its
  training and held-out subsets are gathered to the driver while they take at most
  256 MB (``skgiant._dask.GATHER_BYTES``), so on 10^5 rows the iteration runs on the
  driver after a few passes ("driver-only"), as its in-memory fit does."""


def run_classifiers(args, argv, chunk):
    """The classifier part: fits, baselines, and ``args.classifier_out``."""
    import dask
    import distributed

    tic = time.perf_counter()
    sizes = sorted(args.classifier_sizes or (QUICK_SIZES if args.quick else CLASSIFIER_SIZES))
    alt_sizes = args.alternating_classifier_sizes
    if alt_sizes is None:
        alt_sizes = QUICK_SIZES if args.quick else ALTERNATING_CLASSIFIER_SIZES
    # in a child: the children's ru_maxrss starts from this process's peak (spawn execs
    # from a vfork of it), so this process stays small
    thresholds = in_child(class_thresholds)
    if isinstance(thresholds, dict):
        raise RuntimeError(f"class thresholds: {thresholds['error']}")
    header = [
        *results_header(
            "GiantStepClassifier on dask arrays: time, passes, memory and accuracy against "
            "rows, and scikit-learn baselines in memory",
            "benchmarks/bench_dask.py",
            argv,
            1,
        ),
        f"- dask {dask.__version__}, distributed {distributed.__version__}; in-process "
        "LocalCluster, one thread per worker, in a fresh spawned process per fit",
        f"- {_skgiant_source()}",
        f"- data: d = {D} standard normal features, y = sin(x0) + x1·x2 + 0.1·x3³ + "
        f"{NOISE}·N(0, 1), generated lazily by dask.array.random in blocks of {chunk:,} "
        f"rows; 3 classes made in the blocks by the thresholds {thresholds[0]:.4f} and "
        f"{thresholds[1]:.4f} on y (its terciles, from {THRESHOLD_ROWS:,} in-memory rows "
        f"of seed {THRESHOLD_SEED}); test set {N_TEST:,} fresh in-memory rows",
        f"- models: `GiantStepClassifier(n_hidden={WIDTH}, random_state=0)` on the lazy "
        "blocks; in memory on the same rows (up to "
        f"{args.memory_max:,}): the same, `HistGradientBoostingClassifier(random_state=0)` "
        'and `SGDClassifier(loss="log_loss", random_state=0)`; '
        "`AlternatingOLSReLUClassifier(random_state=0)` on persisted blocks at "
        + (", ".join(f"{n:,}" for n in alt_sizes) or "no")
        + " rows (1 worker)",
    ]
    if args.quick:
        header.append("- **quick smoke run** (`--quick`): not the benchmark's numbers")
    print("\n".join(header) + "\n", flush=True)
    rows, memory, notes = [], {}, []
    for n in sizes:
        workers = args.workers
        if n > args.memory_max:
            fits = [
                r["dask"]
                for r in rows
                if r["n"] <= args.memory_max
                and r["n"] == max(x for x in sizes if x <= args.memory_max)
            ]
            fastest = min((f["time"] for f in fits if "error" not in f), default=np.inf)
            if fastest >= args.large_budget:
                notes.append(
                    f"{n:,} rows not run: the dask fit of the largest in-memory size took "
                    f"{fastest:.1f} s (≥ {args.large_budget:.0f} s)."
                )
                continue
            workers = workers[:1]
            notes.append(
                f"{n:,} rows run with {workers[0]} worker only: the dask fit of the largest "
                f"in-memory size took {fastest:.1f} s (< {args.large_budget:.0f} s)."
            )
        else:
            for kind in ("giant", *BASELINES):
                print(f"classifier, in memory, {kind}, n = {n:,} ...", file=sys.stderr, flush=True)
                memory[(n, kind)] = in_child(
                    memory_classifier_fit_in_child, n, chunk, thresholds, kind
                )
                print(f"  {_class_summary(memory[(n, kind)])}", file=sys.stderr, flush=True)
        for w in workers:
            print(f"classifier, n = {n:,}, {w} worker(s) ...", file=sys.stderr, flush=True)
            result = in_child(dask_classifier_fit_in_child, n, w, chunk, thresholds)
            rows.append(
                dict(
                    n=n,
                    kind="giant",
                    source="random",
                    workers=w,
                    dask=result,
                    memory=memory.get((n, "giant")),
                )
            )
            print(f"  {_class_summary(result)} ({load_summary()})", file=sys.stderr, flush=True)
    for n in alt_sizes:
        print(f"alternating classifier, n = {n:,} ...", file=sys.stderr, flush=True)
        result = in_child(
            dask_classifier_fit_in_child,
            n,
            args.workers[0],
            chunk,
            thresholds,
            True,
            "alternating",
        )
        print(f"  {_class_summary(result)} ({load_summary()})", file=sys.stderr, flush=True)
        if "error" not in result and result["time"] >= ALTERNATING_BUDGET:
            notes.append(
                f"AlternatingOLSReLUClassifier on {n:,} persisted rows left out of the table: "
                f"its dask fit took {result['time']:.0f} s (≥ {ALTERNATING_BUDGET:.0f} s)."
            )
            continue
        mem = None
        if n <= args.memory_max:
            mem = in_child(memory_classifier_fit_in_child, n, chunk, thresholds, "alternating")
            memory[(n, "alternating")] = mem
        rows.append(
            dict(
                n=n,
                kind="alternating",
                source="persisted",
                workers=args.workers[0],
                dask=result,
                memory=mem,
            )
        )
    body = [
        classifier_table(rows),
        "### In memory on the same rows (one thread)\n\n"
        + baseline_table(rows, memory, args.workers),
        classifier_reading(rows, memory, args.workers, notes),
        CLASSIFIER_NOTES,
        f"Total wall time {time.perf_counter() - tic:.0f} s; {load_summary()} at end.",
    ]
    print("\n\n".join(body), flush=True)
    with open(args.classifier_out, "w", encoding="utf-8") as fh:
        fh.write("\n\n".join(["\n".join(header), *body]) + "\n")
    print(f"wrote {args.classifier_out}", file=sys.stderr)
    return rows


def _skgiant_source():
    """Which skgiant the fits import: its version, location and the repository's commit."""
    import subprocess

    import skgiant

    where = os.path.dirname(os.path.dirname(os.path.abspath(skgiant.__file__)))
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            cwd=os.path.dirname(os.path.abspath(__file__)),
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    return f"skgiant {skgiant.__version__} imported from `{where}`; repository at {commit}"


def _class_summary(r):
    if "error" in r:
        return r["error"]
    passes = f", {r['passes']} passes" if "passes" in r else ""
    return (
        f"{r['time']:.2f} s{passes}, {r['peak_mb']:.0f} MB, accuracy {r['accuracy']:.4f}, "
        f"log loss {r['log_loss']:.4f}"
    )


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
    parser.add_argument(
        "--only",
        choices=["all", "regressors", "classifiers"],
        default="all",
        help="run only the regressor part or only the classifier part (default: both)",
    )
    parser.add_argument(
        "--classifier-sizes",
        type=int,
        nargs="+",
        default=None,
        help="rows of the GiantStepClassifier fits (default 10^5 and 10^6; beyond "
        "--memory-max with the first worker count only, and only if the largest in-memory "
        "size fitted on dask in under --large-budget seconds)",
    )
    parser.add_argument(
        "--large-budget",
        type=float,
        default=LARGE_BUDGET,
        help=f"see --classifier-sizes ({LARGE_BUDGET:.0f} s)",
    )
    parser.add_argument(
        "--alternating-classifier-sizes",
        type=int,
        nargs="*",
        default=None,
        help="rows of the AlternatingOLSReLUClassifier row (persisted blocks, first worker "
        "count; default 10^5; none: skip)",
    )
    parser.add_argument(
        "--classifier-out",
        default=CLASSIFIER_OUT,
        help=f"results file of the classifier part ({CLASSIFIER_OUT})",
    )
    args = parser.parse_args(argv)
    argv = sys.argv[1:] if argv is None else list(argv)
    rows = []
    if args.only != "classifiers":
        rows = run_regressors(args, argv)
    if args.only != "regressors":
        sizes = args.classifier_sizes or (QUICK_SIZES if args.quick else CLASSIFIER_SIZES)
        chunk = min(args.chunk, max(sizes)) if args.quick else args.chunk
        rows += run_classifiers(args, argv, chunk)
    return rows


def run_regressors(args, argv):
    """The regressor part: fits and ``args.out``."""
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
