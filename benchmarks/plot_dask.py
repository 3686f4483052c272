"""Plot the dask benchmark's results: fit time and peak memory against rows.

Run from the repository root, after ``python benchmarks/bench_dask.py``::

    python benchmarks/plot_dask.py                       # reads benchmarks/RESULTS_dask*.md
    python benchmarks/plot_dask.py --results A.md B.md   # other results files

Reads the tables of the results files written by ``bench_dask.py`` (every row of every
file, the classifiers' tables by their ``model`` column; each file is one run, and sizes
of different runs are drawn as different lines) and writes
``doc/figures/dask_scaling.png`` (``--out``): for each estimator and number of workers,
fit time against rows on log-log axes beside the line of linear scaling from the
smallest size, and the memory the fit adds to the process (peak resident memory minus
that before the fit, which holds the persisted blocks) against rows. Only the
lazily generated (``random``) and ``persisted`` sources are drawn; the Zarr rows are in
the tables.
"""

import argparse
import glob
import os
import re

DEFAULT_RESULTS = sorted(glob.glob("benchmarks/RESULTS_dask*.md"))
DEFAULT_OUT = "doc/figures/dask_scaling.png"


def read_tables(text):
    """The markdown tables of ``text`` as lists of dicts keyed by the header cells,
    each tagged with the estimator of the section it is in."""
    tables, section, lines = [], "GiantStepRegressor", text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("## "):
            section = line[3:].strip()
        if line.startswith("|") and i + 1 < len(lines) and re.match(r"^\|[-:| ]+\|$", lines[i + 1]):
            header = [cell.strip() for cell in line.strip("|").split("|")]
            rows, i = [], i + 2
            while i < len(lines) and lines[i].startswith("|"):
                cells = [cell.strip() for cell in lines[i].strip("|").split("|")]
                rows.append(dict(zip(header, cells, strict=True)))
                i += 1
            kind = (
                "AlternatingOLSReLURegressor" if "Alternating" in section else "GiantStepRegressor"
            )
            tables.append((kind, rows))
            continue
        i += 1
    return tables


def points(paths):
    """``{(estimator, source, workers, run): {rows: (fit seconds, peak MB, MB before the
    fit)}}``, ``run`` the stem of the results file: sizes measured in different runs are
    never joined into one line."""
    out = {}
    for path in paths:
        run = os.path.splitext(os.path.basename(path))[0]
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
        for kind, rows in read_tables(text):
            for row in rows:
                if "fit (s)" not in row or row.get("source") not in ("random", "persisted"):
                    continue
                # a classifier table names its model in a column of its own
                model = row.get("model", "")
                estimator = model.split("(")[0] if model else kind
                key = (estimator, row["source"], int(row["workers"]), run)
                n = int(row["rows"].replace(",", ""))
                before = float(row.get("RSS before fit (MB)", 0))
                out.setdefault(key, {})[n] = (
                    float(row["fit (s)"]),
                    float(row["peak RSS (MB)"]),
                    before,
                )
    return out


def plot(data, out):
    """Draw the two panels and save them to ``out``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_time, ax_mem) = plt.subplots(1, 2, figsize=(11, 4.2))
    lines = {key: by_n for key, by_n in sorted(data.items()) if len(by_n) >= 2}
    runs = {}
    for kind, source, workers, run in lines:
        runs.setdefault((kind, source, workers), []).append(run)
    for (kind, source, workers, run), by_n in lines.items():
        ns = sorted(by_n)
        times = [by_n[n][0] for n in ns]
        label = f"{kind.replace('Regressor', '')}, {source}, {workers} worker(s)"
        if len(runs[kind, source, workers]) > 1:  # measured in several runs
            label += f" [{run}]"
        (line,) = ax_time.loglog(ns, times, "o-", label=label)
        ax_time.loglog(ns, [times[0] * n / ns[0] for n in ns], ":", color=line.get_color())
        added = [by_n[n][1] - by_n[n][2] for n in ns]
        ax_mem.semilogx(ns, added, "o-", label=label, color=line.get_color())
    ax_time.set(xlabel="training rows", ylabel="fit time (s)", title="Fit time (dotted: linear)")
    ax_mem.set(
        xlabel="training rows",
        ylabel="peak RSS - RSS before the fit (MB)",
        title="Memory the fit adds (persisted blocks not counted)",
    )
    ax_mem.set_ylim(bottom=0)
    ax_time.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    return fig


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", nargs="+", default=DEFAULT_RESULTS, help="results files")
    parser.add_argument("--out", default=DEFAULT_OUT, help=f"figure ({DEFAULT_OUT})")
    args = parser.parse_args(argv)
    data = points(args.results)
    plot(data, args.out)
    print(f"wrote {args.out} from {', '.join(args.results)}")
    return data


if __name__ == "__main__":
    main()
