"""Giant gradient steps on the first layer of a two-layer network (pure functions).

Model, in the mean-field scaling of Dandi et al. (2023)::

    f(x) = (1 / sqrt(p)) * sum_j a_j * act(<w_j, x> + b_j)

Loss on a batch ``B`` with weights ``w_i`` (``S_B = sum_{i in B} w_i``)::

    L(W, b) = (1 / (2 S_B)) * sum_{i in B} w_i * ||y_i - f(x_i)||**2

A giant step is one full-batch gradient step ``W <- W - eta * dL/dW`` with the second
layer ``a`` held fixed and a learning rate ``eta`` that grows with the width (each row's
gradient is O(1/p)). The second layer is the frozen random signs (the theory), or the
rescaled coefficients of a readout fitted after the previous step, with that readout's
residuals as the labels (:func:`normalized_second_layer`). Nothing here knows about
scikit-learn: arrays in, arrays and a history out.
"""

from dataclasses import dataclass

import numpy as np

from ._activations import activation, activation_grad
from .diagnostics import effective_rank

LEARNING_RATE_SCALINGS = ("giant", "width", "constant")


def learning_rate(step_size, *, scaling, n_hidden, batch_weight, n_features):
    """The learning rate ``eta`` for a step-size constant ``c``.

    * ``"giant"``: ``eta = c * p * sqrt(n / d)``, the convention of Dandi et al. in which
      ``c`` of order one moves every row by order one whatever ``n/d``;
    * ``"width"``: ``eta = c * p`` (the authors' multi-step notebooks at ``n = d``);
    * ``"constant"``: ``eta = c`` (the lazy regime, for comparisons).

    ``n`` is the batch's total weight (its number of rows for unit weights).
    """
    if scaling == "giant":
        return step_size * n_hidden * np.sqrt(batch_weight / n_features)
    if scaling == "width":
        return step_size * n_hidden
    if scaling == "constant":
        return float(step_size)
    raise ValueError(f"unknown learning-rate scaling {scaling!r}")


def init_first_layer(rng, n_features, n_hidden, n_outputs, *, bias_scale, symmetric):
    """Random first layer and frozen second layer.

    ``W`` has i.i.d. N(0, 1/d) entries (rows of norm about one), biases N(0, bias_scale**2),
    second-layer weights ``a = +-1/sqrt(p)`` (so ``f = (1/p) sum_j +-act(...)``, the mean-field
    scale in which each row's gradient is O(1/p)).
    With ``symmetric=True`` units come in pairs with the same first-layer weights and
    opposite signs, so the network output is exactly zero at initialization and the first
    gradient is a pure label-feature correlation (an odd last unit gets ``a = 0``).

    Returns ``(W, b, a)`` with shapes ``(p, d)``, ``(p,)``, ``(p, m)``.
    """
    W = rng.standard_normal((n_hidden, n_features)) / np.sqrt(n_features)
    b = bias_scale * rng.standard_normal(n_hidden) if bias_scale > 0 else np.zeros(n_hidden)
    a = rng.choice([-1.0, 1.0], size=(n_hidden, n_outputs)) / np.sqrt(n_hidden)
    if symmetric:
        half = n_hidden // 2
        W[half : 2 * half] = W[:half]
        b[half : 2 * half] = b[:half]
        a[half : 2 * half] = -a[:half]
        a[2 * half :] = 0.0
    return W, b, a


def network_output(X, W, b, a, act, slope=0.0):
    """``f(X)`` for the model above, shape ``(len(X), m)``."""
    return activation(act, X @ W.T + b, slope) @ a / np.sqrt(W.shape[0])


def first_layer_gradient(data, W, b, a, *, act, targets=None, batch=None, slope=0.0):
    """Negative gradient of the batch loss with respect to ``W`` and ``b``: one pass.

    Parameters
    ----------
    data : RowData
        The rows (:mod:`skgiant._blocks`), inputs and labels as the network sees them.
    W, b, a : the network.
    act : str
        Activation name.
    targets : callable, optional
        ``targets(block)`` returns what the step follows on a block of rows. By default
        the block's labels, from which the network output is subtracted. When given, its
        values are taken as the residuals ``y - f(x)`` of the model the step follows (the
        labels minus a linear fit, or the residuals of a refitted readout, see
        :func:`normalized_second_layer`): the network output is not subtracted, and
        ``a`` only weights each unit's share of the gradient.
    batch : ndarray of bool of shape (n,), optional
        The rows of the batch (default: every row).

    Returns
    -------
    neg_grad_W : ndarray of shape (p, d)
    neg_grad_b : ndarray of shape (p,)
    loss : float
        The batch loss ``L`` at the current ``(W, b)``.
    """
    p = W.shape[0]
    root_p = np.sqrt(p)

    def kernel(block):
        X, Y, w = block.X, block.Y, block.weight
        if batch is not None:
            w = np.where(batch[block.rows], w, 0.0)
        z = X @ W.T
        z += b
        if targets is None:
            resid = Y - activation(act, z, slope) @ a / root_p  # (c, m)
        else:
            resid = targets(block)
        loss = 0.5 * float(w @ np.einsum("cm,cm->c", resid, resid))
        # d f / d z_j = a_j act'(z_j) / sqrt(p); the residual is weighted by w_i / S_B
        back = (resid * w[:, None]) @ a.T  # (c, p)
        back *= activation_grad(act, z, slope)
        return back.T @ X, back.sum(axis=0), loss, float(w.sum())

    ((grad_W, grad_b, loss, weight),) = data.reduce(kernel, floats_per_row=3 * p)
    scale = 1.0 / (weight * root_p)
    return grad_W * scale, grad_b * scale, loss / weight


def normalized_second_layer(beta):
    """The second layer a refitted readout gives the next step: ``beta`` at the init scale.

    Between steps (``second_layer="refit"``) the hidden-unit coefficients ``beta`` of the
    ridge readout replace the frozen random signs, rescaled to the same root mean square
    ``1 / sqrt(p)``, so that the giant learning-rate convention means the same thing at
    every step (the step then shrinks only with the readout's residual). An all-zero
    readout gives an all-zero layer: no unit moves.
    """
    beta = np.asarray(beta, dtype=np.float64)
    rms = np.sqrt(np.mean(beta * beta)) if beta.size else 0.0
    if not rms > 0:
        return np.zeros_like(beta)
    return beta / (rms * np.sqrt(beta.shape[0]))


@dataclass
class StepRecord:
    """Diagnostics of one giant step."""

    step: int
    batch_size: int
    learning_rate: float
    batch_loss: float
    update_singular_values: np.ndarray
    rows_capped: int
    effective_rank: float
    fresh_batch: bool = True


def giant_step(
    W,
    b,
    gradient,
    *,
    eta,
    trainable=None,
    max_row_move=None,
    update_bias=True,
    normalize_rows=False,
    n_singular_values=5,
    step=0,
    batch_size=0,
    fresh_batch=True,
):
    """One giant step from a gradient; returns the new ``(W, b)`` and a :class:`StepRecord`.

    Parameters
    ----------
    W, b : ndarrays of shapes (p, d), (p,)
        The first layer before the step.
    gradient : tuple
        ``(neg_grad_W, neg_grad_b, loss)`` from :func:`first_layer_gradient` at ``(W, b)``.
    eta : float
        Learning rate (see :func:`learning_rate`).
    trainable : ndarray of bool of shape (p,), optional
        Units that move; the others keep their random initialization.
    max_row_move : float, optional
        Cap on the Euclidean norm of each row's update ``eta * grad_j`` (weights and bias
        together); rows whose update is longer are shrunk onto the cap.
    update_bias : bool
        Whether the biases take their gradient step too.
    normalize_rows : bool
        Rescale each updated row ``(w_j, b_j)`` to its norm before the step.
    step, batch_size, fresh_batch :
        Recorded in the :class:`StepRecord`.
    """
    grad_W, grad_b, loss = gradient
    dW = eta * grad_W
    db = eta * grad_b if update_bias else np.zeros_like(grad_b)
    if trainable is not None:
        dW[~trainable] = 0.0
        db[~trainable] = 0.0
    capped = 0
    if max_row_move is not None:
        norms = np.sqrt((dW * dW).sum(axis=1) + db * db)
        over = norms > max_row_move
        capped = int(over.sum())
        shrink = np.where(over, max_row_move / np.where(over, norms, 1.0), 1.0)
        dW *= shrink[:, None]
        db *= shrink
    W_new, b_new = W + dW, b + db
    if normalize_rows:
        before = np.sqrt((W * W).sum(axis=1) + b * b)
        after = np.sqrt((W_new * W_new).sum(axis=1) + b_new * b_new)
        ratio = np.divide(before, after, out=np.ones_like(after), where=after > 0)
        W_new *= ratio[:, None]
        b_new *= ratio
    with np.errstate(over="ignore", invalid="ignore"):
        finite = np.all(np.isfinite(dW)) and np.all(np.isfinite(db))
        update = np.column_stack([dW, db]) if finite else np.zeros((W.shape[0], W.shape[1] + 1))
    svals = np.linalg.svd(update, compute_uv=False)[:n_singular_values]
    record = StepRecord(
        step=step,
        batch_size=int(batch_size),
        learning_rate=float(eta),
        batch_loss=float(loss),
        update_singular_values=svals,
        rows_capped=capped,
        effective_rank=effective_rank(W_new) if finite else np.nan,
        fresh_batch=fresh_batch,
    )
    return W_new, b_new, record


def readout_features(X, W, b, act, linear):
    """Readout features of the rows ``X`` (float64, a new array): the hidden units
    ``act(X W^T + b) / sqrt(p)``, then, with ``linear``, the inputs ``X / sqrt(d)``."""
    p, d = W.shape
    out = np.empty((X.shape[0], p + (d if linear else 0)))
    hidden = out[:, :p]
    np.matmul(X, W.T, out=hidden)
    hidden += b
    activation(act, hidden, out=hidden)
    hidden *= 1.0 / np.sqrt(p)
    if linear:
        np.multiply(X, 1.0 / np.sqrt(d), out=out[:, p:])
    return out


def batch_schedule(seed, n, batch_size, n_steps, start_step=0):
    """Row indices of each step's batch: fresh (disjoint) batches while rows last.

    Batches are drawn from the rows ``0, ..., n - 1`` in a random order; when fewer than
    ``batch_size`` unused rows remain, a new random order starts (rows are then reused,
    and the returned flags say so). The orders depend only on ``seed``, so ``start_step``
    continues an earlier schedule exactly (for ``warm_start``).

    Returns a list of ``(rows, fresh)`` pairs, ``rows`` sorted indices, or
    ``slice(0, n)`` when every step takes every row (then nothing of size ``n`` is made).
    """
    batch_size = min(batch_size, n)
    if batch_size == n:  # full batches: every step takes all rows, no draw
        return [(slice(0, n), t == 0) for t in range(start_step, start_step + n_steps)]
    per_pass = n // batch_size
    schedule = []
    for t in range(start_step, start_step + n_steps):
        epoch, k = divmod(t, per_pass)
        perm = np.random.default_rng([seed, epoch]).permutation(n)
        schedule.append((np.sort(perm[k * batch_size : (k + 1) * batch_size]), epoch == 0))
    return schedule
