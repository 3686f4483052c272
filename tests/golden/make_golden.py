"""Write ``predictions.npz``, the golden master of ``tests/test_golden.py``.

Run from the repository root, only when a change of the fitted models is deliberate
(and say which change in the commit and in ``tests/test_golden.py``)::

    python tests/golden/make_golden.py
"""

import sys
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parent))
from settings import SETTINGS, fit_predict  # noqa: E402

if __name__ == "__main__":
    with threadpool_limits(limits=1):
        arrays = {name: fit_predict(name) for name in SETTINGS}
    np.savez(Path(__file__).resolve().parent / "predictions.npz", **arrays)
    print("wrote", ", ".join(arrays))
