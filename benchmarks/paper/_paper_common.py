"""Shared plumbing of the paper-reproduction scripts: arguments, seeds, results, figures.

Every script in this folder is runnable alone (``python benchmarks/paper/figN_*.py``),
has a ``--quick`` mode on tiny sizes (run by ``tests/test_paper_scripts.py``), and a
``main(argv)`` that returns the numbers it plots. Each run writes two files:

- the figure, ``doc/figures/<name>.png``;
- a markdown fragment with the run's tables, settings, command, machine and date,
  ``doc/paper_results/<name>.md``, which ``doc/paper_results.md`` includes.

``--out DIR`` (or ``--out DIR/<name>.png``) writes both files to that directory
instead; a ``--quick`` run without ``--out`` writes them to a fresh temporary
directory, so it never overwrites the committed results.
"""

import argparse
import contextlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
FIGURES = ROOT / "doc" / "figures"
RESULTS = ROOT / "doc" / "paper_results"
# the benchmark helpers one level up (machine record, data generators of bench_alternating)
if str(HERE.parent) not in sys.path:
    sys.path.insert(0, str(HERE.parent))

from _common import results_header  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from skgiant._giant_regressor import THEORY_PARAMS  # noqa: E402

#: The theory's protocol for GiantStepRegressor: no biases, no linear term, plain labels,
#: symmetric initialization, frozen random second layer (fresh batches for the steps).
PAPER = THEORY_PARAMS


def parse_args(name, description, argv, *, default_seeds=5, quick_seeds=2, extra=None):
    """Parse the common arguments and resolve where the figure and the results go.

    Sets ``args.out`` (the PNG), ``args.results`` (the markdown fragment) and
    ``args.argv`` (the arguments as given, for the fragment's command line).
    """
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, a few seconds")
    parser.add_argument(
        "--seeds", type=int, default=None, help=f"number of seeds 0..N-1 (default {default_seeds})"
    )
    parser.add_argument(
        "--out",
        type=str,
        default=None,
        help=f"directory (or PNG path) for the figure and the results fragment (default "
        f"doc/figures/{name}.png and doc/paper_results/{name}.md; with --quick a temporary "
        "directory)",
    )
    if extra is not None:
        extra(parser)
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    args.argv = argv
    n_seeds = args.seeds or (quick_seeds if args.quick else default_seeds)
    args.seeds = list(range(n_seeds))
    if args.out is None and args.quick:  # never overwrite the committed results
        args.out = tempfile.mkdtemp(prefix=f"skgiant_{name}_")
    if args.out is None:
        args.out = FIGURES / f"{name}.png"
        args.results = RESULTS / f"{name}.md"
    else:
        out = Path(args.out)
        args.out = out / f"{name}.png" if out.suffix != ".png" else out
        args.results = args.out.with_suffix(".md")
    return args


def code_version():
    """The commit the package was run from, and whether ``skgiant/`` had local changes."""

    def git(*cmd):
        return subprocess.run(
            ["git", *cmd], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()

    try:
        commit = git("log", "-1", "--format=%h %s")
        dirty = git("status", "--porcelain", "--", "skgiant")
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return commit + (" (with uncommitted changes to skgiant/)" if dirty else "")


class Report:
    """The results of one run: printed as they come, written as a markdown fragment.

    The fragment opens with :func:`_common.results_header` (title, machine, versions,
    command, date), then the code version, settings, seeds and wall time, then whatever
    the script adds with :meth:`table`, :meth:`heading` and :meth:`text`; :meth:`save`
    fills in the wall time and writes it to ``args.results``.
    """

    def __init__(self, name, title, args, settings):
        self.args = args
        self.start = time.perf_counter()
        script = f"benchmarks/paper/{name}.py"
        with threadpool_limits(limits=1):  # the machine line shows the pinned BLAS
            head = results_header(title, script, args.argv, threads=1)
        self.lines = [
            "---",
            "orphan: true",  # a page of its own too; doc/paper_results.md includes it
            "---",
            "",
            *head,
            f"- code: {code_version()}",
            f"- settings: {settings}",
            f"- seeds: {args.seeds}{' (--quick)' if args.quick else ''}",
            "- wall time: (running)",
            "",
        ]
        print("\n".join(self.lines[4:-2] + [""]), flush=True)

    def _add(self, lines):
        self.lines.extend(lines)
        print("\n".join(lines), flush=True)

    def heading(self, text):
        """A sub-heading (level 2 in the fragment)."""
        self._add([f"## {text}", ""])

    def text(self, text):
        """A paragraph."""
        self._add([text, ""])

    def table(self, columns, rows):
        """A markdown table."""
        self._add(
            [
                "| " + " | ".join(columns) + " |",
                "|" + "---|" * len(columns),
                *("| " + " | ".join(str(c) for c in row) + " |" for row in rows),
                "",
            ]
        )

    def save(self):
        """Write the fragment, with the run's wall time, to ``args.results``."""
        wall = f"- wall time: {time.perf_counter() - self.start:.0f} s"
        self.lines[self.lines.index("- wall time: (running)")] = wall
        path = Path(self.args.results)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(self.lines).rstrip() + "\n", encoding="utf-8")
        print(f"{wall[2:]}\nresults saved to {_shown(path)}")
        return path


def _shown(path):
    """``path`` relative to the repository when inside it."""
    path = Path(path).resolve()
    return os.path.relpath(path, ROOT) if path.is_relative_to(ROOT) else str(path)


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
    print(f"figure saved to {_shown(out)}")


def pyplot():
    """matplotlib.pyplot with a non-interactive backend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt
