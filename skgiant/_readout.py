"""The ridge readout of both estimators: one entry point, :func:`fit_readout`.

The readout is a weighted ridge regression on features that are never stored whole
(hidden units, optionally followed by a block of linear features). :func:`fit_readout`
chooses the form of the solve from the problem, as scikit-learn's ``RidgeCV`` does:

* fewer weighted rows than features: the ``n x n`` kernel matrix (the dual form);
* otherwise the Gram matrix accumulated over row chunks, reduced to tridiagonal form or
  diagonalized (:func:`skgiant._ridge.penalty_path`), or factored by Cholesky for a
  single penalty.

With ``alpha="auto"`` the penalty is chosen by exact leave-one-out error: from the kernel
matrix with fewer rows than features, else from the reduced Gram matrix on at most
``LOO_ROWS`` evaluated rows (:func:`_one_block_schur`). Generalized cross-validation
(GCV), which needs no rows at all, is not used here: it replaces every leverage by their
mean and is far too optimistic with rows of high leverage (see below).

**Two penalties.** When the features end with a block of ``n_linear`` linear features
(the linear term of ``GiantStepRegressor``), one shared penalty lets the many hidden
features dilute the linear fit: a penalty strong enough to tame a thousand hidden units
shrinks the few linear coefficients too. With ``alpha="auto"`` the linear block gets its
own penalty ``alpha_linear = ratio * alpha``, and the pair is chosen jointly from
``RELATIVE_ALPHAS x LINEAR_RATIOS``, together with the special case "linear term only"
(the hidden block left out, i.e. plain ridge on the inputs) -- so the readout is never
worse, by the selection criterion, than its own simpler special cases.

The joint choice is scored by exact leave-one-out error, not GCV: with rows of high
leverage (rare levels of one-hot encoded columns, for instance) GCV's uniform-leverage
approximation is far too optimistic and picks penalties much too small. In the Gram
form the hidden block is reduced once and the linear block eliminated by its Schur
complement, so each pair of penalties costs ``O(s (p + d) d)`` on ``s <= LOO_ROWS``
evaluated rows (:func:`_two_block_schur`); in the dual form each ratio is a rescaled
kernel (:func:`_two_block_by_rescaling`).
"""

from dataclasses import dataclass

import numpy as np
from scipy import linalg

from ._moments import gram_kernel
from ._ridge import (
    GramStatistics,
    TridiagonalReadout,
    _noise_floor,
    best_penalty_index,
    dual_eigen_readout,
    eigen_readout,
    gram_statistics,
    loo_from_projections,
    loo_mse,
    penalty_path,
    ridge_coef,
    select_penalty,
    solve_dual_readout,
    solve_readout,
)
from ._selection import one_standard_error_choice
from ._weights import as_row_weights

#: Penalty grid of ``alpha="auto"``: multiples of the mean feature variance.
RELATIVE_ALPHAS = np.logspace(-6, 2, 25)
#: Ratios ``alpha_linear / alpha`` tried for a linear block (``alpha="auto"``); with the
#: "linear only" special case the readout can also drop the hidden block.
LINEAR_RATIOS = np.logspace(-4, 2, 7)
#: Hidden blocks up to this size are diagonalized outright in the leave-one-out path.
_DIAGONALIZE_BELOW = 256
#: The joint choice of two penalties scores exact leave-one-out on at most this many
#: rows (drawn with a fixed seed when there are more): an unbiased estimate whose cost
#: does not grow with ``n``.
LOO_ROWS = 512


@dataclass
class Readout:
    """A fitted readout.

    Attributes
    ----------
    beta : ndarray of shape (k, m)
        Coefficients of the features (hidden block first, then the linear block).
    intercept : ndarray of shape (m,)
    alpha : float
        Penalty of the hidden block (the only one without a linear block); ``inf`` when
        the selection kept the linear term only.
    alpha_linear : float or None
        Penalty of the linear block (``None`` without one).
    alpha_grid : ndarray or None
        Hidden-block penalties tried (``alpha="auto"``).
    cv_curve : ndarray or None
        Cross-validation error along ``alpha_grid`` at the chosen ratio.
    criterion : {"gcv", "loo"} or None
    feature_mean : ndarray of shape (k,)
        Weighted mean of each feature on the training rows.
    """

    beta: np.ndarray
    intercept: np.ndarray
    alpha: float
    alpha_linear: float | None
    alpha_grid: np.ndarray | None
    cv_curve: np.ndarray | None
    criterion: str | None
    feature_mean: np.ndarray


def fit_readout(
    data, feature_map, n_features, *, alpha="auto", n_linear=0, ratio=None, loo_rows=None
):
    """Ridge readout of the data's targets on features of its inputs: one pass.

    Parameters
    ----------
    data : RowData
        The rows (:mod:`skgiant._blocks`); ``block.Y`` are the targets.
    feature_map : callable
        ``feature_map(X)`` returns the float64 features (shape ``(len(X), k)``) of a block
        of inputs, as a new array.
    n_features : int
        ``k``, the number of features.
    alpha : float or "auto"
        A fixed penalty (shared by both blocks), or ``"auto"``.
    n_linear : int
        Size of the trailing linear block (0: none).
    ratio : float, optional
        With a linear block: a fixed ratio ``alpha_linear / alpha`` (with
        ``alpha="auto"`` only ``alpha`` is chosen, cheaper than the joint choice; with a
        number the linear block gets ``ratio * alpha``).
    loo_rows : int, optional
        At most this many rows score leave-one-out (default :data:`LOO_ROWS`).

    Returns
    -------
    Readout
    """
    if ratio is not None and n_linear:
        return _fixed_ratio(data, feature_map, n_features, n_linear, ratio, loo_rows, alpha)
    if data.weights.n_weighted < n_features:  # the dual form: all from the kernel matrix
        sample = data.take(data.weights.weighted_rows())
        rows = (feature_map(sample.X), sample.Y, sample.weights.array())
        return readout_from_statistics(None, rows, alpha=alpha, n_linear=n_linear)
    kernel = gram_kernel(feature_map, data.weights.largest)
    width = n_features + data.n_outputs
    if alpha != "auto":
        (total,) = data.reduce(kernel, floats_per_row=2 * width)
        stats = total.gram_statistics(n_features, data.weight_sum)
        return readout_from_statistics(stats, None, alpha=alpha, n_linear=n_linear)
    index = loo_index(data.weights, loo_rows)
    total, sample = data.reduce(kernel, floats_per_row=2 * width, gather=index)
    stats = total.gram_statistics(n_features, data.weight_sum)
    rows = (feature_map(sample.X), sample.Y, sample.weights.array())
    return readout_from_statistics(stats, rows, alpha=alpha, n_linear=n_linear)


def loo_index(weights, loo_rows=None):
    """The rows that score leave-one-out: every weighted row, or at most ``loo_rows``
    (default :data:`LOO_ROWS`) of them drawn with a fixed seed (``weights``: a
    :class:`~skgiant._weights.RowWeights` or an array)."""
    cap = LOO_ROWS if loo_rows is None else loo_rows
    return as_row_weights(weights).sample_weighted(cap, seed=0)


def readout_from_statistics(stats, rows, *, alpha="auto", n_linear=0):
    """The readout from data already read: Gram statistics and scored rows.

    ``stats`` is a :class:`~skgiant._ridge.GramStatistics` (or ``None`` for the dual
    form, where ``rows`` must hold every weighted row); ``rows`` is ``(features,
    targets, weights)`` of the rows that score leave-one-out (unused for a fixed
    ``alpha`` with ``stats``).
    """
    if stats is None:
        if alpha != "auto":
            eig = dual_eigen_readout(*rows)
            beta, intercept = solve_dual_readout(eig, float(alpha))
            return _fixed(beta, intercept, float(alpha), n_linear, eig.stats.feature_mean)
        if n_linear == 0:
            return _dual_one_penalty(rows)
        return _two_block_by_rescaling(rows, rows[0].shape[1] - n_linear)
    if alpha != "auto":
        beta, intercept = solve_readout(stats, float(alpha))
        return _fixed(beta, intercept, float(alpha), n_linear, stats.feature_mean)
    if n_linear == 0:
        return _one_block_schur(stats, rows)
    return _two_block_schur(stats, stats.gram.shape[0] - n_linear, rows)


def _fixed(beta, intercept, alpha, n_linear, feature_mean):
    """A readout with the penalty given (shared by both blocks)."""
    return Readout(
        beta, intercept, alpha, alpha if n_linear else None, None, None, None, feature_mean
    )


def _fixed_ratio(data, feature_map, n_features, n_linear, ratio, loo_rows, alpha="auto"):
    """The one-penalty readout on features whose linear block is scaled by
    ``1 / sqrt(ratio)``: the two-penalty problem with ``alpha_linear = ratio * alpha``."""
    p, s = n_features - n_linear, 1.0 / np.sqrt(ratio)

    def scaled(X):
        phi = feature_map(X)
        phi[:, p:] *= s
        return phi

    fit = fit_readout(data, scaled, n_features, alpha=alpha, loo_rows=loo_rows)
    fit.beta[p:] *= s
    fit.feature_mean[p:] /= s
    fit.alpha_linear = ratio * fit.alpha
    return fit


def _dual_one_penalty(rows):
    """One penalty, few rows: exact leave-one-out from the kernel matrix."""
    eig = dual_eigen_readout(*rows)
    grid = RELATIVE_ALPHAS * max(eig.mean_variance, np.finfo(float).tiny)
    index, curve, criterion = select_penalty(eig, grid, lambda: rows)
    beta, intercept = ridge_coef(eig, grid[index])
    alpha = float(grid[index])
    return Readout(beta, intercept, alpha, None, grid, curve, criterion, eig.stats.feature_mean)


def _one_block_schur(stats, rows):
    """One penalty, chosen by exact leave-one-out on ``rows`` (see :class:`_SchurPath`)."""
    schur = _SchurPath(stats, stats.gram.shape[0])
    w = rows[2]
    curve = w @ schur.loo(rows, np.ones(1))[:, :, 0] / w.sum()
    alpha = float(schur.grid[best_penalty_index(curve)])
    beta, intercept = schur.coef(alpha, alpha)
    return Readout(beta, intercept, alpha, None, schur.grid, curve, "loo", stats.feature_mean)


def _block_stats(stats, block):
    """The statistics of the features ``block`` (a slice or an index array) alone."""
    gram = (
        stats.gram[block, block] if isinstance(block, slice) else stats.gram[np.ix_(block, block)]
    )
    return GramStatistics(
        weight_sum=stats.weight_sum,
        feature_mean=stats.feature_mean[block],
        target_mean=stats.target_mean,
        target_variance=stats.target_variance,
        gram=np.array(gram, order="F"),
        cross=stats.cross[block],
    )


def _two_block_schur(stats, p, rows):
    """Joint leave-one-out choice of ``(alpha, alpha_linear)``; features ``[:p]`` hidden,
    the rest linear.

    With ``M = G_hh + alpha I`` reduced once (``Q.T M Q`` tridiagonal or diagonal), the
    linear coefficients solve the Schur complement
    ``S = G_ll + alpha_l I - G_lh M^-1 G_hl`` (``d x d``): ``S theta = c_l - G_lh M^-1
    c_h``, and the hidden ones are ``M^-1 (c_h - G_hl theta)``. The leverage of a row
    ``(h, l)`` follows from the block inverse::

        S_w * lev = 1 + h.M^-1 h + z.S^-1 z,   z = l - G_lh M^-1 h

    so every pair of penalties costs ``O(s (p + d) d)`` for ``s`` evaluated rows, after
    one solve per hidden penalty. Exact leave-one-out and not generalized
    cross-validation: with rows of high leverage (rare levels of a one-hot encoded
    column, say) GCV's uniform-leverage approximation is far too optimistic and picks
    penalties that are much too small. The rows are all rows, or at most
    ``LOO_ROWS`` of them drawn with a fixed seed (an unbiased estimate).
    """
    variance = np.diag(stats.gram)[p:]
    mean = stats.feature_mean[p:]
    informative = variance > 16.0 * (np.finfo(float).eps * mean) ** 2 + np.finfo(float).tiny
    if not informative.all():  # constant linear features carry nothing: solve without
        index = np.r_[np.arange(p), p + np.flatnonzero(informative)]
        phi, y, w = rows
        fit = _two_block_schur(_block_stats(stats, index), p, (phi[:, index], y, w))
        beta = np.zeros((stats.gram.shape[0], fit.beta.shape[1]))
        beta[index] = fit.beta
        fit.beta, fit.feature_mean = beta, stats.feature_mean
        return fit
    schur = _SchurPath(stats, p)
    linear = eigen_readout(_block_stats(stats, slice(p, None)))
    only = _linear_only(linear, (rows[0][:, p:], rows[1], rows[2]))
    choice, errors = _pick(schur.loo(rows, LINEAR_RATIOS), only, rows[2], schur.grid)
    if choice is None:
        return _linear_only_readout(only, p, schur.grid, "loo", stats.feature_mean)
    alpha_index, ratio_index = choice
    alpha = float(schur.grid[alpha_index])
    alpha_l = float(LINEAR_RATIOS[ratio_index] * alpha)
    beta, intercept = schur.coef(alpha, alpha_l)
    curve = errors[:, ratio_index]
    return Readout(beta, intercept, alpha, alpha_l, schur.grid, curve, "loo", stats.feature_mean)


class _SchurPath:
    """The hidden block reduced once; the linear block (if any: ``p`` may be all the
    features) eliminated per penalty pair."""

    def __init__(self, stats, p):
        hidden, linear = slice(0, p), slice(p, None)
        h = _block_stats(stats, hidden)
        self.stats, self.p = stats, p
        self.grid = RELATIVE_ALPHAS * max(float(np.trace(h.gram)) / max(p, 1), np.finfo(float).tiny)
        # the hidden block in a diagonal basis, so that each penalty is an elementwise
        # product: a small block by a full eigendecomposition, a large one through its
        # tridiagonal form (the eigenvectors of T are cheap, and Q is applied as
        # reflectors instead of being multiplied into them)
        small = p <= _DIAGONALIZE_BELOW
        dec = eigen_readout(h) if small else penalty_path(h, self.grid[0])
        self.dec = dec.diagonalized() if isinstance(dec, TridiagonalReadout) else dec
        self.A = self.dec.rotate(np.array(stats.gram[hidden, linear]))  # (p, d)
        self.C = self.dec.rotate(stats.cross[hidden])  # (p, m)
        self.G_ll, self.c_l = stats.gram[linear, linear], stats.cross[linear]

    def _eliminate(self, inv):
        """For the hidden penalty whose inverse spectrum is ``inv``: ``M^-1 G_hl`` and
        ``M^-1 c_h`` (rotated) and the eigenpairs of the Schur complement."""
        XA, XC = self.A * inv[:, None], self.C * inv[:, None]
        if XA.shape[1] == 0:  # no second block
            return XA, XC, np.zeros(0), np.zeros((0, 0))
        schur = self.G_ll - self.A.T @ XA
        mu, E = linalg.eigh((schur + schur.T) / 2.0)
        return XA, XC, np.clip(mu, 0.0, None), E

    def _complement_inverse(self, mu, alphas_l):
        """``1 / (mu + alpha_l)`` for each linear penalty (zero where that is not a
        number: constant linear features are removed before, see
        :func:`_two_block_schur`)."""
        shifted = mu[:, None] + alphas_l[None, :]
        top = float(mu.max(initial=0.0)) + float(alphas_l.max())
        tolerance = max(top * max(mu.size, 1) * np.finfo(float).eps, np.finfo(float).tiny)
        ok = shifted > tolerance
        return np.where(ok, 1.0 / np.where(ok, shifted, 1.0), 0.0)

    def loo(self, rows, ratios):
        """Per-row leave-one-out errors ``(s, len(grid), len(ratios))`` on the rows
        ``(phi, y, w)`` for every hidden penalty of the grid and linear penalty
        ``ratio * alpha`` (mean over outputs)."""
        phi, y, w = rows
        p, stats = self.p, self.stats
        centred = phi - stats.feature_mean
        U = self.dec.rotate(centred[:, :p].T)  # (p, s): the rows in the hidden basis
        y_centred = y - stats.target_mean
        inv_all = np.stack([self.dec.inverse(alpha) for alpha in self.grid], axis=1)  # (p, L)
        # the hidden block alone, for every penalty at once: leverage u.M^-1 u and
        # fitted values u.M^-1 c
        hidden_leverage = (U * U).T @ inv_all  # (s, L)
        hidden_fit = np.einsum("ps,pm,pl->slm", U, self.C, inv_all, optimize=True)
        errors = np.empty((len(y), len(self.grid), len(ratios)))
        for i, alpha in enumerate(self.grid):
            XA, XC, mu, E = self._eliminate(inv_all[:, i])
            inv = self._complement_inverse(mu, ratios * alpha)  # (d, R)
            Ez = E.T @ (centred[:, p:].T - XA.T @ U)  # (d, s)
            theta = (E.T @ (self.c_l - self.A.T @ XC))[:, :, None] * inv[:, None, :]
            leverage = (1.0 + hidden_leverage[:, i, None] + (Ez * Ez).T @ inv) / stats.weight_sum
            # fitted values u.(XC - XA theta) + l.theta = u.XC + z.theta: (s, m, R)
            fitted = hidden_fit[:, i, :, None] + np.einsum("ds,dmr->smr", Ez, theta)
            denom = np.clip(1.0 - leverage, np.sqrt(np.finfo(float).eps), None)
            loo = (y_centred[:, :, None] - fitted) / denom[:, None, :]
            errors[:, i] = (loo * loo).mean(axis=1)
        return errors

    def coef(self, alpha, alpha_l):
        """Readout ``(beta, intercept)`` for the pair of penalties."""
        XA, XC, mu, E = self._eliminate(self.dec.inverse(alpha))
        r = self.c_l - self.A.T @ XC
        theta = E @ ((E.T @ r) * self._complement_inverse(mu, np.array([alpha_l])))
        beta = np.vstack([self.dec.unrotate(XC - XA @ theta), theta])
        return beta, self.stats.target_mean - self.stats.feature_mean @ beta


def _linear_only(eig, rows):
    """The special case "linear block only" (plain ridge on the linear features):
    ``(eig, alpha, per-row errors)`` with the penalty of least leave-one-out error on ``rows``
    (the linear features, targets and weights of the evaluated rows)."""
    grid = RELATIVE_ALPHAS * max(eig.mean_variance, np.finfo(float).tiny)
    per_row = loo_mse(eig, *rows, grid, per_row=True)  # (s, L)
    w = rows[2]
    index = best_penalty_index(w @ per_row / w.sum())
    return eig, float(grid[index]), per_row[:, index]


def _linear_only_readout(only, p, grid, criterion, feature_mean):
    eig, alpha_l, _ = only
    beta_l, intercept = ridge_coef(eig, alpha_l)
    beta = np.vstack([np.zeros((p, beta_l.shape[1])), beta_l])
    return Readout(beta, intercept, np.inf, alpha_l, grid, None, criterion, feature_mean)


def _pick(per_row, only, weights, grid):
    """The chosen penalties and the curve of mean errors ``(len(grid), len(ratios))``.

    Pairs whose linear penalty falls below the linear block's own grid (``1e-6`` times
    its mean variance) are left out: with fewer rows than features they interpolate,
    and their leave-one-out estimate is dominated by rounding.

    The choice is ``(alpha index, ratio index)`` of least mean leave-one-out error, or
    None for "linear term only", which is kept unless the network beats it by more than
    one standard error of the paired per-row difference (the rule of the step-size
    selection: the simpler model wins when the evidence is thin).
    """
    errors = np.tensordot(weights, per_row, axes=1) / weights.sum()
    linear_floor = RELATIVE_ALPHAS[0] * max(only[0].mean_variance, np.finfo(float).tiny)
    errors[grid[:, None] * LINEAR_RATIOS[None, :] < linear_floor * (1.0 - 1e-12)] = np.inf
    if not np.isfinite(errors.min()):
        return None, errors
    ratio_index = int(np.argmin(errors.min(axis=0)))
    alpha_index = best_penalty_index(errors[:, ratio_index])
    candidates = {"network": per_row[:, alpha_index, ratio_index], "linear": only[2]}
    if one_standard_error_choice(candidates, weights, order=("linear", "network")) == "linear":
        return None, errors
    return (alpha_index, ratio_index), errors


def _two_block_by_rescaling(rows, p):
    """Joint leave-one-out choice of the two penalties in the dual form (few rows).

    Scaling the linear features by ``s`` and penalizing everything with ``alpha`` is the
    two-penalty problem with ``alpha_linear = alpha / s**2``. The kernels of the two
    blocks are formed once and each ratio costs one ``n x n`` eigendecomposition.
    """
    phi, y, w = rows
    v = w / w.sum()
    mean = v @ phi
    hidden_variance = float(v @ ((phi[:, :p] - mean[:p]) ** 2).sum(axis=1)) / max(p, 1)
    grid = RELATIVE_ALPHAS * max(hidden_variance, np.finfo(float).tiny)
    scales = 1.0 / np.sqrt(LINEAR_RATIOS)
    linear = phi[:, p:]
    if len(w) < linear.shape[1]:
        eig = dual_eigen_readout(linear, y, w)
    else:
        eig = eigen_readout(gram_statistics(lambda r: linear[r], y, w, len(w)))
    only = _linear_only(eig, (linear, y, w))
    choice, errors = _pick(_dual_ratio_errors(phi, y, w, p, scales, grid), only, w, grid)
    if choice is None:
        return _linear_only_readout(only, p, grid, "loo", mean)
    alpha_index, ratio_index = choice
    alpha, s = float(grid[alpha_index]), scales[ratio_index]
    scaled = phi.copy()
    scaled[:, p:] *= s
    beta, intercept = ridge_coef(dual_eigen_readout(scaled, y, w), alpha)
    beta = beta.copy()
    beta[p:] *= s  # back to the unscaled linear features
    curve = errors[:, ratio_index]
    alpha_l = float(LINEAR_RATIOS[ratio_index] * alpha)
    return Readout(beta, intercept, alpha, alpha_l, grid, curve, "loo", mean)


def _dual_ratio_errors(phi, y, w, p, scales, grid):
    """Per-row leave-one-out errors ``(n, len(grid), len(scales))`` in the dual form.

    With ``F`` the centred, weighted rows, the kernel of the rescaled problem is
    ``F_h F_h.T + s**2 F_l F_l.T``; the rows' coordinates in the eigenbasis are
    ``U sqrt(lam) / sqrt(v)``, so no feature-space eigenvector is formed.
    """
    v = w / w.sum()
    root_v = np.sqrt(v)[:, None]
    mean = v @ phi
    F = (phi - mean) * root_v
    y_centred = y - v @ y
    Yw = y_centred * root_v
    K_h, K_l = F[:, :p] @ F[:, :p].T, F[:, p:] @ F[:, p:].T
    errors = np.empty((len(w), len(grid), len(scales)))
    for k, s in enumerate(scales):
        lam, U = linalg.eigh(K_h + (s * s) * K_l, driver="evd")
        top = max(float(lam[-1]), 0.0)
        keep = lam > top * max(phi.shape) * np.finfo(float).eps
        lam, U = lam[keep], U[:, keep]
        scaled_mean = mean.copy()
        scaled_mean[p:] *= s
        shifted = lam[:, None] + grid[None, :]
        tolerance = max(top * phi.shape[1] * np.finfo(float).eps, np.finfo(float).tiny)
        ok = (shifted > tolerance) & (lam > _noise_floor(scaled_mean))[:, None]
        inv = np.where(ok, 1.0 / np.where(ok, shifted, 1.0), 0.0)
        root_lam = np.sqrt(lam)
        u = U * root_lam / root_v
        projected = root_lam[:, None] * (U.T @ Yw)
        errors[:, :, k] = loo_from_projections(
            u, projected, inv, y_centred, w.sum(), w, per_row=True
        )
    return errors
