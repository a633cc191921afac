"""ONNX export through tf2onnx, with every parameter an initializer named `<layer>/<param>`.

tf2onnx names initializers after TF op names with per-process suffixes, and the grappler pass
inside its loader folds zero biases away and merges equal weights (see
onnx/tensorflow-onnx#1531: only input/output names are kept). So we trace the inference
function with each parameter as an extra *input*; nothing can fold a graph input. After
conversion each such input becomes an initializer named after the Keras variable path, holding
the Keras value bit for bit.

Layouts (every initializer keeps the Keras layout; the graph adapts, not the weights):
- conv2d `kernel`: HWIO `[kh, kw, in, out]`, read through a Transpose to ONNX's OIHW (Conv
  runs NCHW between Transposes); onnxruntime folds that Transpose when the session starts.
  `bias`: `[out]`, reshaped where Conv consumes it.
- dense `kernel`: `[in, out]` feeding MatMul (x @ W), `bias`: `[out]` feeding Add.
- batch_norm `gamma`, `beta`, `moving_mean`, `moving_variance`: `[channels]`, applied as
  elementwise arithmetic (x - mean) * gamma / sqrt(var + eps) + beta; no fused
  BatchNormalization node, so no statistic is rewritten.
Hyper-parameters (epsilon, scaling constants, reshape targets) are the only anonymous
constants.
"""

import numpy as np
import onnx
import tensorflow as tf
import tf2onnx
from onnx import numpy_helper

from netspec.errors import UserError
from netspec.export.metadata import ArtifactInfo
from netspec.export.params import InferenceFunction

# Uppercase: spec input names are lowercase, so a placeholder never shadows the real input.
_PLACEHOLDER = "Param_{}"


def convert(fn: InferenceFunction, info: ArtifactInfo, opset: int) -> onnx.ModelProto:
    """The model as ONNX (not yet canonicalized): named inputs/outputs, named initializers."""
    params = fn.params
    signature = [tf.TensorSpec((None, *info.input_shape), info.input_dtype, name=info.input_name)]
    signature += [
        tf.TensorSpec(p.shape, p.dtype, name=_PLACEHOLDER.format(i)) for i, p in enumerate(params)
    ]

    def traced(x, *weights):
        return fn({p.name: w for p, w in zip(params, weights)}, x)

    function = tf.function(traced, input_signature=signature, autograph=False)
    if function.get_concrete_function().captured_inputs:
        raise RuntimeError("the inference function captured variables; weights would be folded")
    model, _ = tf2onnx.convert.from_function(function, input_signature=signature, opset=opset)
    _check_converted(model, opset)
    _weights_to_initializers(model.graph, params)
    return model


def _check_converted(model: onnx.ModelProto, opset: int) -> None:
    # from_function always continues on error, leaving unconvertible TF ops in the graph.
    unconverted = sorted(
        {n.op_type for n in model.graph.node if not onnx.defs.has(n.op_type, n.domain)}
    )
    if unconverted:
        raise UserError(
            f"tf2onnx cannot convert TF op(s) {', '.join(unconverted)} to ONNX opset {opset}",
            hint="try another export.opset, or export.formats: [saved_model] only",
        )


def _weights_to_initializers(graph: onnx.GraphProto, params) -> None:
    rename = {_PLACEHOLDER.format(i): p.name for i, p in enumerate(params)}
    used = {name for node in graph.node for name in node.input}
    unused = [p for placeholder, p in zip(rename, params) if placeholder not in used]
    if unused:
        raise RuntimeError(f"parameters not read by the ONNX graph: {[p.name for p in unused]}")
    for index in reversed(range(len(graph.input))):
        if graph.input[index].name in rename:
            del graph.input[index]
    for node in graph.node:
        node.input[:] = [rename.get(name, name) for name in node.input]
    clashes = {init.name for init in graph.initializer} & set(rename.values())
    if clashes:
        raise RuntimeError(f"tf2onnx constants clash with parameter names: {sorted(clashes)}")
    graph.initializer.extend(
        numpy_helper.from_array(np.ascontiguousarray(p.value()), p.name) for p in params
    )


def attach_metadata(model: onnx.ModelProto, info: ArtifactInfo) -> None:
    del model.metadata_props[:]
    for key, value in sorted(info.to_props().items()):
        model.metadata_props.add(key=key, value=value)
