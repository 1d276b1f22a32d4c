"""Run `shardsmith` in-process (the real argparse door) and capture what it prints."""

from __future__ import annotations

from shardsmith.cli import main


def run(capsys, *argv) -> tuple[int, str, str]:
    """`shardsmith <argv>`: (exit code, stdout, stderr)."""
    code = 0
    try:
        main([str(arg) for arg in argv])
    except SystemExit as exc:
        code = exc.code or 0
    out, err = capsys.readouterr()
    return code, out, err


def run_data(capsys, task: str, *argv) -> tuple[int, str, str]:
    """`shardsmith data.<task> <argv>`."""
    return run(capsys, f"data.{task}", *argv)
