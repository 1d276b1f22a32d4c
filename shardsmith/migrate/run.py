"""The migration's phases as library calls: start (checks, target, token, copy), follow, verify, cutover,
rollback, status. Each takes a pymongo client and a MigrationPlan, holds the migration's lease while it
works, and returns a result with as_dict()."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field

from bson.timestamp import Timestamp
from pymongo import MongoClient
from pymongo.write_concern import WriteConcern

from ..errors import ShardsmithError
from ..progress import QUIET, Progress
from .backfill import Backfill, BackfillResult
from .changes import current_token
from .checks import check_source, server_kind
from .cutover import Cutover, CutoverResult, RollbackResult
from .cutover import rollback as undo
from .follow import Follower, FollowResult
from .plan import MigrationPlan
from .querymix import load_queries
from .rolling import RollingTarget
from .snapshot import describe, token_time
from .state import MigrationState
from .timeseries import TimeseriesTarget
from .verify import VerifyReport, verify_target

MAJORITY = WriteConcern("majority")


@dataclass
class StartResult:
    plan: MigrationPlan
    server: str = ""
    started_at: Timestamp | None = None  # the cluster time of the recorded token
    backfill: BackfillResult = field(default_factory=BackfillResult)
    resumed: bool = False
    warnings: list = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"migration": self.plan.as_dict(), "server": self.server, "token_at": describe(self.started_at),
                "resumed": self.resumed, "backfill": self.backfill.as_dict(), "warnings": self.warnings}


@dataclass
class StatusResult:
    plan: MigrationPlan
    phase: str
    copied: int
    batches: int
    position: Timestamp | None
    counts: dict

    def as_dict(self) -> dict:
        return {"migration": self.plan.as_dict(), "phase": self.phase, "copied": self.copied, "batches": self.batches,
                "position": describe(self.position), "counts": self.counts}


class Migration:
    """One migration on one cluster: its collections, target, state."""

    def __init__(self, client: MongoClient, plan: MigrationPlan):
        self.client, self.plan = client, plan
        self.db = client[plan.database]
        self.source = self.db.get_collection(plan.source, write_concern=MAJORITY)
        self.target = (TimeseriesTarget if plan.kind == "timeseries" else RollingTarget)(self.db, plan)
        self.state = MigrationState(self.db, plan)

    def follower(self, progress: Progress = QUIET) -> Follower:
        return Follower(self.source, self.target, self.state, progress=progress)


def start(client: MongoClient, plan: MigrationPlan, *, batch_size: int = 1000, insert_only: bool = False,
          resume: bool = False, restart: bool = False, progress: Progress = QUIET) -> StartResult:
    """Check, create the target, record the resume token, then copy in _id order (or finish the copy: resume)."""
    if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
        raise ShardsmithError(f"batch size {batch_size!r} must be a whole number >= 1")
    m = Migration(client, plan)
    existing = m.state.load()
    result = StartResult(plan, server=server_kind(client))
    pre_images_before = None  # the source's setting before the first start: what cut-over and rollback restore
    if restart:
        if existing is None:
            raise ShardsmithError("nothing to restart: this migration was never started")
        if existing["phase"] in ("cutover", "done"):
            raise ShardsmithError(f"the migration is in phase {existing['phase']!r}; it cannot start over",
                                  hint="roll it back first")
        with m.state.lease(), progress.phase(f"dropped {plan.target_label} and the migration's records"):
            m.target.drop()
            m.state.erase()
        pre_images_before = existing.get("pre_images_before")
        existing = None
    if existing is not None and not resume:
        raise m.state.already_started(existing)
    if existing is None:
        facts = check_source(client, plan, m.target, insert_only=insert_only)
        result.warnings = facts.warnings
        for warning in facts.warnings:
            progress.note(f"[yellow]warning:[/] {warning}")
        m.target.create()  # first: an index set the server refuses leaves nothing behind
    result.resumed = existing is not None
    with m.state.lease():
        if existing is None:
            m.state.create(pre_images_before=facts.pre_images if pre_images_before is None else pre_images_before,
                           insert_only=insert_only)
        document = m.state.require()
        if document["phase"] == "starting":
            with progress.phase(f"created {plan.target_label}; recorded the change-stream position"):
                m.db.command({"collMod": plan.source, "changeStreamPreAndPostImages": {"enabled": True},
                              "writeConcern": MAJORITY.document})
                m.target.create()
                token = current_token(m.source)  # taken before the copy reads anything
                m.state.update(phase="backfill", token=token, position=token_time(token), started_at=token_time(token))
            document = m.state.require()
        result.started_at = document.get("started_at")
        if document["phase"] == "backfill":
            result.backfill = Backfill(m.source, m.target, m.state, batch_size=batch_size,
                                       progress=progress).run(document["token"])
            m.state.update(phase="follow")
    return result


def follow(client: MongoClient, plan: MigrationPlan, *, until_caught_up: bool = False, max_lag: float = 1.0,
           stop: threading.Event | None = None, progress: Progress = QUIET) -> FollowResult:
    """Apply the source's changes since the checkpoint: until caught up, until `stop`, or until Ctrl-C
    (then the result says "interrupted")."""
    m = Migration(client, plan)
    with m.state.lease():
        follower = m.follower(progress)
        try:
            return follower.run(until_caught_up=until_caught_up, max_lag=max_lag, stop=stop)
        except KeyboardInterrupt:  # the foreground follow's normal end: every applied batch is checkpointed
            follower.result.stopped = "interrupted"
            return follower.result


def verify(client: MongoClient, plan: MigrationPlan, *, queries=None, progress: Progress = QUIET) -> VerifyReport:
    """Catch up to now, then compare source and target (months, fingerprints, query mix); `queries` is a
    list of Query or a path to a YAML/JSON file of them."""
    m = Migration(client, plan)
    mix = load_queries(queries) if isinstance(queries, (str, os.PathLike)) else queries
    with m.state.lease(), progress.phase(f"verified {plan.namespace} against {plan.target_label}"):
        return verify_target(m.source, m.target, m.follower(progress), queries=mix)


def cutover(client: MongoClient, plan: MigrationPlan, *, rename: bool = True, queries=None,
            progress: Progress = QUIET) -> CutoverResult:
    """Verify, fence, drain, then hand the source's name over (rename) or give the switch (rename=False)."""
    m = Migration(client, plan)
    mix = load_queries(queries) if isinstance(queries, (str, os.PathLike)) else queries
    with m.state.lease():
        return Cutover(m.db, m.source, m.target, m.state, progress).run(rename=rename, queries=mix)


def rollback(client: MongoClient, plan: MigrationPlan, *, progress: Progress = QUIET) -> RollbackResult:
    """Put the source back under its name, writable, as it was before the migration (the target stays)."""
    m = Migration(client, plan)
    with m.state.lease(), progress.phase(f"rolled back {plan.namespace}"):
        return undo(m.db, plan.source, m.target, m.state)


def status(client: MongoClient, plan: MigrationPlan) -> StatusResult:
    m = Migration(client, plan)
    document = m.state.require()
    batches = m.state.batches()
    return StatusResult(plan, document["phase"], sum(b["count"] for b in batches), len(batches),
                        document.get("position"), document.get("counts", {}))
