"""A played mongos whose config server is a real mongod: router conversations tested without a mongos.

No Linux mongos can be installed here, so tests talk to a mockupdb server
(tests/mongos_double.py) that plays one. What it plays is split by concern:

- rules.py    what the server does, as tables, each with its MongoDB source or manual page
- store.py    the real mongod behind it: config.* and the user databases of each played router
- catalog.py  the config server's writes (shardCollection, split, moves, zones, merges) in 6.0-8.0 shapes
- wire.py     the wire: which command is played, which is run on the real mongod as it is
- backing.py  the session fixture `played_mongod`: the one real mongod all played routers share

Every find/aggregate/count on config.* and every command on a user database is
run by the real mongod, so the product's own pipelines are executed for real.
"""
