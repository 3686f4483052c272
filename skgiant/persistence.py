"""Safe persistence of fitted skgiant estimators with skops.

:func:`skops.io.load` refuses to build any type the caller has not trusted. The types of
scikit-learn, NumPy and SciPy that fitted estimators hold are trusted by skops already;
skgiant's own (the estimators, the fitted :class:`~skgiant.TwoLayerNetwork`, the records
of the training history) are listed by :func:`trusted_types`, so loading a saved model is
one line::

    model = skops.io.load("model.skops", trusted=trusted_types())

Saving needs nothing from this module: ``skops.io.dump(model, "model.skops")``. skops is
in the ``persist`` extra (``pip install "skgiant[persist]"``).
"""

import importlib
import inspect
import pkgutil

__all__ = ["trusted_types"]

#: Modules that hold no part of a fitted model: the command line and the ONNX export
#: (which needs the ``onnx`` extra).
_NOT_MODEL_MODULES = {"__main__", "_cli", "onnx"}


def trusted_types():
    """Fully qualified names of skgiant's own types, to trust when loading with skops.

    These are every class defined in skgiant's modules (the command-line and ONNX-export
    modules aside), found by walking the package, so the list follows the code: a record
    type added to a training history is trusted without being listed by hand. A file
    that holds any other type not trusted by skops (a function, a type of another
    package) still fails to load, and :func:`skops.io.get_untrusted_types` shows it.

    Returns
    -------
    list of str
        Sorted names such as ``"skgiant._network.TwoLayerNetwork"``, for the
        ``trusted`` argument of :func:`skops.io.load` and :func:`skops.io.loads`.

    See Also
    --------
    skops.io.get_untrusted_types : the types of a file that need trusting.

    Examples
    --------
    >>> import numpy as np
    >>> import skops.io as sio
    >>> from skgiant import AlternatingOLSReLURegressor
    >>> from skgiant.persistence import trusted_types
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 3))
    >>> model = AlternatingOLSReLURegressor(n_hidden=8, random_state=0).fit(X, X[:, 0] ** 2)
    >>> loaded = sio.loads(sio.dumps(model), trusted=trusted_types())
    >>> bool(np.array_equal(loaded.predict(X), model.predict(X)))
    True
    >>> "skgiant._network.TwoLayerNetwork" in trusted_types()
    True
    """
    import skgiant

    names = set()
    for info in pkgutil.walk_packages(skgiant.__path__, prefix="skgiant."):
        if info.name.rpartition(".")[2] in _NOT_MODEL_MODULES:
            continue
        module = importlib.import_module(info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == module.__name__:
                names.add(f"{cls.__module__}.{cls.__qualname__}")
    return sorted(names)
