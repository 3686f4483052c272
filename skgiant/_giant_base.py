"""What the giant-step estimators share: parameters, the first pass over the rows, the
call of the solver and the fitted attributes.

The algorithm is :func:`skgiant._giant_solver.fit_giant_steps`; an estimator validates its
data, encodes its targets as a matrix and calls :meth:`GiantStepBase._fit_giant_steps`.
``partial_fit`` streams the readout on top of a first fit (:mod:`skgiant._streaming`):
:meth:`GiantStepBase._start_stream` after the fit on the first batch,
:meth:`GiantStepBase._continue_stream` for every later batch.
"""

import warnings
from dataclasses import replace
from functools import partial
from numbers import Integral, Real

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state

from ._activations import ACTIVATIONS
from ._base import FitProgress, is_dask_collection, warn_dead_units
from ._blocks import RowData
from ._chunks import chunk_n_rows
from ._compat import Interval, StrOptions
from ._giant import LEARNING_RATE_SCALINGS, init_first_layer, readout_features
from ._giant_solver import (
    SOLVER_OPTIONS,
    FirstLayer,
    GiantStepConfig,
    Monitor,
    first_pass,
    fit_giant_steps,
    linear_fit,
    linear_fit_rows,
    selection_sample_rows,
)
from ._memory import require_memory
from ._network import TwoLayerNetwork, scaling_from_moments
from ._readout import LOO_ROWS
from ._streaming import add_batch, solve_stream, start_stream

#: Row chunks beyond this size only cost memory traffic (``working_memory`` can lower it
#: further): at width 1024, 1024-row chunks make the Gram pass about 15% faster than one
#: 8000-row block.
_MAX_CHUNK = 1024


class GiantStepBase:
    """Mixin of the giant-step estimators (the parameters are documented on them)."""

    _parameter_constraints = {
        "n_hidden": [Interval(Integral, 1, None, closed="left")],
        "n_steps": [Interval(Integral, 0, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "step_size": [Interval(Real, 0, None, closed="left"), StrOptions({"auto"})],
        "alpha": [Interval(Real, 0, None, closed="left"), StrOptions({"auto"})],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "bias_scale": [Interval(Real, 0, 1e6, closed="both")],
        "remove_linear": ["boolean"],
        "linear_readout": ["boolean"],
        "second_layer": [StrOptions({"refit", "frozen"})],
        "clip_inputs": ["boolean"],
        "warm_start": ["boolean"],
        "verbose": ["verbose"],
        "random_state": ["random_state"],
        "solver_options": [dict, None],
    }

    def _fit_giant_steps(self, X, Y, sw, y_user, continuing, readout_method=None):
        """Fit on validated data: ``Y`` is the float64 target matrix, ``y_user`` what
        callbacks are given as ``y``. Sets the fitted attributes; returns the scaling of
        the rows (``input_*`` as the network takes them, and the targets' ``y_mean``
        and ``y_scale``). A fit ends any ``partial_fit`` stream. ``readout_method``
        is passed to :meth:`_final_readout`."""
        self.__dict__.pop("_stream", None)
        config = self._config(continuing)
        self._check_problem(X.shape[0], X.shape[1], Y.shape[1], continuing)
        rng = check_random_state(self.random_state)
        start = self._first_layer(rng, X.shape[1], Y.shape[1], config, continuing)
        select = config.step_size is None and config.n_steps > 0
        chunk = min(chunk_n_rows(X.shape[0], 3 * self.n_hidden + 2 * X.shape[1]), _MAX_CHUNK)
        raw = _row_data_class(X)(X, Y, sw, chunk=chunk)
        sample_rows = selection_sample_rows(rng, X.shape[0], config) if select else None
        data, scaling, linear, sample, informative = self._first_pass(
            raw, config, sample_rows, continuing
        )
        progress = FitProgress(self, X, y_user, sw, config.n_steps + 1)
        to_network = partial(self._build_network, d=X.shape[1], scaling=scaling)
        result = fit_giant_steps(
            data, config, start, linear=linear, sample=sample,
            monitor=_Progress(progress, to_network), verbose=self.verbose,
            final_readout=self._final_readout(config, readout_method),
        )  # fmt: skip
        for note in result.warnings:
            warnings.warn(note, ConvergenceWarning, stacklevel=2)
        self.batch_size_ = config.resolve_batch_size(X.shape[0])
        self._set_fitted(result, start, continuing)
        self.network_ = to_network(result.W, result.b, result.readout)
        if self.activation == "relu" and informative:
            # a ReLU unit is dead when its weighted mean activation is exactly zero
            dead = int(np.count_nonzero(self._hidden_means(result)[: self.n_hidden] <= 0))
            warn_dead_units(self, dead, self.n_hidden, "Lower step_size or bias_scale.")
        progress.close()
        return scaling

    def _final_readout(self, config, method=None):
        """The model's readout ``(data, W, b) -> readout``; None: the ridge readout.
        ``method`` chooses among a subclass's readouts (None: its own rule)."""
        return None

    def _config(self, continuing):
        """The solver configuration from the parameters (and the first fit, to continue)."""
        options = dict(self.solver_options or {})
        unknown = set(options) - set(SOLVER_OPTIONS)
        if unknown:
            raise ValueError(
                f"Unknown solver_options {sorted(unknown)}; valid keys are {list(SOLVER_OPTIONS)}."
            )
        _check_solver_options(options)
        given = options.pop("step_size_grid", GiantStepConfig.step_size_grid)
        grid = np.asarray(given, dtype=float).ravel()
        if self.step_size == "auto" and (grid.size == 0 or np.any(~np.isfinite(grid) | (grid < 0))):
            raise ValueError(
                "solver_options['step_size_grid'] must be a non-empty sequence of finite "
                f"non-negative numbers; got {given!r}."
            )
        step_size = None if self.step_size == "auto" else float(self.step_size)
        if continuing and step_size is None:
            # a number given now wins; "auto" keeps the step size chosen by the first fit
            step_size = self.step_size_
        return GiantStepConfig(
            n_steps=self.n_steps,
            step_size=step_size,
            step_size_grid=tuple(grid),
            batch_size=None if self.batch_size == "auto" else self.batch_size,
            alpha=self.alpha,
            activation=self.activation,
            remove_linear=self.remove_linear,
            linear_readout=self.linear_readout,
            second_layer=self.second_layer,
            **options,
        )

    def _check_problem(self, n, d, m, continuing):
        if continuing and m != self.initial_signs_.shape[1]:
            raise ValueError(
                f"warm_start: y has {m} outputs but the fitted model has "
                f"{self.initial_signs_.shape[1]}."
            )
        n_readout = self.n_hidden + (d if self.linear_readout else 0)
        require_memory(
            8 * (3 * n_readout**2 + 3 * min(n, n_readout) * n_readout),
            f"The readout of n_hidden={self.n_hidden} units (a {n_readout} x {n_readout} "
            "Gram matrix and its eigenvectors)",
            "Lower n_hidden.",
        )

    def _first_layer(self, rng, d, m, config, continuing):
        """The initial first layer (or the fitted one, to continue)."""
        if continuing:
            net = self.network_
            return FirstLayer(
                net.weights.copy(), net.bias.copy(), self.initial_signs_, self._trainable,
                self._batch_seed, self.n_iter_,
            )  # fmt: skip
        W, b, a = init_first_layer(
            rng, d, self.n_hidden, m, bias_scale=self.bias_scale, symmetric=config.symmetric_init
        )
        seed = int(rng.randint(2**31 - 1))
        trainable = trainable_units(rng, self.n_hidden, config)
        return FirstLayer(W, b, a, trainable, seed)

    def _first_pass(self, raw, config, sample_rows, continuing):
        """Read the rows once: standardization, clipping range, the linear fit of the
        labels and the selection sample. Returns ``(data, scaling, linear, sample,
        informative)`` with ``data`` the standardized rows."""
        d = raw.n_features
        linear_rows = linear_fit_rows(raw.weights, d) if self.remove_linear else None
        wanted = [r for r in (sample_rows, linear_rows) if r is not None]
        gather = np.unique(np.concatenate(wanted)) if wanted else np.zeros(0, dtype=int)
        first = first_pass(raw, gather, cross=self.remove_linear)
        x_moments = first.moments.columns(slice(0, d))
        y_moments = first.moments.columns(slice(d, None))
        previous = None
        if continuing:
            net = self.network_
            previous = dict(mean=net.input_mean, scale=net.input_scale,
                            bounds=(net.input_low, net.input_high))  # fmt: skip
        scaling = scaling_from_moments(x_moments, clip=self.clip_inputs, previous=previous)
        y_mean, y_scale = y_moments.mean_and_scale()
        scaling.update(y_mean=y_mean, y_scale=y_scale)
        shift = np.r_[scaling["input_mean"], y_mean]
        scale = np.r_[scaling["input_scale"], y_scale]
        standardize = (scaling["input_mean"], scaling["input_scale"], y_mean, y_scale)
        linear = None
        if self.remove_linear:
            rows = first.subset(linear_rows, *standardize)
            stats = None if raw.weights.n_weighted < d else first.moments.gram_statistics(
                d, raw.weight_sum, shift=shift, scale=scale
            )  # fmt: skip
            linear = linear_fit(stats, (rows.X, rows.Y, rows.weights.array()))
        sample = None if sample_rows is None else first.subset(sample_rows, *standardize)
        informative = bool(np.any(x_moments.low < x_moments.high)) and bool(
            np.any(y_moments.low < y_moments.high)
        )  # else the mean is the exact fit
        return raw.standardized(*standardize), scaling, linear, sample, informative

    def _hidden_means(self, result):
        """Weighted mean of each readout feature on the training rows."""
        return result.readout.feature_mean

    def _set_fitted(self, result, start, continuing):
        self._set_readout_fitted(result.readout)
        self.step_size_ = result.step_size
        self.selected_step_ = result.selected
        self.selection_scores_ = result.selection_scores
        self.step_size_scores_ = {}
        for (c, _), score in result.selection_scores.items():
            self.step_size_scores_[c] = min(score, self.step_size_scores_.get(c, np.inf))
        self.initial_signs_ = start.a
        self._batch_seed = start.seed
        self._trainable = start.trainable
        self.history_ = (self.history_ if continuing else []) + result.history
        self.n_iter_ = start.start_step + len(result.history)
        self.loss_curve_ = np.array([r.batch_loss for r in self.history_])

    def _set_readout_fitted(self, readout):
        """The fitted attributes of the final readout (the ridge readout's here)."""
        self.alpha_ = float(readout.alpha)
        self.alpha_linear_ = readout.alpha_linear
        self.alpha_grid_ = readout.alpha_grid
        self.cv_mse_ = readout.cv_curve
        self.alpha_criterion_ = readout.criterion

    def _readout_coefficients(self, result, scaling):
        """``(coef, intercept)`` of the network's output layer on the readout features,
        in the units of the targets (the ridge readout on standardized targets)."""
        return (
            result.beta * scaling["y_scale"],
            result.intercept * scaling["y_scale"] + scaling["y_mean"],
        )

    def _build_network(self, W, b, result, *, d, scaling):
        p = W.shape[0]
        coef, intercept = self._readout_coefficients(result, scaling)
        return TwoLayerNetwork(
            weights=W,
            bias=b,
            activation=self.activation,
            negative_slope=0.0,
            feature_scale=1.0 / np.sqrt(p),
            coef=coef[:p],
            intercept=intercept,
            linear_coef=coef[p:] / np.sqrt(d) if self.linear_readout else None,
            **{k: v for k, v in scaling.items() if k.startswith("input_")},
        )

    # ------------------------------------------------------- streaming (partial_fit)
    #: Rows of the stream's reservoir, which scores the readout's penalties.
    _stream_capacity = LOO_ROWS

    def _stream_started(self):
        """Whether a ``partial_fit`` stream is under way (else the next call starts one)."""
        return hasattr(self, "_stream")

    def _start_stream(self, X, Y, sw, *, y_mean=None, y_scale=None):
        """After the fit on the first batch: the stream of its readout statistics.

        ``Y`` are the targets of the streamed readout, standardized by ``y_mean`` and
        ``y_scale`` when given (as given otherwise); ``sw`` the weights of the fit.
        ``X``, ``Y`` and ``sw`` may be dask collections, as :meth:`_fit_giant_steps`
        takes them: the batch is then read in its blocks (one pass).
        """
        net = self.network_
        self._stream_scaling = dict(
            input_mean=net.input_mean, input_scale=net.input_scale, y_mean=y_mean,
            y_scale=y_scale,
        )  # fmt: skip
        features, k = self._stream_features()
        data = self._stream_rows(X, Y, sw, self._stream_scaling)
        self._stream = start_stream(
            data, features, k, seed=self._batch_seed, capacity=self._stream_capacity
        )

    def _stream_rows(self, X, Y, sw, scaling):
        """A batch as :class:`~skgiant._blocks.RowData` (on the blocks of a dask array
        if given one, whose first pass checks that the rows are finite), standardized as
        ``scaling`` says (``None``: raw)."""
        raw = _row_data_class(X)(X, Y, sw, chunk=self._stream_chunk(*X.shape))
        if scaling is None:
            return raw
        return replace(
            raw, x_mean=scaling["input_mean"], x_scale=scaling["input_scale"],
            y_mean=scaling.get("y_mean"), y_scale=scaling.get("y_scale"),
        )  # fmt: skip

    def _continue_stream(self, X, Y, sw):
        """Fold a later batch (validated, targets as for :meth:`_start_stream`) into the
        stream, re-solve the readout and rebuild ``network_`` (the clipping bounds widen
        to the batch's range)."""
        net = self.network_
        scaling = dict(self._stream_scaling)
        if self.clip_inputs:  # one more pass: the range of the batch
            previous = dict(mean=net.input_mean, scale=net.input_scale,
                            bounds=(net.input_low, net.input_high))  # fmt: skip
            raw = self._stream_rows(X, Y, sw, None)
            batch = first_pass(raw, np.zeros(0, dtype=np.intp), cross=False).moments
            batch = batch.columns(slice(0, X.shape[1]))
            widened = scaling_from_moments(batch, clip=True, previous=previous)
            scaling.update(input_low=widened["input_low"], input_high=widened["input_high"])
        features, k = self._stream_features()
        data = self._stream_rows(X, Y, sw, scaling)
        self._stream = add_batch(self._stream, data, features, k)
        readout = self._solve_stream(features, k)
        self._set_readout_fitted(readout)
        d = net.weights.shape[1]
        self.network_ = self._build_network(net.weights, net.bias, readout, d=d, scaling=scaling)

    def _solve_stream(self, features, k):
        """The readout of every row streamed, from the stream's statistics (the ridge
        readout, with ``solver_options["linear_penalty_ratio"]`` for a fixed ``alpha``)."""
        ratio = None
        if self.alpha != "auto":
            ratio = (self.solver_options or {}).get("linear_penalty_ratio")
        d = self.network_.weights.shape[1]
        return solve_stream(
            self._stream, features, k, alpha=self.alpha,
            n_linear=d if self.linear_readout else 0, ratio=ratio,
        )  # fmt: skip

    def _stream_chunk(self, n, d):
        return min(chunk_n_rows(n, 3 * self.n_hidden + 2 * d), _MAX_CHUNK)

    def _stream_features(self):
        """The readout's feature map of the fitted first layer and its width."""
        net, act, linear = self.network_, self.activation, self.linear_readout
        W, b = net.weights, net.bias

        def features(X):
            return readout_features(X, W, b, act, linear)

        return features, W.shape[0] + (W.shape[1] if linear else 0)

    # ``selection_scores_`` is keyed by ``(step size, steps)`` tuples; safe formats such
    # as skops store only dicts with scalar keys, so the state holds it as triples
    def __getstate__(self):
        state = super().__getstate__()
        scores = state.get("selection_scores_")
        if isinstance(scores, dict):
            state = dict(state)
            state["selection_scores_"] = [[c, t, v] for (c, t), v in scores.items()]
        return state

    def __setstate__(self, state):
        scores = state.get("selection_scores_")
        if isinstance(scores, list):
            state = dict(state)
            state["selection_scores_"] = {(float(c), int(t)): v for c, t, v in scores}
        super().__setstate__(state)


def _row_data_class(X):
    """How the solver reads the rows of ``X``: in memory, or on the blocks of a dask
    array (:class:`skgiant._dask.DaskRowData`, imported only then)."""
    if is_dask_collection(X):
        from ._dask import DaskRowData

        return DaskRowData
    return RowData


class _Progress(Monitor):
    """The solver's monitor reporting to scikit-learn callbacks (:class:`FitProgress`)."""

    def __init__(self, progress, to_network):
        self.progress, self.to_network = progress, to_network

    def begin(self, name):
        self.progress.begin(name)

    def end(self, model):
        return self.progress.end(lambda: self.to_network(*model()))


_OPTION_CHECKS = {
    "step_size_grid": lambda v: np.ndim(v) <= 1,
    "learning_rate_scaling": lambda v: v in LEARNING_RATE_SCALINGS,
    "symmetric_init": lambda v: isinstance(v, bool | np.bool_),
    "random_fraction": lambda v: isinstance(v, Real) and 0 <= v <= 1,
    "max_row_move": lambda v: v is None or (isinstance(v, Real) and v > 0),
    "normalize_rows": lambda v: isinstance(v, bool | np.bool_),
    "selection_fraction": lambda v: isinstance(v, Real) and 0 < v < 1,
    "selection_rows": lambda v: isinstance(v, Integral) and v >= 1,
    "selection_max_folds": lambda v: isinstance(v, Integral) and v >= 1,
    "selection_max_rows": lambda v: isinstance(v, Integral) and v >= 2,
    "selection_max_width": lambda v: isinstance(v, Integral) and v >= 2,
    "selection_loo_rows": lambda v: isinstance(v, Integral) and v >= 2,
    "divergence_factor": lambda v: isinstance(v, Real) and v > 1,
    "linear_penalty_ratio": lambda v: v is None or (isinstance(v, Real) and v > 0),
}


def _check_solver_options(options):
    for key, value in options.items():
        if not _OPTION_CHECKS[key](value):
            default = getattr(GiantStepConfig, key)
            raise ValueError(
                f"solver_options[{key!r}]={value!r} is not valid (default: {default!r}); "
                "see GiantStepRegressor's solver_options for the ranges."
            )


def trainable_units(rng, p, config):
    """Boolean mask of units that take the steps (pairs stay together), or None."""
    n_frozen = int(round(config.random_fraction * p))
    if n_frozen == 0:
        return None
    half = p // 2 if config.symmetric_init else p
    frozen_pairs = rng.permutation(half)[: max(1, n_frozen * half // p)]
    mask = np.ones(p, dtype=bool)
    mask[frozen_pairs] = False
    if config.symmetric_init:
        mask[frozen_pairs + half] = False
    return mask
