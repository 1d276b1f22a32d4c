"""Check a rendered compose file brought up alone (`docker compose -f FILE up -d --wait`): every set initiated.

    SHARDSMITH_ROOT_PASSWORD=... python .ci/check_compose_up.py compose/local.yaml

For each `init-<set>` service, asks the member it runs beside (its
`network_mode: service:<member>`), with mongosh inside that container and the
root user, for rs.status(): one PRIMARY, every other member SECONDARY or
ARBITER. For the router part (`init`), asks the router for listShards: every
shard set of the file is there. Exits 1 with what differs; CI runs it on the
official mongo:7.0 / mongo:8.0 images (.github/workflows/ci.yml).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import yaml

USER = os.environ.get("SHARDSMITH_ROOT_USER", "admin")


def ask(compose_file: str, service: str, port: str, expression: str) -> object:
    """Evaluate `expression` with mongosh inside `service`'s container, as the root user; its JSON value."""
    command = ["docker", "compose", "-f", compose_file, "exec", "-T", service, "mongosh", "--quiet", "--port", port,
               "-u", USER, "-p", os.environ["SHARDSMITH_ROOT_PASSWORD"], "--authenticationDatabase", "admin",
               "--eval", f"JSON.stringify({expression})"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise SystemExit(f"{service}: mongosh failed: {done.stderr.strip() or done.stdout.strip()}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def port_of(service: dict) -> str:
    command = service.get("command") or []
    return str(command[command.index("--port") + 1])


def main(compose_file: str) -> int:
    services = yaml.safe_load(open(compose_file))["services"]
    problems, shard_sets = [], []
    for name, service in sorted(services.items()):
        if not name.startswith("init"):
            continue
        beside = service["network_mode"].removeprefix("service:")
        if name == "init":
            continue  # the router part: checked below, once every set is
        set_name = name.removeprefix("init-")
        states = ask(compose_file, beside, port_of(services[beside]), "rs.status().members.map(m => m.stateStr)")
        good = states.count("PRIMARY") == 1 and all(s in ("PRIMARY", "SECONDARY", "ARBITER") for s in states)
        print(f"{set_name}: {', '.join(states)}")
        if not good:
            problems.append(f"{set_name}: members are {states}")
        if "--shardsvr" in services[beside]["command"]:
            shard_sets.append(set_name)
    if "init" in services:
        router = services["init"]["network_mode"].removeprefix("service:")
        shards = sorted(ask(compose_file, router, port_of(services[router]),
                            "db.adminCommand({listShards: 1}).shards.map(s => s._id)"))
        print(f"router {router}: shards {', '.join(shards)}")
        if shards != sorted(shard_sets):
            problems.append(f"{router} lists shards {shards}, the file has {sorted(shard_sets)}")
    for problem in problems:
        print(f"FAIL {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
