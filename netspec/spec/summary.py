"""Totals of a spec's network: parameters, FLOPs and activation memory (no TensorFlow)."""

from __future__ import annotations

from netspec.spec.loader import Spec


def summarize(spec: Spec) -> dict:
    infos = spec.layer_infos()
    return {
        "name": spec.name,
        "input": {"name": spec.input["name"], "shape": spec.input["shape"]},
        "layers": [
            {
                "name": i.name,
                "type": i.type,
                "output_shape": list(i.output_shape),
                "params": i.params,
                "flops": i.flops,
            }
            for i in infos
        ],
        "params": sum(i.params for i in infos),
        "trainable_params": sum(i.trainable for i in infos),
        "flops_per_example": sum(i.flops for i in infos),
        "activation_bytes_per_example": sum(i.activation_bytes for i in infos),
    }
