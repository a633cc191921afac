"""Where a run trains: the devices of this host and the workers of a cluster, chosen at run
time (a spec stays portable), and the tf.distribute strategy that spans them.

- one device: TensorFlow's default strategy (the same loop, with nothing to reduce);
- several devices of one host (`--devices 2`, `gpu`, `gpu:0,1`): MirroredStrategy; on a host
  without GPUs, `N` makes N logical CPU devices;
- a TF_CONFIG in the environment (Kubernetes' TFJob, Vertex AI, SageMaker, `--workers N`):
  this process is one worker of a MultiWorkerMirroredStrategy job. Peers that stop answering
  are detected by TensorFlow's coordination service (heartbeats): the survivors' collectives
  fail within seconds instead of waiting forever.
Every replica holds a copy of the variables; each step's gradients are summed across replicas.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass

from netspec.errors import UsageError, UserError

DEVICES_HELP = "auto | cpu | gpu | N | gpu:0,1"


@dataclass(frozen=True)
class Topology:
    strategy: str  # default | mirrored | multi_worker_mirrored
    devices: tuple[str, ...]  # this worker's
    workers: int
    worker_index: int
    replicas: int  # in all

    @property
    def is_chief(self) -> bool:
        """Worker 0 writes the run directory; the others write nothing there."""
        return self.worker_index == 0

    def describe(self) -> dict:
        """What the manifest records."""
        return {
            "strategy": self.strategy,
            "replicas": self.replicas,
            "workers": self.workers,
            "devices": list(self.devices),
        }

    def shards(self) -> list[int]:
        """The shard (of `replicas`) each of this worker's replicas reads, in replica order."""
        local = self.replicas // self.workers
        return [self.worker_index * local + k for k in range(local)]


def parse_devices(text: str) -> tuple[str, int | tuple[int, ...] | None]:
    """`--devices` as (kind, which): ("auto", None), ("cpu", None), ("gpu", None),
    ("count", N), ("gpu", (0, 1))."""
    text = text.strip().lower()
    if text in ("auto", "cpu", "gpu"):
        return text, None
    if re.fullmatch(r"[0-9]+", text) and int(text) >= 1:
        return "count", int(text)
    match = re.fullmatch(r"gpu:([0-9]+(?:,[0-9]+)*)", text)
    if match:
        which = tuple(int(k) for k in match.group(1).split(","))
        if len(set(which)) == len(which):
            return "gpu", which
    raise UsageError(
        f"--devices {text!r} is not a device choice",
        hint=f"one of {DEVICES_HELP} (e.g. --devices 2, --devices gpu:0,1)",
    )


def cluster() -> dict | None:
    """This process's TF_CONFIG, if it makes it a worker of a multi-worker job."""
    raw = os.environ.get("TF_CONFIG")
    if not raw:
        return None
    try:
        config = json.loads(raw)
        workers = config["cluster"]["worker"]
        task = config["task"]
        index = int(task["index"])
        if not (isinstance(workers, list) and all(isinstance(w, str) for w in workers)):
            raise TypeError("cluster.worker must be a list of host:port strings")
    except (ValueError, KeyError, TypeError) as err:
        raise UserError(
            f"TF_CONFIG is not a cluster description ({err.__class__.__name__}: {err})",
            hint='{"cluster": {"worker": ["host:port", ...]}, "task": {"type": "worker", '
            '"index": 0}}',
        ) from None
    if set(config["cluster"]) - {"worker", "chief"} or "chief" in config["cluster"]:
        raise UserError(
            f"TF_CONFIG names jobs {sorted(config['cluster'])}; netspec runs worker jobs only",
            hint="list every process under cluster.worker; worker 0 is the chief",
        )
    if task.get("type") != "worker" or not 0 <= index < len(workers):
        raise UserError(f"TF_CONFIG task {task} is not one of the {len(workers)} workers")
    return config


def make(devices: str = "auto"):
    """(strategy, Topology) for `--devices` and the environment. Must run before TensorFlow
    has created any tensor (logical devices are fixed at that point)."""
    import tensorflow as tf

    kind, which = parse_devices(devices)
    gpus = tf.config.list_physical_devices("GPU")
    if kind == "gpu" and not gpus:
        raise UserError(
            f"--devices {devices} asks for a GPU, but TensorFlow sees none on this host",
            hint="check the driver (nvidia-smi) and `pip install 'netspec[gpu]'`; "
            "or train on --devices cpu",
        )
    if kind == "cpu" and gpus:
        tf.config.set_visible_devices([], "GPU")
        gpus = []
    if isinstance(which, tuple):
        missing = [k for k in which if k >= len(gpus)]
        if missing:
            raise UserError(f"--devices {devices}: no GPU {missing[0]} (this host has {len(gpus)})")
        names = [f"/gpu:{k}" for k in which]
    elif gpus and kind != "cpu":
        count = which if kind == "count" else len(gpus)
        if count > len(gpus):
            raise UserError(f"--devices {count}: this host has {len(gpus)} GPU(s)")
        names = [f"/gpu:{k}" for k in range(count)]
    else:
        count = which if kind == "count" else 1
        if count > 1:
            _logical_cpus(count, devices)
        names = [f"/cpu:{k}" for k in range(count)]
    config = cluster()
    if config is not None:
        return _multi_worker(config, names)
    if len(names) == 1:
        strategy = tf.distribute.get_strategy()
        if names[0] != "/cpu:0":
            strategy = tf.distribute.OneDeviceStrategy(names[0])
        return strategy, Topology("default", tuple(names), 1, 0, 1)
    strategy = tf.distribute.MirroredStrategy(names)
    return strategy, Topology("mirrored", tuple(names), 1, 0, len(names))


def _logical_cpus(count: int, asked: str) -> None:
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    try:
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * count
        )
    except RuntimeError:
        if len(tf.config.list_logical_devices("CPU")) != count:
            raise UserError(
                f"--devices {asked}: TensorFlow was initialised in this process before the "
                "logical CPU devices could be made",
                hint="train in a new process (the netspec command does)",
            ) from None


def _multi_worker(config: dict, names: list[str]):
    import tensorflow as tf

    if any(name.startswith("/cpu:") for name in names) and len(names) > 1:
        raise UserError(
            "several logical CPU devices per worker are not supported in a multi-worker job",
            hint="one CPU per worker (--devices cpu), or GPUs",
        )
    gpus = tf.config.list_physical_devices("GPU")
    if names[0].startswith("/gpu:") and len(names) < len(gpus):  # it takes every visible GPU
        tf.config.set_visible_devices([gpus[int(n.split(":")[1])] for n in names], "GPU")
    workers = len(config["cluster"]["worker"])
    strategy = tf.distribute.MultiWorkerMirroredStrategy()
    index = config["task"]["index"]
    return strategy, Topology(
        "multi_worker_mirrored",
        tuple(names),
        workers,
        int(index),
        strategy.num_replicas_in_sync,
    )
