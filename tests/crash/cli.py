"""Run the data-operation tasks in-process through the real `shardsmith` program; capture exit code and output."""

from __future__ import annotations

from shardsmith.cli import program


def run(capsys, task: str, *argv) -> tuple[int, str, str]:
    """`shardsmith data.<task> <argv>`: (exit code, stdout, stderr)."""
    code = 0
    try:
        program.run(["shardsmith", f"data.{task}", *map(str, argv)])
    except SystemExit as exc:
        code = exc.code or 0
    out, err = capsys.readouterr()
    return code, out, err
