"""One training run, new or resumed, from spec to trained weights and run directory.

Resuming gives the weights an uninterrupted run would have (bit for bit on CPU) because
everything that decides the next epoch is either saved in the checkpoint or a pure function of
(seed, epoch):
- model variables, including each dropout layer's RNG state, and the optimizer's variables,
  including its step counter (which drives the learning-rate schedule), are checkpointed after
  every epoch;
- the input pipeline is rebuilt for every epoch from an example order drawn from
  (data seed, epoch), so its own seeded shuffle and augmentation restart identically too;
- initial weights and dropout seeds come from (train.seed, layer name) (compiler).
`tf.config.experimental.enable_op_determinism()` is not turned on: TensorFlow's CPU kernels are
already deterministic (tests/train checks it across processes), and the switch cannot be undone
in a process and serializes parallel tf.data maps. It is turned on only when a GPU is visible,
where some kernels are not deterministic; the manifest records it.
"""

from __future__ import annotations

import copy
import math
import time
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
import yaml

import netspec.data
import netspec.spec
from netspec.compile import build_model, compile_model
from netspec.errors import UsageError, UserError
from netspec.train import checkpoints, finetune, history, manifest as manifests
from netspec.train.early_stopping import EarlyStopping
from netspec.train.evaluation import evaluate_model
from netspec.train.progress import BatchProgress, make_reporter
from netspec.train.runs import COMPLETED, FAILED, INTERRUPTED, RUNNING, Run, is_alive, new_run
from netspec.train.tb_logs import EpochLogs


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C during training: the run is saved up to its last completed epoch."""

    def __init__(self, run_dir: Path, epochs_completed: int, epochs: int):
        super().__init__(f"interrupted after epoch {epochs_completed}/{epochs}")
        self.run_dir, self.epochs_completed, self.epochs = run_dir, epochs_completed, epochs


def train(spec=None, out=None, resume=None, quiet: bool = False) -> Path:
    """Train `spec` (a Spec or a spec file) into a new run directory, or continue the run
    directory `resume`; returns the run directory."""
    if resume is not None:
        if spec is not None or out is not None:
            raise UsageError("resume takes only the run directory: its spec.yaml is the spec")
        run, spec, meta, arrays = _open_for_resume(Path(resume))
    else:
        if spec is None:
            raise UsageError("give a spec to train, or a run directory to resume")
        if not isinstance(spec, netspec.spec.Spec):
            spec = netspec.spec.load(spec)
        run, spec = _start(spec, out)
        meta, arrays = {}, None
    return _train(run, spec, meta, arrays, quiet)


def _start(spec, out) -> tuple[Run, netspec.spec.Spec]:
    """Create the run directory with its spec.yaml, and return the spec as reloaded from it,
    so a new run and its later --resume train exactly the same document."""
    doc = copy.deepcopy(spec.doc)
    if spec.init_from is not None:  # spec.yaml lives elsewhere: make the path absolute
        doc["init_from"]["run"] = str(finetune.source_run(spec).path)
    run = new_run(spec.name, out)
    run.spec_file.write_text(f"# resolved from {spec.path}\n"
                             + yaml.safe_dump(doc, sort_keys=False))
    resolved = netspec.spec.load(run.spec_file)
    resolved.source = spec
    return run, resolved


def _open_for_resume(path: Path):
    from netspec.train.runs import open_run

    run = open_run(path)
    manifest = run.manifest()
    status = manifest.get("status")
    if status == COMPLETED:
        raise UserError(f"run {run.path} already completed; nothing to resume",
                        hint="train again without --resume to start a new run")
    if is_alive(manifest):
        raise UserError(f"run {run.path} is still being trained by process {manifest['pid']}",
                        hint="wait for it, or stop it (Ctrl-C) and then resume")
    spec = netspec.spec.load(run.spec_file)
    if spec.hash != manifest["spec"]["hash"]:
        raise UserError(f"{run.spec_file} was changed after the run started",
                        hint="a run trains the spec it started with; start a new run instead")
    if run.last_checkpoint.exists():
        arrays, meta = checkpoints.load(run.last_checkpoint)
    else:  # stopped before its first epoch completed
        arrays, meta = None, {}
    return run, spec, meta, arrays


def _train(run: Run, spec, meta: dict, arrays, quiet: bool) -> Path:
    deterministic_ops()
    keras.utils.set_random_seed(spec.train["seed"])
    data = netspec.data.load(spec)
    _check_data(spec, data)
    steps = math.ceil(len(data.y_train) / spec.train["batch_size"])
    with tf.distribute.get_strategy().scope():  # the default one; multi-device plugs in here
        model = build_model(spec)
        init_from = finetune.apply(model, spec, load=arrays is None)
        compile_model(model, spec, steps)
        model.optimizer.build(model.trainable_variables)
        if arrays is not None:
            checkpoints.assign(_state(model), arrays, run.last_checkpoint)
    manifest = _begin(run, spec, data, init_from)
    rows = meta.get("history", [])
    stopper = EarlyStopping.from_spec(spec.train["early_stopping"], meta.get("early_stopping"))
    reporter = make_reporter(quiet)
    tb_logs = EpochLogs(run.tb_dir)
    epochs = spec.train["epochs"]
    try:
        for data.warning in data.warnings:
            print(f"warning: {data.warning}")
        validation = _pipeline(data.x_val, data.y_val, spec, data, training=False)
        callbacks = [BatchProgress(reporter)] if reporter.live else []
        for epoch in range(meta.get("epochs_completed", 0), epochs):
            reporter.start_epoch(epoch + 1, epochs, steps)
            started = time.monotonic()
            fitted = model.fit(_epoch_data(data, spec, epoch), validation_data=validation,
                               initial_epoch=epoch, epochs=epoch + 1, verbose=0,
                               callbacks=callbacks)
            row = {"epoch": epoch + 1, **{k: v[-1] for k, v in fitted.history.items()},
                   "learning_rate": learning_rate(model),
                   "seconds": round(time.monotonic() - started, 3)}
            if stopper is not None and stopper.update(row) and stopper.restore_best:
                checkpoints.save(run.best_checkpoint, checkpoints.model_weights(model))
            checkpoints.save(run.last_checkpoint, _state(model), {
                "epochs_completed": epoch + 1, "history": rows + [row],
                "early_stopping": stopper.state() if stopper else None})
            rows = rows + [row]
            history.write_csv(run.history_file, rows)
            tb_logs.write(epoch + 1, row)
            reporter.end_epoch(row, epochs)
            manifest["epochs_completed"] = epoch + 1
            manifests.write(run, manifest)
            if stopper is not None and stopper.should_stop:
                manifest["stopped_early"] = {"epoch": epoch + 1, "best_epoch": stopper.best_epoch,
                                             "monitor": stopper.monitor, "best": stopper.best}
                break
    except KeyboardInterrupt:
        reporter.close()
        _end(run, spec, manifest, INTERRUPTED)
        raise TrainingInterrupted(run.path, manifest["epochs_completed"], epochs) from None
    except BaseException as err:
        reporter.close()
        _end(run, spec, manifest, FAILED, error=f"{type(err).__name__}: {err}")
        raise
    finally:
        tb_logs.close()
    reporter.close()
    if stopper is not None and stopper.restore_best and run.best_checkpoint.exists():
        best, _ = checkpoints.load(run.best_checkpoint)
        checkpoints.assign(checkpoints.model_weights(model), best, run.best_checkpoint)
    checkpoints.save(run.final_weights, checkpoints.model_weights(model))
    manifests.write_metrics(run, _final_metrics(model, spec, data, manifest))
    _end(run, spec, manifest, COMPLETED)
    return run.path


def deterministic_ops() -> None:
    """See the module docstring: only where a GPU makes it necessary."""
    if tf.config.list_physical_devices("GPU"):
        tf.config.experimental.enable_op_determinism()


def learning_rate(model) -> float:
    """The rate the next step will use (the schedule at the optimizer's step counter)."""
    return float(keras.ops.convert_to_numpy(model.optimizer.learning_rate))


def _state(model) -> dict:
    return {**checkpoints.model_state(model), **checkpoints.optimizer_state(model.optimizer)}


def _check_data(spec, data) -> None:
    stop = spec.train["early_stopping"]
    if stop and stop["monitor"].startswith("val_") and data.x_val is None:
        raise UserError(f"train.early_stopping monitors {stop['monitor']}, but the validation "
                        "split is empty", hint="give data.split.validation, or monitor loss")


def _pipeline(x, y, spec, data, training: bool):
    if x is None:
        return None
    return netspec.data.pipeline(x, y, spec, training, data.num_classes)


def _epoch_data(data, spec, epoch: int):
    """Epoch `epoch`'s batches: a pure function of (data seed, epoch), whatever ran before."""
    order = np.random.default_rng([spec.data["seed"], epoch]).permutation(len(data.y_train))
    return _pipeline(data.x_train[order], data.y_train[order], spec, data, training=True)


def _begin(run: Run, spec, data, init_from) -> dict:
    if run.manifest_file.exists():  # resuming
        manifest = run.manifest()
        manifest.update(status=RUNNING, finished_at=None, pid=manifests.os.getpid(),
                        host=manifests.socket.gethostname())
        manifest.pop("error", None)
        manifest["sessions"].append(manifests.session())
        manifests.note_environment_change(manifest)
    else:
        source = getattr(spec, "source", spec)
        manifest = manifests.new_manifest(spec, data, str(source.path), source.hash, init_from)
    manifests.write(run, manifest)
    return manifest


def _end(run: Run, spec, manifest: dict, status: str, error: str | None = None) -> None:
    manifest.update(status=status, finished_at=manifests.now())
    if error:
        manifest["error"] = error
    manifests.write(run, manifest)
    if run.last_checkpoint.exists():
        _, meta = checkpoints.load(run.last_checkpoint)
        history.plot_curves(run.curves_file, meta["history"], f"{spec.name}  ({run.path.name})")


def _final_metrics(model, spec, data, manifest) -> dict:
    splits = {"train": (data.x_train, data.y_train), "validation": (data.x_val, data.y_val),
              "test": (data.x_test, data.y_test)}
    metrics = {"epochs_completed": manifest["epochs_completed"],
               "stopped_early": manifest.get("stopped_early")}
    for name, (x, y) in splits.items():
        if x is not None:
            result = evaluate_model(model, x, y, spec, data.class_names)
            metrics[name] = {"loss": result.loss, "accuracy": result.accuracy,
                             "examples": result.count}
    return metrics
