"""Choosing between a model and a simpler fallback on held-out (or left-out) errors."""

import numpy as np


def one_standard_error_choice(per_row_errors, weights, fallback):
    """The candidate with the lowest held-out error, unless ``fallback`` does about as well.

    Parameters
    ----------
    per_row_errors : dict
        Maps each candidate to its per-row held-out (or leave-one-out) errors, all on
        the same rows.
    weights : ndarray of shape (n_rows,)
        Frequency weights of the rows: a weight ``k`` counts as ``k`` rows, also in the
        standard error.
    fallback : hashable
        The simpler candidate (no step; the linear term only).

    Returns
    -------
    The key of the candidate of least weighted mean error if it beats ``fallback`` by
    more than one standard error of the paired per-row difference, else ``fallback``:
    with few rows the comparison is noisy, and the simpler model is the safer choice.
    """
    scores = {key: weights @ e / weights.sum() for key, e in per_row_errors.items()}
    best = min(scores, key=scores.get)
    if best == fallback or fallback not in per_row_errors:
        return best
    diff = per_row_errors[best] - per_row_errors[fallback]
    total = weights.sum()
    mean = weights @ diff / total
    # frequency weights (scikit-learn's convention): a weight k counts as k rows, so
    # that weighted and repeated rows make the same choice
    se = np.sqrt(weights @ (diff - mean) ** 2 / total / max(total - 1.0, 1.0))
    return best if mean + se < 0 else fallback
