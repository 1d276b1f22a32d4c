"""`hosts`: the hosts-file lines that let apps on the host discover bridge members by name.

With `deploy.expose_members: true` on a bridge network every member publishes its
own port on bind_ip, but its replica set names it by compose service
(`shard01-1:27018`). `shardsmith hosts SPEC --write` maps those names to bind_ip in
/etc/hosts, so `mongodb://127.0.0.1:PORT/?replicaSet=shard01` (Compass, apps)
discovers the set and follows failovers. `print_member_access` is what `up` and
`status` show about it.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional
from urllib.parse import quote_plus

from .. import hosts_file
from ..display import print_json
from ..errors import ShardsmithError
from ..render.compose import host_named_sets
from ..topology.model import Topology
from .common import TOPOLOGY, console, err_console, load_spec
from .declare import Option, command

if TYPE_CHECKING:
    from ..cluster import Cluster


def host_uris(topology: Topology) -> dict[str, str]:
    """Per host-named replica set: a connection string with discovery, seeded on the published ports."""
    ip = topology.deploy.reachable_ip
    auth = topology.auth
    userinfo = f"{quote_plus(auth.root_user)}:<password>@" if auth.enabled else ""
    options = "&authSource=admin" if auth.enabled else ""
    return {rs.name: f"mongodb://{userinfo}{','.join(f'{ip}:{m.port}' for m in rs.members)}/"
                     f"?replicaSet={rs.name}{options}" for rs in host_named_sets(topology)}


def fix_command(topology: Topology) -> str:
    return f"shardsmith hosts {shlex.quote(topology.source)} --write"


def unresolved_warning(topology: Topology, block: hosts_file.HostsBlock, missing: list[str]) -> str:
    return (f"{', '.join(missing)} do(es) not resolve to {block.ip} on this host, so replica-set discovery from "
            f"the host fails; fix: `{fix_command(topology)}` (as root), or add "
            f"`{block.ip} {' '.join(block.names)}` to {hosts_file.HOSTS_FILE}")


def print_member_access(cluster: "Cluster", *, as_json: bool = False) -> None:
    """After `up`/`status` of a compose cluster: each exposed set's connection string, and one warning line
    when the host cannot resolve its members' names yet (nothing fails: Shardsmith reaches them without names)."""
    topology = cluster.topology
    block = hosts_file.cluster_block(topology) if cluster.backend.name == "compose" else None
    if block is None:
        return
    if not as_json:
        for name, uri in host_uris(topology).items():
            console.print(f"{name} from the host: [bold]{uri}[/]", soft_wrap=True)
    warning = member_access_warning(topology, block)
    if warning:
        err_console.print(f"warning: {warning}", style="yellow", markup=False, soft_wrap=True)


def member_access_warning(topology: Topology, block: hosts_file.HostsBlock) -> Optional[str]:
    """Why host apps cannot (or may soon not) discover the members by name, or None."""
    missing = hosts_file.unresolved(block)
    if missing:
        return unresolved_warning(topology, block, missing)
    try:
        borrowed = hosts_file.claims_of_others(hosts_file.read_blocks(), block)
    except ShardsmithError as exc:  # a damaged block in the file: worth a warning, the cluster itself is fine
        return str(exc)
    if not borrowed:
        return None
    return "; ".join(f"{', '.join(names)} resolve(s) only through cluster {other!r}'s block in "
                     f"{hosts_file.HOSTS_FILE}, which goes when {other!r} is destroyed"
                     for other, names in borrowed.items()) + "; give this cluster's replica sets other names"


def change_hosts_file(topology: Topology, block: Optional[hosts_file.HostsBlock], path: Path, *, write: bool,
                      remove: bool) -> Optional[str]:
    """Do what --write / --remove ask: written, unchanged, removed or absent; None when only looking."""
    if write and remove:
        raise ShardsmithError("--write and --remove cannot be combined", hint="give one of them")
    if write:
        if block is None:
            raise ShardsmithError(f"{topology.name} publishes no members on a bridge network: there are no host "
                                  "names to write",
                                  hint="set deploy.expose_members: true (with deploy.network: bridge), or connect "
                                       "through the routers")
        return "written" if hosts_file.install(block, path) else "unchanged"
    if remove:
        return "removed" if hosts_file.remove(topology.name, path) else "absent"
    return None


def hosts_report(topology: Topology, block: Optional[hosts_file.HostsBlock], path: Path,
                 action: Optional[str]) -> dict[str, Any]:
    resolved = hosts_file.resolve(block.names) if block else {}
    return {
        "cluster": topology.name,
        "file": str(path),
        "action": action,
        "block": block.text() if block else None,
        "names": {name: {"addresses": found, "ok": block is not None and block.ip in found}
                  for name, found in resolved.items()},
        "replica_sets": host_uris(topology),
    }


def print_hosts_report(report: dict[str, Any]) -> None:
    def plain(text: str, **options: Any) -> None:
        console.print(text, markup=False, highlight=False, soft_wrap=True, **options)

    if report["block"] is None:
        plain(f"{report['cluster']} publishes no members on a bridge network: no host names needed.")
    else:
        plain(report["block"], end="")
    if report["action"]:
        plain(f"{report['file']}: block {report['action']}")
    for name, seen in report["names"].items():
        verdict = "ok" if seen["ok"] else ("does not resolve" if not seen["addresses"] else "resolves elsewhere")
        plain(f"  {name:<24} {', '.join(seen['addresses']) or '-':<18} {verdict}")
    for name, uri in report["replica_sets"].items():
        plain(f"{name} from the host: {uri}")


@command("hosts", TOPOLOGY,
         Option("write", "install or update this cluster's block in the hosts file (needs root)", switch=True),
         Option("remove", "remove this cluster's block from the hosts file (needs root)", switch=True),
         Option("file", f"the hosts file to edit (default {hosts_file.HOSTS_FILE})"),
         Option("json", "print the block, the names' resolution and the connection strings as JSON", switch=True))
def hosts(topology: Optional[str], write: bool, remove: bool, file: Optional[str], json: bool) -> None:
    """Host names for members exposed on a bridge network: print the hosts-file block, --write or --remove it."""
    spec = load_spec(topology)
    path = Path(file) if file else hosts_file.HOSTS_FILE
    block = hosts_file.cluster_block(spec)
    action = change_hosts_file(spec, block, path, write=write, remove=remove)
    report = hosts_report(spec, block, path, action)
    if json:
        print_json(report)
    else:
        print_hosts_report(report)
    wrong = [name for name, seen in report["names"].items() if not seen["ok"]]
    if write and wrong and block is not None and path == hosts_file.HOSTS_FILE:
        raise ShardsmithError(f"the block is in {path}, but {', '.join(wrong)} still do(es) not resolve to "
                              f"{block.ip}",
                              hint=f"an earlier line of {path} (or DNS before files in /etc/nsswitch.conf) claims "
                                   "the name(s): remove or correct it")

