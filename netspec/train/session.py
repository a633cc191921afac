"""One training run, new or resumed, from spec to trained weights and run directory.

Resuming gives the weights an uninterrupted run would have (bit for bit on CPU) because
everything that decides the next epoch is either saved in the checkpoint or a pure function of
(seed, epoch):
- model variables, including each dropout layer's RNG state, and the optimizer's variables,
  including its step counter (which drives the learning-rate schedule), are checkpointed after
  every epoch;
- each epoch's training batches (order and augmentation) are a pure function of
  (data seed, epoch) (netspec.data.pipeline), and a resumed run reads its data the way it
  started (held in memory or streamed: the manifest's data.cache);
- initial weights and dropout seeds come from (train.seed, layer name) (compiler).
See determinism.py for seeding and op determinism.
"""

from __future__ import annotations

import math
import sys
from contextlib import ExitStack
from pathlib import Path

import tensorflow as tf
import yaml

import netspec
import netspec.data
import netspec.spec
from netspec import files
from netspec.compile import build_model, compile_model
from netspec.errors import UsageError, UserError, one_line
from netspec.runs import (
    COMPLETED,
    FAILED,
    INTERRUPTED,
    RUNS_ROOT,
    Run,
    checkpoints,
    latest_unfinished_run,
    new_run,
    open_run,
)
from netspec.runs import manifest as manifests
from netspec.train import determinism, finetune, history
from netspec.train.early_stopping import EarlyStopping
from netspec.train.evaluation import evaluate_model
from netspec.train.progress import BatchProgress, make_reporter
from netspec.train.recorder import EpochRecorder, training_state
from netspec.train.stopping import (
    TrainingInterrupted,
    reading_errors,
    signal_of,
    sigterm_as_interrupt,
)


def train(spec=None, out=None, resume=None, quiet: bool = False) -> Path:
    """Train `spec` (a Spec or a spec file) into a new run directory (`out`, or
    runs/<name>/<timestamp>); returns the run directory.

    `resume`: a run directory (or Run) to continue (then no spec), or True to continue the latest
    unfinished run of `spec` under runs/<name>/. SIGTERM is handled like Ctrl-C.
    """
    with sigterm_as_interrupt(), ExitStack() as owned:
        if resume:
            if out is not None:
                raise UsageError("a resumed run continues in its own directory; no new one")
            if resume is True:
                run = _latest_unfinished(_prepared(spec))
            elif spec is not None:
                raise UsageError("resuming takes the run directory only: its spec.yaml is the spec")
            else:
                run = resume if isinstance(resume, Run) else open_run(resume)
            owned.enter_context(run.lock())
            return _resume(run, quiet)
        return _new(_prepared(spec), out, quiet, owned)


def _prepared(spec) -> netspec.spec.Spec:
    if spec is None:
        raise UsageError("give a spec to train, or a run directory to resume")
    if not isinstance(spec, netspec.spec.Spec):
        spec = netspec.spec.load(spec)
    return finetune.with_absolute_run(spec)


def _new(spec, out, quiet: bool, owned: ExitStack) -> Path:
    """Everything that can fail on the user's input happens before the run directory exists."""
    determinism.seed(spec.train["seed"])
    data = _load_data(spec)
    model = _model(spec)
    _check_classes(model, spec, data)
    init_from = finetune.load_layers(model, spec)
    _compile(model, spec, data)
    run = new_run(spec.name, out)
    owned.enter_context(run.lock())
    _write_spec(run, spec)
    manifest = manifests.new_manifest(spec, data, spec.path.resolve(), init_from)
    manifests.write(run, manifest)
    return _fit(run, spec, data, model, manifest, {}, quiet)


def _resume(run: Run, quiet: bool) -> Path:
    """Continue `run`, which this process owns (its lock is held)."""
    manifest = run.manifest()
    if manifest.get("status") == COMPLETED:
        raise UserError(
            f"run {run.path} already completed; nothing to resume",
            hint="train again without --resume to start a new run",
        )
    spec = run.spec()
    if spec.hash != manifest["spec"].get("hash"):
        raise UserError(
            f"{run.spec_file} was changed after the run started",
            hint="a run trains the spec it started with; start a new run instead",
        )
    determinism.seed(spec.train["seed"])
    data = _load_data(spec, manifest.get("data", {}).get("cache", "memory"))
    if data.fingerprint != manifest.get("data", {}).get("fingerprint"):
        raise UserError(
            f"the data of run {run.path} changed since it started "
            f"({data.source}: fingerprint {data.fingerprint[:12]}, "
            f"was {str(manifest.get('data', {}).get('fingerprint'))[:12]})",
            hint="restore the original data, or start a new run",
        )
    model, meta = _model(spec), {}
    _check_classes(model, spec, data)
    if run.last_checkpoint.exists():
        arrays, meta = checkpoints.load(run.last_checkpoint, training=True)
        if meta["epochs_completed"] > spec.train["epochs"]:
            raise UserError(
                f"{run.last_checkpoint}: records {meta['epochs_completed']} "
                f"completed epochs, but the run has {spec.train['epochs']}",
                hint="it was not written by this run",
            )
        init_from = manifest.get("init_from")
        if init_from and init_from["freeze"]:
            finetune.freeze(model, init_from["layers"])
        _compile(model, spec, data)
        checkpoints.assign(training_state(model), arrays, run.last_checkpoint)
    else:  # stopped before its first epoch completed: start over
        finetune.load_layers(model, spec)
        _compile(model, spec, data)
    warnings = manifests.resumed(manifest)
    if spec.made_hash and spec.data["augment"]:
        warnings.append(
            "this run was made by an older netspec, whose augmentation was drawn per batch; "
            "its remaining epochs are augmented per example"
        )
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    manifests.write(run, manifest)
    return _fit(run, spec, data, model, manifest, meta, quiet)


def _latest_unfinished(spec) -> Run:
    run = latest_unfinished_run(spec.name, RUNS_ROOT)
    if run.manifest()["spec"].get("hash") != spec.hash:
        raise UserError(
            f"the latest unfinished run of '{spec.name}', {run.path}, was started "
            f"from a different version of {spec.path}",
            hint=f"resume it with: netspec train --resume {run.path}; or start a "
            "new run without --resume",
        )
    return run


def _check_classes(model, spec, data) -> None:
    """The data's classes must fit the logits (else TensorFlow fails mid-epoch)."""
    units = int(model.output.shape[-1])
    if data.num_classes > units:
        last = spec.layers[-1]["name"]
        raise UserError(
            f"the data has {data.num_classes} classes ({_listed(data.class_names)}), but the "
            f"last layer '{last}' gives {units} outputs",
            hint=f"set units: {data.num_classes} on layer '{last}' "
            f"(--set layers.{last}.units={data.num_classes})",
        )


def _listed(names: list[str], shown: int = 5) -> str:
    return ", ".join(names[:shown]) + (f", ... {names[-1]}" if len(names) > shown else "")


def _fit(run: Run, spec, data, model, manifest: dict, meta: dict, quiet: bool) -> Path:
    """Train the remaining epochs and finish the run; on Ctrl-C, SIGTERM or an error, record
    how it ended (the checkpoint of the last completed epoch stays) and re-raise."""
    reporter = make_reporter(quiet)
    stopper = EarlyStopping.from_spec(spec.train["early_stopping"], meta.get("early_stopping"))
    try:
        _epochs(run, spec, data, model, manifest, meta, stopper, reporter)
        reporter.close()
        if stopper is not None and stopper.restore_best and run.best_checkpoint.exists():
            best, _ = checkpoints.load(run.best_checkpoint)
            checkpoints.assign(checkpoints.model_weights(model), best, run.best_checkpoint)
        checkpoints.save(run.final_weights, checkpoints.model_weights(model))
        files.write_json(run.metrics_file, _final_metrics(model, spec, data, manifest))
    except KeyboardInterrupt as interrupt:
        reporter.close()
        _end(run, spec, manifest, INTERRUPTED)
        raise TrainingInterrupted(
            run.path, manifest["epochs_completed"], spec.train["epochs"], signal_of(interrupt)
        ) from None
    except BaseException as err:
        reporter.close()
        _end(run, spec, manifest, FAILED, error=one_line(err))
        raise
    _end(run, spec, manifest, COMPLETED)
    return run.path


def _epochs(run: Run, spec, data, model, manifest, meta, stopper, reporter) -> None:
    """One `fit` call per epoch, each on that epoch's batches (netspec.data.pipeline)."""
    from netspec.data.pipeline import Batches

    batches = Batches(data.train, spec, data.num_classes)
    validation = (
        None
        if data.validation is None
        else Batches(data.validation, spec, data.num_classes).in_order()
    )
    epochs = spec.train["epochs"]
    recorder = EpochRecorder(run, manifest, meta, stopper, reporter, epochs, batches.steps)
    callbacks = [recorder, *([BatchProgress(reporter)] if reporter.live else [])]
    try:
        for epoch in range(meta.get("epochs_completed", 0), epochs):
            if stopper is not None and stopper.should_stop:  # a resumed run may have stopped
                break
            with reading_errors():
                model.fit(
                    batches.epoch(epoch),
                    validation_data=validation,
                    initial_epoch=epoch,
                    epochs=epoch + 1,
                    shuffle=False,
                    verbose=0,
                    callbacks=callbacks,
                )
            _report_failures(data, manifest)
    finally:
        recorder.close()


def _report_failures(data, manifest: dict) -> None:
    """Files or records that failed to decode this epoch (they trained with weight 0)."""
    for name in ("train", "validation"):
        examples = data.split(name)
        if examples is None or not examples.decodes:
            continue
        count, described = examples.failures.take()
        if count:
            print(
                f"warning: {count} {name} example(s) could not be decoded and were given "
                f"weight 0, e.g. {described[0]}",
                file=sys.stderr,
            )
            failures = manifest["data"].setdefault("decode_failures", {})
            failures[name] = failures.get(name, 0) + count


def _load_data(spec, cache: str | None = None):
    data = netspec.data.load(spec, cache)
    for warning in data.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    stop = spec.train["early_stopping"]
    if stop and stop["monitor"].startswith("val_") and data.validation is None:
        raise UserError(
            f"train.early_stopping monitors {stop['monitor']}, but the validation split is empty",
            hint="give data.split.validation, or monitor loss",
        )
    return data


def _model(spec):
    with _strategy().scope():
        return build_model(spec)


def _compile(model, spec, data) -> None:
    """Compile, and create the optimizer's variables now so a checkpoint can fill them."""
    with _strategy().scope():
        compile_model(model, spec, _steps_per_epoch(spec, data))
        model.optimizer.build(model.trainable_variables)


def _strategy() -> tf.distribute.Strategy:
    """The default strategy for now; multi-device training plugs in here."""
    return tf.distribute.get_strategy()


def _steps_per_epoch(spec, data) -> int:
    return math.ceil(len(data.train) / spec.train["batch_size"])


def _write_spec(run: Run, spec) -> None:
    files.write_text(
        run.spec_file,
        f"# {spec.name}, resolved from {spec.path} by netspec "
        f"{netspec.__version__}\n" + yaml.safe_dump(spec.doc, sort_keys=False),
    )
    if netspec.spec.load(run.spec_file, resolved=True).hash != spec.hash:
        raise RuntimeError(f"bug: {run.spec_file} does not reload to the spec it was made from")


def _end(run: Run, spec, manifest: dict, status: str, error: str | None = None) -> None:
    """Record how the run ended: the manifest first (the status matters most, and on a full disk
    the failed write has just freed its space), then history.csv and curves.png. The last
    checkpoint is the truth about completed epochs (an interrupt may have come between saving
    it and updating the other files)."""
    meta = None
    if run.last_checkpoint.exists():
        try:
            _, meta = checkpoints.load(run.last_checkpoint, training=True)
            manifest["epochs_completed"] = meta["epochs_completed"]
        except UserError:
            pass
    manifest.update(status=status, finished_at=manifests.now())
    if error:
        manifest["error"] = error
    try:
        manifests.write(run, manifest)
        if meta is not None:
            history.write_csv(run.history_file, meta["history"])
            history.plot_curves(run.curves_file, meta["history"], f"{spec.name} ({run.path.name})")
    except OSError as err:
        if status == COMPLETED:
            raise
        print(
            f"warning: could not record the end of run {run.path}: {one_line(err)}", file=sys.stderr
        )


def _final_metrics(model, spec, data, manifest: dict) -> dict:
    metrics = {
        "epochs_completed": manifest["epochs_completed"],
        "stopped_early": manifest.get("stopped_early"),
        "loss": "mean softmax cross-entropy, without regularization",
    }
    for split in ("train", "validation", "test"):
        examples = data.split(split)
        if examples is not None:
            result = evaluate_model(model, examples, spec, data.class_names)
            metrics[split] = {
                "loss": result.loss,
                "accuracy": result.accuracy,
                "examples": result.count,
            }
    return metrics
