"""The one-standard-error rule shared by the step-size, readout and penalty choices."""

import numpy as np

from skgiant._selection import one_standard_error_choice


def _se(diff, w):
    """Standard error of the weighted mean of ``diff``, weights as repeated rows."""
    rows = np.repeat(diff, w.astype(int))
    return rows.std(ddof=1) / np.sqrt(len(rows))


def test_a_clear_winner_is_kept():
    rng = np.random.default_rng(0)
    simple = 1.0 + 0.1 * rng.random(200)
    complex_ = simple - 0.5  # better on every row by 0.5: far beyond one standard error
    w = np.ones(200)
    choice = one_standard_error_choice({"a": simple, "b": complex_}, w, order=["a", "b"])
    assert choice == "b"


def test_a_win_within_one_standard_error_goes_to_the_simpler_candidate():
    rng = np.random.default_rng(1)
    simple = rng.random(50)
    diff = rng.normal(size=50)
    diff -= diff.mean() + 0.5 * _se(diff, np.ones(50))  # better by half a standard error
    complex_ = simple + diff
    w = np.ones(50)
    assert complex_.mean() < simple.mean()
    choice = one_standard_error_choice({"a": simple, "b": complex_}, w, order=["a", "b"])
    assert choice == "a"
    # by one and a half standard errors it wins
    complex_ = simple + diff - _se(diff, w)
    choice = one_standard_error_choice({"a": simple, "b": complex_}, w, order=["a", "b"])
    assert choice == "b"


def test_the_first_candidate_in_order_within_reach_of_the_best():
    rng = np.random.default_rng(2)
    best = rng.random(100)
    noise = rng.normal(size=100)
    noise -= noise.mean()
    errors = {
        "simplest": best + 1.0,  # far worse
        "middle": best + noise + 0.2 * _se(noise, np.ones(100)),  # within reach
        "complex": best,
    }
    w = np.ones(100)
    order = ["simplest", "middle", "complex"]
    assert one_standard_error_choice(errors, w, order) == "middle"
    # candidates missing from the errors are skipped
    assert one_standard_error_choice(errors, w, ["absent", *order]) == "middle"


def test_weights_count_as_repeated_rows():
    rng = np.random.default_rng(3)
    counts = rng.integers(1, 4, size=40)
    simple = rng.random(40)
    diff = rng.normal(size=40)
    diff -= (counts @ diff) / counts.sum()  # mean zero in the weighted sense
    for shift in (0.9, 1.1):
        se = _se(diff, counts)
        complex_ = simple + diff - shift * se
        weighted = one_standard_error_choice(
            {"a": simple, "b": complex_}, counts.astype(float), order=["a", "b"]
        )
        repeated = one_standard_error_choice(
            {"a": np.repeat(simple, counts), "b": np.repeat(complex_, counts)},
            np.ones(counts.sum()),
            order=["a", "b"],
        )
        assert weighted == repeated == ("a" if shift < 1 else "b")
