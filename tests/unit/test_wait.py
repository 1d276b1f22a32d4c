"""Waiting: transient failures are retried until the deadline, anything else ends the wait at once."""

from __future__ import annotations

import time

import pytest
from pymongo.errors import AutoReconnect, OperationFailure

from shardsmith.servercodes import ServerCode
from shardsmith.wait import Deadline, WaitTimeout, is_transient, poll


def test_a_bug_in_the_check_is_not_a_timeout():
    started = time.monotonic()
    with pytest.raises(TypeError):
        poll(lambda: None + 1, until=Deadline.after(30), what="nothing")  # type: ignore[operator]
    assert time.monotonic() - started < 1


def test_refused_credentials_end_the_wait_at_once():
    def check():
        raise OperationFailure("Authentication failed.", code=ServerCode.AuthenticationFailed)

    with pytest.raises(OperationFailure, match="Authentication failed"):
        poll(check, until=Deadline.after(30), what="a primary")


def test_transient_errors_are_retried_and_the_timeout_names_what_and_the_last_error():
    attempts = []

    def check():
        attempts.append(1)
        raise AutoReconnect("connection refused")

    with pytest.raises(WaitTimeout) as timed_out:
        poll(check, until=Deadline.after(0.3), what="rs0's primary", interval=0.01)
    assert len(attempts) > 3
    assert "waiting for rs0's primary (last error: connection refused)" in str(timed_out.value)


def test_a_member_not_ready_yet_is_transient():
    assert is_transient(OperationFailure("not primary", code=ServerCode.NotWritablePrimary))
    assert is_transient(OperationFailure("no replset config", code=ServerCode.NotYetInitialized))
    assert not is_transient(OperationFailure("unauthorized", code=ServerCode.Unauthorized))


def test_a_nested_wait_never_outlives_its_caller():
    outer = Deadline.after(0.2)
    inner = outer.within(60)
    assert inner.at == outer.at
    assert Deadline.after(60).within(0.1).remaining() <= 0.1
