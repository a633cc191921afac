"""`init_from`: start a spec's layers from an earlier run's trained weights, by stable name.

```yaml
init_from: {run: runs/cnn/20250101-120000, layers: [conv1, conv2], freeze: true}
```
`layers: null` loads every layer with weights whose name both models share. Layers not loaded
keep their fresh initial weights. A loaded layer must have the same parameters with the same
shapes in both models; otherwise the error names the layer, the parameter and both shapes.
"""

from __future__ import annotations

import copy
from pathlib import Path

from netspec.errors import UserError
from netspec.runs import Run, checkpoints, open_run
from netspec.runs.trained import check_trained
from netspec.spec import Spec


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
    for layer in chosen:
        variables = {f"{layer.name}/{w.name}": w for w in layer.weights}
        _check_same_params(layer.name, variables, arrays, run.path)
        for key, variable in variables.items():
            variable.assign(arrays[key])
    names = [layer.name for layer in chosen]
    if spec.init_from["freeze"]:
        freeze(model, names)
    return {
        "run": str(run.path),
        "spec_hash": manifest.get("spec", {}).get("hash"),
        "layers": names,
        "freeze": spec.init_from["freeze"],
    }


def freeze(model, names: list[str]) -> None:
    """Make the named layers not trainable (before compiling: Keras reads it then)."""
    for name in names:
        model.get_layer(name).trainable = False


def _chosen_layers(model, names: list[str] | None, arrays: dict, source: Path) -> list:
    in_source = {key.split("/", 1)[0] for key in arrays if not key.startswith("@")}
    with_weights = [layer for layer in model.layers if layer.weights]
    if names is None:
        chosen = [layer for layer in with_weights if layer.name in in_source]
        if not chosen:
            raise UserError(
                f"init_from: no layer of this spec has weights in {source}",
                hint="layer names must match; list them in init_from.layers",
            )
        return chosen
    by_name = {layer.name: layer for layer in model.layers}
    for name in names:
        if name not in by_name:
            raise UserError(
                f"init_from.layers: no layer named '{name}' in this spec",
                hint=f"layers: {', '.join(by_name)}",
            )
        if not by_name[name].weights:
            raise UserError(f"init_from.layers: layer '{name}' has no weights to load")
        if name not in in_source:
            raise UserError(
                f"init_from.layers: run {source} has no layer '{name}'",
                hint=f"its layers with weights: {', '.join(sorted(in_source))}",
            )
    return [by_name[name] for name in names]


def _check_same_params(name: str, variables: dict, arrays: dict, source: Path) -> None:
    theirs = {key for key in arrays if key.startswith(f"{name}/")}
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
