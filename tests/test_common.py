"""scikit-learn's common estimator checks for every public estimator, in one place.

Expected failures are listed here with the reason; everything else must pass.
"""

import functools
import os
import subprocess
import sys

import pytest
from sklearn.base import clone, is_classifier
from sklearn.utils.estimator_checks import (
    check_param_validation,
    check_sample_weight_equivalence_on_dense_data,
    parametrize_with_checks,
)

from skgiant import (
    AlternatingOLSReLUClassifier,
    AlternatingOLSReLURegressor,
    GiantStepClassifier,
    GiantStepFeatures,
    GiantStepRegressor,
)

# the matrix-free hidden-layer solve of the alternating estimator
MATRIX_FREE = dict(
    n_hidden=8,
    solver="cg",
    negative_slope=0.1,
    alpha=0.01,
    solver_options=dict(init_scale="standard"),
)

ESTIMATORS = [
    GiantStepRegressor(n_hidden=32),
    GiantStepRegressor(n_hidden=32, n_steps=1, step_size=0.5, alpha=0.1),
    AlternatingOLSReLURegressor(),
    AlternatingOLSReLURegressor(**MATRIX_FREE),
    GiantStepFeatures(n_hidden=16),
    GiantStepClassifier(n_hidden=32),
    AlternatingOLSReLUClassifier(),
]


def expected_failed_checks(estimator):
    """Checks an estimator is known to fail, with the reason."""
    if (
        isinstance(estimator, AlternatingOLSReLURegressor)
        and estimator.solver == "cg"
        and (estimator.solver_options or {}).get("inner_tol", 1e-6) > 1e-10
    ):
        return {
            "check_sample_weight_equivalence_on_dense_data": (
                "The matrix-free solve stops at a relative residual of inner_tol (1e-6); "
                "weighted and repeated rows give the same normal equations only up to "
                "rounding, which moves where conjugate gradients stops, and the "
                "non-smooth alternating iteration amplifies the difference. Solved "
                "tightly the check passes (test_matrix_free_weight_equivalence_when_tight)."
            )
        }
    return {}


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks)
def test_common_checks(estimator, check):
    func, keywords = check, {}
    while isinstance(func, functools.partial):
        keywords = {**func.keywords, **keywords}
        func = func.func
    if (
        func.__name__ == "check_sample_weight_equivalence_on_dense_data"
        and getattr(estimator, "step_size", None) == "auto"
    ):
        # The step size is chosen by the error on held-out folds drawn over rows, which
        # is not invariant to replacing a row of weight k by k copies (the copies can
        # land in different folds, and then shape both the steps and the score), so the
        # chosen step size can differ (0 against 8 on this check's data). Everything
        # else -- the steps, the two-penalty readout and its automatic penalties --
        # must treat weights as repeated rows: check that with the step size fixed.
        estimator = clone(estimator).set_params(step_size=1.0)
    if (
        func.__name__ == "check_sample_weight_equivalence_on_dense_data"
        and is_classifier(estimator)
        and estimator.alpha == "auto"
    ):
        # The classifiers' softmax readout chooses its penalty by log loss on held-out
        # folds dealt over rows (copies of a row can land in different folds), so the
        # chosen penalty can differ; with the penalty fixed the readout minimizes a
        # weighted log loss, where weights are repeated rows: check that.
        estimator = clone(estimator).set_params(alpha=0.01)
    if func.__name__ == "check_array_api_input":
        # scikit-learn skips this check unless SCIPY_ARRAY_API=1 is set before scipy is
        # imported, so run it in a fresh interpreter that sets it
        name = type(estimator).__name__
        code = (
            "from numpy import inf, nan\n"
            "from sklearn.utils.estimator_checks import check_array_api_input\n"
            f"from skgiant import {name}\n"
            f"check_array_api_input({name!r}, {estimator!r}, **{keywords!r})\n"
        )
        env = {**os.environ, "SCIPY_ARRAY_API": "1", "OPENBLAS_NUM_THREADS": "1"}
        done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return
    check(estimator)


@pytest.mark.parametrize(
    "Estimator",
    [
        GiantStepRegressor,
        AlternatingOLSReLURegressor,
        GiantStepFeatures,
        GiantStepClassifier,
        AlternatingOLSReLUClassifier,
    ],
)
def test_param_validation(Estimator):
    check_param_validation(Estimator.__name__, Estimator())


def test_matrix_free_weight_equivalence_when_tight():
    tight = {**MATRIX_FREE["solver_options"], "inner_tol": 1e-12, "max_inner_iter": 1000}
    estimator = AlternatingOLSReLURegressor(**{**MATRIX_FREE, "solver_options": tight})
    check_sample_weight_equivalence_on_dense_data(type(estimator).__name__, estimator)


def test_giant_step_features_weight_equivalence_with_fixed_settings():
    # one full-batch step: with several steps the fresh batches are drawn by rows, and k
    # repeated copies of a row do not land in the same batch as one row of weight k
    estimator = GiantStepFeatures(n_hidden=16, n_steps=1, step_size=0.5, alpha=0.1)
    check_sample_weight_equivalence_on_dense_data("GiantStepFeatures", estimator)
