"""Prediction intervals from cross-fitted residuals (cross-conformal prediction).

With ``intervals=True`` a regressor refits itself ``K`` times after ``fit``, each time on
all folds but one and with the settings its own fit chose (step size and number of steps,
penalties, iterations: no selection is repeated), and keeps the residuals of every row
under the model that did not see it. Those residuals are honest about both layers: a
leave-one-out residual of the readout alone is optimistic because the first layer was
trained on the row too (it covered clearly fewer test rows than nominal for the
alternating estimator on the development data).

The residuals are divided by a model of their scale, ``sigma(x) = exp(g(x))`` with ``g`` a
ridge regression of ``log |r|`` on the network's standardized inputs and a few of its
hidden units (the units make the scale piecewise linear in ``x``), itself cross-fitted on
the same folds, so that intervals are wider where the data are noisier. An interval is
``prediction(x) +/- q * sigma(x)`` with ``q`` the conformal quantile of the normalized
residuals: the ``ceil((S + 1) c) / S``-th weighted quantile for coverage ``c`` and total
weight ``S`` (infinite when too few rows for that coverage).

This is the cross-conformal scheme of Vovk (2015) around the full model rather than the
CV+ of Barber et al. (2021) around the fold models: its coverage is not guaranteed in
finite samples, but it was measured on the development data (``benchmarks/
bench_intervals.py``).
"""

from dataclasses import dataclass

import numpy as np
from sklearn.base import clone
from sklearn.linear_model import RidgeCV
from sklearn.utils.validation import check_is_fitted, validate_data

from ._base import is_dask_collection

#: Hidden units (at most) that the scale model reads besides the inputs.
SCALE_UNITS = 32


@dataclass
class IntervalCalibration:
    """Normalized cross-fitted residuals and the scale model of a fitted regressor.

    Attributes
    ----------
    scores : ndarray of shape (s, m)
        ``|r| / sigma(x)`` of the training rows with positive weight, sorted per output.
    weights : ndarray of shape (s, m)
        Their weights, in the same order.
    scale_coef : ndarray of shape (k, m)
    scale_intercept : ndarray of shape (m,)
    units : ndarray of int
        The hidden units the scale model reads.
    """

    scores: np.ndarray
    weights: np.ndarray
    scale_coef: np.ndarray
    scale_intercept: np.ndarray
    units: np.ndarray

    def quantile(self, coverage):
        """The conformal quantile of the scores for ``coverage``, per output."""
        out = np.empty(self.scores.shape[1])
        for j in range(self.scores.shape[1]):
            cumulative = np.cumsum(self.weights[:, j])
            total = cumulative[-1]
            # the test row counts with weight one: rank ceil((S + 1) c)
            needed = coverage * (total + 1.0)
            k = np.searchsorted(cumulative, needed - 1e-12 * max(total, 1.0))
            out[j] = self.scores[k, j] if k < len(cumulative) else np.inf
        return out


def scale_features(network, X, units):
    """What the scale model reads: the network's standardized (clipped) inputs and the
    hidden units ``units``."""
    Z = network.inputs(X)
    return np.hstack([Z, network.hidden_of_inputs(Z)[:, units]])


def _fit_log_scale(F, residuals, weight):
    """Ridge of ``log |r|`` on ``F`` (penalty by leave-one-out); one model per output."""
    target = np.log(np.abs(residuals) + 1e-12 * np.abs(residuals).max(axis=0) + 1e-300)
    return RidgeCV(alphas=np.logspace(-2, 4, 13)).fit(F, target, sample_weight=weight)


def interval_folds(sample_weight, n_folds, seed):
    """``n_folds`` folds of the weighted rows (index arrays), or None when too few rows."""
    rows = np.flatnonzero(sample_weight > 0)
    if len(rows) < 2 * n_folds:
        return None
    order = np.random.default_rng(seed).permutation(rows)
    return [np.sort(order[k::n_folds]) for k in range(n_folds)]


def calibrate(estimator, X, Y, sample_weight, frozen, n_folds, seed):
    """Cross-fitted residuals of ``estimator`` and its scale model.

    ``frozen`` are the parameters that refit the fitted model's choices; ``Y`` is the
    target matrix. Returns an :class:`IntervalCalibration`, or None when there are too
    few weighted rows to cross-fit.
    """
    folds = interval_folds(sample_weight, n_folds, seed)
    if folds is None:
        return None
    residuals = np.zeros_like(Y)
    for held in folds:
        train = np.setdiff1d(np.arange(len(Y)), held)
        model = clone(estimator).set_params(**frozen)
        model.fit(X[train], Y[train], sample_weight=sample_weight[train])
        residuals[held] = Y[held] - model.predict(X[held]).reshape(len(held), -1)
    network = estimator.network_
    units = np.arange(min(SCALE_UNITS, network.n_hidden))
    F = scale_features(network, X, units)
    log_scale = np.zeros_like(Y)
    for held in folds:  # the scale of each row from a model that did not see it
        train = np.setdiff1d(np.flatnonzero(sample_weight > 0), held)
        fit = _fit_log_scale(F[train], residuals[train], sample_weight[train])
        log_scale[held] = fit.predict(F[held]).reshape(len(held), -1)
    positive = sample_weight > 0
    final = _fit_log_scale(F[positive], residuals[positive], sample_weight[positive])
    scores = (np.abs(residuals) / np.exp(log_scale))[positive]
    order = np.argsort(scores, axis=0)
    weights = np.broadcast_to(sample_weight[positive][:, None], scores.shape)
    return IntervalCalibration(
        np.take_along_axis(scores, order, axis=0),
        np.take_along_axis(weights, order, axis=0),
        np.atleast_2d(final.coef_.T if final.coef_.ndim == 2 else final.coef_[:, None]),
        np.atleast_1d(final.intercept_),
        units,
    )


class IntervalMixin:
    """``predict_interval`` for the regressors (see :mod:`skgiant._intervals`)."""

    #: Folds of the cross-fitting. Each fold refit costs about ``(K - 1) / K`` of a fit
    #: with the chosen settings: five folds made GiantStep's intervals cost several plain
    #: fits on the larger development sets, two about one more, and the coverage of the
    #: halves' residuals stayed in range (``benchmarks/RESULTS_intervals.md``).
    _interval_n_folds = 2

    def _check_interval_input(self, *arrays):
        """Refuse ``intervals=True`` on dask input (the intervals refit on folds of the
        rows, in memory)."""
        if self.intervals and any(is_dask_collection(a) for a in arrays):
            raise ValueError(
                "intervals=True needs in-memory data (the intervals refit on folds of the "
                "rows); fit on dask arrays with intervals=False."
            )

    def _calibrate_intervals(self, X, Y, sample_weight):
        self.interval_calibration_ = None
        if not self.intervals:
            return
        seed = int(np.random.default_rng(0).integers(2**31 - 1))
        if isinstance(self.random_state, int | np.integer):
            seed = int(self.random_state)
        frozen = {**self._refit_params(), "intervals": False, "verbose": 0}
        self.interval_calibration_ = calibrate(
            self, X, Y, sample_weight, frozen, self._interval_n_folds, seed
        )

    def predict_interval(self, X, coverage=0.9):
        """Prediction intervals from cross-fitted residuals (needs ``intervals=True``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        coverage : float, default=0.9
            Target probability that the interval contains the true value, in ``(0, 1)``.
            Higher coverage gives wider intervals; with too few training rows for the
            coverage (fewer than about ``1 / (1 - coverage)``) the interval is infinite.

        Returns
        -------
        ndarray of shape (n_samples, 2) or (n_samples, n_outputs, 2)
            Lower and upper bounds, in the dtype of ``X``.
        """
        check_is_fitted(self, "network_")
        if not 0 < coverage < 1:
            raise ValueError(f"coverage must be in (0, 1); got {coverage!r}.")
        calibration = getattr(self, "interval_calibration_", None)
        if calibration is None:
            raise ValueError(
                f"{type(self).__name__} was fitted without prediction intervals, or with "
                "too few weighted rows to cross-fit them; set intervals=True and fit again."
            )
        center = self.predict(X)
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        F = scale_features(self.network_, X, calibration.units)
        sigma = np.exp(F @ calibration.scale_coef + calibration.scale_intercept)
        half = calibration.quantile(coverage) * sigma
        center2 = center.reshape(len(X), -1)
        out = np.stack([center2 - half, center2 + half], axis=-1).astype(center.dtype)
        return out[:, 0, :] if center.ndim == 1 else out
