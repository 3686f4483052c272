"""The giant-step solver: gradients, steps, batches, diagnostics."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from skgiant._blocks import RowData
from skgiant._giant import (
    batch_schedule,
    first_layer_gradient,
    giant_step,
    init_first_layer,
    learning_rate,
    network_output,
    normalized_second_layer,
)
from skgiant.diagnostics import alignment, effective_rank


def _setup(act="tanh", n=40, d=5, p=6, m=2, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    Y = rng.normal(size=(n, m))
    w = rng.uniform(0.5, 2.0, size=n)
    W, b, a = init_first_layer(rng, d, p, m, bias_scale=0.7, symmetric=False)
    return X, Y, w, W, b, a


def _loss(X, Y, w, rows, W, b, a, act):
    r = Y[rows] - network_output(X[rows], W, b, a, act)
    return 0.5 * np.sum(w[rows] * np.sum(r * r, axis=1)) / w[rows].sum()


@pytest.mark.parametrize("act", ["tanh", "erf", "relu"])
@pytest.mark.parametrize("chunk", [3, 100])
def test_gradient_matches_finite_differences(act, chunk):
    X, Y, w, W, b, a = _setup(act)
    rows = np.arange(5, 37)
    batch = np.zeros(len(X), dtype=bool)
    batch[rows] = True
    data = RowData(X, Y, w, chunk=chunk)
    gW, gb, loss = first_layer_gradient(data, W, b, a, act=act, batch=batch)
    assert data.passes == 1
    assert loss == pytest.approx(_loss(X, Y, w, rows, W, b, a, act), rel=1e-12)

    def numeric(param, f):
        out = np.zeros_like(param)
        for idx in np.ndindex(param.shape):
            e = np.zeros_like(param)
            e[idx] = 1e-6
            out[idx] = (f(param + e) - f(param - e)) / 2e-6
        return out

    num_W = numeric(W, lambda V: _loss(X, Y, w, rows, V, b, a, act))
    num_b = numeric(b, lambda c: _loss(X, Y, w, rows, W, c, a, act))
    # the function returns the *negative* gradient
    assert_allclose(-gW, num_W, rtol=1e-5, atol=1e-9)
    assert_allclose(-gb, num_b, rtol=1e-5, atol=1e-9)


def test_symmetric_init_gives_zero_output_and_unit_rows():
    rng = np.random.default_rng(0)
    W, b, a = init_first_layer(rng, 400, 64, 1, bias_scale=1.0, symmetric=True)
    X = rng.normal(size=(10, 400))
    assert_allclose(network_output(X, W, b, a, "relu"), 0.0, atol=1e-12)
    assert_allclose(np.linalg.norm(W, axis=1).mean(), 1.0, atol=0.05)
    assert_allclose(np.abs(a), 1 / np.sqrt(64))


def test_learning_rate_conventions():
    assert learning_rate(2.0, scaling="giant", n_hidden=8, batch_weight=400, n_features=4) == 160
    assert learning_rate(2.0, scaling="width", n_hidden=8, batch_weight=400, n_features=4) == 16
    assert learning_rate(2.0, scaling="constant", n_hidden=8, batch_weight=1, n_features=4) == 2


def test_giant_step_applies_cap_mask_and_records_spike():
    X, Y, w, W, b, a = _setup("relu", n=200, d=8, p=10, m=1)
    grad = first_layer_gradient(RowData(X, Y, w, chunk=50), W, b, a, act="relu")
    trainable = np.arange(10) % 2 == 0
    W1, b1, rec = giant_step(W, b, grad, eta=500.0, trainable=trainable, max_row_move=10.0)
    move = np.sqrt(((W1 - W) ** 2).sum(axis=1) + (b1 - b) ** 2)
    assert np.all(move[~trainable] == 0)
    assert np.all(move <= 10.0 + 1e-12)
    # uncapped rows moved by exactly eta * gradient
    full_move = 500 * np.sqrt((grad[0] ** 2).sum(axis=1) + grad[1] ** 2)
    free = trainable & (full_move <= 10.0)
    assert 0 < free.sum() < trainable.sum()  # some rows capped, some not
    assert_allclose(W1[free], W[free] + 500 * grad[0][free])
    capped = trainable & ~free
    assert_allclose(move[capped], 10.0)
    assert rec.rows_capped == int(trainable.sum() - free.sum())
    assert rec.batch_loss == pytest.approx(grad[2])
    expected = np.linalg.svd(np.column_stack([W1 - W, b1 - b]), compute_uv=False)
    assert_allclose(rec.update_singular_values, expected[:5], rtol=1e-10)
    assert rec.effective_rank == pytest.approx(effective_rank(W1))


def test_normalize_rows_keeps_row_norms():
    X, Y, w, W, b, a = _setup("relu", n=100, d=6, p=8, m=1)
    grad = first_layer_gradient(RowData(X, Y, w, chunk=30), W, b, a, act="relu")
    W1, b1, _ = giant_step(W, b, grad, eta=50.0, normalize_rows=True)
    assert_allclose(np.sqrt((W1**2).sum(1) + b1**2), np.sqrt((W**2).sum(1) + b**2))
    assert not np.allclose(W1, W)


def test_batch_schedule_fresh_then_reused_and_continuable():
    sched = batch_schedule(7, 20, 6, 5)
    batches = [rows for rows, _ in sched]
    assert [fresh for _, fresh in sched] == [True, True, True, False, False]
    first_pass = np.concatenate(batches[:3])
    assert len(np.unique(first_pass)) == 18 and set(first_pass) <= set(range(20))
    # the epoch's order is a permutation of the rows drawn with the seed
    order = np.random.default_rng([7, 0]).permutation(20)
    assert_array_equal(batches[1], np.sort(order[6:12]))
    # continuing from step 2 reproduces the tail of the schedule exactly
    tail = batch_schedule(7, 20, 6, 3, start_step=2)
    for (r1, f1), (r2, f2) in zip(sched[2:], tail, strict=True):
        assert_allclose(r1, r2)
        assert f1 == f2


def test_batch_schedule_full_batch_takes_every_row_each_step():
    # a batch as large as the rows is every row, as a slice (no vector of n indices)
    sched = batch_schedule(3, 4, 10, 3, start_step=0)  # batch larger than the rows
    for rows, _ in sched:
        assert rows == slice(0, 4)
    assert [fresh for _, fresh in sched] == [True, False, False]
    assert [fresh for _, fresh in batch_schedule(3, 4, 4, 2, start_step=1)] == [False, False]


def test_alignment_and_effective_rank():
    rng = np.random.default_rng(0)
    U = np.linalg.qr(rng.normal(size=(50, 2)))[0].T
    W_aligned = rng.normal(size=(30, 2)) @ U
    assert_allclose(alignment(W_aligned, U), 1.0)
    # scaling or mixing the directions does not change the subspace
    assert_allclose(alignment(W_aligned, 3 * U + U[::-1]), 1.0)
    W_random = rng.normal(size=(2000, 50))
    rms = np.sqrt(np.mean(alignment(W_random, U) ** 2))
    assert rms == pytest.approx(np.sqrt(2 / 50), rel=0.1)
    per = alignment(W_aligned, U, per_direction=True)
    assert_allclose((per**2).sum(axis=1), 1.0)
    assert effective_rank(np.outer(rng.normal(size=5), rng.normal(size=4))) == pytest.approx(1.0)
    assert effective_rank(np.eye(4)) == pytest.approx(4.0)
    with pytest.raises(ValueError, match="features"):
        alignment(W_random, U[:, :10])


def test_normalized_second_layer_has_the_scale_of_the_initial_signs():
    beta = np.random.default_rng(0).normal(size=(40, 3)) * 7.0
    a = normalized_second_layer(beta)
    assert_allclose(np.sqrt(np.mean(a**2)), 1 / np.sqrt(40))
    assert_allclose(a / a[0, 0], beta / beta[0, 0])  # same direction
    assert np.all(normalized_second_layer(np.zeros((5, 1))) == 0)  # nothing to follow
