"""What both estimators share: input validation, target scaling and prediction."""

import warnings

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.callback import CallbackSupportMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_is_fitted, validate_data

from ._compat import _check_sample_weight
from ._moments import moments
from ._weights import as_row_weights, callback_weights


def is_dask_collection(obj):
    """Whether ``obj`` is a dask collection (array, DataFrame, Series); dask is not imported."""
    module = type(obj).__module__.partition(".")[0]
    return module in ("dask", "dask_expr") and hasattr(obj, "__dask_graph__")


def validate_fit_data(
    estimator, X, y, sample_weight, *, reset=True, min_samples=2, allow_dask=False
):
    """Validate training data; return ``(X, Y, sample_weight, y_was_1d)``.

    ``X`` keeps float32 if given float32 (float64 otherwise), ``Y`` is float64 of shape
    ``(n, m)``, ``sample_weight`` float64, non-negative, with a positive sum. Dask input
    is refused unless ``allow_dask``; then ``X`` and ``Y`` stay dask arrays (see
    :func:`skgiant._dask.validate_dask_fit_data`).
    """
    if any(is_dask_collection(a) for a in (X, y, sample_weight)):
        if not allow_dask:
            raise TypeError(
                f"{type(estimator).__name__} does not accept dask collections here. Pass "
                "numpy arrays (X.compute() when the data fit in memory), or use fit, "
                "which takes dask input for every skgiant estimator."
            )
        from ._dask import validate_dask_fit_data

        return validate_dask_fit_data(
            estimator, X, y, sample_weight, reset=reset, min_samples=min_samples
        )
    X, y = validate_data(
        estimator,
        X,
        y,
        reset=reset,
        dtype=[np.float64, np.float32],
        multi_output=True,
        y_numeric=True,
        ensure_min_samples=min_samples,
    )
    sample_weight = _check_sample_weight(
        sample_weight, X, dtype=np.float64, ensure_non_negative=True
    )
    check_weights(estimator, sample_weight, min_samples)
    y_was_1d = y.ndim == 1
    Y = np.asarray(y, dtype=np.float64).reshape(X.shape[0], -1)
    return X, Y, sample_weight, y_was_1d


def check_weights(estimator, sample_weight, min_samples):
    """Raise a ``ValueError`` unless the float64 weights (an array or a
    :class:`~skgiant._weights.RowWeights`) are finite and non-negative, have a finite sum
    and at least ``min_samples`` positive entries."""
    weights = as_row_weights(sample_weight)
    if not weights.finite:
        raise ValueError("sample_weight contains NaN or infinity.")
    if weights.smallest < 0:  # arrays were checked by _check_sample_weight already
        raise ValueError("Negative values in data passed to `sample_weight`.")
    with np.errstate(over="ignore"):
        weight_sum = weights.total
    if not np.isfinite(weight_sum):
        raise ValueError(
            "sample_weight sums to infinity in float64; divide the weights by a constant."
        )
    if weights.n_weighted < min_samples:
        raise ValueError(
            f"{type(estimator).__name__} needs at least {min_samples} samples with a positive "
            f"weight; got {weights.n_weighted}."
        )


def weighted_mean_and_scale(A, sample_weight):
    """Weighted mean and standard deviation of each column of ``A``, overflow-free.

    Only rows with a positive weight count. Each column is divided by its largest absolute
    value before squaring, so any finite magnitude works (values of 1e200 would overflow
    ``(A - mean) ** 2``, and values of 1e-200 would underflow it). A column is constant
    when all its weighted values are equal (its mean is then that value) or when its
    spread is at the rounding level of its mean, ``scale <= n * eps * |mean|`` (the rule
    of scikit-learn's ``StandardScaler``); its scale is then 1, so dividing by the scale
    is always safe. The rule is relative, so tiny but genuine spreads (values of order
    1e-150) are kept, and rescaling a column never changes whether it counts as constant.

    Returns ``(mean, scale)``, float64 arrays of shape ``(A.shape[1],)``.
    """
    A = np.asarray(A, dtype=np.float64)
    return moments(A, sample_weight, weight_scale=sample_weight.max(), cross=False).mean_and_scale()


def standardize_targets(Y, sample_weight):
    """Weighted mean and scale of each target column (scale 1 for a constant column)."""
    return weighted_mean_and_scale(Y, sample_weight)


def warn_dead_units(estimator, n_dead, n_hidden, advice, *, limit=None):
    """Warn when more than ``limit`` (default: half) of the hidden units end up dead.

    A dead unit (a ReLU inactive on every training row, or one with a zero readout) adds
    nothing to the model; a few are harmless, many mean the fit wasted its width.
    """
    if n_dead > (n_hidden / 2 if limit is None else limit):
        warnings.warn(
            f"{type(estimator).__name__}: {n_dead} of {n_hidden} hidden units are dead "
            f"(inactive on every training row or with a zero readout); the fitted model "
            f"uses only the others. {advice}",
            ConvergenceWarning,
            stacklevel=3,
        )


def checked_outputs(network, X, what="The predictions overflow"):
    """``network.predict(X)`` (float64), or a ``ValueError`` beginning with ``what`` that
    says why when some output is not finite."""
    with np.errstate(over="ignore", invalid="ignore"):  # checked just below
        out = network.predict(X)
    if not np.all(np.isfinite(out)):
        raise ValueError(
            f"{what} float64: X has values of magnitude up to {np.abs(X).max():.3g}, far "
            "outside the training data; rescale X as it was rescaled for fit."
        )
    return out


def predict_rows(network, X, *, ravel):
    """``network.predict(X)`` in the dtype of ``X``, raveled for a 1-D target; a clear
    error instead of non-finite predictions."""
    out = checked_outputs(network, X).astype(X.dtype, copy=False)
    return out.ravel() if ravel else out.reshape(X.shape[0], -1)


class FitProgress:
    """Report a fit's steps or iterations to scikit-learn callbacks (``sklearn.callback``).

    The fit is the root task; each giant step, alternating iteration or final readout is
    a subtask whose end hook can rebuild a usable model of that moment (lazily: only
    callbacks that ask for the fitted estimator, such as ``ScoringMonitor``, pay for it).
    A callback returning True at the end of a subtask asks the fit to stop.

    Parameters
    ----------
    estimator : TwoLayerRegressorBase
    X, y : arrays passed to the hooks (the user's inputs and targets).
    sample_weight : ndarray or RowWeights
        Given to the callbacks as metadata (dask weights as their dask array; ``None``
        for unit weights on dask).
    max_subtasks : int or None
        Upper bound on the subtasks (None if unknown).
    """

    def __init__(self, estimator, X, y, sample_weight, max_subtasks):
        self.estimator, self.X, self.y = estimator, X, y
        self.metadata = {"sample_weight": callback_weights(sample_weight)}
        self.ctx = estimator._init_callback_context(max_subtasks=max_subtasks)
        self.ctx.call_on_fit_task_begin(estimator=estimator, X=X, y=y, metadata=self.metadata)
        self._sub = None

    def begin(self, name):
        """Start a subtask called ``name``."""
        self._sub = self.ctx.subcontext(task_name=name)
        self._sub.call_on_fit_task_begin(
            estimator=self.estimator, X=self.X, y=self.y, metadata=self.metadata
        )

    def end(self, network):
        """End the current subtask; ``network()`` builds the model at this point.

        Returns True if a callback asks to stop.
        """
        sub, self._sub = self._sub, None
        return bool(
            sub.call_on_fit_task_end(
                estimator=self.estimator,
                X=self.X,
                y=self.y,
                metadata=self.metadata,
                reconstruction_attributes=lambda: {"network_": network()},
            )
        )

    def end_unused(self):
        """End a subtask that was begun but never ran (its iteration did not happen)."""
        sub, self._sub = self._sub, None
        sub.call_on_fit_task_end(estimator=self.estimator)

    def close(self):
        """End the root task (the estimator is fitted)."""
        self.ctx.call_on_fit_task_end(
            estimator=self.estimator,
            X=self.X,
            y=self.y,
            metadata=self.metadata,
            reconstruction_attributes={},
        )


class TwoLayerRegressorBase(CallbackSupportMixin, RegressorMixin, BaseEstimator):
    """Prediction and tags shared by the estimators; subclasses set ``network_``."""

    def predict(self, X):
        """Predict targets for ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            A dask array or DataFrame gives a lazy dask array of predictions, block by
            block (nothing is computed here).

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Same float dtype as ``X`` (float32 stays float32).
        """
        if is_dask_collection(X):
            from ._dask import predict

            return predict(self, X)
        check_is_fitted(self, "network_")
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        return predict_rows(self.network_, X, ravel=self._y_was_1d)

    def score(self, X, y, sample_weight=None):
        """Coefficient of determination R² of the predictions on ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            With a dask array or DataFrame the score is computed in the blocks: only two
            sums per output reach the driver.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            True targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        float
            R² averaged uniformly over the outputs (as ``sklearn.metrics.r2_score``).
        """
        if is_dask_collection(X):
            from ._dask import r2_score

            return r2_score(self, X, y, sample_weight)
        return super().score(X, y, sample_weight=sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        return tags
