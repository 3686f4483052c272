"""Shared plumbing of the benchmark scripts: data splits, timing, machine record."""

import os
import platform
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_info, threadpool_limits

from skgiant import _devdata
from skgiant._devdata import MAX_TRAIN, dev_pipeline  # noqa: F401  -- re-exported for scripts


def dev_splits(name, seeds, max_train=MAX_TRAIN):
    """Yield ``(X_train, X_test, y_train, y_test)`` for the development protocol.

    The protocol lives in ``skgiant._devdata.dev_splits``; this keeps the scripts' signature.
    """
    return _devdata.dev_splits(name, seeds=seeds, max_train=max_train)


def timed_fit(model, X, y):
    """Fit and return the wall time in seconds."""
    tic = time.perf_counter()
    model.fit(X, y)
    return time.perf_counter() - tic


def pin_threads(n=None):
    """Pin BLAS/OpenMP threads (default: all cores) and return the limiter."""
    return threadpool_limits(limits=n or os.cpu_count())


def machine_summary():
    """One line describing the machine and BLAS."""
    blas = ", ".join(
        f"{i['internal_api']} {i.get('version', '?')} ({i['num_threads']} threads)"
        for i in threadpool_info()
        if i["user_api"] == "blas"
    )
    return (
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, numpy {np.__version__}, BLAS: {blas}"
    )


def median_time(func, repeats=3):
    """Median wall time in seconds of ``repeats`` calls of ``func()``."""
    times = []
    for _ in range(repeats):
        tic = time.perf_counter()
        func()
        times.append(time.perf_counter() - tic)
    return float(np.median(times))


def load_summary():
    """The 1, 5 and 15 minute load averages (other processes skew timings)."""
    try:
        return "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    except OSError:  # pragma: no cover - not available on every platform
        return "load average unavailable"


def results_header(title, script, argv, threads):
    """The opening lines every results file shares: title, machine, versions, command, date.

    ``script`` is the path of the benchmark (``benchmarks/bench_x.py``) and ``argv`` its
    command-line arguments, so that the file says how to reproduce it.
    """
    import datetime
    import shlex

    import scipy
    import sklearn

    return [
        f"# {title}",
        "",
        f"- machine: {machine_summary()}",
        f"- scikit-learn {sklearn.__version__}, numpy {np.__version__}, "
        f"scipy {scipy.__version__}; threads pinned to {threads}; {load_summary()} at start",
        f"- command: `{shlex.join(['python', script, *argv])}`",
        f"- date: {datetime.datetime.now().isoformat(timespec='minutes')}",
    ]


def resolve_datasets(parser, requested, quick, quick_sets):
    """The development data sets a benchmark runs on (``parser.error`` on unknown ones)."""
    from skgiant._devdata import available_dev_datasets

    available = available_dev_datasets()
    datasets = requested or (quick_sets if quick else list(available))
    unknown = sorted(set(datasets) - set(available))
    if unknown:
        parser.error(f"unknown or unavailable data sets {unknown}; available: {available}")
    return datasets


def fit_counting(model, X, y):
    """Fit; return ``(seconds, ConvergenceWarnings caught)`` (other warnings are shown)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        seconds = timed_fit(model, X, y)
    n_conv = 0
    for w in caught:
        if issubclass(w.category, ConvergenceWarning):
            n_conv += 1
        else:
            warnings.showwarning(w.message, w.category, w.filename, w.lineno)
    return seconds, n_conv
