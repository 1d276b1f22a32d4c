"""Run the data-operation tasks in-process through a real Invoke Program; capture exit code and output."""

from __future__ import annotations

from invoke import Program

from shardsmith.cli_operate import tasks
from shardsmith.cli_parsing import TaskCollection

PROGRAM = Program(namespace=TaskCollection(*tasks), name="shardsmith", binary="shardsmith")


def run(capsys, *argv) -> tuple[int, str, str]:
    code = 0
    try:
        PROGRAM.run(["shardsmith", *map(str, argv)])
    except SystemExit as exc:
        code = exc.code or 0
    out, err = capsys.readouterr()
    return code, out, err
