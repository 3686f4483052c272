"""``python -m skgiant``: the CSV command (``skgiant._cli``), its error messages, the demo."""

import joblib
import numpy as np
import pandas as pd  # a test dependency: fail loudly if missing
import pytest
from threadpoolctl import threadpool_info

from skgiant.__main__ import main
from skgiant._cli import read_table


@pytest.fixture(scope="module")
def sensor_csv(tmp_path_factory):
    """A small sensor-like table: numbers with gaps, a text column, a boolean column."""
    rng = np.random.default_rng(0)
    n = 90
    frame = pd.DataFrame(
        {
            "temperature": rng.normal(20, 5, n),
            "humidity": rng.uniform(30, 90, n),
            "station": rng.choice(["north", "south", "east"], n),
            "heater_on": rng.random(n) > 0.5,
        }
    )
    frame["load"] = (
        0.3 * frame["temperature"] ** 2 / 20
        - 0.05 * frame["humidity"]
        + (frame["station"] == "north") * 2.0
        + frame["heater_on"] * 1.5
        + rng.normal(0, 0.3, n)
    )
    frame.loc[[3, 10, 40], "humidity"] = np.nan
    frame.loc[[5], "load"] = np.nan
    path = tmp_path_factory.mktemp("csv") / "sensors.csv"
    frame.to_csv(path, index=False)
    return path


def test_csv_comparison_saves_model_and_plot(sensor_csv, tmp_path, capsys):
    model_path, png = tmp_path / "best.joblib", tmp_path / "cmp.png"
    status = main(
        [
            str(sensor_csv),
            "--target",
            "load",
            "--models",
            "giant",
            "alternating",
            "ridge",
            "--cv",
            "3",
            "--save",
            str(model_path),
            "--plot",
            str(png),
        ]
    )
    out = capsys.readouterr().out
    assert status == 0
    for label in ("GiantStepRegressor", "AlternatingOLSReLURegressor", "RidgeCV"):
        assert label in out
    assert "dropped 1 rows with a missing target" in out
    assert "one-hot encoded non-numeric column(s): station" in out
    assert "3 missing feature values" in out
    assert "n_steps=" in out and "n_hidden=" in out  # the chosen grid points are shown
    assert "Best by cross-validated R²" in out
    model = joblib.load(model_path)
    frame = pd.read_csv(sensor_csv).dropna(subset=["load"])
    # the saved pipeline was refitted on every row and takes the raw columns
    assert model.score(frame.drop(columns="load"), frame["load"]) > 0.5
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_results_are_sorted_and_the_table_is_honest(sensor_csv, capsys):
    X, y, numeric, categorical, notes = read_table(str(sensor_csv), "load")
    assert numeric == ["temperature", "humidity", "heater_on"]
    assert categorical == ["station"]
    assert len(y) == 89 and X.shape == (89, 4)
    assert (
        main(
            [
                str(sensor_csv),
                "--target",
                "load",
                "--models",
                "ridge",
                "hgb",
                "--cv",
                "2",
                "--no-grid",
                "--test-size",
                "0",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "held-out" not in out and "test R² is measured" not in out  # no test split
    assert "learning_rate=" not in out  # --no-grid: no grid point to report


@pytest.mark.parametrize(
    "args, message",
    [
        (["missing.csv", "--target", "y"], "file not found: missing.csv"),
        (["{csv}", "--target", "nope"], "target column 'nope' is not in"),
        (["{csv}", "--target", "station"], "target column 'station' is not numeric"),
        (["{csv}", "--target", "load", "--max-categories", "2"], "--drop"),
        (["{csv}", "--target", "load", "--drop", "absent"], "no column named 'absent'"),
        (["{csv}", "--target", "load", "--cv", "50"], "lower --cv"),
    ],
)
def test_input_errors_are_one_clear_line(sensor_csv, capsys, args, message):
    args = [a.format(csv=sensor_csv) for a in args]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_high_cardinality_text_column_can_be_dropped(sensor_csv, tmp_path, capsys):
    frame = pd.read_csv(sensor_csv)
    frame["serial"] = [f"SN{i:04d}" for i in range(len(frame))]
    path = tmp_path / "with_ids.csv"
    frame.to_csv(path, index=False)
    assert main([str(path), "--target", "load", "--models", "ridge", "--cv", "2"]) == 2
    assert "serial (89 distinct values)" in capsys.readouterr().err
    args = [str(path), "--target", "load", "--models", "ridge", "--cv", "2", "--drop", "serial"]
    assert main(args) == 0
    assert "ignored column(s) serial" in capsys.readouterr().out


def test_usage_errors(sensor_csv, capsys):
    with pytest.raises(SystemExit) as exc:
        main([str(sensor_csv)])
    assert exc.value.code == 2
    assert "--target is required" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--target", "load"])
    assert "--target needs a CSV file" in capsys.readouterr().err


def test_demo_without_a_csv_still_runs(capsys, monkeypatch):
    import skgiant.__main__ as demo

    # the demo's models at a test-sized width; the code path is the one `python -m skgiant` runs
    models = demo._models
    blas_threads = []

    def small_models(n_features, seed):
        blas_threads.extend(i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas")
        out = models(n_features, seed)
        for model in out.values():
            if hasattr(model, "n_hidden"):
                model.set_params(n_hidden=16)
            if hasattr(model, "hidden_layer_sizes"):
                model.set_params(hidden_layer_sizes=(8,), max_iter=50)
        return out

    monkeypatch.setattr(demo, "_models", small_models)
    # (the test session pins BLAS to one thread: ask for two to see the demo's own limit)
    assert main(["--datasets", "diabetes", "--threads", "2"]) == 0
    out = capsys.readouterr().out
    assert "diabetes:" in out and "GiantStepRegressor" in out and "test R2" in out
    # the demo sets BLAS threads from --threads (default 1) like the CSV command
    assert blas_threads and set(blas_threads) == {2}


def _csv_args(csv, *extra):
    from skgiant._cli import _build_parser

    base = [str(csv), "--target", "load", "--cv", "2", "--no-grid"]
    return _build_parser().parse_args([*base, *extra])


def test_save_to_onnx_writes_a_graph_that_predicts_like_the_pipeline(sensor_csv, tmp_path):
    import io

    from onnxruntime import InferenceSession

    from skgiant._cli import run_csv

    frame = pd.read_csv(sensor_csv)
    frame.loc[[7, 20], "station"] = np.nan  # missing text: "" in the ONNX input
    csv = tmp_path / "gaps.csv"
    frame.to_csv(csv, index=False)
    path = tmp_path / "best.onnx"
    out = io.StringIO()
    args = _csv_args(csv, "--models", "giant", "alternating", "--save", str(path))
    results = run_csv(args, out=out)
    assert "ONNX: run it with onnxruntime.InferenceSession" in out.getvalue()
    model = results[0]["search"].best_estimator_  # refitted on every row by --save
    X, _, numeric, categorical, _ = read_table(str(csv), "load")
    assert categorical == ["station"] and X["humidity"].isna().any()
    session = InferenceSession(path.read_bytes(), providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == list(X.columns)
    feeds = {c: X[[c]].to_numpy(dtype=np.float32) for c in numeric}
    feeds.update({c: X[[c]].fillna("").to_numpy(dtype=object) for c in categorical})
    (got,) = session.run(None, feeds)
    expected = model.predict(X)
    np.testing.assert_allclose(got.ravel(), expected, atol=1e-4 * np.std(expected))


def test_save_to_onnx_without_the_extra_fails_before_fitting(
    sensor_csv, tmp_path, capsys, monkeypatch
):
    import sys

    monkeypatch.setitem(sys.modules, "skl2onnx", None)  # as if not installed
    path = tmp_path / "best.onnx"
    assert main([str(sensor_csv), "--target", "load", "--save", str(path)]) == 2
    captured = capsys.readouterr()
    assert 'needs the onnx extra: pip install "skgiant[onnx]"' in captured.err
    assert "Traceback" not in captured.err
    assert "Best by" not in captured.out and not path.exists()


def test_save_to_onnx_of_an_unsupported_model_is_one_clear_line(sensor_csv, tmp_path, capsys):
    # skl2onnx has no converter for RBFSampler
    path = tmp_path / "best.onnx"
    args = [str(sensor_csv), "--target", "load", "--models", "rff", "--no-grid", "--cv", "2"]
    assert main([*args, "--save", str(path)]) == 2
    err = capsys.readouterr().err
    assert "could not export the RBFSampler(512) + RidgeCV pipeline to ONNX" in err
    assert ".joblib" in err and "Traceback" not in err and not path.exists()
