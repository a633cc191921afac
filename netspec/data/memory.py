"""How much memory this machine gives a process (no NumPy: `netspec validate` asks too)."""

import os


def machine_memory() -> int:
    """Physical memory in bytes, or the cgroup's limit when that is lower (containers)."""
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    try:
        with open("/sys/fs/cgroup/memory.max") as f:
            limit = f.read().strip()
        if limit.isdigit():
            total = min(total, int(limit))
    except OSError:
        pass
    return total


def gib(size: int) -> str:
    return f"{size / (1 << 30):.1f} GiB"
