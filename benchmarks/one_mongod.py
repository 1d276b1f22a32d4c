"""The benchmarks' server: one real single-member replica set (the wheel's mongod) in a folder of its own."""

from __future__ import annotations

import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from shardsmith.cluster import Cluster
from shardsmith.topology import load_topology
from tests.conftest import free_port_block


@contextmanager
def one_member_set(name: str, cache: str = "1GB", body: str = "") -> Iterator[Cluster]:
    """Up on entry, destroyed (processes and files) on the way out; `body` adds to the spec (databases, tiers...).

    The spec is written to a file, `cluster.topology.source`, for child processes that load it.
    """
    with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as folder:
        spec = Path(folder) / f"{name}.yaml"
        spec.write_text(f"name: {name}\ndeploy: {{base_port: {free_port_block(4)}}}\n"
                        f"storage: {{wiredtiger_cache: {cache}}}\nreplica_set: {{name: rs0, members: 1}}\n{body}")
        cluster = Cluster(load_topology(spec), state_root=Path(folder) / "state")
        try:
            cluster.up()
            yield cluster
        finally:
            cluster.destroy()
