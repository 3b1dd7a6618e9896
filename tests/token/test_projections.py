"""The economy's tables derived from indexed events, on a real anvil chain running the demo's economy,
on SQLite and PostgreSQL."""

import re

import pytest
from anvil_chain import NETWORK, demo_economy, deployed_chain, dev
from eth_utils import keccak
from sqlmodel import func, select

from sahara_dao.core.db import load_models, session_scope
from sahara_dao.core.indexer import index_network, load_projectors, project_stored
from sahara_dao.core.models import ChainEvent
from sahara_dao.core.settings import get_settings
from sahara_dao.core.units import UNIT
from sahara_dao.token import projections
from sahara_dao.token.models import (
    Asset,
    Claim,
    License,
    LicenseOffer,
    LicenseRevenue,
    LineageEdge,
    PublishedRoot,
    QuotaUse,
    Receipt,
)

CHAIN_ID = 31972
DERIVED = (Asset, Receipt, LineageEdge, LicenseOffer, License, LicenseRevenue, QuotaUse, PublishedRoot, Claim)


def solidity_enum(path: str, name: str) -> tuple[str, ...]:
    source = (get_settings().project_dir / path).read_text()
    body = re.search(rf"enum {name} \{{(.*?)\}}", re.sub(r"//[^\n]*", "", source), re.S).group(1)
    return tuple(member.strip().lower() for member in body.split(",") if member.strip())


def test_enum_names_follow_the_solidity_enums():
    """Stored enum values are the Solidity names, lowercased, in declaration order."""
    assert projections.ASSET_KINDS == solidity_enum("contracts/economy/IAssetRegistry.sol", "AssetKind")
    assert projections.LINEAGE_KINDS == solidity_enum("contracts/economy/IAssetRegistry.sol", "LineageKind")
    assert projections.CONTRIBUTOR_ROLES == solidity_enum(
        "contracts/economy/IAssetRegistry.sol", "ContributorRole"
    )
    assert projections.LICENSE_KINDS == solidity_enum("contracts/economy/ILicenseManager.sol", "LicenseKind")


def test_every_projected_table_is_derived_from_an_event():
    """Each table a rule writes carries the event it came from (deleted with it on a reorg)."""
    tables = {table for tables, _ in projections.RULES.values() for table in tables}
    assert tables == set(DERIVED)
    for table in tables:
        column = load_models().tables[table.__tablename__].c.event_id
        assert [fk.ondelete for fk in column.foreign_keys] == ["CASCADE"] and column.unique


@pytest.fixture(scope="module")
def economy_chain(tmp_path_factory, genesis, params):
    with deployed_chain(tmp_path_factory.mktemp("projections"), CHAIN_ID, genesis, params) as chain:
        with chain.economy() as economy:
            facts = demo_economy(economy)
            facts["activation_delay"] = economy.vault.activationDelay()
        yield chain, facts


@pytest.fixture
def indexed(economy_chain, db_url, settings_env):
    """The demo's economy indexed into a fresh database; returns what the chain was given."""
    chain, facts = economy_chain
    settings_env(**chain.env())
    index_network(NETWORK)
    return facts


def rows(model):
    with session_scope() as session:
        return list(session.exec(select(model)))


def event_of(row) -> ChainEvent:
    with session_scope() as session:
        return session.get(ChainEvent, row.event_id)


pytestmark = pytest.mark.anvil


def test_assets_receipts_and_lineage(indexed):
    """AssetRegistered, ContributorRecorded and LineageAdded become assets, receipts and edges."""
    dataset, model, agent = indexed["assets"]
    assets = {a.asset_id: a for a in rows(Asset)}
    assert {i: (a.kind, a.owner, a.content_hash, a.metadata_uri) for i, a in assets.items()} == {
        dataset: ("dataset", dev(4).address, "0x" + keccak(text="dataset").hex(), "ipfs://tests/dataset"),
        model: ("model", dev(5).address, "0x" + keccak(text="model").hex(), "ipfs://tests/model"),
        agent: ("agent", dev(6).address, "0x" + keccak(text="agent").hex(), "ipfs://tests/agent"),
    }
    for asset in assets.values():
        event = event_of(asset)
        assert (event.event, event.args["assetId"], asset.registered_at) == ("AssetRegistered", asset.asset_id,
                                                                             event.block_timestamp)  # fmt: skip
    assert sorted((r.asset_id, r.contributor, r.share_bps, r.role) for r in rows(Receipt)) == sorted([
        (dataset, dev(4).address, 4000, "creator"), (dataset, dev(5).address, 3500, "labeler"),
        (dataset, dev(6).address, 2500, "curator"), (model, dev(5).address, 10_000, "trainer"),
        (agent, dev(6).address, 9000, "creator"), (agent, dev(7).address, 1000, "validator"),
    ])  # fmt: skip
    assert sorted(r.receipt_id for r in rows(Receipt)) == [1, 2, 3, 4, 5, 6]
    assert sorted((e.asset_id, e.upstream_id, e.kind, e.share_bps) for e in rows(LineageEdge)) == [
        (model, dataset, "trained_on", 2000), (agent, model, "uses", 1000),
    ]  # fmt: skip


def test_offers_licenses_revenue_and_quota(indexed):
    """Offers, purchases (license and revenue, exact amounts) and metering become their rows."""
    dataset, model, agent = indexed["assets"]
    perpetual, monthly, api = indexed["offers"]
    assert sorted(
        (o.offer_id, o.asset_id, o.kind, o.duration, o.quota, o.price, o.transferable)
        for o in rows(LicenseOffer)
    ) == [  # fmt: skip
        (perpetual, dataset, "perpetual", 0, 0, 1_000 * UNIT, False),
        (monthly, model, "duration", 30 * 86400, 0, 500 * UNIT, False),
        (api, agent, "api", 0, 1_000, 100 * UNIT, False),
    ]
    licenses = {lic.license_id: lic for lic in rows(License)}
    first, second, third = indexed["licenses"]
    assert {i: (lic.offer_id, lic.asset_id, lic.holder, lic.amount) for i, lic in licenses.items()} == {
        first: (perpetual, dataset, dev(2).address, 1_000 * UNIT),
        second: (monthly, model, dev(2).address, 500 * UNIT),
        third: (api, agent, dev(2).address, 100 * UNIT),
    }
    assert all(lic.purchased_at == event_of(lic).block_timestamp for lic in licenses.values())
    revenue = rows(LicenseRevenue)
    assert sorted((r.asset_id, r.license_id, r.amount) for r in revenue) == [
        (dataset, first, 1_000 * UNIT), (model, second, 500 * UNIT), (agent, third, 100 * UNIT),
    ]  # fmt: skip
    assert {r.occurred_at for r in revenue} == {lic.purchased_at for lic in licenses.values()}
    assert [(q.license_id, q.calls, q.used, q.quota) for q in rows(QuotaUse)] == [(third, 10, 10, 1_000)]


def test_published_roots_and_claims(indexed):
    """RootPublished and Claimed become the published root and the claim, with exact amounts."""
    [root] = rows(PublishedRoot)
    published = event_of(root)
    assert (root.epoch, root.root, root.total) == (indexed["epoch"], indexed["root"], 500 * UNIT)
    assert root.activates_at == published.block_timestamp + indexed["activation_delay"]
    [claim] = rows(Claim)
    assert (claim.account, claim.amount, claim.cumulative, claim.epoch) == (
        dev(4).address,
        300 * UNIT,
        300 * UNIT,
        1,
    )
    assert claim.claimed_at == event_of(claim).block_timestamp > root.activates_at


def test_projecting_again_adds_nothing_and_fills_what_is_missing(indexed):
    """Projections are idempotent: over the same events they add no row; a lost row comes back once."""
    counts = {table: len(rows(table)) for table in DERIVED}
    with session_scope() as session:
        assert project_stored(session, CHAIN_ID, load_projectors()) == {}
        events = list(
            session.exec(select(ChainEvent).order_by(ChainEvent.block_number, ChainEvent.log_index))
        )
        assert projections.project(session, events) == {}
        session.delete(session.exec(select(Asset).where(Asset.asset_id == indexed["assets"][1])).one())
    with session_scope() as session:
        assert project_stored(session, CHAIN_ID, load_projectors()) == {"asset": 1}
        assert session.exec(select(func.count()).select_from(Asset)).one() == counts[Asset]
    assert {table: len(rows(table)) for table in DERIVED} == counts
