"""The scikit-learn estimator around :mod:`skgiant._alternating`."""

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state

from ._alternating import AlternatingConfig, Problem, fit_alternating
from ._base import (
    FitProgress,
    TwoLayerRegressorBase,
    standardize_targets,
    validate_fit_data,
    warn_dead_units,
)
from ._blocks import RowData
from ._compat import Interval, StrOptions, _fit_context, validate_parameter_constraints
from ._network import TwoLayerNetwork, input_scaling
from ._ridge import LinAlgConditionWarning

#: ``batch_size="auto"``: hidden-layer solves use all rows up to this many, and a fresh
#: random subset of this many beyond.
AUTO_BATCH_ROWS = 50_000

#: The published recipe (Barbu, 2023): ``AlternatingOLSReLURegressor(**PUBLISHED_PARAMS,
#: alpha=1e-3 / n_samples)``. The penalty ``lambda = 1e-3`` of the paper is on
#: un-normalized sums, so in this package's normalized convention it depends on the
#: number of training rows and is set separately.
PUBLISHED_PARAMS = dict(
    n_hidden=64,
    max_iter=30,
    step_fraction=1.0,
    init_scale="standard",
    tol=0.0,
    solver_options=dict(rebalance=False, revive_dead_units=False),
)

#: Settings of the solver reachable through ``solver_options``, with their defaults and
#: constraints (those of the :class:`~skgiant._alternating.AlternatingConfig` field).
SOLVER_OPTION_DEFAULTS = dict(
    max_inner_iter=30, inner_tol=1e-6, rebalance=True, revive_dead_units=True, max_rejections=6
)
SOLVER_OPTION_CONSTRAINTS = {
    "max_inner_iter": [Interval(Integral, 1, None, closed="left")],
    "inner_tol": [Interval(Real, 0, 1, closed="neither")],
    "rebalance": ["boolean"],
    "revive_dead_units": ["boolean"],
    "max_rejections": [Interval(Integral, 1, None, closed="left")],
}


def solver_options(options):
    """``SOLVER_OPTION_DEFAULTS`` updated with ``options`` (a dict or None), validated.

    Raises
    ------
    ValueError
        For a key that is not a solver option (the message lists the valid ones), or a
        value out of its range (``InvalidParameterError``, a ``ValueError``).
    """
    options = {} if options is None else dict(options)
    unknown = sorted(set(options) - set(SOLVER_OPTION_DEFAULTS))
    if unknown:
        raise ValueError(
            f"Unknown solver_options {unknown} for AlternatingOLSReLURegressor; valid keys "
            f"are {sorted(SOLVER_OPTION_DEFAULTS)}."
        )
    validate_parameter_constraints(
        SOLVER_OPTION_CONSTRAINTS, options, caller_name="AlternatingOLSReLURegressor"
    )
    return {**SOLVER_OPTION_DEFAULTS, **options}


class AlternatingOLSReLURegressor(TwoLayerRegressorBase):
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
        readout at initialization (exact leave-one-out with fewer rows than units, the
        rule of ``GiantStepRegressor``), and keeps it for the whole fit.
    negative_slope : float in [0, 1), default=0.0
        Leaky-ReLU slope ``s`` for negative inputs (0 is ReLU).
    tol : float >= 0, default=1e-4
        Stop when an accepted iteration lowers ``J`` by at most ``tol * J``. Also the
        relative improvement of the validation error that counts with
        ``early_stopping``. With ``step_fraction=1.0`` the fit also stops when a step
        changes no activation (the exact optimum of the current linear region).
        0 (with a damped step) runs all ``max_iter`` iterations.
    init_scale : {"fan_in", "standard"} or float in [1e-6, 1e6], default="fan_in"
        First-layer initialization (on standardized inputs). ``"fan_in"``: input weights
        N(0, 1/n_features), biases N(0, 1). ``"standard"``: all entries N(0, 1), as
        published. A float ``s`` in ``[1e-6, 1e6]``: all entries N(0, s**2).
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
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the rows, return the iterate with the least
        validation error and stop after ``n_iter_no_change`` iterations without
        improvement.
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

    _parameter_constraints = {
        "n_hidden": [Interval(Integral, 1, None, closed="left")],
        "max_iter": [Interval(Integral, 0, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left"), None, StrOptions({"auto"})],
        "step_fraction": [Interval(Real, 0, 1, closed="right"), StrOptions({"auto"})],
        "alpha": [Interval(Real, 0, None, closed="left"), StrOptions({"auto"})],
        "negative_slope": [Interval(Real, 0, 1, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "init_scale": [
            StrOptions({"fan_in", "standard"}),
            Interval(Real, 1e-6, 1e6, closed="both"),
        ],
        "solver": [StrOptions({"auto", "dense", "cg"})],
        "solver_options": [dict, None],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "clip_inputs": ["boolean"],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

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
        init_scale="fan_in",
        solver="auto",
        solver_options=None,
        early_stopping=False,
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
        self.init_scale = init_scale
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
        """Fit the network.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training inputs (float32 is kept for predictions; solves are float64).
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
        min_samples = 3 if self.early_stopping else 2
        X, Y, sample_weight, self._y_was_1d = validate_fit_data(
            self, X, y, sample_weight, min_samples=min_samples
        )
        if not np.all(np.isfinite(Y)):  # validate_data already rejects these; belt and braces
            raise ValueError("y contains NaN or infinity.")
        options = solver_options(self.solver_options)
        rng = np.random.default_rng(check_random_state(self.random_state).randint(2**31 - 1))

        # inputs and targets are standardized on the fly by the row blocks; the scalings
        # are folded into the network afterwards
        scaling = input_scaling(X, sample_weight, clip=self.clip_inputs)
        y_mean, y_scale = standardize_targets(Y, sample_weight)
        slope = float(self.negative_slope)
        data = RowData(
            X, np.asarray(Y, dtype=np.float64), sample_weight, scaling["input_mean"],
            scaling["input_scale"], y_mean, y_scale,
        )  # fmt: skip
        problem, validation = self._split(data, slope, rng)

        def network(state):
            return self._network(*state, scaling, y_mean, y_scale, slope)

        progress = FitProgress(
            self, X, Y.ravel() if self._y_was_1d else Y, sample_weight, self.max_iter + 2
        )  # the initialization, each iteration, and one begun but unused at the end
        progress.begin("iteration")

        def callback(record, state):
            if self.verbose:
                self._print_progress(record)
            # the solver reports each iteration when it ends: close it, open the next
            state = tuple(np.copy(a) for a in state)
            stop = progress.end(lambda: network(state))
            progress.begin("iteration")
            return stop

        config = AlternatingConfig(
            n_hidden=self.n_hidden, max_iter=self.max_iter, alpha=self.alpha,
            step_fraction=self.step_fraction, batch_size=self._resolve_batch_size(problem.n),
            tol=self.tol, init_scale=self.init_scale, solver=self.solver,
            n_iter_no_change=self.n_iter_no_change, **options,
        )  # fmt: skip
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", LinAlgConditionWarning)
            result = fit_alternating(
                problem, config, rng=rng, validation=validation, callback=callback
            )
        progress.end_unused()
        # with a constant y (or constant X) the mean is the exact fit: only the penalty
        # keeps shrinking, so neither convergence nor dead units are worth a warning
        positive = X[sample_weight > 0]
        informative = bool(np.any(Y != y_mean) and np.any(positive != positive[0]))
        W, beta, b0 = self._checked_weights(result, informative, options)
        self.network_ = self._network(W, beta, b0, scaling, y_mean, y_scale, slope)
        self._store_history(result, validation)
        progress.close()
        return self

    def _split(self, data, slope, rng):
        """Training and validation problems (validation None without early stopping)."""
        if not self.early_stopping:
            return Problem(data, slope), None
        n = data.n
        n_val = min(max(1, int(round(self.validation_fraction * n))), n - 2)
        perm = rng.permutation(n)
        val_idx, train = np.sort(perm[:n_val]), np.sort(perm[n_val:])
        weight = data.weight
        if not (weight[val_idx].sum() > 0 and np.count_nonzero(weight[train]) >= 2):
            return Problem(data, slope), None  # too few weighted rows to hold any out
        return Problem(data.take(train), slope), Problem(data.take(val_idx), slope)

    def _checked_weights(self, result, informative, options):
        """The fitted weights, after the warnings the fit calls for."""
        W, beta, b0 = result.W, result.beta, result.b0
        if not (np.all(np.isfinite(W)) and np.all(np.isfinite(beta)) and np.all(np.isfinite(b0))):
            # cannot happen through the safeguards; keep the promise of a finite model
            warnings.warn(
                "The fit produced non-finite weights; falling back to the mean predictor.",
                ConvergenceWarning,
                stacklevel=3,
            )
            W, beta, b0 = np.nan_to_num(W), np.zeros_like(beta), np.zeros_like(b0)
        if "eigh" in result.warnings or "nonfinite" in result.warnings:
            warnings.warn(
                "Some hidden-layer systems were numerically singular or non-finite; they "
                "were solved by eigendecomposition or skipped. Increase alpha or use "
                "step_fraction='auto'.",
                LinAlgConditionWarning,
                stacklevel=3,
            )
        if not result.converged and self.max_iter > 0 and informative:
            warnings.warn(
                f"AlternatingOLSReLURegressor stopped at max_iter={self.max_iter} while the "
                f"loss still decreased by more than tol={self.tol:g} per iteration; "
                "increase max_iter or tol.",
                ConvergenceWarning,
                stacklevel=3,
            )
        if informative:
            warn_dead_units(
                self,
                result.history[-1].dead_units,
                self.n_hidden,
                "Set solver_options={'revive_dead_units': True} or lower alpha.",
                # without revival every dead unit is lost for good: say so
                limit=None if options["revive_dead_units"] else 0,
            )
        return W, beta, b0

    def _store_history(self, result, validation):
        self.n_iter_ = result.n_iter
        self.best_iter_ = result.best_iter
        self.alpha_ = result.alpha
        self.alpha_scores_ = result.alpha_scores
        self.history_ = result.history
        self.loss_curve_ = np.array([record.loss for record in result.history])
        self.validation_scores_ = (
            np.array([record.val_mse for record in result.history])
            if validation is not None
            else None
        )
        self.stop_reason_ = result.stop_reason

    def _resolve_batch_size(self, n):
        """Rows of a hidden-layer solve (None: all of them)."""
        if self.batch_size == "auto":
            return AUTO_BATCH_ROWS if n > AUTO_BATCH_ROWS else None
        return self.batch_size

    @staticmethod
    def _network(W, beta, b0, scaling, y_mean, y_scale, slope):
        """The network on raw inputs and targets from standardized-unit weights."""
        d = W.shape[1] - 1
        return TwoLayerNetwork(
            weights=W[:, :d],
            bias=W[:, d],
            activation="relu",
            negative_slope=slope,
            feature_scale=1.0,
            coef=beta * y_scale,
            intercept=y_mean + b0 * y_scale,
            **scaling,
        )

    def _print_progress(self, record):
        print(
            f"[{type(self).__name__}] iter {record.iter:3d} loss {record.loss:.6g} "
            f"mse {record.mse:.6g} surrogate {record.surrogate:.6g} "
            f"flips {record.flip_fraction:.3f} dead {record.dead_units} "
            f"{'accepted' if record.accepted else 'rejected'} step {record.step:g} "
            f"({record.method}, {record.time:.2f}s)"
        )
