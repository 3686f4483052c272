"""Row chunking: every sum over samples is accumulated over blocks of rows.

The block size follows scikit-learn's ``working_memory`` setting
(``sklearn.set_config(working_memory=...)``, in MiB), so that the temporary arrays of a
fit are bounded by it whatever the number of samples. Results depend on the chunk size
only through floating-point rounding.
"""

from ._compat import get_chunk_n_rows

_FLOAT64_BYTES = 8


def chunk_n_rows(n_rows, floats_per_row, *, working_memory=None):
    """Rows per chunk so that ``floats_per_row`` float64 values per row fit in memory.

    Parameters
    ----------
    n_rows : int
        Number of rows to be processed.
    floats_per_row : int
        Float64 temporaries the computation holds per row (e.g. ``3 * n_hidden``).
    working_memory : float, default=None
        Budget in MiB; ``None`` uses ``sklearn.get_config()["working_memory"]``.

    Returns
    -------
    int
        A chunk size between 1 and ``max(n_rows, 1)``.
    """
    row_bytes = max(int(floats_per_row), 1) * _FLOAT64_BYTES
    return get_chunk_n_rows(
        row_bytes, max_n_rows=max(int(n_rows), 1), working_memory=working_memory
    )


def row_slices(n_rows, chunk):
    """Yield consecutive ``slice`` objects of at most ``chunk`` rows covering ``n_rows``."""
    for start in range(0, n_rows, chunk):
        yield slice(start, min(start + chunk, n_rows))
