"""Royalty settlement end to end on a real anvil chain: index, meter, settle, publish, verify, prove,
claim; idempotent reruns and crashes between the steps, on SQLite and PostgreSQL."""

import json

import pytest
from anvil_chain import (
    AGENT,
    API,
    BUYER,
    CREATOR,
    DATASET,
    MODEL,
    NETWORK,
    OPERATOR,
    PERPETUAL,
    TRAINED_ON,
    USES,
    deployed_chain,
    dev,
)
from click.testing import CliRunner

from sahara_dao.core.chain import connect
from sahara_dao.core.cli import cli
from sahara_dao.core.db import session_scope
from sahara_dao.core.indexer import index_network
from sahara_dao.core.units import UNIT
from sahara_dao.token.epochs import SettlementError
from sahara_dao.token.intake import ingest_usage
from sahara_dao.token.models import Epoch
from sahara_dao.token.settlement import ROOT_PUBLISHED, ChainContext, claim, claim_proof, settle, verify_epoch

CHAIN_ID = 31973
pytestmark = pytest.mark.anvil


@pytest.fixture(scope="module")
def economy_chain(tmp_path_factory, genesis, params):
    """A deployed chain with a dataset <- model <- agent, one license sold for each, and the
    operator funded for pay-per-use deposits; a snapshot to return to before every test."""
    with deployed_chain(tmp_path_factory.mktemp("settlement"), CHAIN_ID, genesis, params) as chain:
        with chain.economy() as economy:
            dataset, _ = economy.register(4, DATASET, "data", [(4, 6000, CREATOR), (5, 4000, CREATOR)])
            model, _ = economy.register(5, MODEL, "model", [(5, 10_000, CREATOR)], [(dataset, TRAINED_ON, 2000)])
            agent, _ = economy.register(6, AGENT, "agent", [(6, 10_000, CREATOR)], [(model, USES, 1000)])
            for asset, owner, kind, price in ((dataset, 4, PERPETUAL, 1000), (agent, 6, API, 100)):
                economy.buy(economy.offer(owner, asset, kind, 0, 1000 if kind == API else 0, price * UNIT))
            economy.token.transfer(dev(OPERATOR).address, 10_000 * UNIT, sender=dev(BUYER))
            facts = {"assets": (dataset, model, agent), "delay": economy.vault.activationDelay(),
                     "snapshot": economy.snapshot()}  # fmt: skip
        yield chain, facts


@pytest.fixture
def ready(economy_chain, db_url, settings_env):
    """The chain back at its snapshot, indexed into a fresh database; yields (chain, facts)."""
    chain, facts = economy_chain
    settings_env(**chain.env())
    with chain.economy() as economy:
        economy.revert(facts["snapshot"])
        facts["snapshot"] = economy.snapshot()
    index_network(NETWORK)
    return chain, facts


def now(chain) -> int:
    """The earliest time the next block can have (anvil's clock runs ahead when it mines fast)."""
    with chain.economy() as economy:
        return economy.chain.blocks.head.timestamp + 1


def meter(chain, facts, requests: int, price: int, at: int, tag: str = "r") -> None:
    _, model, _ = facts["assets"]
    records = [{"request_id": f"{tag}{n}", "chain_id": CHAIN_ID, "asset_id": model, "account": dev(BUYER).address,
                "units": 1, "amount": price, "occurred_at": at} for n in range(requests)]  # fmt: skip
    records.append({"request_id": f"{tag}-bad", "chain_id": CHAIN_ID, "asset_id": model, "amount": 1.5})
    with session_scope() as session:
        ingest_usage(session, records, received_at=at)


def run_settle(**kwargs):
    with connect(NETWORK):
        return settle(ChainContext(), **kwargs)


def published_roots(chain, epoch: int) -> int:
    with connect(NETWORK):
        ctx = ChainContext()
        logs = ctx.chain.provider.web3.eth.get_logs(
            {"address": ctx.vault.address, "fromBlock": 0, "topics": [ROOT_PUBLISHED]}
        )
        return sum(1 for log in logs if int.from_bytes(bytes(log["topics"][1]), "big") == epoch)


def test_an_epoch_is_settled_published_verified_and_claimed(ready):
    """License fees and metered usage are split through lineage, the root goes on chain exactly once,
    the file reproduces it, and a contributor claims exactly its cumulative amount."""
    chain, facts = ready
    end = now(chain)
    meter(chain, facts, requests=5, price=2 * UNIT, at=end - 10)
    outcome = run_settle(epoch=1, window=(0, end))
    assert (outcome.status, outcome.computed_now, outcome.published_now) == ("published", True, True)
    assert outcome.earned == 1_100 * UNIT + 10 * UNIT  # two licenses + five paid requests
    assert outcome.funded == 10 * UNIT  # the pay-per-use fees were deposited once
    with session_scope() as session:
        row = session.get(Epoch, (CHAIN_ID, 1))
        assert (row.license_revenue, row.usage_revenue, row.usage_events, row.quarantined) == (
            1_100 * UNIT, 10 * UNIT, 5, 1)  # fmt: skip
    again = run_settle(epoch=1, window=(0, end))
    assert (again.root, again.computed_now, again.published_now, again.funded) == (outcome.root, False, False, 0)
    assert published_roots(chain, 1) == 1
    with connect(NETWORK):
        ctx = ChainContext()
        assert verify_epoch(ctx, 1).ok
        ctx.chain.mine(deltatime=facts["delay"] + 1)
        proof = claim_proof(ctx, dev(5).address)
        # dev 5 holds 40% of the dataset and all of the model. After the 5% fee: the agent's license
        # (95) sends 10% to the model, which with its usage fees (9.5) sends 20% to the dataset.
        model_in = 10 * UNIT * 95 // 100 + 100 * UNIT * 95 // 100 // 10
        dataset_in = 1000 * UNIT * 95 // 100 + model_in * 20 // 100
        model_kept = model_in - model_in * 20 // 100
        assert proof.cumulative == dataset_in * 4000 // 10_000 + model_kept and proof.claimed == 0
        before = ctx.token.balanceOf(dev(5).address)
        claim(ctx, dev(5).address, dev(OPERATOR))
        assert ctx.token.balanceOf(dev(5).address) - before == proof.cumulative
        assert claim_proof(ctx, dev(5).address).claimable == 0
        with pytest.raises(SettlementError, match="already claimed"):
            claim(ctx, dev(5).address, dev(OPERATOR))


def test_the_fee_is_the_one_the_dao_set_on_the_vault(ready):
    """Settlement takes the protocol fee from the vault, where governance changes it (here the
    timelock, impersonated, sets 10%), not from the parameters file (5%)."""
    from anvil_chain import rpc

    chain, _ = ready
    with chain.economy() as economy:
        timelock = chain.record.address("timelock")
        rpc(chain.node.uri, "anvil_impersonateAccount", timelock)
        rpc(chain.node.uri, "anvil_setBalance", timelock, hex(UNIT))
        data = "0x" + bytes(economy.vault.setProtocolFeeBps.encode_input(1000)).hex()
        rpc(chain.node.uri, "eth_sendTransaction", {"from": timelock, "to": economy.vault.address, "data": data})
        rpc(chain.node.uri, "anvil_stopImpersonatingAccount", timelock)
        assert economy.vault.protocolFeeBps() == 1000
    index_network(NETWORK)
    outcome = run_settle(epoch=1, window=(0, now(chain)), publish=False)
    with session_scope() as session:
        row = session.get(Epoch, (CHAIN_ID, 1))
        assert (outcome.earned, row.protocol_fee) == (1_100 * UNIT, 110 * UNIT)


def test_a_crash_between_computing_and_publishing_publishes_the_stored_root(ready):
    """A computed but unpublished epoch is published as stored, once."""
    chain, _ = ready
    end = now(chain)
    computed = run_settle(epoch=1, window=(0, end), publish=False)
    assert (computed.status, computed.published_now) == ("computed", False)
    resumed = run_settle(epoch=1, window=(0, end))
    assert (resumed.root, resumed.computed_now, resumed.published_now) == (computed.root, False, True)
    assert published_roots(chain, 1) == 1


def test_a_crash_after_the_transaction_records_the_root_found_on_chain(ready):
    """The root was sent but never recorded: the rerun finds it on chain and sends nothing."""
    chain, _ = ready
    computed = run_settle(epoch=1, window=(0, now(chain)), publish=False)
    with connect(NETWORK):
        ctx = ChainContext()
        sent = ctx.vault.publishRoot(1, computed.root, computed.total, sender=dev(OPERATOR))
    resumed = run_settle(epoch=1, window=computed.window)
    assert (resumed.status, resumed.published_now) == ("published", False)
    assert published_roots(chain, 1) == 1
    with session_scope() as session:
        assert session.get(Epoch, (CHAIN_ID, 1)).publish_tx == sent.txn_hash


def test_the_next_epoch_adds_to_the_cumulative_balances(ready):
    """Epoch 2 starts where epoch 1 ended; gaps, overlaps and an unpublished predecessor are refused."""
    chain, facts = ready
    first = run_settle(epoch=1, window=(0, now(chain)))
    with pytest.raises(SettlementError, match="must start where epoch 1 ended"):
        run_settle(epoch=2, window=(first.window[1] + 1, now(chain) + 10))
    with chain.economy() as economy:
        economy.chain.mine(deltatime=facts["delay"] + 1)  # let epoch 1's root activate
        economy.buy(economy.offer(4, facts["assets"][0], PERPETUAL, 0, 0, 300 * UNIT))
    index_network(NETWORK)
    second = run_settle(epoch=2, window=(first.window[1], now(chain)))
    assert second.earned == 300 * UNIT and second.total == first.total + 300 * UNIT
    with pytest.raises(SettlementError, match="rerun it with its own window"):
        run_settle(epoch=1, window=(5, 6))


def test_a_window_beyond_the_indexed_blocks_is_refused(ready):
    """A license sold after the last indexing run would be missed: settling past it is refused."""
    chain, facts = ready
    with chain.economy() as economy:
        economy.buy(economy.offer(4, facts["assets"][0], PERPETUAL, 0, 0, 7 * UNIT))
        economy.mine(3)
    with pytest.raises(SettlementError, match="run `sahara index` again"):
        run_settle(epoch=1, window=(0, now(chain) + 3600))


def test_verification_fails_when_the_file_and_the_chain_disagree(ready):
    """A tampered epoch file no longer reproduces the on-chain root."""
    chain, _ = ready
    outcome = run_settle(epoch=1, window=(0, now(chain)))
    document = json.loads(open(outcome.epoch_file).read())
    document["inputs"]["license_revenue"] = {k: str(int(v) + 1) for k, v in document["inputs"]["license_revenue"].items()}
    with open(outcome.epoch_file, "w") as out:
        json.dump(document, out)
    with connect(NETWORK):
        result = verify_epoch(ChainContext(), 1)
    assert not result.ok and result.chain_root == outcome.root != result.file_root


def test_the_commands_settle_verify_prove_and_claim(ready):
    """`sahara settle`, `verify-epoch`, `proof` and `claim` from the command line."""
    chain, facts = ready
    runner = CliRunner()
    end = str(now(chain))
    result = runner.invoke(cli, ["settle", "--chain", "ethereum", "--epoch", "1", "--window", "0", end])
    assert result.exit_code == 0, result.output
    assert "published epoch 1 root" in result.output and "chain 31973 epoch 1" in result.output
    rerun = runner.invoke(cli, ["settle", "--chain", "ethereum", "--epoch", "1", "--window", "0", end])
    assert "already published: nothing to publish" in rerun.output
    verified = runner.invoke(cli, ["verify-epoch", "--chain", "ethereum", "--epoch", "1"])
    assert verified.exit_code == 0 and "verified" in verified.output, verified.output
    with chain.economy() as economy:
        economy.chain.mine(deltatime=facts["delay"] + 1)
    proof = runner.invoke(cli, ["proof", dev(4).address, "--chain", "ethereum", "--json"])
    assert proof.exit_code == 0, proof.output
    document = json.loads(proof.output)
    assert document["epoch"] == 1 and int(document["cumulative"]) > 0 and document["claimed"] == "0"
    claimed = runner.invoke(cli, ["claim", "--chain", "ethereum", "--account", "dev:4"])
    assert claimed.exit_code == 0 and "claimed" in claimed.output, claimed.output
    again = runner.invoke(cli, ["claim", "--chain", "ethereum", "--account", "dev:4"])
    assert again.exit_code != 0 and "already claimed" in str(again.exception)


def test_an_epoch_without_earnings_keeps_the_previous_root(ready):
    """Nothing sold in the window: the epoch is recorded as empty, nothing is published, the vault keeps
    the previous root (which the file verifies against), and the next epoch publishes normally."""
    chain, facts = ready
    first = run_settle(epoch=1, window=(0, now(chain)))
    with chain.economy() as economy:
        economy.chain.mine(timestamp=first.window[1] + 5)  # a later block, whatever anvil's clock says
    index_network(NETWORK)
    empty = run_settle(epoch=2, window=(first.window[1], now(chain)))
    assert (empty.status, empty.published_now, empty.root, empty.earned) == ("empty", False, first.root, 0)
    with connect(NETWORK):
        assert verify_epoch(ChainContext(), 2).ok
    with chain.economy() as economy:
        economy.chain.mine(deltatime=facts["delay"] + 1)
        economy.buy(economy.offer(4, facts["assets"][0], PERPETUAL, 0, 0, 3 * UNIT))
    index_network(NETWORK)
    third = run_settle(epoch=3, window=(empty.window[1], now(chain)))
    assert third.published_now and third.total == first.total + 3 * UNIT


def test_a_run_cut_between_two_chains_resumes_without_publishing_twice(tmp_path, genesis, params, db_url,
                                                                        settings_env):  # fmt: skip
    """`sahara settle --chain ethereum --chain bsc` stops at bsc (not indexed yet); the rerun leaves
    ethereum's published epoch alone and settles bsc."""
    with deployed_chain(tmp_path, 31981, genesis, params) as eth, \
            deployed_chain(tmp_path, 31982, genesis, params, ecosystem="bsc") as bsc:  # fmt: skip
        settings_env(**eth.env(bsc))
        for deployed in (eth, bsc):
            with deployed.economy() as economy:
                dataset, _ = economy.register(4, DATASET, "data", [(4, 10_000, CREATOR)])
                economy.buy(economy.offer(4, dataset, PERPETUAL, 0, 0, 50 * UNIT))
        end = max(now(eth), now(bsc)) + 10
        for deployed in (eth, bsc):  # one block at the same time on both chains closes the window
            with deployed.economy() as economy:
                economy.chain.mine(timestamp=end - 1)
        index_network(eth.network)
        runner = CliRunner()
        command = ["settle", "--chain", "ethereum", "--chain", "bsc", "--epoch", "1", "--window", "0", str(end)]
        first = runner.invoke(cli, command)
        assert first.exit_code != 0 and "never indexed" in str(first.exception)
        assert "published epoch 1 root" in first.output and "chain 31981 epoch 1" in first.output
        index_network(bsc.network)
        again = runner.invoke(cli, command)
        assert again.exit_code == 0, again.output
        assert "epoch 1 on chain 31981 is already published: nothing to publish" in again.output
        assert again.output.count("published epoch 1 root") == 1 and "chain 31982 epoch 1" in again.output
        for deployed in (eth, bsc):
            with deployed.economy() as economy:
                assert economy.vault.lastEpoch() == 1
