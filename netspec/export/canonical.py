"""Canonical form for converted ONNX graphs, so the same weights give the same bytes.

tf2onnx output differs between builds and processes: intermediate names carry global counters
(`conv1_1/BiasAdd__9:0`), the graph doc_string names `__inference_fn_NNN`, dynamic dims are
`unk__NN`. This pass derives everything from the graph's structure instead:
- nodes in depth-first post-order from the outputs (inputs visited in argument order);
  nodes no output depends on are dropped;
- graph inputs, outputs and named parameters keep their names; every other tensor becomes
  `t<k>` in order of production, every other initializer `const<k>` in order of first use;
- nodes are named `<op>_<k>`, attributes sorted, doc strings and value_info cleared;
- the first (batch) dim of inputs and outputs is named `batch`.
Don't run ONNX simplifiers afterwards: they rename initializers again.
"""

import onnx


def canonicalize(model: onnx.ModelProto, keep: list[str], graph_name: str) -> onnx.ModelProto:
    """A canonical copy of `model`; `keep` names the parameter initializers, in order."""
    out = onnx.ModelProto()
    out.CopyFrom(model)
    graph = out.graph
    nodes = [_copy(onnx.NodeProto, node) for node in _post_order(graph)]
    initializers = {init.name: _copy(onnx.TensorProto, init) for init in graph.initializer}
    fixed = {i.name for i in graph.input} | {o.name for o in graph.output} | set(keep) | {""}

    rename: dict[str, str] = {}
    const_order: list[str] = []
    produced = 0
    for k, node in enumerate(nodes):
        for name in node.input:
            if name in initializers and name not in fixed and name not in rename:
                rename[name] = f"const{len(const_order)}"
                const_order.append(name)
        for name in node.output:
            if name not in fixed:
                rename[name] = f"t{produced}"
                produced += 1
        node.name = f"{node.op_type}_{k}"
        node.ClearField("doc_string")
        node.input[:] = [rename.get(n, n) for n in node.input]
        node.output[:] = [rename.get(n, n) for n in node.output]
        attributes = [
            _copy(onnx.AttributeProto, a) for a in sorted(node.attribute, key=lambda a: a.name)
        ]
        del node.attribute[:]
        node.attribute.extend(attributes)

    params = [initializers[name] for name in keep]
    consts = [initializers[name] for name in const_order]
    for init in consts:
        init.name = rename[init.name]
    del graph.initializer[:]
    graph.initializer.extend(params + consts)
    del graph.node[:]
    graph.node.extend(nodes)
    del graph.value_info[:]
    for value in [*graph.input, *graph.output]:
        value.ClearField("doc_string")
        dims = value.type.tensor_type.shape.dim
        if dims:
            dims[0].Clear()
            dims[0].dim_param = "batch"
    graph.name = graph_name
    graph.ClearField("doc_string")
    out.ClearField("doc_string")
    opsets = [
        _copy(onnx.OperatorSetIdProto, o) for o in sorted(out.opset_import, key=lambda o: o.domain)
    ]
    del out.opset_import[:]
    out.opset_import.extend(opsets)
    return out


def _copy(cls, message):
    copy = cls()
    copy.CopyFrom(message)
    return copy


def _post_order(graph: onnx.GraphProto) -> list[onnx.NodeProto]:
    producer = {name: node for node in graph.node for name in node.output}
    order: list[onnx.NodeProto] = []
    done: set[int] = set()
    # Iterative DFS: (node, expanded) pairs; a node is emitted after all its producers.
    stack = [(producer[o.name], False) for o in reversed(graph.output)]
    while stack:
        node, expanded = stack.pop()
        if id(node) in done:
            continue
        if expanded:
            done.add(id(node))
            order.append(node)
            continue
        stack.append((node, True))
        stack.extend(
            (producer[name], False)
            for name in reversed(node.input)
            if name in producer and id(producer[name]) not in done
        )
    return order
