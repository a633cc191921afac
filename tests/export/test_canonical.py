import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from netspec.export.canonical import canonicalize

PARAMS = ["fc/kernel", "fc/bias"]


def converted_like(suffix: str, reverse: bool) -> onnx.ModelProto:
    """A graph shaped like tf2onnx output, with process-specific names and node order."""
    n = lambda name: f"{name}_{suffix}:0"  # noqa: E731
    nodes = [
        helper.make_node("Transpose", ["fc/kernel"], [n("kernel_t")], perm=[1, 0]),
        helper.make_node(
            "Transpose",
            [n("kernel_t")],
            [n("kernel")],
            perm=[1, 0],
            doc_string=f"__inference_fn_{suffix}",
        ),
        helper.make_node("MatMul", ["x", n("kernel")], [n("matmul")]),
        helper.make_node("Add", [n("matmul"), "fc/bias"], [n("biased")]),
        helper.make_node("Mul", [n("biased"), n("scale")], ["logits"]),
        helper.make_node("Softmax", ["logits"], ["probabilities"], axis=-1),
        helper.make_node("Neg", ["logits"], [n("unused")]),
    ]
    if reverse:
        nodes.reverse()
    inits = [
        numpy_helper.from_array(np.float32([2.0]), n("scale")),
        numpy_helper.from_array(np.arange(6, dtype=np.float32).reshape(3, 2), "fc/kernel"),
        numpy_helper.from_array(np.float32([0.5, -0.5]), "fc/bias"),
    ]
    graph = helper.make_graph(
        nodes,
        f"tf2onnx_{suffix}",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [f"unk__{suffix}", 3])],
        [
            helper.make_tensor_value_info("logits", TensorProto.FLOAT, [f"unk__{suffix}", 2]),
            helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [None, 2]),
        ],
        inits,
        doc_string=f"converted from __inference_fn_{suffix}",
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def test_same_graph_gives_same_bytes_whatever_the_names_and_order():
    first = canonicalize(converted_like("12", reverse=False), PARAMS, "net")
    second = canonicalize(converted_like("345", reverse=True), PARAMS, "net")
    assert first.SerializeToString(deterministic=True) == second.SerializeToString(
        deterministic=True
    )
    onnx.checker.check_model(first, full_check=True)


def test_keeps_interface_and_parameter_names_and_drops_dead_nodes():
    model = canonicalize(converted_like("7", reverse=True), PARAMS, "net")
    graph = model.graph
    assert [i.name for i in graph.initializer] == ["fc/kernel", "fc/bias", "const0"]
    assert [node.op_type for node in graph.node] == [
        "Transpose",
        "Transpose",
        "MatMul",
        "Add",
        "Mul",
        "Softmax",
    ]
    assert [node.name for node in graph.node][:2] == ["Transpose_0", "Transpose_1"]
    assert graph.node[-1].output == ["probabilities"]
    for value in [*graph.input, *graph.output]:
        assert value.type.tensor_type.shape.dim[0].dim_param == "batch"
    assert graph.name == "net" and not graph.doc_string and not model.doc_string
    assert not any(node.doc_string for node in graph.node)
