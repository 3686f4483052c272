"""The CSV command of ``python -m skgiant data.csv --target col``.

Every model (both estimators, MLPRegressor, random Fourier features + ridge, ridge,
gradient boosting) is tuned on a small grid by cross-validation inside one preprocessing
pipeline (median imputation, scaling, one-hot encoding of text columns); the table shows
the cross-validated R², the R² on held-out rows, the fit time and the chosen settings.
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

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.kernel_approximation import RBFSampler
from sklearn.linear_model import RidgeCV
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from . import AlternatingOLSReLURegressor, GiantStepRegressor
from ._devdata import DEV_DATASETS

#: Text columns with at most this many distinct values are one-hot encoded by default.
_MAX_CATEGORIES = 30
#: Default cap on the rows used (a random subset beyond), to keep the run to minutes.
_MAX_ROWS = 5_000
CSV_MODELS = ("giant", "alternating", "mlp", "rff", "ridge", "hgb")


class CommandError(Exception):
    """A problem with the user's input, reported as one line without a traceback."""


def _csv_models(n_features, seed):
    """``{key: (label, estimator, small grid)}``; grid keys are the estimator's parameters."""
    from sklearn.ensemble import HistGradientBoostingRegressor

    gammas = [0.3 / n_features, 1.0 / n_features, 3.0 / n_features]
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
            {"rbfsampler__gamma": gammas},
        ),
        "ridge": ("RidgeCV", RidgeCV(alphas=np.logspace(-3, 3, 13)), {}),
        "hgb": (
            "HistGradientBoostingRegressor",
            HistGradientBoostingRegressor(random_state=seed),
            {"learning_rate": [0.05, 0.1]},
        ),
    }


def read_table(
    path, target, *, drop=(), max_rows=_MAX_ROWS, max_categories=_MAX_CATEGORIES, seed=0
):
    """Read a CSV file into ``(X, y, numeric, categorical, notes)``.

    ``X`` is a pandas DataFrame of the feature columns, ``y`` a float64 array, ``numeric``
    and ``categorical`` the column names of each kind, ``notes`` the lines telling the user
    what was done to the data (rows dropped or sampled, columns encoded). Raises
    :class:`CommandError` with a readable message for every problem with the input.
    """
    try:
        import pandas as pd
    except ImportError as exc:  # pragma: no cover - pandas is in the test extra
        raise CommandError("reading a CSV needs pandas: pip install pandas") from exc
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
    notes = []
    columns = [str(c) for c in frame.columns]
    frame.columns = columns
    if target not in columns:
        raise CommandError(
            f"target column {target!r} is not in {path}; its columns are: {', '.join(columns)}"
        )
    unknown = sorted(set(drop) - set(columns))
    if unknown:
        raise CommandError(f"--drop: no column named {', '.join(map(repr, unknown))} in {path}")
    raw_target = frame[target]
    y = pd.to_numeric(raw_target, errors="coerce")
    bad = raw_target.notna() & y.isna()
    if bad.any():
        examples = ", ".join(repr(v) for v in raw_target[bad].astype(str).unique()[:3])
        raise CommandError(
            f"target column {target!r} is not numeric (values such as {examples}); the "
            "estimators are regressors and need a numeric target"
        )
    missing_y = int(y.isna().sum())
    if missing_y:
        notes.append(f"dropped {missing_y} rows with a missing target")
    keep = y.notna().to_numpy()
    frame, y = frame.loc[keep].drop(columns=[target, *drop]), y[keep].to_numpy(dtype=np.float64)
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
    if np.ptp(y) == 0:
        raise CommandError(f"target column {target!r} is constant: there is nothing to predict")
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
    return frame, y, numeric, categorical, notes


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


def compare_csv(
    X,
    y,
    numeric,
    categorical,
    *,
    models=CSV_MODELS,
    cv=5,
    test_size=0.2,
    grid=True,
    seed=0,
    n_jobs=None,
    out=None,
):
    """Tune and score each model; return a list of result dicts (best CV R² first)."""
    out = sys.stdout if out is None else out
    from sklearn.model_selection import GridSearchCV, KFold

    if test_size > 0:
        X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=test_size, random_state=seed)
    else:
        X_tr, X_te, y_tr, y_te = X, None, y, None
    if len(y_tr) < 2 * cv:
        raise CommandError(
            f"only {len(y_tr)} training rows for {cv}-fold cross-validation; lower --cv or "
            "--test-size, or use more rows"
        )
    n_features = len(numeric) + sum(X[c].nunique() for c in categorical)
    folds = KFold(cv, shuffle=True, random_state=seed)
    print(
        f"{len(y_tr)} rows for {cv}-fold cross-validation"
        + (f", {len(y_te)} held-out test rows" if y_te is not None else "")
        + f", {len(numeric) + len(categorical)} feature columns",
        file=out,
    )
    header = f"  {'model':30s} {'CV R2':>15s} {'test R2':>8s} {'fit (s)':>8s}  chosen settings"
    print(header, file=out, flush=True)
    specs = _csv_models(max(n_features, 1), seed)
    results = []
    for key in models:
        label, estimator, params = specs[key]
        pipe = Pipeline([("prep", _preprocessor(numeric, categorical)), ("model", estimator)])
        params = {f"model__{k}": v for k, v in params.items()} if grid else {}
        search = GridSearchCV(
            pipe, params, cv=folds, scoring="r2", n_jobs=n_jobs, error_score="raise"
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
        for attr, name in (("alpha_", "alpha_"), ("step_size_", "step_size_")):
            if hasattr(fitted, attr):
                chosen[name] = float(getattr(fitted, attr))
        row = dict(
            key=key,
            model=label,
            cv_mean=float(search.cv_results_["mean_test_score"][i]),
            cv_std=float(search.cv_results_["std_test_score"][i]),
            test=float(search.score(X_te, y_te)) if y_te is not None else float("nan"),
            fit_time=float(search.cv_results_["mean_fit_time"][i]),
            search_time=total,
            params=chosen,
            convergence_warnings=n_warn,
            search=search,
        )
        results.append(row)
        test = f"{row['test']:8.3f}" if y_te is not None else f"{'-':>8s}"
        print(
            f"  {label:30s} {row['cv_mean']:7.3f} ± {row['cv_std']:5.3f} {test} "
            f"{row['fit_time']:8.2f}  {_describe(chosen)}",
            file=out,
            flush=True,
        )
    results.sort(key=lambda r: -r["cv_mean"])
    return results


def _plot_comparison(results, path):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise CommandError("--plot needs matplotlib: pip install matplotlib") from exc
    labels = [r["model"] for r in results][::-1]
    fig, (ax_r2, ax_time) = plt.subplots(1, 2, figsize=(11, 0.6 * len(results) + 1.8))
    pos = np.arange(len(results))
    cv = [r["cv_mean"] for r in results][::-1]
    err = [r["cv_std"] for r in results][::-1]
    ax_r2.barh(pos, cv, xerr=err, color="C0", alpha=0.7, label="CV R² (mean ± sd)")
    test = [r["test"] for r in results][::-1]
    if not np.all(np.isnan(test)):
        ax_r2.plot(test, pos, "kD", label="held-out test R²")
    ax_r2.set_yticks(pos, labels)
    ax_r2.set_xlabel("R²")
    shown = [v for v in cv + test if np.isfinite(v)]
    ax_r2.set_xlim(max(min(shown) - 0.05, -1.0), 1.0)
    ax_r2.legend(loc="lower left", fontsize="small")
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


def run_csv(args, out=None):
    """The CSV command: read, compare, print, optionally save and plot."""
    out = sys.stdout if out is None else out
    if args.save and str(args.save).lower().endswith(".onnx"):
        _require_onnx()  # before the minutes of the comparison, not after
    X, y, numeric, categorical, notes = read_table(
        args.csv,
        args.target,
        drop=args.drop,
        max_rows=args.max_rows,
        max_categories=args.max_categories,
        seed=args.seed,
    )
    print(f"{args.csv}: predicting {args.target!r} from {X.shape[1]} columns", file=out)
    for note in notes:
        print(f"  note: {note}", file=out)
    results = compare_csv(
        X,
        y,
        numeric,
        categorical,
        models=args.models,
        cv=args.cv,
        test_size=args.test_size,
        grid=not args.no_grid,
        seed=args.seed,
        n_jobs=args.n_jobs,
        out=out,
    )
    best = results[0]
    print(
        f"\nBest by cross-validated R²: {best['model']} ({best['cv_mean']:.3f}; "
        f"settings: {_describe(best['params'])})",
        file=out,
    )
    caveat = (
        "CV R² is the mean over folds of the best grid point (slightly optimistic: the same "
        "folds chose the point)"
    )
    if args.test_size > 0:
        caveat += "; test R² is measured once, on rows no model saw while tuning"
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
        "data sets and print test R² and fit time. With a CSV and --target: tune and "
        "cross-validate both estimators, MLPRegressor, random features + ridge, ridge and "
        "gradient boosting on your data and print R², fit time and the chosen settings.",
    )
    parser.add_argument("csv", nargs="?", help="CSV file with a header row (omit for the demo)")
    parser.add_argument("--target", help="name of the column to predict (required with a CSV)")
    parser.add_argument("--cv", type=int, default=5, help="cross-validation folds (default 5)")
    parser.add_argument(
        "--test-size",
        type=float,
        default=0.2,
        help="share of rows held out for a final test R² (default 0.2; 0 = none)",
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
        choices=CSV_MODELS,
        default=list(CSV_MODELS),
        help="models to compare (default: all)",
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
        choices=DEV_DATASETS,
        default=None,
        help="demo only: data sets to use (default: every one whose package is installed)",
    )
    parser.add_argument("--seed", type=int, default=0, help="split and model seed")
    return parser
