"""TensorBoard logs: per-epoch scalars in tb/train and tb/validation.

Written with the core `tf.summary.write` op and the scalars plugin's metadata, so no
`tensorboard` package is needed to write them (tf.summary.scalar and Keras' TensorBoard callback
require it). Tags follow Keras' callback (`epoch_loss`, `epoch_accuracy`, `epoch_learning_rate`),
so the logs look the same in TensorBoard.
"""

from __future__ import annotations

from pathlib import Path

import tensorflow as tf
from tensorflow.core.framework import summary_pb2

_SCALAR = summary_pb2.SummaryMetadata(
    plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="scalars")
)


class EpochLogs:
    def __init__(self, tb_dir: Path):
        self._writers = {
            split: tf.summary.create_file_writer(str(tb_dir / split))
            for split in ("train", "validation")
        }

    def write(self, epoch: int, row: dict) -> None:
        """`row` is a history row: loss, val_loss, learning_rate, ... for 1-based `epoch`."""
        for key, value in row.items():
            if key in ("epoch", "seconds") or value is None:
                continue
            split = "validation" if key.startswith("val_") else "train"
            with self._writers[split].as_default():
                tf.summary.write(
                    f"epoch_{key.removeprefix('val_')}",
                    tf.constant(value, tf.float32),
                    step=epoch,
                    metadata=_SCALAR,
                )
        for writer in self._writers.values():
            writer.flush()

    def close(self) -> None:
        for writer in self._writers.values():
            writer.close()
