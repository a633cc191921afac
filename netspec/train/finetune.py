"""`init_from`: start a spec's layers from an earlier run's trained weights, by stable name.

```yaml
init_from: {run: runs/cnn/20250101-120000, layers: [conv1, conv2], freeze: true}
```
`layers: null` loads every layer with weights whose name both models share. An entry names a
layer (`conv1`), a block instance (`stage2_1`: all its layers), a layer inside one
(`stage2_1/conv_a`) or matches names as a glob (`stage1_*`). Layers not loaded keep their
fresh initial weights. A loaded layer must have the same parameters with the same
shapes in both models; otherwise the error names the layer, the parameter and both shapes.
"""

from __future__ import annotations

import copy
from pathlib import Path

from netspec.compile.model import spec_layers
from netspec.errors import UserError
from netspec.runs import Run, checkpoints, open_run
from netspec.runs.trained import check_trained
from netspec.spec import Spec
from netspec.spec.graph import selects


def source_run(spec) -> Run:
    """The run `init_from.run` names: a relative path is tried next to the spec file first
    (like data paths), then from the current directory."""
    given = Path(spec.init_from["run"])
    candidates = [given] if given.is_absolute() else [spec.path.parent / given, given]
    for path in candidates:
        if path.is_dir():
            return open_run(path.resolve())
    raise UserError(
        f"init_from.run: no run directory {given}",
        hint="tried "
        + " and ".join(str(p) for p in candidates)
        + "; list finished runs with `ls runs/<spec name>`",
    )


def with_absolute_run(spec):
    """`spec` with init_from.run made absolute: the run's spec.yaml lives elsewhere."""
    if spec.init_from is None:
        return spec
    doc = copy.deepcopy(spec.doc)
    doc["init_from"]["run"] = str(source_run(spec).path)
    return Spec(spec.path, doc, spec.warnings)


def load_layers(model, spec) -> dict | None:
    """Load the layers `spec.init_from` selects, and freeze them if it says so.

    Returns what the manifest records: {run, spec_hash, layers, freeze}.
    """
    if spec.init_from is None:
        return None
    run = source_run(spec)
    manifest = run.manifest()
    try:
        check_trained(run)
    except UserError as err:
        raise UserError(f"init_from.run: {err.message}", hint=err.hint) from None
    arrays, _ = checkpoints.load(run.final_weights)
    chosen = _chosen_layers(model, spec.init_from["layers"], arrays, run.path)
    for name, layer in chosen.items():
        variables = {f"{name}/{w.name}": w for w in layer.weights}
        _check_same_params(name, variables, arrays, run.path)
        for key, variable in variables.items():
            variable.assign(arrays[key])
    if spec.init_from["freeze"]:
        freeze(model, list(chosen))
    return {
        "run": str(run.path),
        "spec_hash": manifest.get("spec", {}).get("hash"),
        "layers": list(chosen),
        "freeze": spec.init_from["freeze"],
    }


def freeze(model, names: list[str]) -> None:
    """Make the named layers (full names) not trainable (before training: Keras reads it
    when the optimizer is built)."""
    layers = spec_layers(model)
    for name in names:
        layers[name].trainable = False


def _chosen_layers(model, patterns: list[str] | None, arrays: dict, source: Path) -> dict:
    """The layers with weights that `patterns` select, by full name, in model order."""
    in_source = {key.rsplit("/", 1)[0] for key in arrays if not key.startswith("@")}
    with_weights = {name: layer for name, layer in spec_layers(model).items() if layer.weights}
    if patterns is None:
        chosen = {name: layer for name, layer in with_weights.items() if name in in_source}
        if not chosen:
            raise UserError(
                f"init_from: no layer of this spec has weights in {source}",
                hint="layer names must match; list them in init_from.layers",
            )
        return chosen
    chosen = {}
    for pattern in patterns:
        matched = [name for name in with_weights if selects(pattern, name)]
        if not matched:
            raise UserError(
                f"init_from.layers: no layer with weights named '{pattern}' in this spec",
                hint=f"its layers with weights: {', '.join(with_weights)}",
            )
        missing = [name for name in matched if name not in in_source]
        if missing:
            raise UserError(
                f"init_from.layers: run {source} has no layer '{missing[0]}'"
                + (f" (selected by '{pattern}')" if missing[0] != pattern else ""),
                hint=f"its layers with weights: {', '.join(sorted(in_source))}",
            )
        chosen.update((name, with_weights[name]) for name in matched)
    return {name: layer for name, layer in with_weights.items() if name in chosen}


def _check_same_params(name: str, variables: dict, arrays: dict, source: Path) -> None:
    theirs = {key for key in arrays if key.rsplit("/", 1)[0] == name}
    extra = sorted(theirs - variables.keys())
    if extra:
        raise UserError(
            f"init_from: {extra[0]} is in run {source} but not in this spec",
            hint=f"layer '{name}' changed its parameters (use_bias?); leave it out "
            "of init_from.layers to train it from scratch",
        )
    for key, variable in variables.items():
        if key not in arrays:
            raise UserError(
                f"init_from: {key} is in this spec but not in run {source}",
                hint=f"layer '{name}' changed its parameters (use_bias?); leave it "
                "out of init_from.layers to train it from scratch",
            )
        if tuple(arrays[key].shape) != tuple(variable.shape):
            raise UserError(
                f"init_from: {key} has shape {tuple(arrays[key].shape)} in run "
                f"{source} but {tuple(variable.shape)} in this spec",
                hint=f"leave '{name}' out of init_from.layers to train it from "
                "scratch, or give it the same shape",
            )
