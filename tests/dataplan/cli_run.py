"""Run `shardsmith` in-process (the real Program) and capture what it prints."""

from __future__ import annotations

from shardsmith.cli import program


def run(capsys, *argv) -> tuple[int, str, str]:
    """`shardsmith <argv>`; (exit code, stdout, stderr)."""
    code = 0
    try:
        program.run(["shardsmith", *argv])
    except SystemExit as exc:
        code = exc.code or 0
    out, err = capsys.readouterr()
    return code, out, err
