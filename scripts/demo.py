"""The main job on the embedded default: two local anvil chains (ethereum and bsc), the DAO deployed
on both (and deployed again to show it is idempotent), then one proposal taken from proposal to an
executed treasury transfer on ethereum, with a summary. Run it with `make demo`.

This file only wires library calls together; the logic lives in sahara_dao.
"""

import sys
import time

from sahara_dao.core.accounts import load_account
from sahara_dao.core.chain import connect
from sahara_dao.core.contracts import project
from sahara_dao.core.deployments import DeploymentStore
from sahara_dao.core.errors import SaharaError
from sahara_dao.core.nodes import managed_node, rpc_chain_id
from sahara_dao.core.settings import get_settings
from sahara_dao.core.units import UNIT, format_tokens
from sahara_dao.governance import lifecycle
from sahara_dao.governance.deploy import deploy_dao
from sahara_dao.governance.params import load_params
from sahara_dao.token.allocation import load_genesis

GRANT = 1_000_000 * UNIT


def say(text: str = "") -> None:
    print(text, flush=True)


def start_chains(settings) -> list:
    """Start each local chain unless a node with the right chain id already answers."""
    started = []
    for ecosystem in sorted(settings.local_chains):
        node = managed_node(ecosystem, settings)
        if rpc_chain_id(node.uri) == node.chain_id:
            say(f"  {ecosystem:9} using the running node on {node.uri} (chain id {node.chain_id})")
            continue
        started.append(node.start())
        say(f"  {ecosystem:9} started anvil on {node.uri} (chain id {node.chain_id})")
    return started


def deploy_everywhere(settings, genesis, params) -> dict:
    store = DeploymentStore(settings.deployments_dir)
    records = {}
    for ecosystem in sorted(settings.local_chains):
        network = f"{ecosystem}:local:foundry"
        with connect(network):
            started = time.monotonic()
            record = deploy_dao(sender=load_account(None, local=True), genesis=genesis, params=params,
                                store=store, network=network)  # fmt: skip
            say(f"  {network:24} chain {record.chain_id}: {record.status} in {time.monotonic() - started:.1f} s")
            again = deploy_dao(sender=load_account(None, local=True), genesis=genesis, params=params,
                               store=store, network=network)  # fmt: skip
            unchanged = again.contracts == record.contracts
            say(f"  {'':24} deployed again: {'nothing changed' if unchanged else 'CHANGED'}")
            records[ecosystem] = record
    return records


def run_proposal(record, params) -> None:
    from ape import chain

    contracts = project()
    token = contracts.SaharaToken.at(record.address("token"))
    governor = contracts.SaharaGovernor.at(record.address("governor"))
    timelock = record.address("timelock")
    community, airdrop, team_member, recipient = (load_account(f"dev:{i}", local=True) for i in (2, 3, 4, 8))
    team_wallet = contracts.SaharaVestingWallet.at(record.address(f"vesting/team/{team_member.address}"))

    say("  delegation: community and airdrop holders delegate to themselves; a team member delegates")
    say("              the votes locked in their vesting wallet to themselves")
    lifecycle.delegate(token, community.address, community)
    lifecycle.delegate(token, airdrop.address, airdrop)
    team_wallet.invoke_transaction("delegate", token.address, team_member.address, sender=team_member)
    chain.mine(deltatime=1)

    count = len(list(governor.ProposalCreated.range(0, chain.blocks.head.number + 1)))
    proposal = lifecycle.treasury_transfer(
        token, recipient.address, GRANT,
        f"Grant #{count + 1}: 1,000,000 SAHARA to the dataset bounty program\n\n"
        "Funds labeling bounties for the first community datasets.",
    )  # fmt: skip
    before = {"treasury": token.balanceOf(timelock), "recipient": token.balanceOf(recipient)}
    proposal_id = lifecycle.propose(governor, proposal, community)
    say(f"  proposed   {proposal_id}")
    say(f"             state {lifecycle.status(governor, proposal_id).state.name.lower()}")

    chain.mine(deltatime=params.voting_delay + 1)
    lifecycle.cast_vote(governor, proposal_id, lifecycle.Support.FOR, community, "Bounties grow the data supply")
    lifecycle.cast_vote(governor, proposal_id, lifecycle.Support.AGAINST, airdrop, "Too early")
    lifecycle.cast_vote(governor, proposal_id, lifecycle.Support.ABSTAIN, team_member)
    tally = lifecycle.status(governor, proposal_id)
    say(f"  voted      for {format_tokens(tally.for_)}, against {format_tokens(tally.against)}, "
        f"abstain {format_tokens(tally.abstain)} (quorum {format_tokens(tally.quorum)})")  # fmt: skip

    chain.mine(deltatime=tally.deadline - chain.pending_timestamp + 1)
    say(f"  closed     state {lifecycle.status(governor, proposal_id).state.name.lower()}")
    lifecycle.queue(governor, proposal, community)
    say(f"  queued     executable after {params.timelock_delay // 3600} h")
    chain.mine(deltatime=params.timelock_delay + 1)
    lifecycle.execute(governor, proposal, recipient)
    final = lifecycle.status(governor, proposal_id)
    say(f"  executed   state {final.state.name.lower()}")

    after = {"treasury": token.balanceOf(timelock), "recipient": token.balanceOf(recipient)}
    say()
    say(f"  {'balance (SAHARA)':28} {'before':>16} {'after':>16}")
    say(f"  {'treasury ' + timelock[:10]:28} {format_tokens(before['treasury']):>16} {format_tokens(after['treasury']):>16}")
    say(f"  {'recipient ' + recipient.address[:10]:28} {format_tokens(before['recipient']):>16} "
        f"{format_tokens(after['recipient']):>16}")  # fmt: skip
    if after["treasury"] != before["treasury"] - GRANT or after["recipient"] != before["recipient"] + GRANT:
        raise SaharaError("the treasury transfer did not move exactly the granted amount")


def main() -> int:
    settings = get_settings()
    genesis = load_genesis(settings.genesis_file)
    params = load_params(settings.governance_file)
    say("sahara-dao demo: local chains, deployment, one DAO proposal to an executed treasury transfer\n")
    say("1. local chains")
    nodes = start_chains(settings)
    try:
        say("\n2. deploy the DAO on every chain (token, vesting wallets, timelock, governor, roles)")
        records = deploy_everywhere(settings, genesis, params)
        for ecosystem, record in records.items():
            say(f"  {ecosystem:9} token {record.address('token')}  governor {record.address('governor')}")
            say(f"  {'':9} timelock (treasury) {record.address('timelock')}")
        say("\n3. a treasury grant on ethereum, from proposal to execution")
        with connect("ethereum:local:foundry"):
            run_proposal(records["ethereum"], params)
        say(f"\ndone. Deployments are recorded in {settings.deployments_dir}")
        return 0
    except SaharaError as exc:
        say(f"error: {exc}")
        return 1
    finally:
        for node in nodes:
            node.stop()


if __name__ == "__main__":
    sys.exit(main())
