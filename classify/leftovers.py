"""Temporary names for files and folders being written, and the removal of those a killed run left.

Model folders (``train --out``) and output files (``label --out``) are written under a hidden
name beside their target and renamed into place when complete. A process killed with SIGKILL (or
by the out-of-memory killer, or a power cut) cannot remove its temporary: it stays as
``.NAME.<pid>@<host>.<random>`` (output files end ``.part``). The name says which process wrote
it, so the next write to the same target removes the ones whose writer is gone: written on this
host by a process id that no longer runs. Anything else (another host's on a shared disk, a live process's, a name of another
form) is left alone. Process ids are checked on POSIX systems only (Windows has no harmless
``kill(pid, 0)``), so elsewhere nothing is removed.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
from pathlib import Path


def prefix(final: Path) -> str:
    """The temporary-name prefix of a write to ``final`` by this process: ``.NAME.<pid>@<host>.``."""
    return f".{final.name}.{os.getpid()}@{_host()}."


def sweep(final: Path) -> list[Path]:
    """Remove the temporaries of earlier writes to ``final`` whose writing process has ended (see the
    module's docstring); return what was removed. Best effort: what cannot be removed stays."""
    if os.name != "posix":
        return []
    own = re.compile(re.escape(f".{final.name}.") + r"(\d+)@" + re.escape(_host()) + r"\.[A-Za-z0-9_]+(\.part)?\Z")
    try:
        names = [entry.name for entry in os.scandir(final.parent)]
    except OSError:
        return []
    removed = []
    for name in names:
        match = own.match(name)
        if match is None or _running(int(match.group(1))):
            continue
        path = final.parent / name
        try:
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
        except OSError:
            continue
        removed.append(path)
    return removed


def _host() -> str:
    """This machine's name as it can stand in a file name (no dots, slashes or ``@``; at most 40 characters)."""
    return re.sub(r"[^A-Za-z0-9_-]", "-", socket.gethostname())[:40] or "host"


def _running(pid: int) -> bool:
    """Whether a process ``pid`` exists (another user's counts: its signal is refused, not unknown)."""
    if pid <= 0:
        return True  # not a process id a writer had: leave the file alone
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (OSError, OverflowError):  # PermissionError: another user's process; OverflowError: no pid at all
        return True
    return True
