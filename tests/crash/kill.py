"""Kill a child process with SIGKILL at a chosen moment, and always reap it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def child(module: str, *args: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, "-m", module, *map(str, args)], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def started(process: subprocess.Popen, marker: bytes = b"started") -> subprocess.Popen:
    """Wait until the child prints `marker` (it is connected and about to work)."""
    line = process.stdout.readline()
    if marker not in line:
        process.kill()
        raise AssertionError(f"child did not start: {line!r} {process.stderr.read().decode()[-2000:]}")
    return process


def kill_after(process: subprocess.Popen, seconds: float) -> bool:
    """SIGKILL `process` after `seconds` (unless it ended first); True if it was killed mid-run."""
    try:
        process.wait(timeout=seconds)
        killed = False
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGKILL)
        killed = True
    out, err = process.communicate(timeout=60)
    if not killed and process.returncode not in (0, -signal.SIGKILL):
        raise AssertionError(f"child failed ({process.returncode}): {err.decode()[-2000:]}")
    return killed or process.returncode == -signal.SIGKILL


def run_to_end(module: str, *args: str) -> bytes:
    """Run the child to its end (it must succeed); what it printed."""
    process = child(module, *args)
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, err.decode()[-2000:]
    return out
