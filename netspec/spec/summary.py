"""Totals of a spec's network: parameters, FLOPs and activation memory (no TensorFlow)."""

from __future__ import annotations

from netspec.spec.loader import Spec


def summarize(spec: Spec, depth: int | None = None) -> dict:
    """Per-layer rows and totals. `depth`: block instances nested deeper than this show as
    one row each (their layers' parameters and FLOPs summed); None shows every layer."""
    infos = spec.layer_infos()
    rows, collapsed = [], {}
    for info in infos:
        if depth is None or len(info.scope) <= depth:
            rows.append(_row(info.name, info.type, info.inputs, info.output_shape, info))
            continue
        name = info.scope[depth]
        if name not in collapsed:
            instance = next(i for i in spec.graph.instances() if i.name == name)
            output = next(i for i in infos if i.name == instance.output)
            collapsed[name] = _row(
                name, f"block {instance.block}", (instance.input,), output.output_shape, None
            )
            rows.append(collapsed[name])
        collapsed[name]["params"] += info.params
        collapsed[name]["flops"] += info.flops
    return {
        "name": spec.name,
        "input": {"name": spec.input["name"], "shape": spec.input["shape"]},
        "output": spec.graph.output,
        "layers": rows,
        "params": sum(i.params for i in infos),
        "trainable_params": sum(i.trainable for i in infos),
        "flops_per_example": sum(i.flops for i in infos),
        "activation_bytes_per_example": sum(i.activation_bytes for i in infos),
    }


def _row(name, type_, inputs, output_shape, info) -> dict:
    return {
        "name": name,
        "type": type_,
        "inputs": list(inputs),
        "output_shape": list(output_shape),
        "params": info.params if info else 0,
        "flops": info.flops if info else 0,
    }
