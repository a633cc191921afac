"""load(): file -> composed document -> schema check -> resolved spec -> static checks."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from netspec.data.sources import DEFAULT
from netspec.errors import UsageError
from netspec.spec import checks, migrate, normalize, schema, sweep, yamlpos
from netspec.spec.compose import load_composed
from netspec.spec.diagnostics import Diagnostic, SpecError
from netspec.spec.expand import expand
from netspec.spec.graph import Graph
from netspec.spec.shapes import LayerInfo, infer
from netspec.spec.yamlpos import Document

NO_LOCATIONS = Document({}, {}, {})  # a resolved spec's document: it has no lines to point at


@dataclass
class Spec:
    """A valid, resolved spec. `doc` is the whole resolved document (JSON-serializable).

    `made_hash` is the hash a spec of an older format was made with (netspec.spec.migrate).
    """

    path: Path
    doc: dict
    warnings: list[Diagnostic] = field(default_factory=list)
    made_hash: str | None = None

    name = property(lambda self: self.doc["name"])
    input = property(lambda self: self.doc["input"])
    layers = property(lambda self: self.doc["layers"])  # as written: see `graph`
    blocks = property(lambda self: self.doc["blocks"])
    train = property(lambda self: self.doc["train"])
    data = property(lambda self: self.doc["data"])
    export = property(lambda self: self.doc["export"])
    init_from = property(lambda self: self.doc["init_from"])
    limits = property(lambda self: self.doc["limits"])

    @property
    def hash(self) -> str:
        return self.made_hash or document_hash(self.doc)

    @cached_property
    def graph(self) -> Graph:
        """The network: every layer, block instances expanded (netspec.spec.graph)."""
        graph, _ = expand(
            self.layers, self.blocks, self.input["name"], self.doc["output"], NO_LOCATIONS
        )
        return graph

    def layer_infos(self) -> list[LayerInfo]:
        """Every layer's shapes and costs, in graph order (each after its inputs)."""
        return infer(self.graph, self.input["shape"])[0]

    @property
    def output_info(self) -> LayerInfo:
        """The layer that gives the logits."""
        return next(info for info in self.layer_infos() if info.name == self.graph.output)


def document_hash(doc: dict) -> str:
    import hashlib  # imported lazily: `netspec validate` skips it

    canonical = json.dumps(doc, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def load(path, overrides=(), resolved: bool = False) -> Spec:
    """Load and check a spec; raises SpecError with every problem found, best first.

    `resolved`: the file is a run's spec.yaml, which may be in an older format."""
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"{path}: no such file" if not path.exists() else f"{path}: not a file")
    return check_document(load_composed(path, overrides), path, resolved)


def load_resolved(doc: dict, origin: Path) -> Spec:
    """A resolved spec kept as data (an export's netspec.json), checked like a spec file read
    from `origin`; messages name `origin`."""
    import yaml

    text = yaml.safe_dump(doc, sort_keys=False)
    return check_document(yamlpos.load(text, str(origin)), Path(origin), resolved=True)


def check_document(doc: Document, path: Path, resolved: bool = False) -> Spec:
    """A composed document as a checked Spec (what `load` does once the file is read)."""
    made_hash = None
    version = migrate.version_of(doc.data, resolved)
    if version < migrate.FORMAT:
        made_hash = document_hash(doc.data)
        doc.data = migrate.migrate(doc.data, version)
    problems = list(schema.check(doc))
    spec_doc, more = resolve(doc, path, problems, resolved)
    problems += more
    errors = [d for d in problems if d.severity == "error"]
    if errors:
        raise SpecError(problems)
    warnings = [d for d in problems if d.severity == "warning"]
    return Spec(path, spec_doc, warnings, made_hash)


def resolve(
    doc, path: Path, broken_paths: list[Diagnostic], resolved: bool = False
) -> tuple[dict, list[Diagnostic]]:
    """Normalize every section (and layer) that passed the schema, and run the checks that
    those allow, so one run reports as many problems as can be found. A resolved spec (a
    run's) was checked when it was made: its sweep's values are not tried again."""
    problems: list[Diagnostic] = []
    broken = {
        d.path[0]
        for d in broken_paths
        if d.path and not (d.path[0] == "layers" and len(d.path) > 1)
    }
    if any(not d.path for d in broken_paths):
        broken.add("*")
    data = doc.data
    ok = lambda section: section not in broken and "*" not in broken  # noqa: E731
    broken_layers = {
        d.path[1] for d in broken_paths if d.path[:1] == ("layers",) and len(d.path) > 1
    }
    train = normalize.normalize_train(data.get("train") or {}) if ok("train") else None
    source = (data.get("data") or {}).get("source", DEFAULT) if ok("data") else DEFAULT
    seed = train["seed"] if train else 0
    data_cfg = normalize.normalize_data(doc, data.get("data") or {}, seed) if ok("data") else None
    data_for_input = data_cfg or {"source": source}
    spec_input = normalize.normalize_input(data["input"], data_for_input) if ok("input") else None
    blocks = normalize.normalize_blocks(data.get("blocks")) if ok("blocks") else None
    layers, complete, graph = [], False, None
    if ok("layers") and isinstance(data.get("layers"), list):
        layers, layer_problems = normalize.normalize_layers(doc, data["layers"], broken_layers)
        problems += layer_problems
        complete = len(layers) == len(data["layers"])
        problems += checks.check_names(
            doc, data["layers"], spec_input["name"] if spec_input else ""
        )
    if blocks is not None:
        written = data.get("layers") if isinstance(data.get("layers"), list) else []
        problems += checks.check_blocks(doc, blocks, written)
    if layers and spec_input and blocks is not None and ok("output"):
        graph, more = expand(layers, blocks, spec_input["name"], data.get("output"), doc, complete)
        problems += more
    rest = (
        normalize.normalize_sections(doc)
        if ok("export") and ok("init_from") and ok("limits")
        else None
    )

    if train:
        problems += checks.check_train(doc, train)
    if data_cfg:
        problems += checks.check_data(doc, data_cfg, train, spec_input)
    if spec_input:
        problems += checks.check_input(doc, spec_input, data_cfg)
    if complete and graph and rest and rest["init_from"]:
        problems += checks.check_init_from(doc, rest["init_from"], graph)
    if graph and rest:
        problems += checks.check_shapes(doc, graph, spec_input, data_cfg, rest["limits"], complete)
    if ok("sweep") and data.get("sweep") is not None:
        clean = not resolved and not any(d.severity == "error" for d in broken_paths + problems)
        problems += sweep.check(doc, path, data["sweep"], data_cfg, clean)
    if not (train and data_cfg and spec_input and complete and graph and rest):
        return {}, problems
    resolved = {
        "format": migrate.FORMAT,
        "name": normalize.model_name(doc, path),
        "description": data.get("description", ""),
        "input": spec_input,
        "blocks": blocks,
        "layers": layers,
        "output": data.get("output"),
        "train": train,
        "data": data_cfg,
        **rest,
        "sweep": sweep.normalize(data.get("sweep"), train["seed"]),
    }
    return resolved, problems
