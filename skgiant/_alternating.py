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

All sums over samples are accumulated over row chunks (:mod:`skgiant._chunks`); the
hidden-layer normal equations are either formed densely (``O(n P**2)`` time,
``O(P**2)`` memory with ``P = p (d + 1)``) or solved matrix-free by preconditioned
conjugate gradients, each product ``O(n p d)``.
"""

import time
import warnings
from dataclasses import dataclass, field

import numpy as np
from scipy import linalg
from scipy.linalg.blas import dsyrk

from ._chunks import chunk_n_rows, row_slices
from ._memory import require_memory
from ._ridge import (
    LinAlgConditionWarning,
    eigen_readout,
    gram_statistics,
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


# ----------------------------------------------------------------------------------------
# Data and basic evaluations
# ----------------------------------------------------------------------------------------


@dataclass
class Problem:
    """Training data of the alternating solver.

    Attributes
    ----------
    X1 : ndarray of shape (n, d + 1)
        Float64 inputs with a trailing column of ones.
    Y : ndarray of shape (n, m)
        Float64 targets.
    weight : ndarray of shape (n,)
        Non-negative sample weights with a positive sum.
    slope : float
        Leaky-ReLU negative slope (0 is ReLU).
    chunk : int or None
        Rows per chunk; ``None`` sizes chunks from scikit-learn's ``working_memory``.
    """

    X1: np.ndarray
    Y: np.ndarray
    weight: np.ndarray
    slope: float = 0.0
    chunk: int | None = None

    @property
    def n(self):
        return self.X1.shape[0]

    @property
    def weight_sum(self):
        return float(self.weight.sum())

    def rows(self, floats_per_row):
        """Row slices for a computation holding ``floats_per_row`` floats per row."""
        chunk = self.chunk or chunk_n_rows(self.n, floats_per_row)
        return row_slices(self.n, chunk)

    def subset(self, index):
        """The problem restricted to the rows ``index``."""
        return Problem(self.X1[index], self.Y[index], self.weight[index], self.slope, self.chunk)


def add_ones(X):
    """``[X, 1]`` as a float64 array."""
    X = np.asarray(X, dtype=np.float64)
    return np.hstack([X, np.ones((X.shape[0], 1))])


def slopes(active, slope):
    """Pattern multipliers ``S`` (1 where active, ``slope`` elsewhere) as float64."""
    return np.where(active, 1.0, slope)


def multipliers(problem, active):
    """The pattern ``active`` in the form the fixed-pattern operators multiply by.

    The float64 multipliers ``S`` (1 where active, ``slope`` elsewhere) are formed once
    (``8 n p`` bytes) when they fit in memory, so that the many products of one solve
    neither rebuild them nor convert booleans; otherwise the boolean pattern is
    returned and each product forms ``S`` chunk by chunk.
    """
    if active.dtype != bool:
        return active
    try:
        require_memory(8 * active.size, "", "")
    except MemoryError:
        return active
    return slopes(active, problem.slope)


def _chunk_multipliers(active, rows, slope):
    """``S`` of the rows ``rows`` from a pattern as returned by :func:`multipliers`."""
    if active.dtype != bool:
        return active[rows]
    return slopes(active[rows], slope)


def activation_pattern(problem, W):
    """Boolean ``(n, p)`` array: unit ``j`` is active on row ``i`` (``w_j . x1_i > 0``)."""
    out = np.empty((problem.n, W.shape[0]), dtype=bool)
    for rows in problem.rows(W.shape[0]):
        out[rows] = problem.X1[rows] @ W.T > 0
    return out


def hidden_features(X1, W, slope):
    """Leaky-ReLU features ``sigma(X1 @ W.T)`` of the rows ``X1``."""
    z = X1 @ W.T
    return np.maximum(z, slope * z) if slope else np.maximum(z, 0.0)


def penalty(alpha, W, beta):
    """``alpha * (||W||**2 + ||beta||**2)``."""
    return alpha * (float(np.sum(W * W)) + float(np.sum(beta * beta)))


@dataclass
class Evaluation:
    """True loss of a network on a problem, and its activation pattern statistics."""

    mse: float  # (1/S) sum_i w_i ||y_i - f_i||**2
    loss: float  # mse + penalty
    flip_fraction: float  # weighted fraction of (row, unit) pairs whose pattern changed
    active_mass: np.ndarray  # (p,) weighted fraction of rows on which each unit is active
    active: np.ndarray | None = None  # (n, p) boolean pattern, when asked for


def evaluate(problem, W, beta, b0, alpha, reference=None, pattern=False):
    """True loss ``J`` of ``(W, beta, b0)``; flips are counted against ``reference``.

    ``reference`` is a boolean pattern of shape ``(n, p)`` (or ``None``). With
    ``pattern=True`` the activation pattern of ``W`` (:func:`activation_pattern`) is
    returned too, at no extra product.
    """
    total = 0.0
    flips = 0
    active_mass = np.zeros(W.shape[0])
    out = np.empty((problem.n, W.shape[0]), dtype=bool) if pattern else None
    for rows in problem.rows(3 * W.shape[0]):
        z = problem.X1[rows] @ W.T
        active = z > 0
        if pattern:
            out[rows] = active
        h = np.maximum(z, problem.slope * z) if problem.slope else np.maximum(z, 0.0)
        resid = problem.Y[rows] - b0 - h @ beta
        w = problem.weight[rows]
        total += float(w @ np.einsum("ij,ij->i", resid, resid))
        active_mass += w @ active
        if reference is not None:
            # weighted, like everything else: a zero-weight row must not count (the
            # "pattern" stop tests flips == 0), and weight k counts as k copies
            flips += float(w @ np.count_nonzero(active != reference[rows], axis=1))
    S = problem.weight_sum
    mse = total / S
    denom = max(S * W.shape[0], np.finfo(float).tiny)
    loss = mse + penalty(alpha, W, beta)
    return Evaluation(mse, loss, flips / denom, active_mass / S, out)


def surrogate_loss(problem, active, W, beta, b0, alpha):
    """Fixed-pattern loss: ``J`` with the pattern ``active`` instead of ``W``'s own.

    The network output is replaced by ``b0 + (S * (X1 @ W.T)) @ beta``, linear in ``W``.
    At ``W`` whose own pattern is ``active`` it equals the true loss.
    """
    total = 0.0
    for rows in problem.rows(3 * W.shape[0]):
        h = problem.X1[rows] @ W.T
        h *= _chunk_multipliers(active, rows, problem.slope)
        resid = problem.Y[rows] - b0 - h @ beta
        total += float(problem.weight[rows] @ np.einsum("ij,ij->i", resid, resid))
    return total / problem.weight_sum + penalty(alpha, W, beta)


# ----------------------------------------------------------------------------------------
# Hidden-layer (W) step
# ----------------------------------------------------------------------------------------


def design_rows(X1, S, beta, k):
    """Rows of the fixed-pattern design ``Z`` for output ``k``: ``(beta_k * S_i) (x) x1_i``.

    Returns an array of shape ``(len(X1), p * (d + 1))``, column ``j * (d + 1) + a``
    holding ``beta[j, k] * S[i, j] * X1[i, a]`` (``vec(W)`` is ``W.ravel()``).
    """
    c = X1.shape[0]
    return ((S * beta[:, k])[:, :, None] * X1[:, None, :]).reshape(c, -1)


def normal_rhs(problem, active, beta, b0):
    """``r = Z^T D (Y - b0) / S`` reshaped as ``(p, d + 1)``."""
    p, d1 = beta.shape[0], problem.X1.shape[1]
    out = np.zeros((p, d1))
    for rows in problem.rows(3 * p):
        t = ((problem.Y[rows] - b0) * problem.weight[rows][:, None]) @ beta.T
        t *= _chunk_multipliers(active, rows, problem.slope)
        out += t.T @ problem.X1[rows]
    return out / problem.weight_sum


def normal_diagonal(problem, active, beta):
    """Diagonal of ``M = Z^T D Z / S`` reshaped as ``(p, d + 1)`` (``O(n p d)``)."""
    p, d1 = beta.shape[0], problem.X1.shape[1]
    out = np.zeros((p, d1))
    for rows in problem.rows(2 * p + d1):
        S = _chunk_multipliers(active, rows, problem.slope)
        out += (S * S * problem.weight[rows][:, None]).T @ (problem.X1[rows] ** 2)
    return out * np.sum(beta * beta, axis=1)[:, None] / problem.weight_sum


def normal_matvec(problem, active, beta, V):
    """``M @ vec(V)`` reshaped as ``(p, d + 1)`` without forming ``M`` (``O(n p d)``)."""
    out = np.zeros_like(V)
    single = beta.shape[1] == 1
    for rows in problem.rows(4 * V.shape[0]):
        S = _chunk_multipliers(active, rows, problem.slope)
        X1 = problem.X1[rows]
        h = X1 @ V.T
        h *= S
        o = h @ beta
        o *= problem.weight[rows][:, None]
        if single:  # out_j = beta_j sum_i S_ij w_i o_i x1_i: scale X1's rows, not (n, p)
            out += S.T @ (X1 * o)
        else:
            t = o @ beta.T
            t *= S
            out += t.T @ X1
    if single:
        out *= beta
    return out / problem.weight_sum


def dense_normal_matrix(problem, active, beta):
    """``M = Z^T D Z / S`` of shape ``(P, P)``, ``P = p (d + 1)``, by chunked ``syrk``."""
    p, d1 = beta.shape[0], problem.X1.shape[1]
    P = p * d1
    M = np.zeros((P, P), order="F")
    for rows in problem.rows(2 * P):
        S = _chunk_multipliers(active, rows, problem.slope)
        root_w = np.sqrt(problem.weight[rows])[:, None]
        for k in range(beta.shape[1]):
            Z = design_rows(problem.X1[rows], S, beta, k)
            Z *= root_w
            M = dsyrk(1.0, Z.T, beta=1.0, c=M, trans=0, lower=0, overwrite_c=1)
    M = np.triu(M) + np.triu(M, 1).T
    return M / problem.weight_sum


def dense_bytes(p, d1):
    """Bytes the dense W-step holds at once: ``M`` and its factor."""
    return 2 * (p * d1) ** 2 * 8


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

    ``M`` is held only by the dense solve; the matrix-free one keeps the pattern
    multipliers to apply it. ``diagonal`` (of ``M``) sets the damping scale and is the
    Jacobi preconditioner; ``yy`` is ``(1/S) sum_i w_i ||y_i - b0||**2``, with which the
    fixed-pattern loss of any ``W`` is the quadratic
    ``yy - 2 <r, W> + <W, M W> + alpha (||W||**2 + ||beta||**2)``.
    """

    kind: str  # "dense" or "cg"
    r: np.ndarray  # (p, d + 1)
    diagonal: np.ndarray  # (p, d + 1)
    yy: float
    M: np.ndarray | None = None  # (P, P), dense only
    active: np.ndarray | None = None  # pattern multipliers (see multipliers), cg only


def _target_energy(problem, b0):
    total = 0.0
    for rows in problem.rows(problem.Y.shape[1]):
        resid = problem.Y[rows] - b0
        total += float(problem.weight[rows] @ np.einsum("ij,ij->i", resid, resid))
    return total / problem.weight_sum


def hidden_system(problem, active, W, beta, b0, kind):
    """Build the :class:`HiddenSystem` for ``kind`` in {"dense", "cg"}.

    The dense matrix is memory-checked first: ``MemoryError`` (naming the remedy) is
    raised before allocating a matrix that cannot fit.
    """
    yy = _target_energy(problem, b0)
    if kind == "dense":
        M, r = dense_system(problem, active, W, beta, b0)
        return HiddenSystem("dense", r, np.diag(M).reshape(W.shape).copy(), yy, M=M)
    mult = multipliers(problem, active)
    return HiddenSystem(
        "cg",
        normal_rhs(problem, mult, beta, b0),
        normal_diagonal(problem, mult, beta),
        yy,
        active=mult,
    )


def _quadratic_surrogate(system, theta, M_theta, alpha, beta):
    """Fixed-pattern loss at ``theta`` from the normal equations (``M_theta = M theta``)."""
    value = system.yy - 2.0 * float(np.sum(system.r * theta)) + float(np.sum(theta * M_theta))
    return value + penalty(alpha, theta, beta)


def dense_system(problem, active, W, beta, b0):
    """Dense normal equations ``(M, r)`` of the W-step, memory-checked first.

    Raises ``MemoryError`` (naming the remedy) before allocating a matrix that cannot fit.
    """
    p, d1 = W.shape
    P = p * d1
    require_memory(
        dense_bytes(p, d1),
        f"the dense {P} x {P} hidden-layer normal-equation matrix",
        "Use solver='cg' (matrix-free), a smaller n_hidden, or fewer features.",
    )
    active = multipliers(problem, active)
    return dense_normal_matrix(problem, active, beta), normal_rhs(problem, active, beta, b0)


def solve_dense_system(system, W, alpha, mu=0.0):
    """Solve ``(M + (alpha + mu) I) vec(W') = r + mu vec(W)`` for the dense ``(M, r)``.

    Cholesky in float64; when the system is not numerically positive definite the
    eigendecomposition gives the minimum-norm solution (``method="eigh"``).
    """
    M, r = system
    p, d1 = W.shape
    P = p * d1
    rhs = (r + mu * W).ravel()
    A = M.copy()
    A[np.diag_indices(P)] += alpha + mu
    scale = max(float(np.abs(np.diag(A)).max(initial=0.0)), np.finfo(float).tiny)
    try:
        if not (np.all(np.isfinite(A)) and np.all(np.isfinite(rhs))):
            raise linalg.LinAlgError("non-finite normal equations")
        factor = linalg.cho_factor(A, lower=False, overwrite_a=True, check_finite=False)
        diag = np.abs(np.diag(factor[0]))
        if diag.min() ** 2 < scale * P * np.finfo(float).eps * 1e3:
            raise linalg.LinAlgError("ill-conditioned")
        theta = linalg.cho_solve(factor, rhs, check_finite=False)
        return HiddenSolve(
            theta.reshape(p, d1), "cholesky", 2.0 * float(np.log(diag).sum()), 0, 0.0
        )
    except linalg.LinAlgError:
        pass
    A = M.copy()
    A[np.diag_indices(P)] += alpha + mu
    A[~np.isfinite(A)] = 0.0
    rhs = np.where(np.isfinite(rhs), rhs, 0.0)
    evals, evecs = linalg.eigh(A, check_finite=False)
    tol = max(abs(float(evals[-1])), np.finfo(float).tiny) * P * np.finfo(float).eps
    keep = evals > tol
    theta = evecs[:, keep] @ ((evecs[:, keep].T @ rhs) / evals[keep])
    logdet = float(np.sum(np.log(evals[keep]))) if keep.any() else -np.inf
    return HiddenSolve(theta.reshape(p, d1), "eigh", logdet, 0, _rel_residual(A, theta, rhs))


def solve_hidden_dense(problem, active, W, beta, b0, alpha, mu=0.0):
    """Exact W-step ``(M + (alpha + mu) I) vec(W') = r + mu vec(W)`` with dense ``M``."""
    return solve_dense_system(dense_system(problem, active, W, beta, b0), W, alpha, mu)


def _rel_residual(A, theta, rhs):
    norm = np.linalg.norm(rhs)
    return float(np.linalg.norm(A @ theta - rhs) / norm) if norm > 0 else 0.0


def solve_hidden_cg(
    problem, active, W, beta, b0, alpha, mu=0.0, *, rtol=1e-6, max_iter=100, system=None
):
    """Matrix-free W-step: Jacobi-preconditioned CG warm-started at ``W``.

    Solves the same system as :func:`solve_hidden_dense`. It stops when the residual
    is at most ``rtol`` times the right-hand side or after ``max_iter`` iterations. Every CG
    iterate lowers the damped fixed-pattern quadratic, so an early stop still never
    raises the surrogate loss above its value at ``W``. Memory is ``O(chunk * p + p * d)``
    (plus ``8 n p`` bytes of pattern multipliers when they fit, see :func:`multipliers`).
    ``system`` is a :class:`HiddenSystem` of kind ``"cg"`` built for the same data.
    """
    if system is None:
        system = hidden_system(problem, active, W, beta, b0, "cg")
    mult = system.active
    shift = alpha + mu
    rhs = system.r + mu * W
    precond = system.diagonal + shift
    precond[precond <= 0] = 1.0

    def apply(V):
        return normal_matvec(problem, mult, beta, V) + shift * V

    x = W.copy()
    r = rhs - apply(x)
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


def choose_solver(solver, p, d1, n, max_inner_iter=30):
    """``"dense"`` or ``"cg"`` for ``solver`` in {"auto", "dense", "cg"}.

    ``"auto"`` is dense while ``n P**2 + P**3 / 3 <= DENSE_ALWAYS_FLOPS``
    (``P = p * d1``, ``n`` the rows of the solve), or ``<= DENSE_SMALL_DATA_FLOPS``
    with ``n <= P``. Otherwise it picks the solve of least estimated time: dense while
    ``n P**2 + P**3 / 3`` is at most ``CG_FLOP_COST * max_inner_iter * 4 n P`` (about
    ``P <= 240`` with 30 CG iterations), matrix-free beyond. The dense solve is also
    ruled out when its matrix does not fit in memory.
    """
    if solver != "auto":
        return solver
    P = p * d1
    dense_flops = n * P**2 + P**3 / 3
    small = dense_flops <= DENSE_ALWAYS_FLOPS or (n <= P and dense_flops <= DENSE_SMALL_DATA_FLOPS)
    if not small and dense_flops > CG_FLOP_COST * max_inner_iter * 4 * n * P:
        return "cg"
    try:
        require_memory(dense_bytes(p, d1), "", "")
    except MemoryError:
        return "cg"
    return "dense"


def solve_hidden(
    problem, active, W, beta, b0, alpha, mu=0.0, *, solver="auto", cache=None, **cg
):  # fmt: skip
    """Hidden-layer solve by the method ``solver`` picks (see :func:`choose_solver`).

    ``cache`` (a dict, emptied by the caller whenever the pattern, ``beta`` or ``b0``
    change) keeps the normal equations (:class:`HiddenSystem`) across retries with
    other damping. The result carries the fixed-pattern loss of its ``W``
    (``surrogate``), computed from the normal equations.
    """
    if cache is None:
        cache = {}
    if "system" not in cache:
        kind = choose_solver(solver, *W.shape, problem.n, cg.get("max_iter", 100))
        cache["system"] = hidden_system(problem, active, W, beta, b0, kind)
    system = cache["system"]
    if system.kind == "dense":
        sol = solve_dense_system((system.M, system.r), W, alpha, mu)
        M_theta = (system.M @ sol.W.ravel()).reshape(W.shape)
        sol.surrogate = _quadratic_surrogate(system, sol.W, M_theta, alpha, beta)
        return sol
    return solve_hidden_cg(problem, active, W, beta, b0, alpha, mu, system=system, **cg)


# ----------------------------------------------------------------------------------------
# Readout (beta) step, rebalancing, dead units
# ----------------------------------------------------------------------------------------


def readout_statistics(problem, W):
    """Gram statistics of the hidden features of ``W`` (see :mod:`skgiant._ridge`)."""
    chunk = problem.chunk or chunk_n_rows(problem.n, 3 * W.shape[0])
    return gram_statistics(
        lambda rows: hidden_features(problem.X1[rows], W, problem.slope),
        problem.Y,
        problem.weight,
        chunk,
    )


def solve_beta(problem, W, alpha):
    """Exact readout step: ridge of ``Y`` on ``sigma(X1 W^T)``; returns ``(beta, b0)``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LinAlgConditionWarning)
        return solve_readout(readout_statistics(problem, W), alpha)


def select_alpha(problem, W, alphas=AUTO_ALPHAS):
    """Penalty of least cross-validation error of the readout on the features of ``W``.

    Generalized cross-validation, or exact leave-one-out with fewer rows than units
    (:func:`~skgiant._ridge.select_penalty`, the rule ``GiantStepRegressor`` uses too).
    Returns ``(alpha, beta, b0)``.
    """
    eig = eigen_readout(readout_statistics(problem, W))

    def rows():
        positive = np.flatnonzero(problem.weight > 0)
        phi = hidden_features(problem.X1[positive], W, problem.slope)
        return phi, problem.Y[positive], problem.weight[positive]

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
# The penalty of the trained network
# ----------------------------------------------------------------------------------------

#: ``alpha="auto"`` refines the penalty on held-out rows when there are fewer rows than
#: this many per first-layer parameter (``p (d + 1)``) and the hidden-layer solve is
#: dense: there the penalty decides between fitting and overfitting, and the extra fits
#: are cheap.
PATH_ROWS_PER_PARAMETER = 3.0
#: Multiples of the initial choice tried, strongest first (each fit warm-starts the next).
PATH_FACTORS = (10.0, 1.0, 0.1)
#: Folds of the cross-fitting that scores the penalties.
PATH_FOLDS = 3


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
    value = problem.X1 @ rng.standard_normal(problem.X1.shape[1])
    fold = (np.floor(np.abs(value) * 1e3) % k).astype(int)
    positive = problem.weight > 0
    folds = [np.flatnonzero(positive & (fold == j)) for j in range(k)]
    return folds if all(len(f) for f in folds) else None


def penalty_on_held_out_rows(problem, W, alpha, rng, settings):
    """The penalty of the *trained* network, chosen on held-out rows.

    The readout's cross-validation at initialization (:func:`select_alpha`) judges random
    features; a trained first layer can need a weaker penalty (many correlated inputs,
    few rows: the fit is then held back) or a stronger one (it overfits). The rows are
    split into ``PATH_FOLDS`` folds (:func:`content_folds`); for each, the network is
    trained on the other
    folds with ``alpha * f`` for ``f`` in ``PATH_FACTORS``, strongest first, each fit
    warm-started from the previous one (a regularization path), and scored on the fold.
    Every row is scored once. A penalty other than the initial choice must beat it by
    more than one standard error of the paired per-row difference.

    Returns ``(alpha, {alpha: cross-fitted MSE})`` (``None`` for the errors when there
    are too few weighted rows to hold any out).
    """
    folds = content_folds(problem, PATH_FOLDS, rng)
    if folds is None:
        return alpha, None
    candidates = [alpha * factor for factor in PATH_FACTORS]
    errors = {a: np.zeros(problem.n) for a in candidates}
    for held in folds:
        held = np.sort(held)
        train = problem.subset(np.setdiff1d(np.arange(problem.n), held))
        if len(np.unique(train.X1[train.weight > 0], axis=0)) < 2:  # nothing to fit
            return alpha, None
        val, W_start = problem.subset(held), W
        for candidate in candidates:
            fit = fit_alternating(train, alpha=candidate, W_init=W_start, rng=rng, **settings)
            W_start = fit.W
            resid = val.Y - fit.b0 - hidden_features(val.X1, fit.W, val.slope) @ fit.beta
            errors[candidate][held] = (resid * resid).mean(axis=1)
    # the initial choice first, then the stronger penalty, then the weaker one
    order = [alpha] + sorted(set(candidates) - {alpha}, reverse=True)
    best = one_standard_error_choice(errors, problem.weight, order)
    return best, {a: float(problem.weight @ e / problem.weight_sum) for a, e in errors.items()}


# ----------------------------------------------------------------------------------------
# The iteration
# ----------------------------------------------------------------------------------------


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
    history : list of dict
        One entry per iteration (index 0: initialization) with keys ``iter``, ``loss``
        (true penalized loss ``J`` of the current iterate), ``mse``, ``surrogate``
        (fixed-pattern loss at the solve's full step), ``flip_fraction``, ``logdet``,
        ``dead_units``, ``revived``, ``accepted``, ``step``, ``damping``, ``method``,
        ``inner_iter``, ``val_mse`` and ``time`` (seconds since the start).
    warnings : list of str
        Numerical events worth a warning (e.g. eigenvalue fallbacks).
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


def fit_alternating(
    problem,
    *,
    n_hidden=32,
    max_iter=30,
    alpha="auto",
    step_size="auto",
    batch_size=None,
    tol=1e-4,
    init_scale="fan_in",
    solver="auto",
    max_inner_iter=100,
    inner_tol=1e-6,
    rebalance_units=True,
    revive_dead=True,
    validation=None,
    n_iter_no_change=5,
    max_rejections=6,
    rng=None,
    W_init=None,
    callback=None,
):
    """Train by alternating exact solves of the hidden layer and the readout.

    Parameters
    ----------
    problem : Problem
        Training rows (inputs with the trailing ones column).
    n_hidden : int
        Width ``p`` (ignored when ``W_init`` is given).
    max_iter : int
        Iterations (one W-step and one readout step each).
    alpha : float or "auto"
        Penalty of ``J`` on both layers; ``"auto"`` picks it by the exact leave-one-out
        error of the readout at initialization and keeps it fixed.
    step_size : float or "auto"
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
    rebalance_units, revive_dead : bool
        Rebalance units after each readout step; re-draw dead units (accepted only if
        ``J`` does not increase, so the safeguarded iteration stays monotone).
    validation : Problem or None
        Held-out rows; when given, the iterate of least validation error is returned and
        the iteration stops after ``n_iter_no_change`` iterations without improvement.
    n_iter_no_change : int
    max_rejections : int
        Stop after this many consecutive rejected steps (``step_size="auto"``).
    rng : numpy.random.Generator
    W_init : ndarray of shape (p, d + 1) or None
        Starting first layer (default: drawn with ``init_scale``).
    callback : callable or None
        Called as ``callback(entry, (W, beta, b0))`` with each history entry as it is
        recorded and the current iterate; a true return value stops the iteration
        (``stop_reason="callback"``).

    Returns
    -------
    AlternatingResult
    """
    rng = np.random.default_rng(0) if rng is None else rng
    t0 = time.perf_counter()
    d = problem.X1.shape[1] - 1
    p = n_hidden if W_init is None else W_init.shape[0]
    require_memory(
        8 * 3 * p * p + 2 * problem.n * p,
        f"The readout of n_hidden={p} units (a {p} x {p} Gram matrix and its "
        f"eigenvectors) and the {problem.n} x {p} activation patterns",
        "Lower n_hidden (or fit on fewer rows).",
    )
    W = init_weights(rng, n_hidden, d, init_scale) if W_init is None else W_init.copy()
    notes = []

    alpha_scores = None
    if alpha == "auto":
        alpha, beta, b0 = select_alpha(problem, W)
        # rows counted by their weight (frequency weights: k copies or weight k alike);
        # only where the hidden-layer solve is dense, so that the extra fits are cheap
        few_rows = problem.weight_sum < PATH_ROWS_PER_PARAMETER * W.size
        dense = choose_solver(solver, *W.shape, problem.n, max_inner_iter) == "dense"
        if max_iter > 0 and few_rows and dense:
            settings = dict(
                max_iter=max_iter, step_size=step_size, batch_size=batch_size, tol=tol,
                init_scale=init_scale, solver=solver, max_inner_iter=max_inner_iter,
                inner_tol=inner_tol, rebalance_units=rebalance_units, revive_dead=revive_dead,
                max_rejections=max_rejections,
            )  # fmt: skip
            alpha, alpha_scores = penalty_on_held_out_rows(problem, W, alpha, rng, settings)
            beta, b0 = solve_beta(problem, W, alpha)
    else:
        alpha = float(alpha)
        beta, b0 = solve_beta(problem, W, alpha)
    if rebalance_units:
        W, beta = rebalance(W, beta)
    cur = evaluate(problem, W, beta, b0, alpha, pattern=True)
    active = cur.active
    history = []

    def val_mse():
        if validation is None:
            return np.nan
        return evaluate(validation, W, beta, b0, 0.0).mse

    def record(**entry):
        entry["time"] = time.perf_counter() - t0
        history.append(entry)
        return bool(callback is not None and callback(entry, (W, beta, b0)))

    best_val = val_mse()
    best = (W.copy(), beta.copy(), b0.copy(), 0)
    record(
        iter=0, loss=cur.loss, mse=cur.mse, surrogate=np.nan, flip_fraction=0.0,
        logdet=np.nan, dead_units=int(dead_units(cur.active_mass, W, beta).sum()),
        revived=0, accepted=True, step=0.0, damping=0.0, method="init", inner_iter=0,
        val_mse=best_val,
    )  # fmt: skip

    adaptive = step_size == "auto"
    mu_rel = 1e-2
    rejections = 0
    cache = {}
    since_best = 0
    converged = False
    stop_reason = "max_iter"
    last_rel = np.inf
    n_iter = 0
    for it in range(1, max_iter + 1):
        n_iter = it
        # ---- W-step on the batch, with the pattern of the current W held fixed
        if batch_size is not None and batch_size < problem.n:
            index = np.sort(rng.choice(problem.n, batch_size, replace=False))
            batch, batch_active = problem.subset(index), active[index]
            cache = {}
        else:
            batch, batch_active = problem, active
        if "system" not in cache:
            kind = choose_solver(solver, *W.shape, batch.n, max_inner_iter)
            with np.errstate(all="ignore"):
                cache["system"] = hidden_system(batch, batch_active, W, beta, b0, kind)
        mu = 0.0
        if adaptive:
            diag = cache["system"].diagonal
            mu = mu_rel * max(float(diag.mean()), np.finfo(float).tiny)
        with np.errstate(all="ignore"):
            sol = solve_hidden(
                batch, batch_active, W, beta, b0, alpha, mu, solver=solver, cache=cache,
                rtol=inner_tol, max_iter=max_inner_iter,
            )  # fmt: skip
        if sol.method == "eigh" and "eigh" not in notes:
            notes.append("eigh")
        surrogate = sol.surrogate
        direction = sol.W - W

        # ---- step: fixed, or damped / backtracked and accepted only on a real decrease
        accepted, step, new = False, 0.0, None
        if np.all(np.isfinite(direction)):
            steps = (1.0, 0.5, 0.25) if adaptive else (float(step_size),)
            for t in steps:
                W_try = W + t * direction
                with np.errstate(all="ignore"):
                    trial = evaluate(
                        problem, W_try, beta, b0, alpha, reference=active, pattern=True
                    )
                if not np.isfinite(trial.loss):
                    continue
                if not adaptive or trial.loss < cur.loss:
                    accepted, step, new = True, t, (W_try, trial)
                    break
        elif "nonfinite" not in notes:
            notes.append("nonfinite")

        flips = 0.0
        revived = 0
        if accepted:
            rejections = 0
            cache = {}
            mu_rel = max(mu_rel / 3.0, 1e-8)
            W, trial = new
            flips = trial.flip_fraction
            # ---- readout step (exact; cannot raise J), then rebalancing (cannot either)
            prev_loss = cur.loss
            kept = (W, beta, b0)
            beta, b0 = solve_beta(problem, W, alpha)
            if rebalance_units:
                W, beta = rebalance(W, beta)
            cur = evaluate(problem, W, beta, b0, alpha, pattern=True)
            if adaptive and not cur.loss <= trial.loss:  # rounding, or a failed solve
                (W, beta, b0), cur = kept, trial
            # ---- dead units: re-draw them, keep the revival only if J does not rise
            dead = dead_units(cur.active_mass, W, beta)
            if revive_dead and dead.any():
                W_new = W.copy()
                W_new[dead] = init_weights(rng, int(dead.sum()), d, init_scale)
                beta_new, b0_new = solve_beta(problem, W_new, alpha)
                if rebalance_units:
                    W_new, beta_new = rebalance(W_new, beta_new)
                cand = evaluate(problem, W_new, beta_new, b0_new, alpha, pattern=True)
                if np.isfinite(cand.loss) and cand.loss <= cur.loss:
                    W, beta, b0, cur = W_new, beta_new, b0_new, cand
                    revived = int(dead.sum())
            active = cur.active
            last_rel = (prev_loss - cur.loss) / max(abs(prev_loss), np.finfo(float).tiny)
        else:
            rejections += 1
            mu_rel = min(mu_rel * 10.0, 1e8)

        vm = val_mse() if accepted else (history[-1]["val_mse"] if history else np.nan)
        stop = record(
            iter=it, loss=cur.loss, mse=cur.mse, surrogate=surrogate, flip_fraction=flips,
            logdet=sol.logdet, dead_units=int(dead_units(cur.active_mass, W, beta).sum()),
            revived=revived, accepted=accepted, step=step, damping=mu, method=sol.method,
            inner_iter=sol.inner_iter, val_mse=vm,
        )  # fmt: skip
        if stop:
            converged, stop_reason = True, "callback"
            break

        if validation is not None:
            if vm < best_val * (1 - tol) or not np.isfinite(best_val):
                best_val = vm
                best = (W.copy(), beta.copy(), b0.copy(), it)
                since_best = 0
            else:
                since_best += 1
                if since_best >= n_iter_no_change:
                    converged, stop_reason = True, "validation"
                    break
        if accepted and abs(last_rel) <= tol:
            converged, stop_reason = True, "tol"
            break
        if accepted and flips == 0 and step == 1.0 and mu <= 1e-6 * max(alpha, 1e-12) + 1e-12:
            # an undamped full step that keeps the pattern is the exact optimum of its
            # linear region: the alternation is at a fixed point up to the readout step
            converged, stop_reason = True, "pattern"
            break
        if adaptive and rejections >= max_rejections:
            converged, stop_reason = True, "no_decrease"
            break
    else:
        converged = abs(last_rel) <= tol

    if validation is not None:
        W, beta, b0, best_iter = best
    else:
        best_iter = n_iter
    return AlternatingResult(
        W=W, beta=beta, b0=b0, alpha=alpha, n_iter=n_iter, best_iter=best_iter,
        converged=converged, stop_reason=stop_reason, history=history, warnings=notes,
        alpha_scores=alpha_scores,
    )  # fmt: skip
