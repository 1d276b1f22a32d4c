"""MongoDB server error codes Shardsmith acts on, by the server's own names: one table, one source.

    if exc.code == ServerCode.NamespaceExists: ...

Numbers and names are those of src/mongo/base/error_codes.yml in the MongoDB
server repository (github.com/mongodb/mongo), where `codeName` in a reply comes
from. Add a code here, with what Shardsmith makes of it, before testing for it.
"""

from __future__ import annotations

from enum import IntEnum


class ServerCode(IntEnum):
    IllegalOperation = 20  # also what routers before 4.4 answered to shardCollection on a sharded collection
    AlreadyInitialized = 23  # shardCollection on a collection sharded with another key, unique or collation
    NamespaceExists = 48  # create of a collection that exists
