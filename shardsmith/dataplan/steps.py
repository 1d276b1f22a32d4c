"""What a plan is made of: steps to run, refusals that stop it, differences it only reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from .bsonjson import to_plain

PLAN_FORMAT = 1  # bump when the --json shape changes incompatibly (README: "inv plan --json")


@dataclass(frozen=True)
class Step:
    """One server command, run as is by `apply`."""

    kind: str  # create, collMod, enableSharding, addShardToZone, updateZoneKeyRange, shardCollection,
    #            split, move, createIndexes, dropIndexes, balancer, balancerWindow
    target: str  # namespace "db.coll", or "cluster"
    database: str  # where the command runs: "admin", "config" or the collection's database
    command: dict  # the exact command document (first key is the command name)
    description: str
    behaviour: Optional[str] = None  # the version-dependent choice behind this step, if any

    def as_dict(self) -> dict:
        return {"kind": self.kind, "target": self.target, "database": self.database,
                "command": to_plain(self.command), "description": self.description, "behaviour": self.behaviour}


@dataclass(frozen=True)
class Refusal:
    """Something the spec asks that would hurt; while any exists, apply changes nothing."""

    target: str
    reason: str
    hint: str
    command: Optional[dict] = None  # a command the user may choose to run instead (e.g. reshardCollection)

    def as_dict(self) -> dict:
        return {"target": self.target, "reason": self.reason, "hint": self.hint,
                "command": to_plain(self.command) if self.command else None}


@dataclass(frozen=True)
class Difference:
    """Reported, not changed (e.g. an extra index without --prune)."""

    target: str
    what: str
    hint: str = ""

    def as_dict(self) -> dict:
        return {"target": self.target, "what": self.what, "hint": self.hint}


@dataclass
class Plan:
    target: dict  # kind, version, wire_version, major_minor, shards
    behaviour: dict  # versions.Behaviour.as_dict()
    steps: list = field(default_factory=list)
    refusals: list = field(default_factory=list)
    differences: list = field(default_factory=list)
    notes: list = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.steps and not self.refusals

    def as_dict(self) -> dict:
        return {
            "format": PLAN_FORMAT,
            "target": self.target,
            "behaviour": self.behaviour,
            "steps": [dict(n=i, **s.as_dict()) for i, s in enumerate(self.steps, start=1)],
            "refusals": [r.as_dict() for r in self.refusals],
            "differences": [d.as_dict() for d in self.differences],
            "notes": list(self.notes),
        }
