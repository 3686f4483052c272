"""The fits the golden-master test pins down (see ``tests/test_golden.py``).

``make_golden.py`` writes ``predictions.npz`` from these settings; the test refits them
and compares. Each entry: data set, number of training rows, estimator class name and
parameters. Inputs are standardized with ``StandardScaler`` first, as the protocol does,
and predictions are taken on the training rows.
"""

import warnings

import numpy as np
from sklearn.preprocessing import StandardScaler

from skgiant import AlternatingOLSReLURegressor, GiantStepRegressor
from skgiant._alternating_regressor import PUBLISHED_PARAMS
from skgiant._devdata import load_dev_dataset
from skgiant._giant_regressor import THEORY_PARAMS

SETTINGS = {
    "giant_fixed_step": (
        "diabetes",
        None,
        GiantStepRegressor,
        dict(n_hidden=256, step_size=1.0, linear_readout=False, random_state=0),
    ),
    "giant_two_refit_steps_fixed_alpha": (
        "friedman1",
        1500,
        GiantStepRegressor,
        dict(n_hidden=256, n_steps=2, step_size=2.0, alpha=1e-3, random_state=1),
    ),
    "giant_theory_frozen": (
        "friedman1",
        1200,
        GiantStepRegressor,
        dict(
            n_hidden=128,
            n_steps=3,
            batch_size=400,
            step_size=1.0,
            alpha=1e-2,
            random_state=2,
            **THEORY_PARAMS,
        ),
    ),  # fmt: skip
    "alternating_default": (
        "diabetes",
        None,
        AlternatingOLSReLURegressor,
        dict(random_state=0),
    ),
    "alternating_published": (
        "friedman1",
        800,
        AlternatingOLSReLURegressor,
        dict(PUBLISHED_PARAMS, n_hidden=16, max_iter=8, alpha=1e-3 / 800, random_state=0),
    ),  # fmt: skip
    "alternating_cg": (
        "friedman1",
        1000,
        AlternatingOLSReLURegressor,
        dict(n_hidden=16, max_iter=5, solver="cg", random_state=3),
    ),
}


def fit_predict(name):
    """Fit the setting ``name`` and return its predictions on its training rows."""
    dataset, n_rows, Estimator, params = SETTINGS[name]
    X, y, _ = load_dev_dataset(dataset, max_samples=n_rows, random_state=0)
    X = StandardScaler().fit_transform(X)
    with warnings.catch_warnings():  # short fits stop at max_iter on purpose
        warnings.simplefilter("ignore")
        model = Estimator(**params).fit(X, y)
    return np.asarray(model.predict(X), dtype=np.float64)
