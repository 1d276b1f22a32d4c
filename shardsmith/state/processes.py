"""Which running process is ours: never trust a pid alone.

A process belongs to a member only if it runs the expected binary with that
member's own config file (`--config <its path>`), and, once recorded, has the
creation time we recorded when we started it. A reused pid, a `tail -f` of
the member's log, another cluster's mongod: all are left alone and reported.

The record (<member>/process.json) is written right after the start. A
process that matches binary and config path but has no record (Shardsmith
was interrupted between the two) is adopted: the config path is this
member's alone.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Optional

import psutil

from .folder import write_atomically

logger = logging.getLogger(__name__)
RECORD = "process.json"
CREATE_TIME_TOLERANCE = 0.05  # seconds: psutil reports it from /proc with jiffy resolution


@dataclass(frozen=True)
class ProcessRecord:
    pid: int
    exe: str
    config: str
    create_time: float


GONE = "is gone"


@dataclass(frozen=True)
class Foreign:
    """A pid found where ours was expected, that is not ours."""

    pid: int
    why: str

    def __str__(self) -> str:
        return f"pid {self.pid} (`{describe(self.pid)}`) {self.why}"


def describe(pid: int) -> str:
    """The process's command line, shortened, for messages."""
    try:
        return " ".join(psutil.Process(pid).cmdline())[:80] or "?"
    except psutil.Error:
        return "?"


def matches(proc: psutil.Process, binary: Path, config: Path) -> Optional[str]:
    """None when `proc` runs `binary --config config`; else why not."""
    try:
        if proc.status() == psutil.STATUS_ZOMBIE:
            return "is a zombie"
        exe, cmdline = proc.exe(), proc.cmdline()
    except psutil.NoSuchProcess:
        return GONE
    except psutil.AccessDenied:
        return "belongs to another user"
    if os.path.realpath(exe) != os.path.realpath(binary):
        return f"runs {exe}, not {binary}"
    if not any(arg == str(config) and i and cmdline[i - 1] == "--config" for i, arg in enumerate(cmdline)):
        return f"was not started with --config {config}"
    return None


class MemberProcess:
    """The process of one member (or router), found through its record and pid file."""

    def __init__(self, folder: Path, binary: Optional[Path], config: Path, pid_file: Path):
        self.folder = folder
        self.binary = binary
        self.config = config
        self.pid_file = pid_file
        self.record_file = folder / RECORD

    def read_record(self) -> Optional[ProcessRecord]:
        try:
            return ProcessRecord(**json.loads(self.record_file.read_text()))
        except (OSError, ValueError, TypeError):
            return None

    def pid_file_pid(self) -> Optional[int]:
        try:
            return int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None

    def find(self) -> tuple[Optional[int], Optional[Foreign]]:
        """(our pid or None, a foreign pid sitting where ours was expected or None)."""
        record = self.read_record()
        if record is not None:
            why = self._why_not(record.pid, Path(record.exe), record)
            if why is None:
                return record.pid, None
            if why != GONE:
                return None, Foreign(record.pid, why)
        pid = self.pid_file_pid()
        if pid is None or (record is not None and pid == record.pid):
            return None, None
        if self.binary is None:
            return None, None
        why = self._why_not(pid, self.binary, None)
        if why is None:
            self.adopt(pid)
            return pid, None
        return None, (None if why == GONE else Foreign(pid, why))

    def _why_not(self, pid: int, binary: Path, record: Optional[ProcessRecord]) -> Optional[str]:
        try:
            proc = psutil.Process(pid)
        except psutil.NoSuchProcess:
            return GONE
        why = matches(proc, binary, self.config)
        if why is None and record is not None and abs(proc.create_time() - record.create_time) > CREATE_TIME_TOLERANCE:
            why = "was started after ours ended (its pid was reused)"
        return why

    def adopt(self, pid: int) -> ProcessRecord:
        """Write the record of a process we started (or found running our binary with our config)."""
        proc = psutil.Process(pid)
        record = ProcessRecord(pid=pid, exe=os.path.realpath(proc.exe()), config=str(self.config),
                               create_time=proc.create_time())
        write_atomically(self.record_file, json.dumps(asdict(record)) + "\n")
        logger.debug("recorded %s: pid %d", self.folder.name, pid)
        return record

    def forget(self) -> None:
        """After a clean exit: no record, no pid file, nothing for a later pid to be mistaken for."""
        for path in (self.record_file, self.pid_file):
            path.unlink(missing_ok=True)
