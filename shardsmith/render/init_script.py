"""What the official image's init services run: templates/init.js, one small executor for every cluster,
and the cluster's bootstrap plan (shardsmith.bootstrap.plan) as JSON beside it, <name>.plan.json.

The plan is the same steps the host runs with pymongo, planned by the same code, so a change to how
sets are initiated is made once, and the executor is written once.
"""

from __future__ import annotations

import json
from typing import Optional
from urllib.parse import quote

from ..bootstrap.plan import bootstrap_plan
from ..endpoints import Endpoints
from ..resources import resource_dir
from ..servercodes import NOT_READY
from ..topology.model import Topology
from .compose import CONTAINER_SECRETS, INIT_PART_ENV, in_network_endpoints


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


def init_executor() -> str:
    """The mongosh script (templates/init.js); it reads the plan from /shardsmith/plan.json or $SHARDSMITH_INIT_PLAN."""
    return (resource_dir("templates") / "init.js").read_text()


def render_init_plan(topology: Topology, endpoints: Optional[Endpoints] = None, *, routers: bool = True,
                     ca_file: Optional[str] = None) -> str:
    """The plan file; run one part with SHARDSMITH_INIT_PART=<set name> | router | standalone | all.

    `endpoints` default to the compose network's view (see render.compose),
    `ca_file` to the CA in the container's secrets volume; tests pass those of
    local processes to run it for real.
    """
    return json.dumps(init_plan(topology, endpoints, routers=routers, ca_file=ca_file), indent=1) + "\n"
