"""Voting power from a real indexed chain, and a whole poll on it (anvil, the contract set, `sahara index`)."""

import pytest
from anvil_chain import BUYER, demo_economy, deployed_chain, dev

from sahara_dao.core.contracts import project
from sahara_dao.core.db import session_scope
from sahara_dao.core.indexer import index_network
from sahara_dao.core.units import UNIT
from sahara_dao.governance.polls import latest_indexed_blocks, run_poll, verify
from sahara_dao.governance.spaces import SpaceSettings
from sahara_dao.governance.strategies import snapshot_states, voting_power

CHAIN_ID = 31985
DELEGATOR, DELEGATE, STAKER = 8, 3, 7
anvil = pytest.mark.anvil


@pytest.fixture(scope="module")
def polled_chain(tmp_path_factory, genesis, params):
    """The demo's economy in small, plus a delegation and a stake."""
    with deployed_chain(tmp_path_factory.mktemp("polls"), CHAIN_ID, genesis, params) as chain:
        with chain.economy() as economy:
            demo_economy(economy)
            token = economy.token
            staking = project().SaharaStaking.at(chain.record.address("staking"))
            token.transfer(dev(DELEGATOR).address, 1_000 * UNIT, sender=dev(BUYER))
            token.invoke_transaction("delegate", dev(DELEGATE).address, sender=dev(DELEGATOR))
            token.transfer(dev(STAKER).address, 500 * UNIT, sender=dev(BUYER))
            token.approve(staking.address, 200 * UNIT, sender=dev(STAKER))
            staking.stake(200 * UNIT, dev(STAKER).address, sender=dev(STAKER))
            onchain = {
                i: (token.balanceOf(dev(i).address), staking.stakedOf(dev(i).address)) for i in range(10)
            }
        yield chain, onchain


def space(chain_id: int) -> SpaceSettings:
    return SpaceSettings.parse({
        "id": "sahara.eth", "network": chain_id, "chains": [chain_id],
        "strategies": [{"name": "erc20-balance-of"}, {"name": "delegation"}, {"name": "staked-sahara"},
                       {"name": "receipt-holders", "params": {"amount": 1000}}],
        "voting": {"type": "ranked-choice"}, "validation": {"name": "basic", "params": {"minScore": 1}},
    })  # fmt: skip


@anvil
def test_power_from_the_index_equals_the_chain_and_a_poll_runs_on_it(polled_chain, db_url, settings_env):
    """Balances and stakes computed from indexed events equal balanceOf and stakedOf; the delegate
    speaks for the delegator; contributors vote by their receipts; the tally verifies."""
    chain, onchain = polled_chain
    settings_env(**chain.env())
    index_network(chain.network)
    settings = space(CHAIN_ID)
    with session_scope() as session:
        blocks = latest_indexed_blocks(session, settings)
        states = snapshot_states(session, blocks, settings.strategies)
        addresses = [dev(i).address for i in range(10)]
        powers = voting_power(states, settings.strategies, addresses, voters=addresses[:DELEGATOR])
        for i, address in enumerate(addresses):
            balance, staked = onchain[i]
            assert powers[address].by_strategy(4)[0] == balance, i
            assert powers[address].by_strategy(4)[2] == staked, i
        assert powers[dev(DELEGATE).address].by_strategy(4)[1] == onchain[DELEGATOR][0]
        assert powers[dev(4).address].by_strategy(4)[3] == 400 * UNIT  # 40% of the dataset
        assert powers[dev(6).address].by_strategy(4)[3] == 1150 * UNIT  # 25% of the dataset, 90% of the agent

        ballots = [(dev(i).private_key, choice) for i, choice in
                   ((BUYER, [1, 2, 3]), (DELEGATE, [3, 1, 2]), (4, [2, 1, 3]), (5, [2, 3, 1]), (6, [3, 2, 1]))]  # fmt: skip
        proposal, result, votes = run_poll(
            session, settings, proposer_key=dev(BUYER).private_key, title="Next grant round",
            choices=["Datasets", "Models", "Agents"], ballots=ballots,
        )  # fmt: skip
        assert [v.status for v in votes] == ["accepted"] * 5
        assert result.state == "final" and result.votes == 5
        assert int(result.vp_by_strategy[1]) == onchain[DELEGATOR][0]  # the delegator did not vote
        assert int(result.vp_by_strategy[3]) == (400 + 350 + 1000 + 1150) * UNIT
        assert sum(result.scores) == pytest.approx(result.scores_total)
        assert verify(session, proposal.id, recompute_power=True).ok
