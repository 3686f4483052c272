"""Golden master: refactoring must not change the fitted models.

``tests/golden/predictions.npz`` holds the predictions of the fits in
``tests/golden/settings.py``, written by ``tests/golden/make_golden.py`` from the code
before the solver-layer restructuring. A refactoring keeps them to 1e-8 relative; a
deliberate change of the models regenerates the file and says so here.

History of deliberate regenerations: none yet.
"""

import sys
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose
from threadpoolctl import threadpool_limits

GOLDEN = Path(__file__).resolve().parent / "golden"
sys.path.insert(0, str(GOLDEN))
from settings import SETTINGS, fit_predict  # noqa: E402


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_predictions_match_golden_master(name):
    expected = np.load(GOLDEN / "predictions.npz")[name]
    with threadpool_limits(limits=1):
        got = fit_predict(name)
    scale = np.abs(expected).max()
    assert_allclose(got, expected, rtol=1e-8, atol=1e-8 * scale)
