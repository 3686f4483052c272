"""Block moments and the row-block layer: sums do not depend on how rows are cut."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from skgiant._blocks import RowData, add_partials
from skgiant._moments import gram_kernel, moments


def _reference(Z, w):
    keep = w > 0
    Z, w = Z[keep], w[keep] / w[keep].sum()
    mean = w @ Z
    C = (Z - mean).T @ ((Z - mean) * w[:, None])
    return mean, C


@pytest.mark.parametrize("chunk", [1, 7, 50, 1000])
@pytest.mark.parametrize("scaled", [True, False])
def test_block_moments_equal_the_dense_weighted_moments(chunk, scaled):
    rng = np.random.default_rng(0)
    Z = rng.normal(size=(103, 4)) * [1.0, 10.0, 1e-3, 5.0] + [3.0, -200.0, 0.0, 1e4]
    w = rng.uniform(0.0, 3.0, size=103)
    w[::9] = 0.0  # zero-weight rows count for nothing, not even the range
    Z[::9] = 1e9
    data = RowData(Z, np.zeros((103, 1)), w, chunk=chunk)

    def kernel(block):
        return moments(block.X, block.weight, weight_scale=w.max(), scaled=scaled)

    (total,) = data.reduce(kernel)
    mean, C = _reference(Z, w)
    stats = total.gram_statistics(4, w.sum())
    assert_allclose(stats.feature_mean, mean, rtol=1e-12)
    assert_allclose(stats.gram, C, rtol=1e-10, atol=1e-12 * np.abs(C).max())
    m, s = total.mean_and_scale()
    assert_allclose(m, mean, rtol=1e-12)
    assert_allclose(s, np.sqrt(np.diag(C)), rtol=1e-10)
    assert_allclose(total.low, Z[w > 0].min(axis=0))
    assert_allclose(total.high, Z[w > 0].max(axis=0))
    assert total.count == np.count_nonzero(w)


def test_moments_stay_finite_for_huge_and_tiny_columns():
    rng = np.random.default_rng(1)
    Z = rng.normal(size=(60, 2)) * [1e200, 1e-200]
    w = np.ones(60)
    parts = [moments(Z[i : i + 7], w[i : i + 7]) for i in range(0, 60, 7)]
    total = parts[0]
    for part in parts[1:]:
        total = total + part
    mean, scale = total.mean_and_scale()
    unit = Z / [1e200, 1e-200]  # the reference in units where nothing overflows
    assert_allclose(scale / [1e200, 1e-200], unit.std(axis=0), rtol=1e-10)
    assert_allclose(mean / [1e200, 1e-200], unit.mean(axis=0), atol=1e-12)


def test_tree_and_sequential_combination_agree():
    rng = np.random.default_rng(2)
    Z = rng.normal(size=(64, 3)) + 50.0
    w = rng.uniform(0.5, 1.5, size=64)
    blocks = [moments(Z[i : i + 8], w[i : i + 8]) for i in range(0, 64, 8)]
    while len(blocks) > 1:  # pairwise, as a distributed tree reduction would
        blocks = [blocks[i] + blocks[i + 1] for i in range(0, len(blocks), 2)]
    _, C = _reference(Z, w)
    assert_allclose(blocks[0].gram_statistics(3, w.sum()).gram, C, rtol=1e-10)


def test_gram_kernel_statistics_match_a_dense_computation():
    rng = np.random.default_rng(3)
    X, Y = rng.normal(size=(90, 3)), rng.normal(size=(90, 2))
    w = rng.uniform(0.2, 2.0, size=90)

    def features(X):
        return np.tanh(X @ [[1.0, -0.5], [0.3, 0.2], [0.0, 1.0]] + 0.1)

    (total,) = RowData(X, Y, w, chunk=11).reduce(gram_kernel(features, w.max()))
    stats = total.gram_statistics(2, w.sum())
    phi = features(X)
    mean, C = _reference(np.hstack([phi, Y]), w)
    assert_allclose(stats.gram, C[:2, :2], rtol=1e-10)
    assert_allclose(stats.cross, C[:2, 2:], rtol=1e-10)
    assert_allclose(stats.target_variance, np.diag(C)[2:], rtol=1e-10)
    assert_allclose(stats.target_mean, mean[2:], rtol=1e-12)
    assert stats.weight_sum == pytest.approx(w.sum())


def test_reduce_counts_passes_and_gathers_rows_in_the_same_pass():
    rng = np.random.default_rng(4)
    X, Y = rng.normal(size=(30, 2)), rng.normal(size=(30, 1))
    data = RowData(X, Y, np.ones(30), chunk=4).standardized(
        np.array([1.0, 2.0]), np.array([2.0, 4.0]), np.array([0.5]), np.array([2.0])
    )
    (total, rows) = data.reduce(lambda b: b.X.sum(axis=0), gather=np.array([0, 13, 29]))
    assert data.passes == 1
    assert_allclose(total, ((X - [1.0, 2.0]) / [2.0, 4.0]).sum(axis=0))
    assert_allclose(rows.X, (X[[0, 13, 29]] - [1.0, 2.0]) / [2.0, 4.0])
    assert_allclose(rows.Y, (Y[[0, 13, 29]] - 0.5) / 2.0)
    assert_allclose(data.map(lambda b: b.Y[:, 0]), (Y[:, 0] - 0.5) / 2.0)
    assert data.passes == 2


def test_add_partials_adds_nested_structures():
    a = (np.ones(2), {"x": 1.0}, [2.0])
    b = (np.ones(2), {"x": 2.0}, [3.0])
    out = add_partials(a, b)
    assert_allclose(out[0], 2.0)
    assert out[1]["x"] == 3.0 and out[2] == [5.0]
    assert add_partials(None, b) is b
