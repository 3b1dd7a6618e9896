"""Fixtures of the token-operations tests: a database seeded with what the indexer would store."""

import itertools

import pytest

from sahara_dao.core.models import Chain, ChainEvent
from sahara_dao.token.models import Asset, LicenseRevenue, LineageEdge, Receipt

CHAIN_ID = 31337
ANA, BO, CY = ("0x" + c * 40 for c in "abc")
TREASURY = "0x" + "7" * 40


class Seeder:
    """Writes indexed rows (each with its event) the way the indexer would, on one chain."""

    def __init__(self, session, chain_id: int = CHAIN_ID):
        self.session, self.chain_id = session, chain_id
        self._logs = itertools.count()
        if session.get(Chain, chain_id) is None:
            session.add(Chain(chain_id=chain_id, ecosystem="ethereum", network="local"))
            session.flush()

    def _event(self, name: str, at: int) -> int:
        n = next(self._logs)
        event = ChainEvent(chain_id=self.chain_id, contract="x", address="0x" + "11" * 20, event=name,
                           block_number=n, block_hash="0x" + "00" * 32, block_timestamp=at,
                           tx_hash="0x" + n.to_bytes(32, "big").hex(), log_index=0, args={})  # fmt: skip
        self.session.add(event)
        self.session.flush()
        return event.id

    def asset(self, asset_id: int, contributors, upstream=(), at: int = 0) -> None:
        self.session.add(Asset(chain_id=self.chain_id, asset_id=asset_id, kind="dataset", owner=ANA,
                               content_hash="0x" + "00" * 32, metadata_uri="ipfs://a", registered_at=at,
                               event_id=self._event("AssetRegistered", at)))  # fmt: skip
        for receipt_id, (account, bps) in enumerate(contributors, start=asset_id * 100):
            self.session.add(Receipt(chain_id=self.chain_id, asset_id=asset_id, contributor=account,
                                     receipt_id=receipt_id, share_bps=bps, role="creator",
                                     event_id=self._event("ContributorRecorded", at)))  # fmt: skip
        for upstream_id, bps in upstream:
            self.session.add(LineageEdge(chain_id=self.chain_id, asset_id=asset_id, upstream_id=upstream_id,
                                         kind="trained_on", share_bps=bps, added_at=at,
                                         event_id=self._event("LineageAdded", at)))  # fmt: skip
        self.session.flush()

    def license_fee(self, asset_id: int, amount: int, at: int) -> None:
        self.session.add(LicenseRevenue(chain_id=self.chain_id, asset_id=asset_id, license_id=at, amount=amount,
                                        occurred_at=at, event_id=self._event("LicensePurchased", at)))  # fmt: skip
        self.session.flush()


@pytest.fixture
def seed(session) -> Seeder:
    return Seeder(session)
