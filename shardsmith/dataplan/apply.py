"""Carry a plan out, step by step with progress, then re-read the target and report.

    result = apply_plan(client, plan, progress=Progress())
    result.outcomes        # [(step, "done" | "skipped: ..." | "already: ...")]

A plan with refusals is not started: nothing changes. Split and move steps
look at the chunks first, so a boundary that exists or a range already on its
shard is skipped (after a crash, applying again resumes). Another apply or
person may act at the same time: a shardCollection the router refuses because
the collection got sharded meanwhile is "already" on the same key and a clear
error on another; a split or move the router refuses is skipped when the
chunks, read again, show it was done meanwhile.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from pymongo.errors import OperationFailure, PyMongoError

from ..bootstrap.steps import fill_secrets, from_environment
from ..errors import ShardsmithError
from ..progress import QUIET, Progress
from ..servercodes import ServerCode
from .bsonjson import to_plain
from .layout import piece_holders
from .observe import BUCKETS, user_key
from .steps import Plan, Step

# shardCollection on a sharded collection: AlreadyInitialized from 4.4 when the key, unique or collation
# differ (the same ones answer ok: an identical request joins or finds the first one's result);
# IllegalOperation from older routers, whatever the options. IllegalOperation also means other
# things, so either one is checked against config.collections before it counts as "already sharded".
ALREADY_SHARDED = (ServerCode.AlreadyInitialized, ServerCode.IllegalOperation)


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
        client[step.database].command(fill_secrets(step.command, from_environment))
    except OperationFailure as exc:
        if step.kind == "shardCollection" and exc.code in ALREADY_SHARDED:
            return _check_sharded(client, step, exc)
        if step.kind == "create" and exc.code == ServerCode.NamespaceExists:
            return Outcome(step, "already", "the collection exists (created meanwhile)")
        raise
    return Outcome(step, "done")


def _check_sharded(client, step: Step, refusal: OperationFailure) -> Outcome:
    """The router said the collection is sharded already: "already" on the same key, else the user must know."""
    ns, key = step.command["shardCollection"], dict(step.command["key"])
    entry = _sharding_entry(client, ns)
    if entry is None:  # not sharded after all: the refusal meant something else
        raise refusal
    have = user_key(entry["key"], entry.get("timeseriesFields") or {})
    if list(have.items()) != list(key.items()):
        raise ShardsmithError(f"{ns} was sharded meanwhile on {have}, not on {key} (the router answered "
                              f"{refusal.details.get('codeName', refusal.code) if refusal.details else refusal.code})",
                              hint=f"run `inv plan` again; to change the key: reshardCollection {ns}")
    options = [f"{name}: {entry[name]}" for name in ("unique", "defaultCollation") if entry.get(name)]
    also = f", with {', '.join(options)}, which the spec does not ask for" if options else ""
    return Outcome(step, "already", f"sharded meanwhile on the same key{also}")


def _sharding_entry(client, ns: str):
    """config.collections for ns; a time-series collection is registered under its buckets namespace."""
    db, name = ns.split(".", 1)
    for candidate in (ns, f"{db}.{BUCKETS}{name}"):
        entry = client.config.collections.find_one({"_id": candidate})
        if entry:
            return entry
    return None


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

    def reread(self, ns: str) -> None:
        """Forget what was read: the router refused a step, so someone else changed the chunks."""
        self.layouts.pop(ns, None)
        self.split_since_read.pop(ns, None)

    def on_shard(self, ns: str, low: dict, high: dict, shard: str) -> bool:
        """Whether [low, high) lies on `shard` now, read again (merged into a larger chunk counts)."""
        self.reread(ns)
        return piece_holders(list(self.layout(ns).values()), [low, high]) == [shard]


def _split(client, step: Step, chunks: _Chunks) -> Outcome:
    ns, middle = step.command["split"], step.command["middle"]
    if _canon(middle) in chunks.boundaries(ns):
        return Outcome(step, "skipped", "already a chunk boundary")
    try:
        client.admin.command(step.command)
    except OperationFailure:
        chunks.reread(ns)
        if _canon(middle) in chunks.boundaries(ns):
            return Outcome(step, "skipped", "a chunk boundary made meanwhile")
        raise
    chunks.split_since_read.setdefault(ns, set()).add(_canon(middle))
    return Outcome(step, "done")


def _move(client, step: Step, chunks: _Chunks) -> Outcome:
    command = step.command
    by_range = "moveRange" in command  # else moveChunk (before 6.0): see _move_command
    ns: str = command["moveRange"] if by_range else command["moveChunk"]
    low, high = (command["min"], command["max"]) if by_range else command["bounds"]
    shard: str = command["toShard"] if by_range else command["to"]
    layout = chunks.layout(ns)
    chain, at = [], _canon(low)
    while at in layout and at != _canon(high):
        chain.append(layout[at])
        at = _canon(layout[at]["max"])
    whole_chunks = at == _canon(high)
    if not whole_chunks:  # part of a chunk (merged meanwhile?): the server splits it off, or judges otherwise
        chain = [{"min": low, "max": high, "shard": None}]
    moving = [c for c in chain if c["shard"] != shard]
    moved = 0
    for chunk in moving:
        try:
            client.admin.command(_move_command(command, ns, chunk, shard))
            moved += 1
        except OperationFailure:
            if not chunks.on_shard(ns, chunk["min"], chunk["max"], shard):
                raise
        chunk["shard"] = shard
    if not whole_chunks:
        chunks.reread(ns)
    if not moving:
        return Outcome(step, "skipped", f"already on {shard}")
    if not moved:
        return Outcome(step, "skipped", f"moved to {shard} meanwhile")
    return Outcome(step, "done", f"{moved} chunk(s) moved" if len(moving) > 1 else "")


def _move_command(command: dict, ns: str, chunk: dict, shard: str) -> dict:
    if "moveRange" in command:
        return {"moveRange": ns, "min": chunk["min"], "max": chunk["max"], "toShard": shard}
    return {"moveChunk": ns, "bounds": [chunk["min"], chunk["max"]], "to": shard}
