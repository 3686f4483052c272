"""The scikit-learn estimator around :mod:`skgiant._alternating`.

The fit steps it shares with :class:`~skgiant.AlternatingOLSReLUClassifier` are in
:mod:`skgiant._alternating_base`.
"""

from ._alternating_base import (  # noqa: F401 (re-exported: the names lived here)
    AUTO_BATCH_ROWS,
    SOLVER_OPTION_CONSTRAINTS,
    SOLVER_OPTION_DEFAULTS,
    AlternatingBase,
)
from ._base import TwoLayerRegressorBase, validate_fit_data
from ._compat import _fit_context
from ._intervals import IntervalMixin

#: The published recipe (Barbu, 2023): ``AlternatingOLSReLURegressor(**PUBLISHED_PARAMS,
#: alpha=1e-3 / n_samples)``. The penalty ``lambda = 1e-3`` of the paper is on
#: un-normalized sums, so in this package's normalized convention it depends on the
#: number of training rows and is set separately.
PUBLISHED_PARAMS = dict(
    n_hidden=64,
    max_iter=30,
    step_fraction=1.0,
    tol=0.0,
    solver_options=dict(init_scale="standard", rebalance=False, revive_dead_units=False),
)


class AlternatingOLSReLURegressor(IntervalMixin, AlternatingBase, TwoLayerRegressorBase):
    """Two-layer leaky-ReLU network trained by alternating exact least-squares solves.

    With the activation pattern held fixed the network output is linear in the first
    layer, so each iteration solves the hidden layer exactly (a Gauss-Newton step, the
    method of Barbu, 2023) and then the readout by ridge regression. By default the
    iteration is safeguarded: a hidden-layer step is Levenberg-Marquardt damped and
    backtracked and kept only if it lowers the true training loss, units are rebalanced
    and dead units revived, and the penalty is chosen by generalized cross-validation.
    ``AlternatingOLSReLURegressor(**PUBLISHED_PARAMS, alpha=1e-3 / n_samples)`` (with
    ``PUBLISHED_PARAMS`` from ``skgiant._alternating_regressor``) is the published recipe.

    The model is ``f(x) = sum_j beta_j max(z_j, s z_j) + b0`` with
    ``z_j = w_j . x + c_j``. Inputs are standardized and targets centred and scaled
    internally (the fitted ``network_`` acts on the raw inputs and targets); losses and
    ``alpha`` are in units of the standardized targets. It minimizes ::

        J = (1/S) sum_i w_i ||y_i - f(x_i)||**2 + alpha (||W||**2 + ||beta||**2)

    with ``S = sum(w)`` (``W`` includes the hidden biases ``c``; the output intercept
    ``b0`` is not penalized).

    Parameters
    ----------
    n_hidden : int, default=32
        Width ``p`` of the hidden layer, >= 1. A hidden-layer solve has
        ``p * (n_features + 1)`` unknowns; time per iteration grows like
        ``n * (p * d)**2`` with the dense solve and ``n * p * d`` per CG iteration with
        the matrix-free one.
    max_iter : int, default=30
        Maximum number of iterations (one hidden-layer and one readout solve each),
        >= 0 (0 gives the random-features model with the initial first layer).
    batch_size : int, None or "auto", default="auto"
        Rows used by each hidden-layer solve, >= 1. ``None`` uses all rows (as
        published); an integer draws a fresh random subset of that many rows every
        iteration (a stochastic Gauss-Newton step, cheaper on large ``n``). ``"auto"``
        uses all rows up to ``50_000`` weighted rows and a fresh subset of ``50_000``
        beyond, so that an iteration's cost stops growing with ``n``. The readout and the
        acceptance test always use all rows, so the loss still never increases.
    step_fraction : float in (0, 1] or "auto", default="auto"
        Fraction ``t`` of the way to the exact hidden-layer solve taken by each update
        ``W <- W + t (W_solve - W)`` (a fraction, not a learning rate: it does not scale
        with the data). A float is a fixed ``t`` and every step is kept (``1.0`` is the
        published, undamped recipe, whose loss can oscillate; smaller values oscillate
        less but move more slowly). ``"auto"``: Levenberg-Marquardt damping (adapted:
        divided by 3 after an accepted step, multiplied by 10 after a rejected one) and
        backtracking ``t = 1, 1/2, 1/4``; a step is accepted only if the true loss ``J``
        decreases, so ``loss_curve_`` never increases. Prefer ``"auto"`` unless
        reproducing the published recipe.
    alpha : float >= 0 or "auto", default="auto"
        Ridge penalty on both layers, in the normalized convention above: it does not
        need to change with the number of samples (the published ``lambda`` on
        un-normalized sums is ``alpha = lambda / n_samples``). It touches the hidden
        biases but not the output intercept. ``"auto"`` picks it from
        ``numpy.logspace(-6, 1, 29)`` by the generalized cross-validation error of the
        readout at initialization (exact leave-one-out with fewer rows than units). When
        rows are few per first-layer parameter (``n < 3 p (d + 1)``) and the hidden-layer
        solve is dense, that choice is then refined for the trained network: 10, 1 and
        0.1 times it are trained on two thirds of the rows and scored on the third, three
        times (``alpha_scores_``); on small data this refinement takes most of the fit
        time. The penalty is then kept for the whole fit.
    negative_slope : float in [0, 1), default=0.0
        Leaky-ReLU slope ``s`` for negative inputs (0 is ReLU).
    tol : float >= 0, default=1e-4
        Stop when an accepted iteration lowers ``J`` by at most ``tol * J``. Also the
        relative improvement of the validation error that counts with
        ``early_stopping``. With ``step_fraction=1.0`` the fit also stops when a step
        changes no activation (the exact optimum of the current linear region).
        0 (with a damped step) runs all ``max_iter`` iterations.
    solver : {"auto", "dense", "cg"}, default="auto"
        Hidden-layer solve. ``"dense"`` forms the ``P x P`` normal equations,
        ``P = n_hidden * (n_features + 1)`` (``O(n P**2)`` time, ``8 P**2`` bytes; a
        ``MemoryError`` is raised before allocating if it cannot fit) and factors them by
        Cholesky (eigenvalue fallback). ``"cg"`` is matrix-free: Jacobi-preconditioned
        conjugate gradients warm-started at the current weights, each iteration
        ``O(n P)``, memory ``O(P + chunk * n_hidden)`` plus ``8 n n_hidden`` bytes of
        activation multipliers when they fit. ``"auto"`` is dense (exact) for small
        systems (``n P**2 + P**3 / 3 <= 5e7`` flops, or ``<= 2e9`` with
        ``n <= P``) and otherwise picks the cheaper by a measured cost model: dense while
        ``n P**2 + P**3 / 3 <= 2 * max_inner_iter * 4 n P`` (about ``P <= 240`` with the
        default 30 CG iterations) and the matrix fits in memory, matrix-free beyond.
    solver_options : dict or None, default=None
        Settings of the inner solves and safeguards, rarely worth changing (``None``
        keeps every default; an unknown key raises a ``ValueError`` listing the valid
        ones):

        - ``"init_scale"`` (``"fan_in"``, ``"standard"`` or a float in ``[1e-6, 1e6]``,
          default ``"fan_in"``): first-layer initialization on standardized inputs.
          ``"fan_in"``: input weights N(0, 1/n_features), biases N(0, 1), so each unit's
          hyperplane cuts through the data. ``"standard"``: all entries N(0, 1), as
          published. A float ``s``: all entries N(0, s**2).
        - ``"max_inner_iter"`` (int >= 1, default 30): conjugate-gradient iterations per
          hidden-layer solve (matrix-free solve only). Each costs
          ``O(n * n_hidden * n_features)`` and one pass over the rows.
        - ``"inner_tol"`` (float in (0, 1), default 1e-6): relative residual at which the
          conjugate-gradient solve stops. Any early stop still lowers the fixed-pattern
          loss; a looser value makes iterations cheaper but the result depends on
          rounding (e.g. the chunk size, or weights versus repeated rows) at about this
          level, which the non-smooth iteration can amplify.
        - ``"rebalance"`` (bool, default True): after each readout solve rescale every
          unit ``(w_j, beta_j) -> (c w_j, beta_j / c)`` with
          ``c = sqrt(|beta_j| / |w_j|)``: the function is unchanged, the penalty can
          only fall and the next solve is better conditioned.
        - ``"revive_dead_units"`` (bool, default True): re-draw units that are never
          active on the training rows or have a zero readout (they cannot learn
          otherwise); the revival is kept only if ``J`` does not rise.
        - ``"max_rejections"`` (int >= 1, default 6): with ``step_fraction="auto"``,
          stop after this many consecutive rejected steps.
    early_stopping : bool or "auto", default=False
        Hold out ``validation_fraction`` of the rows, return the iterate with the least
        validation error and stop after ``n_iter_no_change`` iterations without
        improvement. ``"auto"``: only with at least 1,000 weighted training rows (the
        default of :class:`AlternatingOLSReLUClassifier`).
    validation_fraction : float in (0, 1), default=0.1
        Share of rows held out when ``early_stopping=True``.
    n_iter_no_change : int, default=5
        Patience of early stopping, >= 1.
    clip_inputs : bool, default=True
        Clip each input at prediction time to the range it had in ``fit`` (inside
        ``network_``, so ``predict`` and any
        export agree). A glitched reading far outside the training data (a sensor
        spike, a unit error) then gives a prediction like that of the most extreme seen
        value instead of an unbounded extrapolation. Inside the training range nothing
        changes. ``False`` extrapolates the fitted piecewise-linear function.
    random_state : int, RandomState instance or None, default=None
        Seeds the initialization, revivals, batches and the validation split.
    verbose : int, default=0
        Print one line of diagnostics per iteration when > 0.
    intervals : bool, default=False
        Prepare :meth:`predict_interval`: after the fit, refit the model on each half of
        the rows with the penalty and the number of iterations this fit used, and keep
        every row's residual under the model that did not see it, with a model of their
        scale so that intervals widen where the data are noisier (cross-conformal
        prediction, see :mod:`skgiant._intervals`). About doubles the fit time.
        Measured coverage: ``benchmarks/RESULTS_intervals.md``.

    Attributes
    ----------
    network_ : TwoLayerNetwork
        The fitted network on the raw inputs (it standardizes, and with
        ``clip_inputs`` clips, its inputs itself).
    n_iter_ : int
        Iterations run.
    loss_curve_ : ndarray of shape (``n_iter_ + 1``,)
        True penalized training loss ``J`` (standardized-target units) at initialization
        and after each iteration; non-increasing when ``step_fraction="auto"``.
    history_ : list of IterationRecord
        Per-iteration diagnostics (index 0: the initialization), with the attributes
        ``iter``, ``loss``, ``mse`` (unpenalized), ``surrogate`` (the fixed-pattern loss
        of the hidden-layer solve, on its rows; computed from the normal equations as a
        quadratic form, so it costs no pass over the data), ``flip_fraction`` (weighted
        share of activations that changed), ``logdet`` (of the damped normal matrix; NaN
        for the matrix-free solve), ``dead_units``, ``revived``, ``accepted``, ``step``
        (the fraction kept), ``damping``, ``method``, ``inner_iter``, ``val_mse``,
        ``time`` (seconds).
    alpha_ : float
        The penalty used.
    best_iter_ : int
        Iteration whose weights are kept (the last one unless ``early_stopping``).
    validation_scores_ : ndarray or None
        Validation mean squared error (standardized units) per iteration with
        ``early_stopping``.
    stop_reason_ : str
        ``"tol"``, ``"pattern"`` (no activation changed), ``"no_decrease"``
        (``max_rejections`` consecutive rejected steps: no damping found a decrease),
        ``"validation"`` (early stopping), ``"callback"`` (a scikit-learn callback asked to stop) or
        ``"max_iter"``.
    interval_calibration_ : IntervalCalibration or None
        The cross-fitted, normalized residuals and the scale model behind
        :meth:`predict_interval` (None unless ``intervals=True``).
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` has string column names.

    See Also
    --------
    GiantStepRegressor : a few giant gradient steps on the first layer, then a ridge
        readout.
    sklearn.neural_network.MLPRegressor : the same network trained by gradient descent.

    References
    ----------
    A. Barbu, "Training a Two Layer ReLU Network Analytically", Sensors 23(8):4072, 2023.

    Examples
    --------
    >>> from sklearn.datasets import make_friedman1
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skgiant import AlternatingOLSReLURegressor
    >>> X, y = make_friedman1(n_samples=500, noise=0.5, random_state=0)
    >>> model = make_pipeline(StandardScaler(), AlternatingOLSReLURegressor(random_state=0))
    >>> model.fit(X[:400], y[:400]).score(X[400:], y[400:]) > 0.8
    True
    """

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
        solver="auto",
        solver_options=None,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=5,
        clip_inputs=True,
        random_state=None,
        verbose=0,
        intervals=False,
    ):
        self.n_hidden = n_hidden
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.step_fraction = step_fraction
        self.alpha = alpha
        self.negative_slope = negative_slope
        self.tol = tol
        self.solver = solver
        self.solver_options = solver_options
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.clip_inputs = clip_inputs
        self.random_state = random_state
        self.verbose = verbose
        self.intervals = intervals

    _parameter_constraints = {**AlternatingBase._parameter_constraints, "intervals": ["boolean"]}

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the network.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training inputs (float32 is kept for predictions; solves are float64). A
            dask array or DataFrame is fitted on its blocks (the rows never reach the
            driver; see the user guide's "Scaling out" page).
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative frequency weights: an integer weight ``k`` is the same as ``k``
            copies of the row.

        Returns
        -------
        self : AlternatingOLSReLURegressor
            The fitted estimator.
        """
        min_samples = self._min_fit_rows()
        self._check_interval_input(X, y, sample_weight)
        X, Y, sample_weight, self._y_was_1d = validate_fit_data(
            self, X, y, sample_weight, min_samples=min_samples, allow_dask=True
        )
        fit = self._fit_alternating(X, Y, sample_weight, Y.ravel() if self._y_was_1d else Y)
        self.network_ = self._network(
            fit.W, fit.beta, fit.b0, fit.scaling, fit.y_mean, fit.y_scale, fit.slope
        )
        fit.progress.close()
        self._calibrate_intervals(X, Y, sample_weight)
        return self

    def _refit_params(self):
        """Parameters that refit the choices of this fit (for the cross-fitted intervals)."""
        return dict(alpha=self.alpha_, max_iter=max(self.n_iter_, 1), early_stopping=False)
