"""
==========================
Reading the diagnostics
==========================

On synthetic data the teacher directions are known, so we can watch what the giant
steps learn. The target is the "staircase" ``T2`` of Dandi et al.: with
``h_r = <u_r, x>`` for two orthonormal directions ``u_1, u_2`` in ``d = 32``
dimensions, ``y = ((h1 + h1**2) + (h2 - h2**2)) / 2``. Its linear part points along
``v = (u_1 + u_2) / sqrt(2)``; the orthogonal direction ``v_perp = (u_1 - u_2) / sqrt(2)``
only appears through the quadratic terms. The theory says one step with ``n`` of order
``d`` learns only ``v``; further fresh-batch steps can then pick up ``v_perp``.

Diagnostics used here:

* :class:`~skgiant.AlignmentDisplay` and :func:`skgiant.diagnostics.alignment`:
  ``|cos(w_j, u_r)|`` per hidden unit;
* ``history_`` of :class:`~skgiant.GiantStepRegressor`: per step the learning rate,
  the batch loss and the leading singular values of the first-layer update (a dominant
  first value is the rank-one "spike" of a giant step), and the effective rank of ``W``;
* :class:`~skgiant.TrainingHistoryDisplay` for both estimators, and the
  ``history_`` of :class:`~skgiant.AlternatingOLSReLURegressor` (share of activations
  that flipped, accepted steps).
"""

# %%
import matplotlib.pyplot as plt
import numpy as np

from skgiant import (
    AlignmentDisplay,
    AlternatingOLSReLURegressor,
    GiantStepRegressor,
    TrainingHistoryDisplay,
)
from skgiant.datasets import make_multi_index
from skgiant.diagnostics import alignment, effective_rank

d = 32
X, y, (u1, u2) = make_multi_index(8 * d * 4, d, target="T2", random_state=0)
directions = np.vstack([u1 + u2, u1 - u2]) / np.sqrt(2)  # v (linear part), v_perp

# %%
# One step against four fresh-batch steps
# ---------------------------------------
# A fixed step size, ``remove_linear=False``, no biases and the frozen random second layer
# stay close to the setting of the theory; fresh batches of ``8 d`` rows.
common = dict(
    n_hidden=256,
    step_size=1.0,
    batch_size=8 * d,
    bias_scale=0.0,
    remove_linear=False,
    second_layer="frozen",
    random_state=0,
)
fits = {k: GiantStepRegressor(n_steps=k, **common).fit(X, y) for k in range(5)}
for k, model in fits.items():
    rms = np.sqrt(np.mean(alignment(model, directions, per_direction=True) ** 2, axis=0))
    print(
        f"{k} step(s): RMS |cos| with v, v_perp = {rms.round(2)}, "
        f"effective rank of W = {effective_rank(model):.1f}"
    )
print(f"random level 1/sqrt(d) = {1 / np.sqrt(d):.2f}")

# %%
# Look for the first step to move the units towards ``v`` only (``v_perp`` stays at the
# random level) and for later steps to raise the alignment with ``v_perp``, while the
# effective rank of ``W`` falls: the units concentrate on the teacher subspace.

fig, axes = plt.subplots(1, 2, figsize=(10, 3.5), sharey=True)
for ax, k in zip(axes, (1, 4), strict=True):
    AlignmentDisplay.from_estimator(
        fits[k], directions, ax=ax, name=f"{k} giant step(s)", direction_labels=["v", "v_perp"]
    )
fig.tight_layout()

# %%
# Per-step history
# ----------------
# ``update_singular_values`` are the leading singular values of ``W_new - W``: one value
# far above the others is the rank-one spike predicted for a giant step.
for record in fits[4].history_:
    print(
        f"step {record.step + 1}: eta={record.learning_rate:.3g} "
        f"batch loss={record.batch_loss:.3f} "
        f"top singular values={np.round(record.update_singular_values[:3], 2)} "
        f"effective rank={record.effective_rank:.1f}"
    )
TrainingHistoryDisplay.from_estimator(fits[4])

# %%
# The alternating solver
# ----------------------
# Its ``loss_curve_`` is the penalized training loss at initialization and after every
# iteration; with the default ``step_fraction="auto"`` a step is accepted only if it lowers
# that loss, so the curve never increases. ``flip_fraction`` is the share of
# activations that changed sign in the iteration.
alternating = AlternatingOLSReLURegressor(n_hidden=16, max_iter=15, random_state=0).fit(X, y)
for h in alternating.history_[1:6]:
    print(
        f"iteration {h.iter}: loss {h.loss:.4f} flips {h.flip_fraction:.3f} "
        f"{'accepted' if h.accepted else 'rejected'}"
    )
TrainingHistoryDisplay.from_estimator(alternating)
