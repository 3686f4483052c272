"""What both estimators share: input validation, target scaling and prediction."""

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from ._compat import _check_sample_weight


def validate_fit_data(estimator, X, y, sample_weight, *, reset=True, min_samples=2):
    """Validate training data; return ``(X, Y, sample_weight, y_was_1d)``.

    ``X`` keeps float32 if given float32 (float64 otherwise), ``Y`` is float64 of shape
    ``(n, m)``, ``sample_weight`` float64, non-negative, with a positive sum.
    """
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
    if not np.all(np.isfinite(sample_weight)):
        raise ValueError("sample_weight contains NaN or infinity.")
    if np.count_nonzero(sample_weight) < min_samples:
        raise ValueError(
            f"{type(estimator).__name__} needs at least {min_samples} samples with a positive "
            f"weight; got {np.count_nonzero(sample_weight)}."
        )
    y_was_1d = y.ndim == 1
    Y = np.asarray(y, dtype=np.float64).reshape(X.shape[0], -1)
    return X, Y, sample_weight, y_was_1d


def standardize_targets(Y, sample_weight):
    """Weighted mean and scale of each target column (scale 1 for a constant column)."""
    mean = sample_weight @ Y / sample_weight.sum()
    var = sample_weight @ (Y - mean) ** 2 / sample_weight.sum()
    scale = np.sqrt(var)
    tiny = np.finfo(float).eps * np.maximum(np.abs(mean), 1.0)
    scale[scale <= tiny] = 1.0
    return mean, scale


class TwoLayerRegressorBase(RegressorMixin, BaseEstimator):
    """Prediction and tags shared by the estimators; subclasses set ``network_``."""

    def predict(self, X):
        """Predict targets for ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Same float dtype as ``X`` (float32 stays float32).
        """
        check_is_fitted(self, "network_")
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        out = self.network_.predict(X)
        out = out.astype(X.dtype, copy=False)
        return out.ravel() if self._y_was_1d else out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        return tags
