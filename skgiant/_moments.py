"""Weighted first and second moments of columns, accumulated block by block.

:class:`Moments` is the partial result of a block kernel (see :mod:`skgiant._blocks`):
each block of rows gives its own weighted mean, centred cross products and range, and
two partials combine exactly (the pairwise update of Chan, Golub and LeVeque, 1979), so
the result does not depend on how the rows were cut into blocks beyond rounding, and a
tree reduction works as well as a sequential one. Sums are taken around each block's own
mean, so that non-centred columns lose no precision to cancellation.

To stay finite for any finite input, every column is stored divided by its largest
absolute value (``magnitude``): values of 1e200 would overflow their squares and values
of 1e-200 underflow them. Weights are divided by a caller-supplied ``weight_scale`` (the
largest weight) for the same reason.

One pass over ``[X, Y]`` yields the standardization of the inputs and the targets, the
clipping range, and (with ``cross=True``) everything a ridge regression of the targets
on the inputs needs (:meth:`Moments.gram_statistics`).
"""

from dataclasses import dataclass

import numpy as np
from scipy.linalg.blas import dsyr, dsyrk

_EPS = np.finfo(np.float64).eps


@dataclass
class GramStatistics:
    """Weighted second moments of features and targets.

    Attributes
    ----------
    weight_sum : float
        ``S = sum(w)``.
    feature_mean : ndarray of shape (p,)
        Weighted mean of the features.
    target_mean : ndarray of shape (m,)
        Weighted mean of the targets.
    target_variance : ndarray of shape (m,)
        Weighted variance of the targets (divided by ``S``).
    gram : ndarray of shape (p, p) or None
        Centred weighted Gram matrix divided by ``S`` (the feature covariance); ``None``
        when the problem was diagonalized through its kernel matrix
        (:func:`dual_eigen_readout`).
    cross : ndarray of shape (p, m)
        Centred weighted feature-target cross products divided by ``S``.
    """

    weight_sum: float
    feature_mean: np.ndarray
    target_mean: np.ndarray
    target_variance: np.ndarray
    gram: np.ndarray | None
    cross: np.ndarray


@dataclass
class Moments:
    """Weighted moments of the columns of a block of rows (only rows of positive weight).

    Attributes
    ----------
    weight : float
        Sum of the (rescaled) weights.
    count : int
        Rows of positive weight.
    magnitude : ndarray of shape (k,)
        Largest absolute value of each column (0 for an all-zero column).
    mean : ndarray of shape (k,)
        Weighted mean divided by ``magnitude``.
    second : ndarray of shape (k, k) or (k,)
        Weighted covariance ``sum w (z - mean)(z - mean)^T / sum w`` divided by
        ``magnitude magnitude^T`` (only its diagonal without ``cross``; with it, only
        the upper triangle is kept up to date, see :meth:`covariance`).
    low, high : ndarray of shape (k,)
        Range of each column.
    """

    weight: float
    count: int
    magnitude: np.ndarray
    mean: np.ndarray
    second: np.ndarray
    low: np.ndarray
    high: np.ndarray

    def __add__(self, other):
        return self._combined(other, in_place=False)

    def accumulate(self, other):
        """``self + other``, reusing (and overwriting) ``self``'s arrays."""
        return self._combined(other, in_place=True)

    def _combined(self, other, *, in_place):
        if self.count == 0:
            return other
        if other.count == 0:
            return self
        magnitude = np.maximum(self.magnitude, other.magnitude)
        safe = np.where(magnitude > 0, magnitude, 1.0)
        ra, rb = self.magnitude / safe, other.magnitude / safe
        weight = self.weight + other.weight
        ma, mb = self.mean * ra, other.mean * rb
        delta = mb - ma
        fa, fb = self.weight / weight, other.weight / weight
        mean = ma + delta * fb
        if self.second.ndim == 2:  # (upper triangles: see moments)
            second = self.second if in_place else self.second.copy(order="F")
            if np.all(ra == 1.0) and np.all(rb == 1.0):
                second *= fa
                second += other.second * fb
            else:
                second *= np.outer(ra * fa, ra)
                second += other.second * np.outer(rb * fb, rb)
            # symmetric rank-one update of the upper triangle, in place
            second = dsyr(fa * fb, delta, a=second, lower=0, overwrite_a=1)
        else:
            second = (
                self.second * ra * ra * fa + other.second * rb * rb * fb + delta * delta * fa * fb
            )
        return Moments(
            weight,
            self.count + other.count,
            magnitude,
            mean,
            second,
            np.minimum(self.low, other.low),
            np.maximum(self.high, other.high),
        )

    def columns(self, index):
        """The moments of the columns ``index`` (a slice) alone."""
        second = self.second[index, index] if self.second.ndim == 2 else self.second[index]
        return Moments(
            self.weight, self.count, self.magnitude[index], self.mean[index], second,
            self.low[index], self.high[index],
        )  # fmt: skip

    def mean_and_scale(self):
        """Weighted mean and standard deviation of each column.

        A column is constant when all its weighted values are equal (its mean is then
        that value) or when its spread is at the rounding level of its mean,
        ``scale <= n * eps * |mean|`` (the rule of scikit-learn's ``StandardScaler``); its
        scale is then 1, so dividing by the scale is always safe.
        """
        diagonal = np.diagonal(self.second).copy() if self.second.ndim == 2 else self.second
        mean = self.mean * self.magnitude
        scale = np.sqrt(np.maximum(diagonal, 0.0)) * self.magnitude
        constant = self.low == self.high
        mean[constant] = self.low[constant]
        scale[constant | ~(scale > self.count * _EPS * np.abs(mean))] = 1.0
        return mean, scale

    def gram_statistics(self, n_features, weight_sum, *, shift=None, scale=None):
        """:class:`~skgiant._ridge.GramStatistics` of the first ``n_features`` columns
        (features) against the others (targets), computed with ``cross=True``.

        ``shift`` and ``scale`` (of shape ``(k,)``) express the statistics in
        standardized units ``(z - shift) / scale``; ``weight_sum`` is the true ``S``.
        """
        k = self.magnitude.shape[0]
        shift = np.zeros(k) if shift is None else shift
        unit = self.magnitude / (np.ones(k) if scale is None else scale)
        cov = np.triu(self.second)
        cov += np.triu(self.second, 1).T
        cov *= np.outer(unit, unit)
        mean = (self.mean * self.magnitude - shift) / (1.0 if scale is None else scale)
        f = slice(0, n_features)
        t = slice(n_features, k)
        return GramStatistics(
            weight_sum=weight_sum,
            feature_mean=mean[f],
            target_mean=mean[t],
            target_variance=np.diagonal(cov[t, t]).copy(),
            gram=np.array(cov[f, f], order="F"),
            cross=cov[f, t].copy(),
        )


def moments(Z, weight, *, weight_scale=1.0, cross=True, overwrite=False, scaled=True):
    """The :class:`Moments` of the rows of ``Z`` (float64, shape ``(b, k)``).

    Rows of zero weight are left out. ``weight_scale`` divides the weights (pass the
    largest weight of the whole data). With ``cross=False`` only the variances are
    accumulated (``O(b k)`` instead of ``O(b k**2)``). ``overwrite=True`` lets the
    computation work in ``Z`` itself. ``scaled=False`` skips the division by the
    magnitudes (for columns that cannot overflow, such as features of standardized
    inputs: cheaper to combine). Only the upper triangle of the cross products is
    computed (by a symmetric rank-k update).
    """
    positive = weight > 0
    k = Z.shape[1]
    if not positive.all():
        Z, weight, overwrite = Z[positive], weight[positive], True
    if Z.shape[0] == 0:
        empty = np.zeros((k, k)) if cross else np.zeros(k)
        inf = np.full(k, np.inf)
        return Moments(0.0, 0, np.zeros(k), np.zeros(k), empty, inf, -inf)
    w = weight / weight_scale
    total = float(w.sum())
    w = w / total  # the moments are weighted means: no overflow, whatever the weights
    low, high = Z.min(axis=0), Z.max(axis=0)
    U = Z if overwrite else Z.copy()
    if scaled:
        magnitude = np.maximum(np.abs(low), np.abs(high))
        U /= np.where(magnitude > 0, magnitude, 1.0)
    else:
        magnitude = np.ones(k)
    mean = w @ U
    U -= mean
    if not cross:
        second = w @ (U * U)
    else:
        factor = float(w[0])
        if w.min() != w.max():  # unequal weights: scale the rows instead
            U *= np.sqrt(w)[:, None]
            factor = 1.0
        second = dsyrk(factor, U.T, trans=0, lower=0)
    return Moments(total, int(Z.shape[0]), magnitude, mean, second, low, high)


def gram_kernel(feature_map, weight_scale):
    """Block kernel: the :class:`Moments` of ``[feature_map(block.X), block.Y]``."""

    def kernel(block):
        phi = feature_map(block.X)
        Z = np.empty((phi.shape[0], phi.shape[1] + block.Y.shape[1]))
        Z[:, : phi.shape[1]] = phi
        Z[:, phi.shape[1] :] = block.Y
        return moments(Z, block.weight, weight_scale=weight_scale, overwrite=True, scaled=False)

    return kernel
