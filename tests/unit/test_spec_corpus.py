"""Every malformed spec in the corpus reports exactly its problems, each with file, line and path."""

from __future__ import annotations

import pytest

from shardsmith.errors import ShardsmithError
from shardsmith.topology import SpecError, load_topology
from tests.unit.specs.corpus import CASES, case_names, reported_lines, table

EXPECTED = table()


def test_corpus_is_complete():
    """At least 30 specs, and every one of them has its expectations (and no stale entries)."""
    assert len(case_names()) >= 30
    assert sorted(EXPECTED) == case_names()


@pytest.mark.parametrize("name", case_names())
def test_spec_reports_every_problem_with_line_and_path(name):
    errors, warnings = EXPECTED[name]
    source = str(CASES / name)
    if not errors:
        topology = load_topology(source)
        text = "\n".join(topology.warnings)
        assert len(reported_lines(text, source)) == len(warnings), text
        for expected in warnings:
            assert expected.found_in(text, source), f"missing {expected} in:\n{text}"
        return
    with pytest.raises(ShardsmithError) as raised:
        load_topology(source)
    assert raised.value.exit_code == 2
    text = str(raised.value)
    if isinstance(raised.value, SpecError):
        found = [(p.line, p.path, p.warning) for p in raised.value.problems]
        wanted = [(e.line, e.path, e.warning) for e in errors + warnings]
        assert sorted(found) == sorted(wanted), text  # all of them, in one pass, and nothing else
    else:
        assert len(errors) == 1 and errors[0].path is None, text
    for expected in errors + warnings:
        assert expected.found_in(text, source), f"missing {expected} in:\n{text}"
    assert "nothing was started or written" in text or errors[0].path is None
