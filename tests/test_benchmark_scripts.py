"""The benchmark scripts run in --quick mode and write their results; the glitch helper."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "benchmarks"


def _load(name):
    if str(BENCH_DIR) not in sys.path:
        sys.path.insert(0, str(BENCH_DIR))
    spec = importlib.util.spec_from_file_location(name, BENCH_DIR / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def robustness():
    return _load("bench_robustness")


def _train_test(seed=0, n_train=300, n_test=200, d=7):
    rng = np.random.default_rng(seed)
    X_train = rng.normal(loc=3.0, scale=2.0, size=(n_train, d))
    X_train[:, 2] = 5.0  # a constant feature: its glitch uses standard deviation 1
    X_test = rng.normal(loc=3.0, scale=2.0, size=(n_test, d))
    return X_train, X_test


def test_glitch_rows_changes_one_feature_in_ten_percent_of_rows(robustness):
    X_train, X_test = _train_test()
    before = X_test.copy()
    X_gl = robustness.glitch_rows(X_test, X_train, fraction=0.1, sd=200, rng=0)
    np.testing.assert_array_equal(X_test, before)  # the input is not modified
    assert X_gl.shape == X_test.shape and X_gl is not X_test
    changed = X_gl != X_test
    rows = np.flatnonzero(changed.any(axis=1))
    assert len(rows) == 20  # exactly 10% of the 200 rows
    assert np.all(changed[rows].sum(axis=1) == 1)  # exactly one feature per changed row
    mean, std = X_train.mean(axis=0), X_train.std(axis=0)
    std[std == 0] = 1.0
    i, j = np.nonzero(changed)
    z = (X_gl[i, j] - mean[j]) / std[j]
    np.testing.assert_allclose(np.abs(z), 200.0, rtol=1e-9)
    assert np.all(X_gl[~changed] == X_test[~changed])  # every other entry untouched


def test_glitch_rows_is_seeded_and_handles_constant_and_missing_features(robustness):
    X_train, X_test = _train_test(seed=1, n_test=1000)
    a = robustness.glitch_rows(X_test, X_train, rng=3)
    np.testing.assert_array_equal(a, robustness.glitch_rows(X_test, X_train, rng=3))
    assert not np.array_equal(a, robustness.glitch_rows(X_test, X_train, rng=4))
    # both signs occur, and the constant column is glitched to its value ± 200
    i, j = np.nonzero(a != X_test)
    assert {-1.0, 1.0} <= set(np.sign(a[i, j] - X_train.mean(axis=0)[j]))
    const = j == 2
    assert const.any()
    np.testing.assert_allclose(np.abs(a[i[const], 2] - 5.0), 200.0)
    # missing training values: mean and SD over the finite entries, no NaN produced
    X_nan = X_train.copy()
    X_nan[::3, :] = np.nan
    b = robustness.glitch_rows(X_test, X_nan, rng=3)
    assert np.all(np.isfinite(b))
    i, j = np.nonzero(b != X_test)
    mean, std = np.nanmean(X_nan, axis=0), np.nanstd(X_nan, axis=0)
    std[std == 0] = 1.0
    np.testing.assert_allclose(np.abs((b[i, j] - mean[j]) / std[j]), 200.0, rtol=1e-9)


def test_bench_robustness_quick_writes_its_tables(robustness, tmp_path, capsys):
    out = tmp_path / "robustness.md"
    robustness.main(["--quick", "--out", str(out)])
    text = out.read_text(encoding="utf-8")
    for header in (
        "### Table A1",
        "### Table A2",
        "| data set | GiantStep − RidgeCV | GiantStep − no-step |",
        "### Table B",
        "| data set | model | test R² clean | test R² glitched | drop |",
        "### Reading",
        "- command: `python benchmarks/bench_robustness.py --quick --out",
        "- machine:",
    ):
        assert header in text
    assert "| diabetes | GiantStep |" in text
    assert "### Table B" in capsys.readouterr().out


def test_bench_fronts_quick_writes_table_and_figure(tmp_path, capsys):
    out, fig = tmp_path / "fronts.md", tmp_path / "fronts.png"
    results = _load("bench_fronts").main(["--quick", "--out", str(out), "--figure", str(fig)])
    text = out.read_text(encoding="utf-8")
    for header in (
        "| model | width | test R² | fit time (s) |",
        "### Goal check: MLP points matched by ours",
        "| data set | MLP points matched | unmatched |",
        "### Reading",
        "- machine:",
    ):
        assert header in text
    assert fig.stat().st_size > 10_000  # a real PNG
    assert set(results) == {"diabetes"}
    capsys.readouterr()


def test_bench_ncurve_quick_runs_as_a_script(tmp_path):
    # a subprocess: every fit is spawned in a fresh process that re-imports the script
    out = tmp_path / "ncurve.md"
    proc = subprocess.run(
        [sys.executable, str(BENCH_DIR / "bench_ncurve.py"), "--quick", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    text = out.read_text(encoding="utf-8")
    for header in (
        "| model | n | test R² | fit time (s) | peak MB (before fit) |",
        "### Reading",
        "noise standard deviation 0.1",
        'AlternatingOLSReLURegressor(batch_size="auto")',
        "- machine:",
    ):
        assert header in text
    assert "| GiantStep | 2,000 |" in text and "| GiantStep | 10,000 |" in text
    assert "failed" not in text
