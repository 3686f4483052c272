"""The CSV command of ``python -m skgiant data.csv --target col``.

The target decides the task (:func:`detect_task`; ``--task`` forces one). Regression: both
regressors, MLPRegressor, random Fourier features + ridge, ridge and gradient boosting;
classification: both classifiers, MLPClassifier, random Fourier features + logistic
regression, logistic regression and gradient boosting. Every model is tuned on a small
grid by cross-validation (stratified folds for classification) inside one preprocessing
pipeline (median imputation, scaling, one-hot encoding of text columns); the table shows
the cross-validated scores (R²; or log loss, accuracy and one-vs-rest ROC AUC), the same
scores on held-out rows, the fit time and the chosen settings.
``--save`` stores the best pipeline (refitted on every row; an ONNX graph for a path
ending in ``.onnx``), ``--plot`` a PNG.
:func:`skgiant.__main__.main` parses the arguments (:func:`_build_parser`, shared with the
demo) and calls :func:`run_csv`.
"""

import argparse
import os
import sys
import time
import warnings
from typing import NamedTuple

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.kernel_approximation import RBFSampler
from sklearn.linear_model import LogisticRegression, RidgeCV
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from . import (
    AlternatingOLSReLUClassifier,
    AlternatingOLSReLURegressor,
    GiantStepClassifier,
    GiantStepRegressor,
)
from ._devdata import CLASS_DEV_DATASETS, DEV_DATASETS

#: Text columns with at most this many distinct values are one-hot encoded by default.
_MAX_CATEGORIES = 30
#: Default cap on the rows used (a random subset beyond), to keep the run to minutes.
_MAX_ROWS = 5_000
#: With ``--task auto``, a numeric target of whole numbers with at most this many distinct
#: values (0/1 flags, ratings 1-5, digit labels 0-9) is read as class labels.
MAX_AUTO_CLASSES = 10
TASKS = ("auto", "regression", "classification")
#: ``--models`` keys; "linear" is RidgeCV for regression and LogisticRegression for
#: classification ("ridge" and "logistic" are accepted as its names).
CSV_MODELS = ("giant", "alternating", "mlp", "rff", "linear", "hgb")
_MODEL_ALIASES = {"ridge": "linear", "logistic": "linear"}


class CommandError(Exception):
    """A problem with the user's input, reported as one line without a traceback."""


def _gammas(n_features):
    return [0.3 / n_features, 1.0 / n_features, 3.0 / n_features]


def _regression_models(n_features, seed):
    """``{key: (label, estimator, small grid)}``; grid keys are the estimator's parameters."""
    from sklearn.ensemble import HistGradientBoostingRegressor

    return {
        "giant": (
            "GiantStepRegressor",
            GiantStepRegressor(n_hidden=512, random_state=seed),
            {"n_steps": [1, 2]},
        ),
        "alternating": (
            "AlternatingOLSReLURegressor",
            AlternatingOLSReLURegressor(early_stopping=True, random_state=seed),
            {"n_hidden": [16, 32]},
        ),
        "mlp": (
            "MLPRegressor",
            MLPRegressor(early_stopping=True, max_iter=500, random_state=seed),
            {"alpha": [1e-4, 1e-2]},
        ),
        "rff": (
            "RBFSampler(512) + RidgeCV",
            make_pipeline(
                RBFSampler(n_components=512, random_state=seed),
                RidgeCV(alphas=np.logspace(-6, 3, 19)),
            ),
            {"rbfsampler__gamma": _gammas(n_features)},
        ),
        "linear": ("RidgeCV", RidgeCV(alphas=np.logspace(-3, 3, 13)), {}),
        "hgb": (
            "HistGradientBoostingRegressor",
            HistGradientBoostingRegressor(random_state=seed),
            {"learning_rate": [0.05, 0.1]},
        ),
    }


def _classification_models(n_features, seed):
    """The classifiers of :func:`_regression_models`' roles, with their small grids."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    return {
        "giant": (
            "GiantStepClassifier",
            GiantStepClassifier(n_hidden=512, random_state=seed),
            {"n_steps": [1, 2]},
        ),
        "alternating": (
            "AlternatingOLSReLUClassifier",
            AlternatingOLSReLUClassifier(early_stopping=True, random_state=seed),
            {"n_hidden": [16, 32]},
        ),
        "mlp": (
            "MLPClassifier",
            MLPClassifier(early_stopping=True, max_iter=500, random_state=seed),
            {"alpha": [1e-4, 1e-2]},
        ),
        "rff": (
            "RBFSampler(512) + LogisticRegression",
            make_pipeline(
                RBFSampler(n_components=512, random_state=seed),
                LogisticRegression(max_iter=1000),
            ),
            {"rbfsampler__gamma": _gammas(n_features), "logisticregression__C": [0.1, 1.0, 10.0]},
        ),
        "linear": (
            "LogisticRegression",
            LogisticRegression(max_iter=1000),
            {"C": [0.01, 0.1, 1.0, 10.0, 100.0]},
        ),
        "hgb": (
            "HistGradientBoostingClassifier",
            HistGradientBoostingClassifier(random_state=seed),
            {"learning_rate": [0.05, 0.1]},
        ),
    }


class _Metric(NamedTuple):
    name: str  # what the table and the messages call it
    scorer: str  # scikit-learn scorer name
    sign: float  # the score is ``sign * scorer``, so log loss reads as a loss
    width: int  # table column width of the cross-validated value


#: Per task: the metrics, the first of which chooses the grid point and ranks the models.
_METRICS = {
    "regression": (_Metric("R2", "r2", 1.0, 15),),
    "classification": (
        _Metric("log loss", "neg_log_loss", -1.0, 15),
        _Metric("accuracy", "accuracy", 1.0, 8),
        _Metric("ROC AUC", "roc_auc_ovr", 1.0, 8),
    ),
}


def _is_bool(values):
    """True for a boolean column (pandas reads one with gaps as objects True/False)."""
    import pandas as pd

    if pd.api.types.is_bool_dtype(values):
        return True
    return values.dtype == object and all(isinstance(v, bool | np.bool_) for v in values)


def detect_task(values):
    """Which task a target column asks for: ``(task, reason)``.

    The rule of ``--task auto``, on the non-missing values: booleans and any value that is
    not a number make class labels; numbers make class labels when they are all whole
    numbers with at most :data:`MAX_AUTO_CLASSES` distinct values, and a regression
    target otherwise.

    Parameters
    ----------
    values : pandas.Series
        The target column without its missing values.

    Returns
    -------
    task : {"regression", "classification"}
    reason : str
        Why, in words for the user.
    """
    import pandas as pd

    if _is_bool(values):
        return "classification", "true/false values"
    numbers = pd.to_numeric(values, errors="coerce")
    if numbers.isna().any():
        return "classification", "text values"
    n_distinct = numbers.nunique()
    if not np.all(numbers == np.round(numbers)):
        return "regression", "numbers with fractions"
    if n_distinct <= MAX_AUTO_CLASSES:
        return "classification", f"whole numbers with {n_distinct} distinct values"
    return "regression", f"whole numbers with {n_distinct} (> {MAX_AUTO_CLASSES}) distinct values"


def _class_labels(values):
    """The class labels of a target column: booleans, integers for whole numbers, floats
    for other numbers, strings otherwise."""
    import pandas as pd

    if _is_bool(values):
        return values.astype(bool).to_numpy()
    numbers = pd.to_numeric(values, errors="coerce")
    if numbers.isna().any():
        return values.astype(str).to_numpy(dtype=object)
    if np.all(numbers == np.round(numbers)):
        return numbers.to_numpy(dtype=np.int64)
    return numbers.to_numpy(dtype=np.float64)


def _describe_classes(y):
    labels, counts = np.unique(y, return_counts=True)
    shown = ", ".join(
        f"{label!s} ({count})" for label, count in zip(labels[:10], counts[:10], strict=True)
    )
    return f"{len(labels)} classes: {shown}" + (", ..." if len(labels) > 10 else "")


class Table(NamedTuple):
    """What :func:`read_table` returns."""

    X: object  # pandas DataFrame of the feature columns
    y: np.ndarray  # float64 (regression) or the class labels
    numeric: list
    categorical: list
    notes: list  # lines telling the user what was done to the data
    task: str  # "regression" or "classification"


def _read_target(raw_target, target, task):
    """``(task, y, notes)`` of a target column (NaN where it is missing)."""
    import pandas as pd

    present = raw_target.dropna()
    if task == "auto":
        if len(present) == 0:
            raise CommandError(f"target column {target!r} has no values")
        task, reason = detect_task(present)
        other = "classification" if task == "regression" else "regression"
        notes = [f"{task} (target: {reason}); --task {other} to override"]
    else:
        notes = [f"{task} (--task)"]
    if task == "classification":
        y = pd.Series(np.nan, index=raw_target.index, dtype=object)
        if len(present):
            y[present.index] = _class_labels(present)
        return task, y, notes
    y = pd.to_numeric(raw_target, errors="coerce")
    bad = raw_target.notna() & y.isna()
    if bad.any() or _is_bool(present):
        examples = ", ".join(repr(v) for v in raw_target[bad].astype(str).unique()[:3])
        examples = examples or "True, False"
        raise CommandError(
            f"target column {target!r} is not numeric (values such as {examples}); "
            "regression needs a numeric target: use --task classification (or auto) to "
            "predict its classes"
        )
    return task, y, notes


def read_table(
    path,
    target,
    *,
    drop=(),
    max_rows=_MAX_ROWS,
    max_categories=_MAX_CATEGORIES,
    seed=0,
    task="auto",
):
    """Read a CSV file into a :class:`Table` ``(X, y, numeric, categorical, notes, task)``.

    ``X`` is a pandas DataFrame of the feature columns, ``y`` a float64 array (regression)
    or an array of class labels (classification), ``numeric`` and ``categorical`` the
    column names of each kind, ``notes`` the lines telling the user what was done to the
    data (task chosen, rows dropped or sampled, columns encoded), ``task`` the task:
    ``task="auto"`` decides it with :func:`detect_task`. Raises :class:`CommandError`
    with a readable message for every problem with the input.
    """
    try:
        import pandas as pd
    except ImportError as exc:  # pragma: no cover - pandas is in the test extra
        raise CommandError("reading a CSV needs pandas: pip install pandas") from exc
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, got {task!r}")
    if not os.path.exists(path):
        raise CommandError(f"file not found: {path}")
    if os.path.isdir(path):
        raise CommandError(f"{path} is a directory, not a CSV file")
    try:
        frame = pd.read_csv(path)
    except pd.errors.EmptyDataError as exc:
        raise CommandError(f"{path} is empty") from exc
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise CommandError(f"could not parse {path} as CSV: {exc}") from exc
    columns = [str(c) for c in frame.columns]
    frame.columns = columns
    if target not in columns:
        raise CommandError(
            f"target column {target!r} is not in {path}; its columns are: {', '.join(columns)}"
        )
    unknown = sorted(set(drop) - set(columns))
    if unknown:
        raise CommandError(f"--drop: no column named {', '.join(map(repr, unknown))} in {path}")
    task, y, notes = _read_target(frame[target], target, task)
    missing_y = int(y.isna().sum())
    if missing_y:
        notes.append(f"dropped {missing_y} rows with a missing target")
    keep = y.notna().to_numpy()
    frame = frame.loc[keep].drop(columns=[target, *drop])
    y = y[keep].to_numpy(dtype=np.float64 if task == "regression" else None)
    if task == "classification" and len(y):
        y = _class_labels(pd.Series(y))
    if drop:
        notes.append(f"ignored column(s) {', '.join(drop)} (--drop)")
    if frame.shape[1] == 0:
        raise CommandError("no feature columns left besides the target")
    if len(y) > max_rows:
        rows = np.sort(np.random.default_rng(seed).choice(len(y), max_rows, replace=False))
        frame, y = frame.iloc[rows], y[rows]
        notes.append(f"used a random subset of {max_rows} of {int(keep.sum())} rows (--max-rows)")
    if len(y) == 0:
        raise CommandError(f"target column {target!r} has no values")
    if task == "regression" and np.ptp(y) == 0:
        raise CommandError(f"target column {target!r} is constant: there is nothing to predict")
    if task == "classification":
        classes = np.unique(y)
        if len(classes) < 2:
            raise CommandError(
                f"target column {target!r} has a single class ({classes[0]!s}): there is "
                "nothing to predict"
            )
        notes.append(_describe_classes(y))
    numeric, categorical, too_many = [], [], []
    for column in frame.columns:
        values = frame[column]
        if pd.api.types.is_bool_dtype(values):
            frame[column] = values.astype(np.float64)
            numeric.append(column)
        elif pd.api.types.is_numeric_dtype(values):
            numeric.append(column)
        elif values.nunique(dropna=True) <= max_categories:
            frame[column] = values.astype(object)
            categorical.append(column)
        else:
            too_many.append(f"{column} ({values.nunique(dropna=True)} distinct values)")
    if too_many:
        raise CommandError(
            f"non-numeric feature column(s) with more than {max_categories} distinct values: "
            f"{', '.join(too_many)}. Convert them to numbers, drop them with --drop, or raise "
            "--max-categories to one-hot encode them"
        )
    if categorical:
        notes.append(f"one-hot encoded non-numeric column(s): {', '.join(categorical)}")
    n_missing = int(frame.isna().sum().sum())
    if n_missing:
        notes.append(
            f"{n_missing} missing feature values: imputed inside each fit (median for numbers, "
            "most frequent level for text)"
        )
    return Table(frame, y, numeric, categorical, notes, task)


def _preprocessor(numeric, categorical):
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.preprocessing import OneHotEncoder

    parts = []
    if numeric:
        parts.append(
            ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric)
        )
    if categorical:
        encoder = OneHotEncoder(handle_unknown="ignore", sparse_output=False)
        parts.append(
            ("cat", make_pipeline(SimpleImputer(strategy="most_frequent"), encoder), categorical)
        )
    return ColumnTransformer(parts)


def _describe(params):
    def fmt(value):
        return f"{value:.3g}" if isinstance(value, float) else str(value)

    return ", ".join(f"{k.split('__')[-1]}={fmt(v)}" for k, v in params.items()) or "-"


def _split(X, y, task, test_size, seed):
    """``(X_train, X_test, y_train, y_test)``, stratified by class for classification."""
    if test_size == 0:
        return X, None, y, None
    if task == "classification":
        labels, counts = np.unique(y, return_counts=True)
        if counts.min() < 2:
            raise CommandError(
                f"class {labels[np.argmin(counts)]!s} has a single row: it cannot be in both "
                "the training and the held-out rows; use --test-size 0 or drop its row"
            )
    try:
        return train_test_split(
            X,
            y,
            test_size=test_size,
            random_state=seed,
            stratify=y if task == "classification" else None,
        )
    except ValueError as exc:  # e.g. fewer held-out rows than classes
        raise CommandError(
            f"could not hold out --test-size {test_size} of the rows: {exc}"
        ) from exc


def _folds(y_tr, task, cv, seed):
    from sklearn.model_selection import KFold, StratifiedKFold

    if len(y_tr) < 2 * cv:
        raise CommandError(
            f"only {len(y_tr)} training rows for {cv}-fold cross-validation; lower --cv or "
            "--test-size, or use more rows"
        )
    if task == "regression":
        return KFold(cv, shuffle=True, random_state=seed)
    labels, counts = np.unique(y_tr, return_counts=True)
    if counts.min() < cv:
        raise CommandError(
            f"class {labels[np.argmin(counts)]!s} has {counts.min()} training rows, fewer than "
            f"the {cv} cross-validation folds (each fold needs every class); lower --cv, "
            "merge rare classes, or use --task regression for a numeric target"
        )
    return StratifiedKFold(cv, shuffle=True, random_state=seed)


_SHORT = {"R2": "R2", "log loss": "loss", "accuracy": "acc", "ROC AUC": "AUC"}


def _test_width(metric):
    return max(8, len("test " + _SHORT[metric.name]))


def _format_row(row, metrics, has_test):
    """The table cells of one result: CV mean ± sd of the first metric, CV means of the
    others, then the held-out scores."""
    first, *others = metrics
    mean, std = row["cv"][first.name]
    cells = [f"{mean:7.3f} ± {std:5.3f}"]
    cells += [f"{row['cv'][m.name][0]:{m.width}.3f}" for m in others]
    for m in metrics:
        w = _test_width(m)
        cells.append(f"{row['test_scores'][m.name]:{w}.3f}" if has_test else f"{'-':>{w}s}")
    return " ".join(cells)


def _header(metrics):
    first, *others = metrics
    cells = [f"{'CV ' + first.name:>{first.width}s}"]
    cells += [f"{'CV ' + _SHORT[m.name]:>{m.width}s}" for m in others]
    cells += [f"{'test ' + _SHORT[m.name]:>{_test_width(m)}s}" for m in metrics]
    return " ".join(cells)


def compare_csv(
    X,
    y,
    numeric,
    categorical,
    *,
    task="regression",
    models=CSV_MODELS,
    cv=5,
    test_size=0.2,
    grid=True,
    seed=0,
    n_jobs=None,
    out=None,
):
    """Tune and score each model; return a list of result dicts, best first.

    The first metric of the task (R²; log loss for classification) chooses each model's
    grid point and ranks the models. A result holds ``cv`` (``{metric: (mean, sd)}``
    over folds), ``test_scores`` (``{metric: value}`` on the held-out rows, NaN
    without), the first metric's values again as ``cv_mean``, ``cv_std`` and ``test``,
    the mean fit time of the chosen point (``fit_time``), its settings (``params``) and
    the fitted search (``search``). Losses are reported as losses (positive).
    """
    out = sys.stdout if out is None else out
    from sklearn.metrics import get_scorer
    from sklearn.model_selection import GridSearchCV

    metrics = _METRICS[task]
    primary = metrics[0]
    X_tr, X_te, y_tr, y_te = _split(X, y, task, test_size, seed)
    folds = _folds(y_tr, task, cv, seed)
    n_features = len(numeric) + sum(X[c].nunique() for c in categorical)
    print(
        f"{len(y_tr)} rows for {cv}-fold "
        + ("stratified " if task == "classification" else "")
        + "cross-validation"
        + (f", {len(y_te)} held-out test rows" if y_te is not None else "")
        + f", {len(numeric) + len(categorical)} feature columns",
        file=out,
    )
    print(f"  {'model':36s} {_header(metrics)} {'fit (s)':>8s}  chosen settings", file=out)
    make = _classification_models if task == "classification" else _regression_models
    specs = make(max(n_features, 1), seed)
    scoring = {m.name: m.scorer for m in metrics}
    results = []
    for key in models:
        label, estimator, params = specs[key]
        pipe = Pipeline([("prep", _preprocessor(numeric, categorical)), ("model", estimator)])
        params = {f"model__{k}": v for k, v in params.items()} if grid else {}
        search = GridSearchCV(
            pipe,
            params,
            cv=folds,
            scoring=scoring,
            refit=primary.name,  # scorers are "higher is better" (log loss negated)
            n_jobs=n_jobs,
            error_score="raise",
        )
        tic = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            search.fit(X_tr, y_tr)
        total = time.perf_counter() - tic
        n_warn = sum(issubclass(w.category, ConvergenceWarning) for w in caught)
        i = search.best_index_
        chosen = dict(search.best_params_)
        fitted = search.best_estimator_.named_steps["model"]
        for attr in ("alpha_", "step_size_"):
            if hasattr(fitted, attr):
                chosen[attr] = float(getattr(fitted, attr))
        res = search.cv_results_
        cv_scores = {
            m.name: (
                float(m.sign * res[f"mean_test_{m.name}"][i]),
                float(res[f"std_test_{m.name}"][i]),
            )
            for m in metrics
        }
        test = {
            m.name: float(m.sign * get_scorer(m.scorer)(search.best_estimator_, X_te, y_te))
            if y_te is not None
            else float("nan")
            for m in metrics
        }
        row = dict(
            key=key,
            model=label,
            task=task,
            cv=cv_scores,
            test_scores=test,
            cv_mean=cv_scores[primary.name][0],
            cv_std=cv_scores[primary.name][1],
            test=test[primary.name],
            fit_time=float(res["mean_fit_time"][i]),
            search_time=total,
            params=chosen,
            convergence_warnings=n_warn,
            search=search,
        )
        results.append(row)
        print(
            f"  {label:36s} {_format_row(row, metrics, y_te is not None)} "
            f"{row['fit_time']:8.2f}  {_describe(chosen)}",
            file=out,
            flush=True,
        )
    results.sort(key=lambda r: -primary.sign * r["cv_mean"])
    return results


def _plot_comparison(results, path):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise CommandError("--plot needs matplotlib: pip install matplotlib") from exc
    metric = _METRICS[results[0]["task"]][0]
    name = "R²" if metric.name == "R2" else metric.name
    labels = [r["model"] for r in results][::-1]
    fig, (ax_score, ax_time) = plt.subplots(1, 2, figsize=(11, 0.6 * len(results) + 1.8))
    pos = np.arange(len(results))
    cv = [r["cv_mean"] for r in results][::-1]
    err = [r["cv_std"] for r in results][::-1]
    ax_score.barh(pos, cv, xerr=err, color="C0", alpha=0.7, label=f"CV {name} (mean ± sd)")
    test = [r["test"] for r in results][::-1]
    if not np.all(np.isnan(test)):
        ax_score.plot(test, pos, "kD", label=f"held-out test {name}")
    ax_score.set_yticks(pos, labels)
    ax_score.set_xlabel(name + (" (lower is better)" if metric.sign < 0 else ""))
    shown = [v for v in cv + test if np.isfinite(v)]
    if metric.sign > 0:
        ax_score.set_xlim(max(min(shown) - 0.05, -1.0), 1.0)
    else:
        ax_score.set_xlim(0.0, 1.1 * max(shown))
    ax_score.legend(loc="lower left" if metric.sign > 0 else "lower right", fontsize="small")
    ax_time.barh(pos, [r["fit_time"] for r in results][::-1], color="C1", alpha=0.7)
    ax_time.set_yticks(pos, [""] * len(results))
    ax_time.set_xscale("log")
    ax_time.set_xlabel("mean fit time per fit (s, log scale)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _require_onnx():
    """Import the ONNX export, or explain which extra is missing."""
    try:
        import onnxruntime  # noqa: F401  -- what runs the file; part of the same extra
        import skl2onnx  # noqa: F401

        from . import onnx  # noqa: F401  -- registers skgiant's converters
    except ImportError as exc:
        raise CommandError(
            f'--save to an .onnx file needs the onnx extra: pip install "skgiant[onnx]" ({exc})'
        ) from exc


def _text_missing_as_empty(model):
    """A copy of the fitted pipeline whose text imputer takes ``""`` for a missing value.

    ONNX string tensors hold no NaN, and skl2onnx converts a text imputer only when its
    missing value is a string; the imputed values (``statistics_``) are unchanged.
    """
    import copy

    model = copy.deepcopy(model)
    for name, transformer, _ in model.named_steps["prep"].transformers_:
        if name == "cat":
            transformer[0].missing_values = ""
    return model


def _save(model, path, X, numeric, label):
    """Write the fitted pipeline to ``path``; return how to load it.

    A path ending in ``.onnx`` gets an ONNX graph with one input per CSV column, named
    after it, of shape ``(n, 1)``: float32 for numbers (booleans as 0/1, NaN for a
    missing value), strings for text (``""`` for a missing value). Any other path gets
    :func:`joblib.dump`.
    """
    if not str(path).lower().endswith(".onnx"):
        import joblib

        joblib.dump(model, path)
        return "load it with joblib.load"
    import skl2onnx
    from skl2onnx.common.data_types import FloatTensorType, StringTensorType

    inputs = [
        (c, FloatTensorType([None, 1]) if c in numeric else StringTensorType([None, 1]))
        for c in X.columns
    ]
    try:
        onx = skl2onnx.to_onnx(_text_missing_as_empty(model), initial_types=inputs)
    except Exception as exc:  # skl2onnx raises several types for unsupported models
        raise CommandError(
            f"could not export the {label} pipeline to ONNX ({type(exc).__name__}: {exc}); "
            "save it to a .joblib path instead, or choose other --models"
        ) from exc
    with open(path, "wb") as f:
        f.write(onx.SerializeToString())
    return (
        "ONNX: run it with onnxruntime.InferenceSession, one input per column of shape "
        "(n, 1), float32 for numbers (booleans as 0/1, NaN if missing), strings for text "
        '("" if missing)'
    )


def _models_for(requested):
    """``--models`` values as :data:`CSV_MODELS` keys, aliases resolved, in order, once."""
    keys = [_MODEL_ALIASES.get(m, m) for m in requested]
    return list(dict.fromkeys(keys))


def run_csv(args, out=None):
    """The CSV command: read, compare, print, optionally save and plot."""
    out = sys.stdout if out is None else out
    task = getattr(args, "task", "auto")
    to_onnx = bool(args.save) and str(args.save).lower().endswith(".onnx")
    if to_onnx:
        _require_onnx()  # before the minutes of the comparison, not after
    X, y, numeric, categorical, notes, task = read_table(
        args.csv,
        args.target,
        drop=args.drop,
        max_rows=args.max_rows,
        max_categories=args.max_categories,
        seed=args.seed,
        task=task,
    )
    print(f"{args.csv}: predicting {args.target!r} from {X.shape[1]} columns", file=out)
    for note in notes:
        print(f"  note: {note}", file=out)
    results = compare_csv(
        X,
        y,
        numeric,
        categorical,
        task=task,
        models=_models_for(args.models),
        cv=args.cv,
        test_size=args.test_size,
        grid=not args.no_grid,
        seed=args.seed,
        n_jobs=args.n_jobs,
        out=out,
    )
    best = results[0]
    if task == "classification":
        name = "log loss"
        also = f"; accuracy {best['cv']['accuracy'][0]:.3f}"
        scores = "CV scores are"
    else:
        name, also, scores = "R²", "", "CV R² is"
    print(
        f"\nBest by cross-validated {name}: {best['model']} ({best['cv_mean']:.3f}{also}; "
        f"settings: {_describe(best['params'])})",
        file=out,
    )
    caveat = (
        f"{scores} the mean over folds of the best grid point (slightly optimistic: the same "
        "folds chose the point)"
    )
    if args.test_size > 0:
        caveat += (
            f"; test {'scores are' if task == 'classification' else 'R² is'} measured once, "
            "on rows no model saw while tuning"
        )
    print(caveat + ".", file=out)
    warned = [
        f"{r['model']} ({r['convergence_warnings']})" for r in results if r["convergence_warnings"]
    ]
    if warned:
        print(f"ConvergenceWarnings during the search: {', '.join(warned)}", file=out)
    if args.save:
        model = best["search"].best_estimator_
        model.fit(X, y)
        how = _save(model, args.save, X, numeric, best["model"])
        print(
            f"saved the {best['model']} pipeline, refitted on all {len(y)} rows, to "
            f"{args.save} ({how})",
            file=out,
        )
    if args.plot:
        _plot_comparison(results, args.plot)
        print(f"saved the comparison plot to {args.plot}", file=out)
    return results


def _build_parser():
    parser = argparse.ArgumentParser(
        prog="python -m skgiant",
        description="Without a CSV: fit skgiant's estimators and baselines on the development "
        "data sets and print test scores and fit times. With a CSV and --target: tune and "
        "cross-validate skgiant's two estimators, an MLP, random features + a linear model, "
        "a linear model and gradient boosting on your data and print the scores (R²; log "
        "loss, accuracy and ROC AUC for classes), fit times and the chosen settings.",
    )
    parser.add_argument("csv", nargs="?", help="CSV file with a header row (omit for the demo)")
    parser.add_argument("--target", help="name of the column to predict (required with a CSV)")
    parser.add_argument(
        "--task",
        choices=TASKS,
        default="auto",
        help="regression or classification; auto (default): classes when the target holds "
        f"text or true/false values, or whole numbers with at most {MAX_AUTO_CLASSES} "
        "distinct values",
    )
    parser.add_argument("--cv", type=int, default=5, help="cross-validation folds (default 5)")
    parser.add_argument(
        "--test-size",
        type=float,
        default=0.2,
        help="share of rows held out for final test scores (default 0.2; 0 = none)",
    )
    parser.add_argument(
        "--max-rows",
        type=int,
        default=_MAX_ROWS,
        help=f"use a random subset of at most this many rows (default {_MAX_ROWS})",
    )
    parser.add_argument(
        "--models",
        nargs="+",
        choices=[*CSV_MODELS, *_MODEL_ALIASES],
        default=list(CSV_MODELS),
        help="models to compare (default: all); linear is RidgeCV or LogisticRegression "
        "(ridge and logistic name it too)",
    )
    parser.add_argument("--no-grid", action="store_true", help="fit default settings only")
    parser.add_argument("--drop", nargs="+", default=[], help="columns to ignore")
    parser.add_argument(
        "--max-categories",
        type=int,
        default=_MAX_CATEGORIES,
        help="one-hot encode text columns with at most this many distinct values "
        f"(default {_MAX_CATEGORIES})",
    )
    parser.add_argument(
        "--save",
        help="save the best pipeline (refitted on all rows) here: an ONNX graph if the path "
        "ends in .onnx (needs the onnx extra), else a joblib file",
    )
    parser.add_argument("--plot", help="save a PNG of the comparison here")
    parser.add_argument("--n-jobs", type=int, default=None, help="parallel fits in the search")
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="BLAS/OpenMP threads per fit (default 1: on a busy machine more threads often "
        "make these small problems slower)",
    )
    parser.add_argument(
        "--datasets",
        nargs="+",
        choices=[*DEV_DATASETS, *CLASS_DEV_DATASETS],
        default=None,
        help="demo only: data sets to use (default: every one whose package is installed)",
    )
    parser.add_argument("--seed", type=int, default=0, help="split and model seed")
    return parser
