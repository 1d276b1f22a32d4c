"""Carry a plan out, step by step with progress, then re-read the target and report.

    result = apply_plan(client, plan, progress=Progress())
    result.outcomes        # [(step, "done" | "skipped: ..." | "already: ...")]

A plan with refusals is not started: nothing changes. Split and move steps
look at the chunks first, so a boundary that exists or a range already on its
shard is skipped (after a crash, applying again resumes).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from pymongo.errors import OperationFailure, PyMongoError

from ..errors import ShardsmithError
from ..progress import QUIET, Progress
from .bsonjson import to_plain
from .steps import Plan, Step

ALREADY_SHARDED = 20  # IllegalOperation, as older routers answer for an already sharded collection
NAMESPACE_EXISTS = 48


@dataclass
class Outcome:
    step: Step
    status: str  # "done" | "skipped" | "already"
    detail: str = ""

    def as_dict(self) -> dict:
        return {"step": self.step.as_dict(), "status": self.status, "detail": self.detail}


@dataclass
class ApplyResult:
    outcomes: list = field(default_factory=list)
    after: object = None  # Observed, re-read after the steps
    remaining: object = None  # Plan of what is still different (empty when all went well)


def refusal_error(plan: Plan) -> ShardsmithError:
    lines = [f"{r.target}: {r.reason}\n     -> {r.hint}" for r in plan.refusals]
    for r in plan.refusals:
        if r.command:
            lines.append(f"     command: {json.dumps(to_plain(r.command))}")
    return ShardsmithError(f"refused ({len(plan.refusals)}); nothing was changed:\n  " + "\n  ".join(lines),
                           hint="change the spec or the cluster as described, then run `inv plan` again")


def apply_plan(client, plan: Plan, *, progress: Progress = QUIET) -> list:
    if plan.refusals:
        raise refusal_error(plan)
    chunks = _Chunks(client)
    outcomes = []
    for number, step in enumerate(plan.steps, start=1):
        with progress.phase(f"[{number}/{len(plan.steps)}] {step.description}"):
            try:
                outcomes.append(_run(client, step, chunks))
            except PyMongoError as exc:  # a refused command, or the target gone mid-way
                raise ShardsmithError(
                    f"step {number} of {len(plan.steps)} failed ({step.description}): {_reason(exc)}",
                    hint=f"{number - 1} step(s) were done before it; fix the cause and apply again "
                         "(`inv plan` shows what is left)") from None
    return outcomes


def _reason(exc: PyMongoError) -> str:
    if not isinstance(exc, OperationFailure):
        return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else 'no message'}"
    details = exc.details or {}
    return f"{details.get('codeName', 'error')} (code {exc.code}): {details.get('errmsg', str(exc))}"


def _run(client, step: Step, chunks: "_Chunks") -> Outcome:
    if step.kind == "split":
        return _split(client, step, chunks)
    if step.kind == "move":
        return _move(client, step, chunks)
    try:
        client[step.database].command(step.command)
    except OperationFailure as exc:
        if step.kind == "shardCollection" and _already_sharded(exc):
            return _check_sharded(client, step)
        if step.kind == "create" and exc.code == NAMESPACE_EXISTS:
            return Outcome(step, "already", "the collection exists (created meanwhile)")
        raise
    return Outcome(step, "done")


def _already_sharded(exc: OperationFailure) -> bool:
    return exc.code == ALREADY_SHARDED or "already sharded" in str((exc.details or {}).get("errmsg", exc))


def _check_sharded(client, step: Step) -> Outcome:
    """shardCollection said "already sharded": fine if on the same key, else the user must know."""
    ns, key = step.command["shardCollection"], step.command["key"]
    entry = client.config.collections.find_one({"_id": ns}) or {}
    if list(entry.get("key", {}).items()) == list(key.items()):
        return Outcome(step, "already", "sharded meanwhile on the same key")
    raise ShardsmithError(f"{ns} was sharded meanwhile on {dict(entry.get('key', {}))}, not on {dict(key)}",
                          hint=f"run `inv plan` again; to change the key: reshardCollection {ns}")


def _canon(doc) -> str:
    return json.dumps(to_plain(doc))


class _Chunks:
    """The chunk layout of namespaces being split and moved, read once and kept up to date."""

    def __init__(self, client):
        self.client = client
        self.layouts: dict = {}
        self.split_since_read: dict = {}  # ns -> boundaries made since the layout was read

    def boundaries(self, ns: str) -> set:
        if ns not in self.layouts:
            self.layout(ns)
        return set(self.layouts[ns]) | self.split_since_read.get(ns, set())

    def layout(self, ns: str) -> dict:
        """min (canonical) -> {"min", "max", "shard"}; re-read after splits (the server knows where they fell)."""
        if ns not in self.layouts or self.split_since_read.pop(ns, None):
            entry = self.client.config.collections.find_one({"_id": ns}, {"uuid": 1})
            query = {"uuid": entry["uuid"]} if entry and "uuid" in entry else {"ns": ns}
            self.layouts[ns] = {_canon(c["min"]): {"min": c["min"], "max": c["max"], "shard": c["shard"]}
                                for c in self.client.config.chunks.find(query, {"min": 1, "max": 1, "shard": 1})}
        return self.layouts[ns]


def _split(client, step: Step, chunks: _Chunks) -> Outcome:
    ns, middle = step.command["split"], step.command["middle"]
    if _canon(middle) in chunks.boundaries(ns):
        return Outcome(step, "skipped", "already a chunk boundary")
    client.admin.command(step.command)
    chunks.split_since_read.setdefault(ns, set()).add(_canon(middle))
    return Outcome(step, "done")


def _move(client, step: Step, chunks: _Chunks) -> Outcome:
    command = step.command
    ns = command.get("moveRange") or command.get("moveChunk")
    low, high = (command["min"], command["max"]) if "moveRange" in command else command["bounds"]
    shard = command.get("toShard") or command.get("to")
    layout = chunks.layout(ns)
    chain, at = [], _canon(low)
    while at in layout and at != _canon(high):
        chain.append(layout[at])
        at = _canon(layout[at]["max"])
    if at != _canon(high):  # not a chain of whole chunks: let the server judge the planned command
        client.admin.command(command)
        chunks.layouts.pop(ns, None)
        return Outcome(step, "done")
    moving = [c for c in chain if c["shard"] != shard]
    for chunk in moving:
        if "moveRange" in command:
            client.admin.command({"moveRange": ns, "min": chunk["min"], "max": chunk["max"], "toShard": shard})
        else:
            client.admin.command({"moveChunk": ns, "bounds": [chunk["min"], chunk["max"]], "to": shard})
        chunk["shard"] = shard
    if not moving:
        return Outcome(step, "skipped", f"already on {shard}")
    return Outcome(step, "done", f"{len(moving)} chunk(s) moved" if len(moving) > 1 else "")
