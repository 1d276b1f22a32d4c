"""The data plan against a real mongod replica set (the shared `replset` fixture).

Each test uses its own database and checks the result with plain pymongo
reads, not with the code under test.
"""

from __future__ import annotations

import pytest

from shardsmith.dataplan import apply, make_plan
from shardsmith.errors import ShardsmithError
from shardsmith.topology import parse_topology
from tests.dataplan import scenarios

DAY = 86400


def topology(db: str, body: str, index_sets: str = ""):
    text = f"name: dp\nreplica_set: {{members: 1}}\ndatabases:\n  {db}:\n    collections:\n{body}"
    return parse_topology(text + (f"index_sets:\n{index_sets}" if index_sets else ""), f"{db}.yaml")


@pytest.fixture
def database(replset, request):
    """A fresh database on the shared replica set, named after the test, dropped afterwards."""
    name = "dp_" + request.node.name.replace("test_", "")[:40].strip("_")
    with replset.client() as client:
        client.drop_database(name)
        yield client, name
        client.drop_database(name)


def collections(client, db: str) -> dict:
    return {c["name"]: c for c in client[db].list_collections() if not c["name"].startswith("system.")}


def index_map(client, db: str, coll: str) -> dict:
    return {i["name"]: i for i in client[db][coll].list_indexes()}


def test_empty_replica_set_plan_apply_then_nothing_to_do(database):
    client, db = database
    spec = scenarios.topology(scenarios.CARD, database=db)
    plan = make_plan(spec, client)
    assert [(s.kind, s.target.split(".", 1)[1]) for s in plan.steps] == [
        ("create", "messages"), ("createIndexes", "messages"), ("create", "sessions"), ("create", "messages_timeseries")]
    assert plan.target["kind"] == "replset" and plan.target["version"].startswith("6.0")
    assert plan.behaviour["since"] == "6.0"
    result = apply(spec, client)
    assert [o.status for o in result.outcomes] == ["done"] * 4
    found = collections(client, db)
    assert {n: c["type"] for n, c in found.items()} == {
        "messages": "collection", "sessions": "collection", "messages_timeseries": "timeseries"}
    ts = found["messages_timeseries"]["options"]
    assert ts["expireAfterSeconds"] == 365 * DAY
    assert (ts["timeseries"]["timeField"], ts["timeseries"]["metaField"], ts["timeseries"]["granularity"]) == (
        "timestamp", "metadata", "minutes")
    assert set(index_map(client, db, "messages")) == {
        "_id_", "uuid_1", "sessionId_1_timestamp_1", "timestamp_-1", "model_1_timestamp_-1"}
    assert result.remaining.empty and make_plan(spec, client).empty
    assert apply(spec, client).outcomes == []


TIMESERIES = """\
      metrics:
        timeseries: {time_field: at, meta_field: meta, granularity: GRANULARITY, expire_after: EXPIRE}
"""


def ts_spec(db, granularity="minutes", expire="30d"):
    return topology(db, TIMESERIES.replace("GRANULARITY", granularity).replace("EXPIRE", expire))


def ts_options(client, db):
    return collections(client, db)["metrics"]["options"]


def test_time_series_expire_after_and_coarser_granularity_are_applied_with_collmod(database):
    client, db = database
    apply(ts_spec(db), client)
    assert ts_options(client, db)["expireAfterSeconds"] == 30 * DAY
    changed = ts_spec(db, granularity="hours", expire="90d")
    plan = make_plan(changed, client)
    assert [s.command for s in plan.steps] == [
        {"collMod": "metrics", "timeseries": {"granularity": "hours"}, "writeConcern": {"w": "majority"}},
        {"collMod": "metrics", "expireAfterSeconds": 90 * DAY, "writeConcern": {"w": "majority"}}]
    assert apply(changed, client).remaining.empty
    options = ts_options(client, db)
    assert (options["timeseries"]["granularity"], options["expireAfterSeconds"]) == ("hours", 90 * DAY)


def test_finer_granularity_is_refused_and_nothing_changes(database):
    client, db = database
    apply(ts_spec(db, granularity="hours"), client)
    before = ts_options(client, db)
    finer = ts_spec(db, granularity="seconds", expire="90d")
    with pytest.raises(ShardsmithError, match="only to a coarser one, not to seconds") as raised:
        apply(finer, client)
    assert "nothing was changed" in str(raised.value)
    assert ts_options(client, db) == before  # the expire_after change was not applied either


def test_a_regular_collection_is_not_turned_into_time_series(database):
    client, db = database
    client[db].metrics.insert_one({"at": 1})
    plan = make_plan(ts_spec(db), client)
    assert len(plan.refusals) == 1 and "cannot turn it into a time-series collection in place" in plan.refusals[0].reason
    assert "migrate" in plan.refusals[0].hint and "$out" in str(plan.refusals[0].command)
    with pytest.raises(ShardsmithError, match="refused"):
        apply(ts_spec(db), client)
    assert collections(client, db)["metrics"]["type"] == "collection" and client[db].metrics.count_documents({}) == 1


INDEXED = """\
      orders:
        indexes: orders
"""
ORDER_SET = """\
  orders:
    - {keys: {customer: 1, at: -1}}
    - {keys: {uuid: 1}, unique: true}
    - {keys: {note: text}}
    - {keys: {expiresAt: 1}, expire_after: 7d}
"""


def test_index_set_create_report_then_prune(database):
    client, db = database
    orders = client[db].orders
    orders.create_index("uuid")  # in the set, but the set says unique
    orders.create_index("legacy")  # not in the set
    spec = topology(db, INDEXED, ORDER_SET)
    plan = make_plan(spec, client)
    assert [s.kind for s in plan.steps] == ["createIndexes"]  # one command for every missing index
    assert [i["name"] for i in plan.steps[0].command["indexes"]] == ["customer_1_at_-1", "note_text", "expiresAt_1"]
    assert sorted(d.what.split(" ")[1] for d in plan.differences) == ["legacy_1", "uuid_1"]
    apply(spec, client)
    found = index_map(client, db, "orders")
    assert {"customer_1_at_-1", "note_text", "expiresAt_1", "legacy_1", "uuid_1"} <= set(found)
    assert found["expiresAt_1"]["expireAfterSeconds"] == 7 * DAY and not found["uuid_1"].get("unique")
    assert make_plan(spec, client).steps == []  # the differences stay reported, nothing is dropped without --prune
    pruned = make_plan(spec, client, prune=True)
    assert [(s.kind, s.command.get("index")) for s in pruned.steps] == [
        ("dropIndexes", "uuid_1"), ("dropIndexes", "legacy_1"), ("createIndexes", None)]
    assert apply(spec, client, prune=True).remaining.empty
    found = index_map(client, db, "orders")
    assert set(found) == {"_id_", "customer_1_at_-1", "uuid_1", "note_text", "expiresAt_1"}
    assert found["uuid_1"]["unique"] is True
    assert make_plan(spec, client, prune=True).empty


def test_index_costs_of_the_spec_sum_a_rolling_family_and_flag_wildcard_text(database):
    from rich.console import Console

    from shardsmith.dataplan.costs import index_costs
    from shardsmith.dataplan.report import plan_dict, print_plan
    from shardsmith.rolling import RollingCollections
    from shardsmith.workload import generate_messages

    client, db = database
    text = (f"name: dp\nreplica_set: {{members: 1}}\ndatabases:\n  {db}:\n    collections:\n"
            "      notes: {indexes: chat}\n    rolling:\n      chat: {period: monthly, indexes: chat}\n"
            "index_sets:\n  chat:\n    - {keys: {type: 1, timestamp: -1}}\n    - {keys: {\"$**\": text}}\n")
    spec = parse_topology(text, f"{db}.yaml")
    RollingCollections.from_topology(client[db], spec, "chat").insert_many(list(generate_messages(600, months=2, seed=2)))
    client.admin.command("fsync")
    months = sorted(n for n in client[db].list_collection_names() if n.startswith("chat_"))
    stats = [client[db].command("collStats", name) for name in months]
    costs = index_costs(spec, client)
    assert [(c.namespace, c.index) for c in costs] == [
        (f"{db}.notes", "type_1_timestamp_-1"), (f"{db}.notes", "$**_text"),
        (f"{db}.chat_YYYY_MM (2 months)", "type_1_timestamp_-1"), (f"{db}.chat_YYYY_MM (2 months)", "$**_text")]
    notes_compound, notes_text, family_compound, family_text = costs
    assert notes_compound.size is None and notes_compound.data_size == 0  # not created yet: not built
    assert family_compound.size == sum(s["indexSizes"]["type_1_timestamp_-1"] for s in stats)
    assert family_text.data_size == sum(s["size"] for s in stats)
    assert list(family_compound.key) == ["type", "timestamp"] and family_text.key == {"$**": "text"}
    assert family_text.warning and family_text.write_cost.ratio > 1.2
    assert notes_text.write_cost is family_text.write_cost  # one measurement per database and index set
    assert not [n for n in client[db].list_collection_names() if n.startswith("shardsmith_scratch_")]

    plan = make_plan(spec, client)
    assert plan_dict(plan, costs)["index_costs"][3]["write_cost"]["ratio"] == round(family_text.write_cost.ratio, 2)
    console = Console(width=250, record=True)
    print_plan(plan, console, costs)
    shown = console.export_text()
    assert "not built" in shown and "wildcard text: inserts" in shown
    assert f"warning {db}.chat_YYYY_MM (2 months) index $**_text ($**: text): wildcard text index" in shown
