"""Archive parts: gzip streams of concatenated BSON, written and read back one document at a time.

Two checksums travel with every part: sha256 of the file as stored (catches a
damaged or swapped file before anything is read into the database) and a
content checksum, sha256 of the raw BSON documents in order, which equals the
same checksum taken over the source collection's cursor.
"""

from __future__ import annotations

import gzip
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

import bson
from bson.codec_options import CodecOptions
from bson.raw_bson import RawBSONDocument

from ..errors import ShardsmithError

RAW = CodecOptions(document_class=RawBSONDocument, tz_aware=True)
CHUNK = 1 << 20


@dataclass(frozen=True)
class PartInfo:
    name: str
    count: int
    sha256: str  # of the file's bytes
    content_sha256: str  # of the documents' raw BSON
    bytes: int


class ContentDigest:
    """Count and sha256 of a stream of raw BSON documents."""

    def __init__(self) -> None:
        self.count = 0
        self._hash = hashlib.sha256()

    def add(self, raw: bytes | memoryview) -> None:  # RawBSONDocument.raw is a memoryview from 4 KB up
        self.count += 1
        self._hash.update(raw)

    @property
    def hexdigest(self) -> str:
        return self._hash.hexdigest()


def write_part(path: Path, documents: Iterable[RawBSONDocument]) -> PartInfo:
    """Stream documents into a gzip part, fsynced; their count and checksums."""
    digest = ContentDigest()
    with open(path, "wb") as raw_file:
        with gzip.GzipFile(fileobj=raw_file, mode="wb", compresslevel=6, mtime=0) as packed:
            for document in documents:
                raw = document.raw
                packed.write(raw)
                digest.add(raw)
        raw_file.flush()
        os.fsync(raw_file.fileno())
    return PartInfo(path.name, digest.count, file_sha256(path), digest.hexdigest, path.stat().st_size)


def file_sha256(path: Path) -> str:
    found = hashlib.sha256()
    with open(path, "rb") as stream:
        while block := stream.read(CHUNK):
            found.update(block)
    return found.hexdigest()


def read_part(path: Path) -> Iterator[RawBSONDocument]:
    """The part's documents in order, streamed (damage is a ShardsmithError naming the file)."""
    try:
        with gzip.open(path, "rb") as packed:
            yield from bson.decode_file_iter(packed, codec_options=RAW)  # type: ignore[call-overload]  # stub asks IO[bytes]; only .read() is used
    except (OSError, EOFError, bson.errors.InvalidBSON, ValueError) as exc:
        raise ShardsmithError(f"archive part {path} is damaged: {exc}",
                              hint="restore it from a copy of the archive; nothing was changed") from None


def content_of(path: Path) -> ContentDigest:
    """Read a part back completely: its document count and content checksum."""
    digest = ContentDigest()
    for document in read_part(path):
        digest.add(document.raw)
    return digest


