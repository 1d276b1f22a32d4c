"""Tasks for the data plan: `plan` and `apply`, on our cluster or any --uri."""

from __future__ import annotations

from invoke import Exit, task

from .cli_support import TOPOLOGY_HELP, URI_HELP, console, err_console, target, user_errors
from .dataplan import apply, make_plan
from .dataplan.report import apply_result_dict, print_plan, print_result, to_json
from .progress import Progress

DATA_HELP = {"topology": TOPOLOGY_HELP, "uri": URI_HELP}


@task(name="plan", positional=["topology"], help={**DATA_HELP, "json": "print the plan as JSON (format: README)",
                                                  "prune": "also plan dropping indexes not in the index sets"})
@user_errors
def plan_task(c, topology=None, uri=None, json=False, prune=False):
    """Compare the spec's databases with the target and print the ordered steps; exit 2 on refusals."""
    spec, client = target(topology, uri)
    the_plan = make_plan(spec, client, prune=prune)
    if json:
        print(to_json(the_plan.as_dict()))
    else:
        print_plan(the_plan, console)
    if the_plan.refusals:
        raise Exit(code=2)


@task(name="apply", positional=["topology"],
      help={**DATA_HELP, "prune": "drop indexes not in the index sets (and recreate differing ones)",
            "json": "print the outcome as JSON"})
@user_errors
def apply_task(c, topology=None, uri=None, prune=False, json=False):
    """Carry out the plan with progress, then re-read the target and report."""
    spec, client = target(topology, uri)
    result = apply(spec, client, prune=prune, progress=Progress(err_console, quiet=json))
    if json:
        print(to_json(apply_result_dict(result)))
    else:
        print_result(result, console)


tasks = [plan_task, apply_task]
