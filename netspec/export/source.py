"""What `netspec export` exports: a training run's model, or a spec's freshly built one."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from netspec.errors import UsageError, UserError
from netspec.runs import RUNS_ROOT, Run, latest_run, open_run

VERIFY_EXAMPLES = 10_000  # at most this many real examples go through the three engines


@dataclass
class Exportable:
    spec: object  # netspec.spec.Spec
    settings: dict  # its export section, after --set
    source: Path  # the run directory or spec file, absolute (recorded in the metadata)
    default_out: Path
    run: Run | None = None  # when exporting a trained run

    def load_model(self):
        """The float32 Keras model to export (imports TensorFlow): trained weights, or fresh
        ones. Exports are float32 whatever the spec trains with (netspec.export.precision)."""
        if self.run is not None:
            from netspec.runs.trained import load_trained

            return load_trained(self.run, "float32")[1]
        from netspec.compile import build_model

        return build_model(self.spec, "float32")


def resolve(target: Path | None, overrides=(), runs_root=None) -> Exportable:
    """A run directory, a spec file, or (None) the most recent completed run under `runs_root`.

    Only reads specs and manifests, so mistakes show before TensorFlow loads. For a run only
    `export.*` may be overridden: the weights were trained for its spec.
    """
    from netspec import spec as specs
    from netspec.runs.trained import check_trained

    path = latest_run(runs_root or RUNS_ROOT).path if target is None else Path(target)
    if not path.is_dir():
        spec = specs.load(path, overrides)
        return Exportable(spec, spec.export, path.resolve(), Path("export") / spec.name)
    run = open_run(path)
    check_trained(run)
    changed = [o for o in overrides if not o.split("=", 1)[0].strip().startswith("export.")]
    if changed:
        raise UsageError(
            f"override {changed[0]}: a trained run's model cannot change",
            hint="only export.* settings can be set when exporting a run; "
            "to change the model, train it again",
        )
    spec = run.spec()
    settings = (
        specs.load(run.spec_file, overrides, resolved=True).export if overrides else spec.export
    )
    return Exportable(spec, settings, run.path.resolve(), run.export_dir, run)


def verification_batch(spec) -> tuple[tuple[str, np.ndarray] | None, list[str] | None, list[str]]:
    """(("test", raw inputs) or None, class names or None, notes) from the spec's data."""
    from netspec.data.dataset import first, load

    try:
        data = load(spec)
    except UserError as err:
        return None, None, [f"no real data to verify on ({err.message}); random inputs only"]
    name = next(name for name in ("test", "validation", "train") if data.split(name) is not None)
    notes = [] if name == "test" else [f"no test split; verified on the {name} split"]
    return (name, first(data.split(name), VERIFY_EXAMPLES)), data.class_names, notes
