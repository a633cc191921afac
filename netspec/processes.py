"""Whether a process still runs: tells a killed writer's leftovers from a live one's."""

import os


def pid_alive(pid: int) -> bool:
    """True if process `pid` exists on this machine (even when owned by another user)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
