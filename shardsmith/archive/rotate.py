"""Rotate: archive month collections older than the retention to files, verify, then drop.

Order of work for one month, each step safe to repeat after a kill:
1. stream the collection (sorted by _id, in cursor batches) into gzip BSON parts
   in a staging directory, taking the content checksum as it goes;
2. read every part back and match count and checksum; write the manifest;
   rename the staging directory into place (the commit point of the archive);
3. read the collection again and match it against the manifest;
4. only then drop the collection (majority write concern).
A kill before 4 leaves the collection untouched; the next run re-verifies the
committed archive (or rewrites it if the collection changed) and finishes.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import datetime, timezone
from itertools import islice
from pathlib import Path

from pymongo.database import Database
from pymongo.write_concern import WriteConcern

from ..errors import ShardsmithError
from ..progress import QUIET, Progress
from ..rolling.naming import name_pattern, parse_collection_name
from .bsonfile import RAW, ContentDigest, PartInfo, content_of, write_part
from .manifest import Manifest, archive_dir, commit, index_snapshot, read_manifest, staging_dir, write_manifest

PART_DOCUMENTS = 1_000_000  # documents per part file
BATCH = 1000  # cursor batch size: the memory bound


@dataclass(frozen=True)
class RotateOutcome:
    collection: str
    month: str
    documents: int
    action: str  # "archived and dropped"
    archive: str

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def check_keep(keep) -> int:
    if isinstance(keep, bool) or not isinstance(keep, int) or keep < 1:
        raise ShardsmithError(f"retention {keep!r} must be a whole number of months >= 1",
                              hint="--keep 12 keeps the current month and the 11 before it")
    return keep


def month_label(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def month_collections(db: Database, prefix: str) -> dict[str, tuple[int, int]]:
    """This prefix's month collections that exist, from one listCollections: name -> (year, month)."""
    names = db.list_collection_names(filter={"name": {"$regex": name_pattern(prefix)}, "type": "collection"})
    found = {name: parse_collection_name(prefix, name) for name in names}
    return {name: ym for name, ym in sorted(found.items()) if ym}


def expired_months(db: Database, prefix: str, keep: int, now: datetime | None = None) -> dict[str, tuple[int, int]]:
    """Month collections older than the newest `keep` calendar months (the current month counts)."""
    check_keep(keep)
    today = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    serial = today.year * 12 + today.month - 1 - (keep - 1)
    oldest_kept = divmod(serial, 12)
    oldest_kept = (oldest_kept[0], oldest_kept[1] + 1)
    return {name: ym for name, ym in month_collections(db, prefix).items() if ym < oldest_kept}


def _source(db: Database, name: str):
    return db.get_collection(name, codec_options=RAW).find({}, batch_size=BATCH).sort("_id", 1)


def collection_digest(db: Database, name: str) -> ContentDigest:
    """Count and content checksum of a collection, read in _id order with a cursor."""
    digest = ContentDigest()
    for document in _source(db, name):
        digest.add(document.raw)
    return digest


def _counted(cursor, digest: ContentDigest):
    for document in cursor:
        digest.add(document.raw)
        yield document


def write_archive(db: Database, name: str, month: str, root: Path, *, part_documents: int = PART_DOCUMENTS) -> Manifest:
    """Archive one collection into a staging dir, read it back, commit it; the committed manifest."""
    staging = staging_dir(root, db.name, name)
    if staging.exists():
        shutil.rmtree(staging)  # a previous run died while writing: start again
    staging.mkdir(parents=True)
    indexes = index_snapshot(db[name].list_indexes())
    total = ContentDigest()
    documents = _counted(_source(db, name), total)
    parts: list[PartInfo] = []
    while True:
        part = write_part(staging / f"part-{len(parts):05d}.bson.gz", islice(documents, part_documents))
        if part.count == 0 and parts:
            (staging / part.name).unlink()
            break
        parts.append(part)
        if part.count < part_documents:
            break
    for part in parts:
        back = content_of(staging / part.name)
        if (back.count, back.hexdigest) != (part.count, part.content_sha256):
            raise ShardsmithError(f"archive part {staging / part.name} did not read back as written",
                                  hint="check the disk under the archive directory; the collection was kept")
    manifest = Manifest(database=db.name, collection=name, month=month, count=total.count,
                        content_sha256=total.hexdigest, parts=tuple(parts), indexes=indexes,
                        created=datetime.now(timezone.utc).isoformat(timespec="seconds"))
    write_manifest(staging, manifest)
    commit(staging, archive_dir(root, db.name, name))
    return manifest


def matches(db: Database, name: str, manifest: Manifest) -> bool:
    """Does the collection hold exactly the archived documents (count and content checksum)?"""
    now = collection_digest(db, name)
    return (now.count, now.hexdigest) == (manifest.count, manifest.content_sha256)


def archive_and_drop(db: Database, name: str, month: str, root: Path, **options) -> Manifest:
    """One month: a verified archive on disk, then the collection dropped."""
    manifest = read_manifest(archive_dir(root, db.name, name))
    if manifest is None or not matches(db, name, manifest):
        manifest = write_archive(db, name, month, root, **options)
        if not matches(db, name, manifest):
            raise ShardsmithError(f"{db.name}.{name} changed while it was being archived; it was kept",
                                  hint="stop writes to months older than the retention, then run rotate again")
    db.get_collection(name, write_concern=WriteConcern("majority")).drop()
    return manifest


def rotate(db: Database, prefix: str, keep: int, root: Path, *, now: datetime | None = None,
           progress: Progress = QUIET, **options) -> list[RotateOutcome]:
    """Archive and drop every month of `prefix` older than the newest `keep` months."""
    outcomes = []
    for name, (year, month) in expired_months(db, prefix, keep, now).items():
        label = month_label(year, month)
        with progress.phase(f"archive {db.name}.{name}"):
            manifest = archive_and_drop(db, name, label, Path(root), **options)
        outcomes.append(RotateOutcome(name, label, manifest.count, "archived and dropped",
                                      str(archive_dir(root, db.name, name))))
    return outcomes
