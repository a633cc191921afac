"""manifest.json: what a run trained, with what, on which data and machine, and how it ended.

Written when the run starts (status `running`), after every epoch, and when it ends
(`completed`, `interrupted` on Ctrl-C or SIGTERM, `failed` on an error, with a one-line
`error`). A run killed with `kill -9` stays `running`; `Run.is_active` tells it apart from a
live one by the run's lock, which only a live process holds.
"""

from __future__ import annotations

import os
import platform
import shlex
import socket
import sys
from datetime import datetime
from pathlib import Path

from netspec import files

COMPLETED, RUNNING, INTERRUPTED, FAILED = "completed", "running", "interrupted", "failed"


def now() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")


def new_manifest(spec, data, source: Path, init_from: dict | None) -> dict:
    """The manifest of a run starting now. `data` is a netspec.data.Dataset; `source` the spec
    file the user gave (spec.yaml in the run directory is its resolved form)."""
    sizes = data.sizes()
    return {
        "spec": {"name": spec.name, "hash": spec.hash, "source": str(source)},
        "seed": spec.train["seed"],
        "status": RUNNING,
        "epochs": spec.train["epochs"],
        "epochs_completed": 0,
        "started_at": now(),
        "finished_at": None,
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "sessions": [session()],
        "data": {
            "source": data.source,
            "fingerprint": data.fingerprint,
            "cache": data.cache,
            "sizes": sizes,
            "value_range": list(data.value_range),
            "warnings": list(data.warnings),
        },
        "class_names": list(data.class_names),
        "init_from": init_from,
        "environment": environment(),
    }


def resumed(manifest: dict) -> list[str]:
    """Mark `manifest` as running again in this process; returns warnings about what differs
    from the run's first session (other library versions may change the numbers)."""
    manifest.update(status=RUNNING, finished_at=None, pid=os.getpid(), host=socket.gethostname())
    manifest.pop("error", None)
    manifest["sessions"].append(session())
    then, current = manifest["environment"]["versions"], environment()["versions"]
    return [
        f"resuming with {name} {current[name]}, but the run started with {then.get(name)}: "
        "the weights may differ from an uninterrupted run"
        for name in current
        if current[name] != then.get(name)
    ]


def session() -> dict:
    """One process's part of a run: the first start and each --resume add one."""
    return {"command": shlex.join(sys.argv), "cwd": os.getcwd(), "started_at": now()}


def environment() -> dict:
    import keras
    import numpy
    import tensorflow as tf

    from netspec import __version__
    from netspec.train import determinism

    return {
        "versions": {
            "netspec": __version__,
            "tensorflow": tf.__version__,
            "keras": keras.__version__,
            "numpy": numpy.__version__,
            "python": platform.python_version(),
        },
        "platform": platform.platform(),
        "machine": platform.machine(),
        "devices": [
            f"{d.device_type}:{d.name.rsplit(':', 1)[-1]}"
            for d in tf.config.list_physical_devices()
        ],
        "op_determinism": determinism.uses_op_determinism(),
    }


def write(run, manifest: dict) -> None:
    """Write `run`'s manifest.json (a netspec.runs.Run), and keep it as the run's copy."""
    files.write_json(run.manifest_file, manifest)
    run._manifest = manifest
