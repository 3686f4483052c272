"""``python -m skgiant``: the CSV command (``skgiant._cli``), its error messages, the demo."""

import joblib
import numpy as np
import pandas as pd  # a test dependency: fail loudly if missing
import pytest
from sklearn.model_selection import train_test_split
from threadpoolctl import threadpool_info

from skgiant.__main__ import main
from skgiant._cli import MAX_AUTO_CLASSES, _build_parser, detect_task, read_table


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
    X, y, numeric, categorical, notes, task = read_table(str(sensor_csv), "load")
    assert task == "regression" and y.dtype == np.float64
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
        (
            ["{csv}", "--target", "station", "--task", "regression"],
            "target column 'station' is not numeric",
        ),
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
    X, _, numeric, categorical, _, _ = read_table(str(csv), "load")
    assert categorical == ["station"] and X["humidity"].isna().any()
    session = InferenceSession(path.read_bytes(), providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == list(X.columns)
    feeds = {c: X[[c]].to_numpy(dtype=np.float32) for c in numeric}
    feeds.update({c: X[[c]].fillna("").to_numpy(dtype=object) for c in categorical})
    (got,) = session.run(None, feeds)
    expected = model.predict(X)
    np.testing.assert_allclose(got.ravel(), expected, atol=1e-4 * np.std(expected))


def test_save_a_classifier_to_onnx_gives_its_labels(fault_csv, tmp_path):
    import io

    from onnxruntime import InferenceSession

    from skgiant._cli import run_csv

    path = tmp_path / "classes.onnx"
    frame = pd.read_csv(fault_csv).drop(columns=["severity", "alarm"])
    csv = tmp_path / "status.csv"
    frame.to_csv(csv, index=False)
    args = _csv_args(csv, "--models", "giant", "--save", str(path))
    args.target = "status"
    results = run_csv(args, out=io.StringIO())
    model = results[0]["search"].best_estimator_
    X, _, numeric, categorical, _, _ = read_table(str(csv), "status")
    session = InferenceSession(path.read_bytes(), providers=["CPUExecutionProvider"])
    feeds = {c: X[[c]].to_numpy(dtype=np.float32) for c in numeric}
    feeds.update({c: X[[c]].fillna("").to_numpy(dtype=object) for c in categorical})
    labels, probabilities = session.run(None, feeds)
    assert list(labels) == list(model.predict(X))
    expected = model.predict_proba(X)
    got = np.array([[row[c] for c in model.classes_] for row in probabilities])
    np.testing.assert_allclose(got, expected, atol=1e-4)


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


# --- classification ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def fault_csv(tmp_path_factory):
    """Sensor readings with three candidate targets: a text label (about 30% "fault"), a
    severity grade 0-2 (whole numbers) and a boolean alarm with a gap."""
    rng = np.random.default_rng(1)
    n = 150
    frame = pd.DataFrame(
        {
            "vibration": rng.normal(0, 1, n),
            "temperature": rng.normal(60, 8, n),
            "line": rng.choice(["A", "B"], n),
        }
    )
    score = 1.5 * frame["vibration"] + (frame["temperature"] - 60) / 8 + (frame["line"] == "A")
    frame["status"] = np.where(score > 1.0, "fault", "ok")
    frame["severity"] = np.digitize(score, [0.0, 1.5])
    frame["alarm"] = (score > 0.5).astype(object)
    frame.loc[7, "alarm"] = np.nan
    path = tmp_path_factory.mktemp("csv") / "faults.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.mark.parametrize(
    "values, task",
    [
        (["ok", "fault", "ok"], "classification"),
        ([True, False, True], "classification"),
        ([0, 1, 1, 0], "classification"),
        ([1.0, 2.0, 5.0], "classification"),  # whole numbers stored as floats
        (list(range(MAX_AUTO_CLASSES)), "classification"),  # the boundary: 10 distinct
        (list(range(MAX_AUTO_CLASSES + 1)), "regression"),  # 11 distinct whole numbers
        ([0.5, 1.0, 0.5], "regression"),  # a fraction
        (["1", "2", "x"], "classification"),  # not all numbers
    ],
)
def test_detect_task_rule(values, task):
    assert detect_task(pd.Series(values))[0] == task


def test_read_table_detects_each_kind_of_class_target(fault_csv):
    table = read_table(str(fault_csv), "status", drop=["severity", "alarm"])
    assert table.task == "classification"
    assert sorted(set(table.y)) == ["fault", "ok"]
    assert "classification (target: text values); --task regression to override" in table.notes
    table = read_table(str(fault_csv), "severity", drop=["status", "alarm"])
    assert table.task == "classification" and table.y.dtype == np.int64
    assert set(table.y) == {0, 1, 2}
    assert any("whole numbers with 3 distinct values" in note for note in table.notes)
    table = read_table(str(fault_csv), "alarm", drop=["status", "severity"])
    assert table.task == "classification" and table.y.dtype == bool
    assert len(table.y) == 149 and "dropped 1 rows with a missing target" in table.notes
    # forced: the same grades as a number
    table = read_table(str(fault_csv), "severity", drop=["status"], task="regression")
    assert table.task == "regression" and table.y.dtype == np.float64
    assert "regression (--task)" in table.notes


def _split_like_the_command(table, seed=0, test_size=0.2):
    return train_test_split(
        table.X, table.y, test_size=test_size, random_state=seed, stratify=table.y
    )


def test_classification_table_scores_are_those_of_the_held_out_rows(fault_csv, tmp_path, capsys):
    from sklearn.metrics import accuracy_score, log_loss, roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    from skgiant._cli import run_csv

    model_path = tmp_path / "best.joblib"
    args = _build_parser().parse_args(
        [str(fault_csv), "--target", "status", "--drop", "severity", "alarm", "--cv", "3"]
        + ["--models", "giant", "alternating", "logistic", "--save", str(model_path)]
    )
    results = run_csv(args)
    out = capsys.readouterr().out
    for text in (
        "CV log loss",
        "CV acc",
        "test AUC",
        "GiantStepClassifier",
        "AlternatingOLSReLUClassifier",
        "LogisticRegression",
        "3-fold stratified cross-validation",
        "Best by cross-validated log loss",
        "2 classes: fault (",
    ):
        assert text in out
    losses = [r["cv_mean"] for r in results]
    assert losses == sorted(losses)  # best (least log loss) first
    table = read_table(str(fault_csv), "status", drop=["severity", "alarm"])
    X_tr, X_te, y_tr, y_te = _split_like_the_command(table)
    for r in results:
        search = r["search"]
        assert isinstance(search.cv, StratifiedKFold)
        # the CV log loss is a loss (positive), the mean over folds of the chosen point
        i = search.best_index_
        assert r["cv_mean"] == pytest.approx(-search.cv_results_["mean_test_log loss"][i])
        assert r["cv_mean"] > 0
        if r is results[0]:
            continue  # --save refitted the best pipeline on every row
        model = search.best_estimator_
        P = model.predict_proba(X_te)
        assert r["test_scores"]["log loss"] == pytest.approx(
            log_loss(y_te, P, labels=model.classes_)
        )
        assert r["test_scores"]["accuracy"] == pytest.approx(
            accuracy_score(y_te, model.predict(X_te))
        )
        auc = roc_auc_score(y_te == model.classes_[1], P[:, 1])
        assert r["test_scores"]["ROC AUC"] == pytest.approx(auc)
    assert all(r["test_scores"]["accuracy"] > 0.8 for r in results)
    saved = joblib.load(model_path)  # takes the raw columns, predicts the text labels
    frame = pd.read_csv(fault_csv)
    assert set(saved.predict(frame)) <= {"fault", "ok"}
    assert saved.score(frame.drop(columns=["status"]), frame["status"]) > 0.85


def test_task_flag_forces_either_task(fault_csv, capsys):
    base = [str(fault_csv), "--cv", "2", "--no-grid", "--models", "linear"]
    # severity (0, 1, 2) is detected as classes; --task regression predicts it as a number
    assert main([*base, "--target", "severity", "--drop", "status", "alarm"]) == 0
    out = capsys.readouterr().out
    assert "LogisticRegression" in out and "CV log loss" in out
    args = [*base, "--target", "severity", "--drop", "status", "alarm", "--task", "regression"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "RidgeCV" in out and "CV R2" in out and "regression (--task)" in out
    # temperature has fractions (regression by default); forced to classes it has one
    # class per value, which cross-validation cannot split: a clear error
    args = [*base, "--target", "temperature", "--drop", "status", "--task", "classification"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "has a single row" in err and "Traceback" not in err


@pytest.mark.parametrize(
    "edit, args, message",
    [
        # every row the same class
        (lambda f: f.assign(status="ok"), [], "target column 'status' has a single class (ok)"),
        # a class of 2 rows: too few for 3 folds after holding out test rows
        (
            lambda f: f.assign(status=["rare"] * 2 + ["ok"] * (len(f) - 2)),
            ["--cv", "3", "--test-size", "0"],
            "class rare has 2 training rows, fewer than the 3 cross-validation folds",
        ),
    ],
)
def test_bad_class_targets_are_one_clear_line(fault_csv, tmp_path, capsys, edit, args, message):
    frame = edit(pd.read_csv(fault_csv).drop(columns=["severity", "alarm"]))
    path = tmp_path / "edited.csv"
    frame.to_csv(path, index=False)
    args = [a.format(tmp=tmp_path) for a in args]
    assert main([str(path), "--target", "status", "--models", "linear", *args]) == 2
    captured = capsys.readouterr()
    assert message in captured.err
    assert captured.err.count("\n") == 1 and "Traceback" not in captured.err
    assert "Best by" not in captured.out and not (tmp_path / "best.onnx").exists()


def test_demo_replaces_a_missing_classification_set(capsys, monkeypatch):
    import skgiant.__main__ as demo

    shown = []
    monkeypatch.setattr(demo, "available_class_datasets", lambda: ("breast_cancer",))
    monkeypatch.setattr(demo, "available_dev_datasets", lambda: ("diabetes",))
    monkeypatch.setattr(demo, "compare", lambda name, seed=0: shown.append(name))
    assert main([]) == 0
    assert shown == ["diabetes", "breast_cancer"]
    out = capsys.readouterr().out
    assert "skipping friedman1, weather" in out and "replacing pima by breast_cancer" in out


def test_task_needs_a_csv(capsys):
    with pytest.raises(SystemExit):
        main(["--task", "classification"])
    assert "--task needs a CSV file" in capsys.readouterr().err


def test_demo_shows_a_classification_set(capsys, monkeypatch):
    import skgiant.__main__ as demo

    models = demo._class_models

    def small_models(seed):
        out = models(seed)
        for model in out.values():
            if hasattr(model, "n_hidden"):
                model.set_params(n_hidden=16)
            if hasattr(model, "hidden_layer_sizes"):
                model.set_params(hidden_layer_sizes=(8,), max_iter=50)
        return out

    monkeypatch.setattr(demo, "_class_models", small_models)
    # pima with the bench extra, breast_cancer (shipped with scikit-learn) without it
    assert "pima" in demo.DEMO_DATASETS and demo.DEMO_FALLBACK["pima"] == "breast_cancer"
    rows = demo.compare("breast_cancer")
    out = capsys.readouterr().out
    assert "breast_cancer: 426 training rows, 143 test rows, 30 features, 2 classes" in out
    assert "accuracy" in out and "log loss" in out
    labels = [r[0] for r in rows]
    assert labels[:3] == [
        "GiantStepClassifier",
        "AlternatingOLSReLUClassifier",
        "LogisticRegression",
    ]
    assert labels[3].startswith("MLPClassifier")
    # probabilities of the right classes: accuracy and log loss far from those of the class
    # shares (0.63 and 0.66), even at these test-sized widths
    for _, accuracy, loss, seconds in rows:
        assert accuracy > 0.85 and loss < 0.4 and seconds > 0
