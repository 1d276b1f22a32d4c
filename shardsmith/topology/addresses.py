"""What a spec may write for mongod's net.bindIp, and whether it reaches beyond this machine.

bind_ip is a comma-separated list of IP addresses and host names, as mongod's
`net.bindIp` takes it (https://www.mongodb.com/docs/manual/reference/configuration-options/#mongodb-setting-net.bindIp).
"""

from __future__ import annotations

import ipaddress
import re

WILDCARDS = ("0.0.0.0", "::")
LOCALHOST = "localhost"
_HOST_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
_DOTTED_NUMBERS = re.compile(r"^[0-9.]+$")


def is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _is_host_name(text: str) -> bool:
    """RFC 1123: dot-separated labels of letters, digits and inner hyphens, 253 characters at most."""
    if len(text) > 253 or _DOTTED_NUMBERS.match(text):  # 999.1.1.1 is a bad address, not a name
        return False
    return all(_HOST_LABEL.match(label) for label in text.removesuffix(".").split("."))


def parse_bind_ip(text: str) -> tuple[str, ...]:
    """The entries of a bind_ip list, stripped; ValueError names the first one that is neither address nor name."""
    entries = tuple(entry.strip() for entry in text.split(","))
    for entry in entries:
        if not (is_ip(entry) or _is_host_name(entry)):
            raise ValueError(f"{entry!r} is not an IP address or host name; bind_ip takes one or a "
                             "comma-separated list, e.g. 127.0.0.1 or 127.0.0.1,10.0.0.5")
    return entries


def is_local(entry: str) -> bool:
    """Reachable only from this machine: `localhost` or a loopback address (127.0.0.0/8, ::1)."""
    if entry.lower() == LOCALHOST:
        return True
    return is_ip(entry) and ipaddress.ip_address(entry).is_loopback


def beyond_localhost(entries) -> list[str]:
    """The entries other machines could reach (wildcards 0.0.0.0 and :: included)."""
    return [entry for entry in entries if not is_local(entry)]


def bound_by_args(args) -> list[str]:
    """Addresses that extra mongod/mongos flags listen on: `--bind_ip X`, `--bind_ip=X`, `--bind_ip_all`."""
    found: list[str] = []
    for i, arg in enumerate(args):
        flag, equals, value = arg.partition("=")
        if flag == "--bind_ip_all":
            found += WILDCARDS
        elif flag == "--bind_ip":
            value = value if equals else (args[i + 1] if i + 1 < len(args) else "")
            found += [entry.strip() for entry in value.split(",") if entry.strip()]
    return found


def reachable_address(bind_ip: str) -> str:
    """Where this machine connects to what listens on bind_ip: a local entry if any, else the first one."""
    entries = [entry.strip() for entry in bind_ip.split(",")]
    if any(entry in WILDCARDS for entry in entries):
        return "127.0.0.1"
    return next((entry for entry in entries if is_local(entry)), entries[0])
