"""Shared plumbing of the paper-reproduction scripts: arguments, seeds, tables, figures.

Every script in this folder is runnable alone (``python benchmarks/paper/figN_*.py``),
has a ``--quick`` mode on tiny sizes (run by ``tests/test_paper_scripts.py``), and a
``main(argv)`` that prints the numbers it plots as markdown tables and returns them.
"""

import argparse
import contextlib
import os
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
# the benchmark helpers one level up (machine record, data generators of bench_alternating)
if str(HERE.parent) not in sys.path:
    sys.path.insert(0, str(HERE.parent))

from _common import load_summary, machine_summary  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from skgiant._giant_regressor import THEORY_PARAMS  # noqa: E402

#: The theory's protocol for GiantStepRegressor: no biases, no linear term, plain labels,
#: symmetric initialization, frozen random second layer.
PAPER = THEORY_PARAMS


def parse_args(name, description, argv, *, default_seeds=5, quick_seeds=2, extra=None):
    """Parse the common arguments; ``--out`` defaults to ``doc/figures/<name>.png``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, a few seconds")
    parser.add_argument(
        "--seeds", type=int, default=None, help=f"number of seeds 0..N-1 (default {default_seeds})"
    )
    parser.add_argument(
        "--out",
        type=str,
        default=None,
        help=f"PNG path, or a directory (default doc/figures/{name}.png)",
    )
    if extra is not None:
        extra(parser)
    args = parser.parse_args(argv)
    n_seeds = args.seeds or (quick_seeds if args.quick else default_seeds)
    args.seeds = list(range(n_seeds))
    if args.out is None:
        args.out = ROOT / "doc" / "figures" / f"{name}.png"
    else:
        out = Path(args.out)
        args.out = out / f"{name}.png" if out.suffix != ".png" else out
    return args


def header(title, args, settings):
    """Print the run's title, settings, seeds and machine."""
    print(f"## {title}\n")
    print(f"- settings: {settings}")
    print(f"- seeds: {args.seeds}{' (--quick)' if args.quick else ''}")
    with threadpool_limits(limits=1):
        print(f"- machine: {machine_summary()}; {load_summary()}")
    print(f"- started {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}\n", flush=True)


@contextlib.contextmanager
def one_thread():
    """Pin BLAS to one thread (the machine is shared; runs stay reproducible)."""
    with threadpool_limits(limits=1):
        yield


def rms(v):
    """Root mean square of an array (the summary of per-unit alignments)."""
    return float(np.sqrt(np.mean(np.square(v))))


def mean_std(values):
    """(mean, std) over seeds, ignoring NaN."""
    v = np.asarray(values, dtype=float)
    return float(np.nanmean(v)), float(np.nanstd(v))


def fmt(values, digits=3):
    """``mean ± std`` of a list of per-seed values."""
    m, s = mean_std(values)
    return f"{m:.{digits}f} ± {s:.{digits}f}"


def table(columns, rows):
    """Print a markdown table."""
    print("| " + " | ".join(columns) + " |")
    print("|" + "---|" * len(columns))
    for row in rows:
        print("| " + " | ".join(str(c) for c in row) + " |")
    print(flush=True)


def errorbar(ax, x, per_seed, label, **kw):
    """Plot mean ± std over seeds (``per_seed`` has shape (n_seeds, len(x)))."""
    a = np.asarray(per_seed, dtype=float)
    ax.errorbar(x, np.nanmean(a, axis=0), yerr=np.nanstd(a, axis=0), capsize=3, label=label, **kw)


def save_figure(fig, out, dpi=110):
    """Save ``fig`` as PNG to ``out`` (parents created) and close it."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=dpi, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    print(f"figure saved to {os.path.relpath(out, ROOT)}")


def pyplot():
    """matplotlib.pyplot with a non-interactive backend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt
