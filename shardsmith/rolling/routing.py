"""Validate a whole batch, then group it by month: nothing is written unless every document is good."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from ..errors import ShardsmithError
from .naming import collection_for, to_utc


def route_batch(documents, prefix: str, time_field: str) -> dict[str, list]:
    """{month collection: documents}, in first-seen order; a ShardsmithError for the first bad document.

    Documents whose time is an ISO string are stored as a shallow copy holding
    the parsed UTC datetime (BSON dates sort and range-match; strings do not).
    Datetimes are kept as given: BSON stores naive ones as UTC already.
    """
    if isinstance(documents, (Mapping, str, bytes)):
        raise ShardsmithError(f"expected a batch (a list of documents), got a {type(documents).__name__}",
                              hint="wrap a single document in a list, or use insert_one")
    groups: dict[str, list] = {}
    for position, document in enumerate(documents):
        if not isinstance(document, Mapping):
            raise ShardsmithError(f"document #{position} of the batch is a {type(document).__name__}, not a document",
                                  hint="pass dicts (or other mappings); nothing was written")
        if time_field not in document:
            raise ShardsmithError(f"document #{position} of the batch{_label(document)} has no {time_field!r}",
                                  hint=f"every document needs {time_field!r} to choose its month; nothing was written")
        value = document[time_field]
        try:
            name = collection_for(prefix, value)
        except ShardsmithError as exc:
            raise ShardsmithError(f"document #{position} of the batch{_label(document)}: {exc.what}",
                                  hint=f"{exc.hint}; nothing was written") from None
        if not isinstance(value, datetime):
            document = {**document, time_field: to_utc(value)}
        groups.setdefault(name, []).append(document)
    return groups


def _label(document: Mapping) -> str:
    for key in ("_id", "uuid"):
        if key in document:
            return f" ({key} {document[key]!r})"
    return ""


@dataclass
class WriteSummary:
    """What one batch wrote: documents per month collection, and the collections it had to create."""

    inserted: dict = field(default_factory=dict)
    created: list = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.inserted.values())
