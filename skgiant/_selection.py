"""Choosing between candidate models on held-out (or left-out) errors."""

import numpy as np


def one_standard_error_choice(per_row_errors, weights, order):
    """The simplest candidate whose error is within one standard error of the best.

    Breiman's one-standard-error rule: with few rows, candidates whose held-out errors
    differ by less than the noise of that difference are not told apart, and the
    simplest of them is the safer choice.

    Parameters
    ----------
    per_row_errors : dict
        Maps each candidate to its per-row held-out (or leave-one-out) errors, all on
        the same rows.
    weights : ndarray of shape (n_rows,)
        Frequency weights of the rows: a weight ``k`` counts as ``k`` rows, also in the
        standard error.
    order : sequence
        The candidates from the simplest to the most complex (those missing from
        ``per_row_errors`` are skipped).

    Returns
    -------
    The first candidate of ``order`` whose weighted mean error exceeds the least one
    by at most one standard error of their paired per-row difference.
    """
    total = weights.sum()
    scores = {key: weights @ e / total for key, e in per_row_errors.items()}
    best = min(scores, key=scores.get)
    for key in order:
        if key not in per_row_errors:
            continue
        if key == best:
            return key
        diff = per_row_errors[key] - per_row_errors[best]
        mean = weights @ diff / total
        # frequency weights (scikit-learn's convention): a weight k counts as k rows, so
        # that weighted and repeated rows make the same choice
        se = np.sqrt(weights @ (diff - mean) ** 2 / total / max(total - 1.0, 1.0))
        if mean <= se:
            return key
    return best
