"""Run the data-plan tasks as a command line in-process (until the lead wires them into `shardsmith`)."""

from __future__ import annotations

from invoke import Collection, Program

from shardsmith.cli_dataplan import tasks


def run(capsys, *argv) -> tuple[int, str, str]:
    """`shardsmith <argv>` with the data-plan tasks; (exit code, stdout, stderr)."""
    program = Program(namespace=Collection(*tasks), name="shardsmith", binary="shardsmith")
    code = 0
    try:
        program.run(["shardsmith", *argv])
    except SystemExit as exc:
        code = exc.code or 0
    out, err = capsys.readouterr()
    return code, out, err
