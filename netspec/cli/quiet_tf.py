"""Keep TensorFlow's C++ start-up noise off the user's screen.

Importing TensorFlow prints about eight lines on stderr before absl's logging is set up
(`cudart_stub`, `cpu_feature_guard`, oneDNN, and `cuInit ... UNKNOWN ERROR (303)` at the first
device query); TF_CPP_MIN_LOG_LEVEL cannot silence the early ones. So the first
`import tensorflow` of a CLI process, wherever it happens, runs with file descriptor 2
redirected to a temporary file, together with the first device query; afterwards whatever
is not known start-up noise is written to the real stderr. `netspec --verbose` shows it all.
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import os
import re
import sys
import tempfile
from contextlib import contextmanager

NOISE = re.compile(
    r"WARNING: All log messages before absl::InitializeLog\(\) is called"
    r"|[IWEF]\d{4} [\d:.]+\s+\d+ [\w.]+:\d+\] "  # absl's log line prefix
    r"|To enable the following instructions: .* rebuild TensorFlow"
)


def install() -> None:
    """Quiet the first import of TensorFlow in this process (no-op once it is imported)."""
    if "tensorflow" in sys.modules:
        return
    # Later INFO lines (device creation) and WARNING lines: a failed op's warning repeats the
    # error netspec reports in one line (a full disk while saving a SavedModel).
    # In a multi-worker job, a peer that dies makes every survivor log its collectives'
    # aborts as ERROR lines, around the one-line error netspec gives: leave those out too.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3" if os.environ.get("TF_CONFIG") else "2")
    sys.meta_path.insert(0, _Finder())


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name != "tensorflow":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.loader is not None:
            spec.loader = _QuietLoader(spec.loader)
        return spec


class _QuietLoader(importlib.abc.Loader):
    def __init__(self, loader):
        self._loader = loader

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        with held_stderr():
            self._loader.exec_module(module)
            module.config.list_physical_devices()  # the cuInit line comes with the first query

    def __getattr__(self, name):  # resource readers and the like
        return getattr(self._loader, name)


@contextmanager
def held_stderr():
    """Within the block, fd 2 goes to a temporary file; then its lines that are not start-up
    noise go to the real stderr (also when the block raises)."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as held:
        os.dup2(held.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            held.seek(0)
            kept = [
                line
                for line in held.read().decode(errors="replace").splitlines(True)
                if not NOISE.match(line)
            ]
            if kept:
                sys.stderr.write("".join(kept))
                sys.stderr.flush()
