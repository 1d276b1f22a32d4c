"""Rules for clusters on several hosts, with TLS and application users.

A replica set survives the loss of a host only if no host holds a majority
of its votes: with two of three voters on db1, losing db1 leaves one voter,
which cannot elect a primary. `placement: spread` puts each set's members on
different hosts, rotating the starting host from set to set so intended
primaries spread too.
"""

from __future__ import annotations

from collections import Counter

from .model import Topology
from .problems import Problems


def spread(topology: Topology) -> dict[str, str]:
    """Process name -> host for processes without a `host:`, when deploy.placement is spread."""
    if topology.deploy.placement != "spread" or not topology.hosts:
        return {}
    names = [h.name for h in topology.hosts]
    placed = {}
    for k, replica_set in enumerate(topology.replica_sets):
        for i, member in enumerate(replica_set.members):
            if member.host is None:
                placed[member.name] = names[(k + i) % len(names)]
    for j, router in enumerate(topology.routers):
        if router.host is None:
            placed[router.name] = names[j % len(names)]
    if topology.standalone is not None and topology.standalone.host is None:
        placed[topology.standalone.name] = names[0]
    return placed


def check_placement(topology: Topology, problems: Problems, where: dict, raw_paths: dict) -> None:
    """Every host named is declared; with hosts, every process has one; no set's majority on one host."""
    declared = {h.name for h in topology.hosts}
    choices = ", ".join(sorted(declared))
    for proc in topology.processes:
        path, explicit = raw_paths.get(proc.name, ((), {}))
        if proc.host is not None and proc.host not in declared:
            hint = f"declare it under hosts: (declared: {choices})" if declared else \
                "declare it under hosts: {NAME: {address: ...}}"
            problems.add(_host_path(proc, path, explicit), f"{proc.name} names host {proc.host!r}, which is not "
                                                           f"declared; {hint}")
        elif proc.host is None and declared:
            problems.add(path, f"{proc.name} has no host: give it host: NAME (one of {choices}), or set "
                               "deploy.placement: spread")
    _check_addresses(topology, problems)
    for replica_set in topology.replica_sets:
        _check_majority(topology, replica_set, problems, where)
    if topology.hosts and topology.deploy.network != "host":
        problems.add(("deploy", "network"), "members on several hosts reach each other by the hosts' addresses: "
                                            "use deploy.network: host (the default with hosts:)")


def _host_path(proc, path: tuple, explicit: dict) -> tuple:
    if "host" in explicit:
        return path + ("host",)
    return ("mongos", "hosts") if proc.set_name is None and path == ("mongos",) else path


def _check_addresses(topology: Topology, problems: Problems) -> None:
    owners: dict[str, str] = {}
    for host in topology.hosts:
        other = owners.setdefault(host.address.lower(), host.name)
        if other != host.name:
            problems.add(("hosts", host.name, "address"), f"host {host.name} has the address of host {other} "
                                                          f"({host.address}): they would be one machine")


def _check_majority(topology: Topology, replica_set, problems: Problems, where: dict) -> None:
    voters = [m for m in replica_set.members if m.votes]
    if not topology.hosts or len(voters) < 2:
        return
    host, votes = Counter(m.host for m in voters).most_common(1)[0]
    if host is None or votes * 2 <= len(voters):
        return
    path, _ = where[id(replica_set)]
    how = (f"deploy.placement: spread has only {len(topology.hosts)} host(s) for {len(voters)} voting members"
           if topology.deploy.placement == "spread" else "move members to other hosts")
    problems.add(path + ("members",), f"{votes} of the {len(voters)} votes of replica set {replica_set.name} are on "
                                      f"host {host}: losing {host} would leave it without a primary; {how}")


def check_tls(topology: Topology, problems: Problems) -> None:
    tls = topology.tls
    if tls.x509 and not tls.enabled:
        problems.add(("tls", "member_auth"), "x509 member authentication needs TLS: set tls.mode to requireTLS or "
                                             "preferTLS, or use member_auth: keyfile")
    if tls.x509 and not topology.auth.enabled:
        problems.add(("tls", "member_auth"), "x509 member authentication is authentication: it needs "
                                             "auth.enabled: true")


def check_users(topology: Topology, problems: Problems) -> None:
    if topology.users and not topology.auth.enabled:
        problems.add(("users",), "application users need auth.enabled: true (without it nobody logs in)")
    raw = problems.located.data.get("users") if isinstance(problems.located.data, dict) else None
    for i, entry in enumerate(raw if isinstance(raw, list) else []):
        if isinstance(entry, dict) and topology.auth.enabled and entry.get("name") == topology.auth.root_user:
            problems.add(("users", i, "name"), f"{entry['name']!r} is the root user (auth.root_user); give the "
                                               "application user another name")
