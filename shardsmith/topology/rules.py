"""Cross-field rules for the cluster half: what MongoDB would refuse, caught before anything starts.

Each rule reads the (possibly partial) model and reports with the YAML path
of the offending entry, found through `where` (id(model object) -> (path, raw)).
The data-plan half lives in dataplan_rules.py.
"""

from __future__ import annotations

from .addresses import beyond_localhost, bound_by_args
from .cluster_reader import MAX_MEMBERS
from .model import Role, Topology
from .problems import Problems
from .yamlpos import format_path

MAX_VOTING = 7


def check_replica_sets(topology: Topology, problems: Problems, where: dict) -> None:
    seen: dict[str, tuple] = {}
    for rs in topology.replica_sets:
        path, _ = where[id(rs)]
        if rs.name in seen:
            problems.add(path + ("name",), f"replica set name {rs.name!r} is used twice (also at {format_path(seen[rs.name])})")
        seen.setdefault(rs.name, path)
        voters = [m for m in rs.members if m.votes]
        if len(rs.members) > MAX_MEMBERS:
            problems.add(path + ("members",), f"{len(rs.members)} members; a replica set holds at most {MAX_MEMBERS}")
        if len(voters) > MAX_VOTING:
            problems.add(path + ("members",), f"{len(voters)} voting members; at most {MAX_VOTING} may vote (set votes: 0 on the rest)")
        if not any(m.priority > 0 and m.votes and not m.arbiter for m in rs.members):
            problems.add(path + ("members",), "no member can become primary (every member is an arbiter, hidden, non-voting or priority 0)")
        elif len(voters) % 2 == 0 and len(voters) <= MAX_VOTING:
            problems.add(path + ("members",), f"{len(voters)} voting members: an even count gains no fault tolerance; add a member or an arbiter", warning=True)
        for member in rs.members:
            check_member(member, rs.role, problems, where)


def check_member(member, role, problems: Problems, where: dict) -> None:
    path, explicit = where[id(member)]
    priority_path = path + ("priority",) if "priority" in explicit else path
    if member.arbiter and role is Role.CONFIGSVR:
        problems.add(path + ("arbiter",), "config-server replica sets cannot have arbiters")
    if member.secondary_delay and role is Role.CONFIGSVR:
        problems.add(path + ("secondary_delay",), "config-server replica sets cannot have delayed members")
    if member.priority > 0:
        for flag, why in ((member.arbiter, "an arbiter"), (member.hidden, "a hidden member"),
                          (member.secondary_delay, "a delayed member"), (member.votes == 0, "a non-voting member")):
            if flag:
                problems.add(priority_path, f"{why} must have priority 0")
                break
    if member.arbiter and (member.hidden or member.secondary_delay or member.tags):
        problems.add(path, "an arbiter holds no data: hidden, secondary_delay and tags do not apply")


def check_ports(topology: Topology, problems: Problems, where: dict, raw_paths: dict) -> None:
    owners: dict[int, str] = {}
    for proc in topology.processes:
        path, explicit = raw_paths.get(proc.name, ((), {}))
        if "port" in explicit:
            path = path + ("port",)
        if proc.port > 65535:
            problems.add(path, f"{proc.name} would get port {proc.port}, above 65535; lower deploy.base_port")
        if proc.port in owners:
            problems.add(path, f"port {proc.port} of {proc.name} is also used by {owners[proc.port]}")
        owners.setdefault(proc.port, proc.name)


def check_host_names(topology: Topology, problems: Problems, where: dict) -> None:
    """Members published on a bridge are named `<set>-<n>` on the host too, where names ignore case."""
    if topology.deploy.network == "host" or not topology.deploy.expose_members:
        return
    owners = {router.service.lower(): router.name for router in topology.routers}
    for rs in topology.replica_sets:
        for member in rs.members:
            other = owners.setdefault(member.service.lower(), member.name)
            if other != member.name:
                path, _ = where[id(rs)]
                problems.add(path + ("name",), f"with deploy.expose_members the host resolves {member.name} as "
                                               f"{member.service!r}, a name {other} already has (host names ignore "
                                               "case); rename the replica set")
                break


def check_network_exposure(topology: Topology, problems: Problems, raw_paths: dict) -> None:
    """Listening beyond localhost with auth disabled opens every database to the network: refused unless
    the spec says deploy.allow_unauthenticated_network: true, and then said once as a warning."""
    if topology.auth.enabled:
        return
    exposed = [(("deploy", "bind_ip"), beyond_localhost(topology.deploy.bind_ip.split(",")))]
    for proc in topology.processes:
        path, explicit = raw_paths.get(proc.name, ((), {}))
        exposed.append((path + ("args",) if "args" in explicit else path, beyond_localhost(bound_by_args(proc.args))))
    exposed = [(path, entries) for path, entries in exposed if entries]
    if topology.deploy.allow_unauthenticated_network:
        if exposed:
            path, entries = exposed[0]
            problems.add(path, f"listening on {', '.join(entries)} without authentication "
                               "(deploy.allow_unauthenticated_network: true): whoever reaches these ports can "
                               "read, change and drop every database", warning=True)
        return
    for path, entries in exposed:
        problems.add(path, f"listening on {', '.join(entries)} beyond this machine with auth.enabled: false would let "
                           "anyone on the network read, change and drop every database; enable auth, listen on "
                           "127.0.0.1, or set deploy.allow_unauthenticated_network: true if the network is trusted")
