"""The data plan as code: compare a topology's `databases:` with a target, plan, apply.

    from shardsmith.dataplan import connect, make_plan, apply

    client = connect("mongodb://admin:pw@127.0.0.1:27017/?authSource=admin")
    plan = make_plan(topology, client)           # Plan: steps, refusals, differences, notes
    print(plan.as_dict())                        # what `inv plan --json` prints
    result = apply(topology, client)             # runs the steps, re-reads, plans again
    assert result.remaining.empty

Modules: observe (read the target), diff (pure planning), indexes (index sets),
layout (split points), versions (server-version behaviour as data), apply
(carry out), report (tables).
"""

from __future__ import annotations

from ..bootstrap.users import require_passwords
from ..progress import QUIET, Progress
from ..target import connect, redact
from ..topology.model import Topology
from .apply import ApplyResult, apply_plan
from .diff import diff
from .observe import Observed, observe
from .steps import Plan
from .users import add_user_steps

__all__ = ["connect", "make_plan", "apply", "Plan", "Observed", "ApplyResult", "redact"]


def make_plan(topology: Topology, client, *, prune: bool = False) -> Plan:
    return _plan(topology, client, observe(client, topology), prune)


def _plan(topology: Topology, client, observed: Observed, prune: bool) -> Plan:
    plan = diff(topology, observed, prune=prune)
    add_user_steps(plan, topology, client, prune=prune)
    return plan


def apply(topology: Topology, client, *, prune: bool = False, progress: Progress = QUIET) -> ApplyResult:
    """Plan, refuse or carry out, then re-read the target and plan again (empty when done).

    Every user's password variable must be set before anything is sent.
    """
    require_passwords(topology)
    plan = make_plan(topology, client, prune=prune)
    outcomes = apply_plan(client, plan, progress=progress)
    after = observe(client, topology)
    return ApplyResult(outcomes=outcomes, after=after, remaining=_plan(topology, client, after, prune))
