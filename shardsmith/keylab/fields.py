"""Do the candidate keys name fields the documents have? A misspelt field is an error, not a 100%-null key.

Without this check `{sesionId: hashed}` would be analysed as a key whose one
value (null) holds every document. A sample of the collection is read once:
the fields its documents carry (top level, and the dotted paths the keys
name), so the error can name the missing field and the closest field seen.
"""

from __future__ import annotations

import difflib

from pymongo.collection import Collection

from ..errors import ShardsmithError
from .keys import CandidateKey

FIELD_SAMPLE = 1000
SHOWN_FIELDS = 12


def check_key_fields(collection: Collection, keys: list[CandidateKey], *, size: int = FIELD_SAMPLE) -> None:
    """A ShardsmithError naming the first key field no sampled document has, with a did-you-mean."""
    names = list(dict.fromkeys(name for key in keys for name in key.names))
    present = {f"f{i}": {"$max": {"$ne": [{"$type": f"${name}"}, "missing"]}} for i, name in enumerate(names)}
    pipeline: list[dict] = [{"$sample": {"size": size}}, {"$facet": {
        "present": [{"$group": {"_id": None, "sampled": {"$sum": 1}, **present}}],
        "fields": [{"$project": {"pairs": {"$objectToArray": "$$ROOT"}}}, {"$unwind": "$pairs"},
                   {"$group": {"_id": "$pairs.k"}}, {"$sort": {"_id": 1}}, {"$limit": 1000}],
    }}]
    answer = next(collection.aggregate(pipeline), None) or {}
    found = (answer.get("present") or [{}])[0]
    if not found.get("sampled"):
        return  # an empty collection: analyze says so itself
    seen = [row["_id"] for row in answer.get("fields", [])]
    for i, name in enumerate(names):
        if not found.get(f"f{i}"):
            raise missing_field(collection, keys, name, seen, found["sampled"])


def missing_field(collection: Collection, keys: list[CandidateKey], name: str, seen: list[str],
                  sampled: int) -> ShardsmithError:
    key = next(key for key in keys if name in key.names)
    close = difflib.get_close_matches(name, seen, n=1, cutoff=0.6)
    shown = ", ".join(seen[:SHOWN_FIELDS]) + (", ..." if len(seen) > SHOWN_FIELDS else "")
    hint = (f"did you mean {close[0]!r}? " if close else "") + f"fields in the sample: {shown}"
    return ShardsmithError(f"candidate key {key.label}: none of {sampled:,} sampled documents of "
                           f"{collection.full_name} has a field {name!r}", hint=hint)
