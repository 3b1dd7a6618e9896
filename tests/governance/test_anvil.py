"""The deployment and a proposal lifecycle on real anvil nodes (ethereum and bsc ecosystems), each
started by this test on 127.0.0.1 with its own chain id and stopped afterwards."""

import json
import re

import pytest
from click.testing import CliRunner
from sqlmodel import select

from sahara_dao.core.chain import connect
from sahara_dao.core.cli import cli
from sahara_dao.core.contracts import project
from sahara_dao.core.db import session_scope
from sahara_dao.core.deployments import DeploymentStore
from sahara_dao.core.nodes import AnvilNode, free_port, rpc_chain_id
from sahara_dao.core.settings import get_settings
from sahara_dao.core.units import UNIT
from sahara_dao.governance import intents, lifecycle
from sahara_dao.governance.errors import ProposalError
from sahara_dao.governance.models import GovProposal, GovTimelockExecution

pytestmark = pytest.mark.anvil

CHAIN_IDS = {"ethereum": 31901, "bsc": 31956}


@pytest.fixture
def nodes(settings_env):
    started = {
        eco: AnvilNode(port=free_port(), chain_id=chain_id).start() for eco, chain_id in CHAIN_IDS.items()
    }
    settings_env(SAHARA_LOCAL_CHAINS=json.dumps(
        {eco: {"port": node.port, "chain_id": node.chain_id} for eco, node in started.items()}
    ))  # fmt: skip
    yield started
    for node in started.values():
        node.stop()
    assert all(rpc_chain_id(node.uri) is None for node in started.values())


def invoke(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False, standalone_mode=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_deploy_on_both_ecosystems_then_run_a_proposal(nodes):
    """`sahara deploy` records each chain under its own id; a rerun changes nothing; a grant executes."""
    out = invoke("deploy", "--network", "ethereum:local:foundry")
    assert "deployment on chain 31901 (ethereum:local:foundry): complete" in out
    out = invoke("deploy", "--network", "bsc:local:foundry")
    assert "deployment on chain 31956 (bsc:local:foundry): complete" in out
    again = invoke("deploy", "--network", "ethereum:local:foundry")
    assert "nothing to do" in again and "timelock " not in again.split("verified")[0]

    store = DeploymentStore(get_settings().deployments_dir)
    ethereum, bsc = store.load(31901), store.load(31956)
    assert ethereum.network == "ethereum:local:foundry" and bsc.network == "bsc:local:foundry"

    from ape import accounts, chain

    with connect("ethereum:local:foundry"):
        assert chain.chain_id == 31901
        token = project().SaharaToken.at(ethereum.address("token"))
        governor = project().SaharaGovernor.at(ethereum.address("governor"))
        community, recipient = accounts.test_accounts[2], accounts.test_accounts[8]
        lifecycle.delegate(token, community.address, community)
        chain.mine(deltatime=1)
        grant = intents.treasury_transfer(
            intents.load_dao(ethereum.contracts), recipient=recipient.address, amount=7 * UNIT,
            description="Grant on anvil",
        )  # fmt: skip
        proposal_id = lifecycle.propose(governor, grant, community)
        chain.mine(deltatime=governor.votingDelay() + 1)
        lifecycle.cast_vote(governor, proposal_id, lifecycle.Support.FOR, community)
        chain.mine(deltatime=lifecycle.status(governor, proposal_id).deadline - chain.pending_timestamp + 1)
        lifecycle.queue(governor, grant, community)
        chain.mine(deltatime=2 * 86400 + 1)
        lifecycle.execute(governor, grant, community)
        assert token.balanceOf(recipient) == 7 * UNIT

    with connect("bsc:local:foundry"):
        assert chain.chain_id == 31956
        bsc_token = project().SaharaToken.at(bsc.address("token"))
        assert bsc_token.balanceOf(accounts.test_accounts[8]) == 0  # the grant happened on ethereum only

    status = invoke("gov", "status", "--network", "ethereum:local:foundry", str(proposal_id))
    assert "state executed" in status and "Grant on anvil" in status


def test_a_stopped_node_and_an_unknown_network_get_clear_errors(nodes):
    """Connecting to a local chain whose node is down says how to start it; a bad name lists choices."""
    from sahara_dao.core.errors import NetworkError

    nodes["bsc"].stop()
    with pytest.raises(NetworkError, match="sahara node start bsc"), connect("bsc:local:foundry"):
        pass
    with pytest.raises(NetworkError, match="unknown network 'ethereum:nowhere'.*ethereum:local:foundry"):
        with connect("ethereum:nowhere"):
            pass


def test_a_port_in_use_is_refused(nodes):
    """Starting a second node on a port that already answers is refused with the chain id found."""
    from sahara_dao.core.errors import NetworkError

    with pytest.raises(NetworkError, match="already has a node \\(chain id 31901\\)"):
        AnvilNode(port=nodes["ethereum"].port, chain_id=1).start()


def test_an_unknown_account_is_refused_before_anything_is_deployed(nodes):
    """`--account` naming no Ape account says how to import one; nothing is recorded."""
    from sahara_dao.core.errors import AccountError

    with pytest.raises(AccountError, match="ape accounts import nobody"):
        CliRunner().invoke(cli, ["deploy", "--network", "ethereum:local:foundry", "--account", "nobody"],
                           catch_exceptions=False, standalone_mode=False)  # fmt: skip
    assert DeploymentStore(get_settings().deployments_dir).load(31901) is None


def test_development_accounts_are_refused_off_local_chains():
    """dev:N (and the default) only exist on local chains; elsewhere an Ape alias is required."""
    from sahara_dao.core.accounts import load_account
    from sahara_dao.core.errors import AccountError

    with pytest.raises(AccountError, match="--account ALIAS"):
        load_account(None, local=False)
    with pytest.raises(AccountError, match="--account ALIAS"):
        load_account("dev:3", local=False)


def _advance(uri: str, seconds: int) -> None:
    """Move the anvil node's clock forward and mine a block (plain JSON-RPC, as an operator would)."""
    import urllib.request

    for method, rpc_params in (("evm_increaseTime", [seconds]), ("evm_mine", [])):
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": rpc_params}).encode()
        request = urllib.request.Request(uri, data=body, headers={"Content-Type": "application/json"})
        urllib.request.urlopen(request, timeout=5).read()


def test_the_gov_commands_take_a_proposal_through_its_life(nodes):
    """delegate, propose, vote, queue, execute and cancel work from the command line; once indexed,
    proposals, votes and delegates come from the database."""
    network = ("--network", "ethereum:local:foundry")
    invoke("deploy", *network)
    uri = nodes["ethereum"].uri
    assert "3,500,000,000 votes" in invoke("gov", "delegate", *network, "--account", "dev:2")
    recipient = "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720"  # development account 9
    with pytest.raises(ProposalError, match="has 0 votes, the proposal threshold is 10,000,000"):
        invoke("gov", "propose", "transfer", *network, "--account", "dev:3", "--to", recipient,
               "--amount", "1", "--description", "No votes")  # fmt: skip
    assert "no proposals indexed for chain 31901: run `sahara index" in invoke("gov", "proposals", *network)
    _advance(uri, 1)
    out = invoke("gov", "propose", "transfer", *network, "--account", "dev:2", "--to", recipient,
                 "--amount", "12.5", "--description", "Grant: 12.5 SAHARA")  # fmt: skip
    proposal_id = int(out.split()[1])
    text = get_settings().data_dir / "cap.md"
    text.write_text("Cap lineage at 25%\n\nUpstream assets take at most a quarter.\n")
    out = invoke("gov", "propose", "set-param", *network, "--account", "dev:2", "lineage_share_cap", "2500",
                 "--description", f"@{text}")  # fmt: skip
    to_cancel = int(out.split()[1])
    assert f"proposal {to_cancel} canceled" in invoke(
        "gov", "cancel", *network, "--account", "dev:1", str(to_cancel)
    )

    _advance(uri, 86400 + 1)
    out = invoke("gov", "vote", *network, "--account", "dev:2", str(proposal_id), "for", "--reason", "useful")
    assert "voted for" in out
    status = invoke("gov", "status", *network, str(proposal_id))
    assert "state active" in status and "quorum 400,000,000: 875.00% reached" in status
    assert re.search(r"voting ends in (7d|6d 23h \d+m)\n", status)  # a few seconds of the 7 days have passed
    _advance(uri, 7 * 86400 + 1)
    invoke("index", *network)  # queue and execute now read the proposal's actions from the database
    assert "queued" in invoke("gov", "queue", *network, str(proposal_id))
    _advance(uri, 2 * 86400 + 1)
    assert "executed" in invoke("gov", "execute", *network, str(proposal_id))

    status = invoke("gov", "status", *network, str(proposal_id))
    assert "state executed" in status and "1,999,999,987.5 SAHARA" in status
    assert "state canceled" in invoke("gov", "status", *network, str(to_cancel))

    invoke("index", *network)
    with session_scope() as session:  # the operation id computed from ProposalCreated is the timelock's
        operation = session.exec(select(GovProposal.timelock_operation).where(
            GovProposal.proposal_id == str(proposal_id))).one()  # fmt: skip
        executed = session.exec(
            select(GovTimelockExecution).where(GovTimelockExecution.operation == operation)
        ).all()
        assert len(executed) == 1
    listed = invoke("gov", "proposals", *network)
    assert listed.index(str(to_cancel)) < listed.index(str(proposal_id))  # newest first
    assert "Cap lineage at 25%\n  state canceled" in listed
    assert (
        "Grant: 12.5 SAHARA\n  state executed; for 3,500,000,000, against 0, abstain 0 (1 voters)" in listed
    )
    assert "queued" in listed and "executable" in listed
    votes = invoke("gov", "votes", *network, str(proposal_id))
    assert "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC  for" in votes and '"useful"' in votes
    history = invoke("gov", "votes", *network, "--voter", "0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc")
    assert history.startswith(f"proposal {proposal_id}  for") and '"useful"' in history
    delegates = invoke("gov", "delegates", *network)
    assert (
        "1. 0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC  " in delegates and "3,500,000,000 votes" in delegates
    )


def test_intent_commands_change_the_dao(nodes):
    """set-setting, set-param, grant-role, revoke-role, remove-guardian and a native transfer pass
    and take effect; bad intents are refused with the reason before anything is sent."""
    from ape import accounts, chain

    network = ("--network", "ethereum:local:foundry")
    invoke("deploy", *network)
    invoke("gov", "delegate", *network, "--account", "dev:2")
    uri = nodes["ethereum"].uri
    _advance(uri, 1)
    settler, recipient = (
        "0x14dC79964da2C08b23698B3D3cc7Ca32193d9955",
        "0x23618e81E3f5cdF7f54C3d65f7FBc0aBf5B21E8f",
    )
    with connect("ethereum:local:foundry"):
        accounts.test_accounts[0].transfer(DeploymentStore(get_settings().deployments_dir).load(31901)
                                           .address("timelock"), 2 * UNIT)  # fmt: skip
    commands = [
        ("set-setting", "voting_period", "5d"),
        ("set-param", "unstake_cooldown", "7d"),
        ("grant-role", "vault", "SETTLER_ROLE", settler),
        ("revoke-role", "payouts", "PAYER_ROLE", "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720"),
        ("remove-guardian",),
        ("transfer", "--native", "--to", recipient, "--amount", "1.5"),
    ]
    ids = []
    for n, command in enumerate(commands):
        out = invoke(
            "gov", "propose", *command, *network, "--account", "dev:2", "--description", f"Intent {n}"
        )
        ids.append(int(out.split()[1]))
    _advance(uri, 86400 + 1)
    for proposal_id in ids:
        invoke("gov", "vote", *network, "--account", "dev:2", str(proposal_id), "for")
    _advance(uri, 7 * 86400 + 1)
    for proposal_id in ids:
        invoke("gov", "queue", *network, str(proposal_id))
    _advance(uri, 2 * 86400 + 1)
    for proposal_id in ids:
        assert "executed" in invoke("gov", "execute", *network, str(proposal_id))

    record = DeploymentStore(get_settings().deployments_dir).load(31901)
    with connect("ethereum:local:foundry"):
        dao = intents.load_dao(record.contracts)
        assert dao.governor.votingPeriod() == 5 * 86400
        assert dao.contract("staking").cooldown() == 7 * 86400
        vault = dao.contract("vault")
        assert vault.hasRole(vault.SETTLER_ROLE(), settler)
        payouts = dao.contract("payouts")
        assert not payouts.hasRole(payouts.PAYER_ROLE(), "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720")
        assert int(dao.governor.proposalGuardian(), 16) == 0
        assert (
            chain.provider.get_balance(recipient) == 10_000 * UNIT + 15 * UNIT // 10
        )  # anvil funds dev accounts

    refused = {
        ("set-param", "unstake_cooldown", "soon"): "not a duration",
        ("set-param", "protocol_fee_bps", "20000"): "from 0 to 10000 basis points",
        (
            "grant-role",
            "vault",
            "OWNER_ROLE",
            settler,
        ): "vault has no role 'OWNER_ROLE'; its roles: DEFAULT_ADMIN_ROLE",
        ("remove-guardian",): "has no proposal guardian",
    }
    for command, message in refused.items():
        with pytest.raises(ProposalError, match=message):
            invoke("gov", "propose", *command, *network, "--account", "dev:2", "--description", "bad")
    wrong = CliRunner().invoke(cli, ["gov", "propose", "set-setting", "quorum", "5", "--description", "x"])
    assert wrong.exit_code == 2 and "'quorum' is not one of 'voting_delay'" in wrong.output
