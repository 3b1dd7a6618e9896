"""The chain indexer on a real anvil chain (module-scoped, with the demo's economy on it), on SQLite and
PostgreSQL: every log stored once, resumable, confirmation depth, reorgs within and beyond the window,
a reset chain, the command line."""

import json
import shutil

import pytest
from anvil_chain import (
    AGENT,
    CREATOR,
    DATASET,
    MODEL,
    NETWORK,
    PERPETUAL,
    TRAINER,
    demo_economy,
    deployed_chain,
    dev,
    rpc,
)
from click.testing import CliRunner
from eth_utils import keccak, to_checksum_address
from sqlalchemy import update
from sqlmodel import select

from sahara_dao.core.cli import cli
from sahara_dao.core.db import session_scope
from sahara_dao.core.indexer import (
    ChainReader,
    IndexerError,
    default_confirmations,
    first_block_after,
    index_network,
    json_value,
    load_projectors,
    watched_contracts,
)
from sahara_dao.core.models import Chain, ChainEvent, Deployment, IndexerCheckpoint, NativeBalance
from sahara_dao.core.units import UNIT
from sahara_dao.token.models import Asset, License, LicenseOffer, LicenseRevenue, Receipt

CHAIN_ID = 31971
ZERO = "0x" + "00" * 20
anvil = pytest.mark.anvil


@pytest.fixture(scope="module")
def deployed(tmp_path_factory, genesis, params):
    """One chain for the module: the contract set and the demo's economy. Tests add to it (reorg
    tests revert only what they added), so assertions compare the database with the chain."""
    with deployed_chain(tmp_path_factory.mktemp("indexer"), CHAIN_ID, genesis, params) as chain:
        with chain.economy() as economy:
            demo_economy(economy)
        yield chain


@pytest.fixture
def chain(deployed, db_url, settings_env):
    """The module's chain, with the settings pointing at it and at a fresh database."""
    settings_env(**deployed.env())
    return deployed


def rows(model, *where):
    with session_scope() as session:
        return list(session.exec(select(model).where(*where)))


def chain_logs(chain) -> dict[tuple[str, int], tuple[int, str]]:
    """Every log of the watched contracts, straight from the node: (tx hash, log index) -> block."""
    with chain.economy() as economy:
        watched, _ = watched_contracts(chain.record.contracts, load_projectors())
        logs = economy.chain.provider.web3.eth.get_logs(
            {"address": [w.address for w in watched], "fromBlock": 0, "toBlock": economy.head()}
        )
    return {("0x" + bytes(log["transactionHash"]).hex(), log["logIndex"]):
            (log["blockNumber"], "0x" + bytes(log["blockHash"]).hex()) for log in logs}  # fmt: skip


def assert_follows_chain(chain) -> None:
    """The stored events are exactly the chain's logs, in the chain's blocks."""
    stored = {(e.tx_hash, e.log_index): (e.block_number, e.block_hash) for e in rows(ChainEvent)}
    assert stored == chain_logs(chain)


def test_decoded_values_become_json():
    """Integers beyond 2**53 become decimal strings, bytes 0x hex, structs objects, arrays lists."""
    assert json_value(2**53 - 1) == 2**53 - 1
    assert json_value(2**53) == str(2**53)
    assert json_value(-(2**60)) == str(-(2**60))
    assert json_value(True) is True
    assert json_value(b"\x01\xab") == "0x01ab"
    assert json_value({"a": [1, 10**30], "b": (b"\x00",)}) == {"a": [1, str(10**30)], "b": ["0x00"]}


def test_confirmations_default_to_zero_on_local_chains_and_twelve_elsewhere(settings_env):
    """Local chains have no reorgs worth waiting for; other chains wait 12 blocks unless configured."""
    assert default_confirmations("ethereum:local:foundry") == 0
    assert default_confirmations("bsc:mainnet:node") == 12
    settings_env(SAHARA_INDEXER_CONFIRMATIONS="5")
    assert default_confirmations("ethereum:sepolia:node") == 5


@anvil
def test_every_deployed_contract_is_watched(deployed):
    """Each contract of the record has a contract type, and the registry's Receipt is found too."""
    with deployed.economy() as economy:
        watched, unknown = watched_contracts(deployed.record.contracts, load_projectors())
        receipts = economy.registry.receipts()
    assert unknown == []
    assert {w.name for w in watched} == set(deployed.record.contracts) | {"receipts"}
    assert next(w.address for w in watched if w.name == "receipts") == receipts


@anvil
def test_every_log_is_stored_once_with_its_decoded_arguments(chain):
    """All logs land in chain_event with JSON arguments, block hashes and times; a rerun adds nothing."""
    report = index_network(NETWORK)
    assert_follows_chain(chain)
    assert report.new_events == len(rows(ChainEvent)) and report.removed == 0 and not report.undecoded

    transfer = next(e for e in rows(ChainEvent, ChainEvent.contract == "token", ChainEvent.event == "Transfer")
                    if e.args["from"] == ZERO and e.args["to"] == dev(2).address)  # fmt: skip
    assert transfer.args["value"] == str(3_500_000_000 * UNIT)  # beyond 2**53: a decimal string
    registered = next(e for e in rows(ChainEvent, ChainEvent.event == "AssetRegistered")
                      if e.args["metadataURI"] == "ipfs://tests/dataset")  # fmt: skip
    assert registered.contract == "registry" and registered.address == chain.record.address("registry")
    assert registered.args == {"assetId": 1, "owner": dev(4).address, "kind": DATASET,
                               "contentHash": "0x" + keccak(text="dataset").hex(), "metadataURI": "ipfs://tests/dataset"}  # fmt: skip
    with chain.economy() as economy:
        block = economy.chain.provider.web3.eth.get_block(registered.block_number)
    assert (registered.block_hash, registered.block_timestamp) == (
        "0x" + bytes(block["hash"]).hex(),
        block["timestamp"],
    )
    locked = rows(ChainEvent, ChainEvent.contract == "receipts", ChainEvent.event == "Locked")
    assert len(locked) == len(rows(Receipt)) >= 6  # one soulbound receipt per contributor

    count = len(rows(ChainEvent))
    again = index_network(NETWORK)
    assert (again.new_events, again.removed, len(rows(ChainEvent))) == (0, 0, count)
    checkpoints = rows(IndexerCheckpoint)
    assert {c.contract for c in checkpoints} == {w for w in report.contracts}
    assert {(c.block_number, c.block_hash) for c in checkpoints} == {
        (report.head, block_hash(chain, report.head))
    }
    assert [(c.chain_id, c.ecosystem, c.network) for c in rows(Chain)] == [(CHAIN_ID, "ethereum", "local")]
    mirrored = {d.contract: d.address for d in rows(Deployment)}
    assert mirrored == chain.record.contracts | {"receipts": mirrored["receipts"]}


def block_hash(chain, number: int) -> str:
    with chain.economy() as economy:
        return economy.block_hash(number)


@anvil
def test_a_rerun_resumes_at_its_checkpoint(chain, settings_env):
    """After new blocks, a run reads the window and the new blocks only, and stores only new events."""
    settings_env(SAHARA_INDEXER_REORG_WINDOW="4")
    first = index_network(NETWORK)
    with chain.economy() as economy:
        asset, _ = economy.register(7, AGENT, "resumed", [(7, 10_000, CREATOR)])
        economy.mine(3)
        head = economy.head()
    report = index_network(NETWORK)
    assert report.blocks_read == 4 + (head - first.head)
    # AssetRegistered and ContributorRecorded; the receipt's mint: Transfer and Locked
    assert report.inserted == {"registry": 2, "receipts": 2}
    assert report.projected == {"asset": 1, "receipt": 1}
    assert [a.kind for a in rows(Asset, Asset.asset_id == asset)] == ["agent"]
    assert {c.block_number for c in rows(IndexerCheckpoint)} == {head}
    assert_follows_chain(chain)


@anvil
def test_blocks_under_the_confirmation_depth_wait(chain):
    """Only blocks at least `confirmations` under the head are indexed; they come once deep enough."""
    with chain.economy() as economy:
        asset, registration = economy.register(4, DATASET, "deep-enough", [(4, 10_000, CREATOR)])
        economy.mine(2)
        head = economy.head()
    report = index_network(NETWORK, confirmations=3)
    assert report.target == head - 3 == registration.block_number - 1
    assert {c.block_number for c in rows(IndexerCheckpoint)} == {head - 3}
    assert rows(ChainEvent, ChainEvent.block_number > head - 3) == []
    assert rows(Asset, Asset.asset_id == asset) == []
    with chain.economy() as economy:
        economy.mine()
    index_network(NETWORK, confirmations=3)
    assert [a.content_hash for a in rows(Asset, Asset.asset_id == asset)] == [
        "0x" + keccak(text="deep-enough").hex()
    ]


@anvil
def test_a_reorg_within_the_window_replaces_the_changed_rows(chain):
    """Rows of dropped transactions go with everything derived from them; the new ones come in."""
    index_network(NETWORK)
    with chain.economy() as economy:
        snapshot = economy.snapshot()
        asset, registration = economy.register(4, DATASET, "reorg-a", [(4, 10_000, CREATOR)])
        offer = economy.offer(4, asset, PERPETUAL, 0, 0, 5 * UNIT)
        license_id, purchase = economy.buy(offer)
        economy.mine(3)
    index_network(NETWORK)
    assert [a.content_hash for a in rows(Asset, Asset.asset_id == asset)] == [
        "0x" + keccak(text="reorg-a").hex()
    ]
    assert len(rows(License, License.license_id == license_id)) == 1
    dropped = {registration.txn_hash, purchase.txn_hash}
    assert len(rows(ChainEvent, ChainEvent.tx_hash.in_(dropped))) >= 6

    with chain.economy() as economy:
        economy.revert(snapshot)
        replacement, other = economy.register(5, MODEL, "reorg-b", [(5, 10_000, TRAINER)])
        head = economy.head()  # shorter than before the reorg
    report = index_network(NETWORK)
    assert report.removed >= 6 and report.new_events >= 4
    assert replacement == asset
    assert [(a.kind, a.content_hash, a.event_id) for a in rows(Asset, Asset.asset_id == asset)] == [
        ("model", "0x" + keccak(text="reorg-b").hex(), rows(ChainEvent, ChainEvent.tx_hash == other.txn_hash,
                                                             ChainEvent.event == "AssetRegistered")[0].id)
    ]  # fmt: skip
    assert rows(ChainEvent, ChainEvent.tx_hash.in_(dropped)) == []
    assert rows(License, License.license_id == license_id) == []
    assert rows(LicenseRevenue, LicenseRevenue.license_id == license_id) == []
    assert rows(LicenseOffer, LicenseOffer.offer_id == offer) == []
    assert {(c.block_number, c.block_hash) for c in rows(IndexerCheckpoint)} == {
        (head, block_hash(chain, head))
    }
    assert_follows_chain(chain)


@anvil
def test_native_balances_of_the_treasury_are_recorded_when_they_change(chain):
    """ETH sent to the timelock (no log) shows in native_balance at the run's last block; a run
    without a change stores nothing; a reorg that undoes the transfer drops its row."""
    index_network(NETWORK)
    timelock = chain.record.address("timelock")

    def balances():
        return [(b.contract, b.block_number, b.balance) for b in rows(NativeBalance, NativeBalance.address == timelock)]

    start = balances()
    assert [row[0] for row in start] == ["timelock"] * len(start)
    held = start[-1][2] if start else 0
    with chain.economy() as economy:
        snapshot = economy.snapshot()
        dev(9).transfer(timelock, 3 * UNIT)
        economy.mine(2)
        head = economy.head()
    report = index_network(NETWORK)
    assert report.native_balances == 1
    assert balances() == [*start, ("timelock", head, held + 3 * UNIT)]
    assert index_network(NETWORK).native_balances == 0 and balances()[-1] == ("timelock", head, held + 3 * UNIT)

    with chain.economy() as economy:
        economy.revert(snapshot)
        economy.mine()
    index_network(NETWORK)
    assert balances() == start  # the transfer's block is gone and the balance is the old one again
    assert len(rows(NativeBalance, NativeBalance.contract == "vault")) == 1  # recorded once, never changed


@anvil
def test_a_transaction_mined_again_in_another_block_moves_with_it(chain):
    """A log whose transaction a reorg puts in another block is stored again with that block."""
    index_network(NETWORK)
    with chain.economy() as economy:
        snapshot = economy.snapshot()
        asset, registration = economy.register(7, MODEL, "moved", [(7, 10_000, TRAINER)])
        raw = economy.raw_transaction(registration.txn_hash)
    index_network(NETWORK)
    [before] = rows(Asset, Asset.asset_id == asset)
    with chain.economy() as economy:
        economy.revert(snapshot)
        economy.mine()
        assert economy.send_raw_transaction(raw) == registration.block_number + 1
    report = index_network(NETWORK)
    assert report.reinserted == report.removed == len(registration.logs) == 4
    moved = rows(ChainEvent, ChainEvent.tx_hash == registration.txn_hash)
    assert {(e.block_number, e.block_hash) for e in moved} == {
        (registration.block_number + 1, block_hash(chain, registration.block_number + 1))
    }
    [registered] = [e for e in moved if e.event == "AssetRegistered"]
    [after] = rows(Asset, Asset.asset_id == asset)
    assert (after.event_id, after.registered_at) == (registered.id, registered.block_timestamp)
    assert after.content_hash == before.content_hash
    assert_follows_chain(chain)


@anvil
def test_a_reorg_deeper_than_the_window_walks_back_to_a_stored_block(chain, settings_env):
    """When the checkpoint's block changed below the window, the run reads again from the highest
    stored block the chain still has."""
    settings_env(SAHARA_INDEXER_REORG_WINDOW="2")
    index_network(NETWORK)
    with chain.economy() as economy:
        snapshot = economy.snapshot()
        asset, registration = economy.register(4, DATASET, "deep-a", [(4, 10_000, CREATOR)])
        economy.mine(5)
    index_network(NETWORK)
    with chain.economy() as economy:
        economy.revert(snapshot)
        economy.register(6, AGENT, "deep-b", [(6, 10_000, CREATOR)])
        economy.mine(8)  # longer than before the reorg
    report = index_network(NETWORK)
    assert any("deeper than the window of 2 blocks" in note for note in report.notes)
    assert rows(ChainEvent, ChainEvent.tx_hash == registration.txn_hash) == []
    assert [a.content_hash for a in rows(Asset, Asset.asset_id == asset)] == [
        "0x" + keccak(text="deep-b").hex()
    ]
    assert_follows_chain(chain)


@anvil
def test_a_chain_without_any_stored_block_is_refused_until_rebuilt(chain, settings_env):
    """If no stored block is on the chain any more (a reset chain), the run stops and says to rebuild."""
    settings_env(SAHARA_INDEXER_REORG_WINDOW="4")
    index_network(NETWORK)
    other = "0x" + "ee" * 32
    with session_scope() as session:
        session.exec(update(ChainEvent).values(block_hash=other))
        session.exec(update(IndexerCheckpoint).values(block_hash=other))
    with pytest.raises(IndexerError, match="none of the .* blocks stored for chain 31971 .*--rebuild"):
        index_network(NETWORK)
    report = index_network(NETWORK, rebuild=True)
    assert report.notes[0].startswith("rebuild: ")
    assert report.projected["asset"] == len(rows(Asset)) >= 3
    assert_follows_chain(chain)


@anvil
def test_the_index_command_prints_progress_and_a_summary(chain):
    """`sahara index` prints each block range and a summary; a second run finds nothing new."""
    runner = CliRunner()
    first = runner.invoke(cli, ["index", "--network", NETWORK], catch_exceptions=False)
    assert first.exit_code == 0, first.output
    assert "new events (" in first.output and "registry" in first.output
    assert f"chain {CHAIN_ID}: head" in first.output and "derived rows     asset" in first.output
    again = runner.invoke(
        cli, ["index", "--network", NETWORK, "--confirmations", "1"], catch_exceptions=False
    )
    assert "new events       0" in again.output and "(1 confirmations)" in again.output
    assert "0 removed" in again.output


@anvil
def test_a_chain_without_a_deployment_record_gets_a_clear_error(chain, settings_env, tmp_path):
    """Indexing a chain whose deployment is not recorded says how to deploy."""
    settings_env(SAHARA_DATA_DIR=str(tmp_path / "empty"))
    with pytest.raises(IndexerError, match=f"no deployment is recorded for chain {CHAIN_ID}.*sahara deploy"):
        index_network(NETWORK)


@anvil
def test_a_run_cut_short_resumes_where_it_stopped(chain, settings_env):
    """Each block range is committed with its checkpoint: after a crash the next run goes on from there."""
    settings_env(SAHARA_INDEXER_CHUNK_BLOCKS="10", SAHARA_INDEXER_REORG_WINDOW="3")

    class Crash(Exception):
        pass

    def crash_after_two_ranges(chunk, seen=[]):  # noqa: B006 - one list for the one run
        seen.append(chunk)
        if len(seen) == 2:
            raise Crash

    with pytest.raises(Crash):
        index_network(NETWORK, progress=crash_after_two_ranges)
    assert {c.block_number for c in rows(IndexerCheckpoint)} == {19}
    assert max(e.block_number for e in rows(ChainEvent)) <= 19
    report = index_network(NETWORK)
    assert report.blocks_read == report.head - 17 + 1  # the window (17-19), then the rest
    assert_follows_chain(chain)


@anvil
def test_a_node_refusing_wide_ranges_gets_narrower_ones(chain, monkeypatch):
    """A refused eth_getLogs range is halved until the node answers; a refused single block is an error."""
    original, asked = ChainReader.logs, []

    def picky(self, addresses, first, last):
        asked.append((first, last))
        if last - first + 1 > 8:
            raise ValueError("query returned more than 10000 results")
        return original(self, addresses, first, last)

    monkeypatch.setattr(ChainReader, "logs", picky)
    report = index_network(NETWORK)
    answered = [(first, last) for first, last in asked if last - first + 1 <= 8]
    assert asked[0] == (0, report.head) and len(answered) < len(asked)
    assert [first for first, _ in answered] == [0] + [last + 1 for _, last in answered[:-1]]
    assert answered[-1][1] == report.head
    assert_follows_chain(chain)

    monkeypatch.setattr(
        ChainReader, "logs", lambda self, addresses, first, last: picky(self, addresses, 0, 99)
    )
    with pytest.raises(IndexerError, match="refused eth_getLogs for block .* more than 10000 results"):
        index_network(NETWORK, rebuild=True)


@anvil
def test_a_reorg_during_a_run_reads_the_changed_blocks_again(chain, settings_env):
    """Blocks committed earlier in the same run that a reorg changes are read again before it ends."""
    settings_env(SAHARA_INDEXER_CHUNK_BLOCKS="5", SAHARA_INDEXER_REORG_WINDOW="2")
    with chain.economy() as economy:
        snapshot = economy.snapshot()
        asset, registration = economy.register(4, DATASET, "during-a", [(4, 10_000, CREATOR)])
        economy.mine(12)
    reorged = []

    def reorg_once(chunk):
        if not reorged and chunk.last_block >= registration.block_number:
            reorged.append(chunk.last_block)
            rpc(chain.node.uri, "evm_revert", snapshot)
            rpc(
                chain.node.uri,
                "eth_sendTransaction",
                {"from": dev(1).address, "to": dev(8).address, "value": "0x1"},
            )
            for _ in range(14):
                rpc(chain.node.uri, "evm_mine")

    report = index_network(NETWORK, progress=reorg_once)
    assert reorged and any("changed (a reorg)" in note for note in report.notes)
    assert rows(ChainEvent, ChainEvent.tx_hash == registration.txn_hash) == []
    assert rows(Asset, Asset.asset_id == asset) == []
    assert_follows_chain(chain)


@anvil
def test_a_contract_deployed_again_elsewhere_loses_its_old_events(chain, settings_env, tmp_path):
    """When the record moves a contract to a new address, its old events and checkpoint go; it is
    indexed again from the start while the others resume."""
    index_network(NETWORK)
    shutil.copytree(chain.data_dir / "deployments", tmp_path / "moved" / "deployments")
    path = tmp_path / "moved" / "deployments" / f"{CHAIN_ID}.json"
    record = json.loads(path.read_text())
    old, new = record["contracts"]["payouts"], to_checksum_address("0x" + "12" * 20)
    record["contracts"]["payouts"] = new
    path.write_text(json.dumps(record))
    settings_env(SAHARA_DATA_DIR=str(tmp_path / "moved"))
    stored = len(rows(ChainEvent, ChainEvent.contract == "payouts"))
    report = index_network(NETWORK)
    assert report.notes == [f"payouts moved from {old} to {new}: its {stored} stored events were dropped"]
    assert stored > 0 and rows(ChainEvent, ChainEvent.contract == "payouts") == []
    assert [d.address for d in rows(Deployment, Deployment.contract == "payouts")] == [new]
    assert {c.block_number for c in rows(IndexerCheckpoint)} == {report.head}


@anvil
def test_a_first_index_off_local_chains_starts_at_the_deployment_time(deployed):
    """Off local chains a first run starts at the first block as late as the recorded genesis time."""
    with deployed.economy() as economy:
        reader = ChainReader(economy.chain.provider.web3)
        head = reader.head()
        stamps = [reader.block(number).timestamp for number in range(head + 1)]
        for moment in {stamps[0] - 1, stamps[1], stamps[1] + 1, stamps[head // 2], stamps[head]}:
            expected = next(number for number, stamp in enumerate(stamps) if stamp >= moment)
            assert first_block_after(reader, moment, head) == expected
        assert first_block_after(reader, stamps[head] + 1, head) == head
