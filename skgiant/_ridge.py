"""Weighted, multi-output ridge readout on features that are never stored whole.

Both estimators end with a ridge regression on hidden-layer features. This module holds
that solve, as pure functions on arrays:

* :func:`gram_statistics` accumulates the weighted, centred Gram matrix and cross
  products over row chunks (the features of a chunk come from a callable), so memory is
  ``O(chunk * p + p**2)`` whatever the number of samples.
* :func:`eigen_readout` diagonalizes the Gram matrix once; :func:`ridge_coef` then gives
  the coefficients for any penalty in ``O(p**2)`` and :func:`loo_mse` the exact
  leave-one-out error for a whole grid of penalties.
* :func:`tridiagonal_readout` reduces the Gram matrix to tridiagonal form instead
  (about a third of the work of the eigendecomposition): enough for generalized
  cross-validation (:func:`gcv_mse`) and the coefficients (:func:`ridge_coef`) at any
  penalty, in ``O(p)`` per penalty and output; :func:`penalty_path` picks the cheaper
  of the two for a problem.
* :func:`dual_eigen_readout` is the same diagonalization from the ``n x n`` kernel
  matrix of the rows, for fewer rows than features (``O(n**2 p + n**3)`` instead of
  ``O(n p**2 + p**3)``).
* :func:`solve_readout` is the single-penalty solve (Cholesky, with an eigenvalue
  fallback when the system is numerically singular).

Convention (used everywhere in skgiant): with weights ``w`` and ``S = sum(w)`` the readout
minimizes ::

    (1 / S) * sum_i w_i * ||y_i - b - phi_i @ beta||**2 + alpha * ||beta||**2

over ``beta`` and an unpenalized intercept ``b``. It equals scikit-learn's
``Ridge(alpha=alpha * S)`` fitted with the same weights, and ``alpha`` does not need to
change with the number of samples.

Weights are frequency weights (scikit-learn's convention): an integer weight ``k`` is
the same as ``k`` copies of the row. The leave-one-out error follows that convention: it
leaves out one unit of weight, which for unit weights is ordinary leave-one-out.
"""

import warnings
from dataclasses import dataclass

import numpy as np
from scipy import linalg
from scipy.linalg import lapack

from ._blocks import add_partials
from ._chunks import row_slices
from ._moments import GramStatistics, gram_kernel


def gram_statistics(features, y, sample_weight, chunk):
    """Accumulate :class:`GramStatistics` over row chunks (block moments, see
    :mod:`skgiant._moments`; the row-block layer uses the same kernel).

    Parameters
    ----------
    features : callable
        ``features(rows)`` returns the float64 feature matrix of the rows selected by the
        slice ``rows``, shape ``(rows_in_chunk, p)``.
    y : ndarray of shape (n, m)
        Targets.
    sample_weight : ndarray of shape (n,)
        Non-negative weights with a positive sum.
    chunk : int
        Rows per chunk.

    Returns
    -------
    GramStatistics
    """
    kernel = gram_kernel(features, float(sample_weight.max()))
    total = None
    for rows in row_slices(y.shape[0], chunk):
        total = add_partials(total, kernel(_Rows(rows, y[rows], sample_weight[rows])))
    p = total.magnitude.shape[0] - y.shape[1]
    return total.gram_statistics(p, float(sample_weight.sum()))


class _Rows:
    """A block as :func:`~skgiant._moments.gram_kernel` reads it; ``X`` is the row slice,
    handed to ``features``."""

    def __init__(self, rows, Y, weight):
        self.X, self.Y, self.weight = rows, Y, weight


@dataclass
class EigenReadout:
    """A diagonalized readout problem: everything needed for any penalty.

    Attributes
    ----------
    stats : GramStatistics
    eigenvalues : ndarray of shape (r,)
        Eigenvalues of the centred weighted Gram matrix (clipped at 0), ascending; all
        ``r = p`` of them, or (:func:`dual_eigen_readout`) the ``r <= n`` that are not
        numerically zero.
    eigenvectors : ndarray of shape (p, r)
    projected_cross : ndarray of shape (r, m)
        ``eigenvectors.T @ stats.cross``.
    """

    stats: GramStatistics
    eigenvalues: np.ndarray
    eigenvectors: np.ndarray
    projected_cross: np.ndarray

    @property
    def mean_variance(self):
        """Mean feature variance: the trace of the Gram matrix over the number of features.

        (Not ``eigenvalues.mean()``: the dual form keeps only the nonzero eigenvalues.)
        """
        return float(self.eigenvalues.sum()) / max(self.eigenvectors.shape[0], 1)

    @property
    def noise_floor(self):
        """Eigenvalues at or below this are rounding noise, whatever the penalty.

        Centring features of magnitude ``m`` leaves errors of about ``eps * m`` in each
        entry, so the centred second moments of features that do not vary (constant up
        to rounding) come out of order ``(eps * m)**2``, not zero. Those directions carry
        no information; inverting them with a penalty on the same tiny scale (as
        ``alpha="auto"`` grids relative to the spectrum would) fits rounding noise.
        """
        return _noise_floor(self.stats.feature_mean)

    @property
    def tolerance(self):
        """Eigenvalues of ``gram + alpha`` below this are treated as zero."""
        top = self.eigenvalues[-1] if self.eigenvalues.size else 0.0
        if not top > self.noise_floor:  # constant features: every direction is null
            return np.inf
        # never invert a subnormal: 1 / 1e-310 overflows
        n_features = self.eigenvectors.shape[0]
        return max(top * n_features * np.finfo(float).eps, np.finfo(float).tiny)

    def inverse_spectrum(self, alphas):
        """``1 / (eigenvalues + alpha)`` for each alpha, zero where numerically singular.

        Returns an array of shape ``(p, len(alphas))``.
        """
        shifted = self.eigenvalues[:, None] + np.asarray(alphas, dtype=float)[None, :]
        inv = np.zeros_like(shifted)
        ok = (shifted > self.tolerance) & (self.eigenvalues > self.noise_floor)[:, None]
        inv[ok] = 1.0 / shifted[ok]
        return inv

    # The interface the two-block readout (:mod:`skgiant._readout`) uses on either
    # decomposition: a rotation into a basis where ``gram + alpha I`` is cheap to solve.
    def rotate(self, v):
        """``v`` in the eigenbasis: ``eigenvectors.T @ v``."""
        return self.eigenvectors.T @ v

    def unrotate(self, v):
        """Back from the eigenbasis: ``eigenvectors @ v``."""
        return self.eigenvectors @ v

    def inverse(self, alpha):
        """``1 / (eigenvalues + alpha)``, zero on numerically null directions."""
        return self.inverse_spectrum([alpha])[:, 0]

    def solve_rotated(self, alpha, v):
        """``(gram + alpha I)^-1`` applied to the rotated ``v`` (minimum-norm)."""
        return v * self.inverse(alpha)[:, None]

    def coef(self, alpha):
        """Coefficients ``beta`` of the readout for the penalty ``alpha``."""
        return self.eigenvectors @ (self.projected_cross * self.inverse(alpha)[:, None])

    def residual_variance(self, alphas):
        """``RSS / S`` (mean over outputs) and the inverse spectrum, for each penalty."""
        lam = self.eigenvalues[:, None]
        inv = self.inverse_spectrum(alphas)  # (p, L)
        c2 = (self.projected_cross**2).sum(axis=1) / self.projected_cross.shape[1]
        # RSS / S = var(y) - 2 c^2 / (lam + alpha) + lam c^2 / (lam + alpha)^2, summed
        return self.stats.target_variance.mean() - c2 @ (2.0 * inv - lam * inv * inv), inv


def _noise_floor(feature_mean):
    """See :attr:`EigenReadout.noise_floor`."""
    magnitude = float(np.abs(feature_mean).max(initial=0.0))
    return 16.0 * feature_mean.size * (np.finfo(float).eps * magnitude) ** 2


def eigen_readout(stats):
    """Diagonalize the Gram matrix of ``stats`` once (``O(p**3)``)."""
    try:
        eigenvalues, eigenvectors = linalg.eigh(stats.gram, driver="evd", check_finite=True)
    except linalg.LinAlgError:  # pragma: no cover - eigh failing on a symmetric PSD matrix
        u, s, _ = linalg.svd(stats.gram, lapack_driver="gesvd")
        eigenvalues, eigenvectors = s[::-1], u[:, ::-1]
    eigenvalues = np.clip(eigenvalues, 0.0, None)
    return EigenReadout(stats, eigenvalues, eigenvectors, eigenvectors.T @ stats.cross)


def dual_eigen_readout(phi, y, sample_weight):
    """Diagonalize the readout problem of few rows through their kernel matrix.

    With ``F = diag(sqrt(w / S)) (phi - mean)`` the centred, weighted feature rows, the
    Gram matrix ``F.T @ F`` (``p x p``) and the kernel matrix ``K = F @ F.T``
    (``n x n``) share their nonzero eigenvalues, and ``K = U diag(lam) U.T`` gives the
    Gram eigenvectors ``F.T @ U / sqrt(lam)``. For ``n < p`` this costs
    ``O(n**2 p + n**3)`` instead of ``O(n p**2 + p**3)`` and returns the same readout
    for every penalty (:func:`ridge_coef`, :func:`loo_mse`, :func:`gcv_mse`): the Gram
    directions it leaves out have eigenvalue zero, and no training row has a component
    along them. The features of all rows are needed at once (``n * p`` floats, less
    than the ``p**2`` of the Gram matrix).

    Parameters
    ----------
    phi : ndarray of shape (n, p)
        Features of the rows (float64).
    y : ndarray of shape (n, m)
    sample_weight : ndarray of shape (n,)
        Non-negative weights with a positive sum.

    Returns
    -------
    EigenReadout
        With ``stats.gram = None`` and only the eigenpairs above rounding level.
    """
    weight_sum = float(sample_weight.sum())
    v = sample_weight / weight_sum
    root_v = np.sqrt(v)[:, None]
    feature_mean = v @ phi
    target_mean = v @ y
    F = (phi - feature_mean) * root_v
    Yw = (y - target_mean) * root_v
    kernel = F @ F.T
    try:
        lam, U = linalg.eigh(kernel, driver="evd", check_finite=True)
    except linalg.LinAlgError:  # pragma: no cover - eigh failing on a symmetric PSD matrix
        U, lam, _ = linalg.svd(kernel, lapack_driver="gesvd")
        lam, U = lam[::-1], U[:, ::-1]
    top = max(float(lam[-1]) if lam.size else 0.0, 0.0)
    # kernel eigenvalues at rounding level have meaningless eigenvectors: drop them
    keep = lam > top * max(phi.shape) * np.finfo(float).eps
    lam, U = lam[keep], U[:, keep]
    root_lam = np.sqrt(lam)
    stats = GramStatistics(
        weight_sum=weight_sum,
        feature_mean=feature_mean,
        target_mean=target_mean,
        target_variance=(Yw * Yw).sum(axis=0),
        gram=None,
        cross=F.T @ Yw,
    )
    # eigenvectors.T @ cross = diag(sqrt(lam)) U.T Yw, computed without dividing by sqrt(lam)
    projected = root_lam[:, None] * (U.T @ Yw)
    return EigenReadout(stats, lam, (F.T @ U) / root_lam, projected)


@dataclass
class TridiagonalReadout:
    """A readout problem reduced to tridiagonal form: enough for GCV and any penalty.

    ``gram = Q T Q.T`` with ``T`` tridiagonal and ``Q`` orthogonal (``p - 1`` Householder
    reflectors, LAPACK ``dsytrd``). The ridge coefficients are
    ``Q (T + alpha I)^-1 Q.T cross``, one ``O(p)`` tridiagonal solve per penalty and
    output, and generalized cross-validation needs only those solves and the eigenvalues
    of ``T`` (computed without eigenvectors). The reduction is the first third of a full
    eigendecomposition; the eigenvectors are never formed.

    Attributes
    ----------
    stats : GramStatistics
    eigenvalues : ndarray of shape (p,)
        Eigenvalues of the Gram matrix (clipped at 0), ascending.
    diagonal, off_diagonal : ndarrays of shapes (p,) and (p - 1,)
        ``T``.
    reflectors : ndarray of shape (p - 1, p - 1)
        The Householder vectors of ``Q`` in LAPACK's QR layout (``dormqr``).
    tau : ndarray of shape (p - 1,)
    projected_cross : ndarray of shape (p, m)
        ``Q.T @ stats.cross``.
    """

    stats: GramStatistics
    eigenvalues: np.ndarray
    diagonal: np.ndarray
    off_diagonal: np.ndarray
    reflectors: np.ndarray
    tau: np.ndarray
    projected_cross: np.ndarray

    @property
    def mean_variance(self):
        """Mean feature variance (the trace of the Gram matrix over ``p``)."""
        return float(self.diagonal.sum()) / max(self.diagonal.size, 1)

    def apply_q(self, v, *, transpose=False):
        """``Q @ v`` (or ``Q.T @ v``) for ``v`` of shape ``(p, m)``."""
        v = np.array(v, dtype=np.float64, order="F")
        if self.tau.size:  # Q = diag(1, Q_qr) for LAPACK's lower-triangle layout
            m = v.shape[1]
            out, _, info = lapack.dormqr(
                "L",
                "T" if transpose else "N",
                self.reflectors,
                self.tau,
                v[1:],
                lwork=max(1, m) * 64,
                overwrite_c=1,
            )
            if info != 0:  # pragma: no cover - only for invalid arguments
                raise linalg.LinAlgError(f"dormqr failed with info={info}")
            v[1:] = out
        return v

    def solve(self, alpha):
        """``(T + alpha I)^-1 projected_cross``, or None if not numerically positive."""
        return self.solve_rotated(alpha, self.projected_cross)

    def rotate(self, v):
        """``Q.T @ v``."""
        return self.apply_q(v, transpose=True)

    def unrotate(self, v):
        """``Q @ v``."""
        return self.apply_q(v)

    def inverse(self, alpha):
        """``1 / (eigenvalues + alpha)`` (the spectrum of ``(T + alpha I)^-1``)."""
        return 1.0 / (self.eigenvalues + alpha)

    def solve_rotated(self, alpha, v):
        """``(T + alpha I)^-1 v``, or None if not numerically positive definite."""
        _, _, x, info = lapack.dptsv(self.diagonal + alpha, self.off_diagonal, v)
        return x if info == 0 else None

    def coef(self, alpha):
        """Coefficients ``beta`` of the readout for the penalty ``alpha``."""
        return self.apply_q(self.solve(alpha))

    def residual_variance(self, alphas):
        """``RSS / S`` (mean over outputs) and the inverse spectrum, for each penalty:
        ``var(y) - x.T c - alpha ||x||**2`` with ``x = (T + alpha I)^-1 c``, ``c = Q.T
        cross`` (the minimum of the penalized objective, less the penalty); ``inf`` where
        the tridiagonal solve fails."""
        alphas = np.asarray(alphas, dtype=float)
        n_outputs = self.projected_cross.shape[1]
        explained = np.full(alphas.shape, np.inf)
        for k, alpha in enumerate(alphas):
            x = self.solve(alpha)
            if x is not None:
                explained[k] = (
                    np.sum(x * self.projected_cross) + alpha * np.sum(x * x)
                ) / n_outputs
        inv = 1.0 / (self.eigenvalues[:, None] + alphas[None, :])
        return self.stats.target_variance.mean() - explained, inv

    def diagonalized(self):
        """The same problem in the eigenbasis of ``T`` (``T = Z diag(lam) Z.T``, by the
        MRRR algorithm in ``O(p**2)``): every penalty is then an elementwise product."""
        return _DiagonalizedTridiagonal(self)


class _DiagonalizedTridiagonal:
    """A :class:`TridiagonalReadout` with the eigenvectors ``Z`` of ``T``: the interface
    of :class:`EigenReadout` (rotate, unrotate, inverse, solve_rotated) without the
    ``O(p**3)`` back-transformation ``Q Z`` of a full eigendecomposition."""

    def __init__(self, tri):
        self.tri = tri
        if tri.diagonal.size > 1:
            lam, self.Z = linalg.eigh_tridiagonal(
                tri.diagonal, tri.off_diagonal, lapack_driver="stemr"
            )
        else:
            lam, self.Z = tri.diagonal.copy(), np.ones((tri.diagonal.size,) * 2)
        self.eigenvalues = np.clip(lam, 0.0, None)
        self.stats = tri.stats

    def rotate(self, v):
        return self.Z.T @ self.tri.apply_q(v, transpose=True)

    def unrotate(self, v):
        return self.tri.apply_q(self.Z @ v)

    def inverse(self, alpha):
        return 1.0 / (self.eigenvalues + alpha)

    def solve_rotated(self, alpha, v):
        return v * self.inverse(alpha)[:, None]


def tridiagonal_readout(stats):
    """Reduce the Gram matrix of ``stats`` to tridiagonal form (``4/3 p**3`` flops)."""
    gram = stats.gram
    p = gram.shape[0]
    lwork = int(lapack.dsytrd_lwork(p, lower=1)[0])
    packed, diagonal, off_diagonal, tau, info = lapack.dsytrd(gram, lower=1, lwork=max(lwork, 1))
    if info != 0:  # pragma: no cover - only for invalid arguments
        raise linalg.LinAlgError(f"dsytrd failed with info={info}")
    if p > 1:
        eigenvalues = linalg.eigvalsh_tridiagonal(diagonal, off_diagonal, lapack_driver="sterf")
    else:
        eigenvalues = diagonal.copy()
    readout = TridiagonalReadout(
        stats=stats,
        eigenvalues=np.clip(eigenvalues, 0.0, None),
        diagonal=diagonal,
        off_diagonal=off_diagonal,
        reflectors=np.asfortranarray(packed[1:, :-1]),
        tau=tau,
        projected_cross=None,
    )
    readout.projected_cross = readout.apply_q(stats.cross, transpose=True)
    return readout


#: :func:`penalty_path` takes the tridiagonal path only for penalties this far above
#: the noise floor of the spectrum.
_PATH_MARGIN = 1e8


def penalty_path(stats, smallest_alpha):
    """The diagonalization :func:`select_penalty` and :func:`ridge_coef` need, cheaply.

    :func:`tridiagonal_readout` when generalized cross-validation will choose the
    penalty (enough rows) and every penalty from ``smallest_alpha`` on dominates the
    rounding level of the spectrum; else :func:`eigen_readout`, which drops the
    directions of features constant up to rounding explicitly and also serves
    leave-one-out. Both give the same GCV curve and coefficients up to rounding: a
    direction of eigenvalue ``lam`` at most the noise floor
    (:attr:`EigenReadout.noise_floor`) changes the fit by at most
    ``lam * var(y) / alpha``, which the margin ``_PATH_MARGIN`` keeps below ``1e-8``.
    """
    p = stats.gram.shape[0]
    if stats.weight_sum < GCV_ROWS_PER_FEATURE * p or p < 2:
        return eigen_readout(stats)
    tri = tridiagonal_readout(stats)
    rounding = max(
        tri.eigenvalues[-1] * p * np.finfo(float).eps,
        _PATH_MARGIN * _noise_floor(stats.feature_mean),
    )
    if smallest_alpha > rounding and tri.solve(smallest_alpha) is not None:
        return tri
    return eigen_readout(stats)


def ridge_coef(eig, alpha):
    """Coefficients ``(beta, intercept)`` of the readout for penalty ``alpha``.

    ``eig`` is an :class:`EigenReadout` or a :class:`TridiagonalReadout`.
    """
    beta = eig.coef(alpha)
    intercept = eig.stats.target_mean - eig.stats.feature_mean @ beta
    return beta, intercept


def loo_mse(eig, phi_rows, y_rows, w_rows, alphas, *, per_row=False):
    """Exact leave-one-out mean squared error of the readout for each penalty.

    The error is evaluated on a set of rows (all rows, or a random subset to bound the
    cost): for each of them the residual of the model refitted without one unit of its
    weight, ``r_i / (1 - h_i)``, with ``h_i`` the leverage of a unit-weight copy of
    the row. Averaging over a subset of rows estimates the full leave-one-out error
    without bias; on all rows it is exact.

    Parameters
    ----------
    eig : EigenReadout
        The diagonalized problem fitted on *all* rows.
    phi_rows : ndarray of shape (s, p)
        Features of the evaluated rows.
    y_rows : ndarray of shape (s, m)
    w_rows : ndarray of shape (s,)
    alphas : array-like of shape (L,)
    per_row : bool, default=False
        Return the squared residual of every row (mean over outputs) instead.

    Returns
    -------
    ndarray of shape (L,), or (s, L) with ``per_row=True``
        Weighted mean over rows and outputs of the squared leave-one-out residuals.
    """
    stats = eig.stats
    u = (phi_rows - stats.feature_mean) @ eig.eigenvectors  # (s, p)
    return loo_from_projections(
        u,
        eig.projected_cross,
        eig.inverse_spectrum(alphas),
        y_rows - stats.target_mean,
        stats.weight_sum,
        w_rows,
        per_row=per_row,
    )


def loo_from_projections(u, projected_cross, inv, y_centred, weight_sum, w_rows, *, per_row=False):
    """Leave-one-out errors from the rows' coordinates ``u`` in the eigenbasis.

    ``u`` (shape ``(s, r)``) are the centred feature rows in the eigenbasis,
    ``projected_cross`` the cross products there, ``inv`` (shape ``(r, L)``) the
    inverse spectrum for each penalty; see :func:`loo_mse`.
    """
    leverage = (1.0 + (u * u) @ inv) / weight_sum  # (s, L)
    # fitted values for every alpha: (s, m, L)
    fitted = np.einsum("sp,pm,pl->sml", u, projected_cross, inv, optimize=True)
    resid = y_centred[:, :, None] - fitted
    # A leverage of one means the row is fitted exactly and cannot be left out
    # meaningfully (e.g. alpha = 0 with more features than rows); give it no credit.
    denom = np.clip(1.0 - leverage, np.sqrt(np.finfo(float).eps), None)
    loo = resid / denom[:, None, :]
    squared = (loo * loo).mean(axis=1)  # (s, L)
    if per_row:
        return squared
    return w_rows @ squared / w_rows.sum()


def gcv_mse(eig, alphas):
    """Generalized cross-validation error of the readout for each penalty, ``O(p * L)``.

    ``GCV = (RSS / S) / (1 - df / S)**2`` with the residual sum of squares and the
    degrees of freedom ``df = 1 + sum(lambda / (lambda + alpha))`` (the intercept
    counts one) read off the eigendecomposition: no pass over the rows. It is the
    rotation-invariant approximation of leave-one-out (every leverage replaced by their
    mean ``df / S``), close to it when no row has a large leverage.

    With a :class:`TridiagonalReadout` the residual sum of squares comes from one
    tridiagonal solve per penalty: ``RSS / S = var(y) - x.T c - alpha ||x||**2`` with
    ``x = (T + alpha I)^-1 c`` and ``c = Q.T cross`` (the minimum of the penalized
    objective, less the penalty).

    Returns
    -------
    ndarray of shape (L,)
        Mean over outputs.
    """
    stats = eig.stats
    alphas = np.asarray(alphas, dtype=float)
    rss, inv = eig.residual_variance(alphas)
    lam = eig.eigenvalues[:, None]
    rss = np.where(np.isfinite(rss), np.maximum(rss, 0.0), np.inf)
    df = 1.0 + (lam * inv).sum(axis=0)
    denom = np.maximum(1.0 - df / stats.weight_sum, np.sqrt(np.finfo(float).eps))
    return rss / denom**2


#: :func:`select_penalty` uses GCV from this many (weighted) rows per feature on.
GCV_ROWS_PER_FEATURE = 1.0


def select_penalty(eig, alphas, rows):
    """The penalty of least cross-validation error on the grid ``alphas``.

    Generalized cross-validation (:func:`gcv_mse`, read off the eigendecomposition) when
    the total weight is at least :data:`GCV_ROWS_PER_FEATURE` times the number of
    features; with fewer rows, where some leverages approach one and GCV's uniform
    leverage is a poor approximation, the exact leave-one-out error (:func:`loo_mse`)
    on the rows ``rows()`` returns. Weights count as row copies in both, so integer
    weights and repeated rows choose the same penalty.

    Parameters
    ----------
    eig : EigenReadout or TridiagonalReadout
        (the latter only with enough rows for GCV, see :func:`penalty_path`)
    alphas : ndarray of shape (L,)
        Ascending penalties.
    rows : callable
        ``rows()`` returns ``(phi, y, w)``: features, targets and weights of the rows the
        readout was fitted on (only called for leave-one-out).

    Returns
    -------
    index : int
        Position in ``alphas`` of the chosen penalty (:func:`best_penalty_index`).
    curve : ndarray of shape (L,)
        The error along ``alphas``.
    criterion : {"gcv", "loo"}
    """
    if eig.stats.weight_sum >= GCV_ROWS_PER_FEATURE * eig.stats.cross.shape[0]:
        curve, criterion = gcv_mse(eig, alphas), "gcv"
    else:
        phi, y, w = rows()
        curve, criterion = loo_mse(eig, phi, y, w, alphas), "loo"
    return best_penalty_index(curve), curve, criterion


#: Leave-one-out errors within this relative distance of the least one count as ties.
PENALTY_TIE_RTOL = 1e-6


def best_penalty_index(errors, rtol=PENALTY_TIE_RTOL):
    """Index of the penalty to pick from leave-one-out ``errors`` on an ascending grid.

    The largest penalty whose error is within ``rtol`` (relative) of the least: on a flat
    curve (features with almost no variance, e.g. nearly dead units) the plain
    ``argmin`` is decided by rounding, so rescaling ``y`` or repeating rows instead of
    weighting them could change the penalty; differences that small carry no
    statistical information, and the most regularized of the tied models is the safe one.
    """
    errors = np.asarray(errors, dtype=float)
    best = errors.min()
    tied = np.flatnonzero(errors <= best + rtol * abs(best))
    return int(tied[-1])


def solve_readout(stats, alpha):
    """Readout ``(beta, intercept)`` for one penalty, by Cholesky when possible.

    Falls back to the eigendecomposition (dropping numerically null directions, the
    minimum-norm solution) with a warning when ``gram + alpha I`` is not numerically
    positive definite.
    """
    p = stats.gram.shape[0]
    system = stats.gram + alpha * np.eye(p)
    scale = max(np.abs(np.diag(system)).max(initial=0.0), np.finfo(float).tiny)
    try:
        factor = linalg.cho_factor(system, check_finite=True)
        diag = np.abs(np.diag(factor[0]))
        if diag.min() ** 2 < scale * p * np.finfo(float).eps * 1e3:
            raise linalg.LinAlgError("ill-conditioned")
        beta = linalg.cho_solve(factor, stats.cross)
    except linalg.LinAlgError:
        _warn_singular(alpha)
        return ridge_coef(eigen_readout(stats), alpha)
    intercept = stats.target_mean - stats.feature_mean @ beta
    return beta, intercept


def solve_dual_readout(eig, alpha):
    """Readout ``(beta, intercept)`` for one penalty from a :func:`dual_eigen_readout`.

    With fewer rows than features the Gram matrix is singular, so ``gram + alpha I`` is as
    ill-conditioned as ``alpha`` is small against the spectrum: below the threshold at
    which :func:`solve_readout` gives up on Cholesky, this warns the same way (the
    solution is the same minimum-norm one).
    """
    top = eig.eigenvalues[-1] if eig.eigenvalues.size else 0.0
    n_features = eig.eigenvectors.shape[0]
    if alpha < (top + alpha) * n_features * np.finfo(float).eps * 1e3:
        _warn_singular(alpha)
    return ridge_coef(eig, alpha)


def _warn_singular(alpha):
    warnings.warn(
        f"The readout system is numerically singular (alpha={alpha:g} is too small for "
        "these features); using the minimum-norm solution. Increase alpha or use "
        "alpha='auto'.",
        LinAlgConditionWarning,
        stacklevel=4,
    )


class LinAlgConditionWarning(linalg.LinAlgWarning):
    """A linear system was too ill-conditioned to solve as asked; a safe solve was used.

    A subclass of :class:`scipy.linalg.LinAlgWarning`, so the filters users already set
    for SciPy's ill-conditioning warnings apply to skgiant's too.

    Examples
    --------
    >>> from scipy.linalg import LinAlgWarning
    >>> from skgiant import LinAlgConditionWarning
    >>> issubclass(LinAlgConditionWarning, LinAlgWarning)
    True
    """
