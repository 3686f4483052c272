"""GiantStepRegressor: a few giant gradient steps on the first layer, then a ridge readout.

The estimator validates, builds the solver configuration and reads the rows once for
their moments; the algorithm itself is :func:`skgiant._giant_solver.fit_giant_steps`.
"""

import numpy as np

from ._base import TwoLayerRegressorBase, validate_fit_data
from ._compat import _fit_context
from ._giant_base import GiantStepBase
from ._intervals import IntervalMixin

#: The setting of the theory (Dandi et al.): no biases, no linear term, plain labels,
#: symmetric initialization, frozen random second layer. Tests and the paper scripts
#: use it as ``GiantStepRegressor(**THEORY_PARAMS, ...)``.
THEORY_PARAMS = dict(
    bias_scale=0.0,
    remove_linear=False,
    linear_readout=False,
    second_layer="frozen",
    solver_options=dict(symmetric_init=True),
)


class GiantStepRegressor(IntervalMixin, GiantStepBase, TwoLayerRegressorBase):
    """Two-layer network trained by a few giant gradient steps and a ridge readout.

    The network is ``f(x) = sum_j beta_j act(<w_j, x> + b_j) / sqrt(p) + <theta, x> / sqrt(d)
    + beta_0``. Training follows Dandi et al. (2023): starting from random ``(w_j, b_j)`` and
    random second-layer signs ``a_j``, the first layer takes ``n_steps`` full-batch
    gradient steps of the squared loss with a learning rate that grows with the width
    ("giant" steps: ``eta = c * p * sqrt(n / d)``). Then the readout
    ``(beta, theta, beta_0)`` is a ridge regression on the learned features. Targets are
    standardized internally, and so are the inputs (a ``StandardScaler`` in front is not
    needed; the fitted network carries the scaling).

    One giant step on ``n = Theta(d)`` samples aligns the hidden units with the target's
    linear direction; several steps on fresh batches, with the second layer frozen, learn
    further directions linked to it (the "staircase", the paper's protocol:
    ``second_layer="frozen"``). On real data, later steps work better when they follow
    the ridge readout fitted after the previous step (``second_layer="refit"``, the
    default). With ``step_size="auto"`` the step size and the number of steps (including
    no step at all) are chosen on held-out rows, so the steps are only kept when they
    help.

    Parameters
    ----------
    n_hidden : int, default=1024
        Width ``p``, at least 1. The fit costs about ``n * p**2 + p**3`` operations and
        ``8 * 3 * p**2`` bytes; wider is usually more accurate but slower (the accuracy
        against fit time over widths 64 to 2048: ``benchmarks/RESULTS_fronts.md``).
    n_steps : int, default=1
        Number of giant steps on the first layer, at least 0 (0 = random features); with
        ``step_size="auto"`` the most steps: the selection also chooses how many of them
        to take (``n_iter_``). Each step after the first costs one more readout with
        ``second_layer="refit"``. ``n_steps=2`` is the more accurate choice at about twice
        the fit time; three steps help some data sets and hurt others. One step is the
        default, for speed (measurements: ``benchmarks/RESULTS_tuning_giant.md`` and
        ``benchmarks/RESULTS_fronts.md``).
    batch_size : int or "auto", default="auto"
        Samples per step (at most ``n``). Each step takes a fresh, disjoint batch while
        unused rows remain; after that rows are reused. ``"auto"`` resolves to all ``n``
        rows for every step with ``second_layer="refit"``, and to ``n // n_steps`` with
        ``"frozen"`` (fresh batches, every row used once across the steps, as in the
        theory). The theory needs ``batch_size`` of order ``d`` or more for any alignment.
        During the ``step_size="auto"`` selection the batches come from the rows outside
        the held-out fold.
    step_size : float or "auto", default="auto"
        The constant ``c`` of the learning rate, ``>= 0`` (``0`` = no step). In the default
        (giant) convention, ``eta = c * p * sqrt(n_batch / d)``: the
        authors' convention, in which ``c ~ 1`` moves each row by about its own norm when
        ``n_batch`` is of order ``d``; the move along the gradient's signal direction
        grows like ``c * sqrt(n_batch / d)``. ``"auto"`` picks ``c`` in a grid
        (``solver_options["step_size_grid"]``, default ``(0, 0.5, 1, 2, 4, 8)``; keep 0
        in it as the "no step" fallback), and the number of steps up to ``n_steps``, by
        the error on held-out rows of the readout fitted on the others, on a reduced copy
        of the problem (at most 2000 rows and 128 units; ``c`` transfers across widths in
        this convention). The chosen ``c`` is then carried to
        the full batch so that the rows move as far as they did in the selection:
        ``step_size_ = c * sqrt(selection batch / full batch)`` (batches measured by
        their weight). Reusing ``c`` itself would move the rows ``sqrt(k)`` times further
        on ``k`` times more rows, and the model would get worse as data grows.
    alpha : float or "auto", default="auto"
        Ridge penalty of the readout, ``>= 0``: the readout minimizes
        ``(1/S) sum_i w_i (y_i - f(x_i))**2 + alpha * ||beta||**2 + alpha_l * ||theta||**2``
        with ``S = sum_i w_i`` and ``y`` standardized, so ``alpha`` does not need
        rescaling when ``n`` changes (``Ridge(alpha=alpha * S)`` on the features is the
        same fit). The intercept is not penalized. A number is used for both blocks
        (``alpha_l = alpha``). ``"auto"`` chooses ``alpha`` on a grid from ``1e-6`` to
        ``1e2`` times the mean variance of the hidden features and, with
        ``linear_readout``, the linear term's own penalty ``alpha_l`` (``1e-4`` to ``1e2``
        times ``alpha``) jointly with it, the special case "linear term only" (plain
        ridge on ``X``) included: one shared penalty lets a thousand hidden features
        dilute the few linear coefficients. The criterion is exact leave-one-out error
        (on a seeded subset of 512 rows when there are more), not generalized
        cross-validation, which is far too optimistic with rows of high leverage such as
        the rare levels of a one-hot encoded column.
    activation : {"relu", "tanh", "erf"}, default="relu"
        Hidden activation.
    bias_scale : float, default=1.0
        Standard deviation of the random first-layer biases, in ``[0, 1e6]`` (0 = no
        biases, as in the theory). Biases matter on low-dimensional data, where units
        without them all cut through the origin.
    remove_linear : bool, default=True
        Subtract a ridge fit of the targets on ``X`` from the labels the steps see (the
        readout still models it through its linear term). One step otherwise spends itself
        on the linear direction, which the linear term of the readout already captures.
    linear_readout : bool, default=True
        Add the linear term ``<theta, x> / sqrt(d)`` to the readout.
    second_layer : {"refit", "frozen"}, default="refit"
        What the steps after the first follow. ``"frozen"``: the network with the random
        signs ``a`` (the paper's protocol, with fresh batches). ``"refit"``: the ridge
        readout fitted after the previous step, whose hidden coefficients (rescaled to
        the root mean square ``1 / sqrt(p)`` of the signs) replace ``a`` and whose
        residuals replace the labels; one readout per step. The first step is the same
        in both. With two or three steps, refitting beat the frozen signs on every data
        set of ``benchmarks/tune_giant_defaults.py``, the Gaussian targets included;
        frozen signs collapse the features on real data (numbers in
        ``benchmarks/RESULTS_tuning_giant.md``).
    clip_inputs : bool, default=True
        Clip each input at prediction time to the range it had in ``fit`` (inside
        ``network_``, so ``predict``,
        :class:`GiantStepFeatures` and any export agree). A glitched reading far outside
        the training data (a sensor spike, a unit error) then gives a prediction like
        that of the most extreme seen value instead of an unbounded extrapolation of
        the learned features. Inside the training range nothing changes.
    warm_start : bool, default=False
        If True, a new ``fit`` continues from the learned first layer with ``n_steps``
        further steps (on fresh batches), then refits the readout. The steps use
        ``step_size`` if it is a number, else the step size chosen by the first fit (which
        may be 0: then no step is taken).
    verbose : int, default=0
        Print progress (one line per step and per step-size candidate) when positive.
    random_state : int, RandomState instance or None, default=None
        Seeds the initialization, the batches and the leave-one-out rows.
    solver_options : dict or None, default=None
        Research settings of the solver, rarely worth changing (none helped on the
        development data; ``benchmarks/RESULTS_tuning_giant.md``). Keys:

        - ``"step_size_grid"`` (``(0.0, 0.5, 1.0, 2.0, 4.0, 8.0)``): the candidates of
          ``step_size="auto"``; each costs ``n_steps`` readouts per fold on the reduced
          selection problem;
        - ``"learning_rate_scaling"`` (``"giant"``): how ``step_size`` becomes a learning
          rate: ``c * p * sqrt(n_batch / d)`` (``"giant"``), ``c * p`` (``"width"``, the
          authors' multi-step notebooks) or ``c`` (``"constant"``);
        - ``"symmetric_init"`` (True): pair the units with opposite second-layer signs
          so the network output is zero at initialization (as in the theory);
        - ``"random_fraction"`` (0.0): fraction of hidden units, in pairs, kept at their
          random initialization during the steps, in ``[0, 1]``;
        - ``"max_row_move"`` (None): cap on the Euclidean norm of each row's update per
          step (rows start with norm about ``sqrt(1 + bias_scale**2)``);
        - ``"normalize_rows"`` (False): rescale each row to its previous norm after
          every step;
        - ``"selection_fraction"`` (0.2): with ``step_size="auto"``, the size of each
          held-out fold as a fraction of the rows, in ``(0, 1)``;
        - ``"selection_rows"`` (1000), ``"selection_max_folds"`` (5): the selection
          scores about this many held-out rows in all, in at most this many folds;
        - ``"selection_max_rows"`` (2000), ``"selection_max_width"`` (128): the
          selection runs on at most this many rows and hidden units;
        - ``"selection_loo_rows"`` (256): the selection's readouts choose their
          penalty by leave-one-out on at most this many rows;
        - ``"divergence_factor"`` (1e6): a step whose rows grow beyond this factor of
          their initial norm is undone (with a warning);
        - ``"linear_penalty_ratio"`` (None): with a fixed ``alpha``, the linear term's
          penalty is this multiple of ``alpha`` (``alpha_linear_ / alpha_`` of an
          automatic fit reproduces its readout).

        The theory's setting is :data:`THEORY_PARAMS` (``skgiant._giant_regressor``).
    intervals : bool, default=False
        Prepare :meth:`predict_interval`: after the fit, refit the model on each half of
        the rows with the settings this fit chose (no selection is repeated) and keep every row's
        residual under the model that did not see it, with a model of their scale so
        that intervals widen where the data are noisier (cross-conformal prediction,
        see :mod:`skgiant._intervals`). Costs up to about the time of one more fit.
        Measured coverage: ``benchmarks/RESULTS_intervals.md``.

    Attributes
    ----------
    network_ : TwoLayerNetwork
        The fitted network on the raw inputs and targets: it standardizes (and with
        ``clip_inputs`` clips) its inputs itself; its weights act on standardized inputs.
    step_size_ : float
        The step-size constant used (with ``step_size="auto"``: the selected one carried
        to the full batch, see ``step_size``; ``step_size=step_size_`` refits the same
        first layer).
    alpha_ : float
        The readout penalty of the hidden units (``inf`` when ``alpha="auto"`` kept the
        linear term only).
    alpha_linear_ : float or None
        The penalty of the linear term (``None`` without ``linear_readout``); with
        ``alpha="auto"`` it is chosen jointly with ``alpha_``.
    batch_size_ : int
        The resolved batch size.
    n_iter_ : int
        Giant steps taken (in total, across warm starts).
    loss_curve_ : ndarray of shape (``n_iter_``,)
        Batch loss ``(1/2S) sum w (y - f)**2`` (standardized ``y``) before each step, of
        the model the step follows: the network with the random signs for the first step
        (and every step with ``second_layer="frozen"``), the previous readout after that.
    history_ : list of StepRecord
        Per-step diagnostics: learning rate, batch loss, leading singular values of the
        update (a dominant first value is the rank-one spike of a giant step), rows capped,
        effective rank of ``W`` after the step.
    interval_calibration_ : IntervalCalibration or None
        The cross-fitted, normalized residuals and the scale model behind
        :meth:`predict_interval` (None unless ``intervals=True``).
    selected_step_ : tuple of (float, int) or None
        The candidate ``(step size of the selection problem, number of steps)`` the
        selection chose (only with ``step_size="auto"``; a key of ``selection_scores_``).
    step_size_scores_ : dict
        Held-out MSE (standardized ``y``) of each step-size candidate at its best number
        of steps (only with ``step_size="auto"``).
    selection_scores_ : dict
        Held-out MSE of every candidate ``(step_size, number of steps)`` of the selection
        (``(0.0, 0)`` is no step; only with ``step_size="auto"``).
    cv_mse_ : ndarray or None
        Exact leave-one-out MSE (standardized ``y``) along ``alpha_grid_`` at the chosen
        ratio ``alpha_linear_ / alpha_``, with ``alpha="auto"`` (``None`` when the linear
        term alone was kept, or for a fixed ``alpha``). With more than 512 weighted rows
        it is evaluated on a seeded random subset of 512 of them.
    alpha_criterion_ : {"loo"} or None
        The criterion that chose ``alpha_`` (``None`` for a fixed ``alpha``).
    alpha_grid_ : ndarray or None
        The hidden-unit penalties tried with ``alpha="auto"``.
    initial_signs_ : ndarray of shape (n_hidden, n_outputs)
        The random second-layer signs ``a`` the first step follows (and every step with
        ``second_layer="frozen"``); the fitted readout is in ``network_``.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` has string feature names.

    See Also
    --------
    AlternatingOLSReLURegressor : exact alternating layer-wise least squares.
    sklearn.neural_network.MLPRegressor : the same network trained by SGD/Adam/L-BFGS.

    Notes
    -----
    The theory's multi-step protocol (fresh batches of ``n`` rows, frozen ``a``,
    ``eta = c p``) is ``GiantStepRegressor(**THEORY_PARAMS, batch_size=n)`` with
    ``solver_options=dict(learning_rate_scaling="width")``.
    The authors' one-step protocol (ReLU, no biases, ``W ~ N(0, 1/d)``, frozen ``a``,
    ``eta = 10 sqrt(n p)``, labels with their mean and linear part removed, ridge ``lambda``
    on un-normalized sums of features ``act(XW^T)/sqrt(p)``) is
    ``GiantStepRegressor(n_steps=1, step_size=10 * sqrt(d / p), bias_scale=0,
    remove_linear=True, alpha=lambda / n)``; ``linear_readout=False`` drops the linear
    term from the readout, which the authors add back with its fixed estimate. Remaining
    differences: the readout here has an unpenalized intercept and ``a = +-1/sqrt(p)``
    signs instead of Gaussian ``a``.

    References
    ----------
    Y. Dandi, F. Krzakala, B. Loureiro, L. Pesce, L. Stephan, "How Two-Layer Neural
    Networks Learn, One (Giant) Step at a Time", JMLR 2024 (arXiv:2305.18270).

    Examples
    --------
    >>> from sklearn.datasets import make_friedman1
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skgiant import GiantStepRegressor
    >>> X, y = make_friedman1(n_samples=1000, random_state=0)
    >>> model = make_pipeline(StandardScaler(), GiantStepRegressor(random_state=0))
    >>> model.fit(X[:800], y[:800]).score(X[800:], y[800:]) > 0.9
    True
    """

    def __init__(
        self,
        n_hidden=1024,
        n_steps=1,
        batch_size="auto",
        step_size="auto",
        alpha="auto",
        activation="relu",
        *,
        bias_scale=1.0,
        remove_linear=True,
        linear_readout=True,
        second_layer="refit",
        clip_inputs=True,
        warm_start=False,
        verbose=0,
        random_state=None,
        solver_options=None,
        intervals=False,
    ):
        self.n_hidden = n_hidden
        self.n_steps = n_steps
        self.batch_size = batch_size
        self.step_size = step_size
        self.alpha = alpha
        self.activation = activation
        self.bias_scale = bias_scale
        self.remove_linear = remove_linear
        self.linear_readout = linear_readout
        self.second_layer = second_layer
        self.clip_inputs = clip_inputs
        self.warm_start = warm_start
        self.verbose = verbose
        self.random_state = random_state
        self.solver_options = solver_options
        self.intervals = intervals

    _parameter_constraints = {**GiantStepBase._parameter_constraints, "intervals": ["boolean"]}

    # ------------------------------------------------------------------ fitting
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the first layer by giant steps, then the ridge readout.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training inputs. They are standardized internally (weighted by
            ``sample_weight``), so a ``StandardScaler`` in front is not needed.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative frequency weights. With a fixed ``step_size`` and full-batch
            steps, an integer weight is exactly the same as repeating the row.
            With ``step_size="auto"`` the held-out folds, and with smaller batches the
            batches, are drawn over rows, so a weighted row and its repeated copies can
            land differently and the chosen step size can differ.

        Returns
        -------
        self : GiantStepRegressor
            The fitted estimator.
        """
        continuing = self.warm_start and hasattr(self, "network_")
        self._check_interval_input(X, y, sample_weight)
        X, Y, sw, y_was_1d = validate_fit_data(
            self, X, y, sample_weight, reset=not continuing, allow_dask=True
        )
        self._y_was_1d = y_was_1d  # callbacks may predict during the fit
        self._fit_giant_steps(X, Y, sw, Y.ravel() if y_was_1d else Y, continuing)
        self._calibrate_intervals(X, Y, sw)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """Fit on a first batch, then refine the readout on each further batch.

        For data that do not fit in memory at once and arrive in batches. The first
        call (on an unfitted estimator, or on one fitted by :meth:`fit`, whose rows are
        not known here) is a full :meth:`fit` on its batch. Each later call keeps the
        first layer, the standardization of the inputs and targets and the step size,
        adds the batch's moments of the readout features and targets to those of all
        the rows seen (one pass over the batch, two with ``clip_inputs``), and
        re-solves the ridge readout on all of them: with a fixed ``alpha`` the readout
        is exactly the one a fit of the readout on every row seen would give, for the
        first batch's first layer.
        With ``alpha="auto"`` the penalty is chosen again at every call, by exact
        leave-one-out error on a uniform sample (a seeded reservoir) of at most 512 of
        the rows seen.

        **The first batch must be representative**: it alone fixes the first layer,
        the standardization and the step size (and ``warm_start`` plays no part).
        Shuffle the stream, or make the first batch a random sample of the data, large
        enough for a good ``fit`` on its own. Clipping bounds (``clip_inputs``) widen to
        the range of every batch seen. Calling :meth:`fit` ends the stream.
        ``intervals=True`` is not supported. A batch may be a dask array or DataFrame
        (read in its blocks, as :meth:`fit` reads them; the same model as in memory).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            A batch of inputs, with the features of the first batch.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Its targets, with the outputs of the first batch.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative frequency weights; they combine across batches as if all the
            rows had been given at once.

        Returns
        -------
        self : GiantStepRegressor
            The fitted estimator.

        Examples
        --------
        >>> from sklearn.datasets import make_friedman1
        >>> from skgiant import GiantStepRegressor
        >>> X, y = make_friedman1(n_samples=3000, noise=1.0, random_state=0)
        >>> model = GiantStepRegressor(n_hidden=128, random_state=0)
        >>> for start in range(0, 2500, 500):
        ...     model = model.partial_fit(X[start:start + 500], y[start:start + 500])
        >>> model.score(X[2500:], y[2500:]) > 0.8
        True
        """
        if self.intervals:
            raise ValueError(
                "partial_fit does not support intervals=True: the intervals are calibrated "
                "by refitting on halves of all the rows. Use fit, or intervals=False."
            )
        first = not self._stream_started()
        X, Y, sw, y_was_1d = validate_fit_data(
            self, X, y, sample_weight, reset=first, min_samples=2 if first else 1,
            allow_dask=True,
        )  # fmt: skip
        if first:  # a full fit, then the moments of its readout features
            self._y_was_1d = y_was_1d
            scaling = self._fit_giant_steps(X, Y, sw, Y.ravel() if y_was_1d else Y, False)
            self.interval_calibration_ = None
            self._start_stream(X, Y, sw, y_mean=scaling["y_mean"], y_scale=scaling["y_scale"])
            return self
        m = self.initial_signs_.shape[1]
        if Y.shape[1] != m:
            raise ValueError(
                f"partial_fit: y has {Y.shape[1]} outputs but the first batch had {m}."
            )
        self._continue_stream(X, Y, sw)
        return self

    def _refit_params(self):
        """Parameters that refit the choices of this fit (for the cross-fitted intervals)."""
        options = dict(self.solver_options or {})
        alpha = self.alpha_ if np.isfinite(self.alpha_) else 1e10  # "linear term only"
        if self.alpha_linear_ is not None:
            options["linear_penalty_ratio"] = self.alpha_linear_ / alpha
        return dict(
            n_steps=self.n_iter_,
            step_size=self.step_size_,
            alpha=alpha,
            solver_options=options,
            warm_start=False,
        )
