"""`data.migrate`: move a live collection onto the spec's time-series collection or monthly family.

One command, one phase per run (`--step`), in the order a migration goes:
start (checks, target, change-stream token, copy) -> follow -> verify -> cutover, and rollback.
Every phase keeps its checkpoints on the server, so a killed run is simply run again
(`start --resume` for the copy; the others continue from where the last one stopped).
"""

from __future__ import annotations

from typing import Any, Optional

from ..display import print_json
from ..errors import ShardsmithError
from .common import JSON, TOPOLOGY, URI, console, open_target, progress, required_spec
from .declare import Option, command, number, positive

STEPS = ("start", "follow", "verify", "cutover", "rollback", "status")
DIFFERS = 1  # verify found differences: a result, not a usage error (those exit 2)
INTERRUPTED = 130  # Ctrl-C ended the foreground follow; every applied batch is checkpointed


@command("data.migrate", TOPOLOGY, URI,
         Option("source", "the live collection, DB.COLLECTION", metavar="DB.COLL"),
         Option("to", "the new layout: the spec's time-series collection or rolling family",
                choices=("timeseries", "rolling")),
         Option("step", f"the phase to run: {', '.join(STEPS)} (default start)", choices=STEPS, default="start"),
         Option("target", "which of the spec's time-series collections or rolling prefixes (when it has several)"),
         Option("time_field", "the source's date field (rolling; time-series takes the spec's timeField)"),
         Option("batch", "documents per copy batch (default 1000)", convert=positive, default=1000),
         Option("resume", "start: finish the copy a killed or interrupted start left", switch=True),
         Option("restart", "start: drop the target and the migration's records, then start over", switch=True),
         Option("insert_only", "start: the application only inserts (a time-series target then needs no "
                               "metaField on every document; an update or delete stops the follow)", switch=True),
         Option("until_caught_up", "follow: stop once less than --max-lag behind (default: until Ctrl-C)",
                switch=True),
         Option("max_lag", "follow: seconds behind that count as caught up (default 1)", convert=number, default=1.0),
         Option("queries", "verify/cutover: a YAML or JSON file of queries to compare (default: by session, "
                           "session + time range, time range, per-model daily counts)", metavar="FILE"),
         Option("no_rename", "cutover: keep every name and print the switch for the application", switch=True),
         JSON)
def migrate(topology: Optional[str], uri: Optional[str], source: Optional[str], to: Optional[str], step: str,
            target: Optional[str], time_field: Optional[str], batch: int, resume: bool, restart: bool,
            insert_only: bool, until_caught_up: bool, max_lag: float, queries: Optional[str], no_rename: bool,
            json: bool) -> Optional[int]:
    """Migrate a live collection to time-series or monthly collections: copy, follow, verify, cut over."""
    from .. import migrate as migration
    from ..migrate.report import print_result

    if not source or not to:
        raise ShardsmithError("which collection, and to what? give --source DB.COLL and --to timeseries|rolling",
                              hint="e.g. shardsmith data.migrate --source claudelens.messages --to timeseries")
    if resume and restart:
        raise ShardsmithError("--resume and --restart contradict each other", hint="give one of them")
    opened = open_target(topology, uri, writes=step != "status")
    plan = migration.plan_from_topology(required_spec(opened), source, to, target=target, time_field=time_field)
    client, shown = opened.client, progress(json)
    code = None
    result: Any  # each phase's result: as_dict() for --json, print_result for text
    if step == "start":
        result = migration.start(client, plan, batch_size=batch, insert_only=insert_only, resume=resume,
                                 restart=restart, progress=shown)
    elif step == "follow":
        followed = migration.follow(client, plan, until_caught_up=until_caught_up, max_lag=max_lag, progress=shown)
        result, code = followed, INTERRUPTED if followed.stopped == "interrupted" else None
    elif step == "verify":
        report = migration.verify(client, plan, queries=queries, progress=shown)
        result, code = report, None if report.ok else DIFFERS
    elif step == "cutover":
        result = migration.cutover(client, plan, rename=not no_rename, queries=queries, progress=shown)
    elif step == "rollback":
        result = migration.rollback(client, plan, progress=shown)
    else:
        result = migration.status(client, plan)
    if json:
        print_json(result.as_dict())
    else:
        print_result(result, console)
    return code
