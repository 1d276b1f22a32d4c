"""Fixtures shared by the integration modules."""

from __future__ import annotations

import os

import pytest

from tests.official_standin import remove_standin, standin_image


@pytest.fixture(scope="session")
def official_image():
    """$SHARDSMITH_TEST_OFFICIAL_IMAGE (CI: mongo:7.0, mongo:8.0, pulled by compose), else the local
    stand-in for `mongo:X`, built for this session and removed at its end (no image is left behind)."""
    given = os.environ.get("SHARDSMITH_TEST_OFFICIAL_IMAGE")
    if given:
        yield given
        return
    tag = standin_image()
    try:
        yield tag
    finally:
        remove_standin(tag)
