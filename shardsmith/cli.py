"""`shardsmith`: the command-line door, a thin argparse front over shardsmith.commands.

    shardsmith up [SPEC] [--no-routers] [--backend compose] [--json]
    shardsmith data.load [SPEC] --messages 200000
    shardsmith --list

User errors print one or two lines and exit 2; Ctrl-C exits 130. Anything
else is a bug and keeps its traceback. `-v/--verbose` logs every step and
every command sent to a server (secrets masked).
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING, Any, Optional, Sequence

from . import __version__
from .commands import REGISTRY, Command, Option
from .commands.common import err_console
from .errors import ShardsmithError
from .log import configure

USER_ERROR = 2
if TYPE_CHECKING:  # generic in typeshed only
    SubParsers = argparse._SubParsersAction[argparse.ArgumentParser]
INTERRUPTED = 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="shardsmith", description=(
        "One YAML spec to a running, bootstrapped MongoDB cluster: local processes or docker compose, "
        "data plans, shard-key experiments."))
    parser.add_argument("--version", action="version", version=f"Shardsmith {__version__}")
    parser.add_argument("--list", action="store_true", help="list the commands")
    verbose = argparse.ArgumentParser(add_help=False)
    verbose.add_argument("-v", "--verbose", action="store_true", help="log every step and server command")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    groups: dict[str, "SubParsers"] = {}
    for declared in REGISTRY:
        add_command(commands, declared.name, declared, verbose)
        if declared.group:  # `shardsmith binaries fetch 7.0` as well as `shardsmith binaries.fetch 7.0`
            if declared.group not in groups:
                group = commands.add_parser(declared.group, help=f"the {declared.group}.* commands, spelt apart")
                groups[declared.group] = group.add_subparsers(dest="leaf", metavar="COMMAND", required=True)
            add_command(groups[declared.group], declared.leaf, declared, verbose)
    return parser


def add_command(commands: "SubParsers", name: str, declared: Command,
                verbose: argparse.ArgumentParser) -> None:
    sub = commands.add_parser(name, help=declared.summary, description=declared.run.__doc__, parents=[verbose])
    for option in declared.options:
        add_option(sub, option)
    sub.set_defaults(declared=declared)


def add_option(parser: argparse.ArgumentParser, option: Option) -> None:
    if option.positional:
        parser.add_argument(option.name, metavar=option.metavar or option.name.upper(), help=option.help,
                            nargs="?" if option.optional else None)
    elif option.switch:
        parser.add_argument(option.flag, dest=option.name, action="store_true", default=None, help=option.help)
    else:
        parser.add_argument(option.flag, dest=option.name, help=option.help, metavar=option.metavar or "VALUE",
                            action="append" if option.repeat else "store")


def listing() -> str:
    width = max(len(c.name) for c in REGISTRY)
    return "Commands:\n" + "\n".join(f"  {c.name:<{width}}  {c.summary}" for c in REGISTRY)


def run(declared: Command, values: dict[str, Any]) -> int:
    """The one top-level handler: user errors and Ctrl-C become exit codes, bugs keep their traceback."""
    try:
        return declared.call(values) or 0
    except ShardsmithError as exc:
        err_console.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
        return exc.exit_code
    except KeyboardInterrupt:
        err_console.print("interrupted")
        return INTERRUPTED


def main(argv: Optional[Sequence[str]] = None) -> None:
    try:
        sys.exit(dispatch(argv))
    except BrokenPipeError:  # output piped into `head` and the like: stop quietly, as Unix tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)


def dispatch(argv: Optional[Sequence[str]]) -> int:
    parser = build_parser()
    args = vars(parser.parse_args(argv))
    if args.pop("list") or args.pop("command") is None:
        print(listing())
        return 0
    declared = args.pop("declared")
    args.pop("leaf", None)
    configure(verbose=bool(args.pop("verbose")))
    return run(declared, args)
