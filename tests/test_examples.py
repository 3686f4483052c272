"""Every gallery example runs to the end (each takes a few seconds with one BLAS thread)."""

import runpy
import warnings
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("plot_*.py"))


def test_examples_exist():
    assert len(EXAMPLES) >= 5


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_runs(path, capsys):
    with warnings.catch_warnings():
        # examples may show scikit-learn's ConvergenceWarning (e.g. MLPRegressor); numpy
        # RuntimeWarnings stay errors, as in the rest of the suite
        warnings.simplefilter("ignore", UserWarning)
        namespace = runpy.run_path(str(path), run_name="__example__")
    out = capsys.readouterr().out
    assert out.strip(), f"{path.name} printed nothing"
    assert plt.get_fignums() or "plt" not in namespace, f"{path.name} drew no figure"
    plt.close("all")
