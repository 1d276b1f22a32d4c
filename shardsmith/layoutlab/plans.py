"""What a query's explain says it did, in one line: the winning plan's stages, root first, with their indexes.

    {"plan": "LIMIT > FETCH > IXSCAN sessionId_1_timestamp_1", "indexes": ["sessionId_1_timestamp_1"], "collscan": false}

Explain output nests the plan differently by command and engine: under
queryPlanner.winningPlan for a find, under stages[0].$cursor for an
aggregation, and under winningPlan.queryPlan when the slot-based engine runs
it; every winningPlan found is read, in document order.
"""

from __future__ import annotations


def winning_plans(explain) -> list[dict]:
    found = []
    if isinstance(explain, dict):
        for key, value in explain.items():
            if key == "winningPlan" and isinstance(value, dict):
                found.append(value.get("queryPlan", value))
            else:
                found += winning_plans(value)
    elif isinstance(explain, list):
        for item in explain:
            found += winning_plans(item)
    return found


def stages(plan: dict) -> list[str]:
    """Stage names from the root down the first input of each stage, an index named after its scan."""
    names = []
    while isinstance(plan, dict) and "stage" in plan:
        names.append(f"{plan['stage']} {plan['indexName']}" if plan.get("indexName") else plan["stage"])
        plan = plan.get("inputStage") or (plan.get("inputStages") or [None])[0]
    return names


def summarize(explains: list[dict]) -> dict:
    """One summary over the explains of a query (one per collection it ran on: several for months)."""
    chains, indexes = [], []
    for explain in explains:
        for plan in winning_plans(explain):
            chain = " > ".join(stages(plan))
            chains.append(chain)
            indexes += [name.split(" ", 1)[1] for name in stages(plan) if " " in name]
    distinct = list(dict.fromkeys(chains))
    line = " | ".join(distinct) if distinct else "-"
    if len(explains) > 1:
        line = f"{len(explains)} collections: {line}"
    return {"plan": line, "indexes": list(dict.fromkeys(indexes)),
            "collscan": any("COLLSCAN" in chain for chain in chains)}
