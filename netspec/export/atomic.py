"""Replace an output directory only with a complete one.

Everything is written into `.<name>.tmp-<pid>-*` beside the target and moved into place when
complete and verified. Killed midway, the previous target stays untouched; the orphaned temp
directory is removed by the next export once its process is gone. The swap itself is two
renames (target -> `.<name>.old-<pid>`, temp -> target); a kill between them is repaired by
the next export, which moves the old directory back.
"""

import os
import re
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from netspec.processes import pid_alive


@contextmanager
def staged_dir(target: Path) -> Iterator[Path]:
    """A fresh directory beside `target` that replaces it when the block completes.

    If the block raises (or the process dies), `target` is left as it was.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    _recover(target)
    # Not mkdtemp: its 0700 mode would stick to the published directory.
    staging = target.with_name(f".{target.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}")
    staging.mkdir()
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    old = target.with_name(f".{target.name}.old-{os.getpid()}")
    if target.exists():
        os.rename(target, old)
    os.rename(staging, target)
    shutil.rmtree(old, ignore_errors=True)


def _recover(target: Path) -> None:
    pattern = re.compile(rf"\.{re.escape(target.name)}\.(tmp|old)-(\d+)")
    for leftover in sorted(target.parent.iterdir()):
        match = pattern.match(leftover.name)
        if not match or pid_alive(int(match[2])):
            continue
        if match[1] == "old" and not target.exists():
            os.rename(leftover, target)
        else:
            shutil.rmtree(leftover, ignore_errors=True)
