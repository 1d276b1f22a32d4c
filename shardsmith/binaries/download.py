"""Fetch over the network: short timeouts, one clear line per failure, sha256 checked while streaming.

A network that does not answer must cost a few seconds, not a minute: every
socket operation (connect, each read) gives up after NETWORK_TIMEOUT and the
caller moves on to the next source of binaries. An archive is written to a
`.part` file, hashed as it streams, and removed unless its sha256 matches:
nothing unverified is ever unpacked.
"""

from __future__ import annotations

import errno
import hashlib
import json
import socket
import ssl
import sys
import urllib.error
import urllib.request
from contextlib import contextmanager
from http.client import HTTPException
from pathlib import Path
from typing import Iterator
from urllib.parse import urlsplit

from ..errors import ShardsmithError
from ..progress import Progress

NETWORK_TIMEOUT = 5.0  # seconds per connect and per read
CHUNK = 1 << 20


class NetworkError(ShardsmithError):
    """The network did not answer, or stopped answering: the next source of binaries may."""


class ChecksumMismatch(ShardsmithError):
    """The bytes are not the ones the manifest vouches for: never unpacked, never cached."""


def host_of(url: str) -> str:
    return urlsplit(url).netloc or url


def write_failed(exc: OSError, where: Path, what: str) -> ShardsmithError:
    """A full disk, or a cache folder Shardsmith may not write: one line each."""
    if exc.errno == errno.ENOSPC:
        return ShardsmithError(f"the disk is full: no room for {what} in {where}",
                               hint="free some space (`shardsmith binaries prune` removes older versions), "
                                    "or set XDG_CACHE_HOME to a folder on a larger disk")
    return ShardsmithError(f"cannot write {what} in {where}: {exc.strerror or exc}",
                           hint="set XDG_CACHE_HOME to a folder you can write")


def tls_context() -> ssl.SSLContext:
    """The system's CAs, plus certifi's when installed (python.org builds on macOS ship none)."""
    context = ssl.create_default_context()
    try:
        import certifi
    except ImportError:
        return context
    context.load_verify_locations(certifi.where())
    return context


@contextmanager
def opened(url: str) -> Iterator:
    """The response for `url`; any network failure becomes one NetworkError line."""
    try:
        with urllib.request.urlopen(url, timeout=NETWORK_TIMEOUT, context=tls_context()) as response:
            yield response
    except urllib.error.HTTPError as exc:
        raise NetworkError(f"{url} answered HTTP {exc.code} {exc.reason}",
                           hint="check the URL (SHARDSMITH_MONGODB_MANIFEST or the manifest's archive URLs)") from None
    except (urllib.error.URLError, socket.timeout, ConnectionError, HTTPException) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise NetworkError(f"cannot reach {host_of(url)}: {describe(reason)}",
                           hint="check the network (or a proxy), set SHARDSMITH_OFFLINE=1 to use only what is "
                                "cached, or set MONGOD_BIN/MONGOS_BIN to binaries you have") from None


def describe(reason: object) -> str:
    if isinstance(reason, (socket.timeout, TimeoutError)):
        return f"no answer within {NETWORK_TIMEOUT:g}s"
    if isinstance(reason, socket.gaierror):
        return "the name does not resolve (no network?)"
    return str(getattr(reason, "strerror", None) or reason)


def fetch_json(url: str) -> object:
    """A JSON document; a body that is not JSON is an error naming the URL."""
    with opened(url) as response:
        body = read_all(response, url)
    try:
        return json.loads(body)
    except ValueError as exc:
        raise ShardsmithError(f"{url} is not a JSON release manifest: {exc}",
                              hint="point SHARDSMITH_MONGODB_MANIFEST at a file in the format of "
                                   "https://downloads.mongodb.org/full.json") from None


def read_all(response, url: str) -> bytes:
    try:
        return response.read()
    except (socket.timeout, ConnectionError, HTTPException) as exc:
        raise NetworkError(f"the download from {host_of(url)} was cut off: {describe(exc)}",
                           hint="run the command again; nothing was kept") from None


def download_verified(url: str, sha256: str, destination: Path, *, progress: Progress) -> Path:
    """Stream `url` into `destination` (a .part file) and return it only when its sha256 matches."""
    try:
        with opened(url) as response:
            size = int(response.headers.get("Content-Length") or 0) or None
            digest, received = stream(response, destination, size, url, progress)
    except BaseException:
        destination.unlink(missing_ok=True)
        raise
    if size is not None and received != size:
        destination.unlink(missing_ok=True)
        raise NetworkError(f"the download from {host_of(url)} was cut off after {received} of {size} bytes",
                           hint="run the command again; nothing was kept")
    if digest != sha256.lower():
        destination.unlink(missing_ok=True)
        raise ChecksumMismatch(f"{url} does not match the manifest's sha256 (got {digest[:16]}..., "
                               f"expected {sha256[:16]}...): refused, nothing was cached",
                               hint="try again later; if it persists, the mirror or the manifest is wrong "
                                    "(check SHARDSMITH_MONGODB_MANIFEST)")
    return destination


def stream(response, destination: Path, size: int | None, url: str, progress: Progress) -> tuple[str, int]:
    """Copy the body to `destination` in chunks, hashing as it goes; (hex digest, bytes received)."""
    digest, received = hashlib.sha256(), 0
    with transfer_bar(progress, Path(urlsplit(url).path).name, size) as advance, destination.open("wb") as out:
        while True:
            try:
                chunk = response.read(CHUNK)
            except (socket.timeout, ConnectionError, HTTPException) as exc:
                raise NetworkError(f"the download from {host_of(url)} was cut off after {received} bytes: "
                                   f"{describe(exc)}", hint="run the command again; nothing was kept") from None
            if not chunk:
                return digest.hexdigest(), received
            try:
                out.write(chunk)
            except OSError as exc:
                raise write_failed(exc, destination.parent, f"the {size or received} byte download") from None
            digest.update(chunk)
            received += len(chunk)
            advance(len(chunk))


@contextmanager
def transfer_bar(progress: Progress, name: str, size: int | None) -> Iterator:
    """A rich progress bar (bytes, speed, time left) unless the progress is quiet; yields `advance(n)`."""
    if progress.quiet:
        yield lambda n: None
        return
    from rich.progress import BarColumn, DownloadColumn, TextColumn, TimeRemainingColumn, TransferSpeedColumn
    from rich.progress import Progress as Bar

    with Bar(TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
             TimeRemainingColumn(), console=progress.console, transient=True) as bar:
        task = bar.add_task(f"downloading {name}", total=size)
        yield lambda n: bar.advance(task, n)
    progress.note(f"[green]✓[/] downloaded {name}")


def visible_progress() -> Progress:
    """A progress display when stderr is a terminal, silence otherwise (library use, CI logs)."""
    return Progress(quiet=not sys.stderr.isatty())
