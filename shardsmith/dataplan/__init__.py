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

from ..progress import QUIET, Progress
from .apply import ApplyResult, apply_plan
from .diff import diff
from .observe import Observed, observe
from .steps import Plan
from ..target import connect, redact
from ..topology.model import Topology

__all__ = ["connect", "make_plan", "apply", "Plan", "Observed", "ApplyResult", "redact"]


def make_plan(topology: Topology, client, *, prune: bool = False) -> Plan:
    return diff(topology, observe(client, topology), prune=prune)


def apply(topology: Topology, client, *, prune: bool = False, progress: Progress = QUIET) -> ApplyResult:
    """Plan, refuse or carry out, then re-read the target and plan again (empty when done)."""
    plan = make_plan(topology, client, prune=prune)
    outcomes = apply_plan(client, plan, progress=progress)
    after = observe(client, topology)
    return ApplyResult(outcomes=outcomes, after=after, remaining=diff(topology, after, prune=prune))
