"""Optimizer, learning-rate schedule, loss and metrics from `spec.train`."""

from __future__ import annotations

import keras

from netspec.spec import Spec


@keras.saving.register_keras_serializable("netspec")
class DecayToFloor(keras.optimizers.schedules.LearningRateSchedule):
    """Görner's schedule: floor + (initial - floor) · exp(-step / decay_steps)."""

    def __init__(self, initial: float, floor: float, decay_steps: float):
        self.initial, self.floor, self.decay_steps = initial, floor, decay_steps

    def __call__(self, step):
        step = keras.ops.cast(step, "float32")
        return self.floor + (self.initial - self.floor) * keras.ops.exp(-step / self.decay_steps)

    def get_config(self):
        return {"initial": self.initial, "floor": self.floor, "decay_steps": self.decay_steps}


def learning_rate(lr: dict):
    schedules = keras.optimizers.schedules
    kind = lr["schedule"]
    if kind == "constant":
        return lr["value"]
    if kind == "exponential":
        return schedules.ExponentialDecay(
            lr["initial"], lr["decay_steps"], lr["decay_rate"], staircase=lr["staircase"]
        )
    if kind == "decay_to_floor":
        return DecayToFloor(lr["initial"], lr["floor"], lr["decay_steps"])
    if kind == "piecewise":
        return schedules.PiecewiseConstantDecay(lr["boundaries"], lr["values"])
    if kind == "cosine":
        warmup = lr["warmup_steps"]
        return schedules.CosineDecay(
            0.0 if warmup else lr["initial"],
            lr["decay_steps"],
            alpha=lr["floor"] / lr["initial"],
            warmup_target=lr["initial"] if warmup else None,
            warmup_steps=warmup,
        )
    raise ValueError(f"unknown schedule {kind}")


def build_optimizer(spec: Spec) -> keras.optimizers.Optimizer:
    opt = dict(spec.train["optimizer"])
    kind = opt.pop("type")
    lr = learning_rate(spec.train["learning_rate"])
    if kind == "sgd":
        return keras.optimizers.SGD(lr)
    if kind == "momentum":
        return keras.optimizers.SGD(lr, momentum=opt["momentum"], nesterov=opt["nesterov"])
    classes = {
        "adam": keras.optimizers.Adam,
        "adamw": keras.optimizers.AdamW,
        "rmsprop": keras.optimizers.RMSprop,
    }
    return classes[kind](lr, **opt)


def build_loss(spec: Spec) -> keras.losses.Loss:
    loss = spec.train["loss"]
    if loss["labels"] == "one_hot":
        return keras.losses.CategoricalCrossentropy(
            from_logits=True, label_smoothing=loss["label_smoothing"]
        )
    return keras.losses.SparseCategoricalCrossentropy(from_logits=True)
