"""GiantStepClassifier: giant steps on the one-hot labels, then a probabilistic readout.

The first layer is learned exactly as :class:`~skgiant.GiantStepRegressor` learns it on the
one-hot matrix of the labels (:class:`~skgiant._giant_base.GiantStepBase`); the model's
final readout is :func:`skgiant._classifier_base.fit_class_readout` on the learned
features, through the solver's ``final_readout`` hook.
"""

from dataclasses import dataclass

import numpy as np
from sklearn.utils.multiclass import unique_labels

from ._base import check_weights
from ._classifier_base import (
    CLASS_WEIGHT_CONSTRAINT,
    TwoLayerClassifierBase,
    fit_class_readout,
    logit_coefficients,
)
from ._compat import _fit_context
from ._giant import readout_features
from ._giant_base import GiantStepBase
from ._probability import CALIBRATION_ROWS, ProbabilityReadout, class_weights
from ._streaming import solve_calibrated_stream


@dataclass
class ClassReadout:
    """The final readout of :class:`GiantStepClassifier` as the solver returns it."""

    method: str
    readout: ProbabilityReadout
    feature_mean: np.ndarray  # weighted mean of each readout feature (dead-unit check)


class GiantStepClassifier(GiantStepBase, TwoLayerClassifierBase):
    """Two-layer network classifier: giant steps on the first layer, calibrated readout.

    The labels are one-hot encoded and the first layer takes the giant steps of
    :class:`GiantStepRegressor` on that matrix with the squared loss, the setting of the
    theory (Dandi et al.): the hidden layer is exactly the one ``GiantStepRegressor`` with
    the same parameters learns on the one-hot targets (the step size chosen by held-out
    squared error when ``step_size="auto"``). The readout that turns the features
    ``[act(W z + b) / sqrt(p), z / sqrt(d)]`` (``z`` the standardized inputs) into class
    probabilities is fitted afterwards:

    * a multinomial logistic (softmax) readout, its L2 penalty chosen by cross-fitted log
      loss (3 folds), while the features of the weighted rows have at most
      ``2**20`` entries (rows times features);
    * beyond, ridge regression on the one-hot targets mapped through a softmax whose
      temperature and per-class offsets are fitted on the readout's exact leave-one-out
      scores (the ridge penalty is the one with the least calibrated leave-one-out log
      loss); it reads the rows once through Gram statistics, so it scales to large ``n``.

    On seven classification data sets the softmax readout had the lower test log loss in
    27 of 28 comparisons (by 4-9% on average) at equal accuracy, but took 10-30 times
    longer and holds all features in memory: hence the switch
    (``benchmarks/RESULTS_class_readouts.md``). The cross-entropy loss was not used for the
    steps: the squared-loss step on one-hot targets already helped where there was
    something nonlinear to learn (digits: log loss 0.060 against 0.094 with random
    features), and no measurement showed a logistic step to be better.

    Parameters
    ----------
    n_hidden : int, default=1024
        Width ``p``, ``>= 1``. Cost about ``n * p**2 + p**3`` for the readout.
    n_steps : int, default=1
        Giant steps on the first layer (the most, when ``step_size="auto"``), ``>= 0``
        (0: random features).
    batch_size : int or "auto", default="auto"
        Samples per step, ``>= 1``; ``"auto"`` is all rows with ``second_layer="refit"``
        and ``n // n_steps`` with ``"frozen"``. See :class:`GiantStepRegressor`.
    step_size : float or "auto", default="auto"
        Learning-rate constant ``c >= 0`` (``eta = c * p * sqrt(n_batch / d)``, so ``c``
        does not need rescaling with ``n``, ``p`` or ``d``); ``"auto"`` chooses it and the
        number of steps on held-out rows by the squared error on the one-hot targets.
    alpha : float or "auto", default="auto"
        Penalty ``>= 0``, normalized so that it does not change with ``n``. It is the
        ridge penalty of the readouts the steps follow (on the standardized one-hot
        targets) and the penalty of the final readout: ``(alpha / 2) ||B||**2`` beside the
        weighted mean log loss for the softmax readout, ``alpha ||B||**2`` beside the
        mean squared error for the calibrated ridge readout. ``"auto"`` chooses each by
        its own criterion (held-out log loss for the softmax readout).
    activation : {"relu", "tanh", "erf"}, default="relu"
        Hidden activation.
    class_weight : dict, "balanced" or None, default=None
        Weights of the classes, multiplied into ``sample_weight`` (so they act on the
        steps and on the readout). ``"balanced"``: class ``k`` weighs ``S / (K S_k)``
        with ``S`` the total and ``S_k`` the class's sample weight. A dict maps labels to
        weights (missing classes weigh 1).
    bias_scale : float, default=1.0
        Standard deviation of the random first-layer biases, in ``[0, 1e6]``.
    remove_linear : bool, default=True
        The first step follows the one-hot labels minus their ridge fit on ``X``.
    linear_readout : bool, default=True
        Add the standardized inputs ``z / sqrt(d)`` to the readout's features.
    second_layer : {"refit", "frozen"}, default="refit"
        What the steps after the first follow. See :class:`GiantStepRegressor`.
    clip_inputs : bool, default=True
        Clip each input at prediction time to its training range (inside ``network_``).
    warm_start : bool, default=False
        A new ``fit`` continues from the learned first layer with ``n_steps`` further
        steps, then refits the readout. Its labels must be among ``classes_``.
    verbose : int, default=0
        Print progress when positive.
    random_state : int, RandomState instance or None, default=None
        Seeds the initialization, the batches and the held-out rows of the step-size
        choice (the readout's penalty folds have a fixed seed).
    solver_options : dict or None, default=None
        Research settings of the steps; see :class:`GiantStepRegressor`.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The labels, sorted.
    network_ : TwoLayerNetwork
        The fitted network on the raw inputs; its outputs are the calibrated logits of
        the classes (``predict_proba`` is their softmax).
    readout_method_ : {"softmax", "calibrated_ridge"}
        The readout that was fitted (see above).
    readout_ : ProbabilityReadout
        The readout on the standardized features: ``coef``, ``intercept``, inverse
        temperature ``scale`` and ``offsets`` (1 and 0 for the softmax readout).
    alpha_ : float
        The penalty of the final readout.
    alpha_grid_ : ndarray or None
        Penalties tried with ``alpha="auto"``.
    cv_log_loss_ : ndarray or None
        Log loss along ``alpha_grid_``: cross-fitted (softmax readout) or of the
        calibrated leave-one-out scores (calibrated ridge); ``inf`` where the path
        stopped early.
    step_size_ : float
        The step-size constant used (see :class:`GiantStepRegressor`).
    batch_size_ : int
    n_iter_ : int
        Giant steps taken (in total, across warm starts).
    loss_curve_ : ndarray of shape (``n_iter_``,)
        Batch squared loss on the standardized one-hot targets before each step.
    history_ : list of StepRecord
    selected_step_ : tuple of (float, int) or None
    step_size_scores_ : dict
    selection_scores_ : dict
        Held-out squared errors of the step-size selection (see
        :class:`GiantStepRegressor`).
    initial_signs_ : ndarray of shape (n_hidden, n_classes)
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` has string feature names.

    See Also
    --------
    GiantStepRegressor : the same first layer, with a ridge readout.
    AlternatingOLSReLUClassifier : alternating least squares on the one-hot labels.
    sklearn.neural_network.MLPClassifier : the same network trained by SGD/Adam/L-BFGS.

    References
    ----------
    Y. Dandi, F. Krzakala, B. Loureiro, L. Pesce, L. Stephan, "How Two-Layer Neural
    Networks Learn, One (Giant) Step at a Time", JMLR 2024 (arXiv:2305.18270).

    Examples
    --------
    >>> from sklearn.datasets import load_wine
    >>> from sklearn.model_selection import train_test_split
    >>> from skgiant import GiantStepClassifier
    >>> X, y = load_wine(return_X_y=True)
    >>> X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    >>> model = GiantStepClassifier(n_hidden=128, random_state=0).fit(X_train, y_train)
    >>> model.score(X_test, y_test) > 0.9
    True
    >>> model.predict_proba(X_test[:2]).sum(axis=1)
    array([1., 1.])
    """

    _parameter_constraints = {
        **GiantStepBase._parameter_constraints,
        "class_weight": CLASS_WEIGHT_CONSTRAINT,
    }

    def __init__(
        self,
        n_hidden=1024,
        n_steps=1,
        batch_size="auto",
        step_size="auto",
        alpha="auto",
        activation="relu",
        *,
        class_weight=None,
        bias_scale=1.0,
        remove_linear=True,
        linear_readout=True,
        second_layer="refit",
        clip_inputs=True,
        warm_start=False,
        verbose=0,
        random_state=None,
        solver_options=None,
    ):
        self.n_hidden = n_hidden
        self.n_steps = n_steps
        self.batch_size = batch_size
        self.step_size = step_size
        self.alpha = alpha
        self.activation = activation
        self.class_weight = class_weight
        self.bias_scale = bias_scale
        self.remove_linear = remove_linear
        self.linear_readout = linear_readout
        self.second_layer = second_layer
        self.clip_inputs = clip_inputs
        self.warm_start = warm_start
        self.verbose = verbose
        self.random_state = random_state
        self.solver_options = solver_options

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the first layer by giant steps on the one-hot labels, then the readout.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training inputs (standardized internally). A dask array or DataFrame is
            fitted on its blocks, with ``y`` and ``sample_weight`` as dask collections or
            in memory: the rows never reach the driver (see the user guide's "Scaling
            out" page for the passes).
        y : array-like of shape (n_samples,)
            Class labels (strings, integers or booleans); at least two classes.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative frequency weights (multiplied by the class weights). With fixed
            ``step_size`` and ``alpha`` and full-batch steps an integer weight is the
            same as repeating the row; the held-out rows of ``step_size="auto"`` and the
            penalty folds of the softmax readout are drawn over rows.

        Returns
        -------
        self : GiantStepClassifier
            The fitted estimator.
        """
        continuing = self.warm_start and hasattr(self, "network_")
        X, Y, weight, y = self._validate_classes(X, y, sample_weight, reset=not continuing)
        self._fit_giant_steps(X, Y, weight, y, continuing)
        return self

    def _final_readout(self, config, method=None):
        def fit(data, W, b):
            def feature_map(X):
                return readout_features(X, W, b, config.activation, config.linear_readout)

            n_features = W.shape[0] + (data.n_features if config.linear_readout else 0)
            fitted, readout = fit_class_readout(
                data, feature_map, n_features, len(self.classes_), alpha=config.alpha,
                method=method,
            )  # fmt: skip
            return ClassReadout(fitted, readout, readout.feature_mean)

        return fit

    def _hidden_means(self, result):
        return result.readout.feature_mean

    def _set_readout_fitted(self, readout):
        if isinstance(readout, ClassReadout):
            self._set_class_readout(readout.method, readout.readout)
            self.alpha_ = float(readout.readout.alpha)
            self.alpha_grid_ = readout.readout.alpha_grid

    def _readout_coefficients(self, result, scaling):
        if not isinstance(result, ClassReadout):
            # a readout the steps follow (ridge on the one-hot targets): callbacks see
            # that model, whose outputs are fitted one-hot values
            return super()._readout_coefficients(result, scaling)
        return logit_coefficients(result.readout)

    # ------------------------------------------------------------------ streaming
    #: The stream's reservoir holds as many rows as the calibrated ridge readout of
    #: ``fit`` calibrates on, so that streaming up to that many rows gives its readout.
    _stream_capacity = CALIBRATION_ROWS

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Fit on a first batch, then refine the readout on each further batch.

        For data that do not fit in memory at once and arrive in batches. The first
        call (on an unfitted estimator, or on one fitted by :meth:`fit`: a fit ends a
        stream) is a full :meth:`fit` on its batch, with ``classes_`` the ``classes``
        given (or those of the previous fit). Each later call keeps the first layer,
        the standardization of the inputs and the step size, adds the batch's moments
        of the readout features and of the one-hot labels to those of all the rows
        seen (one pass over the batch, two with ``clip_inputs``), and re-solves the
        **calibrated ridge readout** on all of them: the ridge regression on the
        one-hot labels, exactly the one of every row seen (for a fixed ``alpha``;
        ``"auto"`` chooses it again at every call), mapped through a softmax whose
        temperature and per-class offsets are fitted on exact leave-one-out scores of
        a uniform sample (a seeded reservoir) of at most 16,384 of the rows seen.
        Until more rows than that have been seen, this is the calibrated ridge readout
        that :meth:`fit` would fit on all of them with the first batch's first layer.

        The first call's readout is the one of :meth:`fit` (the softmax readout on a
        small batch), or the calibrated ridge if the batch lacks some of ``classes``
        (its smoothed calibration gives them a small probability, about the inverse of
        the rows seen, where the softmax readout would give them about 1e-300, a log
        loss of 700 on their first rows); from the second call on ``readout_method_`` is
        ``"calibrated_ridge"``, whose statistics add up exactly across batches (the
        softmax readout would need every row's features at every call).

        **The first batch must be representative**: it alone fixes the first layer,
        the standardization and the step size (``warm_start`` plays no part). Shuffle
        the stream, or make the first batch a random sample of the data, large enough
        for a good :meth:`fit` on its own. It must hold at least two classes; a class
        it lacks has a probability near zero until later batches bring its rows,
        from which the streamed readout learns it (the first layer never sees it).
        Clipping bounds (``clip_inputs``) widen to the range of every batch seen.

        ``class_weight="balanced"`` is refused, as by scikit-learn's
        :meth:`~sklearn.linear_model.SGDClassifier.partial_fit`: the class
        frequencies of the whole stream are unknown at the first call. Pass a dict
        instead, e.g. ``compute_class_weight("balanced", classes=classes, y=y_sample)``
        from :func:`sklearn.utils.class_weight.compute_class_weight` on a large enough
        sample of the labels. A batch may be a dask array or DataFrame with dask or
        in-memory labels (read in its blocks, as :meth:`fit` reads them; the same model
        as in memory).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            A batch of inputs, with the features of the first batch.
        y : array-like of shape (n_samples,)
            Its labels, all among ``classes``. A later batch may hold a single class.
        classes : array-like of shape (n_classes,), default=None
            Every class the stream will ever hold. Required on the first call, unless
            the estimator was fitted by :meth:`fit`, whose ``classes_`` are then kept;
            later calls may omit it or must repeat it.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative frequency weights (multiplied by the class weights); they
            combine across batches as if all the rows had been given at once.

        Returns
        -------
        self : GiantStepClassifier
            The fitted estimator.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn.datasets import load_digits
        >>> from skgiant import GiantStepClassifier
        >>> X, y = load_digits(return_X_y=True)
        >>> model = GiantStepClassifier(n_hidden=128, random_state=0)
        >>> for start in range(0, 1500, 300):
        ...     batch = slice(start, start + 300)
        ...     model = model.partial_fit(X[batch], y[batch], classes=np.arange(10))
        >>> model.readout_method_
        'calibrated_ridge'
        >>> model.score(X[1500:], y[1500:]) > 0.9
        True
        """
        first = not self._stream_started()
        X, labels, encoded, weight = self._validate_batch(X, y, classes, sample_weight, first)
        n_classes = len(self.classes_)
        if first:
            targets = labels.targets(encoded, n_classes)
            # a class the first batch lacks: the calibrated ridge (its smoothed
            # calibration gives it a small probability; the softmax readout ~1e-300)
            lacking = np.count_nonzero(labels.counts > 0) < n_classes
            method = "calibrated_ridge" if lacking else None
            self._fit_giant_steps(X, targets, weight, labels.y, False, method)
            self._start_stream(X, labels.one_hot(encoded, n_classes), weight)
        else:
            self._continue_stream(X, labels.one_hot(encoded, n_classes), weight)
        return self

    def _validate_batch(self, X, y, classes, sample_weight, first):
        """Validate a batch of :meth:`partial_fit`; returns ``(X, labels, encoded
        labels, weights with the class weights folded in)`` (on dask input the labels
        and weights stay in the blocks). Sets ``classes_`` on the first call."""
        if self.class_weight == "balanced":
            raise ValueError(
                "class_weight='balanced' is not supported by partial_fit: the class "
                "frequencies of the stream are unknown at its first call. Pass "
                "class_weight=compute_class_weight('balanced', classes=classes, y=y) "
                "(sklearn.utils.class_weight) as a dict, with y a large enough sample of "
                "the stream's labels."
            )
        known = self._stream_classes(classes, first)
        X, labels = self._read_labels(
            X, y, sample_weight, reset=first, min_samples=2 if first else 1
        )
        unknown = labels.classes[~np.isin(labels.classes, known)]
        if unknown.size:
            raise ValueError(
                f"partial_fit: y has labels {unknown.tolist()} that are not in classes "
                f"{known.tolist()}; pass every class of the stream as classes on the "
                "first call."
            )
        encoded = labels.encode(known)
        per_class = class_weights(None, None, self.class_weight, known)
        weight = labels.fold(encoded, per_class)
        counts = np.zeros(len(known))
        counts[np.searchsorted(known, labels.classes)] = labels.counts
        present = counts * per_class > 0
        if first and np.count_nonzero(present) < 2:
            raise ValueError(
                f"{type(self).__name__}.partial_fit needs samples of at least 2 classes "
                "with a positive weight in its first batch, which fits the first layer; "
                f"it contains only {known[present].tolist()}."
            )
        check_weights(self, weight, 1)
        if first:
            self.classes_ = known
        return X, labels, encoded, weight

    def _stream_classes(self, classes, first):
        """The classes of the stream: ``classes`` on the first call (or the ``classes_``
        of a previous :meth:`fit`), else ``classes_`` (``classes``, if given, must equal
        them)."""
        given = None if classes is None else unique_labels(classes)
        if first:
            if given is None and not hasattr(self, "network_"):
                raise ValueError("classes must be passed on the first call to partial_fit.")
            return self.classes_ if given is None else given
        if given is not None and not np.array_equal(given, self.classes_):
            raise ValueError(
                f"classes={given.tolist()} is not the same as on the first call to "
                f"partial_fit: {self.classes_.tolist()}."
            )
        return self.classes_

    def _solve_stream(self, features, k):
        readout = solve_calibrated_stream(self._stream, features, k, alpha=self.alpha)
        return ClassReadout("calibrated_ridge", readout, readout.feature_mean)
