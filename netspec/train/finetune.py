"""`init_from`: start a spec's layers from an earlier run's trained weights, by stable name.

```yaml
init_from: {run: runs/cnn/20250101-120000, layers: [conv1, conv2], freeze: true}
```
`layers: null` loads every layer with weights whose name both models share. An entry names a
layer (`conv1`), a block instance (`stage2_1`: all its layers), a layer inside one
(`stage2_1/conv_a`), a single variable (`logits/bias`), or matches any of these as a glob
(`stage1_*`, `*/bias`). Layers and variables not loaded keep their fresh initial weights.

A layer selected whole must have the same variables with the same shapes in both models; a
variable selected alone must exist in the run with the same shape. Otherwise the error names
the variable and both shapes. So a widened `hidden` still passes on `logits/bias`, whose shape
did not change, while `logits/kernel` starts fresh (`netspec diff` works out such a plan).

The manifest records what was loaded: a layer's full name when all its variables were
loaded, else each loaded variable as `<layer>/<variable>`. `freeze: true` freezes exactly the
layers so recorded: a partly loaded layer keeps training, all of it.

`warm_start(run, spec)` computes that list from a run to a spec (netspec.spec.diff), for
`netspec train SPEC --init-from RUN` and `netspec diff RUN SPEC --init-from`. This module
imports Keras only where it touches a model.
"""

from __future__ import annotations

import copy
from pathlib import Path

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


def warm_start(run_dir, spec: Spec, run_as: str | None = None):
    """(diff, init_from section): the plan from the completed run at `run_dir` to `spec`
    (netspec.spec.diff) and the section loading every variable that transfers. `run_as`:
    how the section names the run (default: its absolute path). No TensorFlow."""
    from netspec.spec.diff import diff

    run = open_run(run_dir)
    check_trained(run)
    plan = diff(run.spec(), spec, (str(run_dir), str(spec.path)))
    section = plan.init_from(run_as or str(run.path.resolve()))
    if not section["layers"]:
        raise UserError(
            f"no variable of run {run_dir} fits {spec.path} by name and shape: nothing to load",
            hint=f"see why: netspec diff {run_dir} {spec.path}",
        )
    return plan, section


def load_layers(model, spec) -> dict | None:
    """Load the layers and variables `spec.init_from` selects, and freeze the layers loaded
    whole if it says so.

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
    chosen = _chosen(model, spec.init_from["layers"], arrays, run.path)
    for key, variable in chosen.items():
        variable.assign(arrays[key])
    loaded = loaded_names(model, chosen)
    if spec.init_from["freeze"]:
        freeze(model, loaded)
    return {
        "run": str(run.path),
        "spec_hash": manifest.get("spec", {}).get("hash"),
        "layers": loaded,
        "freeze": spec.init_from["freeze"],
    }


def freeze(model, names: list[str]) -> None:
    """Make the named layers (full names) not trainable (before training: Keras reads it
    when the optimizer is built). Entries naming one variable (`logits/bias`: its layer was
    loaded in part) freeze nothing."""
    from netspec.compile.model import spec_layers

    layers = spec_layers(model)
    for name in names:
        if name in layers:
            layers[name].trainable = False


def loaded_names(model, chosen: dict) -> list[str]:
    """What the manifest records of the loaded variables `chosen` (keys `<layer>/<var>`): a
    layer's full name when all its variables were loaded, else each variable's."""
    from netspec.compile.model import spec_layers

    names = []
    for name, layer in spec_layers(model).items():
        keys = [f"{name}/{w.name}" for w in layer.weights]
        taken = [key for key in keys if key in chosen]
        names += [name] if taken and taken == keys else taken
    return names


def _chosen(model, patterns: list[str] | None, arrays: dict, source: Path) -> dict:
    """The variables `patterns` select, by `<layer full name>/<variable>`, in model order.

    An entry selects the layers (and instances) it names or matches whole, and besides them
    the single variables it names or matches."""
    from netspec.compile.model import spec_layers

    in_source = {key.rsplit("/", 1)[0] for key in arrays if not key.startswith("@")}
    with_weights = {name: layer for name, layer in spec_layers(model).items() if layer.weights}
    if patterns is None:
        whole = [name for name in with_weights if name in in_source]
        if not whole:
            raise UserError(
                f"init_from: no layer of this spec has weights in {source}",
                hint="layer names must match; list them in init_from.layers",
            )
        singles = []
    else:
        whole, singles = [], []
        for pattern in patterns:
            layers, variables = _selected(pattern, with_weights)
            if not layers and not variables:
                raise UserError(
                    f"init_from.layers: no layer or variable with weights named '{pattern}' "
                    "in this spec",
                    hint=f"its layers with weights: {', '.join(with_weights)}",
                )
            missing = [name for name in layers if name not in in_source]
            if missing:
                raise UserError(
                    f"init_from.layers: run {source} has no layer '{missing[0]}'"
                    + (f" (selected by '{pattern}')" if missing[0] != pattern else ""),
                    hint=f"its layers with weights: {', '.join(sorted(in_source))}",
                )
            missing = [key for key in variables if key not in arrays]
            if missing:
                raise UserError(
                    f"init_from.layers: run {source} has no variable '{missing[0]}'"
                    + (f" (selected by '{pattern}')" if missing[0] != pattern else ""),
                    hint="leave it out of init_from.layers to train it from scratch",
                )
            whole += layers
            singles += variables
    chosen = {}
    for name, layer in with_weights.items():
        variables = {f"{name}/{w.name}": w for w in layer.weights}
        if name in whole:
            _check_same_params(name, variables, arrays, source)
            chosen.update(variables)
            continue
        for key, variable in variables.items():
            if key in singles:
                _check_same_shape(key, variable, arrays, source, key)
                chosen[key] = variable
    return chosen


def _selected(pattern: str, with_weights: dict) -> tuple[list[str], list[str]]:
    """(layers `pattern` selects whole, variables of the other layers it selects)."""
    layers = [name for name in with_weights if selects(pattern, name)]
    variables = [
        f"{name}/{w.name}"
        for name, layer in with_weights.items()
        if name not in layers
        for w in layer.weights
        if selects(pattern, f"{name}/{w.name}")
    ]
    return layers, variables


def _check_same_params(name: str, variables: dict, arrays: dict, source: Path) -> None:
    theirs = {key for key in arrays if key.rsplit("/", 1)[0] == name}
    extra = sorted(theirs - variables.keys())
    if extra:
        raise UserError(
            f"init_from: {extra[0]} is in run {source} but not in this spec",
            hint=f"layer '{name}' changed its parameters (use_bias?); leave it out "
            "of init_from.layers to train it from scratch, or list the variables to load "
            f"one by one (`{name}/kernel`)",
        )
    for key, variable in variables.items():
        if key not in arrays:
            raise UserError(
                f"init_from: {key} is in this spec but not in run {source}",
                hint=f"layer '{name}' changed its parameters (use_bias?); leave it "
                "out of init_from.layers to train it from scratch, or list the variables to "
                f"load one by one (`{name}/kernel`)",
            )
        _check_same_shape(key, variable, arrays, source, name)


def _check_same_shape(key: str, variable, arrays: dict, source: Path, entry: str) -> None:
    if tuple(arrays[key].shape) != tuple(variable.shape):
        raise UserError(
            f"init_from: {key} has shape {tuple(arrays[key].shape)} in run "
            f"{source} but {tuple(variable.shape)} in this spec",
            hint=f"leave '{entry}' out of init_from.layers to train it from "
            "scratch, or give it the same shape"
            + ("; `netspec diff` lists the variables that fit" if entry != key else ""),
        )
