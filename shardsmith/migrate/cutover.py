"""Cut-over and rollback: stop the source taking writes, drain them into the target, hand over the name.

MongoDB has no atomic swap of two collections, and before 8.3 it cannot rename a
time-series collection at all (the server answers CommandNotSupportedOnView:
SERVER-89100, SERVER-106887), nor can a monthly family take one name. So:
1. verify at a cluster time (the target must equal the source), caught up first;
2. fence the source: a validator that refuses every insert and update
   ({$expr: false}; the application sees DocumentValidationFailure, code 121,
   and nothing it writes is lost silently); deletes are not validated, so they
   keep flowing into the change stream;
3. drain every change up to the fence;
4. rename (default): the source becomes `<source>_premigration_<UTC time>`, its
   change stream is drained up to that rename (the last deletes), and the source's
   name becomes a read-only view of the target: reads keep working, every write
   fails loudly until the application writes to the target. With no_rename the
   fence stays on the source and the application is given the switch.
Every step is recorded before it is made; cut-over and rollback resume where a
kill left them. Rollback drops the view, restores the names and lifts the fence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

from pymongo.database import Database
from pymongo.errors import OperationFailure
from pymongo.write_concern import WriteConcern

from ..archive.idempotent import batched
from ..errors import ShardsmithError
from ..progress import Progress
from ..servercodes import ServerCode
from .follow import Follower
from .verify import VerifyReport, current_time, verify_target

MAJORITY = WriteConcern("majority")
ATTEMPTS = 20
LATE_BATCH = 1000
FENCE = {"validator": {"$expr": False}, "validationLevel": "strict", "validationAction": "error"}
VALIDATION_DEFAULTS = {"validator": {}, "validationLevel": "strict", "validationAction": "error"}


@dataclass
class CutoverResult:
    mode: str  # "rename" | "no-rename"
    switch: str  # what the application does now
    dated: str | None = None  # where the source is kept
    view: str | None = None  # the read-only view under the source's name
    verified: VerifyReport | None = None
    drained: int = 0  # events applied after the fence
    late: dict = field(default_factory=dict)  # writes that slipped between the two renames

    def as_dict(self) -> dict:
        return {"mode": self.mode, "switch": self.switch, "dated": self.dated, "view": self.view,
                "verified": self.verified.summary() if self.verified else None, "drained": self.drained,
                "late": self.late}


def switch_text(db: Database, plan, target, rename: bool) -> str:
    if plan.kind == "timeseries":
        use = f"write to and read from {db.name}.{plan.target} (time-series)"
    else:
        use = (f"write and read through RollingCollections(client[{db.name!r}], {plan.target!r}, ...) "
               f"(RollingCollections.from_topology(client[{db.name!r}], topology, {plan.target!r}))")
    if rename:
        return f"{use}; {db.name}.{plan.source} is now a read-only view of it (writes to it fail until you switch)"
    return (f"{use}; {db.name}.{plan.source} stays, fenced: inserts and updates to it fail with "
            "DocumentValidationFailure (deletes sent to it from now on are not migrated)")


def collection_options(db: Database, name: str) -> dict | None:
    found = list(db.list_collections(filter={"name": name}))
    return dict(found[0]) if found else None


class Cutover:
    def __init__(self, db: Database, source, target, state, progress: Progress):
        self.db, self.source, self.target, self.state, self.progress = db, source, target, state, progress
        self.plan = state.plan

    def _step(self, name: str, **fields) -> None:
        self.state.update(**{f"cutover.{k}": v for k, v in {"step": name, **fields}.items()})

    def run(self, *, rename: bool, queries=None) -> CutoverResult:
        document = self.state.require()
        if document["phase"] == "done":
            c = document["cutover"]
            return CutoverResult(c["mode"], c["switch"], c.get("dated"), c.get("view"))
        resuming = document["phase"] == "cutover"
        if resuming:
            rename = document["cutover"]["mode"] == "rename"  # a cut-over finishes the way it began
        result = CutoverResult("rename" if rename else "no-rename", switch_text(self.db, self.plan, self.target, rename))
        if not resuming:
            result.verified = self._verify(queries)
            previous = (collection_options(self.db, self.plan.source) or {}).get("options", {})
            self.state.update(phase="cutover", cutover={
                "mode": result.mode, "switch": result.switch, "step": "fencing",
                "previous": {k: previous[k] for k in VALIDATION_DEFAULTS if k in previous}})
        step = self.state.require()["cutover"]["step"]
        if step == "fencing":
            self.db.command({"collMod": self.plan.source, **FENCE, "writeConcern": MAJORITY.document})
            with self.progress.phase("fenced the source; drained its last writes"):
                result.drained += Follower(self.source, self.target, self.state).run(
                    until=current_time(self.source)).events
            dated = f"{self.plan.source}_premigration_{datetime.now(timezone.utc):%Y%m%d_%H%M%S}"
            step = "renaming" if rename else "finishing"
            self._step(step, **({"dated": dated} if rename else {}))
        document = self.state.require()
        result.dated = document["cutover"].get("dated")
        if step in ("renaming", "viewing"):
            with self.progress.phase(f"kept the source as {result.dated}; its name is a view of the target"):
                self._rename(result)
        result.view = self.state.require()["cutover"].get("view")
        self._finish(document, result)
        return result

    def _verify(self, queries) -> VerifyReport:
        with self.progress.phase("caught up and verified"):
            Follower(self.source, self.target, self.state).run(until_caught_up=True)
            report = verify_target(self.source, self.target, Follower(self.source, self.target, self.state),
                                   queries=queries)
        if not report.ok:
            raise ShardsmithError(f"verification found differences: {report.summary()}; nothing was fenced or "
                                  "renamed", hint="run verify for the full report; follow again, then retry")
        return report

    def _rename(self, result: CutoverResult) -> None:
        """Source -> dated name, the view under the source's name at once (the window in which an application
        insert could create a new collection there is one round trip), then the last deletes drained."""
        dated = str(result.dated)  # recorded with the step "renaming"
        if collection_options(self.db, dated) is None:
            self.db.client.admin.command({"renameCollection": self.plan.namespace,
                                          "to": f"{self.db.name}.{dated}", "writeConcern": MAJORITY.document})
        self._step("viewing")
        self._claim_name(dated)
        kept = self.db.get_collection(dated, codec_options=self.source.codec_options)
        drain = Follower(self.source, self.target, self.state, reads_from=kept)
        result.drained += drain.run(expect_rename=True).events
        result.late = self._move_late_writes()
        self._step("finishing", view=f"{self.db.name}.{self.plan.source}")

    def _claim_name(self, dated: str) -> None:
        """Create the read-only view under the source's name; a collection an application insert created there
        after the rename is moved aside first (recorded, its documents are moved into the target later)."""
        viewed_on, pipeline = self.target.view_pipeline()
        for _ in range(ATTEMPTS):
            here = collection_options(self.db, self.plan.source)
            if here is not None and here["type"] == "view":
                return  # made by this cut-over before a kill
            if here is not None:
                aside = f"{dated}_late_{len(self.state.require()['cutover'].get('late', [])) + 1}"
                self.state.collection.update_one({"_id": self.state.key}, {"$push": {"cutover.late": aside}})
                self.db.client.admin.command({"renameCollection": self.plan.namespace,
                                              "to": f"{self.db.name}.{aside}", "writeConcern": MAJORITY.document})
                continue
            try:
                self.db.command({"create": self.plan.source, "viewOn": viewed_on, "pipeline": pipeline,
                                 "writeConcern": MAJORITY.document})
                return
            except OperationFailure as exc:
                if exc.code != ServerCode.NamespaceExists:
                    raise
        raise ShardsmithError(f"the application keeps creating {self.plan.namespace} again after its rename; "
                              "the cut-over stopped before the view", hint="stop the application's writes, then run "
                                                                           "the cut-over again (it resumes)")

    def _move_late_writes(self) -> dict:
        """Documents inserted into the collections moved aside: into the target, once each, in bounded batches."""
        moved, seen = 0, 0
        for aside in self.state.require()["cutover"].get("late", []):
            seen += self.db[aside].estimated_document_count()
            placeable = {self.plan.time_field: {"$type": "date"}}
            for documents in batched(self.db[aside].find(placeable), LATE_BATCH):
                times = [d[self.plan.time_field] for d in documents]
                present = self.target.present([d["_id"] for d in documents], min(times), max(times))
                fresh = [d for d in documents if d["_id"] not in present]
                self.target.insert(fresh)
                moved += len(fresh)
        return {"documents": seen, "moved": moved} if seen else {}

    def _finish(self, document: dict, result: CutoverResult) -> None:
        kept = result.dated or self.plan.source
        if result.mode == "rename":
            unfence(self.db, kept, document["cutover"]["previous"])
        restore_pre_images(self.db, kept, document)
        self.state.update(phase="done", **{"cutover.step": "done", "cutover.at": datetime.now(timezone.utc)})


def unfence(db: Database, name: str, previous: dict) -> None:
    db.command({"collMod": name, **VALIDATION_DEFAULTS, **previous, "writeConcern": MAJORITY.document})


def restore_pre_images(db: Database, name: str, document: dict) -> None:
    if not document.get("pre_images_before"):
        db.command({"collMod": name, "changeStreamPreAndPostImages": {"enabled": False},
                    "writeConcern": MAJORITY.document})


@dataclass
class RollbackResult:
    restored: list  # what was put back, in order
    source_documents: int
    target_documents: int

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def rollback(db: Database, source_name: str, target, state) -> RollbackResult:
    """Undo whatever of the cut-over happened (view, rename, fence) and the pre-images setting."""
    document = state.require()
    if document["phase"] == "rolled_back":
        raise ShardsmithError("this migration was already rolled back", hint="start over with --restart")
    c = document.get("cutover", {}) if document["phase"] in ("cutover", "done") else {}
    restored = []
    if c.get("dated") and collection_options(db, c["dated"]) is not None:
        here = collection_options(db, source_name)
        if here is not None and here["type"] != "view":
            raise ShardsmithError(f"{db.name}.{source_name} exists again as a {here['type']}, so {c['dated']} cannot "
                                  "take its name back; nothing was changed",
                                  hint=f"rename or drop {db.name}.{source_name} first, then roll back again")
        if here is not None:
            db.drop_collection(source_name)
            restored.append(f"dropped the view {db.name}.{source_name}")
        db.client.admin.command({"renameCollection": f"{db.name}.{c['dated']}", "to": f"{db.name}.{source_name}",
                                 "writeConcern": MAJORITY.document})
        restored.append(f"renamed {c['dated']} back to {source_name}")
    if "previous" in c:
        unfence(db, source_name, c["previous"])
        restored.append("lifted the write fence")
    restore_pre_images(db, source_name, document)
    state.update(phase="rolled_back")
    counted = next(iter(target.aggregate([{"$count": "n"}])), {"n": 0})["n"]
    return RollbackResult(restored, db[source_name].estimated_document_count(), counted)
