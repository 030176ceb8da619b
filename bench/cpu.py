"""CPU time of the processes a bench drives (Linux /proc), which a busy shared machine does not
inflate the way it inflates wall-clock time."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


def seconds(*pids: int | str) -> float:
    """CPU (user + system, and their waited-for children's) the processes have used."""
    return sum(_ticks(str(pid)) for pid in pids) / os.sysconf("SC_CLK_TCK")


def postgres_pids(postgres: Any) -> list[str]:
    """The postmaster of the bench's PostgreSQL and its backends."""
    master = (postgres.folder / "data" / "postmaster.pid").read_text().split()[0]
    return [
        master,
        *(stat.parent.name for stat in Path("/proc").glob("[0-9]*/stat") if _parent(stat) == master),
    ]


def _parent(stat: Path) -> str:
    try:
        return stat.read_text().rsplit(")", 1)[1].split()[1]
    except (OSError, IndexError):
        return ""


def _ticks(pid: str) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return sum(int(f) for f in fields[11:15])
