"""GiantStepFeatures: the first layer learned by giant steps, as a transformer."""

import numpy as np
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from ._base import is_dask_collection
from ._classifier_base import find_labels
from ._compat import StrOptions, _fit_context
from ._giant_regressor import GiantStepRegressor

#: The GiantStepRegressor parameters the transformer exposes (the rest keep their defaults).
_SHARED = (
    "n_hidden",
    "n_steps",
    "batch_size",
    "step_size",
    "alpha",
    "activation",
    "bias_scale",
    "remove_linear",
    "second_layer",
    "clip_inputs",
    "verbose",
    "random_state",
)


class GiantStepFeatures(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Hidden features learned by giant gradient steps, for use in front of any model.

    ``fit`` trains a :class:`~skgiant.GiantStepRegressor` on ``(X, y)`` (this transformer
    is supervised: the steps use the labels) and keeps it in ``regressor_``. ``transform``
    returns the learned hidden features only, ::

        phi(x) = act(W x + b) / sqrt(p),       shape (n_samples, n_hidden)

    i.e. ``regressor_.network_.hidden(X)``. The readout ``(beta, theta, beta_0)`` of the
    internal regressor, including its linear skip term ``<theta, x> / sqrt(d)``, is *not*
    part of the output: the downstream model sees the features alone, and a linear term
    can be added back with a :class:`~sklearn.pipeline.FeatureUnion` with
    ``"passthrough"`` if wanted. Because the readout (whose leave-one-out error chooses
    the step size and the penalty) is fitted inside, the features are the same as those of
    a ``GiantStepRegressor`` with the same parameters.

    Like the regressor, the transformer standardizes its inputs itself and clips them
    to their training range at ``transform`` time (the fitted network carries both).
    Like it too, it fits on dask arrays or DataFrames without pulling the rows to the
    driver (class labels take one more pass over ``y``, to find the classes), and
    ``transform`` of a dask array is a lazy dask array.

    Parameters
    ----------
    n_hidden : int, default=128
        Number of output features (the width ``p``), at least 1. Smaller than the
        regressor's default (1024) because the features are meant for another model, whose
        cost usually grows with the number of columns. Cost as for the regressor: about
        ``n * p**2 + p**3`` operations.
    n_steps : int, default=1
        Giant steps on the first layer, at least 0 (0 = random features); the same
        default as :class:`~skgiant.GiantStepRegressor`.
    batch_size : int or "auto", default="auto"
        Samples per step, at least 1; ``"auto"`` is ``n_pool // n_steps``. See
        :class:`~skgiant.GiantStepRegressor`.
    step_size : float or "auto", default="auto"
        Learning-rate constant ``c >= 0`` (``eta = c * p * sqrt(n_batch / d)``); ``"auto"``
        chooses it on held-out rows, falling back to no step when steps do not help.
    alpha : float or "auto", default="auto"
        Ridge penalty (``>= 0``) of the internal readout, in the normalized convention of
        :class:`~skgiant.GiantStepRegressor` (independent of ``n``). It changes the
        features only through the choice of ``step_size``.
    activation : {"relu", "tanh", "erf"}, default="relu"
        Hidden activation.
    bias_scale : float, default=1.0
        Standard deviation of the random first-layer biases, ``>= 0``.
    remove_linear : bool, default=True
        Remove a linear fit from the labels the steps see.
    second_layer : {"refit", "frozen"}, default="refit"
        What the steps after the first follow (the previous readout, or the random
        signs); see :class:`~skgiant.GiantStepRegressor`.
    clip_inputs : bool, default=True
        Clip each input at ``transform`` time to the range it had in ``fit``, so a
        glitched reading cannot push the features outside what the first layer saw.
    verbose : int, default=0
        Passed to the internal regressor (progress per step-size candidate and step).
    random_state : int, RandomState instance or None, default=None
        Seeds the internal regressor.
    target_type : {"auto", "classes", "values"}, default="auto"
        How ``y`` is read. ``"classes"``: class labels, one-hot encoded (with two
        classes, the indicator of the second), so the steps follow the squared loss on
        the one-hot matrix and the features are the hidden layer of a
        :class:`GiantStepClassifier` with the same parameters. ``"values"``: numeric
        targets (regression). ``"auto"``: classes when ``y`` holds strings, booleans or
        other non-numeric labels, values when it is numeric; integer class codes
        (``0, 1, 2``) need ``"classes"``, since integers may also be counts or ratings.

    Attributes
    ----------
    regressor_ : GiantStepRegressor
        The fitted internal regressor (its ``history_``, ``loss_curve_`` and
        ``step_size_`` describe the steps), fitted on the one-hot labels when ``y`` is
        read as classes.
    classes_ : ndarray of shape (n_classes,)
        The labels, sorted (only when ``y`` is read as classes).
    network_ : TwoLayerNetwork
        ``regressor_.network_``; ``transform`` uses its first layer.
    n_features_in_ : int
        Number of input features.
    feature_names_in_ : ndarray of str
        Only when ``X`` has string column names.

    See Also
    --------
    GiantStepRegressor : the regressor whose first layer this transformer exposes.
    sklearn.kernel_approximation.RBFSampler : random (unlearned) features.

    Examples
    --------
    >>> from sklearn.datasets import make_friedman1
    >>> from sklearn.ensemble import HistGradientBoostingRegressor
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skgiant import GiantStepFeatures
    >>> X, y = make_friedman1(n_samples=600, random_state=0)
    >>> features = GiantStepFeatures(n_hidden=32, random_state=0)
    >>> features.fit_transform(StandardScaler().fit_transform(X), y).shape
    (600, 32)
    >>> model = make_pipeline(
    ...     StandardScaler(), GiantStepFeatures(n_hidden=32, random_state=0),
    ...     HistGradientBoostingRegressor(random_state=0))
    >>> model.fit(X[:500], y[:500]).score(X[500:], y[500:]) > 0.5
    True
    """

    _parameter_constraints = {
        **{name: GiantStepRegressor._parameter_constraints[name] for name in _SHARED},
        "target_type": [StrOptions({"auto", "classes", "values"})],
    }

    def __init__(
        self,
        n_hidden=128,
        n_steps=1,
        batch_size="auto",
        step_size="auto",
        alpha="auto",
        activation="relu",
        *,
        bias_scale=1.0,
        remove_linear=True,
        second_layer="refit",
        clip_inputs=True,
        verbose=0,
        random_state=None,
        target_type="auto",
    ):
        self.n_hidden = n_hidden
        self.n_steps = n_steps
        self.batch_size = batch_size
        self.step_size = step_size
        self.alpha = alpha
        self.activation = activation
        self.bias_scale = bias_scale
        self.remove_linear = remove_linear
        self.second_layer = second_layer
        self.clip_inputs = clip_inputs
        self.verbose = verbose
        self.random_state = random_state
        self.target_type = target_type

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Learn the first layer by giant steps (and the internal readout).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training inputs (standardized internally). A dask array or DataFrame is
            fitted on its blocks (as :meth:`GiantStepRegressor.fit
            <skgiant.GiantStepRegressor.fit>` does), with ``y`` and ``sample_weight``
            as dask collections or in memory.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets: the steps follow the gradient of the squared loss on them (on
            their one-hot matrix when they are class labels; see ``target_type``).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative frequency weights.

        Returns
        -------
        self : GiantStepFeatures
            The fitted transformer.
        """
        X, y = self._validated(X, y)
        if self._reads_classes(y):
            labels = _find_labels(y)
            self.classes_ = labels.classes
            if len(self.classes_) < 2:
                raise ValueError(
                    "GiantStepFeatures needs at least 2 classes in y read as class labels; "
                    f"got only one class: {self.classes_.tolist()}."
                )
            y = labels.targets(labels.encode(self.classes_), len(self.classes_))
        else:
            self.__dict__.pop("classes_", None)  # from an earlier fit on labels
        params = {name: getattr(self, name) for name in _SHARED}
        self.regressor_ = GiantStepRegressor(**params).fit(X, y, sample_weight=sample_weight)
        self.network_ = self.regressor_.network_
        self._n_features_out = self.network_.n_hidden
        return self

    def _validated(self, X, y):
        """``(X, y)`` validated: numpy arrays, or for dask input a dask array of inputs
        (nothing computed but a dask DataFrame's partition lengths) and dask targets
        with its row chunks."""
        if is_dask_collection(X) or is_dask_collection(y):
            from ._dask import validated_dask_inputs

            return validated_dask_inputs(self, X, y)
        X, y = validate_data(
            self, X, y, dtype=[np.float64, np.float32], multi_output=True, ensure_min_samples=2
        )
        return X, np.asarray(y)

    def _reads_classes(self, y):
        """Whether ``y`` is read as class labels (``target_type``)."""
        return self.target_type == "classes" or (
            self.target_type == "auto" and y.ndim == 1 and y.dtype.kind not in "iuf"
        )

    def transform(self, X):
        """Return the learned hidden features ``act(W x + b) / sqrt(p)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Inputs, transformed like the training inputs. A dask array or DataFrame
            gives a lazy dask array (computed block by block).

        Returns
        -------
        ndarray of shape (n_samples, n_hidden)
            The hidden features, float64. The internal readout and its linear term are
            not included.
        """
        if is_dask_collection(X):
            from ._dask import hidden_features

            return hidden_features(self, X)
        check_is_fitted(self, "network_")
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        return self.network_.hidden(np.asarray(X, dtype=np.float64))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        return tags


def _find_labels(y):
    """The class labels of ``y`` (in memory or on dask blocks: one pass over them)."""
    if is_dask_collection(y):
        from ._dask import find_dask_labels

        return find_dask_labels(y)
    return find_labels(y, np.ones(len(y)))
