"""Where a month's archive lives and the manifest that describes (and commits) it.

Layout: <archive root>/<database>/<collection>/{manifest.json, part-00000.bson.gz, ...}.
An archive is written into `<collection>.partial/` and renamed into place only
once every part was read back and matched; a directory without manifest.json is
never trusted.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

from bson import json_util
from bson.json_util import CANONICAL_JSON_OPTIONS

from ..errors import ShardsmithError
from .bsonfile import PartInfo

FORMAT = "shardsmith-archive/1"
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class Manifest:
    database: str
    collection: str
    month: str  # YYYY-MM
    count: int
    content_sha256: str
    parts: tuple  # of PartInfo
    indexes: tuple = ()  # listIndexes documents (without _id_), as canonical Extended JSON dicts
    created: str = ""
    format: str = FORMAT

    def as_dict(self) -> dict:
        data = asdict(self)
        data["parts"] = [asdict(p) for p in self.parts]
        data["indexes"] = list(self.indexes)
        return data

    def index_documents(self) -> list[dict]:
        """The index definitions back as BSON-ready documents."""
        return [json_util.loads(json.dumps(doc)) for doc in self.indexes]


def index_snapshot(documents) -> tuple:
    """listIndexes output as JSON-safe dicts that keep every BSON type."""
    kept = [{k: v for k, v in doc.items() if k != "ns"} for doc in documents if doc["name"] != "_id_"]
    return tuple(json.loads(json_util.dumps(doc, json_options=CANONICAL_JSON_OPTIONS)) for doc in kept)


def archive_dir(root: Path, database: str, collection: str) -> Path:
    return Path(root) / database / collection


def staging_dir(root: Path, database: str, collection: str) -> Path:
    return archive_dir(root, database, collection).with_name(f"{collection}.partial")


def write_manifest(directory: Path, manifest: Manifest) -> None:
    """Write manifest.json atomically (temp file, fsync, rename)."""
    temp = directory / f"{MANIFEST}.tmp"
    with open(temp, "w") as out:
        json.dump(manifest.as_dict(), out, indent=2, sort_keys=True)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temp, directory / MANIFEST)
    _fsync_dir(directory)


def read_manifest(directory: Path) -> Manifest | None:
    """The committed manifest in `directory`, or None when there is no committed archive."""
    path = Path(directory) / MANIFEST
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text())
        if data.get("format") != FORMAT:
            raise ValueError(f"format {data.get('format')!r}, expected {FORMAT!r}")
        parts = tuple(PartInfo(**p) for p in data.pop("parts"))
        return Manifest(parts=parts, indexes=tuple(data.pop("indexes")), **data)
    except (ValueError, TypeError, KeyError) as exc:
        raise ShardsmithError(f"archive manifest {path} is unreadable: {exc}",
                              hint="restore the archive from a copy; nothing was changed") from None


def commit(staging: Path, final: Path) -> None:
    """Move a verified staging directory into place, replacing an older archive of the same collection."""
    if final.exists():
        shutil.rmtree(final)
    os.replace(staging, final)
    _fsync_dir(final.parent)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
