"""One marked block per cluster in the hosts file, so host apps resolve bridge members by their set names.

On a bridge network members name each other by compose service (`shard01-1:27018`)
in their replica-set configs, and drivers discover those names. Docker's DNS
resolves them inside the network; a block like

    # shardsmith:local begin
    127.0.0.1 shard01-1 shard01-2 shard01-3
    # shardsmith:local end

makes the host resolve them too, to the ports the members publish on bind_ip.

    block = HostsBlock("local", "127.0.0.1", (("shard01-1", "shard01-2"),))
    install(block)            # add or replace; every other line kept; False if already there
    remove("local")           # False if there was none
    resolve(block.names)      # name -> addresses this host resolves it to (empty: unresolved)
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import socket
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Optional

from .errors import ShardsmithError
from .render.compose import host_named_sets
from .topology.model import Topology

HOSTS_FILE = Path("/etc/hosts")
MARKER = re.compile(r"^# shardsmith:(?P<cluster>\S+) (?P<edge>begin|end)\s*$")


@dataclass(frozen=True)
class HostsBlock:
    """The names of one cluster's members, one line per replica set, all on one address."""

    cluster: str
    ip: str
    groups: tuple  # of tuples of host names

    @property
    def names(self) -> list[str]:
        return [name for group in self.groups for name in group]

    def lines(self) -> list[str]:
        return ([f"# shardsmith:{self.cluster} begin"] + [f"{self.ip} {' '.join(g)}" for g in self.groups]
                + [f"# shardsmith:{self.cluster} end"])

    def text(self) -> str:
        return "\n".join(self.lines()) + "\n"


@dataclass(frozen=True)
class FoundBlock:
    cluster: str
    start: int  # index of the begin line
    stop: int  # index after the end line
    names: frozenset


def cluster_block(topology: Topology) -> Optional[HostsBlock]:
    """The block a topology needs (members published on a bridge network), or None when it needs none."""
    sets = host_named_sets(topology)
    if not sets:
        return None
    groups = tuple(tuple(member.service for member in rs.members) for rs in sets)
    return HostsBlock(topology.name, topology.deploy.reachable_ip, groups)


def find_blocks(lines: list[str], source: str = "hosts file") -> dict[str, FoundBlock]:
    """Every shardsmith block in `lines`, by cluster; an unclosed or nested block is a clear error."""
    found: dict[str, FoundBlock] = {}
    open_at: Optional[tuple[str, int]] = None
    for index, line in enumerate(lines):
        mark = MARKER.match(line)
        if not mark:
            continue
        cluster, edge = mark["cluster"], mark["edge"]
        if edge == "begin" and open_at is None and cluster not in found:
            open_at = (cluster, index)
        elif edge == "end" and open_at is not None and open_at[0] == cluster:
            start = open_at[1]
            names = frozenset(n for body in lines[start + 1:index] for n in body.split("#", 1)[0].split()[1:])
            found[cluster] = FoundBlock(cluster, start, index + 1, names)
            open_at = None
        else:
            raise ShardsmithError(f"{source} line {index + 1}: unexpected `{line.strip()}`",
                                  hint="each `# shardsmith:NAME begin` needs its own `# shardsmith:NAME end` before "
                                       "the next block; fix the file by hand")
    if open_at is not None:
        raise ShardsmithError(f"{source} line {open_at[1] + 1}: `# shardsmith:{open_at[0]} begin` has no end line",
                              hint=f"add `# shardsmith:{open_at[0]} end` after its lines, or delete the block by hand")
    return found


def claims_of_others(blocks: dict[str, FoundBlock], block: HostsBlock) -> dict[str, list[str]]:
    """Other clusters' blocks that claim names of `block`: cluster -> those names."""
    found = {}
    for other in blocks.values():
        taken = sorted(other.names.intersection(block.names))
        if other.cluster != block.cluster and taken:
            found[other.cluster] = taken
    return found


def with_block(text: str, block: HostsBlock, source: str = "hosts file") -> str:
    """`text` with `block` added (at the end) or replacing the cluster's old one; other lines untouched."""
    lines = text.splitlines()
    blocks = find_blocks(lines, source)
    for other, taken in claims_of_others(blocks, block).items():
        raise ShardsmithError(
            f"{source}: {', '.join(taken)} already belong(s) to cluster {other!r}'s block; "
            f"two clusters cannot claim the same host names",
            hint=f"give cluster {block.cluster!r}'s replica sets other names (members are named <set>-<n>), or "
                 f"destroy {other!r} / run `shardsmith hosts <its spec> --remove` first")
    old = blocks.get(block.cluster)
    if old is None:
        lines += block.lines()
    else:
        lines[old.start:old.stop] = block.lines()
    return "".join(f"{line}\n" for line in lines)


def without_block(text: str, cluster: str, source: str = "hosts file") -> str:
    """`text` without the cluster's block; unchanged if there is none."""
    lines = text.splitlines()
    old = find_blocks(lines, source).get(cluster)
    if old is None:
        return text
    del lines[old.start:old.stop]
    return "".join(f"{line}\n" for line in lines)


def read_blocks(path: Path = HOSTS_FILE) -> dict[str, FoundBlock]:
    path = Path(path)
    return find_blocks(path.read_text().splitlines(), str(path)) if path.exists() else {}


def read_block(cluster: str, path: Path = HOSTS_FILE) -> Optional[FoundBlock]:
    return read_blocks(path).get(cluster)


def install(block: HostsBlock, path: Path = HOSTS_FILE) -> bool:
    """Add or replace the cluster's block; False when the file already held exactly this block."""
    return _rewrite(Path(path), lambda text: with_block(text, block, str(path)),
                    by_hand="add these lines by hand: " + " / ".join(block.lines()))


def remove(cluster: str, path: Path = HOSTS_FILE) -> bool:
    """Remove the cluster's block; False when there was none (the file is then not written)."""
    return _rewrite(Path(path), lambda text: without_block(text, cluster, str(path)),
                    by_hand=f"delete the lines from `# shardsmith:{cluster} begin` to `# shardsmith:{cluster} end` "
                            "by hand")


def resolve(names) -> dict[str, list[str]]:
    """name -> the IPv4/IPv6 addresses this host's resolver gives it (empty when it does not resolve)."""
    found: dict[str, list[str]] = {}
    for name in names:
        try:
            infos = socket.getaddrinfo(name, 0, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError):
            infos = []
        found[name] = sorted({str(info[4][0]) for info in infos})
    return found


def unresolved(block: HostsBlock) -> list[str]:
    """Names of the block this host does not resolve to the block's address."""
    return [name for name, addresses in resolve(block.names).items() if block.ip not in addresses]


def _rewrite(path: Path, change, *, by_hand: str) -> bool:
    with _locked(path.parent):
        text = path.read_text() if path.exists() else ""
        new = change(text)
        if new == text:
            return False
        try:
            _write_atomically(path, new)
        except OSError as exc:
            raise ShardsmithError(f"cannot write {path} ({exc.strerror or exc})",
                                  hint=f"run the command with sudo (as root), or {by_hand}") from None
        return True


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """Serialise our own read-modify-write cycles (two `destroy`s at once must not lose a block)."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        with contextlib.suppress(OSError):  # a file system without flock: carry on unlocked
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def _write_atomically(path: Path, text: str) -> None:
    """A sibling temp file renamed over the original (mode and owner kept); written in place when the
    file is a bind mount that cannot be replaced (/etc/hosts inside a container)."""
    stat = path.stat() if path.exists() else None
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.shardsmith-")
    try:
        with os.fdopen(fd, "w") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, stat.st_mode & 0o7777 if stat else 0o644)
        if stat:
            with contextlib.suppress(PermissionError):
                os.chown(tmp, stat.st_uid, stat.st_gid)
        try:
            os.replace(tmp, path)
        except OSError as exc:
            if exc.errno not in (errno.EBUSY, errno.EXDEV):
                raise
            path.write_text(text)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
