"""Read the staging half of a spec: `hosts:` (machines), `tls:` (certificates), `users:` (application users).

    hosts:
      db1: {address: db1.staging.internal, docker: {context: db1}}
    tls: {mode: requireTLS, ca: generate, member_auth: x509}
    users:
      - {name: app, password_env: APP_PW, roles: [{role: readWrite, db: app}]}

Rules across sections (a host nobody declared, a majority on one host, x509
without TLS) are in staging_rules.py.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Optional

from .addresses import parse_bind_ip
from .fields import Fields, type_name
from .model import AppUser, Host, TLSSettings
from .problems import Problems
from .yamlpos import format_path

HOST_KEYS = {"address", "docker", "bind_ip"}
HOST_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")  # it names compose files and projects
TLS_KEYS = {"mode", "ca", "member_auth", "validity"}
TLS_MODES = ("requireTLS", "preferTLS", "disabled")
MEMBER_AUTH = ("keyfile", "x509")
USER_KEYS = {"name", "password_env", "roles"}
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
DAY = 86400
MAX_VALIDITY_DAYS = 3650


def read_hosts(problems: Problems, value: Any) -> tuple[Host, ...]:
    """`hosts:` is a mapping of host name -> {address, docker: {context}, bind_ip}."""
    if value is None:
        return ()
    if not isinstance(value, dict):
        problems.add(("hosts",), f"must be a mapping of host name -> {{address: ...}}, not {type_name(value)}")
        return ()
    hosts = []
    for name, entry in value.items():
        path = ("hosts", name)
        if not isinstance(name, str) or not HOST_NAME.match(name):
            problems.add(path, f"host name {name!r} may hold only letters, digits, '-' and '_' (it names compose files)")
            continue
        fields = Fields(problems, path, entry, HOST_KEYS)
        address = _one_address(fields, "address", required=True)
        docker = fields.sub("docker", {"context"})
        bind_ip = fields.str("bind_ip", "")
        if bind_ip:
            try:
                bind_ip = ",".join(parse_bind_ip(bind_ip))
            except ValueError as exc:
                problems.add(fields.at("bind_ip"), str(exc))
                bind_ip = ""
        hosts.append(Host(name=name, address=address or name, docker_context=docker.str("context"), bind_ip=bind_ip))
    return tuple(hosts)


def _one_address(fields: Fields, key: str, *, required: bool) -> Optional[str]:
    text = fields.str(key, required=required)
    if text is None:
        return None
    try:
        (address,) = parse_bind_ip(text)
    except ValueError:
        fields.problems.add(fields.at(key), f"{text!r} is not one IP address or host name (such as "
                                            "db1.staging.internal or 10.0.0.11)")
        return None
    return address


def read_tls(problems: Problems, value: Any, source: str) -> TLSSettings:
    """`tls:` given means TLS on (requireTLS unless `mode` says otherwise); CA paths are relative to the spec."""
    if value is None:
        return TLSSettings()
    fields = Fields(problems, ("tls",), value, TLS_KEYS)
    mode = fields.str("mode", "requireTLS", choices=TLS_MODES)
    member_auth = fields.str("member_auth", "keyfile", choices=MEMBER_AUTH)
    validity = fields.duration("validity", 397 * DAY, maximum=MAX_VALIDITY_DAYS * DAY)
    if validity is not None and validity < DAY:
        problems.add(fields.at("validity"), "certificates must be valid for at least 1d")
        validity = 397 * DAY
    ca_cert, ca_key = _read_ca(fields, source)
    return TLSSettings(mode=mode, ca_cert=ca_cert, ca_key=ca_key, member_auth=member_auth,
                       validity_days=max(1, (validity or 397 * DAY) // DAY))


def _read_ca(fields: Fields, source: str) -> tuple[Optional[str], Optional[str]]:
    """`ca: generate` (the default) or `ca: {cert: PATH, key: PATH}`: both files must exist."""
    raw = fields.data.get("ca", "generate")
    if raw == "generate":
        return None, None
    if not isinstance(raw, dict):
        fields.problems.add(fields.at("ca"), f"must be `generate` or {{cert: PATH, key: PATH}}, not {raw!r}")
        return None, None
    ca = fields.sub("ca", {"cert", "key"})
    folder = Path(source).parent if Path(source).suffix in (".yaml", ".yml", ".json") else Path.cwd()
    found = []
    for key in ("cert", "key"):
        given = ca.str(key, required=True)
        path = (folder / Path(given).expanduser()) if given else None
        if path is not None and not path.is_file():
            fields.problems.add(ca.at(key), f"{path} is not a file")
        found.append(str(path.resolve()) if path is not None else None)
    return found[0], found[1]


def read_users(problems: Problems, value: Any) -> tuple[tuple[AppUser, ...], dict[str, int]]:
    """`users:` is a list of {name, password_env, roles}; returns them and the lines of their password_env.

    Users live in the admin database (authSource=admin), as the root user does.
    """
    if value is None:
        return (), {}
    if not isinstance(value, list):
        problems.add(("users",), f"must be a list of users, not {type_name(value)}")
        return (), {}
    users: list[AppUser] = []
    lines: dict[str, int] = {}
    seen: dict[str, int] = {}
    for i, entry in enumerate(value):
        fields = Fields(problems, ("users", i), entry, USER_KEYS)
        name = fields.str("name", required=True)
        env = fields.str("password_env", required=True)
        if env and not ENV_NAME.match(env):
            problems.add(fields.at("password_env"), f"{env!r} is not an environment variable name")
        roles = _read_roles(fields)
        if name and name in seen:
            problems.add(fields.at("name"), f"user {name!r} is declared twice (also users[{seen[name]}])")
        seen.setdefault(name, i)
        if name and env:
            users.append(AppUser(name=name, password_env=env, roles=roles))
            lines[format_path(fields.at("password_env"))] = problems.located.line_of(fields.at("password_env")) or 0
    return tuple(users), lines


def _read_roles(fields: Fields) -> tuple:
    """A role is its name (a role of the admin database, as createUser reads it there) or {role, db}."""
    raw = fields.list("roles")
    if fields.has("roles") and not raw:
        fields.problems.add(fields.at("roles"), "give at least one role, e.g. [{role: readWrite, db: app}]")
    roles = set()
    for j, entry in enumerate(raw):
        if isinstance(entry, str) and entry:
            roles.add((entry, "admin"))
            continue
        role = Fields(fields.problems, fields.at("roles") + (j,), entry, {"role", "db"})
        name, where = role.str("role", required=True), role.str("db", required=True)
        if name and where:
            roles.add((name, where))
    if not fields.has("roles"):
        fields.problems.add(fields.path, "missing required key 'roles'")
    return tuple(sorted(roles))
