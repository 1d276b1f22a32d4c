"""A local stand-in for MongoDB's download site: a release manifest and server archives over HTTP.

There is no internet here, so tests serve what https://downloads.mongodb.org
serves, from 127.0.0.1: a manifest in the format of its full.json
(versions[].version, production_release, downloads[].target/arch/edition/
archive.url/sha256) and .tgz archives laid out like MongoDB's
(mongodb-linux-<arch>-<target>-<version>/bin/mongod ...), built from the
bundled mongod. The site counts requests per path and can misbehave on
purpose: cut a response off after N bytes, or hold it back a while.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import socket
import stat
import sys
import tarfile
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tests.conftest import free_port_block

# No mongos exists on this machine (no wheel or Debian package ships one), so
# archives that need one carry this stand-in: it answers --version like a
# mongos does and is never started. It checks the layout and the fetch, not routing.
MONGOS_STANDIN = "#!/bin/sh\n# test stand-in: no real mongos exists on this machine\necho 'mongos version v{version}'\n"


@dataclass(frozen=True)
class BuiltArchive:
    path: Path
    sha256: str
    version: str
    target: str
    arch: str

    @property
    def name(self) -> str:
        return self.path.name


def build_archive(folder: Path, mongod: Path, *, version: str, target: str, arch: str,
                  with_mongos: bool) -> BuiltArchive:
    """A .tgz like MongoDB's server archive; gzip level 1 (the mongod is 140 MB and built once per session)."""
    top = f"mongodb-linux-{arch}-{target}-{version}"
    staging = folder / f"staging-{top}-{with_mongos}"
    (staging / top / "bin").mkdir(parents=True)
    shutil.copy2(mongod, staging / top / "bin" / "mongod")
    if with_mongos:
        mongos = staging / top / "bin" / "mongos"
        mongos.write_text(MONGOS_STANDIN.format(version=version))
        mongos.chmod(mongos.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    (staging / top / "LICENSE-Community.txt").write_text("Server Side Public License (test archive)\n")
    path = folder / f"{top}{'' if with_mongos else '-no-mongos'}.tgz"
    with tarfile.open(path, "w:gz", compresslevel=1) as tar:
        tar.add(staging / top, arcname=top)
    shutil.rmtree(staging)
    return BuiltArchive(path, sha256_of(path), version, target, arch)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        for chunk in iter(lambda: source.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def download_entry(url: str, sha256: str, *, target: str, arch: str, edition: str = "targeted") -> dict:
    return {"target": target, "arch": arch, "edition": edition,
            "archive": {"url": url, "sha1": "", "sha256": sha256, "debug_symbols": ""}}


def release_entry(version: str, downloads: list[dict], *, production: bool = True) -> dict:
    return {"version": version, "production_release": production, "development_release": not production,
            "release_candidate": "-rc" in version, "githash": "0" * 40, "date": "2024-01-01T00:00:00Z",
            "downloads": downloads}


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        """A client that hangs up mid-body (a refused checksum, a full disk) is expected, not a test failure."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class ReleaseSite:
    """An HTTP server on 127.0.0.1 (port below 32768) serving files and JSON documents by path."""

    def __init__(self):
        self.files: dict[str, Path | bytes] = {}
        self.cut_after: dict[str, int] = {}  # path -> bytes sent before the connection drops (first request)
        self.hold: dict[str, float] = {}  # path -> seconds to wait before answering
        self.requests: list[tuple[float, str]] = []
        self._lock = threading.Lock()
        self.server = QuietServer(("127.0.0.1", free_port_block(1)), self._handler())
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> "ReleaseSite":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=10)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def count(self, path: str | None = None) -> int:
        with self._lock:
            return sum(1 for _, seen in self.requests if path is None or seen == path)

    def publish(self, archive: BuiltArchive, path: str | None = None) -> str:
        path = path or f"/linux/{archive.name}"
        self.files[path] = archive.path
        return self.url(path)

    def publish_manifest(self, releases: list[dict], path: str = "/full.json") -> str:
        self.files[path] = json.dumps({"versions": releases}).encode()
        return self.url(path)

    def _handler(self):
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                with site._lock:
                    site.requests.append((time.monotonic(), self.path))
                    cut = site.cut_after.pop(self.path, None)
                body = site.files.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                time.sleep(site.hold.get(self.path, 0))
                size = len(body) if isinstance(body, bytes) else body.stat().st_size
                self.send_response(200)
                self.send_header("Content-Length", str(size))
                self.end_headers()
                if isinstance(body, bytes):
                    self.wfile.write(body[:cut])
                else:
                    with body.open("rb") as source:
                        remaining = size if cut is None else cut
                        while remaining > 0:
                            chunk = source.read(min(1 << 20, remaining))
                            self.wfile.write(chunk)
                            remaining -= len(chunk)
                if cut is not None:  # drop the connection mid-body, as a failing network would
                    self.wfile.flush()
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True

            def log_message(self, *args):
                pass

        return Handler
