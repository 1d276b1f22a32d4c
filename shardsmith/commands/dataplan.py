"""The data plan: `plan` and `apply`, on our cluster or any --uri."""

from __future__ import annotations

from typing import Optional

from .common import MEASURE, TOPOLOGY, URI, console, open_target, progress, required_spec
from .declare import Option, command

REFUSED = 2


@command("plan", TOPOLOGY, URI, Option("json", "print the plan as JSON (format: README)", switch=True),
         Option("prune", "also plan dropping indexes and zone ranges the spec no longer declares", switch=True),
         MEASURE)
def plan(topology: Optional[str], uri: Optional[str], json: bool, prune: bool, measure: bool) -> Optional[int]:
    """Compare the spec's databases with the target and print the ordered steps; exit 2 on refusals."""
    from ..dataplan import make_plan
    from ..dataplan.costs import index_costs
    from ..dataplan.report import plan_dict, print_plan, to_json

    target = open_target(topology, uri, writes=measure)
    spec = required_spec(target)
    the_plan = make_plan(spec, target.client, prune=prune)
    costs = index_costs(spec, target.client, measure=measure)
    if json:
        print(to_json(plan_dict(the_plan, costs)))
    else:
        print_plan(the_plan, console, costs)
    return REFUSED if the_plan.refusals else None


@command("apply", TOPOLOGY, URI,
         Option("prune", "drop indexes and zone ranges the spec no longer declares (and recreate differing indexes)",
                switch=True),
         Option("json", "print the outcome as JSON", switch=True), MEASURE)
def apply(topology: Optional[str], uri: Optional[str], prune: bool, json: bool, measure: bool) -> None:
    """Carry out the plan with progress, then re-read the target and report."""
    from ..dataplan import apply as apply_plan
    from ..dataplan.costs import index_costs
    from ..dataplan.report import apply_result_dict, print_result, to_json

    target = open_target(topology, uri)
    spec = required_spec(target)
    result = apply_plan(spec, target.client, prune=prune, progress=progress(json))
    costs = index_costs(spec, target.client, measure=measure)
    if json:
        print(to_json(apply_result_dict(result, costs)))
    else:
        print_result(result, console, costs)
