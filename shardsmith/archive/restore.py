"""Restore: load a month's archive back into its collection, checked first, in bounded batches, repeatable."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from pymongo.database import Database
from pymongo.errors import OperationFailure
from pymongo.write_concern import WriteConcern

from ..errors import ShardsmithError
from ..progress import QUIET, Progress
from ..rolling.naming import collection_name, parse_collection_name
from ..servercodes import server_says
from .bsonfile import ContentDigest, file_sha256, read_part
from .idempotent import batched, insert_ignoring_present, require_present
from .manifest import Manifest, archive_dir, read_manifest
from .rotate import BATCH, month_label

MAJORITY = WriteConcern("majority")
# createIndexes' answer when an index of that name or those keys exists with other options
# (IndexOptionsConflict, IndexKeySpecsConflict in mongodb/mongo src/mongo/base/error_codes.yml);
# any other failure (a missing login, a read-only user) is the target's, explained by the caller.
INDEX_CONFLICTS = frozenset({85, 86})


@dataclass(frozen=True)
class RestoreOutcome:
    collection: str
    month: str
    documents: int
    inserted: int
    indexes: int

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def parse_month(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"(\d{4})-(\d{2})", str(text).strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ShardsmithError(f"month {text!r} is not a month", hint="write it as YYYY-MM, e.g. 2025-01")
    return int(match.group(1)), int(match.group(2))


def archived_months(root: Path, database: str, prefix: str) -> list[str]:
    """Months of `prefix` with a committed archive, oldest first."""
    base = Path(root) / database
    months = []
    for entry in sorted(base.iterdir()) if base.is_dir() else ():
        ym = parse_collection_name(prefix, entry.name)
        if ym and (entry / "manifest.json").exists():
            months.append(month_label(*ym))
    return months


def find_archive(root: Path, database: str, prefix: str, month: str) -> tuple[Path, Manifest]:
    year, number = parse_month(month)
    directory = archive_dir(root, database, collection_name(prefix, year, number))
    manifest = read_manifest(directory)
    if manifest is None:
        known = ", ".join(archived_months(root, database, prefix)) or "none"
        raise ShardsmithError(f"no archive of {database}.{prefix} for {month} under {root}",
                              hint=f"archived months: {known}")
    return directory, manifest


def check_archive(directory: Path, manifest: Manifest) -> None:
    """Every part's file checksum, then the documents' count and content checksum; nothing is written."""
    total = ContentDigest()
    for part in manifest.parts:
        path = directory / part.name
        if not path.exists():
            raise ShardsmithError(f"archive part {path} is missing", hint="nothing was changed")
        if file_sha256(path) != part.sha256:
            raise ShardsmithError(f"archive part {path} does not match its checksum in the manifest",
                                  hint="the file was changed or damaged; restore it from a copy. Nothing was changed")
        for document in read_part(path):
            total.add(document.raw)
    if (total.count, total.hexdigest) != (manifest.count, manifest.content_sha256):
        raise ShardsmithError(f"archive {directory} holds {total.count} documents that do not match its manifest "
                              f"({manifest.count} documents, content checksum)", hint="nothing was changed")


def restore(db: Database, prefix: str, month: str, root: Path, *, batch_size: int = BATCH,
            progress: Progress = QUIET) -> RestoreOutcome:
    """Check the archive completely, then load it into the month collection with its indexes."""
    directory, manifest = find_archive(Path(root), db.name, prefix, month)
    with progress.phase(f"check archive {directory}"):
        check_archive(directory, manifest)
    target = db.get_collection(manifest.collection, write_concern=MAJORITY)
    indexes = manifest.index_documents()
    with progress.phase(f"restore {manifest.count} documents into {db.name}.{manifest.collection}"):
        if indexes:
            try:
                db.command({"createIndexes": manifest.collection, "indexes": indexes,
                            "writeConcern": {"w": "majority"}})
            except OperationFailure as exc:
                if exc.code not in INDEX_CONFLICTS:
                    raise
                raise ShardsmithError(f"cannot recreate the archived indexes on {db.name}.{manifest.collection}: "
                                      f"{server_says(exc)}",
                                      hint="an index of the same name or keys with other options exists there; "
                                           "drop it (or the empty collection) and restore again") from None
        inserted = 0
        for part in manifest.parts:
            for batch in batched(read_part(directory / part.name), batch_size):
                inserted += insert_ignoring_present(target, batch)
                require_present(target, [doc["_id"] for doc in batch], "restored documents")
    return RestoreOutcome(manifest.collection, manifest.month, manifest.count, inserted, len(indexes))
