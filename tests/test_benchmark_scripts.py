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


def test_bench_classifiers_target_checks_against_hand_made_tables():
    bench = _load("bench_classifiers")
    names = ["GiantStep", "Alternating", "LogisticRegressionCV", "MLP(adam, 1024)"]
    names += ["MLP(adam, 32)", "HistGB"]
    #           accuracy, log loss, time
    values = {
        "GiantStep": (0.905, 0.330, 1.0),  # 0.005 below the best, 1.1 × 0.300, 12× faster
        "Alternating": (0.880, 0.340, 0.5),  # 0.03 below, 1.13 ×, 8× faster
        "LogisticRegressionCV": (0.900, 0.300, 0.2),  # best log loss
        "MLP(adam, 1024)": (0.910, 0.320, 12.0),  # best accuracy
        "MLP(adam, 32)": (0.890, 0.400, 4.0),
        "HistGB": (0.990, 0.050, 0.3),  # a tree: not a reference of the targets
    }
    table = {
        n: {"accuracy": np.array([values[n][0]] * 2), "log_loss": np.array([values[n][1]] * 2),
            "time": np.array([values[n][2]] * 2)}
        for n in names
    }  # fmt: skip
    checks = bench.check_targets(table)
    assert {k: v[0] for k, v in checks["GiantStep"].items()} == {
        "accuracy": True,
        "log_loss": True,
        "speed": True,
    }
    assert {k: v[0] for k, v in checks["Alternating"].items()} == {
        "accuracy": False,
        "log_loss": False,
        "speed": False,
    }
    assert "vs MLP(adam, 1024)" in checks["GiantStep"]["accuracy"][1]
    assert "× LogisticRegressionCV" in checks["GiantStep"]["log_loss"][1]
    lines = "\n".join(bench.reading({"toy": table}))
    assert "- GiantStep: the accuracy target holds on 1/1 sets." in lines
    assert "- Alternating: the 10× speed target holds on 0/1 sets; misses: toy (8×)" in lines
    assert "- toy: HistGB log loss 0.0500" in lines


def test_bench_classifiers_quick_writes_its_tables(tmp_path, capsys):
    out = tmp_path / "classifiers.md"
    summary = _load("bench_classifiers").main(["--quick", "--out", str(out)])
    text = out.read_text(encoding="utf-8")
    for header in (
        "## wine (n_train = 133, d = 13 columns after preprocessing, K = 3)",
        "| model | accuracy | log loss | ECE | fit time (s) | ConvergenceWarnings |",
        "## Targets",
        "| wine | GiantStep |",
        "| wine | Alternating |",
        "## Reading (generated from the tables above)",
        "- command: `python benchmarks/bench_classifiers.py --quick --out",
        "- machine:",
    ):
        assert header in text
    table = summary["wine"]
    assert set(table) >= {"GiantStep", "Alternating", "MLP(adam, 1024)", "MLP(lbfgs, 32)"}
    for scores in table.values():
        assert len(scores["accuracy"]) == 2  # two splits
        assert np.all((0 <= scores["ece"]) & (scores["ece"] <= 1))
    capsys.readouterr()


def test_plot_dask_reads_both_tables_and_draws(tmp_path):
    plot_dask = _load("plot_dask")
    results = tmp_path / "RESULTS_dask.md"
    results.write_text(
        "# title\n\n- machine: x\n\n"
        "| rows | source | workers | fit (s) | passes | peak RSS (MB) | RSS before fit (MB) |\n"
        "|---:|---|---:|---:|---:|---:|---:|\n"
        "| 100,000 | random | 1 | 1.50 | 3 | 270 | 230 |\n"
        "| 1,000,000 | random | 1 | 14.00 | 3 | 330 | 231 |\n"
        "| 1,000,000 | zarr | 1 | 5.00 | 3 | 360 | 232 |\n\n"
        "## Reading\n\n- text\n\n## AlternatingOLSReLURegressor\n\n"
        "| rows | source | workers | fit (s) | iterations | peak RSS (MB) |\n"
        "|---:|---|---:|---:|---:|---:|\n"
        "| 100,000 | persisted | 2 | 30.00 | 30 | 490 |\n",
        encoding="utf-8",
    )
    later = tmp_path / "RESULTS_dask_more.md"  # another run: lines of its own
    later.write_text(
        "## AlternatingOLSReLURegressor\n\n"
        "| rows | source | workers | fit (s) | peak RSS (MB) |\n|---|---|---|---|---|\n"
        "| 100,000 | persisted | 2 | 25.00 | 480 |\n"
        "| 10,000,000 | persisted | 2 | 2500.00 | 700 |\n",
        encoding="utf-8",
    )
    classes = tmp_path / "RESULTS_dask_classifiers.md"  # rows named by their model
    classes.write_text(
        "# title\n\n| rows | model | source | workers | fit (s) | peak RSS (MB) |"
        " RSS before fit (MB) |\n|---:|---|---|---:|---:|---:|---:|\n"
        "| 100,000 | GiantStepClassifier(n_hidden=128) | random | 1 | 2.50 | 322 | 232 |\n"
        "| 1,000,000 | GiantStepClassifier(n_hidden=128) | random | 1 | 8.40 | 382 | 236 |\n",
        encoding="utf-8",
    )
    out = tmp_path / "scaling.png"
    data = plot_dask.main(["--results", str(results), str(later), str(classes), "--out", str(out)])
    assert data[("GiantStepRegressor", "random", 1, "RESULTS_dask")] == {
        100_000: (1.5, 270.0, 230.0),
        1_000_000: (14.0, 330.0, 231.0),
    }
    assert data[("AlternatingOLSReLURegressor", "persisted", 2, "RESULTS_dask")] == {
        100_000: (30.0, 490.0, 0.0)
    }
    assert data[("AlternatingOLSReLURegressor", "persisted", 2, "RESULTS_dask_more")] == {
        100_000: (25.0, 480.0, 0.0),
        10_000_000: (2500.0, 700.0, 0.0),
    }
    assert data[("GiantStepClassifier", "random", 1, "RESULTS_dask_classifiers")] == {
        100_000: (2.5, 322.0, 232.0),
        1_000_000: (8.4, 382.0, 236.0),
    }
    assert not any(source == "zarr" for _, source, _, _ in data)
    assert out.stat().st_size > 10_000
