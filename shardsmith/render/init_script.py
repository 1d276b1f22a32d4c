"""The mongosh init script the official image's init services run (templates/init.js.j2).

It carries Shardsmith's bootstrap plan (shardsmith.bootstrap.plan) as JSON and
a small executor of it: the same steps the host runs with pymongo, planned by
the same code, so a change to how sets are initiated is made once.
"""

from __future__ import annotations

from typing import Optional
from urllib.parse import quote

from ..bootstrap.plan import bootstrap_plan
from ..endpoints import Endpoints
from ..servercodes import NOT_READY
from ..topology.model import Topology
from .compose import CONTAINER_SECRETS, INIT_PART_ENV, in_network_endpoints
from .environment import render_template


def init_plan(topology: Topology, endpoints: Optional[Endpoints] = None, *, routers: bool = True,
              ca_file: Optional[str] = None) -> dict:
    """Everything the script needs, as JSON-ready data (no secret: passwords come from the environment)."""
    auth = topology.auth
    steps = bootstrap_plan(topology, endpoints or in_network_endpoints(topology), routers=routers)
    return {
        "cluster": topology.name,
        "partEnv": INIT_PART_ENV,
        "passwordEnv": auth.root_password_env if auth.enabled else None,
        "user": auth.root_user if auth.enabled else None,
        "tls": f"tls=true&tlsCAFile={quote(ca_file or CONTAINER_SECRETS + '/ca.pem', safe='/')}"
               if topology.tls.enabled else None,
        "notReady": sorted(int(code) for code in NOT_READY),
        "steps": [step.as_json() for step in steps],
    }


def render_init_script(topology: Topology, endpoints: Optional[Endpoints] = None, *, routers: bool = True,
                       ca_file: Optional[str] = None) -> str:
    """mongosh script; run one part with SHARDSMITH_INIT_PART=<set name> | router | standalone | all.

    `endpoints` default to the compose network's view (see render.compose),
    `ca_file` to the CA in the container's secrets volume; tests pass those of
    local processes to run it for real.
    """
    return render_template("init.js.j2", cluster=topology.name,
                           plan=init_plan(topology, endpoints, routers=routers, ca_file=ca_file))
