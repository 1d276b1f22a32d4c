"""What one migration is: source collection, target shape (from the topology), the fields it relies on. Pure."""

from __future__ import annotations

from dataclasses import dataclass

from ..dataplan.indexes import wanted_document
from ..errors import ShardsmithError

KINDS = ("timeseries", "rolling")


@dataclass(frozen=True)
class MigrationPlan:
    database: str
    source: str
    kind: str  # "timeseries" | "rolling"
    target: str  # the time-series collection, or the rolling family's prefix
    time_field: str
    meta_field: str | None = None  # time-series only
    granularity: str | None = None
    expire_after: int | None = None  # seconds, time-series only
    indexes: tuple = ()  # IndexSpec of the target's index set

    @property
    def key(self) -> str:
        """The migration's name in the state collection."""
        return f"{self.source}->{self.target}"

    @property
    def namespace(self) -> str:
        return f"{self.database}.{self.source}"

    @property
    def target_label(self) -> str:
        if self.kind == "rolling":
            return f"{self.database}.{self.target}_YYYY_MM (monthly)"
        return f"{self.database}.{self.target} (time-series)"

    def timeseries_options(self) -> dict:
        options = {"timeField": self.time_field}
        if self.meta_field:
            options["metaField"] = self.meta_field
        if self.granularity:
            options["granularity"] = self.granularity
        return options

    def index_documents(self) -> list[dict]:
        return [wanted_document(index) for index in self.indexes]

    def as_dict(self) -> dict:
        return {"source": self.namespace, "to": self.kind, "target": self.target_label,
                "time_field": self.time_field, "meta_field": self.meta_field}


def split_namespace(source: str) -> tuple[str, str]:
    database, dot, collection = (source or "").partition(".")
    if not dot or not database or not collection:
        raise ShardsmithError(f"source {source!r} is not DB.COLLECTION", hint="e.g. --source claudelens.messages")
    return database, collection


def plan_from_topology(topology, source: str, to: str, *, target: str | None = None,
                       time_field: str | None = None) -> MigrationPlan:
    """The migration of `source` ("db.coll") to the time-series collection or rolling family the spec declares."""
    database, collection = split_namespace(source)
    if to not in KINDS:
        raise ShardsmithError(f"--to {to!r} is not one of {', '.join(KINDS)}")
    db_spec = next((d for d in topology.databases if d.name == database), None)
    if db_spec is None:
        raise ShardsmithError(f"database {database!r} is not in {topology.source}",
                              hint=f"declare databases.{database} with the target's shape")
    if to == "timeseries":
        spec = _choose(db_spec.collections, lambda c: c.timeseries is not None, lambda c: c.name, target,
                       f"time-series collections in databases.{database}.collections", topology.source)
        ts = spec.timeseries
        if time_field and time_field != ts.time_field:
            raise ShardsmithError(f"--time-field {time_field!r} differs from {spec.name}'s timeField {ts.time_field!r}")
        plan = MigrationPlan(database, collection, to, spec.name, ts.time_field, ts.meta_field, ts.granularity,
                             ts.expire_after, _indexes(topology, spec.index_set))
    else:
        spec = _choose(db_spec.rolling, lambda r: True, lambda r: r.prefix, target,
                       f"rolling families in databases.{database}.rolling", topology.source)
        plan = MigrationPlan(database, collection, to, spec.prefix, time_field or "timestamp",
                             indexes=_indexes(topology, spec.index_set))
    if plan.target == collection:
        raise ShardsmithError(f"the target {plan.target!r} is the source itself",
                              hint="migrate into a new collection; cut-over gives the application the switch")
    return plan


def _indexes(topology, name: str | None) -> tuple:
    return topology.index_set(name) if name else ()


def _choose(entries, fits, name_of, wanted: str | None, what: str, source: str):
    found = [e for e in entries if fits(e)]
    names = [name_of(e) for e in found]
    if wanted is not None:
        for entry in found:
            if name_of(entry) == wanted:
                return entry
        raise ShardsmithError(f"none of the {what} of {source} is named {wanted!r}",
                              hint=f"declared: {', '.join(names) or 'none'}")
    if len(found) != 1:
        raise ShardsmithError(f"{'no' if not found else 'several'} {what} of {source}"
                              + (f" ({', '.join(names)})" if found else ""),
                              hint="choose one with --target NAME" if found else "declare the target's shape first")
    return found[0]
