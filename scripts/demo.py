"""The main job on the embedded default: two local anvil chains (ethereum and bsc), the DAO and the
economy contracts deployed on both (and deployed again to show it is idempotent), one proposal
taken from proposal to an executed treasury transfer on ethereum, then the AI-asset economy on
ethereum: a dataset, a model trained on it and an agent using the model are registered, licenses of
each kind are sold, API calls are metered, the revenue is split through the lineage, a root is
published to the revenue vault and the contributors claim. Run it with `make demo`.

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
from sahara_dao.token.claims import add_balances, claims_tree, read_balances, write_epoch_file
from sahara_dao.token.permit import sign_permit
from sahara_dao.token.registry import asset_shares
from sahara_dao.token.royalties import split_revenue

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


DATASET, MODEL, AGENT = 0, 1, 2  # IAssetRegistry.AssetKind
TRAINED_ON, USES = 0, 2  # IAssetRegistry.LineageKind
CREATOR, CURATOR, LABELER, TRAINER = 0, 1, 2, 3  # IAssetRegistry.ContributorRole
DURATION, PERPETUAL, API = 0, 1, 2  # ILicenseManager.LicenseKind


def _event(receipt, event, field):
    return getattr(receipt.events.filter(event)[0], field)


def run_economy(record, params, settings) -> None:
    from ape import chain
    from eth_utils import keccak

    contracts = project()
    token = contracts.SaharaToken.at(record.address("token"))
    registry = contracts.AssetRegistry.at(record.address("registry"))
    licenses = contracts.LicenseManager.at(record.address("licenses"))
    vault = contracts.RevenueVault.at(record.address("vault"))
    operator = load_account("dev:9", local=True)
    ana, bo, cy, buyer, grantee = (load_account(f"dev:{i}", local=True) for i in (4, 5, 6, 3, 8))
    names = {ana.address: "ana (dataset creator)", bo.address: "bo (labeler, model trainer)",
             cy.address: "cy (curator, agent creator)", record.address("timelock"): "treasury (timelock)"}  # fmt: skip

    def register(owner, kind, label, contributors, lineage=()):
        receipt = registry.register(kind, keccak(text=label), f"ipfs://sahara-demo/{label}", contributors,
                                    list(lineage), sender=owner)  # fmt: skip
        return _event(receipt, registry.AssetRegistered, "assetId")

    dataset = register(ana, DATASET, "street-signs-dataset",
                       [(ana.address, 4000, CREATOR), (bo.address, 3500, LABELER), (cy.address, 2500, CURATOR)])  # fmt: skip
    model = register(bo, MODEL, "sign-classifier", [(bo.address, 10_000, TRAINER)], [(dataset, TRAINED_ON, 2000)])
    agent = register(cy, AGENT, "road-assistant", [(cy.address, 10_000, CREATOR)], [(model, USES, 1000)])
    say(f"  registered dataset {dataset} (3 contributors), model {model} trained on it (20% upstream),")
    say(f"             agent {agent} using the model (10% upstream); receipts are soulbound ERC-721s")

    def offer(owner, asset, kind, duration, quota, price):
        receipt = licenses.publishOffer(asset, kind, duration, quota, price * UNIT, False, sender=owner)
        return _event(receipt, licenses.OfferPublished, "offerId")

    perpetual = offer(ana, dataset, PERPETUAL, 0, 0, 1_000)
    monthly = offer(bo, model, DURATION, 30 * 86400, 0, 500)
    api = offer(cy, agent, API, 0, 1_000, 100)
    deadline = chain.pending_timestamp + 3600
    v, r, s = sign_permit(token, buyer, licenses.address, 1_000 * UNIT, deadline, chain.chain_id)
    sold = [licenses.buyWithPermit(perpetual, deadline, v, r, s, sender=buyer)]
    for offer_id, price in ((monthly, 500), (api, 100)):
        token.approve(licenses.address, price * UNIT, sender=grantee)
        sold.append(licenses.buy(offer_id, sender=grantee))
    revenue: dict[int, int] = {}
    for receipt in sold:
        purchase = receipt.events.filter(licenses.LicensePurchased)[0]
        revenue[purchase.assetId] = revenue.get(purchase.assetId, 0) + purchase.amount
    api_license = _event(sold[2], licenses.LicensePurchased, "licenseId")
    licenses.consume(api_license, 10, sender=operator)
    used = licenses.license(api_license)
    say("  licenses   perpetual dataset 1,000 SAHARA (one transaction with an ERC-2612 permit),")
    say("             30-day model 500, agent API 1,000 calls 100; the fees went into the revenue vault")
    say(f"  metered    10 agent calls by the operator: {used.used} of {used.quota} used; "
        f"licensed: {licenses.isLicensed(agent, grantee.address)}")  # fmt: skip

    split = split_revenue(revenue, asset_shares(registry, revenue), fee_bps=params.economy.protocol_fee_bps,
                          treasury=record.address("timelock"))  # fmt: skip
    epochs_dir = settings.data_dir / "epochs" / str(record.chain_id)
    epoch = vault.lastEpoch() + 1
    previous = epochs_dir / f"epoch-{epoch - 1}.json"
    cumulative = add_balances(read_balances(previous) if previous.exists() else {}, split.payouts)
    claims = claims_tree(cumulative)
    path = write_epoch_file(epochs_dir / f"epoch-{epoch}.json", chain_id=record.chain_id, epoch=epoch,
                            inputs={"revenue": {str(a): str(v) for a, v in revenue.items()},
                                    "protocol_fee_bps": params.economy.protocol_fee_bps},
                            claims=claims)  # fmt: skip
    _, pending_epoch, _, activates_at = vault.pendingRoot()
    if pending_epoch and activates_at >= chain.pending_timestamp:
        # A chain reloaded from its state file restarts at the wall clock, before an earlier root
        # activated: only one root can be pending, so let that one activate first.
        chain.mine(deltatime=activates_at - chain.pending_timestamp + 1)
    vault.publishRoot(epoch, claims.root, claims.total, sender=operator)
    say(f"  settled    epoch {epoch}: {format_tokens(split.total)} SAHARA split (fee {format_tokens(split.protocol_fee)}, "
        f"upstream {format_tokens(sum(split.upstream_flows.values()))}); root published, epoch file {path.name}")  # fmt: skip
    chain.mine(deltatime=params.economy.claim_activation_delay + 1)
    accounts, amounts, proofs = [], [], []
    for account in claims.balances:
        amount, proof = claims.proof(account)
        accounts.append(account)
        amounts.append(amount)
        proofs.append(proof)
    before = {account: token.balanceOf(account) for account in accounts}
    vault.claimMany(accounts, amounts, proofs, sender=operator)
    say(f"  claimed    after the {params.economy.claim_activation_delay // 3600} h activation delay, "
        "one claimMany paid every leaf\n")
    say(f"  {'account':34} {'earned this epoch':>18} {'claimed':>12} {'SAHARA now':>16}")
    for account in accounts:
        paid = token.balanceOf(account) - before[account]
        say(f"  {names.get(account, account):34} {format_tokens(split.payouts.get(account, 0)):>18} "
            f"{format_tokens(paid):>12} {format_tokens(token.balanceOf(account)):>16}")  # fmt: skip
    if sum(token.balanceOf(a) - before[a] for a in accounts) != split.total:
        raise SaharaError("the claims did not pay exactly the epoch's split")


def main() -> int:
    from ape.logging import logger

    logger.set_level("WARNING")  # no "Confirmed 0x..." line per transaction
    settings = get_settings()
    genesis = load_genesis(settings.genesis_file)
    params = load_params(settings.governance_file)
    say("sahara-dao demo: local chains, deployment, one DAO proposal to an executed treasury transfer\n")
    say("1. local chains")
    nodes = start_chains(settings)
    try:
        say("\n2. deploy on every chain: token, vesting wallets, timelock, governor, and the economy contracts")
        records = deploy_everywhere(settings, genesis, params)
        for ecosystem, record in records.items():
            say(f"  {ecosystem:9} token {record.address('token')}  governor {record.address('governor')}")
            say(f"  {'':9} timelock (treasury) {record.address('timelock')}")
        say("\n3. a treasury grant on ethereum, from proposal to execution")
        with connect("ethereum:local:foundry"):
            run_proposal(records["ethereum"], params)
            say("\n4. the AI-asset economy on ethereum: assets, licenses, metering, settlement, claims")
            run_economy(records["ethereum"], params, settings)
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
