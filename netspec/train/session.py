"""One training run, new or resumed, from spec to trained weights and run directory.

Resuming gives the weights an uninterrupted run would have (bit for bit on CPU) because
everything that decides the next epoch is either saved in the checkpoint or a pure function of
(seed, epoch):
- model variables, including each dropout layer's RNG state, and the optimizer's variables,
  including its step counter (which drives the learning-rate schedule), are checkpointed after
  every epoch (and every train.checkpoint_every steps);
- each epoch's training batches (order and augmentation) are a pure function of
  (data seed, epoch) (netspec.data.pipeline), and a resumed run reads its data the way it
  started (held in memory or streamed: the manifest's data.cache);
- initial weights and dropout seeds come from (train.seed, layer name) (compiler).
See determinism.py for seeding and op determinism, loop.py for the training step under a
tf.distribute strategy, topology.py for devices and workers. In a multi-worker job every
worker runs this with the same spec and seeds; only the chief (worker 0) writes the run
directory.
"""

from __future__ import annotations

import os
import sys
import time
from contextlib import ExitStack
from pathlib import Path

import keras
import yaml

import netspec
import netspec.data
import netspec.spec
from netspec import diagram, files
from netspec.compile import build_model, build_optimizer
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
from netspec.train import determinism, finetune, history, topology
from netspec.train.early_stopping import EarlyStopping
from netspec.train.evaluation import evaluate_model
from netspec.train.launcher import WORKER_DIR
from netspec.train.loop import EpochSums, TrainStep, chunks, distributed_epoch
from netspec.train.progress import make_reporter
from netspec.train.recorder import Recorder
from netspec.train.stopping import (
    TrainingInterrupted,
    check_finite,
    peer_errors,
    reading_errors,
    signal_of,
    sigterm_as_interrupt,
)


def train(spec=None, out=None, resume=None, quiet: bool = False, devices: str = "auto"):
    """Train `spec` (a Spec or a spec file) into a new run directory (`out`, or
    runs/<name>/<timestamp>); returns the run directory (None on a worker other than the chief,
    which writes nothing there).

    `resume`: a run directory (or Run) to continue (then no spec), or True to continue the latest
    unfinished run of `spec` under runs/<name>/. `devices`: this host's devices to train on
    (topology.parse_devices); a TF_CONFIG in the environment makes this process one worker of a
    multi-worker job. SIGTERM is handled like Ctrl-C.
    """
    # The strategy first: a multi-worker one installs TensorFlow's own SIGTERM handler.
    place = Placement(*topology.make(devices))
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
            if place.chief:
                owned.enter_context(run.lock())
            return _resume(run, quiet, place)
        return _new(_prepared(spec), out, quiet, owned, place)


class Placement:
    """The strategy a run trains under and the topology it spans."""

    def __init__(self, strategy, where: topology.Topology):
        self.strategy, self.topology = strategy, where

    @property
    def chief(self) -> bool:
        return self.topology.is_chief

    def scope(self):
        return self.strategy.scope()


def _prepared(spec) -> netspec.spec.Spec:
    if spec is None:
        raise UsageError("give a spec to train, or a run directory to resume")
    if not isinstance(spec, netspec.spec.Spec):
        spec = netspec.spec.load(spec)
    return finetune.with_absolute_run(spec)


def _new(spec, out, quiet: bool, owned: ExitStack, place: Placement) -> Path | None:
    """Everything that can fail on the user's input happens before the run directory exists."""
    _check_precision(spec)
    determinism.seed(spec.train["seed"])
    data = _load_data(spec)
    model = _model(spec, place)
    _check_classes(model, spec, data)
    init_from = finetune.load_layers(model, spec)
    optimizer = _optimizer(model, spec, place)
    run, manifest = None, {}
    if place.chief:
        run = new_run(spec.name, out)
        owned.enter_context(run.lock())
        _write_spec(run, spec)
        manifest = manifests.new_manifest(spec, data, spec.path.resolve(), init_from)
        manifest["topology"] = place.topology.describe()
        manifests.write(run, manifest)
    return _fit(run, spec, data, model, optimizer, manifest, {}, quiet, place)


def _resume(run: Run, quiet: bool, place: Placement) -> Path | None:
    """Continue `run`; the chief owns it (holds its lock), other workers only read it."""
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
    _check_precision(spec)
    determinism.seed(spec.train["seed"])
    data = _load_data(spec, manifest.get("data", {}).get("cache", "memory"))
    if data.fingerprint != manifest.get("data", {}).get("fingerprint"):
        raise UserError(
            f"the data of run {run.path} changed since it started "
            f"({data.source}: fingerprint {data.fingerprint[:12]}, "
            f"was {str(manifest.get('data', {}).get('fingerprint'))[:12]})",
            hint="restore the original data, or start a new run",
        )
    model, meta = _model(spec, place), {}
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
        optimizer = _optimizer(model, spec, place)
        checkpoints.assign(training_state(model, optimizer), arrays, run.last_checkpoint)
    else:  # stopped before its first checkpoint: start over
        finetune.load_layers(model, spec)
        optimizer = _optimizer(model, spec, place)
    warnings = manifests.resumed(manifest) + _topology_changed(spec, manifest, place)
    if spec.made_hash and spec.data["augment"]:
        warnings.append(
            "this run was made by an older netspec, whose augmentation was drawn per batch; "
            "its remaining epochs are augmented per example"
        )
    if place.chief:
        for warning in warnings:
            print(f"warning: {warning}", file=sys.stderr)
        manifest["topology"] = place.topology.describe()
        manifests.write(run, manifest)
    return _fit(
        run if place.chief else None, spec, data, model, optimizer, manifest, meta, quiet, place
    )


def _topology_changed(spec, manifest: dict, place: Placement) -> list[str]:
    before = manifest.get("topology") or {"replicas": 1, "workers": 1}
    now = place.topology.describe()
    if (before["replicas"], before["workers"]) == (now["replicas"], now["workers"]):
        return []
    return [
        f"this run trained on {before['replicas']} replica(s) in {before['workers']} "
        f"worker(s) and continues on {now['replicas']} in {now['workers']}: the same batches, "
        "masks and global-batch statistics, but sums in another order, so the weights match "
        "an uninterrupted run to rounding, not bit for bit"
        + (
            "; its batch_norm layers with sync: false normalize per replica, which depends on "
            "the replica count"
            if any(n.type == "batch_norm" and not n.layer["sync"] for n in spec.graph.nodes())
            else ""
        )
    ]


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
        last = spec.graph.output
        raise UserError(
            f"the data has {data.num_classes} classes ({_listed(data.class_names)}), but the "
            f"output layer '{last}' gives {units} outputs",
            hint=f"set units: {data.num_classes} on layer '{last}' "
            f"(--set layers.{last}.units={data.num_classes})",
        )


def _listed(names: list[str], shown: int = 5) -> str:
    return ", ".join(names[:shown]) + (f", ... {names[-1]}" if len(names) > shown else "")


def _fit(run, spec, data, model, optimizer, manifest: dict, meta: dict, quiet: bool, place):
    """Train the remaining epochs and finish the run; on Ctrl-C, SIGTERM or an error, record
    how it ended (the last checkpoint stays) and re-raise. `run` is None on a worker other than
    the chief: it trains its replicas and writes nothing."""
    reporter = make_reporter(quiet or not place.chief)
    stopper = EarlyStopping.from_spec(spec.train["early_stopping"], meta.get("early_stopping"))
    recorder = Recorder(run, f"{spec.name} ({run.path.name})") if run is not None else None
    try:
        try:
            with peer_errors(run, place.topology.workers):
                rows = _epochs(
                    spec, data, model, optimizer, manifest, meta, stopper, reporter, recorder, place
                )
            if recorder is not None:
                recorder.curves(rows)  # drawn while the final metrics are computed
            if (
                stopper is not None
                and stopper.restore_best
                and run
                and run.best_checkpoint.exists()
            ):
                best, _ = checkpoints.load(run.best_checkpoint)
                checkpoints.assign(checkpoints.model_weights(model), best, run.best_checkpoint)
            if run is None:
                _worker_weights(model, place)
                return None
            checkpoints.save(run.final_weights, checkpoints.model_weights(model))
            files.write_json(run.metrics_file, _final_metrics(model, spec, data, manifest))
        finally:
            try:
                if recorder is not None:
                    recorder.close()
            finally:
                reporter.close()
    except KeyboardInterrupt as interrupt:
        if run is not None:
            _end(run, spec, manifest, INTERRUPTED, recorder)
        raise TrainingInterrupted(
            run.path if run else None,
            manifest.get("epochs_completed", 0),
            spec.train["epochs"],
            signal_of(interrupt),
        ) from None
    except BaseException as err:
        if run is not None:
            _end(run, spec, manifest, FAILED, recorder, error=one_line(err))
        raise
    _end(run, spec, manifest, COMPLETED, recorder)
    return run.path


def _worker_weights(model, place: Placement) -> None:
    """A non-chief worker's final weights, where the launcher asked for them (tests compare
    them with the chief's)."""
    folder = os.environ.get(WORKER_DIR)
    if folder:
        path = Path(folder) / f"worker-{place.topology.worker_index}-final.npz"
        if path.exists():  # not ours to replace
            print(
                f"warning: {path} exists; this worker's weights were not written", file=sys.stderr
            )
            return
        checkpoints.save(path, checkpoints.model_weights(model))


def _epochs(spec, data, model, optimizer, manifest, meta, stopper, reporter, recorder, place):
    """Each epoch in chunks of steps (loop.py); a checkpoint at each epoch's end and every
    train.checkpoint_every steps; validation at each epoch's end."""
    from netspec.data.pipeline import Batches

    batches = Batches(data.train, spec, data.num_classes)
    trainer = TrainStep(model, optimizer, spec, place.strategy, _jit(spec, place))
    epochs, every = spec.train["epochs"], spec.train["checkpoint_every"]
    per_call = spec.train["steps_per_execution"]
    rows = list(meta.get("history", []))
    start = meta.get("step", 0)
    partial = meta.get("partial") or {}
    sums = EpochSums(trainer.metrics, partial.get("sums", []))
    for epoch in range(meta.get("epochs_completed", 0), epochs):
        if stopper is not None and stopper.should_stop:  # a resumed run may have stopped
            break
        started = time.monotonic() - partial.get("seconds", 0.0)
        reporter.start_epoch(epoch + 1, epochs, batches.steps)
        steps = distributed_epoch(place.strategy, place.topology, batches, epoch, start)
        with reading_errors():
            for first, count in chunks(batches.steps, start, per_call, every):
                sums.add(trainer.run(steps, count))
                step = first + count
                check_finite(sums.logs(), epoch + 1, step)
                if reporter.live:
                    reporter.update(step, {**sums.logs(), "learning_rate": _rate(optimizer)})
                if recorder is not None and every and step % every == 0 and step < batches.steps:
                    progress = {
                        "step": step,
                        "partial": {"sums": sums.values, "seconds": time.monotonic() - started},
                    }
                    recorder.checkpoint(
                        checkpoints.snapshot(training_state(model, optimizer)),
                        _meta(epoch, rows, stopper, **progress),
                    )
        del steps
        _report_failures(data, manifest)
        row = history.make_row(
            epoch + 1,
            {**sums.logs(), **_validation(model, spec, data)},
            _rate(optimizer),
            round(time.monotonic() - started, 3),
        )
        check_finite(row, epoch + 1)
        best = stopper is not None and stopper.update(row) and stopper.restore_best
        rows.append(row)
        manifest["epochs_completed"] = epoch + 1
        if stopper is not None and stopper.should_stop:
            manifest["stopped_early"] = {
                "epoch": epoch + 1,
                "monitor": stopper.monitor,
                "best_epoch": stopper.best_epoch,
                "best": stopper.best,
            }
        if recorder is not None:
            recorder.checkpoint(
                checkpoints.snapshot(training_state(model, optimizer)),
                _meta(epoch + 1, rows, stopper),
                checkpoints.snapshot(checkpoints.model_weights(model)) if best else None,
            )
            recorder.epoch(rows, manifest, lambda row=row: reporter.end_epoch(row, epochs))
        else:
            reporter.end_epoch(row, epochs)
        start, partial, sums = 0, {}, EpochSums(trainer.metrics)
    return rows


def _meta(epochs_completed: int, rows, stopper, **progress) -> dict:
    return {
        "epochs_completed": epochs_completed,
        "history": rows,
        "early_stopping": stopper.state() if stopper else None,
        **progress,
    }


def _validation(model, spec, data) -> dict:
    """val_loss (cross-entropy, without regularization) and the metrics on the validation split.

    Every worker computes it (on identical weights): early stopping must stop them all at the
    same epoch, or the ones left would wait for the others' gradients."""
    if data.validation is None:
        return {}
    result = evaluate_model(model, data.validation, spec, data.class_names)
    logs = {"val_loss": result.loss}
    for name in spec.train["metrics"]:
        logs[f"val_{name}"] = result.top5 if name == "top5_accuracy" else result.accuracy
    return logs


def _jit(spec, place: Placement) -> bool:
    if spec.train["jit_compile"] and place.topology.replicas > 1:
        if place.chief:
            print(
                "warning: train.jit_compile is off with several replicas (XLA cannot compile "
                "the cross-replica sum of gradients)",
                file=sys.stderr,
            )
        return False
    return spec.train["jit_compile"]


def training_state(model, optimizer) -> dict:
    """Everything a resume restores: model variables (with RNG state) and optimizer state."""
    return {**checkpoints.model_state(model), **checkpoints.optimizer_state(optimizer)}


def _rate(optimizer) -> float:
    """The rate the next step will use (the schedule at the optimizer's step counter)."""
    return float(keras.ops.convert_to_numpy(optimizer.learning_rate))


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


def _model(spec, place: Placement):
    with place.scope():
        return build_model(spec)


def _optimizer(model, spec, place: Placement):
    """The optimizer, with its variables made now so a checkpoint can fill them."""
    with place.scope():
        optimizer = build_optimizer(spec)
        if spec.train["precision"] == "mixed_float16":  # float16 gradients underflow unscaled
            optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
        optimizer.build(model.trainable_variables)
    return optimizer


def _check_precision(spec) -> None:
    from netspec.compile.precision import check_supported

    check_supported(spec.train["precision"])


def _write_spec(run: Run, spec) -> None:
    files.write_text(
        run.spec_file,
        f"# {spec.name}, resolved from {spec.path} by netspec "
        f"{netspec.__version__}\n" + yaml.safe_dump(spec.doc, sort_keys=False),
    )
    if netspec.spec.load(run.spec_file, resolved=True).hash != spec.hash:
        raise RuntimeError(f"bug: {run.spec_file} does not reload to the spec it was made from")
    diagram.write_spec(spec, run.graph_file)


def _end(run: Run, spec, manifest: dict, status: str, recorder, error: str | None = None):
    """Record how the run ended: the manifest first (the status matters most, and on a full disk
    the failed write has just freed its space), then history.csv and curves.png if the
    recorder did not draw them. The last checkpoint is the truth about completed epochs (an
    interrupt may have come between saving it and updating the other files)."""
    meta = None
    if run.last_checkpoint.exists():
        try:
            _, meta = checkpoints.load(run.last_checkpoint, training=True)
            manifest["epochs_completed"] = meta["epochs_completed"]
            if meta.get("step"):
                manifest["steps_into_next_epoch"] = meta["step"]
            else:
                manifest.pop("steps_into_next_epoch", None)
        except UserError:
            pass
    manifest.update(status=status, finished_at=manifests.now())
    if error:
        manifest["error"] = error
    try:
        manifests.write(run, manifest)
        drawn = recorder is not None and recorder.curves_epochs
        if meta is not None and drawn != len(meta["history"]):
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
