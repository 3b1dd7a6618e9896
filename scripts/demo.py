"""The main job on the embedded default: two local anvil chains (ethereum and bsc), the DAO and the
economy contracts deployed on both (and deployed again to show it is idempotent), one proposal
taken from proposal to an executed treasury transfer on ethereum (a holder delegates by signature and
the votes are EIP-712 ballots relayed gaslessly in one Multicall3 batch), holders stake and a second
proposal funds staking rewards, the Foundation sends each treasury a native reserve, then the
AI-asset economy on both chains: a dataset, a model trained on it and an agent using the model are registered, licenses of
each kind are sold, API calls and pay-per-use requests are metered (a malformed record is
quarantined), each chain is indexed into the database and settled for its epoch (lineage split, root
published, settled again to show nothing is published twice, verified from the epoch file alone), and
every contributor claims; labelers are paid; the MiniLM embedding model (when `make models-minilm`
built it), an asset like the others, flags a labeling task posted twice in other words; holders and contributors rank the next grant round in
an off-chain, Snapshot-compatible ranked-choice poll, tallied here. Run it with `make demo`; a second run settles the next epochs.

This file only wires library calls together; the logic lives in sahara_dao.
"""

import os
import sys
import time
from pathlib import Path

from sqlmodel import select

from sahara_dao.core.accounts import load_account
from sahara_dao.core.chain import connect, next_timestamp
from sahara_dao.core.contracts import project
from sahara_dao.core.db import session_scope
from sahara_dao.core.deployments import DeploymentStore
from sahara_dao.core.errors import SaharaError
from sahara_dao.core.indexer import index_network
from sahara_dao.core.nodes import managed_node, rpc_chain_id
from sahara_dao.core.settings import get_settings
from sahara_dao.core.units import UNIT, format_tokens
from sahara_dao.governance import intents, lifecycle
from sahara_dao.governance.deploy import deploy_dao
from sahara_dao.governance.models import RelayStatus
from sahara_dao.governance.params import load_params
from sahara_dao.governance.relay import RelayContracts, load_relay_config, sign_delegation, sign_vote, submit
from sahara_dao.governance.relay_send import relay_pending
from sahara_dao.inference.build_models import (
    TRIAGE_FILE,
    build_quality_model,
    build_triage_model,
    synthetic_items,
)
from sahara_dao.inference.ledger import ChainLedger
from sahara_dao.inference.providers import default_providers
from sahara_dao.inference.requests import submit_requests
from sahara_dao.inference.runner import run_pending
from sahara_dao.inference.sinks import load_usage_sinks
from sahara_dao.inference.store import file_sha256, register_model
from sahara_dao.token.allocation import load_genesis
from sahara_dao.token.epochs import read_epoch_file
from sahara_dao.token.labeling import ingest_labeling, load_labeling_config, period_of, upsert_tasks
from sahara_dao.token.models import Epoch
from sahara_dao.token.payouts import run_payouts
from sahara_dao.token.permit import sign_permit
from sahara_dao.token.settlement import ChainContext, claim, claim_proof, settle, verify_epoch
from sahara_dao.token.treasury import native_symbol

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


def run_proposal(record, params) -> lifecycle.ProposalStatus:
    from ape import chain

    contracts = project()
    token = contracts.SaharaToken.at(record.address("token"))
    governor = contracts.SaharaGovernor.at(record.address("governor"))
    timelock = record.address("timelock")
    community, airdrop, team_member, recipient = (load_account(f"dev:{i}", local=True) for i in (2, 3, 4, 8))
    team_wallet = contracts.SaharaVestingWallet.at(record.address(f"vesting/team/{team_member.address}"))

    relay = RelayContracts.from_record(record)
    relay_config = load_relay_config(get_settings().relay_file)
    relayer = load_account("dev:7", local=True)  # pays the gas of every relayed signature

    def relay_signed(envelopes: list[dict]) -> None:
        with session_scope() as session:
            for envelope in envelopes:
                row = submit(session, relay, envelope, config=relay_config)
                if row.status == RelayStatus.REJECTED:
                    raise SaharaError(f"the relay refused a signature ({row.code}): {row.detail}")
            report = relay_pending(session, relay, relayer, config=relay_config)
            if report.failed or len(report.cast) != len(envelopes):
                raise SaharaError(f"the relay cast {len(report.cast)} of {len(envelopes)} signatures")
            noun = "signature" if len(report.cast) == 1 else "signatures"
            say(f"  relayed    {len(report.cast)} {noun} in {report.sent} Multicall3 transaction(s) paid by "
                f"{relayer.address[:10]}…, {report.gas_used:,} gas; the signers paid none")  # fmt: skip

    say("  delegation: the community holder delegates to itself; a team member delegates the votes locked")
    say("              in their vesting wallet; the airdrop holder signs its delegation (EIP-712), gasless")
    lifecycle.delegate(token, community.address, community)
    team_wallet.invoke_transaction("delegate", token.address, team_member.address, sender=team_member)
    if token.delegates(airdrop.address) == airdrop.address:
        say("              (the airdrop holder delegated in an earlier run)")
    else:
        relay_signed([sign_delegation(relay, airdrop, airdrop.address, expiry=chain.pending_timestamp + 3600)])
    chain.mine(deltatime=1)

    count = len(list(governor.ProposalCreated.range(0, chain.blocks.head.number + 1)))
    proposal = intents.treasury_transfer(
        intents.load_dao(record.contracts), recipient=recipient.address, amount=GRANT,
        description=f"Grant #{count + 1}: 1,000,000 SAHARA to the dataset bounty program\n\n"
        "Funds labeling bounties for the first community datasets.",
    )  # fmt: skip
    before = {"treasury": token.balanceOf(timelock), "recipient": token.balanceOf(recipient)}
    proposal_id = lifecycle.propose(governor, proposal, community)
    say(f"  proposed   {proposal_id}")
    say(f"             state {lifecycle.status(governor, proposal_id).state.name.lower()}")

    chain.mine(deltatime=params.voting_delay + 1)
    say("  ballots    three holders sign their votes (EIP-712 castVoteBySig ballots, reasons kept); the relay")
    say("             checks each off-chain, then casts them in one batch")
    relay_signed([
        sign_vote(relay, community, proposal_id, lifecycle.Support.FOR, reason="Bounties grow the data supply"),
        sign_vote(relay, airdrop, proposal_id, lifecycle.Support.AGAINST, reason="Too early"),
        sign_vote(relay, team_member, proposal_id, lifecycle.Support.ABSTAIN),
    ])  # fmt: skip
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
    return final


STAKES = {2: 50_000_000 * UNIT, 3: 20_000_000 * UNIT}  # dev account -> SAHARA staked each run
UNSTAKE = 5_000_000 * UNIT  # dev 3 asks for this much back
REWARDS, REWARD_DAYS = 10_000_000 * UNIT, 30
NATIVE_RESERVE = {"ethereum": 25 * UNIT, "bsc": 100 * UNIT}  # wei the Foundation sends the treasury


def run_staking(record, params) -> None:
    """Two holders stake (keeping their votes, through the staking contract's delegation surrogates),
    one asks to unstake part; the DAO funds a 30-day reward period from the treasury by proposal;
    three days later a staker claims its rewards. Every figure is checked against the contract."""
    from ape import chain

    contracts = project()
    token = contracts.SaharaToken.at(record.address("token"))
    staking = contracts.SaharaStaking.at(record.address("staking"))
    governor = contracts.SaharaGovernor.at(record.address("governor"))
    holders = {dev: load_account(f"dev:{dev}", local=True) for dev in STAKES}
    before = {"staked": staking.totalStaked(), "unbonding": staking.totalUnbonding()}
    for dev, amount in STAKES.items():
        token.approve(staking.address, amount, sender=holders[dev])
        staking.stake(amount, holders[dev].address, sender=holders[dev])
    staking.requestUnstake(UNSTAKE, sender=holders[3])
    _, unlock = staking.unbonding(holders[3].address)
    say(f"  staked     dev 2 {format_tokens(STAKES[2])}, dev 3 {format_tokens(STAKES[3])} SAHARA (votes kept: each "
        f"stake delegates to its staker); dev 3 asks {format_tokens(UNSTAKE)} back, unbonding for "
        f"{params.economy.unstake_cooldown // 86400} days")  # fmt: skip

    count = len(list(governor.ProposalCreated.range(0, chain.blocks.head.number + 1)))
    proposal = intents.fund_staking_rewards(
        intents.load_dao(record.contracts), amount=REWARDS, duration=REWARD_DAYS * 86400,
        description=f"Staking rewards #{count + 1}: 10,000,000 SAHARA over {REWARD_DAYS} days\n\n"
        "Pays stakers from the treasury; the timelock distributes the rewards.",
    )  # fmt: skip
    proposal_id = lifecycle.propose(governor, proposal, holders[2])
    chain.mine(deltatime=params.voting_delay + 1)
    lifecycle.cast_vote(governor, proposal_id, lifecycle.Support.FOR, holders[2], "Reward the stakers")
    chain.mine(deltatime=governor.proposalDeadline(proposal_id) - chain.pending_timestamp + 1)
    lifecycle.queue(governor, proposal, holders[2])
    chain.mine(deltatime=params.timelock_delay + 1)
    lifecycle.execute(governor, proposal, holders[2])
    rate = staking.rewardRateScaled()
    say(f"  rewards    proposal {str(proposal_id)[:12]}… executed ({len(proposal.targets)} calls): "
        f"{format_tokens(REWARDS)} SAHARA over {REWARD_DAYS} days, "
        f"{rate * 86400 // 10**18 // UNIT:,} SAHARA a day to all stakers")  # fmt: skip

    chain.mine(timestamp=staking.lastUpdateTime() + 3 * 86400 - 1)
    chain.pending_timestamp = staking.lastUpdateTime() + 3 * 86400  # the claim's block: exactly 3 days of rewards
    earned = staking.earned(holders[2].address)
    balance = token.balanceOf(holders[2].address)
    staking.getReward(sender=holders[2])
    claimed = token.balanceOf(holders[2].address) - balance
    staked, unbonding = staking.totalStaked(), staking.totalUnbonding()
    say(f"  3 days on  dev 2 claims {claimed // UNIT:,} SAHARA of rewards (its share of the stake); total staked "
        f"{format_tokens(staked)}, unbonding {format_tokens(unbonding)} SAHARA")  # fmt: skip
    if (staked != before["staked"] + sum(STAKES.values()) - UNSTAKE or unbonding < UNSTAKE or claimed < earned
            or claimed == 0 or unlock <= chain.blocks.head.timestamp - 3 * 86400):  # fmt: skip
        raise SaharaError("staking's totals, unbonding or rewards are not what was staked, asked back and funded")


def fund_native_reserve(ecosystem: str, record) -> None:
    """The Foundation sends the treasury (the timelock) native coin, a reserve the DAO spends by proposal."""
    from ape import chain

    foundation = load_account("dev:9", local=True)
    timelock = record.address("timelock")
    foundation.transfer(timelock, NATIVE_RESERVE[ecosystem])
    coin = native_symbol(ecosystem)
    say(f"  {ecosystem:9} the Foundation sends {format_tokens(NATIVE_RESERVE[ecosystem])} {coin} to the treasury; "
        f"it holds {format_tokens(chain.provider.get_balance(timelock))} {coin}")  # fmt: skip


DATASET, MODEL, AGENT = 0, 1, 2  # IAssetRegistry.AssetKind
TRAINED_ON, USES = 0, 2  # IAssetRegistry.LineageKind
CREATOR, CURATOR, LABELER, TRAINER = 0, 1, 2, 3  # IAssetRegistry.ContributorRole
DURATION, PERPETUAL, API = 0, 1, 2  # ILicenseManager.LicenseKind


def _event(receipt, event, field):
    return getattr(receipt.events.filter(event)[0], field)


def run_market(ecosystem: str, record, scale: int, model_file: Path, agent_file: Path) -> dict:
    """Assets, offers, licenses and metering on the connected chain; returns what the summary names."""
    from eth_utils import keccak

    contracts = project()
    token = contracts.SaharaToken.at(record.address("token"))
    registry = contracts.AssetRegistry.at(record.address("registry"))
    licenses = contracts.LicenseManager.at(record.address("licenses"))
    operator = load_account("dev:9", local=True)
    community, buyer = load_account("dev:2", local=True), load_account("dev:3", local=True)
    ana, bo, cy = (load_account(f"dev:{i}", local=True) for i in (4, 5, 6))

    def register(owner, kind, label, contributors, lineage=()):
        """Register an asset; a model's content hash is its ONNX file's sha256 (the inference store checks it)."""
        if isinstance(label, Path):
            content, label = bytes.fromhex(file_sha256(label)[2:]), label.stem
        else:
            content = keccak(text=label)
        receipt = registry.register(kind, content, f"ipfs://sahara-demo/{label}", contributors, list(lineage),
                                    sender=owner)  # fmt: skip
        return _event(receipt, registry.AssetRegistered, "assetId")

    dataset = register(ana, DATASET, "street-signs-dataset",
                       [(ana.address, 4000, CREATOR), (bo.address, 3500, LABELER), (cy.address, 2500, CURATOR)])  # fmt: skip
    model = register(bo, MODEL, model_file, [(bo.address, 10_000, TRAINER)], [(dataset, TRAINED_ON, 2000)])
    agent = register(cy, AGENT, agent_file, [(cy.address, 10_000, CREATOR)], [(model, USES, 1000)])

    def offer(owner, asset, kind, duration, quota, price):
        receipt = licenses.publishOffer(asset, kind, duration, quota, price, False, sender=owner)
        return _event(receipt, licenses.OfferPublished, "offerId")

    prices = {"perpetual": 1_000 * UNIT * scale, "monthly": 500 * UNIT * scale, "api": 100 * UNIT * scale}
    perpetual = offer(ana, dataset, PERPETUAL, 0, 0, prices["perpetual"])
    monthly = offer(bo, model, DURATION, 30 * 86400, 0, prices["monthly"])
    api = offer(cy, agent, API, 0, 1_000, prices["api"])
    deadline = next_timestamp() + 3600
    v, r, s = sign_permit(token, buyer, licenses.address, prices["perpetual"], deadline, record.chain_id)
    licenses.buyWithPermit(perpetual, deadline, v, r, s, sender=buyer)
    for offer_id, price in ((monthly, prices["monthly"]), (api, prices["api"])):
        token.approve(licenses.address, price, sender=community)
        sold = licenses.buy(offer_id, sender=community)
    api_license = _event(sold, licenses.LicensePurchased, "licenseId")
    # The community bucket funds the operator's budget: pay-per-use fees it deposits, labelers it pays.
    token.transfer(operator.address, 10_000 * UNIT, sender=community)
    say(f"  {ecosystem:9} registered dataset {dataset} (3 contributors), model {model} trained on it (20% upstream), "
        f"agent {agent} using it (10%); their content hashes are their ONNX files' sha256")  # fmt: skip
    say(f"  {'':9} sold perpetual {format_tokens(prices['perpetual'])} (ERC-2612 permit), 30-day "
        f"{format_tokens(prices['monthly'])}, API quota of 1,000 calls {format_tokens(prices['api'])} SAHARA")  # fmt: skip
    return {"assets": (dataset, model, agent), "api_license": api_license, "licensee": community.address,
            "names": {ana.address: "ana (dataset creator)", bo.address: "bo (labeler, model trainer)",
                      cy.address: "cy (curator, agent creator)", record.address("timelock"): "treasury (timelock)"}}  # fmt: skip


def catch_up_clock(chain_id: int) -> None:
    """A chain reloaded from its state file mines its next block at the wall clock, which can be
    behind its last block and the window settled last: move the clock past both, so that time runs
    forward and today's sales fall into the next window."""
    from ape import chain

    with session_scope() as session:
        last = session.exec(select(Epoch).where(Epoch.chain_id == chain_id).order_by(Epoch.epoch.desc())).first()
    target = max(chain.blocks.head.timestamp + 1, last.window_end if last else 0)
    if chain.pending_timestamp < target:
        chain.mine(timestamp=target)


def run_inference(ecosystem: str, record, market: dict, files: dict[str, Path], scale: int) -> None:
    """One inference batch run on the chain: the model's 30-day licensee sends 20 requests (one
    malformed) and an account without a license one, each request that ran metered once at the
    model's price; the agent's API licensee sends 10 requests, charged to its quota on chain."""
    from ape import chain

    settings = get_settings()
    _, model, agent = market["assets"]
    price = 3 * UNIT * scale // 2
    with connect(f"{ecosystem}:local:foundry"):
        ledger = ChainLedger(load_account("dev:9", local=True))
        features = [[0.95, 12.0, 0.9, 0.02], [0.55, 3.0, 0.4, 0.3]]
        requests = [{"request_id": f"{record.chain_id}-{model}-{n}", "chain_id": record.chain_id, "asset_id": model,
                     "account": market["licensee"], "inputs": {"features": [features[n % 2]]}} for n in range(19)]  # fmt: skip
        requests.append(requests[0] | {"request_id": f"{record.chain_id}-{model}-bad", "inputs": {"features": [[1.0]]}})
        requests.append(requests[0] | {"request_id": f"{record.chain_id}-{model}-nolicense",
                                       "account": load_account("dev:7", local=True).address})  # fmt: skip
        signals, _ = synthetic_items(10, seed=chain.blocks.head.number)  # ten labeled items to triage
        requests += [{"request_id": f"{record.chain_id}-{agent}-{chain.blocks.head.number}-{n}",
                      "chain_id": record.chain_id, "asset_id": agent, "account": market["licensee"],
                      "inputs": {"features": [row.tolist()]}} for n, row in enumerate(signals)]  # fmt: skip
        with session_scope() as session:
            for asset, name in ((model, "model"), (agent, "agent")):
                register_model(session, models_dir=settings.data_dir / "models", source=files[name],
                               chain_id=record.chain_id, asset_id=asset, content_hash=ledger.content_hash(asset),
                               registered_at=ledger.now())  # fmt: skip
            submit_requests(session, requests, submitted_at=ledger.now())
        summary = run_pending(ledger=ledger, providers=default_providers(), prices={model: price},
                              sinks=load_usage_sinks(), clock=ledger.now)  # fmt: skip
        used = project().LicenseManager.at(record.address("licenses")).license(market["api_license"])
    rejected = ", ".join(f"{n} {reason}" for reason, n in sorted(summary.rejected.items()))
    failed = ", ".join(f"{n} {reason}" for reason, n in sorted(summary.failed.items()))
    say(f"  {'':9} inference: {summary.requests} requests, {summary.ran} ran in {summary.batches} batches on "
        f"{', '.join(sorted(summary.providers))}; rejected: {rejected}; failed alone: {failed}")  # fmt: skip
    say(f"  {'':9} model {model} ({files['model'].name}): 19 metered at {format_tokens(price)} SAHARA each; agent "
        f"{agent} ({files['agent'].name}): 10 requests under the API license, metered {used.used} of {used.quota} "
        f"API calls ({summary.quota_calls} charged by one batched consumeMany)")  # fmt: skip


def settle_and_claim(ecosystem: str, market: dict, params) -> None:
    """Settle the chain's next epoch (from the last one's end to now), verify it, let it activate and
    let every contributor claim; print who got what."""
    from ape import chain

    with connect(f"{ecosystem}:local:foundry"):
        ctx = ChainContext()
        with session_scope() as session:
            last = session.exec(select(Epoch).where(Epoch.chain_id == ctx.chain_id).order_by(Epoch.epoch.desc())).first()
        start, number = (last.window_end, last.epoch + 1) if last else (0, 1)
        if last and last.status == "computed":
            start, number = last.window_start, last.epoch  # a run cut short: finish it
        _, pending_epoch, _, activates_at = ctx.vault.pendingRoot()
        if pending_epoch:  # a chain reloaded before the last root activated: only one root can be pending
            chain.mine(timestamp=max(activates_at, next_timestamp()))
        chain.mine()  # a block after the metered requests: the window ends after them
        index_network(f"{ecosystem}:local:foundry")
        end = chain.blocks.head.timestamp + 1
        outcome = settle(ctx, epoch=number, window=(start, end), progress=lambda line: None)
        with session_scope() as session:
            row = session.get(Epoch, (ctx.chain_id, outcome.epoch))
        document = read_epoch_file(row.epoch_file)
        upstream = sum(int(v) for _, _, v in document["outputs"]["upstream_flows"])
        say(f"  {ecosystem:9} epoch {outcome.epoch}: {format_tokens(row.license_revenue)} SAHARA of license fees + "
            f"{format_tokens(row.usage_revenue)} of pay-per-use ({row.usage_events} requests; {row.quarantined} "
            f"records held in quarantine) = {format_tokens(row.earned)} SAHARA split (fee {format_tokens(row.protocol_fee)}, "
            f"upstream {format_tokens(upstream)}); deposited {format_tokens(outcome.funded)} of pay-per-use fees")  # fmt: skip
        say(f"  {'':9} root {row.root} published; {Path(row.epoch_file).name} written")
        rerun = settle(ctx, epoch=number, window=(start, end))
        verified = verify_epoch(ctx, outcome.epoch)
        say(f"  {'':9} settled again: {'nothing published' if not rerun.published_now else 'PUBLISHED TWICE'}; "
            f"verify-epoch: {'verified, the file alone recomputes the on-chain root' if verified.ok else verified.problems}")  # fmt: skip
        if not verified.ok or rerun.published_now:
            raise SaharaError(f"epoch {outcome.epoch} on {ecosystem} did not settle exactly once and verifiably")
        chain.mine(deltatime=params.economy.claim_activation_delay + 1)
        earned = {account: int(amount) for account, amount in document["outputs"]["earned"].items()}
        names = market["names"]
        say(f"\n  {'':9} {'account':30} {'earned this epoch':>18} {'claimed now':>12} {'SAHARA now':>20}")
        paid_total = 0
        for account in earned:
            before = ctx.token.balanceOf(account)
            proof = claim_proof(ctx, account)
            if proof.claimable:
                claim(ctx, account, load_account("dev:9", local=True))
            paid = ctx.token.balanceOf(account) - before
            paid_total += paid
            say(f"  {'':9} {names.get(account, account):30} {format_tokens(earned[account]):>18} "
                f"{format_tokens(paid):>12} {format_tokens(ctx.token.balanceOf(account)):>20}")  # fmt: skip
        if paid_total != sum(earned.values()):
            raise SaharaError(f"the claims on {ecosystem} did not pay exactly the epoch's split")
        say()


LABELERS = {5: (120, 40, 38), 6: (80, 20, 15), 7: (200, 50, 50), 8: (60, 10, 5)}  # dev: items, gold, right


def pay_labelers(ecosystem: str, record) -> None:
    """A day of labeling on the chain: results with trap-question scores (one inconsistent record is
    quarantined), paid through PayoutBatcher; paying again sends nothing."""
    settings = get_settings()
    config = load_labeling_config(settings.labeling_file)
    with connect(f"{ecosystem}:local:foundry"):
        contracts = project()
        token = contracts.SaharaToken.at(record.address("token"))
        batcher = contracts.PayoutBatcher.at(record.address("payouts"))
        at = next_timestamp() - 1
        period = period_of(at)
        task = f"{record.chain_id}-{period}-street-signs"
        results = [{"result_key": f"{task}-{dev}", "task_key": task, "labeler": load_account(f"dev:{dev}", local=True).address,
                    "items": items, "gold_total": gold, "gold_correct": right, "submitted_at": at}
                   for dev, (items, gold, right) in LABELERS.items()]  # fmt: skip
        results.append(results[0] | {"result_key": f"{task}-bad", "gold_correct": 99})
        with session_scope() as session:
            upsert_tasks(session, [{"task_key": task, "chain_id": record.chain_id, "title": "Label street signs",
                                    "created_at": at}], received_at=at)  # fmt: skip
            intake = ingest_labeling(session, results, received_at=at)
            before = {line: token.balanceOf(load_account(f"dev:{line}", local=True).address) for line in LABELERS}
            operator = load_account("dev:9", local=True)
            run = run_payouts(session, chain_id=record.chain_id, period=period, config=config, batcher=batcher,
                              token=token, payer=operator)  # fmt: skip
            again = run_payouts(session, chain_id=record.chain_id, period=period, config=config, batcher=batcher,
                                token=token, payer=operator)  # fmt: skip
        say(f"  {ecosystem:9} labeling {period}: {intake.stored} results stored, {intake.quarantined_total} "
            f"quarantined (more right answers than trap questions); {len(run.report.paid)} batch paid "
            f"{format_tokens(run.plan.total)} SAHARA; paid again: {len(again.report.paid)} batches sent, "
            f"reconciled: {run.reconciliation.ok and again.reconciliation.ok}")  # fmt: skip
        for payout in run.plan.computed.labelers:
            dev = next(i for i in LABELERS if load_account(f"dev:{i}", local=True).address == payout.labeler)
            received = token.balanceOf(payout.labeler) - before[dev]
            say(f"  {'':9}   dev {dev}: {payout.items} items, accuracy {(payout.accuracy_bps or 0) / 100:.0f}% -> "
                f"quality {payout.quality_bps / 100:.0f}%, paid {format_tokens(received)} SAHARA")  # fmt: skip
        if again.report.paid or not (run.reconciliation.ok and again.reconciliation.ok):
            raise SaharaError(f"labelers on {ecosystem} were not paid exactly once")


LABELING_TASKS = {  # posted for labeling this period; one is another's instructions reworded
    "stop-signs": "Draw a box around every stop sign in the image.",
    "addresses": "Transcribe the handwritten address on the envelope.",
    "stop-signs-2": "Draw boxes around all the stop signs in this image.",
    "politeness": "Rate how polite the customer support reply is.",
    "speed-limits": "Read the speed limit printed on each road sign.",
}


def find_duplicate_tasks(ecosystem: str, record) -> None:
    """The Foundation registers the embedding model (all-MiniLM-L6-v2, `make models-minilm`) as a
    model asset, takes its free perpetual license, embeds the instructions of the tasks posted for
    labeling through a licensed, metered inference batch, and flags near duplicates before anyone is
    paid to label the same thing twice."""
    from sahara_dao.inference.models import InferenceRequest
    from sahara_dao.inference.neardup import THRESHOLD, embeddings_of, near_duplicates

    settings = get_settings()
    model_file = settings.inference_text_model
    if not model_file.exists():
        say(f"  skipped: {model_file} is not built (`make models-minilm` exports it once, about a minute)")
        return
    with connect(f"{ecosystem}:local:foundry"):
        contracts = project()
        registry = contracts.AssetRegistry.at(record.address("registry"))
        licenses = contracts.LicenseManager.at(record.address("licenses"))
        foundation = load_account("dev:9", local=True)
        receipt = registry.register(MODEL, bytes.fromhex(file_sha256(model_file)[2:]), "ipfs://sahara-demo/minilm-l6",
                                    [(foundation.address, 10_000, CURATOR)], [], sender=foundation)  # fmt: skip
        asset = _event(receipt, registry.AssetRegistered, "assetId")
        offer = _event(licenses.publishOffer(asset, PERPETUAL, 0, 0, 0, False, sender=foundation),
                       licenses.OfferPublished, "offerId")  # fmt: skip
        licenses.buy(offer, sender=foundation)
    index_network(f"{ecosystem}:local:foundry")  # the meter's usage records name assets the database must know
    with connect(f"{ecosystem}:local:foundry"):
        ledger = ChainLedger(foundation)
        requests = [{"request_id": f"{record.chain_id}-{asset}-{key}", "chain_id": record.chain_id, "asset_id": asset,
                     "account": foundation.address, "inputs": {"texts": [text]}} for key, text in LABELING_TASKS.items()]  # fmt: skip
        with session_scope() as session:
            register_model(session, models_dir=settings.data_dir / "models", source=model_file, chain_id=record.chain_id,
                           asset_id=asset, content_hash=ledger.content_hash(asset), registered_at=ledger.now())  # fmt: skip
            submit_requests(session, requests, submitted_at=ledger.now())
        summary = run_pending(ledger=ledger, providers=default_providers(), sinks=load_usage_sinks(), clock=ledger.now)
    keys = {request["request_id"]: key for key, request in zip(LABELING_TASKS, requests, strict=True)}
    with session_scope() as session:
        rows = session.exec(select(InferenceRequest).where(InferenceRequest.request_id.in_(list(keys))))
        results = {keys[row.request_id]: row.result for row in rows if row.result}
    if len(results) != len(LABELING_TASKS):
        raise SaharaError(f"the embedding batch ran {len(results)} of {len(LABELING_TASKS)} requests: {summary.failed}")
    pairs = near_duplicates(*embeddings_of(results))
    say(f"  {ecosystem:9} model {asset} ({model_file.name}, sha256 {file_sha256(model_file)[:18]}…): a free perpetual "
        f"license; {summary.ran} task instructions embedded in {summary.batches} batch on "
        f"{', '.join(sorted(summary.providers))}; {summary.rows} texts metered at inference/prices.yaml's price")  # fmt: skip
    for first, second, similarity in pairs:
        say(f"  {'':9}   near duplicates (cosine {similarity:.2f} >= {THRESHOLD}): {first!r} \"{LABELING_TASKS[first]}\" "
            f"and {second!r} \"{LABELING_TASKS[second]}\"")  # fmt: skip
    say(f"  {'':9}   {len(pairs)} pair(s) flagged among {len(LABELING_TASKS)} tasks: post each once")


POLL_CHOICES = ["Datasets", "Models", "Agents"]


def run_offchain_poll(records: dict) -> tuple[str, list[float]]:
    """An off-chain ranked-choice poll (Snapshot-compatible signed messages): two token holders and the
    three contributors of the dataset (their Receipts give them a voice) rank the next grant round."""
    from sahara_dao.governance.poll_results import describe
    from sahara_dao.governance.polls import run_poll
    from sahara_dao.governance.spaces import load_space_file

    for ecosystem in records:  # voting power is read from the index: bring it up to date first
        index_network(f"{ecosystem}:local:foundry")
    space = load_space_file(network=records["ethereum"].chain_id, chains=[r.chain_id for r in records.values()])
    key = {i: load_account(f"dev:{i}", local=True).private_key for i in range(2, 7)}
    ballots = [(key[2], [1, 2, 3]), (key[3], [3, 1, 2]),                      # holders: community, airdrop
               (key[4], [2, 1, 3]), (key[5], [2, 3, 1]), (key[6], [3, 2, 1])]  # contributors (Receipts)
    with session_scope() as session:
        proposal, result, votes = run_poll(session, space, proposer_key=key[2], title="Next grant round",
                                           choices=POLL_CHOICES, ballots=ballots)  # fmt: skip
        say(f"  poll       {proposal.id[:18]}… in space {space.id}: {len(votes)} signed ballots, snapshot block "
            + ", ".join(f"{block} on chain {chain_id}" for chain_id, block in proposal.snapshot_blocks.items()))  # fmt: skip
        for line in describe(session, proposal.id):
            say(f"  {line}")
        return proposal.id, list(result.scores)


def main() -> int:
    from ape.logging import logger

    logger.set_level("WARNING")  # no "Confirmed 0x..." line per transaction
    settings = get_settings()
    genesis = load_genesis(settings.genesis_file)
    params = load_params(settings.governance_file)
    say("sahara-dao demo: local chains, deployment, DAO proposals voted gaslessly, staking, the AI-asset economy, an off-chain poll\n")
    say("1. local chains")
    nodes = start_chains(settings)
    try:
        say("\n2. deploy on every chain: token, vesting wallets, timelock, governor, and the economy contracts")
        records = deploy_everywhere(settings, genesis, params)
        for ecosystem, record in records.items():
            say(f"  {ecosystem:9} token {record.address('token')}  governor {record.address('governor')}")
            say(f"  {'':9} timelock (treasury) {record.address('timelock')}")
        say("\n3. a treasury grant on ethereum, from proposal to execution")
        with connect("ethereum:local:foundry"):  # one connection for the grant and the staking
            onchain = run_proposal(records["ethereum"], params)
            say("\n4. staking on ethereum: holders stake, the DAO funds rewards by proposal")
            run_staking(records["ethereum"], params)
        say("\n5. the AI-asset economy on both chains: the Foundation's native reserve for the treasury, assets with "
            "lineage, licenses, a licensed inference batch")  # fmt: skip
        build = settings.data_dir / "models" / "build"
        files = {"model": build_quality_model(build),
                 "agent": build / TRIAGE_FILE if (build / TRIAGE_FILE).exists() else build_triage_model(build)}  # fmt: skip
        say(f"  model      {files['model'].name}: a labeling-quality classifier trained here and exported to ONNX, "
            f"sha256 {file_sha256(files['model'])[:18]}…")  # fmt: skip
        say(f"  agent      {files['agent'].name}: a review-triage network (64 signals, 2 x 2,048 hidden) trained "
            f"here, sha256 {file_sha256(files['agent'])[:18]}…")  # fmt: skip
        markets = {}
        for scale, ecosystem in enumerate(sorted(records, key=lambda name: name != "ethereum"), start=1):
            network = f"{ecosystem}:local:foundry"
            with connect(network):
                catch_up_clock(records[ecosystem].chain_id)
                fund_native_reserve(ecosystem, records[ecosystem])
                markets[ecosystem] = run_market(ecosystem, records[ecosystem], scale, files["model"], files["agent"])
            index_network(network)  # the meter's usage records name assets the database must know
            run_inference(ecosystem, records[ecosystem], markets[ecosystem], files, scale)
        if os.environ.get("SAHARA_DEMO_AIRFLOW") == "1":  # `make demo AIRFLOW=1`: steps 6-7 as runs of the DAGs
            from demo_airflow import settle_and_pay

            say("\n6-7. settlement and labeling payouts through Airflow: `airflow dags test` of royalty_settlement "
                "and labeling_payouts")  # fmt: skip
            settle_and_pay(markets, records, params, say)
        else:
            say("\n6. settlement per chain: index, split through lineage, publish the root, verify, claim")
            for ecosystem in markets:
                settle_and_claim(ecosystem, markets[ecosystem], params)
            say("7. labeling payouts per chain: quality-weighted pay in exactly-once batches")
            for ecosystem in markets:
                pay_labelers(ecosystem, records[ecosystem])
        say("\n8. near-duplicate labeling tasks, found by an embedding model that is an asset too")
        find_duplicate_tasks("ethereum", records["ethereum"])
        say("\n9. an off-chain poll, Snapshot-compatible: holders and contributors rank the next grant round")
        poll_id, scores = run_offchain_poll(records)
        say("\nsummary")
        say(f"  DAO proposal (on-chain, votes relayed gaslessly): {onchain.state.name.lower()}; for "
            f"{format_tokens(onchain.for_)}, against {format_tokens(onchain.against)}, abstain "
            f"{format_tokens(onchain.abstain)} SAHARA")  # fmt: skip
        ranked = sorted(zip(POLL_CHOICES, scores, strict=True), key=lambda pair: -pair[1])
        say(f"  off-chain poll {poll_id[:10]}… (ranked-choice): winner {ranked[0][0]}; "
            + ", ".join(f"{choice} {score:,.0f}" for choice, score in ranked))  # fmt: skip
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
