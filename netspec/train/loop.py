"""The training loop: one for every topology (one device, several, several workers).

A call into TensorFlow runs a chunk of steps — train.steps_per_execution of them, fewer where
a checkpoint or the epoch's end falls — as `strategy.run(step)` in a `tf.range` loop inside one
tf.function. Each replica computes its part of the step's global batch (netspec.data.pipeline
shards every step): its share of the loss is the sum of its examples' losses divided by the
global batch's size, plus the regularization divided by the number of replicas, so the
gradients summed across replicas (the optimizer does that) are those of the global batch on
one device. Dropout masks are drawn for the global batch (netspec.compile.global_batch) and
batch-norm statistics are those of the global batch (batch_norm.sync), so 1 device and N
replicas compute the same function, up to the order of floating-point sums.

On one device the arithmetic is Keras's `train_step`, op for op, so runs made when netspec
trained with `fit` still resume bit for bit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import keras
import numpy as np
import tensorflow as tf

from netspec.compile import build_loss, global_batch
from netspec.compile.model import spec_layers

STATS = ("loss_sum", "count", "weight")  # then one weighted correct-count per metric


@dataclass
class EpochSums:
    """Running sums of the epoch in progress (float64, in a checkpoint's meta mid-epoch)."""

    metrics: tuple[str, ...]
    values: list[float] = field(default_factory=list)

    def __post_init__(self):
        self.values = list(self.values) or [0.0] * (len(STATS) + len(self.metrics))

    def add(self, chunk: np.ndarray) -> None:
        self.values = [a + float(b) for a, b in zip(self.values, chunk)]

    def logs(self) -> dict:
        """loss (the training objective, as Keras reported it) and the metrics so far."""
        loss_sum, count, weight, *correct = self.values
        logs = {"loss": loss_sum / count if count else float("nan")}
        for name, value in zip(self.metrics, correct):
            logs[name] = value / weight if weight else float("nan")
        return logs


class TrainStep:
    """Compiled chunks of training steps of `model` under `strategy`."""

    def __init__(self, model, optimizer, spec, strategy, jit_compile: bool = False):
        self.model, self.optimizer, self.strategy = model, optimizer, strategy
        self.metrics = tuple(spec.train["metrics"])
        self.one_hot = spec.train["loss"]["labels"] == "one_hot"
        self.loss = build_loss(spec)
        self.loss.reduction = None  # per example; the step divides by the global batch
        self.seed_states = [
            layer.seed_generator.state
            for layer in spec_layers(model).values()
            if isinstance(layer, keras.layers.Dropout) and layer.rate > 0
        ]
        self.replicas = strategy.num_replicas_in_sync
        # XLA compiles one replica's step (forward, backward, update), as Keras's jit_compile
        self._replica_step = (
            tf.function(self._step, jit_compile=True, autograph=False)
            if jit_compile
            else self._step
        )
        # Plain ops throughout: without autograph, tracing takes a fraction of a second less
        self._chunk = tf.function(self._run_chunk, autograph=False)

    def run(self, iterator, steps: int) -> np.ndarray:
        """Train `steps` steps from `iterator`; the chunk's summed STATS and metrics."""
        return self._chunk(iterator, tf.constant(steps, tf.int32)).numpy()

    def _run_chunk(self, iterator, steps):
        def step(done, sums):
            element, rows = next(iterator)
            stats = self.strategy.run(self._replica_step, args=(element, rows))
            sums += tf.cast(self.strategy.reduce("SUM", stats, axis=None), tf.float64)
            for state in self.seed_states:  # one draw per step, as Keras's Dropout
                state.assign_add(tf.constant([0, 1], state.dtype))
            return done + 1, sums

        sums = tf.zeros([len(STATS) + len(self.metrics)], tf.float64)
        return tf.while_loop(lambda done, _: done < steps, step, (tf.constant(0), sums))[1]

    def _step(self, element, rows):
        x, y, *weights = element
        weights = weights[0] if weights else None
        offset, total = rows
        with global_batch.rows(offset, total), tf.GradientTape() as tape:
            logits = self.model(x, training=True)
            loss = self._loss(y, logits, weights, total)
            scaled = self.optimizer.scale_loss(loss)
        variables = self.model.trainable_weights
        self.optimizer.apply_gradients(zip(tape.gradient(scaled, variables), variables))
        return self._stats(loss, y, logits, weights, total)

    def _loss(self, y, logits, weights, total):
        """Keras's compute_loss for this replica's share: sum over the replica's examples
        divided by the global batch size, plus regularization / replicas."""
        logits = tf.cast(logits, tf.float32)
        values = self.loss(y, logits, sample_weight=weights)
        loss = tf.math.divide_no_nan(tf.reduce_sum(values), tf.cast(total, tf.float32))
        extra = [tf.cast(value, tf.float32) / self.replicas for value in self.model.losses]
        return loss if not extra else tf.reduce_sum(tf.stack([loss, *extra]))

    def _stats(self, loss, y, logits, weights, total):
        count = tf.cast(tf.shape(logits)[0], tf.float32)
        w = tf.ones_like(logits[:, 0], tf.float32) if weights is None else weights
        labels = tf.argmax(y, axis=-1) if self.one_hot else tf.cast(y, tf.int64)
        logits = tf.cast(logits, tf.float32)
        stats = [loss * tf.cast(total, tf.float32), count, tf.reduce_sum(w)]
        for name in self.metrics:
            k = 5 if name == "top5_accuracy" else 1
            hit = tf.cast(tf.math.in_top_k(labels, logits, k), tf.float32)
            stats.append(tf.reduce_sum(hit * w))
        return tf.stack(stats)


def distributed_epoch(strategy, topology, batches, epoch: int, start_step: int = 0):
    """An iterator over the steps of `epoch` from `start_step`: each replica gets its shard's
    part of each step's global batch, with its rows in the global batch."""
    shards = topology.shards()

    def dataset(shard: int) -> tf.data.Dataset:
        offsets, totals = batches.rows(topology.replicas, shard)
        rows = tf.data.Dataset.from_tensor_slices(
            (offsets[start_step:].astype(np.int32), totals[start_step:].astype(np.int32))
        )
        steps = batches.epoch(epoch, topology.replicas, shard, start_step)
        return tf.data.Dataset.zip(steps, rows)

    def per_worker(context: tf.distribute.InputContext) -> tf.data.Dataset:
        parts = [dataset(shard) for shard in shards]
        if len(parts) == 1:
            return parts[0]
        # the strategy deals a worker's elements to its replicas in turn
        turns = tf.data.Dataset.range(len(parts)).repeat()
        return tf.data.Dataset.choose_from_datasets(parts, turns, stop_on_empty_dataset=True)

    options = tf.distribute.InputOptions(experimental_fetch_to_device=True)
    return iter(strategy.distribute_datasets_from_function(per_worker, options))


def chunks(steps: int, start: int, per_call: int, checkpoint_every: int | None):
    """(first step, step count) of each call into TensorFlow from `start` to `steps`; a chunk
    ends where a mid-epoch checkpoint is due, so a resumed epoch is cut as it was."""
    step = start
    while step < steps:
        end = min(steps, step + per_call)
        if checkpoint_every:
            end = min(end, (step // checkpoint_every + 1) * checkpoint_every)
        yield step, end - step
        step = end
