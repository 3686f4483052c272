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

from dataclasses import dataclass

import numpy as np
from scipy.special import log_softmax, softmax
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.callback import CallbackSupportMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from ._base import check_weights, checked_outputs, is_dask_collection
from ._compat import StrOptions, _check_sample_weight
from ._probability import (
    ProbabilityReadout,
    class_weights,
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


def fit_class_readout(data, feature_map, n_features, n_classes, *, alpha, method=None):
    """The probabilistic readout of the classifiers on learned features: one pass.

    The labels are read from the targets of ``data`` in the blocks (:func:`class_labels`),
    so they need not be on the driver: the same code fits rows in memory and rows on
    dask blocks. The softmax readout gathers the features and labels of the weighted
    rows (one :meth:`~skgiant._blocks.RowData.map`: at most
    :data:`SOFTMAX_MAX_ENTRIES` features, 8 MiB) and is fitted on the driver; the
    calibrated ridge reads the rows once through Gram statistics.

    Parameters
    ----------
    data : RowData
        The training rows as the features read them (standardized inputs; the targets
        made by :func:`class_targets`), their weights the sample weights with the class
        weights folded in. In memory or on dask blocks.
    feature_map : callable
        ``feature_map(X)``: the float64 readout features of a block of inputs.
    n_features : int
    n_classes : int
    alpha : float or "auto"
        The penalty (softmax: ``(alpha / 2) ||B||**2`` beside the mean log loss; ridge:
        ``alpha ||B||**2`` beside the mean squared error), or "auto".
    method : {"softmax", "calibrated_ridge"} or None
        The readout to fit; None: the softmax readout while the features of the
        weighted rows have at most :data:`SOFTMAX_MAX_ENTRIES` entries, else the
        calibrated ridge.

    Returns
    -------
    method : {"softmax", "calibrated_ridge"}
    readout : ProbabilityReadout
    """
    data = data.standardized(data.x_mean, data.x_scale)  # the targets as given
    # rows of weight zero play no part in either readout
    if method is None:
        too_many = data.weights.n_weighted * n_features > SOFTMAX_MAX_ENTRIES
        method = "calibrated_ridge" if too_many else "softmax"
    if method == "calibrated_ridge":
        readout = fit_calibrated_ridge_readout_on_rows(
            data, feature_map, n_features, class_labels, n_classes, alpha=alpha
        )
        return "calibrated_ridge", readout

    def gather(block):  # the features, label and weight of each weighted row
        rows = block.weight > 0
        out = np.empty((np.count_nonzero(rows), n_features + 2))
        out[:, :n_features] = feature_map(block.X[rows])
        out[:, n_features] = class_labels(block.Y[rows])
        out[:, n_features + 1] = block.weight[rows]
        return out

    rows = data.map(gather, floats_per_row=2 * n_features)  # small: see above
    phi, y = rows[:, :n_features], rows[:, n_features].astype(np.intp)
    readout = fit_softmax_readout(
        lambda index: phi[index], n_features, y, n_classes, rows[:, n_features + 1],
        max(len(y), 1), alpha=alpha, random_state=READOUT_SEED,
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


@dataclass
class Labels:
    """The class labels of training rows in memory, as :meth:`TwoLayerClassifierBase.
    _validate_classes` reads them (:class:`skgiant._dask.DaskLabels` has the same
    interface for labels on dask blocks).

    Attributes
    ----------
    y : ndarray of shape (n,)
        The labels (validated).
    classes : ndarray of shape (k,)
        The labels found, sorted.
    counts : ndarray of shape (k,)
        The total sample weight of each label found.
    weight : ndarray of shape (n,)
        The sample weights.
    inverse : ndarray of shape (n,)
        The index of each row's label in ``classes``.
    """

    y: np.ndarray
    classes: np.ndarray
    counts: np.ndarray
    weight: np.ndarray
    inverse: np.ndarray

    def encode(self, known):
        """The labels as indices into ``known`` (sorted, a superset of ``classes``)."""
        return np.searchsorted(known, self.classes)[self.inverse]

    def targets(self, encoded, n_classes):
        """The first layer's targets (:func:`class_targets`)."""
        return class_targets(encoded, n_classes)

    def one_hot(self, encoded, n_classes):
        """The one-hot matrix of the encoded labels, ``(n, n_classes)``."""
        return np.eye(n_classes)[encoded]

    @property
    def total(self):
        """The total sample weight."""
        return float(self.weight.sum())

    def fold(self, encoded, per_class):
        """The sample weights times the weight of each row's class."""
        return self.weight * per_class[encoded]


def find_labels(y, sample_weight):
    """The :class:`Labels` of ``y`` (a 1-D array of class labels) with these weights."""
    check_classification_targets(y)
    classes, inverse = np.unique(y, return_inverse=True)
    counts = np.bincount(inverse, weights=sample_weight, minlength=len(classes))
    return Labels(y, classes, counts, sample_weight, inverse)


def class_outputs(X, network, classes, kind):
    """What the classifier's method ``kind`` returns on a block of inputs ``X``.

    Parameters
    ----------
    X : ndarray of shape (n, d)
        Validated inputs.
    network : TwoLayerNetwork
        Its outputs are the logits of the classes.
    classes : ndarray of shape (K,)
    kind : {"decision_function", "predict_proba", "predict_log_proba", "predict"}

    Returns
    -------
    ndarray of shape (n,) or (n, K)
    """
    logits = checked_outputs(network, X, "The decision function overflows")
    if kind == "predict":
        return classes[np.argmax(logits, axis=1)]
    if kind == "predict_proba":
        return softmax(logits, axis=1)
    if kind == "predict_log_proba":
        return log_softmax(logits, axis=1)
    return logits[:, 1] - logits[:, 0] if logits.shape[1] == 2 else logits


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

        Returns ``(X, Y, weight, y)``: ``Y`` the float64 target matrix of the first
        layer's fit (:func:`class_targets`), ``weight`` the sample weights with the class
        weights folded in, ``y`` the labels (what callbacks are given). Sets
        ``classes_`` (or, with ``reset=False``, checks the labels against it).

        Dask input (:func:`skgiant._dask.validate_dask_labels`): the classes and their
        weighted counts come from one pass over the label blocks (which also summarizes
        the sample weights); ``X``, ``Y``, ``y`` and the weights stay lazy dask arrays
        (``weight`` is then a :class:`~skgiant._weights.RowWeights`), and class weights
        other than 1 take one more pass over the labels.
        """
        X, labels = self._read_labels(X, y, sample_weight, reset=reset, min_samples=min_samples)
        per_class = self._class_weights(labels, reset)
        encoded = labels.encode(self.classes_)
        weight = labels.fold(encoded, per_class)
        check_weights(self, weight, min_samples)
        return X, labels.targets(encoded, len(self.classes_)), weight, labels.y

    def _read_labels(self, X, y, sample_weight, *, reset, min_samples):
        """Validate the inputs, labels and sample weights; returns ``(X, labels)``, the
        labels as :class:`Labels` (in memory) or
        :class:`~skgiant._dask.DaskLabels` (dask input: found in one pass over the label
        blocks, :func:`skgiant._dask.validate_dask_labels`)."""
        if any(is_dask_collection(a) for a in (X, y, sample_weight)):
            from ._dask import validate_dask_labels

            return validate_dask_labels(
                self, X, y, sample_weight, reset=reset, min_samples=min_samples
            )
        X, y = validate_data(
            self, X, y, reset=reset, dtype=[np.float64, np.float32],
            ensure_min_samples=min_samples,
        )  # fmt: skip
        sample_weight = _check_sample_weight(
            sample_weight, X, dtype=np.float64, ensure_non_negative=True
        )
        check_weights(self, sample_weight, min_samples)
        return X, find_labels(y, sample_weight)

    def _class_weights(self, labels, reset):
        """Set ``classes_`` from the labels found (or check them against it), and return
        the weight of each class (``class_weight``)."""
        if reset:
            self.classes_ = labels.classes
        elif not np.all(np.isin(labels.classes, self.classes_)):
            unknown = np.setdiff1d(labels.classes, self.classes_).tolist()
            raise ValueError(
                f"warm_start: y has labels {unknown} that the fitted model does not know "
                f"(classes_ = {self.classes_.tolist()})."
            )
        counts = np.zeros(len(self.classes_))
        counts[np.searchsorted(self.classes_, labels.classes)] = labels.counts
        total = labels.total
        per_class = class_weights(counts, total, self.class_weight, self.classes_)
        present = np.flatnonzero(counts * per_class > 0)
        if len(present) < 2:
            raise ValueError(
                f"{type(self).__name__} needs samples of at least 2 classes with a positive "
                f"weight; the data contain only one class: {self.classes_[present].tolist()}."
            )
        return per_class

    def _outputs(self, X, kind):
        """The method ``kind`` (:func:`class_outputs`) on ``X``: lazily, block by block,
        on a dask array or DataFrame."""
        if is_dask_collection(X):
            from ._dask import class_predictions

            return class_predictions(self, X, kind)
        check_is_fitted(self, "network_")
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        return class_outputs(X, self.network_, self.classes_, kind)

    def decision_function(self, X):
        """Logits of the classes: the log-probabilities up to a constant per row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            A dask array or DataFrame gives a lazy dask array (computed block by block).

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_classes)
            With two classes the log-odds of ``classes_[1]`` against ``classes_[0]``
            (``log(p1 / p0)``), else one logit per class.
        """
        return self._outputs(X, "decision_function")

    def predict_proba(self, X):
        """Class probabilities (rows sum to one, columns in the order of ``classes_``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            A dask array or DataFrame gives a lazy dask array (computed block by block).

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        return self._outputs(X, "predict_proba")

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba` (computed without underflow).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            A dask array or DataFrame gives a lazy dask array (computed block by block).

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        return self._outputs(X, "predict_log_proba")

    def predict(self, X):
        """The most probable class of each row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            A dask array or DataFrame gives a lazy dask array (computed block by block).

        Returns
        -------
        ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        return self._outputs(X, "predict")

    def score(self, X, y, sample_weight=None):
        """Mean accuracy on ``X`` against ``y`` (:func:`sklearn.metrics.accuracy_score`).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            With a dask array or DataFrame the accuracy is computed in the blocks: only
            two sums reach the driver.
        y : array-like of shape (n_samples,)
            True labels.
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        float
            The weighted share of rows whose predicted label is ``y``.
        """
        if is_dask_collection(X):
            from ._dask import accuracy

            return accuracy(self, X, y, sample_weight)
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
    "Labels",
    "class_labels",
    "class_outputs",
    "class_targets",
    "find_labels",
    "fit_class_readout",
    "logit_coefficients",
]
