"""Training rows on the blocks of a Dask array: the fits beyond one machine.

:class:`DaskRowData` has the interface of :class:`~skgiant._blocks.RowData`, so the solvers
(:func:`~skgiant._giant_solver.fit_giant_steps`,
:func:`~skgiant._alternating.fit_alternating`) run unchanged: each pass maps the same
block kernels over the row blocks of the dask arrays and adds their partial sums in a tree
(:func:`~skgiant._blocks.add_partials`), with one ``dask.compute`` per pass. Inside a dask
block the kernels still see row chunks of at most ``chunk`` rows, so a block of a million
rows does not make a million-row temporary of hidden features.

What is computed where:

- the rows ``X`` and ``Y`` stay in the dask blocks; only partial sums (moments, the
  first-layer gradient, the Gram statistics of the readout features) and the small
  gathered samples (the step-size selection sample, the rows that score leave-one-out)
  come back to the driver;
- the sample weights stay in the blocks too (:class:`BlockWeights`; without weights
  nothing is stored at all): the solver reads their total, maximum and count of
  weighted rows, summarized in one pass, and gathers the weights of the few rows it
  draws (a batch, the leave-one-out or calibration sample), whose ranks among the
  weighted rows are mapped to row indices in the blocks;
- every block knows the global index of its first row (``Block.rows`` is a global slice),
  so row-indexed draws do not depend on the chunking, and a fit equals the in-memory fit
  on the same rows up to rounding;
- a subset of the rows (:meth:`DaskRowData.subset`: a batch, held-out rows, a fold) is
  gathered to the driver when small and otherwise stays in the blocks as a *view*: a
  boolean mask persisted once on the workers, whose kernels see only the kept rows,
  numbered from 0 in order, exactly as in the gathered copy;
- class labels (:class:`DaskLabels`) stay in the blocks too: one pass over them finds
  the classes and their weighted counts (a tree of per-block ``np.unique``), and the
  blocks encode them as the first layer's targets on the fly; only the classes and
  their counts reach the driver (class weights are folded into the weights in the
  blocks).
  The classifiers' readout gathers the features of the weighted rows only while they
  are small (the softmax readout); beyond, it reads Gram statistics in one pass.
- predictions (``predict``, ``predict_proba``, ``transform``, ...) are lazy dask arrays
  mapped over the blocks of ``X``; scores are sums computed in the blocks.

Finiteness is checked in the first pass (fused with the moments) and reported after it.
This module imports dask; the package imports this module only when given a dask
collection.
"""

import uuid
from dataclasses import dataclass, replace

import dask
import dask.array as da
import numpy as np
from sklearn.utils.validation import check_is_fitted, validate_data

from ._base import check_weights
from ._blocks import Block, RowData, add_partials
from ._weights import DenseWeights, RowWeights, UnitWeights

#: Partial results combined per node of the reduction tree.
SPLIT_EVERY = 8
#: :meth:`DaskRowData.subset` gathers a subset to the driver up to this many bytes of
#: rows (inputs, targets and weights in float64) and keeps larger ones in the blocks.
GATHER_BYTES = 256 * 2**20


# ----------------------------------------------------------------------------------------
# Row data on dask blocks
# ----------------------------------------------------------------------------------------


@dataclass
class DaskRowData(RowData):
    """Training rows held in dask arrays, read only through block kernels.

    Parameters
    ----------
    X : dask.array.Array of shape (n, d)
        Inputs (float32 or float64) with known row chunks and one chunk of columns.
    Y : dask.array.Array of shape (n, m)
        Float64 targets with the row chunks of ``X`` and one chunk of columns.
    weights : RowWeights, ndarray of shape (n,) or None
        Sample weights: :class:`BlockWeights` (in the blocks), ``None`` (all one:
        :class:`~skgiant._weights.UnitWeights`, nothing stored) or an array on the
        driver.
    x_mean, x_scale, y_mean, y_scale, chunk :
        As in :class:`~skgiant._blocks.RowData` (``chunk`` bounds the rows a kernel
        sees at once inside a dask block).
    check_finite : bool
        Check in every pass that ``X`` and ``Y`` are finite, and raise a ``ValueError``
        after the pass if not (the raw data checks in its first pass; its standardized
        copies do not repeat it).

    A view made by :meth:`subset` keeps the arrays of all rows and a mask of its own:
    ``weights`` is then the weights of the kept rows, ``kept`` (on the driver) and
    ``block_mask`` (persisted on the workers) mark them among all rows, and
    ``block_starts`` numbers the first kept row of each dask block.
    """

    check_finite: bool = True
    block_weight: object = None  # the weights of all rows as a dask array, set up once
    kept: np.ndarray | None = None  # (N,) bool over all rows, for a view
    block_mask: object = None  # ``kept`` as a dask array with X's row chunks
    block_starts: np.ndarray | None = None  # index of each block's first (kept) row

    distributed = True

    def __post_init__(self):
        if self.weights is None:
            self.weights = UnitWeights(self.X.shape[0])
        super().__post_init__()
        check_row_chunks(self.X, self.Y, "X", "y")
        if self.block_starts is None:
            self.block_starts = np.cumsum((0,) + self.X.chunks[0])[:-1]
        if self.block_weight is None:
            self.block_weight = block_values(self.weights, self.X.chunks[0])

    def standardized(self, x_mean, x_scale, y_mean=None, y_scale=None):
        """The same rows, standardized on the fly (sharing the pass counter)."""
        return replace(
            self, x_mean=x_mean, x_scale=x_scale, y_mean=y_mean, y_scale=y_scale,
            check_finite=False,
        )  # fmt: skip

    @property
    def n(self):
        return self.weights.n

    def block(self, rows):
        raise NotImplementedError(
            "Rows on dask blocks are read through passes (reduce, map, take)."
        )

    def subset(self, index):
        """The rows ``index`` (sorted positions in this data) as data of their own,
        numbered from 0 in that order: gathered to the driver (one pass, :meth:`take`)
        when they take at most ``GATHER_BYTES``, else a view that leaves them in the
        blocks (no pass now; its passes read all blocks and count on this data's
        counter)."""
        index = np.asarray(index, dtype=np.intp)
        row_bytes = 8 * (self.n_features + self.n_outputs + 1)
        if len(index) * row_bytes <= GATHER_BYTES:
            return self.take(index)
        rows = index if self.kept is None else np.flatnonzero(self.kept)[index]
        kept = np.zeros(self.X.shape[0], dtype=bool)
        kept[rows] = True
        chunks = self.X.chunks[0]
        counts = np.diff(np.searchsorted(rows, np.cumsum((0,) + chunks)))
        (block_mask,) = dask.persist(da.from_array(kept, chunks=(chunks,)))
        return replace(
            self, weights=self.weights.subset(index), kept=kept, block_mask=block_mask,
            block_starts=np.cumsum(np.r_[0, counts])[:-1],
        )  # fmt: skip

    def reduce(self, *kernels, floats_per_row=1, gather=None):
        """One pass: the sum over the dask blocks of each ``kernel(block)``; see
        :meth:`skgiant._blocks.RowData.reduce`."""
        self._counter.passes += 1
        out = self._run(kernels, "reduce", gather, floats_per_row)
        sums = list(out["sums"] if out["sums"] is not None else [None] * len(kernels))
        if gather is not None:
            sums.append(self._rows(out["rows"]))
        return tuple(sums)

    def map(self, kernel, *, floats_per_row=1):
        """One pass: ``kernel(block)`` for every block, concatenated on the driver."""
        self._counter.passes += 1
        return np.concatenate(self._run((kernel,), "map", None, floats_per_row)["mapped"])

    def take(self, index):
        """The rows ``index`` gathered into an in-memory ``RowData`` (one pass that reads
        only the blocks holding them)."""
        self._counter.passes += 1
        index = np.asarray(index, dtype=np.intp)
        starts = self._starts()
        blocks = np.unique(np.searchsorted(starts, index, side="right") - 1)
        return self._rows(self._run((), "take", index, 1, blocks=blocks)["rows"])

    def _starts(self):
        return self.block_starts

    def _rows(self, parts):
        """The gathered rows (standardized in the blocks) as in-memory ``RowData``."""
        d, m = self.n_features, self.n_outputs
        if not parts:
            return RowData(np.zeros((0, d)), np.zeros((0, m)), np.zeros(0), chunk=self.chunk)
        X, Y, w = (np.concatenate(arrays) for arrays in zip(*parts, strict=True))
        return RowData(X, Y, w, chunk=self.chunk)

    def _run(self, kernels, kind, gather, floats_per_row, *, blocks=None):
        """Map ``_block_pass`` over the blocks (all, or those numbered ``blocks``) and
        combine the results in a tree: one ``dask.compute``."""
        job = _Job(
            kernels=tuple(kernels), kind=kind, gather=gather, floats_per_row=floats_per_row,
            chunk=self.chunk, check_finite=self.check_finite,
            standardization=(self.x_mean, self.x_scale, self.y_mean, self.y_scale),
        )  # fmt: skip
        arrays = (self.X, self.Y, self.block_weight)
        if self.block_mask is not None:
            arrays += (self.block_mask,)
        starts = self._starts()
        if blocks is not None:
            arrays = tuple(a.blocks[blocks.tolist()] for a in arrays)
            starts = starts[blocks]
        X, Y, w = arrays[:3]
        mask = (arrays[3], "i") if len(arrays) > 3 else (None, None)
        # the job (kernels and their captured arrays) is one key, sent once per worker
        job = dask.delayed(job, name=f"skgiant-job-{uuid.uuid4().hex}", traverse=False)
        parts = da.blockwise(
            _block_pass, "i", X, "ij", Y, "ik", w, "i",
            da.from_array(starts, chunks=1), "i", *mask, job, None,
            dtype=object, concatenate=True, align_arrays=False,
            meta=np.empty((0,), dtype=object),
        )  # fmt: skip
        (out,) = dask.compute(_tree(parts.to_delayed(optimize_graph=True).ravel(), _combine))
        for name, label in (("x_finite", "X"), ("y_finite", "y")):
            if not out[name]:
                raise ValueError(
                    f"Input {label} contains NaN or infinity (found in the first pass over "
                    "the dask blocks)."
                )
        return out


# ----------------------------------------------------------------------------------------
# Sample weights in the blocks
# ----------------------------------------------------------------------------------------


class BlockWeights(RowWeights):
    """Sample weights left in the blocks of a dask array.

    Their total, extremes, finiteness and the number of weighted rows of each block come
    from one pass (:func:`weight_summary`); the weights of given rows
    (:meth:`~skgiant._weights.RowWeights.at`) and the rows of given ranks among the
    weighted rows (:meth:`~skgiant._weights.RowWeights.positions`) are gathered from the
    blocks that hold them. Nothing of size ``n`` reaches the driver.

    Parameters
    ----------
    values : dask.array.Array of shape (n,)
        Float64 weights.
    summary : dict
        The computed :func:`weight_summary` of ``values``.
    """

    def __init__(self, values, summary):
        self.values = values
        self.n = values.shape[0]
        self.total, self.largest = summary["total"], summary["largest"]
        self.smallest, self.finite = summary["smallest"], summary["finite"]
        self.block_counts = summary["counts"]
        self.n_weighted = int(self.block_counts.sum())

    @classmethod
    def of(cls, values):
        """The weights ``values`` (a float64 dask vector), summarized: one pass."""
        (summary,) = dask.compute(weight_summary(values))
        return cls(values, summary)

    def at(self, rows):
        if not isinstance(rows, slice):
            rows = np.asarray(rows, dtype=np.intp)
        return np.asarray(self.values[rows].compute(), dtype=np.float64)

    def positions(self, ranks):
        ranks = np.asarray(ranks, dtype=np.intp)
        ends = np.cumsum(self.block_counts)
        block = np.searchsorted(ends, ranks, side="right")
        firsts = np.r_[0, ends[:-1]]
        row_starts = np.cumsum((0,) + self.values.chunks[0])[:-1]
        find = dask.delayed(_ranked_rows, pure=True)
        blocks = self.values.to_delayed().ravel()
        parts = [
            find(blocks[b], ranks[block == b] - firsts[b], row_starts[b]) for b in np.unique(block)
        ]
        found = dask.compute(*parts)
        return np.concatenate(found) if found else np.zeros(0, dtype=np.intp)

    def subset(self, index):
        # only for views of large subsets, whose index is on the driver already
        return DenseWeights(self.at(index))

    def metadata(self):
        return self.values


def _ranked_rows(weights, ranks, start):
    """The global row indices of the weighted rows of ranks ``ranks`` in one block."""
    return np.flatnonzero(weights > 0)[ranks] + int(start)


def weight_summary(values):
    """A delayed summary of the dask weights ``values``: their total, largest and
    smallest weight, whether all are finite, and the number of positive weights of each
    block (a tree of per-block summaries)."""
    part = dask.delayed(_block_summary, pure=True)
    parts = [part(b) for b in values.to_delayed().ravel()]
    return dask.delayed(_merge_summaries, pure=True)(*parts)


def _block_summary(w):
    with np.errstate(over="ignore", invalid="ignore"):
        total = float(w.sum())
    return dict(
        total=total, largest=float(w.max()) if len(w) else -np.inf,
        smallest=float(w.min()) if len(w) else np.inf, finite=bool(np.isfinite(w).all()),
        counts=np.array([np.count_nonzero(w > 0)]),
    )  # fmt: skip


def _merge_summaries(*parts):
    with np.errstate(over="ignore", invalid="ignore"):
        total = float(np.sum([p["total"] for p in parts]))
    return dict(
        total=total, largest=max(p["largest"] for p in parts),
        smallest=min(p["smallest"] for p in parts), finite=all(p["finite"] for p in parts),
        counts=np.concatenate([p["counts"] for p in parts]),
    )  # fmt: skip


def block_values(weights, chunks):
    """The weights as a float64 dask vector with the row chunks ``chunks``: made in the
    blocks when all are one, the dask array itself for :class:`BlockWeights`, and an
    array on the driver shipped to the workers once (persisted)."""
    if isinstance(weights, UnitWeights):
        return da.ones(weights.n, chunks=(chunks,))
    if isinstance(weights, BlockWeights):
        values = weights.values
        return values if values.chunks[0] == tuple(chunks) else values.rechunk({0: chunks})
    (values,) = dask.persist(da.from_array(weights.array(), chunks=(chunks,)))
    return values


@dataclass(frozen=True)
class _Job:
    """What a pass runs on each block."""

    kernels: tuple
    kind: str  # "reduce", "map" or "take"
    gather: np.ndarray | None
    floats_per_row: int
    chunk: int | None
    check_finite: bool
    standardization: tuple


@dataclass
class _OffsetRows(RowData):
    """The rows of one dask block, as in-memory ``RowData`` whose blocks carry global
    row indices (``offset`` is the global index of the first row)."""

    offset: int = 0

    def block(self, rows):
        block = super().block(rows)
        if isinstance(rows, slice):
            shifted = slice(rows.start + self.offset, rows.stop + self.offset)
        else:
            shifted = np.asarray(rows) + self.offset
        return Block(block.X, block.Y, block.weight, shifted)


def _block_pass(X, Y, w, start, mask, job):
    """The partial result of one dask block: kernel sums, mapped rows, gathered rows
    (of the rows ``mask`` keeps, for a view; ``start`` numbers the first of them)."""
    start = int(start[0])
    out = {"x_finite": True, "y_finite": True, "sums": None, "rows": [], "mapped": []}
    if job.check_finite:
        out["x_finite"] = bool(np.isfinite(X).all())
        out["y_finite"] = bool(np.isfinite(Y).all())
        if not (out["x_finite"] and out["y_finite"]):
            return out  # the pass raises; the kernels need not see these rows
    if mask is not None:
        X, Y, w = X[mask], Y[mask], w[mask]
    if X.shape[0] == 0:
        return out
    rows = _OffsetRows(X, Y, w, *job.standardization, chunk=job.chunk, offset=start)
    if job.kind == "reduce" and job.kernels:
        out["sums"] = rows.reduce(*job.kernels, floats_per_row=job.floats_per_row)
    elif job.kind == "map":
        out["mapped"] = [rows.map(job.kernels[0], floats_per_row=job.floats_per_row)]
    if job.gather is not None:
        lo, hi = np.searchsorted(job.gather, [start, start + X.shape[0]])
        if hi > lo:
            taken = rows._gathered(job.gather[lo:hi] - start)
            out["rows"] = [(taken.X, taken.Y, taken.weights.array())]
    return out


def _tree(nodes, combine):
    """The delayed partial results ``nodes`` combined in a tree, ``SPLIT_EVERY`` a node
    (``combine(*parts)`` may reuse its first argument)."""
    nodes = list(nodes)
    combine = dask.delayed(combine, pure=False)
    while len(nodes) > 1:
        nodes = [combine(*nodes[i : i + SPLIT_EVERY]) for i in range(0, len(nodes), SPLIT_EVERY)]
    return nodes[0]


def _combine(*parts):
    """Partial results of consecutive blocks, in order (the first is reused)."""
    out = parts[0]
    for part in parts[1:]:
        out["x_finite"] = out["x_finite"] and part["x_finite"]
        out["y_finite"] = out["y_finite"] and part["y_finite"]
        out["sums"] = add_partials(out["sums"], part["sums"])
        out["rows"] = out["rows"] + part["rows"]
        out["mapped"] = out["mapped"] + part["mapped"]
    return out


# ----------------------------------------------------------------------------------------
# Validation
# ----------------------------------------------------------------------------------------


def check_row_chunks(X, A, x_name, a_name):
    """Raise a ``ValueError`` unless ``A``'s row chunks are ``X``'s (both known)."""
    for arr, name in ((X, x_name), (A, a_name)):
        if any(np.isnan(c) for c in arr.chunks[0]):
            raise ValueError(_unknown_chunks(name))
    if A.chunks[0] != X.chunks[0]:
        raise ValueError(
            f"{a_name}'s row chunks {A.chunks[0][:4]}... differ from {x_name}'s "
            f"{X.chunks[0][:4]}...; rechunk {a_name} to {x_name}.chunks[0]."
        )


def _unknown_chunks(name):
    return (
        f"{name} has unknown chunk sizes (NaN in {name}.chunks, e.g. after boolean "
        f"indexing); call {name}.compute_chunk_sizes() first (or, for a dask DataFrame, "
        "to_dask_array(lengths=True))."
    )


def _as_dask_array(A, name, *, lengths=True):
    """A dask array from a dask array, DataFrame or Series (with ``lengths``, the partition
    lengths are computed: one read of the partitions; else the row chunks are unknown)."""
    if isinstance(A, da.Array):
        return A
    if hasattr(A, "to_dask_array"):
        return A.to_dask_array(lengths=True if lengths else None)
    raise TypeError(f"{name} must be a dask array or a dask DataFrame; got {type(A).__name__}.")


def _meta(X):
    """What scikit-learn's validation sees of ``X``: a dask DataFrame's empty pandas frame
    (column names, no rows), else the dask array itself (its shape only)."""
    return X._meta if hasattr(X, "to_dask_array") else X


def _aligned(A, X, name):
    """``A`` (a dask array or an in-memory array) with ``X``'s row chunks, or an error."""
    if not isinstance(A, da.Array) and not hasattr(A, "to_dask_array"):
        A = np.asarray(A)
        if A.shape[:1] != X.shape[:1]:
            raise ValueError(
                f"Found input variables with inconsistent numbers of samples: "
                f"[{X.shape[0]}, {A.shape[0] if A.ndim else 0}] (X, {name})."
            )
        return da.from_array(A, chunks=(X.chunks[0],) + A.shape[1:])
    A = _as_dask_array(A, name)
    if any(np.isnan(c) for c in A.chunks[0]):
        raise ValueError(_unknown_chunks(name))
    if A.shape[0] != X.shape[0]:
        raise ValueError(
            "Found input variables with inconsistent numbers of samples: "
            f"[{X.shape[0]}, {A.shape[0]}] (X, {name})."
        )
    if A.chunks[0] != X.chunks[0]:  # exact and cheap: y and the weights are narrow
        A = A.rechunk({0: X.chunks[0]})
    return A


def validate_dask_fit_data(estimator, X, y, sample_weight, *, reset=True, min_samples=2):
    """Validate dask training data without reading ``X`` or ``y``; return
    ``(X, Y, sample_weight, y_was_1d)`` as :func:`skgiant._base.validate_fit_data` does,
    with ``X`` and ``Y`` dask arrays (row chunks of ``X``, one chunk of columns) and
    ``sample_weight`` a :class:`~skgiant._weights.RowWeights`: :class:`BlockWeights`
    (the weights stay in the blocks; one pass summarizes them, the only computation
    here) or, without weights, :class:`~skgiant._weights.UnitWeights`.

    Checks shapes, dtypes, chunk sizes and the weights; whether ``X`` and ``y`` are
    finite is checked in the first pass of the fit (:class:`DaskRowData`).
    """
    X = _validated_inputs(estimator, X, reset=reset, min_samples=min_samples)
    y = _aligned(y, X, "y")
    if y.ndim not in (1, 2):
        raise ValueError(f"y must be 1D or 2D; got shape {y.shape}.")
    y_was_1d = y.ndim == 1
    Y = _float_array(y, "y", (np.float64,))
    Y = (Y[:, None] if y_was_1d else Y).rechunk({1: -1})
    if sample_weight is None:
        weights = UnitWeights(X.shape[0])
    else:  # left in the blocks: one pass summarizes them
        weights = BlockWeights.of(_block_weights(sample_weight, X))
    check_weights(estimator, weights, min_samples)
    return X, Y, weights, y_was_1d


def _validated_inputs(estimator, X, *, reset, min_samples):
    """``X`` as a float dask array with known row chunks and one chunk of columns (a
    dask DataFrame's partition lengths are computed); sets ``n_features_in_`` and
    ``feature_names_in_`` from the metadata."""
    if not (isinstance(X, da.Array) or hasattr(X, "to_dask_array")):
        raise TypeError(
            "With y or sample_weight as dask collections, X must be a dask array or "
            f"DataFrame too; got X of type {type(X).__name__}."
        )
    # n_features_in_ and feature_names_in_ from the metadata (nothing computed)
    validate_data(estimator, _meta(X), reset=reset, skip_check_array=True)
    X = _as_dask_array(X, "X")
    if X.ndim != 2:
        raise ValueError(f"Expected a 2D array for X, got a dask array of shape {X.shape}.")
    if any(np.isnan(c) for c in X.chunks[0]):
        raise ValueError(_unknown_chunks("X"))
    n, d = X.shape
    if n < min_samples or d < 1:
        raise ValueError(
            f"Found array with {n} sample(s) and {d} feature(s) (shape={X.shape}) while "
            f"a minimum of {min_samples} samples and 1 feature is required."
        )
    return _float_array(X, "X", (np.float64, np.float32)).rechunk({1: -1})


def _block_weights(sample_weight, X):
    """The sample weights as a float64 dask vector with ``X``'s row chunks."""
    sample_weight = _aligned(sample_weight, X, "sample_weight")
    if sample_weight.ndim != 1:
        raise ValueError(f"sample_weight must be 1D; got shape {sample_weight.shape}.")
    return sample_weight.astype(np.float64)


def _float_array(A, name, dtypes):
    """``A`` as the first of ``dtypes`` unless its dtype is one of them (lazily)."""
    if A.dtype in dtypes:
        return A
    if A.dtype.kind not in "biuf":
        raise ValueError(f"{name} must be numeric; got dtype {A.dtype}.")
    return A.astype(dtypes[0])


# ----------------------------------------------------------------------------------------
# Class labels
# ----------------------------------------------------------------------------------------


@dataclass
class DaskLabels:
    """Class labels on dask blocks, with the interface of
    :class:`skgiant._classifier_base.Labels`: the labels stay in the blocks and are encoded
    there; only the classes and their weighted counts reach the driver.

    Attributes
    ----------
    y : dask.array.Array of shape (n,)
        The labels, with the row chunks of the inputs.
    classes : ndarray of shape (k,)
        The labels found, sorted.
    counts : ndarray of shape (k,)
        The total sample weight of each label found.
    weights : RowWeights
        The sample weights (:class:`BlockWeights`, or
        :class:`~skgiant._weights.UnitWeights` without weights).
    """

    y: object
    classes: np.ndarray
    counts: np.ndarray
    weights: RowWeights

    @property
    def total(self):
        """The total sample weight."""
        return self.weights.total

    def encode(self, known):
        """The labels as indices into ``known`` (sorted, a superset of ``classes``):
        a lazy dask array."""
        return self.y.map_blocks(
            _encode_labels, known, dtype=np.intp, meta=np.empty((0,), dtype=np.intp)
        )

    def targets(self, encoded, n_classes):
        """The first layer's targets (:func:`~skgiant._classifier_base.class_targets`),
        lazily: ``(n, 1)`` with two classes, else ``(n, n_classes)``."""
        from ._classifier_base import class_targets

        width = 1 if n_classes == 2 else n_classes
        return encoded.map_blocks(
            class_targets, n_classes, dtype=np.float64, new_axis=1,
            chunks=(encoded.chunks[0], (width,)), meta=np.empty((0, 0)),
        )  # fmt: skip

    def one_hot(self, encoded, n_classes):
        """The one-hot matrix of the encoded labels, ``(n, n_classes)``, lazily."""
        return encoded.map_blocks(
            _one_hot, n_classes, dtype=np.float64, new_axis=1,
            chunks=(encoded.chunks[0], (n_classes,)), meta=np.empty((0, 0)),
        )  # fmt: skip

    def fold(self, encoded, per_class):
        """The sample weights times the weight of each row's class, in the blocks: one
        pass over the label blocks (summarizing them, :class:`BlockWeights`), unless every
        class weighs 1."""
        if np.all(per_class == 1.0):
            return self.weights
        factor = encoded.map_blocks(
            _take, per_class, dtype=np.float64, meta=np.empty((0,), dtype=np.float64)
        )
        if not isinstance(self.weights, UnitWeights):
            factor = block_values(self.weights, encoded.chunks[0]) * factor
        return BlockWeights.of(factor)


def _one_hot(encoded, n_classes):
    return np.eye(n_classes)[encoded]


def _encode_labels(y, known):
    return np.searchsorted(known, y)


def _take(index, values):
    return values[index]


def find_dask_labels(y, sample_weight=None):
    """The :class:`DaskLabels` of the 1-D dask labels ``y``: one ``dask.compute``, which
    finds the classes and their weighted counts (the ``np.unique`` and weighted counts
    of each block, merged in a tree) and summarizes the float64 dask weights
    ``sample_weight`` (None: all one, nothing computed), reading each block once."""
    from sklearn.utils.multiclass import check_classification_targets

    if y.ndim != 1:
        raise ValueError(f"y must be a 1D array of class labels; got shape {y.shape}.")
    weights = [None] * y.numblocks[0] if sample_weight is None else sample_weight.to_delayed()
    count = dask.delayed(_label_counts, pure=True)
    parts = [count(b, w) for b, w in zip(y.to_delayed(), weights, strict=True)]
    summary = None if sample_weight is None else weight_summary(sample_weight)
    (classes, counts), summary = dask.compute(_tree(parts, _merge_label_counts), summary)
    check_classification_targets(classes)
    if sample_weight is None:
        return DaskLabels(y, classes, counts, UnitWeights(y.shape[0]))
    return DaskLabels(y, classes, counts, BlockWeights(sample_weight, summary))


def _label_counts(y, weight):
    """The labels of a block and the total weight of each."""
    classes, inverse = np.unique(y, return_inverse=True)
    return classes, np.bincount(inverse, weights=weight, minlength=len(classes)).astype(float)


def _merge_label_counts(*parts):
    classes, counts = (np.concatenate(arrays) for arrays in zip(*parts, strict=True))
    return _label_counts(classes, counts)


def validate_dask_labels(estimator, X, y, sample_weight, *, reset=True, min_samples=2):
    """Validate dask training data of a classifier; return ``(X, labels)``: the inputs
    as a dask array (as :func:`validate_dask_fit_data` checks them) and the
    :class:`DaskLabels` (one pass over the labels and weights; see
    :func:`find_dask_labels`), the weights checked as in memory."""
    X = _validated_inputs(estimator, X, reset=reset, min_samples=min_samples)
    y = label_array(y, X)
    weight = None if sample_weight is None else _block_weights(sample_weight, X)
    labels = find_dask_labels(y, weight)
    check_weights(estimator, labels.weights, min_samples)
    return X, labels


def validated_dask_inputs(estimator, X, y):
    """``(X, y)`` for a fit on dask input, nothing computed (but a dask DataFrame's
    partition lengths): ``X`` as :func:`validate_dask_fit_data` checks it, ``y`` a dask
    array with its row chunks."""
    X = _validated_inputs(estimator, X, reset=True, min_samples=2)
    return X, _aligned(y, X, "y")


def label_array(y, X):
    """The labels ``y`` (dask or in memory) as a 1-D dask array with ``X``'s row chunks
    (a single column is raveled)."""
    y = _aligned(y, X, "y")
    if y.ndim == 2 and y.shape[1] == 1:
        y = y.rechunk({1: -1})[:, 0]
    if y.ndim != 1:
        raise ValueError(f"y must be a 1D array of class labels; got shape {y.shape}.")
    return y


# ----------------------------------------------------------------------------------------
# Prediction and score
# ----------------------------------------------------------------------------------------


def _input_for_prediction(estimator, X, *, lengths=False):
    """``X`` checked against the fitted estimator, as a float dask array with one chunk of
    columns (with ``lengths``, a dask DataFrame's partition lengths are computed)."""
    check_is_fitted(estimator, "network_")
    validate_data(estimator, _meta(X), reset=False, skip_check_array=True)
    X = _as_dask_array(X, "X", lengths=lengths)
    if X.ndim != 2:
        raise ValueError(f"Expected a 2D array for X, got a dask array of shape {X.shape}.")
    return _float_array(X, "X", (np.float64, np.float32)).rechunk({1: -1})


def map_rows(X, function, *args, dtype, width=None):
    """``function(block, *args)`` on each row block of the dask array ``X``, lazily: a
    vector per block (``width`` None) or ``width`` columns."""
    if width is None:
        return X.map_blocks(
            function, *args, dtype=dtype, drop_axis=1, meta=np.empty((0,), dtype=dtype)
        )
    return X.map_blocks(
        function, *args, dtype=dtype, chunks=(X.chunks[0], (width,)),
        meta=np.empty((0, 0), dtype=dtype),
    )  # fmt: skip


def predict(estimator, X):
    """The estimator's predictions on a dask array (or DataFrame), as a lazy dask array
    with ``X``'s row chunks: ``network_.predict`` mapped over the blocks."""
    X = _input_for_prediction(estimator, X)
    network, ravel = estimator.network_, estimator._y_was_1d
    width = None if ravel else np.atleast_1d(network.intercept).shape[0]
    return map_rows(X, _predict_block, network, ravel, dtype=X.dtype, width=width)


def _predict_block(X, network, ravel):
    from ._base import predict_rows

    return predict_rows(network, X, ravel=ravel)


def class_predictions(estimator, X, kind):
    """A classifier's method ``kind`` (:func:`skgiant._classifier_base.class_outputs`:
    ``"predict"``, ``"predict_proba"``, ...) on a dask array or DataFrame, as a lazy
    dask array with ``X``'s row chunks."""
    X = _input_for_prediction(estimator, X)
    return _class_predictions(estimator, X, kind)


def _class_predictions(estimator, X, kind):
    from ._classifier_base import class_outputs

    classes = estimator.classes_
    if kind == "predict":
        dtype, width = classes.dtype, None
    else:
        dtype = np.float64
        width = None if kind == "decision_function" and len(classes) == 2 else len(classes)
    return map_rows(X, class_outputs, estimator.network_, classes, kind, dtype=dtype, width=width)


def hidden_features(estimator, X):
    """``network_.hidden`` (float64) on a dask array or DataFrame, lazily."""
    X = _input_for_prediction(estimator, X)
    network = estimator.network_
    return map_rows(X, _hidden_block, network, dtype=np.float64, width=network.n_hidden)


def _hidden_block(X, network):
    return network.hidden(np.asarray(X, dtype=np.float64))


def _scoring_inputs(estimator, X, sample_weight):
    """``(X, w)`` for a score computed in the blocks: the inputs validated for
    prediction (known row chunks) and the float64 weights with their row chunks (None:
    all one)."""
    X = _input_for_prediction(estimator, X, lengths=True)
    if any(np.isnan(c) for c in X.chunks[0]):
        raise ValueError(_unknown_chunks("X"))
    return X, None if sample_weight is None else _block_weights(sample_weight, X)


def r2_score(estimator, X, y, sample_weight=None):
    """The weighted R² of the predictions on ``X`` (averaged over the outputs, as
    scikit-learn's ``r2_score``), computed in the blocks: one ``dask.compute`` of two
    small sums per output."""
    X, w = _scoring_inputs(estimator, X, sample_weight)
    Y = _aligned(y, X, "y").astype(np.float64)
    Y = Y[:, None] if Y.ndim == 1 else Y
    P = predict(estimator, X)
    P = P[:, None] if P.ndim == 1 else P
    w = (da.ones(X.shape[0], chunks=(X.chunks[0],)) if w is None else w)[:, None]
    mean = (w * Y).sum(axis=0) / w.sum()
    numerator, denominator = dask.compute(
        (w * (Y - P) ** 2).sum(axis=0), (w * (Y - mean) ** 2).sum(axis=0)
    )
    # scikit-learn's rule for constant targets (force_finite=True)
    score = np.ones_like(numerator)
    nonzero = denominator != 0
    score[nonzero] = 1.0 - numerator[nonzero] / denominator[nonzero]
    score[~nonzero & (numerator != 0)] = 0.0
    return float(score.mean())


def accuracy(estimator, X, y, sample_weight=None):
    """A classifier's (weighted) accuracy on ``X``, computed in the blocks: one
    ``dask.compute`` of two sums."""
    X, w = _scoring_inputs(estimator, X, sample_weight)
    correct = _class_predictions(estimator, X, "predict") == label_array(y, X)
    if w is None:
        hits, total = dask.compute(correct.sum(), X.shape[0])
    else:
        hits, total = dask.compute((w * correct).sum(), w.sum())
    return float(hits / total)


# ----------------------------------------------------------------------------------------
# The alternating fit's first pass
# ----------------------------------------------------------------------------------------


def standardized_rows(X, Y, sample_weight, *, clip):
    """The training rows of an alternating fit on dask arrays, standardized on the fly.

    One pass computes the weighted moments and range of ``[X, Y]`` (and checks that
    both are finite), from which come what the in-memory fit computes on arrays.
    Returns ``(data, scaling, y_mean, y_scale, informative)``: the standardized
    :class:`DaskRowData`, the input scaling of :func:`skgiant._network.input_scaling`,
    the target mean and scale, and whether some input and some target vary among the
    weighted rows.
    """
    from ._giant_solver import first_pass
    from ._network import scaling_from_moments

    raw = DaskRowData(X, Y, sample_weight)
    d = raw.n_features
    total = first_pass(raw, np.zeros(0, dtype=np.intp), cross=False).moments
    x_moments, y_moments = total.columns(slice(0, d)), total.columns(slice(d, None))
    scaling = scaling_from_moments(x_moments, clip=clip)
    y_mean, y_scale = y_moments.mean_and_scale()
    informative = bool(np.any(x_moments.low < x_moments.high)) and bool(
        np.any(y_moments.low < y_moments.high)
    )
    data = raw.standardized(scaling["input_mean"], scaling["input_scale"], y_mean, y_scale)
    return data, scaling, y_mean, y_scale, informative
