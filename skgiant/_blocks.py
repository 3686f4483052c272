"""Row blocks: the one way the solvers read their training rows.

Every computation over the samples (moments, gradients, Gram statistics, conjugate-gradient
products, losses) is written as a *block kernel*: a function that maps one block of rows
to partial sums. :meth:`RowData.reduce` runs kernels over the blocks and adds the partial
sums; several kernels that read the same rows share one pass. In memory the blocks are row
chunks (their size follows scikit-learn's ``working_memory``); a distributed array engine
can run the same kernels on its own blocks and add the results in a tree.

Each :meth:`RowData.reduce` or :meth:`RowData.map` over the full data counts as one *pass*
(``RowData.passes``), so tests can assert how often a fit reads the rows. Small samples
gathered to the driver (:meth:`RowData.take`) are ordinary in-memory ``RowData`` with a
counter of their own.

Inputs and targets are standardized on the fly (``x_mean``, ``x_scale``, ``y_mean``,
``y_scale``), so no standardized copy of the data is ever stored.
"""

from dataclasses import dataclass, field, fields, is_dataclass, replace
from typing import ClassVar

import numpy as np

from ._chunks import chunk_n_rows, row_slices
from ._weights import RowWeights, as_row_weights


@dataclass(frozen=True)
class Block:
    """One block of rows as the kernels see them.

    Attributes
    ----------
    X : ndarray of shape (b, d)
        Float64 inputs, standardized when the data carries a standardization.
    Y : ndarray of shape (b, m)
        Float64 targets, standardized likewise.
    weight : ndarray of shape (b,)
        Sample weights.
    rows : slice
        Where the block's rows sit in the data (for row-indexed masks and draws).
    X1 : ndarray of shape (b, d + 1) or None
        ``[X, 1]`` when the data keeps it (:class:`PreparedRows`); see :meth:`with_ones`.
    """

    X: np.ndarray
    Y: np.ndarray
    weight: np.ndarray
    rows: slice
    X1: np.ndarray | None = None

    def with_ones(self):
        """The inputs with a column of ones appended, ``[X, 1]`` (float64): kept by
        :class:`PreparedRows`, else formed."""
        return self.X1 if self.X1 is not None else add_ones(self.X)


def add_ones(X):
    """``[X, 1]`` as a float64 array."""
    X = np.asarray(X, dtype=np.float64)
    return np.hstack([X, np.ones((X.shape[0], 1))])


@dataclass
class _Counter:
    passes: int = 0


def add_partials(a, b):
    """Sum of two partial results: arrays, numbers, tuples, lists, dicts or dataclasses
    of those, or objects that define ``+`` (``None`` is the empty sum). An object with an
    ``accumulate`` method absorbs ``b`` in place: ``a`` must be owned by the caller."""
    if a is None:
        return b
    if b is None:
        return a
    if hasattr(a, "accumulate"):  # an accumulator that can absorb b in place
        return a.accumulate(b)
    if isinstance(a, tuple | list):
        return type(a)(add_partials(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return {key: add_partials(a[key], b[key]) for key in a}
    if is_dataclass(a) and not hasattr(type(a), "__add__"):  # field by field
        return replace(
            a, **{f.name: add_partials(getattr(a, f.name), getattr(b, f.name)) for f in fields(a)}
        )
    return a + b


@dataclass
class RowData:
    """Training rows read only through block kernels.

    Parameters
    ----------
    X : array-like of shape (n, d)
        Inputs as given (float32 or float64); blocks are converted to float64.
    Y : ndarray of shape (n, m)
        Float64 targets.
    weights : RowWeights or ndarray of shape (n,)
        Non-negative sample weights with a positive sum (an array is wrapped in
        :class:`~skgiant._weights.DenseWeights`). The solvers read them only through
        the :class:`~skgiant._weights.RowWeights` interface, never as a vector of all
        rows.
    x_mean, x_scale : ndarray of shape (d,) or None
        Standardization of the inputs applied to every block (``None``: none).
    y_mean, y_scale : ndarray of shape (m,) or None
        Standardization of the targets applied to every block (``None``: none).
    chunk : int or None
        Rows per block; ``None`` sizes blocks from ``working_memory`` and the kernels'
        declared ``floats_per_row``.
    """

    X: np.ndarray
    Y: np.ndarray
    weights: RowWeights
    x_mean: np.ndarray | None = None
    x_scale: np.ndarray | None = None
    y_mean: np.ndarray | None = None
    y_scale: np.ndarray | None = None
    chunk: int | None = None
    _counter: _Counter = field(default_factory=_Counter, repr=False)

    #: Whether the rows live outside the driver (on a cluster): per-row results as large
    #: as ``n x p`` are then not kept on the driver but recomputed in the blocks.
    distributed: ClassVar[bool] = False

    def __post_init__(self):
        self.weights = as_row_weights(self.weights)

    @property
    def n(self):
        return self.X.shape[0]

    @property
    def n_features(self):
        return self.X.shape[1]

    @property
    def n_outputs(self):
        return self.Y.shape[1]

    @property
    def weight_sum(self):
        return self.weights.total

    @property
    def passes(self):
        """Full passes over the rows so far (:meth:`reduce` and :meth:`map` calls)."""
        return self._counter.passes

    def standardized(self, x_mean, x_scale, y_mean=None, y_scale=None):
        """The same rows, standardized on the fly (sharing the pass counter)."""
        return replace(self, x_mean=x_mean, x_scale=x_scale, y_mean=y_mean, y_scale=y_scale)

    def block(self, rows):
        """The :class:`Block` of the rows ``rows`` (a slice or an index array)."""
        X = np.asarray(self.X[rows], dtype=np.float64)
        if self.x_mean is not None:
            X = (X - self.x_mean) / self.x_scale
        Y = self.Y[rows]
        if self.y_mean is not None:
            Y = (Y - self.y_mean) / self.y_scale
        return Block(X, Y, self.weights.at(rows), rows)

    def _slices(self, floats_per_row):
        chunk = self.chunk or chunk_n_rows(self.n, floats_per_row + self.n_features)
        return row_slices(self.n, chunk)

    def reduce(self, *kernels, floats_per_row=1, gather=None):
        """One pass: the sum over blocks of each ``kernel(block)``.

        Parameters
        ----------
        *kernels : callables
            Each maps a :class:`Block` to a partial result (see :func:`add_partials`).
        floats_per_row : int
            Float64 temporaries the kernels hold per row (sizes the blocks).
        gather : ndarray of int, optional
            Sorted row indices to collect in the same pass; they are returned as an
            in-memory ``RowData`` (inputs and targets standardized) after the sums.

        Returns
        -------
        tuple
            One sum per kernel (and the gathered rows last when ``gather`` is given).
        """
        self._counter.passes += 1
        sums = [None] * len(kernels)
        for rows in self._slices(floats_per_row):
            block = self.block(rows)
            sums = [add_partials(s, k(block)) for s, k in zip(sums, kernels, strict=True)]
        if gather is not None:
            sums.append(self._gathered(gather))
        return tuple(sums)

    def map(self, kernel, *, floats_per_row=1):
        """One pass: ``kernel(block)`` for every block, concatenated along the rows."""
        self._counter.passes += 1
        return np.concatenate([kernel(self.block(rows)) for rows in self._slices(floats_per_row)])

    def take(self, index):
        """The rows ``index`` gathered into an in-memory ``RowData`` (one pass)."""
        self._counter.passes += 1
        return self._gathered(index)

    def subset(self, index):
        """The rows ``index`` (sorted) as data of their own, numbered from 0 in that
        order; in memory they are gathered (one pass, as :meth:`take`)."""
        return self.take(index)

    def _gathered(self, index):
        block = self.block(np.asarray(index))
        return RowData(block.X, block.Y, block.weight, chunk=self.chunk)


@dataclass
class PreparedRows(RowData):
    """In-memory rows standardized once and kept with a column of ones, ``[X, 1]``.

    For iterative solvers that read the same rows hundreds of times (the alternating
    estimator's matrix-free hidden-layer solve reads them once per conjugate-gradient
    product): standardizing and widening every block in every pass allocates several
    arrays as large as the block per pass, which cost more than the products' arithmetic
    (fresh memory pages). The copy holds ``8 n (d + 1)`` bytes; the blocks are views of
    it, bitwise equal to those of :class:`RowData`. Made by :func:`prepared`.
    """

    X1: np.ndarray | None = None

    def block(self, rows):
        X1 = self.X1[rows]
        return Block(X1[:, :-1], self.Y[rows], self.weights.at(rows), rows, X1)

    def _gathered(self, index):
        block = self.block(np.asarray(index))
        return PreparedRows(
            block.X, block.Y, block.weight, chunk=self.chunk, X1=np.ascontiguousarray(block.X1)
        )


#: :func:`prepared` keeps a standardized copy of the rows up to this many bytes.
PREPARED_MAX_BYTES = 2**30


def prepared(data):
    """``data`` as :class:`PreparedRows` (sharing its pass counter) when it is in memory
    and its copy takes at most :data:`PREPARED_MAX_BYTES`; else ``data`` itself. Making the
    copy reads the rows once, in blocks, without counting a pass."""
    if data.distributed or isinstance(data, PreparedRows):
        return data
    n, d = data.n, data.n_features
    if 8 * n * (d + 1 + data.n_outputs) > PREPARED_MAX_BYTES:
        return data
    X1 = np.empty((n, d + 1))
    Y = np.empty((n, data.n_outputs))
    for rows in row_slices(n, data.chunk or chunk_n_rows(n, 2 * (d + 1))):
        block = data.block(rows)
        X1[rows, :d] = block.X
        Y[rows] = block.Y
    X1[:, d] = 1.0
    return PreparedRows(X1[:, :d], Y, data.weights, chunk=data.chunk, _counter=data._counter, X1=X1)
