"""Sample weights of the training rows, read through summaries and small lookups.

The solvers never index a vector of all the rows' weights. They ask a
:class:`RowWeights` for its total, its largest weight and its number of weighted
(positive) rows, for the weights of a few rows (a batch, a gathered sample), and for a
sample of the weighted rows (those that score leave-one-out or calibrate
probabilities). In memory the weights are an array (:class:`DenseWeights`); rows without
weights need no storage at all (:class:`UnitWeights`); on a cluster the weights stay in
the blocks (:class:`skgiant._dask.BlockWeights`). A fit on a cluster therefore holds no
vector as long as the data on its driver.
"""

import numpy as np


class RowWeights:
    """The non-negative weights of ``n`` rows.

    Subclasses set ``n``, ``total`` (the sum), ``largest`` (the maximum) and
    ``n_weighted`` (the number of positive weights), and implement :meth:`at`,
    :meth:`positions` and :meth:`subset`.
    """

    n: int
    total: float
    largest: float
    n_weighted: int
    finite: bool = True
    smallest: float = 0.0

    def at(self, rows):
        """The weights of the rows ``rows`` (sorted indices or a slice), an ndarray."""
        raise NotImplementedError

    def positions(self, ranks):
        """The row indices of the weighted rows of ranks ``ranks`` (sorted positions
        among the weighted rows, counted in row order)."""
        raise NotImplementedError

    def subset(self, index):
        """The weights of the rows ``index`` (sorted), numbered from 0 in that order."""
        raise NotImplementedError

    def array(self):
        """All ``n`` weights as an ndarray: a vector of all rows on the driver, for code
        that holds per-row vectors of all rows anyway."""
        return self.at(slice(0, self.n))

    def weighted_rows(self):
        """The indices of every weighted row (``n_weighted`` of them)."""
        return self.positions(np.arange(self.n_weighted))

    def sample_weighted(self, cap, seed=0):
        """Every weighted row, or ``cap`` of them drawn without replacement with the
        generator ``numpy.random.default_rng(seed)``: sorted row indices.

        The draw is that of ``rng.choice(weighted_rows, cap, replace=False)`` (the ranks
        are drawn, then mapped to rows), so it does not depend on how the weights are
        stored.
        """
        if self.n_weighted <= cap:
            return self.weighted_rows()
        ranks = np.random.default_rng(seed).choice(self.n_weighted, cap, replace=False)
        order = np.argsort(ranks)
        rows = np.empty(cap, dtype=np.intp)
        rows[order] = self.positions(ranks[order])
        return np.sort(rows)

    def metadata(self):
        """What scikit-learn callbacks are given as ``sample_weight``."""
        return self.array()


class DenseWeights(RowWeights):
    """Weights held in an array (``values``: float64 of shape ``(n,)``)."""

    def __init__(self, values):
        self.values = values

    @property
    def n(self):
        return len(self.values)

    @property
    def total(self):
        return float(self.values.sum())

    @property
    def largest(self):
        return float(self.values.max())

    @property
    def smallest(self):
        return float(self.values.min())

    @property
    def finite(self):
        return bool(np.all(np.isfinite(self.values)))

    @property
    def n_weighted(self):
        return int(np.count_nonzero(self.values > 0))

    def at(self, rows):
        return self.values[rows]

    def array(self):
        return self.values

    def positions(self, ranks):
        return np.flatnonzero(self.values > 0)[ranks]

    def weighted_rows(self):
        return np.flatnonzero(self.values > 0)

    def subset(self, index):
        return DenseWeights(self.values[index])


class UnitWeights(RowWeights):
    """``n`` weights of one, stored as nothing."""

    def __init__(self, n):
        self.n = int(n)
        self.total = float(self.n)
        self.largest = 1.0 if self.n else 0.0
        self.smallest = self.largest
        self.n_weighted = self.n

    def at(self, rows):
        count = len(range(self.n)[rows]) if isinstance(rows, slice) else len(rows)
        return np.ones(count)

    def positions(self, ranks):
        return np.asarray(ranks, dtype=np.intp)

    def subset(self, index):
        return UnitWeights(len(index))

    def metadata(self):
        return None


def as_row_weights(weights):
    """``weights`` as :class:`RowWeights` (an array becomes :class:`DenseWeights`)."""
    if isinstance(weights, RowWeights):
        return weights
    return DenseWeights(np.asarray(weights, dtype=np.float64))


def callback_weights(weights):
    """The sample weights scikit-learn callbacks are given (an array as it is)."""
    return weights.metadata() if isinstance(weights, RowWeights) else weights


__all__ = ["DenseWeights", "RowWeights", "UnitWeights", "as_row_weights", "callback_weights"]
