"""Streaming readout: the sufficient statistics of the ridge readout, batch by batch.

After a first fit has fixed the first layer and the standardization, the readout is a
ridge regression whose data enter only through the moments of ``[features, targets]``
(:class:`skgiant._moments.Moments`, which add exactly across batches) and, for
``alpha="auto"``, through a bounded sample of rows that scores leave-one-out. A
:class:`StreamState` holds both; :func:`add_batch` folds a batch in (one pass) and
:func:`solve_stream` re-solves the readout from them with
:func:`skgiant._readout.readout_from_statistics`.

The classifiers' readout streams the same way with one-hot targets:
:func:`solve_calibrated_stream` solves the ridge on them from the moments and fits the
softmax temperature and offsets on the exact leave-one-out scores of the sampled rows
(the calibrated ridge readout of :mod:`skgiant._probability`). Nothing here knows
scikit-learn.
"""

from dataclasses import dataclass

import numpy as np

from ._moments import Moments, gram_kernel
from ._probability import calibrate_ridge
from ._readout import LOO_ROWS, readout_from_statistics
from ._ridge import eigen_readout


@dataclass
class StreamState:
    """What the readout needs of every row seen so far.

    Attributes
    ----------
    moments : Moments
        Moments of ``[features, standardized targets]`` of all rows, with weights divided
        by ``weight_scale``.
    weight_scale : float
        The fixed divisor of the weights (the largest weight of the first batch), so that
        the partial moments of different batches combine.
    weight_sum : float
        True sum of the weights of all rows.
    loo_X, loo_Y, loo_w : ndarray
        A uniform sample (reservoir) of at most ``capacity`` rows of positive weight:
        standardized inputs, (standardized) targets and weights.
    n_seen : int
        Rows of positive weight seen (the reservoir's denominator).
    seed : int
        Seeds the reservoir draws (batch ``k`` uses ``[seed, k]``).
    n_batches : int
    capacity : int
        The most rows the reservoir keeps (default ``LOO_ROWS``, the leave-one-out rows
        of the ridge readout's penalty choice).
    """

    moments: Moments
    weight_scale: float
    weight_sum: float
    loo_X: np.ndarray
    loo_Y: np.ndarray
    loo_w: np.ndarray
    n_seen: int
    seed: int
    n_batches: int
    capacity: int = LOO_ROWS


def _batch_moments(data, feature_map, n_features, weight_scale):
    kernel = gram_kernel(feature_map, weight_scale)
    (total,) = data.reduce(kernel, floats_per_row=2 * (n_features + data.n_outputs))
    return total


def start_stream(data, feature_map, n_features, *, seed, capacity=LOO_ROWS):
    """The state after the first batch ``data`` (standardized :class:`RowData`), with a
    reservoir of at most ``capacity`` rows."""
    scale = data.weights.largest
    total = _batch_moments(data, feature_map, n_features, scale)
    sample = data.take(data.weights.sample_weighted(capacity, seed=[seed, 0]))
    return StreamState(
        total, scale, data.weight_sum, sample.X, sample.Y, sample.weights.array(),
        data.weights.n_weighted, seed, 1, capacity,
    )  # fmt: skip


def add_batch(state, data, feature_map, n_features):
    """``state`` with the batch ``data`` (standardized :class:`RowData`, in memory or on
    dask blocks) folded in: its moments added (one pass) and the reservoir updated.

    The reservoir stays a uniform sample without replacement of the weighted rows seen:
    of the ``t`` earlier rows and the ``b`` weighted rows of the batch, the new
    reservoir of ``C = min(capacity, t + b)`` rows takes ``K`` rows of the batch, ``K``
    hypergeometric (``b`` of ``t + b``, ``C`` drawn), drawn uniformly by rank
    (:meth:`~skgiant._weights.RowWeights.sample_weighted`), and ``C - K`` of the current
    reservoir (itself a uniform sample of the ``t``), drawn uniformly. The draws are
    seeded per batch and hold ``O(C)`` numbers, however large the batch.
    """
    total = _batch_moments(data, feature_map, n_features, state.weight_scale)
    t, b, capacity = state.n_seen, data.weights.n_weighted, state.capacity
    rng = np.random.default_rng([state.seed, state.n_batches])
    size = min(capacity, t + b)
    taken = b if t + b <= capacity else int(rng.hypergeometric(b, t, size))
    kept = np.sort(rng.choice(len(state.loo_w), size - taken, replace=False))
    seed = int(rng.integers(2**63 - 1))
    new = data.take(data.weights.sample_weighted(taken, seed=seed))
    return StreamState(
        state.moments + total, state.weight_scale, state.weight_sum + data.weight_sum,
        np.vstack([state.loo_X[kept], new.X]), np.vstack([state.loo_Y[kept], new.Y]),
        np.r_[state.loo_w[kept], new.weights.array()], t + b, state.seed,
        state.n_batches + 1, capacity,
    )  # fmt: skip


def solve_stream(state, feature_map, n_features, *, alpha="auto", n_linear=0, ratio=None):
    """The ridge readout of every row seen: as :func:`skgiant._readout.fit_readout`
    would fit it on all rows at once (the leave-one-out rows aside: here the reservoir).
    ``ratio`` gives the linear block the penalty ``ratio * alpha`` (fixed ``alpha``)."""
    stats = state.moments.gram_statistics(n_features, state.weight_sum)
    rows = None
    if alpha == "auto":
        rows = (feature_map(state.loo_X), state.loo_Y, state.loo_w)
    if ratio is None or not n_linear:
        return readout_from_statistics(stats, rows, alpha=alpha, n_linear=n_linear)
    # the two-penalty problem is the one-penalty problem on features whose linear block
    # is scaled by 1 / sqrt(ratio) (as skgiant._readout._fixed_ratio)
    p, s = n_features - n_linear, 1.0 / np.sqrt(ratio)
    factor = np.r_[np.ones(p), np.full(n_linear, s)]
    stats.feature_mean = stats.feature_mean * factor
    stats.gram = np.array(stats.gram * np.outer(factor, factor), order="F")
    stats.cross = stats.cross * factor[:, None]
    if rows is not None:
        rows = (rows[0] * factor, rows[1], rows[2])
    fit = readout_from_statistics(stats, rows, alpha=alpha)
    fit.beta[p:] *= s
    fit.feature_mean[p:] /= s
    fit.alpha_linear = ratio * fit.alpha
    return fit


def solve_calibrated_stream(state, feature_map, n_features, *, alpha="auto"):
    """The calibrated ridge readout of every row seen, from a stream of one-hot targets.

    The ridge on the one-hot targets is solved from the moments (exactly the ridge on
    all rows seen); the softmax temperature and offsets, and with ``alpha="auto"`` the
    penalty, are fitted on the exact leave-one-out scores of the reservoir's rows (of
    the ridge on all rows), as
    :func:`skgiant._probability.fit_calibrated_ridge_readout_on_rows` fits them on its
    calibration rows. The state's targets must be the unstandardized one-hot rows.

    Parameters
    ----------
    state : StreamState
    feature_map : callable
        ``feature_map(X)``: the readout features of standardized inputs.
    n_features : int
    alpha : float or "auto", default="auto"
        The ridge penalty (``alpha ||B||**2`` beside the weighted mean squared error).

    Returns
    -------
    ProbabilityReadout
    """
    eig = eigen_readout(state.moments.gram_statistics(n_features, state.weight_sum))
    labels = np.argmax(state.loo_Y, axis=1)
    return calibrate_ridge(eig, feature_map(state.loo_X), labels, state.loo_w, alpha)
