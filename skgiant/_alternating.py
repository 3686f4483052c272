"""Alternating exact least squares for a two-layer leaky-ReLU network (pure solver).

Barbu, *Training a Two Layer ReLU Network Analytically* (Sensors 23(8):4072, 2023). The
network on (standardized) rows ``x`` with ``x1 = [x, 1]`` is ::

    f(x) = sigma(W @ x1) @ beta + b0,    sigma(z) = max(z, slope * z)

with ``W`` of shape ``(p, d + 1)`` (the last column holds the hidden biases), ``beta`` of
shape ``(p, m)`` and an output intercept ``b0``. With the activation pattern
``S_ij = 1 if w_j . x1_i > 0 else slope`` held fixed the output is linear in ``W``::

    f_i = b0 + sum_j beta_j * S_ij * (w_j . x1_i) = b0 + Z_i @ vec(W)

so the hidden layer has an exact least-squares solve (a Gauss-Newton step: ``Z`` is the
Jacobian), and so has the readout. Everything here works on arrays and knows nothing of
scikit-learn.

Objective (the "true loss", what the safeguarded iteration never increases)::

    J(W, beta, b0) = (1/S) sum_i w_i ||y_i - f(x_i)||**2 + alpha * (||W||**2 + ||beta||**2)

with ``S = sum(w)``: the normalized convention of :mod:`skgiant._ridge`, so ``alpha``
need not change with the number of samples; the hidden biases (last column of ``W``)
are penalized, the output intercept ``b0`` is not. The published recipe's ``lambda`` on
un-normalized sums is ``alpha = lambda / n``.

The rows are read only through block kernels of :class:`~skgiant._blocks.RowData` (the
ones column is appended inside the kernels, so the data may be standardized on the
fly); kernels that read the rows in the same state share one pass. The hidden-layer
normal equations are either formed densely (``O(n P**2)`` time, ``O(P**2)`` memory with
``P = p (d + 1)``; with fewer rows than unknowns, solved through the ``n x n`` Gram
matrix of the design rows instead, ``O(n**2 (p + d) + n**3)``) or solved matrix-free by
preconditioned conjugate gradients, each product ``O(n p d)``.

The solver is split into the phases of :func:`fit_alternating`: :func:`initialize`
(first layer, penalty, readout), :func:`hidden_step` (normal equations, damping,
solve, :func:`line_search`), :func:`update_damping`, :func:`readout_step`,
:func:`revive_dead_units`, :func:`track_validation` and :func:`stopping_reason`, and
:func:`finalize`.
"""

import time
import warnings
from dataclasses import dataclass, field, replace

import numpy as np
from scipy import linalg
from scipy.linalg.blas import dsymv, dsyrk

from ._blocks import RowData, add_ones, prepared
from ._memory import require_memory
from ._moments import gram_kernel
from ._ridge import (
    GramStatistics,
    LinAlgConditionWarning,
    eigen_readout,
    ridge_coef,
    select_penalty,
    solve_readout,
)
from ._selection import one_standard_error_choice

#: Penalties tried when ``alpha="auto"`` (normalized convention, standardized targets).
AUTO_ALPHAS = np.logspace(-6, 1, 29)
#: ``solver="auto"`` always solves densely (exactly) while forming and factoring the
#: normal equations, ``n P**2 + P**3 / 3`` floating-point operations with
#: ``P = p (d + 1)``, stays below this (a millisecond or two on one core) ...
DENSE_ALWAYS_FLOPS = 5e7
#: ... and, with no more rows than unknowns (``n <= P``: small data, where the exact
#: solve keeps weighted rows exactly equivalent to repeated ones), below this.
DENSE_SMALL_DATA_FLOPS = 2e9
#: Beyond that, ``"auto"`` picks the cheaper solve by a cost model: the dense one costs
#: ``n P**2 + P**3 / 3`` flops, the matrix-free one ``4 n P`` per CG iteration, and a
#: flop of a CG product (two thin ``(n, d + 1) x (d + 1, p)`` products and elementwise
#: work) takes about this many times as long as one of the dense ``syrk``/Cholesky
#: (measured on the development data in benchmarks/bench_alternating.py, one core:
#: 19-28 GFLOP/s against 40-45).
CG_FLOP_COST = 2.0
#: On rows held on a cluster every pass is a round trip over all blocks, so ``"auto"``
#: solves densely there -- one pass builds ``M``, the right-hand side and the energy --
#: up to this many unknowns ``P = p (d + 1)``: each block then sends ``8 P**2`` bytes
#: (33 MB at 2048) and the driver factors ``M`` in ``P**3 / 3`` flops (3 GFLOP); beyond
#: it the matrix-free solve reads the rows once per CG iteration.
DISTRIBUTED_DENSE_UNKNOWNS = 2048


# ----------------------------------------------------------------------------------------
# Data, settings and records
# ----------------------------------------------------------------------------------------


@dataclass
class Problem:
    """Training rows of the alternating solver.

    Attributes
    ----------
    data : RowData
        Inputs (without the ones column: the kernels append it), float64 targets of
        shape ``(n, m)`` and non-negative sample weights with a positive sum.
    slope : float
        Leaky-ReLU negative slope (0 is ReLU).
    """

    data: RowData
    slope: float = 0.0

    @classmethod
    def from_arrays(cls, X, Y, weight, slope=0.0, chunk=None):
        """A problem on in-memory arrays (``chunk``: rows per block, ``None`` = auto)."""
        Y = np.asarray(Y, dtype=np.float64)
        Y = Y[:, None] if Y.ndim == 1 else Y
        weight = np.asarray(weight, dtype=np.float64)
        return cls(RowData(np.asarray(X), Y, weight, chunk=chunk), float(slope))

    @property
    def n(self):
        return self.data.n

    @property
    def n_inputs(self):
        """``d + 1``: inputs plus the ones column."""
        return self.data.n_features + 1

    @property
    def weights(self):
        """The :class:`~skgiant._weights.RowWeights` of the rows."""
        return self.data.weights

    @property
    def weight_sum(self):
        return self.data.weight_sum

    @property
    def passes(self):
        """Full passes over the rows so far (see :class:`~skgiant._blocks.RowData`)."""
        return self.data.passes

    @property
    def distributed(self):
        """Whether the rows live on a cluster (activation patterns are then recomputed
        in the blocks, see :class:`ImplicitPattern`)."""
        return self.data.distributed

    def subset(self, index):
        """The problem restricted to the rows ``index`` (sorted): gathered in one pass in
        memory; on a cluster, gathered when small and else a view of the blocks."""
        return Problem(self.data.subset(index), self.slope)


@dataclass(frozen=True)
class PenaltyPath:
    """How ``alpha="auto"`` refines its penalty on held-out rows
    (:func:`penalty_on_held_out_rows`).

    Attributes
    ----------
    factors : tuple of float
        Multiples of the initial choice tried, strongest first (each fit warm-starts the
        next, a regularization path).
    folds : int
        Folds of the cross-fitting that scores the penalties.
    rows_per_parameter : float
        The penalty is refined only with fewer weighted rows than this many per
        first-layer parameter ``p (d + 1)`` (and a dense hidden-layer solve): there it
        decides between fitting and overfitting, and the extra fits are cheap.
    max_iter : int or None
        Iterations of each fit on the folds (None: those of the fit itself).
    """

    factors: tuple = (10.0, 1.0, 0.1)
    folds: int = 3
    rows_per_parameter: float = 3.0
    max_iter: int | None = None


@dataclass(frozen=True)
class AlternatingConfig:
    """Settings of :func:`fit_alternating`.

    Attributes
    ----------
    n_hidden : int
        Width ``p`` (ignored when ``W_init`` is given).
    max_iter : int
        Iterations (one W-step and one readout step each).
    alpha : float or "auto"
        Penalty of ``J`` on both layers; ``"auto"`` picks it by the cross-validation error
        of the readout at initialization (:func:`choose_penalty`) and keeps it fixed.
    penalty_path : PenaltyPath or None
        How ``alpha="auto"`` refines that choice on held-out rows where rows are few
        (None: it does not).
    step_fraction : float or "auto"
        A float ``t`` moves ``W <- W + t (W_solve - W)`` and accepts every step (1.0 is
        the published, undamped recipe). ``"auto"``: Levenberg-Marquardt damping
        ``mu`` plus backtracking ``t = 1, 1/2, 1/4``; a step is accepted only if it
        lowers ``J``, ``mu`` shrinks after an acceptance and grows after a rejection.
    batch_size : int or None
        Rows of a fresh random subset used by each W-step (``None``: all rows).
    tol : float
        Stop when an accepted iteration lowers ``J`` by at most ``tol * J``. The
        iteration also stops when an undamped full step changes no activation.
    init_scale : {"fan_in", "standard"} or float
        See :func:`init_weights`.
    solver : {"auto", "dense", "cg"}
        See :func:`choose_solver`.
    max_inner_iter, inner_tol : int, float
        CG iteration cap and relative residual of the matrix-free solve.
    rebalance : bool
        Rebalance units after each readout step (:func:`rebalance`).
    revive_dead_units : bool
        Re-draw dead units, kept only if ``J`` does not increase.
    n_iter_no_change : int
        Patience of the validation stop.
    max_rejections : int
        Stop after this many consecutive rejected steps (``step_fraction="auto"``).
    """

    n_hidden: int = 32
    max_iter: int = 30
    alpha: float | str = "auto"
    penalty_path: PenaltyPath | None = PenaltyPath()
    step_fraction: float | str = "auto"
    batch_size: int | None = None
    tol: float = 1e-4
    init_scale: str | float = "fan_in"
    solver: str = "auto"
    max_inner_iter: int = 100
    inner_tol: float = 1e-6
    rebalance: bool = True
    revive_dead_units: bool = True
    n_iter_no_change: int = 5
    max_rejections: int = 6

    @property
    def adaptive(self):
        """Whether steps are damped, backtracked and accepted only on a decrease."""
        return self.step_fraction == "auto"


@dataclass
class IterationRecord:
    """Diagnostics of one iteration (``iter=0``: the initialization).

    ``loss`` is the true penalized loss ``J`` of the iterate after the iteration, ``mse``
    its unpenalized part, ``surrogate`` the fixed-pattern loss at the solve's full step
    (on its rows), ``flip_fraction`` the weighted share of activations the step changed,
    ``logdet`` that of the damped normal matrix (NaN for the matrix-free solve),
    ``dead_units`` and ``revived`` counts of units, ``accepted``, ``step`` (the fraction
    ``t`` kept), ``damping`` (``mu``), ``method`` ("init", "cholesky", "eigh" or "cg"),
    ``inner_iter`` (CG iterations), ``val_mse`` (held-out error, NaN without
    validation) and ``time`` (seconds since the start).
    """

    iter: int
    loss: float
    mse: float
    surrogate: float = np.nan
    flip_fraction: float = 0.0
    logdet: float = np.nan
    dead_units: int = 0
    revived: int = 0
    accepted: bool = True
    step: float = 0.0
    damping: float = 0.0
    method: str = "init"
    inner_iter: int = 0
    val_mse: float = np.nan
    time: float = 0.0


# ----------------------------------------------------------------------------------------
# Block kernels and evaluations
# ----------------------------------------------------------------------------------------


class RowPieces:
    """Per-row outputs of a pass, block by block.

    Adding two concatenates their pieces, so per-row results travel through
    :meth:`RowData.reduce <skgiant._blocks.RowData.reduce>` with the sums of the same
    pass (and through a tree reduction alike); :meth:`assemble` puts them in row order.
    """

    def __init__(self, rows, values):
        self.pieces = [(rows.start, values)]

    def __add__(self, other):
        out = RowPieces(slice(0, 0), None)
        out.pieces = self.pieces + other.pieces
        return out

    def assemble(self):
        return np.concatenate([v for _, v in sorted(self.pieces, key=lambda piece: piece[0])])


def slopes(active, slope):
    """Pattern multipliers ``S`` (1 where active, ``slope`` elsewhere) as float64."""
    return np.where(active, 1.0, slope)


@dataclass(frozen=True)
class ImplicitPattern:
    """The activation pattern of the first layer ``W``, recomputed block by block from
    the rows (``x1 @ W.T > 0``) instead of stored.

    Rows on a cluster use it: an ``(n, p)`` pattern would have to live on the driver. As
    the pattern is a function of ``W`` and the row, it holds for any subset of the rows.
    """

    W: np.ndarray

    def of(self, X1):
        """Boolean pattern of the rows ``X1`` (inputs with the ones column)."""
        return X1 @ self.W.T > 0


def _block_pattern(active, rows, X1):
    """Boolean pattern of the block ``rows`` (inputs ``X1``) from a stored or implicit one."""
    if isinstance(active, ImplicitPattern):
        return active.of(X1)
    return active[rows]


def multipliers(problem, active):
    """The pattern ``active`` in the form the fixed-pattern operators multiply by.

    The float64 multipliers ``S`` (1 where active, ``slope`` elsewhere) are formed once
    (``8 n p`` bytes) when they fit in memory, so that the many products of one solve
    neither rebuild them nor convert booleans; otherwise the boolean pattern is
    returned and each product forms ``S`` block by block. An :class:`ImplicitPattern`
    is returned as is.
    """
    if isinstance(active, ImplicitPattern) or active.dtype != bool:
        return active
    try:
        require_memory(8 * active.size, "", "")
    except MemoryError:
        return active
    return slopes(active, problem.slope)


def _block_multipliers(active, rows, X1, slope):
    """``S`` of the rows ``rows`` (inputs ``X1``) from a pattern as returned by
    :func:`multipliers`."""
    if not isinstance(active, ImplicitPattern) and active.dtype != bool:
        return active[rows]
    return slopes(_block_pattern(active, rows, X1), slope)


def activation_pattern(problem, W):
    """Boolean ``(n, p)`` array: unit ``j`` is active on row ``i`` (``w_j . x1_i > 0``)."""
    return problem.data.map(lambda b: b.with_ones() @ W.T > 0, floats_per_row=W.shape[0])


def hidden_features(X1, W, slope):
    """Leaky-ReLU features ``sigma(X1 @ W.T)`` of the rows ``X1``."""
    z = X1 @ W.T
    return np.maximum(z, slope * z) if slope else np.maximum(z, 0.0)


def penalty(alpha, W, beta):
    """``alpha * (||W||**2 + ||beta||**2)``."""
    return alpha * (float(np.sum(W * W)) + float(np.sum(beta * beta)))


def _weighted_energy(weight, resid):
    """``sum_i w_i ||resid_i||**2``."""
    return float(weight @ np.einsum("ij,ij->i", resid, resid))


@dataclass
class Evaluation:
    """True loss of a network on a problem, and its activation pattern statistics."""

    mse: float  # (1/S) sum_i w_i ||y_i - f_i||**2
    loss: float  # mse + penalty
    flip_fraction: float  # weighted fraction of (row, unit) pairs whose pattern changed
    active_mass: np.ndarray  # (p,) weighted fraction of rows on which each unit is active
    active: np.ndarray | ImplicitPattern | None = None  # (n, p) pattern, when asked for


@dataclass
class _LossSums:
    total: float
    flips: float
    active_mass: np.ndarray
    pattern: RowPieces | None


def loss_kernel(W, beta, b0, slope, reference=None, pattern=False):
    """Block kernel of :func:`evaluate`: weighted squared error, flips, active mass."""

    def kernel(block):
        X1 = block.with_ones()
        z = X1 @ W.T
        active = z > 0
        h = np.maximum(z, slope * z) if slope else np.maximum(z, 0.0)
        w = block.weight
        flips = 0.0
        if reference is not None:
            # weighted, like everything else: a zero-weight row must not count (the
            # "pattern" stop tests flips == 0), and weight k counts as k copies
            changed = active != _block_pattern(reference, block.rows, X1)
            flips = float(w @ np.count_nonzero(changed, axis=1))
        total = _weighted_energy(w, block.Y - b0 - h @ beta)
        return _LossSums(
            total, flips, w @ active, RowPieces(block.rows, active) if pattern else None
        )

    return kernel


def _evaluation(problem, sums, W, beta, alpha, pattern=False):
    S = problem.weight_sum
    mse = sums.total / S
    denom = max(S * W.shape[0], np.finfo(float).tiny)
    active = ImplicitPattern(W) if pattern else None
    if sums.pattern is not None:
        active = sums.pattern.assemble()
    return Evaluation(
        mse, mse + penalty(alpha, W, beta), sums.flips / denom, sums.active_mass / S, active
    )


def evaluate(problem, W, beta, b0, alpha, reference=None, pattern=False):
    """True loss ``J`` of ``(W, beta, b0)`` in one pass; flips counted against ``reference``.

    ``reference`` is a boolean pattern of shape ``(n, p)``, an :class:`ImplicitPattern`
    (or ``None``). With ``pattern=True`` the activation pattern of ``W``
    (:func:`activation_pattern`) is returned too, at no extra product; on rows held on a
    cluster it is the :class:`ImplicitPattern` of ``W`` (nothing of size ``n x p`` reaches
    the driver).
    """
    store = pattern and not problem.distributed
    kernel = loss_kernel(W, beta, b0, problem.slope, reference, store)
    (sums,) = problem.data.reduce(kernel, floats_per_row=3 * W.shape[0])
    return _evaluation(problem, sums, W, beta, alpha, pattern)


def evaluate_with_statistics(problem, W, beta, b0, alpha, reference=None):
    """:func:`evaluate` (with the pattern) and :func:`readout_statistics` of ``W``, one pass."""
    kernels = (
        loss_kernel(W, beta, b0, problem.slope, reference, not problem.distributed),
        statistics_kernel(W, problem.slope, problem.weights.largest),
    )
    sums, moments = problem.data.reduce(*kernels, floats_per_row=3 * W.shape[0])
    stats = moments.gram_statistics(W.shape[0], problem.weight_sum)
    return _evaluation(problem, sums, W, beta, alpha, True), stats


def surrogate_loss(problem, active, W, beta, b0, alpha):
    """Fixed-pattern loss: ``J`` with the pattern ``active`` instead of ``W``'s own.

    The network output is replaced by ``b0 + (S * (X1 @ W.T)) @ beta``, linear in ``W``.
    At ``W`` whose own pattern is ``active`` it equals the true loss.
    """

    def kernel(block):
        X1 = block.with_ones()
        h = X1 @ W.T
        h *= _block_multipliers(active, block.rows, X1, problem.slope)
        return _weighted_energy(block.weight, block.Y - b0 - h @ beta)

    (total,) = problem.data.reduce(kernel, floats_per_row=3 * W.shape[0])
    return total / problem.weight_sum + penalty(alpha, W, beta)


def row_errors(problem, W, beta, b0):
    """Per-row squared error of the network, averaged over outputs (one pass)."""

    def kernel(block):
        resid = block.Y - b0 - hidden_features(block.with_ones(), W, problem.slope) @ beta
        return (resid * resid).mean(axis=1)

    return problem.data.map(kernel, floats_per_row=3 * W.shape[0])


# ----------------------------------------------------------------------------------------
# Hidden-layer (W) step
# ----------------------------------------------------------------------------------------


def weighted_design(X1, S, weight, beta):
    """Rows of the fixed-pattern design ``D^(1/2) Z``: ``sqrt(w_i) (beta_k * S_i) (x) x1_i``.

    Returns an array of shape ``(len(X1) * m, p * (d + 1))``: row ``i * m + k`` is row
    ``i`` for output ``k``, column ``j * (d + 1) + a`` holds
    ``sqrt(weight[i]) * beta[j, k] * S[i, j] * X1[i, a]`` (``vec(W)`` is ``W.ravel()``).
    """
    coef = S[:, None, :] * beta.T[None, :, :]  # (c, m, p)
    Z = coef[..., None] * X1[:, None, None, :]
    Z *= np.sqrt(weight)[:, None, None, None]
    return Z.reshape(X1.shape[0] * beta.shape[1], -1)


def _block_matvec(X1, S, weight, beta, V):
    """One block's sum of ``S M vec(V)``; :func:`_finish_matvec` completes it."""
    h = X1 @ V.T
    h *= S
    o = h @ beta
    o *= weight[:, None]
    if beta.shape[1] == 1:  # out_j = beta_j sum_i S_ij w_i o_i x1_i: scale X1's rows, not (n, p)
        return S.T @ (X1 * o)
    t = o @ beta.T
    t *= S
    return t.T @ X1


def _finish_matvec(total, beta, weight_sum):
    if beta.shape[1] == 1:
        total = total * beta
    return total / weight_sum


def normal_matvec(problem, active, beta, V):
    """``M @ vec(V)`` reshaped as ``(p, d + 1)`` without forming ``M`` (one pass, ``O(n p d)``)."""

    def kernel(block):
        X1 = block.with_ones()
        S = _block_multipliers(active, block.rows, X1, problem.slope)
        return _block_matvec(X1, S, block.weight, beta, V)

    (total,) = problem.data.reduce(kernel, floats_per_row=4 * V.shape[0])
    return _finish_matvec(total, beta, problem.weight_sum)


def dense_bytes(p, d1):
    """Bytes the dense W-step holds at once: ``M``, one block's part of it and its factor."""
    return 3 * (p * d1) ** 2 * 8


@dataclass
class HiddenSolve:
    """Result of one hidden-layer solve."""

    W: np.ndarray
    method: str  # "cholesky", "eigh" (fallback) or "cg"
    logdet: float  # log det(M + (alpha + mu) I); NaN for the matrix-free solve
    inner_iter: int  # CG iterations (0 for dense)
    residual: float  # relative residual of the normal equations
    surrogate: float = np.nan  # fixed-pattern loss at W, from the quadratic form


@dataclass
class HiddenSystem:
    """The W-step normal equations ``M vec(W) = r`` of one pattern, ``beta`` and ``b0``.

    ``M = Z^T D Z / S`` is held only by the dense solve, as its upper triangle (the
    lower one is zero: :func:`symmetric_product` multiplies by it, Cholesky and ``eigh``
    read only that triangle, and mirroring it would cost as much as a factorization on
    small data). With fewer design rows than unknowns (``n m < P``, rows in memory) the
    dense solve keeps instead the :class:`DesignRows` ``Z~ = D^(1/2) Z / sqrt(S)``, so
    that ``M = Z~^T Z~``, and their ``(n m) x (n m)`` Gram matrix ``gram = Z~ Z~^T``:
    :func:`solve_dual_system` solves in that smaller space, and ``M`` is formed
    (:func:`normal_matrix`) only should it decline. The matrix-free
    solve keeps the pattern multipliers to apply ``M``, and ``MW = M vec(W)`` at the
    ``W`` the system was built at (the first residual of conjugate gradients
    warm-started there, at no pass of its own). ``r = Z^T D (Y - b0) / S``;
    ``diagonal`` (of ``M``) sets the damping scale and is the Jacobi preconditioner;
    ``yy`` is ``(1/S) sum_i w_i ||y_i - b0||**2``, with which the fixed-pattern loss of
    any ``W`` is the quadratic ``yy - 2 <r, W> + <W, M W> + alpha (||W||**2 + ||beta||**2)``.
    """

    kind: str  # "dense" or "cg"
    r: np.ndarray  # (p, d + 1)
    diagonal: np.ndarray  # (p, d + 1)
    yy: float
    M: np.ndarray | None = None  # (P, P) upper triangle, dense only
    active: np.ndarray | None = None  # pattern multipliers (see multipliers), cg only
    MW: np.ndarray | None = None  # (p, d + 1), cg only
    rows: "DesignRows | None" = None  # dense with n m < P only
    gram: np.ndarray | None = None  # (n m, n m), with rows only


@dataclass
class DesignRows:
    """The weighted fixed-pattern design ``Z~ = D^(1/2) Z / sqrt(S)`` in factored form.

    Row ``(i, k)`` (row ``i * m + k``) of ``Z~`` is the Kronecker product
    ``coef[i, k] (x) inputs[i]`` of the unit coefficients
    ``sqrt(w_i / S) beta[:, k] * S_i`` and the inputs ``x1_i``, so every product with
    ``Z~`` costs ``O(n m p (d + 1))`` without forming it, and its Gram matrix is
    ``(coef coef^T) * (inputs inputs^T)`` elementwise (``O(n**2 (m**2 p + d))``).
    """

    coef: np.ndarray  # (n, m, p)
    inputs: np.ndarray  # (n, d + 1)

    @property
    def shape(self):
        n, m, p = self.coef.shape
        return n * m, p * self.inputs.shape[1]

    def matvec(self, theta):
        """``Z~ vec(theta)`` for ``theta`` of shape ``(p, d + 1)``: ``(n m,)``."""
        return np.einsum("ikj,ij->ik", self.coef, self.inputs @ theta.T).ravel()

    def rmatvec(self, u):
        """``Z~^T u`` shaped ``(p, d + 1)``."""
        n, m, _ = self.coef.shape
        return np.einsum("ik,ikj->ji", u.reshape(n, m), self.coef) @ self.inputs

    def diagonal(self):
        """The diagonal of ``Z~^T Z~``, shaped ``(p, d + 1)``."""
        return np.einsum("ikj,ikj->ji", self.coef, self.coef) @ (self.inputs**2)

    def gram(self):
        """``Z~ Z~^T``, of shape ``(n m, n m)``."""
        n, m, p = self.coef.shape
        flat = self.coef.reshape(n * m, p)
        K = flat @ flat.T
        K.reshape(n, m, n, m)[...] *= (self.inputs @ self.inputs.T)[:, None, :, None]
        return K

    def dense(self):
        """``Z~`` itself, of shape ``(n m, P)``."""
        return (self.coef[..., None] * self.inputs[:, None, None, :]).reshape(self.shape)


def _block_gram_of_design(X1, S, weight, beta):
    """Upper triangle of one block's ``Z^T D Z`` by ``syrk`` (lower triangle zero)."""
    M = None
    for k in range(beta.shape[1]):  # one output at a time: a block's design stays small
        Z = weighted_design(X1, S, weight, beta[:, k : k + 1])
        if M is None:
            M = dsyrk(1.0, Z.T, trans=0, lower=0)
        else:
            M = dsyrk(1.0, Z.T, beta=1.0, c=M, trans=0, lower=0, overwrite_c=1)
    return M


def system_kernel(problem, active, W, beta, b0, kind):
    """Block kernel of :func:`hidden_system`: every sum of the normal equations at once.

    ``kind`` is "dense", "dual" (the factors of the weighted design rows, see
    :class:`DesignRows`) or "cg". Returns per block ``(M, design factors or None, r,
    diagonal or None, yy, MW or None)`` before the division by ``S`` (``M``
    upper-triangular, dense only).
    """

    def kernel(block):
        X1 = block.with_ones()
        S = _block_multipliers(active, block.rows, X1, problem.slope)
        w = block.weight
        resid = block.Y - b0
        t = (resid * w[:, None]) @ beta.T
        t *= S
        sums = [None, None, t.T @ X1, None, _weighted_energy(w, resid), None]
        if kind == "dense":
            sums[0] = _block_gram_of_design(X1, S, w, beta)
        elif kind == "dual":
            coef = S[:, None, :] * beta.T[None, :, :]
            coef *= np.sqrt(w)[:, None, None]
            sums[1] = (RowPieces(block.rows, coef), RowPieces(block.rows, X1))
        else:
            sums[3] = (S * S * w[:, None]).T @ (X1**2)
            sums[5] = _block_matvec(X1, S, w, beta, W)
        return tuple(sums)

    return kernel


def uses_design_rows(problem, P, m):
    """Whether a dense system on ``problem`` keeps its design rows (:class:`HiddenSystem`):
    rows in memory, fewer of them (``n m``) than unknowns ``P``, so that the dual solve
    (``(n m)**2 (p m + d)`` flops to form, ``(n m)**3 / 3`` to factor) beats the normal
    equations (``n m P**2`` and ``P**3 / 3``)."""
    return not problem.distributed and problem.n * m < P


def hidden_system(problem, active, W, beta, b0, kind):
    """The :class:`HiddenSystem` at ``W`` for ``kind`` in {"dense", "cg"}, in one pass.

    A dense system keeps the design rows instead of ``M`` when
    :func:`uses_design_rows`. The dense matrix is memory-checked first, also when the
    design rows are kept (the dual solve falls back to ``M`` where it is unreliable):
    ``MemoryError`` (naming the remedy) is raised before allocating a matrix that cannot
    fit.
    """
    p, d1 = W.shape
    m = beta.shape[1]
    if kind == "dense":  # checked for the dual solve too: its fallback forms M
        require_memory(
            dense_bytes(p, d1),
            f"the dense {p * d1} x {p * d1} hidden-layer normal-equation matrix",
            "Use solver='cg' (matrix-free), a smaller n_hidden, or fewer features.",
        )
        if uses_design_rows(problem, p * d1, m):
            kind = "dual"
    mult = multipliers(problem, active)
    floats = {"dense": 2 * p * d1, "dual": (m + 1) * p + d1}.get(kind, 4 * p)
    kernel = system_kernel(problem, mult, W, beta, b0, kind)
    ((M, rows, r, diagonal, yy, MW),) = problem.data.reduce(kernel, floats_per_row=floats)
    S = problem.weight_sum
    if kind == "dense":
        M /= S  # a sum made by this pass: ours to scale in place
        return HiddenSystem("dense", r / S, np.diag(M).reshape(W.shape).copy(), yy / S, M=M)
    if kind == "dual":
        coef, inputs = (pieces.assemble() for pieces in rows)
        coef /= np.sqrt(S)
        rows = DesignRows(coef, inputs)
        return HiddenSystem("dense", r / S, rows.diagonal(), yy / S, rows=rows, gram=rows.gram())
    diagonal = diagonal * np.sum(beta * beta, axis=1)[:, None] / S
    MW = _finish_matvec(MW, beta, S)
    return HiddenSystem("cg", r / S, diagonal, yy / S, active=mult, MW=MW)


def symmetric_product(upper, v):
    """``A @ v`` for the symmetric ``A`` whose upper triangle is ``upper`` (the lower
    triangle of ``upper`` is not read)."""
    return dsymv(1.0, upper, v, lower=0)


def normal_matrix(system):
    """The upper triangle of ``M`` of a dense :class:`HiddenSystem`, formed from its
    design rows (and kept) if it holds those instead."""
    if system.M is None:
        system.M = dsyrk(1.0, system.rows.dense().T, trans=0, lower=0)  # Z~^T Z~
    return system.M


def normal_product(system, theta):
    """``M @ vec(theta)`` of a dense :class:`HiddenSystem`, shaped like ``theta``."""
    if system.M is None:
        return system.rows.rmatvec(system.rows.matvec(theta))
    return symmetric_product(system.M, theta.ravel()).reshape(theta.shape)


def _cholesky_is_reliable(pivots, scale, P):
    """The test of :func:`solve_dense_system` on the Cholesky factor of an order-``P``
    matrix of largest diagonal ``scale``: its smallest pivot is not lost to rounding."""
    return pivots.min() ** 2 >= scale * P * np.finfo(float).eps * 1e3


def solve_dual_system(system, W, alpha, mu=0.0):
    """The solve of :func:`solve_dense_system` through the :class:`DesignRows` ``Z~``:
    ``(Z~^T Z~ + c I)^-1 b = (b - Z~^T (Z~ Z~^T + c I)^-1 Z~ b) / c`` with ``c = alpha +
    mu`` and ``b = r + mu vec(W)``, factoring the ``n m``-square ``gram + c I`` instead
    of ``M + c I``.

    Returns None -- solve the normal equations instead -- unless ``c`` alone passes the
    reliability test of the normal equations' Cholesky factor (whose pivots are at least
    ``sqrt(c)``), so that the dual solve is used only where the primal one would be a
    Cholesky solve too, or when its own factorization fails.
    """
    rows, gram = system.rows, system.gram
    N, P = rows.shape
    shift = alpha + mu
    rhs = system.r + mu * W
    A = gram.copy(order="F")
    A[np.diag_indices(N)] += shift
    scale = float(system.diagonal.max(initial=0.0)) + shift
    finite = np.all(np.isfinite(A)) and np.all(np.isfinite(rhs))  # (then so is Z~)
    if not (finite and shift > 0 and _cholesky_is_reliable(np.sqrt([shift]), scale, P)):
        return None
    try:
        factor = linalg.cho_factor(A, lower=False, overwrite_a=True, check_finite=False)
    except linalg.LinAlgError:
        return None
    u = linalg.cho_solve(factor, rows.matvec(rhs), check_finite=False)
    theta = (rhs - rows.rmatvec(u)) / shift
    # det(Z~^T Z~ + c I) = det(Z~ Z~^T + c I) c^(P - N)
    logdet = 2.0 * float(np.log(np.abs(np.diag(factor[0]))).sum()) + (P - N) * np.log(shift)
    return HiddenSolve(theta, "cholesky", logdet, 0, 0.0)


def _quadratic_surrogate(system, theta, M_theta, alpha, beta):
    """Fixed-pattern loss at ``theta`` from the normal equations (``M_theta = M theta``)."""
    value = system.yy - 2.0 * float(np.sum(system.r * theta)) + float(np.sum(theta * M_theta))
    return value + penalty(alpha, theta, beta)


def solve_dense_system(system, W, alpha, mu=0.0):
    """Solve ``(M + (alpha + mu) I) vec(W') = r + mu vec(W)`` for the dense ``(M, r)``.

    Only the upper triangle of ``M`` is read. Cholesky in float64; when the system is
    not numerically positive definite the eigendecomposition gives the minimum-norm
    solution (``method="eigh"``).
    """
    M, r = system
    p, d1 = W.shape
    P = p * d1
    rhs = (r + mu * W).ravel()
    A = M.copy(order="F")  # the layout LAPACK factors in place
    A[np.diag_indices(P)] += alpha + mu
    scale = max(float(np.abs(np.diag(A)).max(initial=0.0)), np.finfo(float).tiny)
    try:
        if not (np.all(np.isfinite(A)) and np.all(np.isfinite(rhs))):
            raise linalg.LinAlgError("non-finite normal equations")
        factor = linalg.cho_factor(A, lower=False, overwrite_a=True, check_finite=False)
        diag = np.abs(np.diag(factor[0]))
        if not _cholesky_is_reliable(diag, scale, P):
            raise linalg.LinAlgError("ill-conditioned")
        theta = linalg.cho_solve(factor, rhs, check_finite=False)
        return HiddenSolve(
            theta.reshape(p, d1), "cholesky", 2.0 * float(np.log(diag).sum()), 0, 0.0
        )
    except linalg.LinAlgError:
        pass
    A = M.copy(order="F")
    A[np.diag_indices(P)] += alpha + mu
    A[~np.isfinite(A)] = 0.0
    rhs = np.where(np.isfinite(rhs), rhs, 0.0)
    evals, evecs = linalg.eigh(A, lower=False, check_finite=False)
    tol = max(abs(float(evals[-1])), np.finfo(float).tiny) * P * np.finfo(float).eps
    keep = evals > tol
    theta = evecs[:, keep] @ ((evecs[:, keep].T @ rhs) / evals[keep])
    logdet = float(np.sum(np.log(evals[keep]))) if keep.any() else -np.inf
    return HiddenSolve(theta.reshape(p, d1), "eigh", logdet, 0, _rel_residual(A, theta, rhs))


def solve_dense(system, W, alpha, mu=0.0):
    """Exact solve of a dense :class:`HiddenSystem`: through its design rows when it
    holds them and :func:`solve_dual_system` accepts, else by the normal equations."""
    if system.rows is not None:
        sol = solve_dual_system(system, W, alpha, mu)
        if sol is not None:
            return sol
    return solve_dense_system((normal_matrix(system), system.r), W, alpha, mu)


def solve_hidden_dense(problem, active, W, beta, b0, alpha, mu=0.0):
    """Exact W-step ``(M + (alpha + mu) I) vec(W') = r + mu vec(W)`` with dense ``M``."""
    system = hidden_system(problem, active, W, beta, b0, "dense")
    return solve_dense(system, W, alpha, mu)


def _rel_residual(upper, theta, rhs):
    norm = np.linalg.norm(rhs)
    resid = symmetric_product(upper, theta) - rhs
    return float(np.linalg.norm(resid) / norm) if norm > 0 else 0.0


def solve_hidden_cg(
    problem, active, W, beta, b0, alpha, mu=0.0, *, rtol=1e-6, max_iter=100, system=None
):
    """Matrix-free W-step: Jacobi-preconditioned CG warm-started at ``W``.

    Solves the same system as :func:`solve_hidden_dense`. It stops when the residual
    is at most ``rtol`` times the right-hand side or after ``max_iter`` iterations. Every CG
    iterate lowers the damped fixed-pattern quadratic, so an early stop still never
    raises the surrogate loss above its value at ``W``. Memory is ``O(chunk * p + p * d)``
    (plus ``8 n p`` bytes of pattern multipliers when they fit, see :func:`multipliers`).
    ``system`` is a :class:`HiddenSystem` of kind ``"cg"`` built at ``W`` on the same
    rows. Each CG iteration is one pass over the rows; the first residual comes with
    the system.
    """
    if system is None:
        system = hidden_system(problem, active, W, beta, b0, "cg")
    shift = alpha + mu
    rhs = system.r + mu * W
    precond = system.diagonal + shift
    precond[precond <= 0] = 1.0

    def apply(V):
        return normal_matvec(problem, system.active, beta, V) + shift * V

    x = W.copy()
    r = rhs - (system.MW + shift * x)
    rhs_norm = np.linalg.norm(rhs)
    if rhs_norm == 0:
        zero = np.zeros_like(W)
        surrogate = _quadratic_surrogate(system, zero, zero, alpha, beta)
        return HiddenSolve(zero, "cg", np.nan, 0, 0.0, surrogate)
    stop = rtol * rhs_norm
    z = r / precond
    d = z.copy()
    rz = float(np.sum(r * z))
    it = 0
    r_norm = np.linalg.norm(r)
    while it < max_iter and r_norm > stop:
        q = apply(d)
        dq = float(np.sum(d * q))
        if not dq > 0:  # numerically singular direction: stop where we are
            break
        step = rz / dq
        x += step * d
        r -= step * q
        it += 1
        r_norm = np.linalg.norm(r)
        z = r / precond
        rz_new = float(np.sum(r * z))
        d *= rz_new / rz
        d += z
        rz = rz_new
    # M x = rhs - r - shift x up to the drift of the recursive residual
    surrogate = _quadratic_surrogate(system, x, rhs - r - shift * x, alpha, beta)
    return HiddenSolve(x, "cg", np.nan, it, float(r_norm / rhs_norm), surrogate)


def choose_solver(solver, p, d1, n, max_inner_iter=30, *, distributed=False):
    """``"dense"`` or ``"cg"`` for ``solver`` in {"auto", "dense", "cg"}.

    ``"auto"`` is dense while ``n P**2 + P**3 / 3 <= DENSE_ALWAYS_FLOPS``
    (``P = p * d1``, ``n`` the rows of the solve), or ``<= DENSE_SMALL_DATA_FLOPS``
    with ``n <= P``. Otherwise it picks the solve of least estimated time: dense while
    ``n P**2 + P**3 / 3`` is at most ``CG_FLOP_COST * max_inner_iter * 4 n P`` (about
    ``P <= 240`` with 30 CG iterations), matrix-free beyond. On rows held on a cluster
    (``distributed``) passes, not flops, are what counts: dense up to
    ``P <= DISTRIBUTED_DENSE_UNKNOWNS``. The dense solve is also ruled out when its
    matrix does not fit in memory.
    """
    if solver != "auto":
        return solver
    P = p * d1
    dense_flops = n * P**2 + P**3 / 3
    small = dense_flops <= DENSE_ALWAYS_FLOPS or (n <= P and dense_flops <= DENSE_SMALL_DATA_FLOPS)
    if distributed:
        if P > DISTRIBUTED_DENSE_UNKNOWNS:
            return "cg"
    elif not small and dense_flops > CG_FLOP_COST * max_inner_iter * 4 * n * P:
        return "cg"
    try:
        require_memory(dense_bytes(p, d1), "", "")
    except MemoryError:
        return "cg"
    return "dense"


def solve_hidden(
    problem, active, W, beta, b0, alpha, mu=0.0, *, solver="auto", system=None, **cg
):  # fmt: skip
    """Hidden-layer solve by the method ``solver`` picks (see :func:`choose_solver`).

    ``system`` (a :class:`HiddenSystem` built at ``W`` for the same pattern, ``beta`` and
    ``b0``) is reused across retries with other damping; without it one is built. The
    result carries the fixed-pattern loss of its ``W`` (``surrogate``), computed from the
    normal equations.
    """
    if system is None:
        kind = choose_solver(
            solver, *W.shape, problem.n, cg.get("max_iter", 100), distributed=problem.distributed
        )
        system = hidden_system(problem, active, W, beta, b0, kind)
    if system.kind == "dense":
        sol = solve_dense(system, W, alpha, mu)
        M_theta = normal_product(system, sol.W)
        sol.surrogate = _quadratic_surrogate(system, sol.W, M_theta, alpha, beta)
        return sol
    return solve_hidden_cg(problem, active, W, beta, b0, alpha, mu, system=system, **cg)


# ----------------------------------------------------------------------------------------
# Readout (beta) step, rebalancing, dead units
# ----------------------------------------------------------------------------------------


def statistics_kernel(W, slope, weight_scale):
    """Block kernel of :func:`readout_statistics`: the moments of the hidden features and
    the targets (:func:`skgiant._moments.gram_kernel`)."""
    return gram_kernel(lambda X: hidden_features(add_ones(X), W, slope), weight_scale)


def readout_statistics(problem, W):
    """Gram statistics of the hidden features of ``W`` (see :mod:`skgiant._ridge`), one pass."""
    kernel = statistics_kernel(W, problem.slope, problem.weights.largest)
    (moments,) = problem.data.reduce(kernel, floats_per_row=3 * W.shape[0])
    return moments.gram_statistics(W.shape[0], problem.weight_sum)


def readout(stats, alpha):
    """Exact readout ``(beta, b0)`` from the statistics of the features (ridge)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LinAlgConditionWarning)
        return solve_readout(stats, alpha)


def solve_beta(problem, W, alpha):
    """Exact readout step: ridge of ``Y`` on ``sigma(X1 W^T)``; returns ``(beta, b0)``."""
    return readout(readout_statistics(problem, W), alpha)


def select_alpha(problem, W, alphas=AUTO_ALPHAS):
    """Penalty of least cross-validation error of the readout on the features of ``W``.

    Generalized cross-validation, or exact leave-one-out with fewer rows than units
    (:func:`~skgiant._ridge.select_penalty`).
    Returns ``(alpha, beta, b0)``.
    """
    eig = eigen_readout(readout_statistics(problem, W))

    def rows():  # the weighted rows, gathered (only for leave-one-out, on few rows)
        sample = problem.data.take(problem.weights.weighted_rows())
        features = hidden_features(add_ones(sample.X), W, problem.slope)
        return features, sample.Y, sample.weights.array()

    index, _, _ = select_penalty(eig, alphas, rows)
    alpha = float(np.asarray(alphas)[index])
    beta, b0 = ridge_coef(eig, alpha)
    return alpha, beta, b0


def rebalance(W, beta):
    """Rescale ``(w_j, beta_j) -> (c w_j, beta_j / c)``, ``c = sqrt(|beta_j| / |w_j|)``.

    The network is unchanged (leaky ReLU is positively homogeneous) and the penalty
    ``||w_j||**2 + ||beta_j||**2`` can only go down (to ``2 |w_j| |beta_j|``). Units with
    a zero row or a zero readout (up to rounding, as in :func:`dead_units`) are left
    alone: shrinking a dead unit's row by ``sqrt(1e-15)`` or not, depending on whether
    rounding left its readout at 0 or 1e-15, would change the penalty and with it the
    rest of the fit.
    """
    wn = np.linalg.norm(W, axis=1)
    bn = np.linalg.norm(beta, axis=1)
    ok = (wn > 0) & (bn > _zero_readout(bn))
    c = np.ones_like(wn)
    c[ok] = np.sqrt(bn[ok] / wn[ok])
    return W * c[:, None], beta / c[:, None]


def dead_units(active_mass, W, beta):
    """Boolean mask of units that cannot learn: never active, or zero row or readout."""
    wn = np.linalg.norm(W, axis=1)
    bn = np.linalg.norm(beta, axis=1)
    return (active_mass <= 0) | (wn == 0) | (bn <= _zero_readout(bn))


def _zero_readout(readout_norms):
    """Readout norms at or below this are zero up to rounding."""
    return 1e-10 * max(float(readout_norms.max(initial=0.0)), np.finfo(float).tiny)


def init_weights(rng, p, d, init_scale):
    """First-layer weights ``(p, d + 1)``.

    ``"standard"``: all entries N(0, 1) (the published recipe). ``"fan_in"``: input
    weights N(0, 1/d) (rows of about unit norm) and biases N(0, 1), so on standardized
    inputs each unit's hyperplane cuts through the data. A float ``s``: all entries
    N(0, s**2).
    """
    if init_scale == "standard":
        return rng.standard_normal((p, d + 1))
    if init_scale == "fan_in":
        W = rng.standard_normal((p, d + 1))
        W[:, :d] /= np.sqrt(max(d, 1))
        return W
    return float(init_scale) * rng.standard_normal((p, d + 1))


# ----------------------------------------------------------------------------------------
# The penalty
# ----------------------------------------------------------------------------------------


def content_folds(problem, k, rng):
    """Split the weighted rows into ``k`` folds by their values, not their positions.

    A row's fold is read off a random projection of its inputs, so equal rows always
    share a fold: a row of weight ``k`` and ``k`` copies of it are held out
    together, and cross-fitting treats weights exactly as repeated rows (and does not
    depend on the order of the rows). Zero-weight rows are in no fold. Returns a list of
    ``k`` index arrays, or None if a fold would be empty.
    """
    # (the inputs alone decide, at a resolution far coarser than rounding, so that a
    # shifted or rescaled problem keeps its folds)
    direction = rng.standard_normal(problem.n_inputs)

    def fold_of(block):  # -1 for a row of weight zero
        fold = (np.floor(np.abs(block.with_ones() @ direction) * 1e3) % k).astype(np.int16)
        fold[block.weight <= 0] = -1
        return fold

    fold = problem.data.map(fold_of)
    folds = [np.flatnonzero(fold == j) for j in range(k)]
    return folds if all(len(f) for f in folds) else None


class _Range:
    """Columnwise range of the weighted rows of a block (a partial sum of one pass)."""

    def __init__(self, low, high):
        self.low, self.high = low, high

    def __add__(self, other):
        return _Range(np.fmin(self.low, other.low), np.fmax(self.high, other.high))


def _has_distinct_weighted_inputs(problem):
    """Whether the rows of positive weight hold at least two distinct inputs (some
    column varies among them), in one pass that gathers no rows."""

    def kernel(block):
        X = block.X[block.weight > 0]
        if not len(X):
            return _Range(np.full(X.shape[1], np.inf), np.full(X.shape[1], -np.inf))
        return _Range(X.min(axis=0), X.max(axis=0))

    (total,) = problem.data.reduce(kernel, floats_per_row=problem.n_inputs)
    return bool(np.any(total.low < total.high))


def penalty_on_held_out_rows(problem, W, alpha, rng, config):
    """The penalty of the *trained* network, chosen on held-out rows.

    The readout's cross-validation at initialization (:func:`select_alpha`) judges random
    features; a trained first layer can need a weaker penalty (many correlated inputs,
    few rows: the fit is then held back) or a stronger one (it overfits). The rows are
    split into ``path.folds`` folds (:func:`content_folds`) with ``path =
    config.penalty_path``; for each, the network is trained with the settings ``config``
    (``path.max_iter`` iterations, if set) on the other folds with ``alpha * f`` for
    ``f`` in ``path.factors``, strongest first, each fit warm-started from the previous
    one (a regularization path), and scored on the fold. Every row is scored once. A
    penalty other than the initial choice must beat it by more than one standard error
    of the paired per-row difference.

    Returns ``(alpha, {alpha: cross-fitted MSE})`` (``None`` for the errors when there
    are too few weighted rows to hold any out).
    """
    path = config.penalty_path
    folds = content_folds(problem, path.folds, rng)
    if folds is None:
        return alpha, None
    candidates = [alpha * factor for factor in path.factors]
    errors = {a: np.zeros(problem.n) for a in candidates}
    max_iter = config.max_iter if path.max_iter is None else path.max_iter
    for held in folds:
        held = np.sort(held)
        train = problem.subset(np.setdiff1d(np.arange(problem.n), held))
        if not _has_distinct_weighted_inputs(train):  # nothing to fit
            return alpha, None
        val, W_start = problem.subset(held), W
        for candidate in candidates:
            settings = replace(config, alpha=candidate, max_iter=max_iter)
            fit = fit_alternating(train, settings, rng=rng, W_init=W_start)
            W_start = fit.W
            errors[candidate][held] = row_errors(val, fit.W, fit.beta, fit.b0)
    # the initial choice first, then the stronger penalty, then the weaker one
    order = [alpha] + sorted(set(candidates) - {alpha}, reverse=True)
    weight = problem.weights.array()  # (as the errors, a vector of all rows)
    best = one_standard_error_choice(errors, weight, order)
    return best, {a: float(weight @ e / problem.weight_sum) for a, e in errors.items()}


def choose_penalty(problem, config, W, rng):
    """The penalty and the readout of the initial first layer ``W``.

    A fixed ``config.alpha`` is used as is. ``"auto"`` takes the readout's
    cross-validation choice (:func:`select_alpha`), refined on held-out rows
    (:func:`penalty_on_held_out_rows`, with ``config.penalty_path``) where rows are few
    per first-layer parameter -- counted by their weight (frequency weights: k copies or
    weight k alike) -- and the hidden-layer solve is dense, so that the extra fits are
    cheap. The refinement draws from a generator spawned from ``rng`` and keeps the
    readout of the initial choice when it keeps that choice, so the fit that follows is
    then the same as without it.

    Returns ``(alpha, beta, b0, alpha_scores)`` (``alpha_scores`` None unless refined).
    """
    if config.alpha != "auto":
        alpha = float(config.alpha)
        return (alpha, *solve_beta(problem, W, alpha), None)
    alpha, beta, b0 = select_alpha(problem, W)
    path = config.penalty_path
    if path is None or config.max_iter == 0:
        return alpha, beta, b0, None
    few_rows = problem.weight_sum < path.rows_per_parameter * W.size
    kind = choose_solver(
        config.solver, *W.shape, problem.n, config.max_inner_iter, distributed=problem.distributed
    )
    if not (few_rows and kind == "dense"):
        return alpha, beta, b0, None
    (path_rng,) = rng.spawn(1)
    refined, scores = penalty_on_held_out_rows(problem, W, alpha, path_rng, config)
    if refined != alpha:  # (else the readout at the initial choice stands: the same fit)
        alpha, (beta, b0) = refined, solve_beta(problem, W, refined)
    return alpha, beta, b0, scores


# ----------------------------------------------------------------------------------------
# The iteration, phase by phase
# ----------------------------------------------------------------------------------------


@dataclass
class AlternatingState:
    """The iterate of :func:`fit_alternating` and what the phases carry between iterations.

    Attributes
    ----------
    W, beta, b0 : ndarrays
        Current network.
    current : Evaluation
        True loss and activation pattern of the current network.
    alpha : float
        The penalty (fixed after :func:`initialize`).
    damping : float
        Levenberg-Marquardt damping relative to the mean diagonal of ``M``.
    rejections : int
        Consecutive rejected steps.
    system : HiddenSystem or None
        Normal equations at the current network, kept while it does not change.
    last_rel : float
        Relative decrease of ``J`` by the last accepted iteration.
    best : tuple
        ``(W, beta, b0, iteration)`` of least validation error so far.
    best_val : float
    since_best : int
        Iterations since ``best`` improved.
    notes : list of str
        Numerical events worth a warning ("eigh", "nonfinite").
    """

    W: np.ndarray
    beta: np.ndarray
    b0: np.ndarray
    current: Evaluation
    alpha: float
    damping: float = 1e-2
    rejections: int = 0
    system: HiddenSystem | None = None
    last_rel: float = np.inf
    best: tuple | None = None
    best_val: float = np.nan
    since_best: int = 0
    notes: list = field(default_factory=list)

    def network(self):
        return self.W, self.beta, self.b0

    def snapshot(self, iteration):
        return (self.W.copy(), self.beta.copy(), self.b0.copy(), iteration)


@dataclass
class HiddenStep:
    """Outcome of :func:`hidden_step`.

    ``W``, ``trial`` (its evaluation with the old readout) and ``statistics`` (the
    readout statistics of its features, from the same pass) are set when accepted.
    """

    solve: HiddenSolve
    damping: float
    accepted: bool = False
    step: float = 0.0
    W: np.ndarray | None = None
    trial: Evaluation | None = None
    statistics: GramStatistics | None = None


def initialize(problem, config, rng, W_init=None):
    """First layer, penalty and readout: ``(state, alpha_scores)``.

    Checks first that the readout's matrices and the activation pattern fit in memory.
    """
    d = problem.n_inputs - 1
    p = config.n_hidden if W_init is None else W_init.shape[0]
    patterns = 0 if problem.distributed else 2 * problem.n * p  # else recomputed in blocks
    require_memory(
        8 * 3 * p * p + patterns,
        f"The readout of n_hidden={p} units (a {p} x {p} Gram matrix and its "
        f"eigenvectors) and the {problem.n} x {p} activation patterns",
        "Lower n_hidden (or fit on fewer rows).",
    )
    W = init_weights(rng, p, d, config.init_scale) if W_init is None else W_init.copy()
    alpha, beta, b0, scores = choose_penalty(problem, config, W, rng)
    if config.rebalance:
        W, beta = rebalance(W, beta)
    current = evaluate(problem, W, beta, b0, alpha, pattern=True)
    return AlternatingState(W, beta, b0, current, alpha), scores


def damping_for(config, system, relative):
    """Absolute damping ``mu``: ``relative`` times the mean diagonal of ``M`` (0 if fixed)."""
    if not config.adaptive:
        return 0.0
    return relative * max(float(system.diagonal.mean()), np.finfo(float).tiny)


def hidden_step(problem, config, state, rng):
    """The hidden-layer step: normal equations on the batch, damping, solve, line search."""
    batch, batch_active = problem, state.current.active
    if config.batch_size is not None and config.batch_size < problem.n:
        index = np.sort(rng.choice(problem.n, config.batch_size, replace=False))
        batch = problem.subset(index)
        if not isinstance(batch_active, ImplicitPattern):
            batch_active = batch_active[index]
        elif not batch.distributed:  # a batch gathered from a cluster: store its pattern
            batch_active = activation_pattern(batch, state.W)
        state.system = None
    W = state.W
    if state.system is None:
        kind = choose_solver(
            config.solver, *W.shape, batch.n, config.max_inner_iter, distributed=batch.distributed
        )
        with np.errstate(all="ignore"):
            state.system = hidden_system(batch, batch_active, W, state.beta, state.b0, kind)
    mu = damping_for(config, state.system, state.damping)
    with np.errstate(all="ignore"):
        sol = solve_hidden(
            batch, batch_active, W, state.beta, state.b0, state.alpha, mu,
            system=state.system, rtol=config.inner_tol, max_iter=config.max_inner_iter,
        )  # fmt: skip
    if sol.method == "eigh" and "eigh" not in state.notes:
        state.notes.append("eigh")
    return line_search(problem, config, state, HiddenStep(sol, mu))


def line_search(problem, config, state, step):
    """Move along ``step.solve.W - W``: a fixed fraction (always kept), or ``t = 1, 1/2,
    1/4`` kept at the first real decrease of the true loss ``J`` (``step_fraction="auto"``).

    Each try is one pass, which also collects the readout statistics of its first layer.
    """
    direction = step.solve.W - state.W
    if not np.all(np.isfinite(direction)):
        if "nonfinite" not in state.notes:
            state.notes.append("nonfinite")
        return step
    fractions = (1.0, 0.5, 0.25) if config.adaptive else (float(config.step_fraction),)
    for t in fractions:
        W_try = state.W + t * direction
        with np.errstate(all="ignore"):
            trial, stats = evaluate_with_statistics(
                problem, W_try, state.beta, state.b0, state.alpha, reference=state.current.active
            )
        if not np.isfinite(trial.loss):
            continue
        if not config.adaptive or trial.loss < state.current.loss:
            return replace(step, accepted=True, step=t, W=W_try, trial=trial, statistics=stats)
    return step


def update_damping(state, accepted):
    """Levenberg-Marquardt update: damping / 3 after an acceptance, x 10 after a rejection.

    The normal equations are kept after a rejection (the network did not change) and
    dropped after an acceptance.
    """
    if accepted:
        state.rejections = 0
        state.system = None
        state.damping = max(state.damping / 3.0, 1e-8)
    else:
        state.rejections += 1
        state.damping = min(state.damping * 10.0, 1e8)


def readout_step(problem, config, state, step):
    """Exact readout on the accepted first layer, then rebalancing (neither can raise ``J``).

    With ``step_fraction="auto"`` the step's own network is kept should rounding or a
    failed solve make the readout worse. Sets ``state.last_rel``.
    """
    previous = state.current.loss
    beta, b0 = readout(step.statistics, state.alpha)
    W = step.W
    if config.rebalance:
        W, beta = rebalance(W, beta)
    current = evaluate(problem, W, beta, b0, state.alpha, pattern=True)
    if config.adaptive and not current.loss <= step.trial.loss:
        W, beta, b0, current = step.W, state.beta, state.b0, step.trial
    state.W, state.beta, state.b0, state.current = W, beta, b0, current
    state.last_rel = (previous - current.loss) / max(abs(previous), np.finfo(float).tiny)


def revive_dead_units(problem, config, state, rng):
    """Re-draw dead units (:func:`dead_units`); kept only if ``J`` does not rise.

    Returns the number of units revived (0 when the revival was not kept).
    """
    dead = dead_units(state.current.active_mass, state.W, state.beta)
    if not (config.revive_dead_units and dead.any()):
        return 0
    W = state.W.copy()
    W[dead] = init_weights(rng, int(dead.sum()), W.shape[1] - 1, config.init_scale)
    beta, b0 = solve_beta(problem, W, state.alpha)
    if config.rebalance:
        W, beta = rebalance(W, beta)
    candidate = evaluate(problem, W, beta, b0, state.alpha, pattern=True)
    if not (np.isfinite(candidate.loss) and candidate.loss <= state.current.loss):
        return 0
    state.W, state.beta, state.b0, state.current = W, beta, b0, candidate
    return int(dead.sum())


def track_validation(config, state, val_mse, iteration):
    """Keep the iterate of least validation error; True when patience runs out.

    An iterate is better when it lowers the best validation error by more than
    ``tol`` (relative); after ``n_iter_no_change`` iterations without one, stop.
    """
    if val_mse < state.best_val * (1 - config.tol) or not np.isfinite(state.best_val):
        state.best_val = val_mse
        state.best = state.snapshot(iteration)
        state.since_best = 0
        return False
    state.since_best += 1
    return state.since_best >= config.n_iter_no_change


def stopping_reason(config, state, record):
    """``"tol"``, ``"pattern"``, ``"no_decrease"`` or None after the iteration ``record``.

    * ``"tol"``: an accepted iteration lowered ``J`` by at most ``tol`` (relative);
    * ``"pattern"``: an undamped full step changed no activation -- the exact optimum of
      its linear region, so the alternation is at a fixed point up to the readout step;
    * ``"no_decrease"``: ``max_rejections`` consecutive steps were rejected.
    """
    if record.accepted and abs(state.last_rel) <= config.tol:
        return "tol"
    undamped = record.damping <= 1e-6 * max(state.alpha, 1e-12) + 1e-12
    if record.accepted and record.flip_fraction == 0 and record.step == 1.0 and undamped:
        return "pattern"
    if config.adaptive and state.rejections >= config.max_rejections:
        return "no_decrease"
    return None


def _record(state, iteration, step, revived, val_mse, t0):
    current = state.current
    return IterationRecord(
        iter=iteration, loss=current.loss, mse=current.mse, surrogate=step.solve.surrogate,
        flip_fraction=step.trial.flip_fraction if step.accepted else 0.0,
        logdet=step.solve.logdet,
        dead_units=int(dead_units(current.active_mass, state.W, state.beta).sum()),
        revived=revived, accepted=step.accepted, step=step.step, damping=step.damping,
        method=step.solve.method, inner_iter=step.solve.inner_iter, val_mse=val_mse,
        time=time.perf_counter() - t0,
    )  # fmt: skip


@dataclass
class AlternatingResult:
    """Output of :func:`fit_alternating`.

    Attributes
    ----------
    W : ndarray of shape (p, d + 1)
        First layer (last column: hidden biases), on the inputs given to the solver.
    beta : ndarray of shape (p, m)
    b0 : ndarray of shape (m,)
    alpha : float
        The penalty used (selected when ``alpha="auto"``).
    n_iter : int
        Iterations run (accepted or not).
    best_iter : int
        Iteration whose parameters are returned.
    converged : bool
        ``False`` if ``max_iter`` was reached while the loss still improved by more
        than ``tol`` (relative).
    stop_reason : str
    history : list of IterationRecord
        One record per iteration (index 0: initialization).
    warnings : list of str
        Numerical events worth a warning (e.g. eigenvalue fallbacks).
    alpha_scores : dict or None
        Cross-fitted errors of the penalties tried on held-out rows (see
        :func:`penalty_on_held_out_rows`).
    """

    W: np.ndarray
    beta: np.ndarray
    b0: np.ndarray
    alpha: float
    n_iter: int
    best_iter: int
    converged: bool
    stop_reason: str
    history: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    alpha_scores: dict | None = None


def finalize(state, history, stop_reason, converged, validation, alpha_scores):
    """The :class:`AlternatingResult`: the iterate of least validation error with
    ``validation``, the last one otherwise."""
    n_iter = history[-1].iter
    W, beta, b0, best_iter = state.best if validation is not None else (*state.network(), n_iter)
    return AlternatingResult(
        W=W, beta=beta, b0=b0, alpha=state.alpha, n_iter=n_iter, best_iter=best_iter,
        converged=converged, stop_reason=stop_reason, history=history, warnings=state.notes,
        alpha_scores=alpha_scores,
    )  # fmt: skip


def fit_alternating(problem, config=None, *, rng=None, W_init=None, validation=None, callback=None):
    """Train by alternating exact solves of the hidden layer and the readout.

    Each iteration is :func:`hidden_step` (with :func:`line_search`),
    :func:`update_damping`, and after an accepted step :func:`readout_step` and
    :func:`revive_dead_units`; then :func:`track_validation` and
    :func:`stopping_reason` decide whether to go on.

    Passes over the training rows (:attr:`Problem.passes`) per iteration, with all rows
    in the hidden-layer solve: one to form the normal equations (matrix, right-hand
    side, diagonal, target energy and, matrix-free, the first CG product, fused), one
    per conjugate-gradient iteration (matrix-free solve only), one per step length tried
    (which also collects the readout statistics of the tried first layer) and one to
    evaluate the network after the readout. An accepted full step therefore reads the
    rows 3 times with the dense solve and ``3 + k`` times with ``k`` CG iterations; a
    revival adds 2. A rejected iteration reads them once per step length tried (three
    with ``step_fraction="auto"``) and keeps its normal equations for the next try. With
    ``batch_size`` the equations and CG products read the batch instead, gathered by
    one pass. On rows held on a cluster (:class:`~skgiant._dask.DaskRowData`) the
    counts are the same and each pass is one ``dask.compute``; the activation patterns
    are recomputed in the blocks (:class:`ImplicitPattern`), and ``solver="auto"``
    prefers the dense solve (:func:`choose_solver`).

    Parameters
    ----------
    problem : Problem
        Training rows.
    config : AlternatingConfig, optional
        Solver settings (default: ``AlternatingConfig()``).
    rng : numpy.random.Generator, optional
        Draws the initialization, batches, revivals and penalty folds.
    W_init : ndarray of shape (p, d + 1) or None
        Starting first layer (default: drawn with ``config.init_scale``).
    validation : Problem or None
        Held-out rows; when given, the iterate of least validation error is returned and
        the iteration stops after ``config.n_iter_no_change`` iterations without
        improvement.
    callback : callable or None
        Called as ``callback(record, (W, beta, b0))`` with each :class:`IterationRecord`
        as it is recorded and the current iterate; a true return value stops the
        iteration (``stop_reason="callback"``).

    Returns
    -------
    AlternatingResult
    """
    config = AlternatingConfig() if config is None else config
    rng = np.random.default_rng(0) if rng is None else rng
    t0 = time.perf_counter()
    # in memory, the rows standardized once with their ones column (the solves read
    # them hundreds of times); the same blocks, bitwise
    problem = Problem(prepared(problem.data), problem.slope)
    if validation is not None:
        validation = Problem(prepared(validation.data), validation.slope)
    state, alpha_scores = initialize(problem, config, rng, W_init)

    def val_mse():
        return np.nan if validation is None else evaluate(validation, *state.network(), 0.0).mse

    state.best_val, state.best = val_mse(), state.snapshot(0)
    dead = int(dead_units(state.current.active_mass, state.W, state.beta).sum())
    history = [IterationRecord(0, state.current.loss, state.current.mse, dead_units=dead)]
    history[0].val_mse, history[0].time = state.best_val, time.perf_counter() - t0
    if callback is not None:
        callback(history[0], state.network())
    stop_reason, converged = "max_iter", None
    for it in range(1, config.max_iter + 1):
        step = hidden_step(problem, config, state, rng)
        update_damping(state, step.accepted)
        revived = 0
        if step.accepted:
            readout_step(problem, config, state, step)
            revived = revive_dead_units(problem, config, state, rng)
        vm = val_mse() if step.accepted else history[-1].val_mse
        history.append(_record(state, it, step, revived, vm, t0))
        if callback is not None and callback(history[-1], state.network()):
            stop_reason = "callback"
        elif validation is not None and track_validation(config, state, vm, it):
            stop_reason = "validation"
        else:
            stop_reason = stopping_reason(config, state, history[-1]) or "max_iter"
        if stop_reason != "max_iter":
            converged = True
            break
    if converged is None:
        converged = abs(state.last_rel) <= config.tol
    return finalize(state, history, stop_reason, converged, validation, alpha_scores)
