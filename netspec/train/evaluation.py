"""Loss, accuracy, per-class accuracy and the confusion matrix of a model on labelled examples.

Loss here is the mean softmax cross-entropy of the predictions against the true class ids,
without regularization or label smoothing, so it is comparable between specs (the `loss` of
history.csv is the training objective, which includes them).
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from netspec import files, outputs
from netspec.errors import UsageError, UserError
from netspec.runs import Run, open_run
from netspec.train import figures

PREDICT_BATCH = 1000  # examples per model call when evaluating; memory is no concern there


@dataclass
class Evaluation:
    loss: float
    accuracy: float
    confusion: np.ndarray  # confusion[true class, predicted class] = count
    class_names: list[str]
    top5_correct: int = 0  # examples whose class is among the 5 largest logits

    @property
    def count(self) -> int:
        return int(self.confusion.sum())

    @property
    def top5(self) -> float:
        return self.top5_correct / self.count if self.count else float("nan")

    def per_class(self) -> list[dict]:
        rows = []
        for k, name in enumerate(self.class_names):
            total, correct = int(self.confusion[k].sum()), int(self.confusion[k, k])
            rows.append(
                {
                    "class": name,
                    "examples": total,
                    "correct": correct,
                    "accuracy": correct / total if total else None,
                }
            )
        return rows

    def to_json(self) -> dict:
        return {
            "examples": self.count,
            "loss": self.loss,
            "accuracy": self.accuracy,
            "per_class": self.per_class(),
            "confusion_matrix": self.confusion.tolist(),
        }


def from_logits(logits: np.ndarray, y: np.ndarray, class_names: list[str]) -> Evaluation:
    logits = np.asarray(logits, np.float64)
    k = len(class_names)
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    predicted = logits.argmax(axis=1)
    confusion = np.bincount(y * k + predicted, minlength=k * k).reshape(k, k)
    true_logit = logits[np.arange(len(y)), y]
    top5 = int(((logits > true_logit[:, None]).sum(axis=1) < 5).sum())
    return Evaluation(
        loss=float(-log_probs[np.arange(len(y)), y].mean()),
        accuracy=float((predicted == y).mean()),
        confusion=confusion,
        class_names=list(class_names),
        top5_correct=top5,
    )


def evaluate_model(model, examples, spec, class_names: list[str]) -> Evaluation:
    """`model` on `examples` (netspec.data.examples) of the spec's data; examples that fail
    to decode are left out.

    Calls the model's compiled inference on large batches rather than `predict`, which
    would build Keras's whole predict loop first.
    """
    from netspec.data.pipeline import Batches

    predict = _predictor(model)
    parts = []  # one Evaluation per batch: memory does not grow with the split
    for batch in Batches(examples, spec, len(class_names), size=PREDICT_BATCH).in_order():
        x, y = batch[0], batch[1]
        if len(batch) == 3:  # weights: 0 for an example that could not be decoded
            keep = batch[2] > 0
            x, y = x[keep], y[keep]
        y = y.numpy() if y.shape.rank == 1 else y.numpy().argmax(axis=1)
        if len(y):
            parts.append(from_logits(predict(x), y, class_names))
    count = sum(part.count for part in parts)
    if not count:
        raise UserError(f"none of the {len(examples)} examples could be decoded")
    confusion = sum(part.confusion for part in parts)
    return Evaluation(
        loss=sum(part.loss * part.count for part in parts) / count,
        accuracy=float(np.trace(confusion)) / count,
        confusion=confusion,
        class_names=list(class_names),
        top5_correct=sum(part.top5_correct for part in parts),
    )


_PREDICTORS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _predictor(model):
    """The model's inference as one compiled function (eager calls cost a Python dispatch per
    layer); made once per model, traced for the full and the last, shorter batch."""
    if model not in _PREDICTORS:
        import tensorflow as tf

        _PREDICTORS[model] = tf.function(
            lambda x: model(x, training=False), reduce_retracing=True, autograph=False
        )
    return _PREDICTORS[model]


def plot_confusion(path: Path, evaluation: Evaluation, title: str) -> None:
    """Counts, colored by the share of each true class (row); cells annotated up to 20 classes."""
    confusion = evaluation.confusion
    k = len(evaluation.class_names)
    shares = confusion / np.maximum(confusion.sum(axis=1, keepdims=True), 1)
    size = max(5.0, 0.45 * k + 2)
    figure = figures.new_figure(figsize=(size + 1, size))
    ax = figure.subplots()
    image = ax.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    figure.colorbar(image, ax=ax, label="share of the true class")
    ax.set_xticks(range(k), evaluation.class_names, rotation=90 if k > 10 else 0)
    ax.set_yticks(range(k), evaluation.class_names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    if k <= 20:
        for (i, j), count in np.ndenumerate(confusion):
            if count:
                ax.text(
                    j,
                    i,
                    str(count),
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="white" if shares[i, j] > 0.5 else "black",
                )
    ax.set_title(f"{title}\naccuracy {evaluation.accuracy:.4f} on {evaluation.count} examples")
    figures.save_png(figure, path)


SPLITS = ("train", "validation", "test")


def evaluate_run(
    run_dir, source: str | None = None, path=None, split: str = "test", out=None
) -> dict:
    """Evaluate a completed run on one of its splits, or on the data source `source` read from
    `path` (its own test set when it has one, such as MNIST's t10k files, else all of its
    examples).

    Writes evaluation-<data>.json and confusion-<data>.png into `out` (a new, empty or earlier
    evaluation folder; default: the run directory) and returns the report (what the JSON file
    holds). Everything about the run, the data and `out` is checked before TensorFlow loads.
    """
    from netspec.runs.trained import check_trained, load_trained

    run = open_run(run_dir)
    check_trained(run)
    spec = run.spec()
    if out is not None:
        outputs.check_ours(Path(out), "evaluation")
    class_names = run.manifest()["class_names"]
    if source is None:
        if path is not None:
            raise UsageError("a data path needs a data source to read it")
        examples, label, described, warnings = _run_split(run, spec, split)
    else:
        examples, label, described, warnings = _other_source(spec, source, path, class_names)
    spec, model = load_trained(run)
    result = evaluate_model(model, examples, spec, class_names)
    folder = run.path if out is None else outputs.claim(Path(out), "evaluation")
    png = folder / f"confusion-{label}.png"
    plot_confusion(png, result, f"{spec.name} on {described}")
    report = {
        "run": str(run.path),
        "data": described,
        **result.to_json(),
        "confusion_png": str(png),
        "warnings": warnings,
    }
    files.write_json(folder / f"evaluation-{label}.json", report)
    return report


def _run_split(run: Run, spec, split: str):
    import netspec.data

    if split not in SPLITS:
        raise UsageError(f"split must be one of {', '.join(SPLITS)}, got '{split}'")
    data = netspec.data.load(spec, run.manifest()["data"].get("cache", "memory"))
    examples = data.split(split)
    if examples is None:
        raise UserError(
            f"run {run.path} has no {split} split",
            hint="evaluate another of its splits, or other data",
        )
    warnings = (
        []
        if data.fingerprint == run.manifest()["data"]["fingerprint"]
        else [f"the data of source '{data.source}' changed since the run trained on it"]
    )
    return examples, split, f"its {split} split ({len(examples)} examples)", warnings


def _other_source(spec, source: str, path, class_names: list[str]):
    from netspec.data.dataset import check_finite, check_shape
    from netspec.data.examples import ArrayExamples
    from netspec.data.sources import SOURCES
    from netspec.fields import with_defaults
    from netspec.spec.sections import data_fields

    if source not in SOURCES:
        raise UsageError(
            f"unknown data source '{source}'", hint=f"choose one of {', '.join(SOURCES)}"
        )
    fields = data_fields(source)
    own = {k: v for k, v in spec.data.items() if k in fields and k not in ("path", "test_path")}
    config = with_defaults({**own, "source": source}, fields)
    if "path" in fields:
        config["path"] = None if path is None else str(Path(path).resolve())
    config = SOURCES[source].normalize(config)
    pool = SOURCES[source].read(config, spec.input)
    candidates = (pool.test, (pool.splits or {}).get("test"), pool.examples)
    examples = next((c for c in candidates if c is not None), None)
    if examples is None:  # a TFRecord folder without a test split
        examples = next(iter(pool.splits.values()))
    check_shape(examples, source, spec.input["shape"])
    if isinstance(examples, ArrayExamples):
        check_finite(examples.x, source)
        largest = int(examples.labels.max())
        if largest >= len(class_names):
            raise UserError(
                f"data source '{source}': labels go up to {largest}, but the run's model "
                f"knows {len(class_names)} classes ({', '.join(class_names)})"
            )
    described = pool.test_origin or f"all {len(examples)} examples"
    warnings = []
    if list(pool.class_names) != list(class_names):
        warnings.append(
            f"class names differ: {source} has {', '.join(pool.class_names)}; "
            f"the run has {', '.join(class_names)}"
        )
    scale = spec.input["scale"]
    if scale and [float(v) for v in scale["from"]] != [float(v) for v in pool.value_range]:
        warnings.append(
            f"the model scales inputs from {list(scale['from'])}, but {source} "
            f"holds values in {list(pool.value_range)}"
        )
    return examples, source, f"{source}: {described}", warnings
