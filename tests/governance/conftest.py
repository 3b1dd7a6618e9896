"""Fixtures of the governance tests."""

import pytest
from snapshot_node import run_snapshot_js


@pytest.fixture(scope="session")
def snapshot_js():
    """``snapshot_js(op, items)``: snapshot.js / ethers v5 in Node (tests/governance/snapshot_js.js)."""
    return run_snapshot_js
