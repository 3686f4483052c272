"""Plots in the scikit-learn ``Display`` style: training history and teacher alignment.

matplotlib is optional: it is imported only when a display is plotted.
"""

import numpy as np

from .diagnostics import alignment


def _import_pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - exercised by monkeypatching sys.modules
        raise ImportError(
            "Plotting needs matplotlib: pip install matplotlib (or pip install 'skgiant[doc]')."
        ) from exc
    return plt


def _final_estimator(estimator):
    """The last step of a pipeline, or the internal regressor of GiantStepFeatures."""
    if hasattr(estimator, "steps"):
        estimator = estimator.steps[-1][1]
    if hasattr(estimator, "regressor_") and not hasattr(estimator, "loss_curve_"):
        estimator = estimator.regressor_
    return estimator


def _get_ax(ax):
    plt = _import_pyplot()
    if ax is None:
        _, ax = plt.subplots()
    return ax


class TrainingHistoryDisplay:
    """Training loss per giant step or per alternating iteration.

    Create it with :meth:`from_estimator` from a fitted
    :class:`~skgiant.GiantStepRegressor`, :class:`~skgiant.AlternatingOLSReLURegressor`,
    :class:`~skgiant.GiantStepFeatures` or a pipeline ending in one, then call
    :meth:`plot`. The values come from the estimator's ``loss_curve_``:

    - ``GiantStepRegressor``: the batch loss ``(1/2S) sum w (y - f)**2`` on standardized
      targets, with the second layer frozen, *before* each giant step (step ``k`` on the
      x axis is the loss seen by step ``k``; the readout is fitted after the last one).
      It is empty when no step was taken (e.g. ``step_size_ == 0``).
    - ``AlternatingOLSReLURegressor``: the penalized training loss ``J`` (standardized
      targets) at initialization (iteration 0) and after each iteration, plus the
      validation MSE per iteration when the estimator used ``early_stopping``.

    Parameters
    ----------
    iterations : ndarray of shape (n_points,)
        x values (step or iteration numbers).
    loss : ndarray of shape (n_points,)
        Training loss at each x value.
    xlabel : str
        Label of the x axis.
    ylabel : str
        Label of the y axis.
    validation_loss : ndarray of shape (n_points,) or None, default=None
        Validation loss at the same x values, if any.
    estimator_name : str or None, default=None
        Name used in the legend.

    Attributes
    ----------
    line_ : matplotlib Line2D
        The training-loss line.
    validation_line_ : matplotlib Line2D or None
        The validation line, if any.
    ax_ : matplotlib Axes
        Axes with the plot.
    figure_ : matplotlib Figure
        Figure containing the plot.

    See Also
    --------
    AlignmentDisplay : alignment of the learned first layer with teacher directions.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import make_friedman1
    >>> from skgiant import AlternatingOLSReLURegressor, TrainingHistoryDisplay
    >>> X, y = make_friedman1(n_samples=300, random_state=0)
    >>> model = AlternatingOLSReLURegressor(n_hidden=8, tol=0.03, random_state=0)
    >>> display = TrainingHistoryDisplay.from_estimator(model.fit(X, y))
    >>> display.loss.shape == (model.n_iter_ + 1,)
    True
    """

    def __init__(
        self, *, iterations, loss, xlabel, ylabel, validation_loss=None, estimator_name=None
    ):
        self.iterations = iterations
        self.loss = loss
        self.xlabel = xlabel
        self.ylabel = ylabel
        self.validation_loss = validation_loss
        self.estimator_name = estimator_name

    @classmethod
    def from_estimator(cls, estimator, *, ax=None, name=None, **kwargs):
        """Plot the training history of a fitted estimator.

        Parameters
        ----------
        estimator : estimator or Pipeline
            A fitted ``GiantStepRegressor``, ``AlternatingOLSReLURegressor`` or
            ``GiantStepFeatures``, or a pipeline ending in one.
        ax : matplotlib Axes, default=None
            Axes to plot on; a new figure is created if None.
        name : str, default=None
            Legend name; the estimator's class name if None.
        **kwargs : dict
            Passed to ``matplotlib.axes.Axes.plot`` for the training line.

        Returns
        -------
        display : TrainingHistoryDisplay
            The display, already plotted.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from sklearn.datasets import make_friedman1
        >>> from skgiant import GiantStepRegressor, TrainingHistoryDisplay
        >>> X, y = make_friedman1(n_samples=400, random_state=0)
        >>> model = GiantStepRegressor(n_hidden=64, n_steps=3, step_size=0.5, random_state=0)
        >>> display = TrainingHistoryDisplay.from_estimator(model.fit(X, y))
        >>> display.iterations.tolist()
        [1, 2, 3]
        """
        final = _final_estimator(estimator)
        if not hasattr(final, "loss_curve_") or not hasattr(final, "history_"):
            raise ValueError(
                "TrainingHistoryDisplay needs a fitted GiantStepRegressor, "
                "AlternatingOLSReLURegressor or GiantStepFeatures (or a pipeline ending in "
                f"one); got {type(final).__name__} without loss_curve_ and history_. Fit it "
                "first."
            )
        loss = np.asarray(final.loss_curve_, dtype=float)
        validation = None
        if hasattr(final, "step_size_"):  # giant steps: loss before step 1, 2, ...
            iterations = np.arange(1, loss.size + 1)
            xlabel = "giant step"
            ylabel = "batch loss before the step (standardized y)"
        else:
            iterations = np.arange(loss.size)
            xlabel = "iteration (0 = initialization)"
            ylabel = "penalized training loss J (standardized y)"
            scores = getattr(final, "validation_scores_", None)
            if scores is not None:
                validation = np.asarray(scores, dtype=float)
        display = cls(
            iterations=iterations,
            loss=loss,
            xlabel=xlabel,
            ylabel=ylabel,
            validation_loss=validation,
            estimator_name=name or type(final).__name__,
        )
        return display.plot(ax=ax, **kwargs)

    def plot(self, ax=None, *, name=None, **kwargs):
        """Plot the history.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to plot on; a new figure is created if None.
        name : str, default=None
            Legend name; ``estimator_name`` if None.
        **kwargs : dict
            Passed to ``matplotlib.axes.Axes.plot`` for the training line.

        Returns
        -------
        display : TrainingHistoryDisplay
            ``self``, with ``line_``, ``validation_line_``, ``ax_`` and ``figure_`` set.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import numpy as np
        >>> from skgiant import TrainingHistoryDisplay
        >>> display = TrainingHistoryDisplay(
        ...     iterations=np.arange(3), loss=np.array([1.0, 0.5, 0.4]),
        ...     xlabel="iteration", ylabel="loss")
        >>> display.plot().line_.get_ydata().tolist()
        [1.0, 0.5, 0.4]
        """
        ax = _get_ax(ax)
        name = name or self.estimator_name
        kwargs.setdefault("marker", "o")
        (self.line_,) = ax.plot(self.iterations, self.loss, label=f"{name} (train)", **kwargs)
        self.validation_line_ = None
        if self.validation_loss is not None:
            (self.validation_line_,) = ax.plot(
                self.iterations[: len(self.validation_loss)],
                self.validation_loss,
                marker="s",
                linestyle="--",
                label=f"{name} (validation MSE)",
            )
        if len(self.loss) == 0:
            ax.text(
                0.5,
                0.5,
                "no step taken (step_size_ = 0 or n_steps = 0)",
                ha="center",
                va="center",
                transform=ax.transAxes,
            )
        ax.set_xlabel(self.xlabel)
        ax.set_ylabel(self.ylabel)
        ax.legend(loc="best")
        self.ax_ = ax
        self.figure_ = ax.figure
        return self


class AlignmentDisplay:
    """Alignment of the learned first layer with known teacher directions.

    For each teacher direction ``u_r`` it shows the distribution over hidden units of
    ``|cos(w_j, u_r)|`` (computed by :func:`skgiant.diagnostics.alignment`), with a
    dashed line at ``1 / sqrt(d)``, the root-mean-square value for random directions in
    dimension ``d``. Units far to the right of that line have learned the direction.
    Useful on synthetic data from :mod:`skgiant.datasets`, where the directions are known.
    Inside a pipeline the weights act on the transformed inputs (a ``StandardScaler``
    leaves standard Gaussian inputs nearly unchanged).

    Parameters
    ----------
    cosines : ndarray of shape (n_hidden, n_directions)
        ``|cos(w_j, u_r)|`` per unit and direction.
    n_features : int
        Input dimension ``d`` (sets the random level ``1 / sqrt(d)``).
    direction_labels : list of str or None, default=None
        Legend label of each direction; ``"direction r"`` if None.
    estimator_name : str or None, default=None
        Name used in the title.

    Attributes
    ----------
    hist_ : list of matplotlib artists
        One histogram per direction.
    random_line_ : matplotlib Line2D
        The random-level marker.
    ax_ : matplotlib Axes
        Axes with the plot.
    figure_ : matplotlib Figure
        Figure containing the plot.

    See Also
    --------
    skgiant.diagnostics.alignment : the numbers behind the plot.
    TrainingHistoryDisplay : loss per step or iteration.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from skgiant import AlignmentDisplay, GiantStepRegressor
    >>> from skgiant.datasets import make_multi_index
    >>> X, y, directions = make_multi_index(1000, 16, target="T1", random_state=0)
    >>> model = GiantStepRegressor(n_hidden=64, n_steps=1, step_size=1.0, random_state=0)
    >>> display = AlignmentDisplay.from_estimator(model.fit(X, y), directions)
    >>> display.cosines.shape
    (64, 2)
    """

    def __init__(self, *, cosines, n_features, direction_labels=None, estimator_name=None):
        self.cosines = cosines
        self.n_features = n_features
        self.direction_labels = direction_labels
        self.estimator_name = estimator_name

    @classmethod
    def from_estimator(cls, estimator, directions, *, ax=None, name=None, direction_labels=None):
        """Plot the alignment of a fitted estimator's first layer with ``directions``.

        Parameters
        ----------
        estimator : estimator or Pipeline
            A fitted estimator with ``network_`` (``GiantStepRegressor``,
            ``AlternatingOLSReLURegressor``, ``GiantStepFeatures``) or a pipeline ending
            in one.
        directions : ndarray of shape (k, d) or (d,)
            Teacher directions, e.g. the third value returned by the generators of
            :mod:`skgiant.datasets`.
        ax : matplotlib Axes, default=None
            Axes to plot on; a new figure is created if None.
        name : str, default=None
            Title name; the estimator's class name if None.
        direction_labels : list of str, default=None
            Legend label of each direction.

        Returns
        -------
        display : AlignmentDisplay
            The display, already plotted.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from skgiant import AlignmentDisplay, GiantStepRegressor
        >>> from skgiant.datasets import make_single_index
        >>> X, y, u = make_single_index(800, 8, random_state=0)
        >>> model = GiantStepRegressor(n_hidden=32, n_steps=1, step_size=1.0, random_state=0)
        >>> AlignmentDisplay.from_estimator(model.fit(X, y), u).cosines.shape
        (32, 1)
        """
        cosines = alignment(estimator, directions, per_direction=True)
        final = _final_estimator(estimator)
        display = cls(
            cosines=cosines,
            n_features=np.atleast_2d(directions).shape[1],
            direction_labels=direction_labels,
            estimator_name=name or type(final).__name__,
        )
        return display.plot(ax=ax)

    def plot(self, ax=None, *, name=None, bins=20):
        """Plot one histogram of ``|cos(w_j, u_r)|`` per direction.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to plot on; a new figure is created if None.
        name : str, default=None
            Title name; ``estimator_name`` if None.
        bins : int, default=20
            Histogram bins on ``[0, 1]``.

        Returns
        -------
        display : AlignmentDisplay
            ``self``, with ``hist_``, ``random_line_``, ``ax_`` and ``figure_`` set.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import numpy as np
        >>> from skgiant import AlignmentDisplay
        >>> display = AlignmentDisplay(cosines=np.array([[0.9], [0.1]]), n_features=4)
        >>> len(display.plot().hist_)
        1
        """
        ax = _get_ax(ax)
        cosines = np.asarray(self.cosines, dtype=float)
        if cosines.ndim == 1:  # one direction
            cosines = cosines[:, None]
        labels = self.direction_labels or [f"direction {r + 1}" for r in range(cosines.shape[1])]
        if len(labels) != cosines.shape[1]:
            raise ValueError(
                f"direction_labels has {len(labels)} entries for {cosines.shape[1]} directions."
            )
        self.hist_ = []
        edges = np.linspace(0.0, 1.0, bins + 1)
        for r, label in enumerate(labels):
            rms = float(np.sqrt(np.mean(cosines[:, r] ** 2)))
            *_, patches = ax.hist(
                cosines[:, r], bins=edges, alpha=0.6, label=f"{label} (RMS {rms:.2f})"
            )
            self.hist_.append(patches)
        level = 1.0 / np.sqrt(self.n_features)
        self.random_line_ = ax.axvline(
            level, color="k", linestyle="--", label=f"random level 1/sqrt(d) = {level:.2f}"
        )
        ax.set_xlim(0.0, 1.0)
        ax.set_xlabel("|cos(w_j, u_r)| over hidden units j")
        ax.set_ylabel("number of hidden units")
        ax.set_title(f"{name or self.estimator_name or 'first layer'}: alignment")
        ax.legend(loc="best")
        self.ax_ = ax
        self.figure_ = ax.figure
        return self
