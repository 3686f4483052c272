"""Refuse allocations that cannot fit before making them."""

import os


def available_bytes():
    """Memory the process can still use, from /proc/meminfo (or total RAM as a fallback)."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:  # pragma: no cover - non-Linux
        pass
    try:  # pragma: no cover - non-Linux
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # pragma: no cover
        return None


def require_memory(n_bytes, what, advice):
    """Raise ``MemoryError`` naming the need and the remedy if ``n_bytes`` cannot fit.

    Parameters
    ----------
    n_bytes : int
        Bytes the computation is about to allocate.
    what : str
        What would be allocated, e.g. ``"the 20000 x 20000 normal-equation matrix"``.
    advice : str
        What the user can change.
    """
    free = available_bytes()
    if free is not None and n_bytes > 0.8 * free:
        raise MemoryError(
            f"{what} needs {n_bytes / 2**30:.1f} GiB but only {free / 2**30:.1f} GiB is "
            f"available. {advice}"
        )
