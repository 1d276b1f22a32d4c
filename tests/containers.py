"""A mongod in a throwaway container that Shardsmith did not start: the "any cluster by URI" target.

    with foreign_replset(tools.local_image()) as uri:
        MongoClient(uri).app.things.insert_one({})

testcontainers runs one mongod from the local image (no registry, so no
ryuk reaper) on the host network, bound to 127.0.0.1 on a free port, as a
1-member replica set initiated with plain pymongo. The container is
removed however the block ends, start failures included.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Iterator

from pymongo import MongoClient

from shardsmith.wait import Deadline, poll
from tests.conftest import free_port_block

READY_TIMEOUT = 30.0


@contextmanager
def foreign_replset(image: str, set_name: str = "rs0", *, data_disk: str | None = None) -> Iterator[str]:
    """Yield `mongodb://127.0.0.1:PORT/?directConnection=true` of a fresh 1-member set in a container.

    `data_disk` ("120m"): /data/db is a tmpfs of that size, so mongod reports a small disk; the journal
    files are kept small (10 MB, not preallocated) and the oplog at 20 MB so it fits.
    """
    os.environ.setdefault("TESTCONTAINERS_RYUK_DISABLED", "true")  # read lazily by testcontainers' config
    from testcontainers.core.container import DockerContainer
    from testcontainers.core.wait_strategies import LogMessageWaitStrategy

    port = free_port_block(1)
    small = ["--oplogSize", "20", "--wiredTigerEngineConfigString=log=(file_max=10MB,prealloc=false)"]
    container = (DockerContainer(image)
                 .with_command(["--replSet", set_name, "--bind_ip", "127.0.0.1", "--port", str(port),
                                "--wiredTigerCacheSizeGB", "0.25", *(small if data_disk else [])])
                 .with_kwargs(network_mode="host")
                 .waiting_for(LogMessageWaitStrategy('"Waiting for connections"')
                              .with_startup_timeout(READY_TIMEOUT).with_poll_interval(0.05)))
    if data_disk:
        container.with_tmpfs_mount("/data/db", f"size={data_disk},uid=999,gid=999")  # docker tmpfs options; mongod runs as 999
    uri = f"mongodb://127.0.0.1:{port}/?directConnection=true"
    with container:  # stop() removes the container (force, volumes) on any exit
        with MongoClient(uri, serverSelectionTimeoutMS=2000) as client:
            client.admin.command("replSetInitiate", {"_id": set_name,
                                                     "members": [{"_id": 0, "host": f"127.0.0.1:{port}"}]})
            poll(lambda: client.admin.command("hello").get("isWritablePrimary"), until=Deadline.after(READY_TIMEOUT),
                 what=f"the container's mongod on port {port} to become primary", transient=lambda error: True)  # any driver error: not up yet
        yield uri
