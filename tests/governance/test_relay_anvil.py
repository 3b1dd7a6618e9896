"""The gasless vote relay on a real anvil node, driven through `sahara gov relay ...` and
`sahara gov sign-vote / sign-delegation`, and the canonical Multicall3 of non-local networks."""

import json

import pytest
from click.testing import CliRunner
from relay_scenario import EXPECTED, REASON_B, REASON_C, build, expected_tally, mixed_envelopes

from sahara_dao.core.accounts import load_account
from sahara_dao.core.chain import connect
from sahara_dao.core.cli import cli
from sahara_dao.core.deployments import DeploymentStore
from sahara_dao.core.nodes import AnvilNode, free_port
from sahara_dao.core.settings import get_settings
from sahara_dao.core.units import UNIT
from sahara_dao.governance.deploy import CANONICAL_MULTICALL3, MULTICALL3, deploy_dao
from sahara_dao.governance.relay import RelayContracts

pytestmark = pytest.mark.anvil

NETWORK = "ethereum:local:foundry"
CHAIN_ID = 31977


@pytest.fixture
def anvil(settings_env, tmp_path):
    node = AnvilNode(port=free_port(), chain_id=CHAIN_ID).start()
    relay_file = tmp_path / "relay.yaml"
    relay_file.write_text("min_voting_power: 1_000\nballots_per_proposal: 1\n")
    settings_env(
        SAHARA_LOCAL_CHAINS=json.dumps({"ethereum": {"port": node.port, "chain_id": CHAIN_ID}}),
        SAHARA_RELAY_FILE=str(relay_file),
    )
    yield node
    node.stop()


def invoke(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False, standalone_mode=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_the_relay_commands_cast_valid_ballots_and_report_invalid_ones(anvil, tmp_path):
    """submit a mixed batch, run, check the chain, rerun (nothing sent), status; then a delegation."""
    invoke("deploy", "--network", NETWORK)
    from ape import accounts, chain

    record = DeploymentStore(get_settings().deployments_dir).load(CHAIN_ID)
    with connect(NETWORK):
        contracts = RelayContracts.from_record(record)
        dev = {i: load_account(f"dev:{i}", local=True) for i in range(10)}
        scenario = build(chain, contracts, dev, accounts.test_accounts.generate_test_account())
        ballots = tmp_path / "ballots.json"
        ballots.write_text(json.dumps(list(mixed_envelopes(scenario).values())))

    out = invoke("gov", "relay", "submit", str(ballots), "--network", NETWORK)
    lines = out.splitlines()
    assert lines[-1] == "3 accepted, 9 rejected"
    for line, (label, code) in zip(lines, EXPECTED.items(), strict=False):
        assert (f"{code}: " in line) if code else (" pending " in line), (label, line)

    out = invoke("gov", "relay", "run", "--network", NETWORK, "--batch-size", "50")
    assert "3 cast, 0 failed, 0 rejected in 1 transaction" in out
    tx_hash = out.split("batch of 3: sending ")[1].split()[0]
    with connect(NETWORK):
        governor = contracts.governor
        assert tuple(governor.proposalVotes(scenario.proposal)) == expected_tally()
        receipt = chain.get_receipt(tx_hash)
        events = list(receipt.events.filter(governor.VoteCast)) + list(
            receipt.events.filter(governor.VoteCastWithParams)
        )
        assert sorted(e.reason for e in events) == sorted(["", REASON_B, REASON_C])
        assert all(governor.hasVoted(scenario.proposal, dev[i].address) for i in (3, 4, 5))

    assert "0 cast, 0 failed, 0 rejected in 0 transactions" in invoke(
        "gov", "relay", "run", "--network", NETWORK
    )
    status = invoke("gov", "relay", "status", "--network", NETWORK)
    assert status.splitlines()[0] == "3 cast, 9 rejected"
    assert "below-minimum: 10 SAHARA is below the relay's minimum of 1,000" in status

    delegation = tmp_path / "delegation.json"
    invoke("gov", "sign-delegation", "--network", NETWORK, "--account", "dev:7", "--to", dev[4].address,
           "--expires-in", "1h", "--out", str(delegation))  # fmt: skip
    out = invoke("gov", "relay", "submit", str(delegation), "--network", NETWORK)
    assert "below-minimum" in out  # dev 7 holds 10 SAHARA
    invoke("gov", "sign-delegation", "--network", NETWORK, "--account", "dev:3", "--to", dev[4].address,
           "--out", str(delegation))  # fmt: skip
    assert "1 accepted, 0 rejected" in invoke("gov", "relay", "submit", str(delegation), "--network", NETWORK)
    assert "1 cast, 0 failed" in invoke("gov", "relay", "run", "--network", NETWORK)
    with connect(NETWORK):
        token = contracts.token
        assert token.delegates(dev[3].address) == dev[4].address
        assert token.getVotes(dev[4].address) == 5_000 * UNIT + 500_000_000 * UNIT

    ballot = tmp_path / "ballot.json"
    invoke("gov", "sign-vote", str(scenario.side), "against", "--network", NETWORK, "--account", "dev:4",
           "--reason", "signed from the CLI", "--out", str(ballot))  # fmt: skip
    assert json.loads(ballot.read_text())["primaryType"] == "ExtendedBallot"
    invoke("gov", "relay", "submit", str(ballot), "--network", NETWORK)
    assert "1 cast" in invoke("gov", "relay", "run", "--network", NETWORK)
    with connect(NETWORK):
        assert contracts.governor.hasVoted(scenario.side, dev[4].address)


def test_a_non_local_deployment_records_the_canonical_multicall3(settings_env, genesis, params, tmp_path):
    """Where the canonical Multicall3 has code, a non-local deployment records its address, deploying none."""
    node = AnvilNode(port=free_port(), chain_id=CHAIN_ID + 1).start()
    try:
        with connect(NETWORK, host=node.uri):
            from ape import chain, project

            ours = project.Multicall3.deploy(sender=load_account("dev:0", local=True))
            code = chain.provider.get_code(ours.address)
            chain.provider.make_request("anvil_setCode", [CANONICAL_MULTICALL3, "0x" + bytes(code).hex()])
            record = deploy_dao(sender=load_account("dev:0", local=True), genesis=genesis, params=params,
                                store=DeploymentStore(tmp_path / "deployments"), network=NETWORK, local=False)  # fmt: skip
            assert record.address(MULTICALL3) == CANONICAL_MULTICALL3
            assert RelayContracts.from_record(record).multicall.aggregate3.call([]) == []
    finally:
        node.stop()
