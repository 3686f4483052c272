"""What both classifiers share: label validation and encoding, class weights, the
probabilistic readout on learned features, and prediction.

A classifier learns its first layer as the regressor does on the one-hot matrix of the
labels (squared loss), then fits a probabilistic readout on the hidden features
(:func:`fit_class_readout`). The fitted :class:`~skgiant.TwoLayerNetwork` outputs the
calibrated logits, so ``network_.predict`` is the decision function and every consumer
of the network (``GiantStepFeatures``, the ONNX converters) works unchanged.

Which readout (measured in ``benchmarks/RESULTS_class_readouts.md``, seven classification
sets): the multinomial logistic readout with a cross-fitted penalty
(:func:`skgiant._probability.fit_softmax_readout`) had the lower test log loss on 27 of
28 comparisons (4-9% on average) and usually the lower calibration error, at equal
accuracy, against ridge on one-hot targets with a softmax temperature fitted on exact
leave-one-out scores (:func:`skgiant._probability.fit_calibrated_ridge_readout_on_rows`). But it
holds all features in memory and took 10-30 times longer (up to 17 s on 5,000 rows and
531 features), while the calibrated ridge reads the rows once through Gram statistics.
So the softmax readout is used while the feature matrix has at most
:data:`SOFTMAX_MAX_ENTRIES` entries, and the calibrated ridge beyond.
"""

import numpy as np
from scipy.special import log_softmax, softmax
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.callback import CallbackSupportMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from ._base import check_weights, is_dask_collection
from ._compat import StrOptions, _check_sample_weight
from ._probability import (
    ProbabilityReadout,
    class_sample_weight,
    fit_calibrated_ridge_readout_on_rows,
    fit_softmax_readout,
)

#: The softmax readout is fitted while ``n_rows * n_features`` (weighted rows times
#: readout features) is at most this (8 MiB of float64 features; its fit then takes
#: seconds on the machine of the study); beyond, the calibrated ridge readout.
SOFTMAX_MAX_ENTRIES = 2**20

#: The readout's penalty folds are seeded with this, so that the readout is a
#: deterministic function of the features and labels.
READOUT_SEED = 0

CLASS_WEIGHT_CONSTRAINT = [dict, StrOptions({"balanced"}), None]


def fit_class_readout(data, feature_map, n_features, y, n_classes, *, alpha):
    """The probabilistic readout of the classifiers on learned features: one pass.

    Parameters
    ----------
    data : RowData
        The training rows as the features read them (standardized inputs), their
        weights the sample weights with the class weights folded in.
    feature_map : callable
        ``feature_map(X)``: the float64 readout features of a block of inputs.
    n_features : int
    y : ndarray of shape (n,) of int
        Encoded labels.
    n_classes : int
    alpha : float or "auto"
        The penalty (softmax: ``(alpha / 2) ||B||**2`` beside the mean log loss; ridge:
        ``alpha ||B||**2`` beside the mean squared error), or "auto".

    Returns
    -------
    method : {"softmax", "calibrated_ridge"}
    readout : ProbabilityReadout
    """
    weighted = int(np.count_nonzero(data.weight > 0))
    if weighted * n_features > SOFTMAX_MAX_ENTRIES:
        readout = fit_calibrated_ridge_readout_on_rows(
            data, feature_map, n_features, y, n_classes, alpha=alpha
        )
        return "calibrated_ridge", readout
    phi = data.map(lambda block: feature_map(block.X), floats_per_row=n_features)  # small
    readout = fit_softmax_readout(
        lambda rows: phi[rows], n_features, y, n_classes, data.weight, max(len(y), 1),
        alpha=alpha, random_state=READOUT_SEED,
    )  # fmt: skip
    return "softmax", readout


def class_targets(encoded, n_classes):
    """The targets the first layer is fitted on: the one-hot matrix of the labels, or
    with two classes its second column alone (the indicator of ``classes_[1]``; once
    centred, the first column is its negative and would only double the cost).

    Parameters
    ----------
    encoded : ndarray of shape (n,) of int
    n_classes : int

    Returns
    -------
    ndarray of shape (n, n_classes) or (n, 1)
    """
    if n_classes == 2:
        return (encoded == 1).astype(np.float64)[:, None]
    Y = np.zeros((len(encoded), n_classes))
    Y[np.arange(len(encoded)), encoded] = 1.0
    return Y


def class_labels(Y):
    """The encoded labels of targets made by :func:`class_targets`."""
    if Y.shape[1] == 1:
        return (Y[:, 0] > 0.5).astype(np.intp)
    return np.argmax(Y, axis=1)


def logit_coefficients(readout):
    """``(coef, intercept)`` of the calibrated logits ``phi @ coef + intercept`` of a
    :class:`ProbabilityReadout` (its temperature and offsets folded in)."""
    coef = readout.scale * readout.coef
    intercept = readout.scale * readout.intercept + readout.offsets
    return coef, intercept


class TwoLayerClassifierBase(CallbackSupportMixin, ClassifierMixin, BaseEstimator):
    """Label handling, probabilities and tags shared by the classifiers; subclasses set
    ``classes_`` and ``network_`` (whose outputs are the logits of the classes)."""

    def _validate_classes(self, X, y, sample_weight, *, reset=True, min_samples=2):
        """Validate training data and encode the labels.

        Returns ``(X, Y, weight, y_encoded)``: ``Y`` the float64 target matrix of the
        first layer's fit (:func:`class_targets`), ``weight`` the sample weights with the
        class weights folded in. Sets ``classes_`` (or, with ``reset=False``, checks the
        labels against it).
        """
        if any(is_dask_collection(a) for a in (X, y, sample_weight)):
            raise TypeError(
                f"{type(self).__name__} does not accept dask collections; pass numpy "
                "arrays (X.compute() when the data fit in memory)."
            )
        X, y = validate_data(
            self, X, y, reset=reset, dtype=[np.float64, np.float32],
            ensure_min_samples=min_samples,
        )  # fmt: skip
        check_classification_targets(y)
        sample_weight = _check_sample_weight(
            sample_weight, X, dtype=np.float64, ensure_non_negative=True
        )
        check_weights(self, sample_weight, min_samples)
        classes, encoded = np.unique(y, return_inverse=True)
        if reset:
            self.classes_ = classes
        elif not np.all(np.isin(classes, self.classes_)):
            raise ValueError(
                f"warm_start: y has labels {np.setdiff1d(classes, self.classes_).tolist()} "
                f"that the fitted model does not know (classes_ = {self.classes_.tolist()})."
            )
        else:
            encoded = np.searchsorted(self.classes_, classes)[encoded]
        n_classes = len(self.classes_)
        weight = class_sample_weight(encoded, self.class_weight, self.classes_, sample_weight)
        present = np.flatnonzero(np.bincount(encoded, weights=weight, minlength=n_classes) > 0)
        if len(present) < 2:
            raise ValueError(
                f"{type(self).__name__} needs samples of at least 2 classes with a positive "
                f"weight; the data contain only one class: {self.classes_[present].tolist()}."
            )
        check_weights(self, weight, min_samples)
        return X, class_targets(encoded, n_classes), weight, encoded

    def _logits(self, X):
        check_is_fitted(self, "network_")
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        with np.errstate(over="ignore", invalid="ignore"):  # checked just below
            logits = self.network_.predict(X)
        if not np.all(np.isfinite(logits)):
            raise ValueError(
                "The decision function overflows float64: X has values of magnitude up to "
                f"{np.abs(X).max():.3g}, far outside the training data; rescale X as it "
                "was rescaled for fit."
            )
        return logits

    def decision_function(self, X):
        """Logits of the classes: the log-probabilities up to a constant per row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_classes)
            With two classes the log-odds of ``classes_[1]`` against ``classes_[0]``
            (``log(p1 / p0)``), else one logit per class.
        """
        logits = self._logits(X)
        if logits.shape[1] == 2:
            return logits[:, 1] - logits[:, 0]
        return logits

    def predict_proba(self, X):
        """Class probabilities (rows sum to one, columns in the order of ``classes_``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        return softmax(self._logits(X), axis=1)

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba` (computed without underflow).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        return log_softmax(self._logits(X), axis=1)

    def predict(self, X):
        """The most probable class of each row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        logits = self._logits(X)  # first: it checks that the model is fitted
        return self.classes_[np.argmax(logits, axis=1)]

    def score(self, X, y, sample_weight=None):
        """Mean accuracy on ``X`` against ``y`` (:func:`sklearn.metrics.accuracy_score`).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            True labels.
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        float
            The weighted share of rows whose predicted label is ``y``.
        """
        return super().score(X, y, sample_weight=sample_weight)

    def _set_class_readout(self, method, readout):
        """Fitted attributes of the probabilistic readout."""
        self.readout_method_ = method
        self.readout_ = readout
        self.cv_log_loss_ = readout.cv_curve

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = True
        return tags


__all__ = [
    "CLASS_WEIGHT_CONSTRAINT",
    "ProbabilityReadout",
    "TwoLayerClassifierBase",
    "class_labels",
    "class_targets",
    "fit_class_readout",
    "logit_coefficients",
]
