"""The `sweep:` section: which spec values a hyperparameter search varies, and its static checks.

Parameters are keyed by the paths `--set` takes (`train.learning_rate`, `layers.conv1.kernel`),
so a trial is exactly `netspec train SPEC --set PATH=VALUE ...` with the sweep removed. The
checks below never import Optuna (netspec.sweep runs the search): they find, before any trial,
the paths that do not exist, spaces whose values the field cannot take, and values (each
choice, each bound) that make the network invalid, by applying them as overrides and running
the loader, as a trial would.
"""

from __future__ import annotations

import copy
import itertools
import json
import math

from netspec.fields import BOOL, POS_INT, REQUIRED, Field, object_schema, tagged_union
from netspec.spec.diagnostics import Diagnostic, SpecError, did_you_mean, dotted
from netspec.spec.names import layer_names
from netspec.spec.yamlpos import Document

METRICS = {"val_accuracy": "accuracy", "val_loss": "loss"}  # -> key in metrics.json's splits
SAMPLERS = ("tpe", "random", "grid")
PRUNERS = ("none", "median")
DEFAULT_TRIALS = 20
MAX_COMBINATIONS = 256  # combinations of choices and bounds checked statically
MAX_GRID = 100_000  # points of a grid (the grid sampler lists them all)
NOT_SWEPT = ("sweep", "extends", "format")  # top-level keys a parameter cannot set

_NUMBER = {"type": "number"}
_SCALAR = {"type": ["string", "number", "boolean", "null"]}
SPACES = {
    "float": {
        "type": Field({"const": "float"}, "A real number between low and high.", REQUIRED),
        "low": Field(_NUMBER, "Smallest value.", REQUIRED),
        "high": Field(_NUMBER, "Largest value.", REQUIRED),
        "log": Field(BOOL, "Sample on a log scale (learning rates, L2 factors).", False),
    },
    "int": {
        "type": Field({"const": "int"}, "An integer between low and high.", REQUIRED),
        "low": Field({"type": "integer"}, "Smallest value.", REQUIRED),
        "high": Field({"type": "integer"}, "Largest value (low + k·step).", REQUIRED),
        "step": Field(POS_INT, "Distance between values (kernel: 3, 5, 7 is step 2).", 1),
    },
    "choice": {
        "type": Field({"const": "choice"}, "One of the listed values.", REQUIRED),
        "values": Field(
            {"type": "array", "items": _SCALAR, "minItems": 1, "uniqueItems": True},
            "The values to try (numbers, strings, booleans).",
            REQUIRED,
        ),
    },
}
PARAMETER = tagged_union(
    "type",
    {name: object_schema(fields, f"{name} space") for name, fields in SPACES.items()},
    "The values a parameter takes: {type: float, low, high, log}, {type: int, low, high, "
    "step} or {type: choice, values: [...]}.",
)

FIELDS = {
    "metric": Field(
        {"type": "string", "examples": list(METRICS)},
        "What trials are compared by: val_accuracy or val_loss, on the validation split of "
        "the final weights (the test split is never used to choose).",
        "val_loss",
    ),
    "goal": Field(
        {"enum": ["max", "min", None]},
        "max or min. Default: max for accuracy, min for loss.",
        None,
    ),
    "trials": Field(
        {"type": ["integer", "null"], "minimum": 1},
        "Trials in all (completed, pruned and failed). Default: 20; with the grid sampler, "
        "the grid's size.",
        None,
    ),
    "sampler": Field(
        {"enum": list(SAMPLERS)},
        "How parameters are chosen: tpe (Bayesian, learns from earlier trials), random, or "
        "grid (every combination; choice and int spaces only).",
        "tpe",
    ),
    "pruner": Field(
        {"enum": list(PRUNERS)},
        "Stop unpromising trials early: median stops a trial whose metric after an epoch is "
        "worse than the median of earlier trials at that epoch; none runs every trial to the end.",
        "none",
    ),
    "parallel": Field(POS_INT, "Trials trained at once, each in its own process.", 1),
    "seed": Field(
        {"type": ["integer", "null"], "minimum": 0},
        "Seed of the sampler (each trial's suggestions follow from it and the trial's "
        "number). Default: train.seed.",
        None,
    ),
    "parameters": Field(
        {"type": "object", "minProperties": 1, "additionalProperties": PARAMETER},
        "The values to vary, keyed by the paths --set takes: `train.learning_rate`, "
        "`layers.conv1.kernel` (layers by name or index), `data.augment.rotation`.",
        REQUIRED,
        ({"train.learning_rate": {"type": "float", "low": 0.0003, "high": 0.01, "log": True}},),
    ),
}
DOC = (
    "A hyperparameter search run by `netspec sweep`: each trial trains this spec with the "
    "parameters set, as its own run; `netspec train` ignores this section."
)


def schema_field() -> Field:
    """The `sweep` field of the spec's top level (absent or null: no sweep)."""
    schema = object_schema(FIELDS, DOC)
    schema["type"] = ["object", "null"]
    return Field(schema, DOC, None, ({"metric": "val_accuracy", "trials": 20, "parameters": {}},))


def normalize(given: dict | None, train_seed: int) -> dict | None:
    """The resolved sweep section (every default filled in), or None."""
    if given is None:
        return None
    out = {name: copy.deepcopy(given.get(name, field.default)) for name, field in FIELDS.items()}
    if out["goal"] is None:
        out["goal"] = "max" if out["metric"].endswith("accuracy") else "min"
    if out["seed"] is None:
        out["seed"] = train_seed
    out["parameters"] = {
        key: {"type": space["type"], **_space_defaults(space)}
        for key, space in given["parameters"].items()
    }
    if out["trials"] is None:
        grid = grid_size(out["parameters"]) if out["sampler"] == "grid" else None
        out["trials"] = grid if grid and grid <= MAX_GRID else DEFAULT_TRIALS
    return out


def _space_defaults(space: dict) -> dict:
    fields = SPACES[space["type"]]
    return {k: space.get(k, f.default) for k, f in fields.items() if k != "type"}


def grid_values(space: dict) -> list:
    """Every value of a choice or int space (the grid sampler's points)."""
    if space["type"] == "choice":
        return list(space["values"])
    return list(range(space["low"], space["high"] + 1, space["step"]))


def grid_size(parameters: dict) -> int | None:
    """The number of grid points, or None when a space is continuous."""
    if any(space["type"] == "float" for space in parameters.values()):
        return None
    return math.prod(
        len(space["values"])
        if space["type"] == "choice"
        else (space["high"] - space["low"]) // space["step"] + 1
        for space in parameters.values()
    )


def override(key: str, value) -> str:
    """`key=value` as --set takes it (JSON is YAML: numbers, strings and booleans round-trip)."""
    return f"{key}={json.dumps(value)}"


# -- static checks ------------------------------------------------------------------------------


def check(doc: Document, path, given: dict, data: dict | None, clean: bool):
    """Diagnostics of a schema-valid sweep section. `data`: the resolved data section (None
    when broken). `clean`: the rest of the spec has no errors, so the values can be tried."""
    yield from _check_metric(doc, given, data)
    sweep = normalize(given, 0)
    parameters = sweep["parameters"]
    bad = set()
    for key, space in parameters.items():
        problems = list(_check_space(doc, key, space, sweep["sampler"]))
        if problems:
            bad.add(key)
        yield from problems
    grid = grid_size({k: s for k, s in parameters.items() if k not in bad})
    if sweep["sampler"] == "grid" and grid and grid > MAX_GRID:
        yield Diagnostic(
            ("sweep", "sampler"),
            f"the grid has {grid:,} points, more than {MAX_GRID:,}",
            "E-SWEEP",
            doc.where(("sweep", "sampler")),
            "fewer values per parameter, or sampler: tpe or random with a number of trials",
        )
    elif sweep["sampler"] == "grid" and grid and (given.get("trials") or 0) > grid:
        yield Diagnostic(
            ("sweep", "trials"),
            f"{given['trials']} trials but the grid has {grid:,} points",
            "E-SWEEP",
            doc.where(("sweep", "trials")),
            f"leave trials out: the grid sampler tries each of the {grid:,} points once",
        )
    located = {}
    for key in parameters:
        if key in bad:
            continue
        where, problem = _locate(doc, key)
        if problem:
            bad.add(key)
            yield problem
            continue
        other = next((k for k, w in located.items() if _overlap(w, where)), None)
        if other is not None:
            bad.add(key)
            yield _at_key(
                doc,
                key,
                f"sets the same value as parameter '{other}'"
                if where == located[other]
                else f"overlaps parameter '{other}': one holds the other",
                "sweep each value once, by one path",
            )
            continue
        located[key] = where
    if clean:
        yield from _check_values(doc, path, {k: s for k, s in parameters.items() if k not in bad})


def _check_metric(doc: Document, given: dict, data: dict | None):
    metric = given.get("metric", FIELDS["metric"].default)
    where = ("sweep", "metric")
    if metric.startswith("test_"):
        yield Diagnostic(
            where,
            f"{metric} selects on the test split",
            "E-SWEEP",
            doc.where(where),
            "choose by val_accuracy or val_loss: the test split must stay unseen until the "
            "chosen model is evaluated, or its score is biased",
        )
    elif metric not in METRICS:
        yield Diagnostic(
            where,
            f"must be one of {', '.join(METRICS)}; got '{metric}'",
            "E-SWEEP",
            doc.where(where),
            did_you_mean(metric, METRICS) or "trials are compared on the validation split",
        )
    elif data and "split" in data and data["split"]["validation"] == 0:
        yield Diagnostic(
            where,
            f"selects on {metric} but data.split.validation is 0",
            "E-SWEEP",
            doc.where(where),
            "give data.split.validation (e.g. 0.1): trials are compared on the validation split",
        )


def _check_space(doc: Document, key: str, space: dict, sampler: str):
    kind = space["type"]
    if any(not part for part in key.split(".")) or any(c in key for c in "= \t"):
        yield _at_key(doc, key, "is not a path like train.learning_rate or layers.conv1.kernel")
        return
    if key.split(".")[0] in NOT_SWEPT:
        yield _at_key(doc, key, f"{key.split('.')[0]} cannot be swept")
        return
    if kind in ("float", "int") and not space["low"] < space["high"]:
        yield _at_key(
            doc, key, f"low must be below high, got low {space['low']} and high {space['high']}"
        )
    elif kind == "float" and space["log"] and space["low"] <= 0:
        yield _at_key(
            doc,
            key,
            f"a log space needs low > 0, got {space['low']}",
            "raise low above 0, or set log: false",
        )
    elif kind == "int" and (space["high"] - space["low"]) % space["step"]:
        top = space["high"] - (space["high"] - space["low"]) % space["step"]
        yield _at_key(
            doc,
            key,
            f"high {space['high']} is not low + k·step ({space['low']} + k·{space['step']})",
            f"set high to {top}",
        )
    if kind == "float" and sampler == "grid":
        yield _at_key(
            doc,
            key,
            "the grid sampler takes choice and int spaces only; this one is float",
            "list the values to try with {type: choice, values: [...]}, or use sampler: "
            "tpe or random",
        )


def _at_key(doc: Document, key: str, message: str, hint: str | None = None) -> Diagnostic:
    path = ("sweep", "parameters", key)
    return Diagnostic(path, message, "E-SWEEP", doc.where(path, key=True), hint)


def _locate(doc: Document, key: str) -> tuple[tuple, Diagnostic | None]:
    """Where `key` points in the document, as far as it exists, by the rules of --set (list
    items by name or index); a problem when a list has no such item or a value is in the way.
    Keys missing from a mapping are left to the schema (an optional field may be absent)."""
    value, where = doc.data, ()
    for part in key.split("."):
        if isinstance(value, list):
            names = layer_names(value)
            if part.lstrip("-").isdigit() and -len(value) <= int(part) < len(value):
                index = int(part) % len(value)
            elif part in names:
                index = names.index(part)
            else:
                known = [n for n in names if n]
                return where, _at_key(
                    doc,
                    key,
                    f"unknown path: {dotted(where)} has no item '{part}'",
                    did_you_mean(part, known)
                    or (f"items here: {', '.join(known)}" if known else None),
                )
            value, where = value[index], where + (index,)
        elif isinstance(value, dict):
            if part not in value:
                return where + tuple(key.split(".")[len(where) :]), None
            value, where = value[part], where + (part,)
        else:
            return where, _at_key(
                doc,
                key,
                f"unknown path: {dotted(where)} is {json.dumps(value)}, not a mapping",
                f"sweep `{_dotted_key(key, len(where))}` itself",
            )
    return where, None


def _dotted_key(key: str, parts: int) -> str:
    return ".".join(key.split(".")[:parts])


def _overlap(a: tuple, b: tuple) -> bool:
    return a[: len(b)] == b or b[: len(a)] == a


def _check_values(doc: Document, path, parameters: dict):
    """Try each parameter's values (choices, bounds) alone, then their combinations (up to
    MAX_COMBINATIONS), by loading the spec with them set."""
    candidates = {}
    for key, space in parameters.items():
        failures: dict[str, list] = {}
        for label, value in _probes(space):
            errors = _try(doc, path, [(key, value)])
            if errors:
                reason = _classify(doc, key, space, value, errors)
                if reason[0] == "unknown":
                    yield reason[1]
                    failures = {}
                    break
                failures.setdefault(reason[0], []).append((label, value, reason[1]))
            elif space["type"] != "float" or label != "value":
                candidates.setdefault(key, []).append(value)
        for kind, failed in failures.items():
            yield _value_problem(doc, key, space, kind, failed)
        if "type" in failures:  # the values that pass alone are still tried together
            candidates.pop(key, None)
    keys = [key for key in parameters if key in candidates]
    if len(keys) < 2:
        return
    total = math.prod(len(candidates[key]) for key in keys)
    combos = itertools.islice(
        itertools.product(*(candidates[key] for key in keys)), MAX_COMBINATIONS
    )
    failed, first = 0, None
    for values in combos:
        errors = _try(doc, path, list(zip(keys, values)))
        if errors:
            failed += 1
            first = first or (values, errors)
    if first:
        settings = _smallest(doc, path, list(zip(keys, first[0])))
        errors = _try(doc, path, settings)
        shown = " with ".join(f"{k}={json.dumps(v)}" for k, v in settings)
        checked = min(total, MAX_COMBINATIONS)
        also = f" ({failed} of {checked} combinations fail)" if failed > 1 else ""
        yield _at_key(
            doc,
            settings[0][0],
            f"{shown} make the spec invalid: {_inner(errors)}{also}",
            errors[0].hint or "narrow the spaces so that every combination is a valid network",
        )
    if total > MAX_COMBINATIONS:
        yield Diagnostic(
            ("sweep", "parameters"),
            f"{total:,} combinations of the parameters' choices and bounds; the first "
            f"{MAX_COMBINATIONS} were checked, the others are checked as their trials start",
            "W-SWEEP",
            doc.where(("sweep", "parameters"), key=True),
            severity="warning",
        )


def _smallest(doc: Document, path, settings: list[tuple[str, object]]) -> list[tuple]:
    """A failing combination with the parameters that play no part in the failure left out
    (each one dropped if the spec stays invalid without it)."""
    for setting in list(settings):
        fewer = [s for s in settings if s is not setting]
        if len(fewer) > 1 and _try(doc, path, fewer):
            settings = fewer
    return settings


def _probes(space: dict) -> list[tuple[str, object]]:
    """(label, value) pairs to try: every choice, the bounds, and for a float space a value
    with a fraction (a float field must take one; an int field refuses it)."""
    if space["type"] == "choice":
        return [("value", v) for v in space["values"]]
    if space["type"] == "int":
        return [("low", space["low"]), ("high", space["high"])]
    low, high = float(space["low"]), float(space["high"])
    middle = math.sqrt(low * high) if space["log"] else (low + high) / 2
    tries = (math.floor(middle) + 0.5, float(f"{middle:.3g}"), middle, low + (high - low) / 7)
    probe = next((x for x in tries if low < x < high and not x.is_integer()), middle)
    return [("value", probe), ("low", low), ("high", high)]


def _try(doc: Document, path, settings: list[tuple[str, object]]) -> list[Diagnostic]:
    """The errors of the spec with `settings` applied (and no sweep), as a trial would load it."""
    from netspec.spec.compose import apply_override
    from netspec.spec.loader import check_document

    trial = Document(copy.deepcopy(doc.data), dict(doc.values), dict(doc.keys))
    try:
        for key, value in settings:
            apply_override(trial, override(key, value))
        apply_override(trial, "sweep=null")
        check_document(trial, path)
    except SpecError as err:
        return [d for d in err.diagnostics if d.severity == "error"]
    return []


def _classify(doc, key, space, value, errors) -> tuple[str, object]:
    """Why a value fails: ("unknown", diagnostic) for a path the spec does not have, ("type",
    error) for a value the field cannot hold, ("invalid", error) for an invalid network."""
    where, _ = _locate(doc, key)
    for error in errors:
        inside = error.path[: len(where)] == where or where[: len(error.path)] == error.path
        if error.code == "E-UNKNOWN-KEY" and inside:
            return "unknown", _at_key(
                doc,
                key,
                f"unknown path: {error.dotted} is not a field of the spec",
                error.hint,
            )
        if error.code == "E-OVERRIDE":
            return "unknown", _at_key(doc, key, f"unknown path: {error.message}", error.hint)
    typed = [e for e in errors if e.code in ("E-TYPE", "E-ENUM", "E-CONST") and e.path == where]
    return ("type", typed[0]) if typed else ("invalid", errors[0])


def _value_problem(doc, key, space, kind, failed) -> Diagnostic:
    error = failed[0][2]
    if kind == "type":
        what = {
            "float": "float values",
            "int": "int values",
            "choice": _listed("choice value", [v for _, v, _ in failed]),
        }[space["type"]]
        hint = {
            "float": "this field takes integers: use {type: int, low, high, step} or "
            "{type: choice, values: [...]}",
            "int": "use {type: choice, values: [...]} with values this field takes",
            "choice": error.hint or "give values of the field's type",
        }[space["type"]]
        verb = "does" if len(failed) == 1 and space["type"] == "choice" else "do"
        return _at_key(doc, key, f"{what} {verb} not fit {error.dotted}: {error.message}", hint)
    if space["type"] == "choice":
        what = _listed("value", [v for _, v, _ in failed])
    else:
        what = " and ".join(f"{label} {json.dumps(value)}" for label, value, _ in failed)
    verb = "makes" if len(failed) == 1 else "make"
    return _at_key(
        doc,
        key,
        f"{what} {verb} the spec invalid: {_inner([error])}",
        error.hint or "narrow the space to values that give a valid network",
    )


def _listed(noun: str, values: list) -> str:
    shown = ", ".join(json.dumps(v) for v in values)
    return f"{noun}{'s' * (len(values) != 1)} {shown}"


def _inner(errors: list[Diagnostic]) -> str:
    first = errors[0]
    text = f"{first.dotted}: {first.message}" if first.path else first.message
    return text + (f" (and {len(errors) - 1} more)" if len(errors) > 1 else "")
