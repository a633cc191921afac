"""What `netspec export` exports: a training run's model, or a spec's freshly built one."""

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from netspec.errors import UsageError, UserError


@dataclass
class Exportable:
    spec: object  # netspec.spec.Spec
    settings: dict  # its export section, after --set
    source: Path  # the run directory or spec file, absolute (recorded in the metadata)
    default_out: Path
    is_run: bool

    def load_model(self):
        """The Keras model to export (imports TensorFlow): trained weights, or fresh ones."""
        if self.is_run:
            from netspec.train.runs import load_run

            return load_run(self.source)[1]
        from netspec.compile import build_model

        return build_model(self.spec)


def resolve(target: Path | None, overrides=(), runs_root=None) -> Exportable:
    """A run directory, a spec file, or (None) the most recent completed run under `runs_root`.

    Only reads specs, so option mistakes show before TensorFlow loads. For a run only
    `export.*` may be overridden: the weights were trained for its spec.
    """
    from netspec import spec as specs
    from netspec.train import runs

    path = Path(target) if target is not None else runs.latest_run(runs_root or runs.RUNS_ROOT)
    if not path.is_dir():
        spec = specs.load(path, overrides)
        return Exportable(spec, spec.export, path.resolve(), Path("export") / spec.name, False)
    run = runs.open_run(path)
    changed = [o for o in overrides if not o.split("=", 1)[0].strip().startswith("export.")]
    if changed:
        raise UsageError(
            f"--set {changed[0]}: a trained run's model cannot change",
            hint="only export.* settings can be set when exporting a run; "
            "to change the model, train it again",
        )
    spec = specs.load(run.spec_file)
    settings = specs.load(run.spec_file, overrides).export if overrides else spec.export
    return Exportable(spec, settings, run.path.resolve(), run.path / "export", True)


def verification_batch(spec) -> tuple[tuple[str, np.ndarray] | None, list[str] | None, list[str]]:
    """(("test", raw inputs) or None, class names or None, notes) from the spec's data."""
    from netspec.data import load

    try:
        data = load(spec)
    except UserError as err:
        return None, None, [f"no real data to verify on ({err.message}); random inputs only"]
    split = next(
        (
            (name, x)
            for name, x in (
                ("test", data.x_test),
                ("validation", data.x_val),
                ("train", data.x_train),
            )
            if x is not None
        )
    )
    notes = [] if split[0] == "test" else [f"no test split; verified on the {split[0]} split"]
    return split, data.class_names, notes
