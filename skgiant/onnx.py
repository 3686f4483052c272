"""Export fitted skgiant estimators to ONNX with skl2onnx.

Importing this module registers a converter for :class:`~skgiant.GiantStepRegressor`,
:class:`~skgiant.AlternatingOLSReLURegressor`, :class:`~skgiant.GiantStepFeatures`,
:class:`~skgiant.GiantStepClassifier` and :class:`~skgiant.AlternatingOLSReLUClassifier`
with skl2onnx, so that ``skl2onnx.to_onnx(model, X[:1])`` converts them alone or as a step
of a :class:`~sklearn.pipeline.Pipeline` or :class:`~sklearn.compose.ColumnTransformer`
next to scikit-learn's own transformers. It needs the ``onnx`` extra
(``pip install "skgiant[onnx]"``).

Every converter is written on the fitted :class:`~skgiant.TwoLayerNetwork` (the
estimator's ``network_``), and one function, :func:`add_network_nodes`, emits the
network's nodes: standardization, clipping, the hidden layer and the readout, exactly as
:meth:`TwoLayerNetwork.predict <skgiant.TwoLayerNetwork.predict>` computes them. The graph
computes in the input's precision (float32 for a float32 sample, float64 for a float64
one). A regressor's output has shape ``(n_samples, n_outputs)``, also for a single target
(skl2onnx's convention for regressors).

A classifier's graph has skl2onnx's two classifier outputs, as for
:class:`~sklearn.linear_model.LogisticRegression`: the labels (``ArgMax`` of the logits
the network computes, looked up in ``classes_``: int64 for integer and boolean classes,
strings otherwise) and the probabilities (``Softmax`` of the logits, columns in the order
of ``classes_``, for two classes too). skl2onnx's classifier options apply: by default a
``ZipMap`` turns the probabilities into a list of ``{class: probability}`` dictionaries
(outputs ``output_label`` and ``output_probability``); with
``options={id(model): {"zipmap": False}}`` they stay an ``(n_samples, n_classes)`` tensor
(outputs ``label`` and ``probabilities``); ``"zipmap": "columns"``, ``"nocl"`` and
``"output_class_labels"`` work as for scikit-learn's classifiers.
"""

import numbers

import numpy as np

try:
    from skl2onnx import update_registered_converter
    from skl2onnx.common.data_types import DoubleTensorType, FloatTensorType
    from skl2onnx.common.shape_calculator import calculate_linear_classifier_output_shapes
    from skl2onnx.common.utils import check_input_and_output_numbers
    from skl2onnx.common.utils_classifier import get_label_classes
    from skl2onnx.proto import onnx_proto
except ImportError as exc:  # pragma: no cover - the test extra installs skl2onnx
    raise ImportError(
        'skgiant.onnx needs skl2onnx and onnxruntime: pip install "skgiant[onnx]"'
    ) from exc

from ._alternating_classifier import AlternatingOLSReLUClassifier
from ._alternating_regressor import AlternatingOLSReLURegressor
from ._giant_classifier import GiantStepClassifier
from ._giant_regressor import GiantStepRegressor
from ._transformer import GiantStepFeatures

__all__ = ["add_network_nodes"]

_NUMPY_DTYPES = {
    onnx_proto.TensorProto.FLOAT: np.float32,
    onnx_proto.TensorProto.DOUBLE: np.float64,
}


def _constant(scope, container, name, values, proto_dtype):
    """Add ``values`` as an initializer in the graph's precision; return its name."""
    values = np.asarray(values, dtype=_NUMPY_DTYPES[proto_dtype])
    unique = scope.get_unique_variable_name(name)
    container.add_initializer(unique, proto_dtype, list(values.shape), values.ravel().tolist())
    return unique


def _node(scope, container, op_type, inputs, name, output_name=None, **attrs):
    """Add one node; return the name of its output (``output_name`` or a fresh one)."""
    output_name = output_name or scope.get_unique_variable_name(name)
    container.add_node(
        op_type, inputs, output_name, name=scope.get_unique_operator_name(op_type), **attrs
    )
    return output_name


def _activation(scope, container, network, pre_activation):
    if network.activation == "relu":
        if network.negative_slope:
            return _node(
                scope,
                container,
                "LeakyRelu",
                [pre_activation],
                "hidden",
                alpha=float(network.negative_slope),
            )
        return _node(scope, container, "Relu", [pre_activation], "hidden")
    if network.activation == "tanh":
        return _node(scope, container, "Tanh", [pre_activation], "hidden")
    if network.activation == "erf":
        return _node(scope, container, "Erf", [pre_activation], "hidden")
    raise ValueError(f"no ONNX export for the activation {network.activation!r}")


def add_network_nodes(
    scope,
    container,
    input_name,
    network,
    *,
    proto_dtype=onnx_proto.TensorProto.FLOAT,
    output="prediction",
    output_name=None,
):
    """Add the nodes computing a fitted two-layer network to an ONNX graph.

    This is the part of the graph every skgiant converter shares; a converter calls it
    with skl2onnx's ``scope`` and ``container`` and adds its own outputs after it (a
    classifier would turn the ``"prediction"`` scores into labels and probabilities). The
    nodes are, in order: ``Sub`` and ``Div`` (standardization, when ``input_mean`` is
    set), ``Max`` and ``Min`` (clipping, when ``input_low`` is set), ``Gemm`` and the
    activation (``Relu``, ``LeakyRelu``, ``Tanh`` or ``Erf``), and then either ``Mul`` by
    ``feature_scale`` (the hidden features) or the readout: ``Gemm`` with ``coef`` scaled by
    ``feature_scale`` and ``intercept``, plus ``MatMul`` by ``linear_coef`` when the
    network has a linear term.

    Parameters
    ----------
    scope : skl2onnx.common._topology.Scope
        The converter's scope (it names the new variables and nodes).
    container : skl2onnx.common._container.ModelComponentContainer
        The converter's container (it receives the nodes and the weights).
    input_name : str
        Name of the variable holding the inputs, of shape ``(n, d)`` and of the type
        ``proto_dtype``, in the units the estimator was fitted on.
    network : TwoLayerNetwork
        The fitted network (an estimator's ``network_``).
    proto_dtype : int, default=onnx.TensorProto.FLOAT
        Element type of the input and of every weight and output: ``TensorProto.FLOAT``
        or ``TensorProto.DOUBLE``.
    output : {"prediction", "hidden"}, default="prediction"
        ``"prediction"``: the outputs ``(n, m)`` of :meth:`TwoLayerNetwork.predict`.
        ``"hidden"``: the scaled hidden features ``(n, p)`` of
        :meth:`TwoLayerNetwork.hidden`.
    output_name : str, default=None
        Name to give the result (for instance the converter's output variable); a fresh
        name if None.

    Returns
    -------
    str
        The name of the variable holding the result.

    See Also
    --------
    skgiant.TwoLayerNetwork : what the nodes compute.

    Examples
    --------
    Converters call it; users call ``skl2onnx.to_onnx`` after importing this module:

    >>> import numpy as np
    >>> import skl2onnx
    >>> import skgiant.onnx  # registers the converters
    >>> from onnxruntime import InferenceSession
    >>> from skgiant import GiantStepRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 3)).astype(np.float32)
    >>> model = GiantStepRegressor(n_hidden=16, random_state=0).fit(X, X[:, 0] ** 2)
    >>> onx = skl2onnx.to_onnx(model, X[:1])
    >>> session = InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])
    >>> (pred,) = session.run(None, {"X": X})
    >>> pred.shape, bool(np.allclose(pred.ravel(), model.predict(X), atol=1e-4))
    ((200, 1), True)
    """
    if output not in ("prediction", "hidden"):
        raise ValueError(f'output must be "prediction" or "hidden", got {output!r}')

    def constant(name, values):
        return _constant(scope, container, name, values, proto_dtype)

    z = input_name
    if network.input_mean is not None:
        z = _node(scope, container, "Sub", [z, constant("input_mean", network.input_mean)], "z")
        z = _node(scope, container, "Div", [z, constant("input_scale", network.input_scale)], "z")
    if network.input_low is not None:
        z = _node(scope, container, "Max", [z, constant("input_low", network.input_low)], "z")
        z = _node(scope, container, "Min", [z, constant("input_high", network.input_high)], "z")
    weights, bias = constant("weights", network.weights), constant("bias", network.bias)
    pre = _node(scope, container, "Gemm", [z, weights, bias], "pre_activation", transB=1)
    hidden = _activation(scope, container, network, pre)
    if output == "hidden":
        scale = constant("feature_scale", [network.feature_scale])
        return _node(scope, container, "Mul", [hidden, scale], "features", output_name)
    coef = constant("coef", network.feature_scale * np.asarray(network.coef, dtype=np.float64))
    intercept = constant("intercept", network.intercept)
    if network.linear_coef is None:
        return _node(scope, container, "Gemm", [hidden, coef, intercept], "out", output_name)
    readout = _node(scope, container, "Gemm", [hidden, coef, intercept], "readout")
    linear = _node(
        scope, container, "MatMul", [z, constant("linear_coef", network.linear_coef)], "linear"
    )
    return _node(scope, container, "Add", [readout, linear], "out", output_name)


def _graph_dtype(operator):
    """The precision of the graph: float64 for a float64 input, float32 otherwise."""
    if isinstance(operator.inputs[0].type, DoubleTensorType):
        return onnx_proto.TensorProto.DOUBLE
    return onnx_proto.TensorProto.FLOAT


def _output_width(estimator):
    if isinstance(estimator, GiantStepFeatures):
        return estimator.network_.n_hidden
    return estimator.network_.coef.shape[1]


def _check_n_columns(operator):
    estimator = operator.raw_operator
    n_columns = operator.inputs[0].type.shape[1] if operator.inputs[0].type.shape else None
    if isinstance(n_columns, int) and n_columns != estimator.n_features_in_:
        raise ValueError(
            f"{type(estimator).__name__} was fitted on {estimator.n_features_in_} features "
            f"but its ONNX input has {n_columns} columns"
        )


def _calculate_output_shape(operator):
    """skl2onnx shape calculator: ``(n, n_outputs)`` or ``(n, n_hidden)``, input precision."""
    check_input_and_output_numbers(operator, input_count_range=1, output_count_range=1)
    _check_n_columns(operator)
    tensor_type = (
        DoubleTensorType
        if _graph_dtype(operator) == onnx_proto.TensorProto.DOUBLE
        else FloatTensorType
    )
    n_rows = operator.inputs[0].get_first_dimension()
    operator.outputs[0].type = tensor_type([n_rows, _output_width(operator.raw_operator)])


def _calculate_classifier_output_shapes(operator):
    """skl2onnx shape calculator of the classifiers: labels ``(n,)`` (int64 or string)
    and probabilities ``(n, n_classes)``, as for scikit-learn's linear classifiers."""
    _check_n_columns(operator)
    calculate_linear_classifier_output_shapes(operator)


def _graph_input(scope, operator, container):
    """The input's name, cast first to the graph's precision if it is not a float type."""
    input_name = operator.inputs[0].full_name
    if isinstance(operator.inputs[0].type, (FloatTensorType, DoubleTensorType)):
        return input_name
    cast = scope.get_unique_variable_name("cast_input")
    container.add_node(
        "Cast",
        input_name,
        cast,
        to=_graph_dtype(operator),
        name=scope.get_unique_operator_name("Cast"),
    )
    return cast


def _convert(scope, operator, container):
    """skl2onnx converter of the regressors and the transformer (one input, one output)."""
    estimator = operator.raw_operator
    add_network_nodes(
        scope,
        container,
        _graph_input(scope, operator, container),
        estimator.network_,
        proto_dtype=_graph_dtype(operator),
        output="hidden" if isinstance(estimator, GiantStepFeatures) else "prediction",
        output_name=operator.outputs[0].full_name,
    )


def _label_constant(scope, container, classes):
    """``classes`` as an initializer of the label type skl2onnx's classifiers output:
    strings, or int64 for integer, boolean and (whole-number) float classes."""
    classes = np.asarray(classes).ravel()
    if all(isinstance(c, str) for c in classes):
        values = [c.encode("utf-8") for c in classes]
        proto_type = onnx_proto.TensorProto.STRING
    elif all(isinstance(c, (numbers.Real, np.bool_)) for c in classes):
        # classifiers accept whole-number floats only (type_of_target), so this is exact
        values = classes.astype(np.int64).tolist()
        proto_type = onnx_proto.TensorProto.INT64
    else:
        raise ValueError(f"no ONNX label type for classes_ of mixed types: {classes.tolist()}")
    name = scope.get_unique_variable_name("classes")
    container.add_initializer(name, proto_type, [len(values)], values)
    return name


def _convert_classifier(scope, operator, container):
    """skl2onnx converter of the classifiers: labels and probabilities from the logits."""
    estimator = operator.raw_operator
    logits = add_network_nodes(
        scope,
        container,
        _graph_input(scope, operator, container),
        estimator.network_,
        proto_dtype=_graph_dtype(operator),
        output="prediction",
    )
    label, probabilities = operator.outputs[0].full_name, operator.outputs[1].full_name
    _node(scope, container, "Softmax", [logits], "probabilities", probabilities, axis=1)
    best = _node(scope, container, "ArgMax", [logits], "best", axis=1, keepdims=0)
    classes = _label_constant(scope, container, get_label_classes(scope, estimator))
    _node(scope, container, "Gather", [classes, best], "label", label, axis=0)


for _estimator in (GiantStepRegressor, AlternatingOLSReLURegressor, GiantStepFeatures):
    update_registered_converter(
        _estimator,
        f"Skgiant{_estimator.__name__}",
        _calculate_output_shape,
        _convert,
        overwrite=True,
    )

for _estimator in (GiantStepClassifier, AlternatingOLSReLUClassifier):
    update_registered_converter(
        _estimator,
        f"Skgiant{_estimator.__name__}",
        _calculate_classifier_output_shapes,
        _convert_classifier,
        overwrite=True,
        # the options of skl2onnx's LogisticRegression converter; "zipmap" also makes
        # skl2onnx parse the estimator as a classifier (label, probabilities, ZipMap)
        options={
            "zipmap": [True, False, "columns"],
            "nocl": [True, False],
            "output_class_labels": [False, True],
        },
    )
