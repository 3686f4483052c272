"""AlternatingOLSReLUClassifier: alternating least squares on the one-hot labels, then a
probabilistic readout on the learned hidden features.

The fit steps are those of :class:`~skgiant.AlternatingOLSReLURegressor`
(:class:`~skgiant._alternating_base.AlternatingBase`) on the one-hot matrix of the labels;
the readout is :func:`skgiant._classifier_base.fit_class_readout`.
"""

from ._alternating import PenaltyPath, add_ones, hidden_features
from ._alternating_base import AlternatingBase
from ._classifier_base import (
    CLASS_WEIGHT_CONSTRAINT,
    TwoLayerClassifierBase,
    fit_class_readout,
    logit_coefficients,
)
from ._compat import _fit_context
from ._network import TwoLayerNetwork


class AlternatingOLSReLUClassifier(AlternatingBase, TwoLayerClassifierBase):
    """Two-layer leaky-ReLU classifier: alternating least squares, calibrated readout.

    The first layer is fitted as :class:`AlternatingOLSReLURegressor` fits it on the
    one-hot matrix of the labels (its least-squares iteration: each hidden-layer solve
    is exact for a fixed activation pattern, Barbu 2023), so the hidden layer is the one
    that regressor learns with the same parameters, with two defaults of its own
    (``early_stopping="auto"`` and shorter fits in the refinement of ``alpha="auto"``,
    see both). The least-squares readout of that fit
    is then replaced by a probabilistic readout on the hidden features
    ``max(z, s z)``, ``z = W [x_std, 1]``: a multinomial logistic (softmax) readout with
    a penalty chosen by cross-fitted log loss while the features of the weighted rows have
    at most ``2**20`` entries (``n_hidden=32``: about 32,000 rows), and beyond it ridge
    on the one-hot targets with a softmax temperature and offsets fitted on exact
    leave-one-out scores (one pass over the rows). The softmax readout had the lower test
    log loss in 27 of 28 comparisons on seven data sets, the calibrated ridge is 10-30
    times faster (``benchmarks/RESULTS_class_readouts.md``).

    Parameters
    ----------
    n_hidden : int, default=32
        Width ``p``, ``>= 1``. A hidden-layer solve has ``p * (n_features + 1)`` unknowns.
    max_iter : int, default=30
        Iterations of the least-squares fit, ``>= 0`` (0: random features).
    batch_size : int, None or "auto", default="auto"
        Rows of each hidden-layer solve, ``>= 1`` (None: all; "auto": all up to 50,000,
        a fresh subset of 50,000 beyond). See :class:`AlternatingOLSReLURegressor`.
    step_fraction : float in (0, 1] or "auto", default="auto"
        Fraction of the way to the exact hidden-layer solve; "auto" damps and accepts a
        step only if the loss decreases.
    alpha : float >= 0 or "auto", default="auto"
        Penalty of the least-squares fit on both layers (normalized: independent of
        ``n``), and of the final readout (``(alpha / 2) ||B||**2`` beside the mean log
        loss for the softmax readout, ``alpha ||B||**2`` for the calibrated ridge).
        ``"auto"`` chooses each by its own criterion: for the least-squares fit, as
        :class:`AlternatingOLSReLURegressor` does, except that the fits on held-out rows
        that refine it (with fewer rows than ``3 p (d + 1)``) stop after 10 iterations:
        as good on the three development sets where the refinement runs, and cheaper
        (``benchmarks/RESULTS_alternating_classifier.md``, which also shows that
        the refinement itself is worth its time: without it some fits overfit).
    negative_slope : float in [0, 1), default=0.0
        Leaky-ReLU slope (0 is ReLU).
    tol : float >= 0, default=1e-4
        Relative decrease of the least-squares loss below which the iteration stops.
    class_weight : dict, "balanced" or None, default=None
        Weights of the classes, multiplied into ``sample_weight`` (they act on the
        least-squares fit and on the readout). ``"balanced"``: class ``k`` weighs
        ``S / (K S_k)``; a dict maps labels to weights (missing classes weigh 1).
    solver : {"auto", "dense", "cg"}, default="auto"
        Hidden-layer solve. See :class:`AlternatingOLSReLURegressor`.
    solver_options : dict or None, default=None
        Settings of the inner solves. See :class:`AlternatingOLSReLURegressor`.
    early_stopping : bool or "auto", default="auto"
        Hold out ``validation_fraction`` of the rows and keep the iterate with the least
        validation squared error on the one-hot targets. ``"auto"``: with at least 1,000
        weighted training rows; with fewer, the penalty's refinement on held-out rows
        (see ``alpha``) guards against overfitting where rows are few per parameter.
        Left to run, the least-squares iterations fit the one-hot targets ever closer
        and the probabilities get worse: early stopping lowered the test log loss on
        the four development sets with more than 1,000 rows, in less fit time
        (``benchmarks/RESULTS_alternating_classifier.md``).
    validation_fraction : float in (0, 1), default=0.1
        Share of rows held out when ``early_stopping=True``.
    n_iter_no_change : int, default=5
        Patience of early stopping, ``>= 1``.
    clip_inputs : bool, default=True
        Clip each input at prediction time to its training range (inside ``network_``).
    random_state : int, RandomState instance or None, default=None
        Seeds the initialization, revivals, batches and the validation split (the
        readout's penalty folds have a fixed seed).
    verbose : int, default=0
        One line of diagnostics per iteration when > 0.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The labels, sorted.
    network_ : TwoLayerNetwork
        The fitted network on the raw inputs; its outputs are the calibrated logits.
    readout_method_ : {"softmax", "calibrated_ridge"}
        The readout that was fitted.
    readout_ : ProbabilityReadout
        The readout on the hidden features (``coef``, ``intercept``, inverse temperature
        ``scale``, ``offsets``, its penalty ``alpha``).
    cv_log_loss_ : ndarray or None
        Log loss along the readout's penalty grid (``readout_.alpha_grid``).
    alpha_ : float
        The penalty of the least-squares fit.
    n_iter_, best_iter_, loss_curve_, history_, validation_scores_, stop_reason_
        Of the least-squares fit on the one-hot targets; see
        :class:`AlternatingOLSReLURegressor`.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` has string column names.

    See Also
    --------
    AlternatingOLSReLURegressor : the same fit with its least-squares readout.
    GiantStepClassifier : giant gradient steps on the one-hot labels.

    References
    ----------
    A. Barbu, "Training a Two Layer ReLU Network Analytically", Sensors 23(8):4072, 2023.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.model_selection import train_test_split
    >>> from skgiant import AlternatingOLSReLUClassifier
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    >>> model = AlternatingOLSReLUClassifier(n_hidden=8, random_state=0)
    >>> model.fit(X_train, y_train).score(X_test, y_test) > 0.9
    True
    """

    _parameter_constraints = {
        **AlternatingBase._parameter_constraints,
        "class_weight": CLASS_WEIGHT_CONSTRAINT,
    }
    #: The fits on held-out rows that refine ``alpha="auto"`` stop after 10 iterations
    #: (measured in benchmarks/RESULTS_alternating_classifier.md; the regressor runs
    #: them to the end, which its R2 needed on the regression development sets).
    _config_fields = {"penalty_path": PenaltyPath(max_iter=10)}

    def __init__(
        self,
        n_hidden=32,
        max_iter=30,
        batch_size="auto",
        step_fraction="auto",
        alpha="auto",
        negative_slope=0.0,
        tol=1e-4,
        *,
        class_weight=None,
        solver="auto",
        solver_options=None,
        early_stopping="auto",
        validation_fraction=0.1,
        n_iter_no_change=5,
        clip_inputs=True,
        random_state=None,
        verbose=0,
    ):
        self.n_hidden = n_hidden
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.step_fraction = step_fraction
        self.alpha = alpha
        self.negative_slope = negative_slope
        self.tol = tol
        self.class_weight = class_weight
        self.solver = solver
        self.solver_options = solver_options
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.clip_inputs = clip_inputs
        self.random_state = random_state
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the hidden layer by alternating least squares, then the readout.

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
            Non-negative frequency weights (multiplied by the class weights). With a
            fixed ``alpha`` an integer weight is the same as repeating the row; the
            penalty folds of the softmax readout are drawn over rows.

        Returns
        -------
        self : AlternatingOLSReLUClassifier
            The fitted estimator.
        """
        min_samples = self._min_fit_rows()
        X, Y, weight, y = self._validate_classes(X, y, sample_weight, min_samples=min_samples)
        fit = self._fit_alternating(X, Y, weight, y)
        d = X.shape[1]
        data, W = fit.data, fit.W

        def feature_map(X):
            return hidden_features(add_ones(X), W, fit.slope)

        method, readout = fit_class_readout(
            data, feature_map, W.shape[0], len(self.classes_), alpha=self.alpha
        )
        self._set_class_readout(method, readout)
        coef, intercept = logit_coefficients(readout)
        self.network_ = TwoLayerNetwork(
            weights=W[:, :d],
            bias=W[:, d],
            activation="relu",
            negative_slope=fit.slope,
            feature_scale=1.0,
            coef=coef,
            intercept=intercept,
            **fit.scaling,
        )
        fit.progress.close()
        return self
