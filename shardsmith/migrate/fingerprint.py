"""Per-month counts and order-independent fingerprints of _ids and content, computed by the server.

Each document contributes the server's 64-bit hash ($toHashedIndexKey) of its
_id, and the hashes of its top-level {k, v} pairs summed (so field order, which
a time-series collection does not keep at the top level, does not matter).
Hashes are split into 32-bit halves before summing, so the sums are exact
integers (no 64-bit overflow) for up to 2^31 documents a month: equal multisets
of documents give equal sums whatever the order, and a doubled or missing
document changes them. Numbers hash by value (1 and 1.0 alike), as in a hashed index.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..bsonorder import sort_key

HALF = 2 ** 32
NO_DATE = "no date"


def _halves(hash_expression) -> tuple[dict, dict]:
    low = {"$mod": [hash_expression, HALF]}
    return low, {"$toLong": {"$divide": [{"$subtract": [hash_expression, low]}, HALF]}}


def month_of(time_field: str) -> dict:
    field = f"${time_field}"
    return {"$cond": [{"$eq": [{"$type": field}, "date"]}, {"$dateToString": {"format": "%Y-%m", "date": field}},
                      NO_DATE]}


def fingerprint_pipeline(time_field: str) -> list:
    id_low, id_high = _halves({"$toHashedIndexKey": "$_id"})
    pair_low, pair_high = _halves({"$toHashedIndexKey": "$$this"})
    fields = {"$objectToArray": "$$ROOT"}

    def summed(part):
        return {"$mod": [{"$reduce": {"input": fields, "initialValue": 0, "in": {"$add": ["$$value", part]}}}, HALF]}

    return [
        {"$project": {"_id": 0, "month": month_of(time_field), "id_low": id_low, "id_high": id_high,
                      "content_low": summed(pair_low), "content_high": summed(pair_high)}},
        {"$group": {"_id": "$month", "documents": {"$sum": 1}, "id_low": {"$sum": "$id_low"},
                    "id_high": {"$sum": "$id_high"}, "content_low": {"$sum": "$content_low"},
                    "content_high": {"$sum": "$content_high"}}},
        {"$sort": {"_id": 1}},
    ]


@dataclass(frozen=True)
class Fingerprint:
    documents: int
    ids: tuple
    content: tuple

    @classmethod
    def of(cls, row: dict) -> "Fingerprint":
        return cls(row["documents"], (row["id_low"], row["id_high"]), (row["content_low"], row["content_high"]))

    @staticmethod
    def short(pair: tuple) -> str:
        return f"{(pair[0] + (pair[1] << 32)) % 2 ** 64:016x}"


def by_month(rows) -> dict:
    return {row["_id"]: Fingerprint.of(row) for row in rows}


@dataclass
class Differences:
    """What differs within one month, by _id: at most `limit` examples of each kind."""
    missing: list  # in the source, not in the target
    extra: list  # in the target, not in the source
    doubled: list  # more than once in the target
    changed: list  # in both, content differs

    def as_dict(self) -> dict:
        return {k: [repr(i) for i in v] for k, v in self.__dict__.items()}


def differences(source_documents, target_documents, limit: int = 10) -> Differences:
    """Merge two streams sorted by _id (BSON order): bounded memory, bounded examples."""
    found = Differences([], [], [], [])

    def note(kind: list, doc_id) -> None:
        if len(kind) < limit:
            kind.append(doc_id)

    source_iter, target_iter = iter(source_documents), iter(target_documents)
    mine, theirs, previous = next(source_iter, None), next(target_iter, None), None
    while mine is not None or theirs is not None:
        if theirs is not None and previous is not None and theirs["_id"] == previous:
            note(found.doubled, theirs["_id"])
            theirs = next(target_iter, None)
            continue
        if theirs is None or (mine is not None and _compare(mine["_id"], theirs["_id"]) < 0):
            assert mine is not None  # the loop runs while either side has a document
            note(found.missing, mine["_id"])
            mine = next(source_iter, None)
            continue
        if mine is not None and mine["_id"] == theirs["_id"]:
            if mine != theirs:
                note(found.changed, mine["_id"])
            mine = next(source_iter, None)
        else:
            note(found.extra, theirs["_id"])
        previous, theirs = theirs["_id"], next(target_iter, None)
    return found


def _compare(a, b) -> int:
    ka, kb = sort_key(a), sort_key(b)
    return (ka > kb) - (ka < kb)
