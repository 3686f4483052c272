"""Sample weights read through summaries and small lookups (skgiant._weights): every
answer equals the one computed from the full vector of weights."""

import numpy as np
import pytest

from skgiant._base import check_weights
from skgiant._blocks import RowData
from skgiant._weights import DenseWeights, UnitWeights, as_row_weights, callback_weights


def _with_zeros(n=500, seed=0):
    w = np.random.default_rng(seed).uniform(0.0, 3.0, size=n)
    w[::4] = 0.0
    return w


@pytest.mark.parametrize("cap", [10, 374, 375, 1000])
def test_dense_weights_answer_as_the_vector(cap):
    w = _with_zeros()
    weights = DenseWeights(w)
    weighted = np.flatnonzero(w > 0)  # 375 rows
    assert (weights.n, weights.n_weighted) == (500, len(weighted))
    assert weights.total == w.sum() and weights.largest == w.max() and weights.smallest == 0
    np.testing.assert_array_equal(weights.at([3, 7, 400]), w[[3, 7, 400]])
    np.testing.assert_array_equal(weights.at(slice(10, 20)), w[10:20])
    np.testing.assert_array_equal(weights.weighted_rows(), weighted)
    np.testing.assert_array_equal(weights.positions([0, 9, 374]), weighted[[0, 9, 374]])
    expected = weighted
    if len(weighted) > cap:  # the draw the solvers made from the vector itself
        expected = np.sort(np.random.default_rng(0).choice(weighted, cap, replace=False))
    np.testing.assert_array_equal(weights.sample_weighted(cap), expected)
    np.testing.assert_array_equal(weights.subset([1, 4, 5]).array(), w[[1, 4, 5]])


@pytest.mark.parametrize("seed", [0, [7, 0]])
def test_unit_weights_answer_as_a_vector_of_ones(seed):
    n = 300
    unit, ones = UnitWeights(n), DenseWeights(np.ones(n))
    for name in ("n", "total", "largest", "smallest", "n_weighted", "finite"):
        assert getattr(unit, name) == getattr(ones, name)
    for rows in ([0, 5, 299], slice(10, 40), slice(0, n)):
        np.testing.assert_array_equal(unit.at(rows), ones.at(rows))
    np.testing.assert_array_equal(unit.weighted_rows(), ones.weighted_rows())
    np.testing.assert_array_equal(unit.positions([3, 8]), [3, 8])
    for cap in (17, 299, 300, 5000):
        np.testing.assert_array_equal(
            unit.sample_weighted(cap, seed=seed), ones.sample_weighted(cap, seed=seed)
        )
    assert unit.subset([4, 9, 11]).n == 3 and unit.subset([4, 9, 11]).total == 3.0
    assert unit.metadata() is None and callback_weights(unit) is None


def test_row_data_wraps_arrays_and_reads_blocks_through_the_weights():
    rng = np.random.default_rng(1)
    X, Y, w = rng.normal(size=(50, 2)), rng.normal(size=(50, 1)), _with_zeros(50)
    data = RowData(X, Y, w, chunk=7)
    assert isinstance(data.weights, DenseWeights) and data.weight_sum == w.sum()
    total = data.reduce(lambda block: block.weight.sum())[0]
    assert total == pytest.approx(w.sum(), rel=1e-14)
    np.testing.assert_array_equal(data.take([2, 9]).weights.array(), w[[2, 9]])
    unit = RowData(X, Y, UnitWeights(50), chunk=7)
    assert unit.reduce(lambda block: block.weight.sum())[0] == 50.0
    assert as_row_weights(unit.weights) is unit.weights


@pytest.mark.parametrize(
    "weights, match",
    [
        (DenseWeights(np.array([1.0, np.nan, 1.0])), "NaN or infinity"),
        (DenseWeights(np.array([1.0, -1.0, 1.0])), "Negative values"),
        (DenseWeights(np.array([1e308, 1e308, 1.0])), "sums to infinity"),
        (DenseWeights(np.array([0.0, 0.0, 1.0])), "at least 2 samples"),
        (UnitWeights(1), "at least 2 samples"),
    ],
)
def test_check_weights_refuses_bad_weights_of_any_kind(weights, match):
    class Estimator:
        pass

    with pytest.raises(ValueError, match=match):
        check_weights(Estimator(), weights, 2)
    check_weights(Estimator(), UnitWeights(2), 2)  # fine
