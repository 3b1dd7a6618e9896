#!/usr/bin/env python3
"""Gas per vote of the gasless relay: castVoteBySig in Multicall3 batches of 50 vs one transaction.

Run from the repository root (`make bench-gas-relay`, also part of `make bench-gas`):

    .venv/bin/python bench/gas_relay.py

Everything runs on Ape's in-process test chain (py-evm, Prague rules) with the DAO deployed by
`deploy_dao` (production wiring, Multicall3 included) and the relay's own code path:
`governance.relay.submit` then `governance.relay_send.relay_pending` (checks, simulation, one aggregate3 transaction per
batch). 110 voters who hold 10,000 SAHARA each (no native coin: they never pay gas) delegate by
signature, 5 of them through single delegateBySig transactions, the rest through the relay; then
one voter votes first (so every measured ballot is a later vote, below quorum), 5 vote through
single castVoteBySig transactions sent by the relayer, and 100 through the relay in two batches of 50.

Figures are `receipt.gas_used` (21,000 base and calldata included); a relayed figure is the batch
transaction's gas divided by its 50 calls. The anchors are OpenZeppelin 5's gas-reporter averages
(../shared/ANCHORS.md). PASS when a relayed vote costs less than both a single castVoteBySig
measured here and the anchor. Exit status 1 otherwise.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
os.chdir(ROOT)  # Ape reads ape-config.yaml and the compiled project of the working directory

from sahara_dao.core.contracts import ensure_compiler  # noqa: E402

ensure_compiler()  # the offline solc launcher, in case Ape has to compile

from ape import accounts, chain, networks  # noqa: E402
from ape.logging import LogLevel, logger  # noqa: E402

from sahara_dao.core.db import session_scope  # noqa: E402
from sahara_dao.core.deployments import DeploymentStore  # noqa: E402
from sahara_dao.core.settings import get_settings  # noqa: E402
from sahara_dao.core.units import UNIT  # noqa: E402
from sahara_dao.governance import intents, lifecycle  # noqa: E402
from sahara_dao.governance.deploy import deploy_dao  # noqa: E402
from sahara_dao.governance.params import load_params  # noqa: E402
from sahara_dao.governance.relay import (  # noqa: E402
    RelayConfig,
    RelayContracts,
    sign_delegation,
    sign_vote,
    submit,
)
from sahara_dao.governance.relay_send import relay_pending  # noqa: E402
from sahara_dao.token.allocation import load_genesis  # noqa: E402

logger.set_level(LogLevel.ERROR)  # no "Confirmed 0x..." line per transaction

BATCH = 50
SINGLES = 5
VOTERS = 1 + SINGLES + 2 * BATCH  # a first voter, single-transaction samples, two relayed batches
HOLDING = 10_000 * UNIT
ANCHOR_VOTE = 109_959  # OpenZeppelin 5 castVoteBySig, avg (ANCHORS.md)
ANCHOR_DELEGATE = 104_387  # OpenZeppelin 5 ERC20Votes delegateBySig, avg (ANCHORS.md)
CONFIG = RelayConfig(min_voting_power=1, ballots_per_proposal=1, delegations_per_address=1, batch_size=BATCH)


def signature_bytes(envelope: dict) -> bytes:
    return bytes.fromhex(envelope["signature"][2:])


def relayed_per_call(session, contracts, relayer, envelopes) -> list[int]:
    """Submit and relay the envelopes; the gas per call of each full batch."""
    for envelope in envelopes:
        row = submit(session, contracts, envelope, config=CONFIG)
        assert row.status == "pending", (row.code, row.detail)
    report = relay_pending(session, contracts, relayer, config=CONFIG)
    assert len(report.cast) == len(envelopes) and not report.failed, report
    per_call = []
    for tx_hash in report.transactions:
        receipt = chain.get_receipt(tx_hash)
        calls = sum(1 for row in report.cast if row.tx_hash == tx_hash)
        if calls == BATCH:
            per_call.append(int(receipt.gas_used) // BATCH)
    return per_call


def main() -> int:
    started = time.perf_counter()
    settings = get_settings()
    with networks.ethereum.local.use_provider("test"), tempfile.TemporaryDirectory() as scratch:
        deployer, community = accounts.test_accounts[0], accounts.test_accounts[2]
        relayer = deployer
        record = deploy_dao(sender=deployer, genesis=load_genesis(settings.genesis_file),
                            params=load_params(settings.governance_file),
                            store=DeploymentStore(Path(scratch) / "deployments"), network="ethereum:local:test")  # fmt: skip
        contracts = RelayContracts.from_record(record)
        token, governor = contracts.token, contracts.governor
        lifecycle.delegate(token, community.address, community)
        voters = [accounts.test_accounts.generate_test_account() for _ in range(VOTERS)]
        for voter in voters:
            token.transfer(voter.address, HOLDING, sender=community)
        expiry = chain.pending_timestamp + 86_400

        with session_scope(f"sqlite:///{scratch}/relay.db") as session:
            single_delegations = []
            for voter in voters[:SINGLES]:
                envelope = sign_delegation(contracts, voter, voter.address, expiry=expiry)
                sig = signature_bytes(envelope)
                receipt = token.delegateBySig(voter.address, int(envelope["message"]["nonce"]), expiry, sig[64],
                                              sig[:32], sig[32:64], sender=relayer)  # fmt: skip
                single_delegations.append(int(receipt.gas_used))
            relayed_delegations = relayed_per_call(session, contracts, relayer, [
                sign_delegation(contracts, voter, voter.address, expiry=expiry) for voter in voters[SINGLES:]
            ])  # fmt: skip
            chain.mine(deltatime=2)

            grant = intents.treasury_transfer(intents.load_dao(record.contracts), recipient=deployer.address,
                                              amount=UNIT, description="Bench: relayed votes")
            proposal = lifecycle.propose(governor, grant, community)
            chain.mine(deltatime=governor.votingDelay() + 2)
            first, singles, relayed = voters[0], voters[1 : 1 + SINGLES], voters[1 + SINGLES :]
            envelope = sign_vote(contracts, first, proposal, lifecycle.Support.FOR)
            governor.castVoteBySig(proposal, 1, first.address, signature_bytes(envelope), sender=relayer)
            single_votes = []
            for voter in singles:
                envelope = sign_vote(contracts, voter, proposal, lifecycle.Support.FOR)
                receipt = governor.castVoteBySig(
                    proposal, 1, voter.address, signature_bytes(envelope), sender=relayer
                )
                single_votes.append(int(receipt.gas_used))
            relayed_votes = relayed_per_call(session, contracts, relayer, [
                sign_vote(contracts, voter, proposal, lifecycle.Support.FOR) for voter in relayed
            ])  # fmt: skip
            assert governor.proposalVotes(proposal)[1] == HOLDING * VOTERS
            assert governor.proposalVotes(proposal)[1] < governor.quorum(governor.proposalSnapshot(proposal))

    vote_single, vote_relayed = round(statistics.mean(single_votes)), round(statistics.mean(relayed_votes))
    delegation_single = round(statistics.mean(single_delegations))
    delegation_relayed = round(statistics.mean(relayed_delegations))
    passed = vote_relayed < vote_single and vote_relayed < ANCHOR_VOTE

    def pct(ours: int, reference: int) -> str:
        return f"{(ours - reference) / reference:+.1%}"

    rows = [
        ("castVoteBySig, one transaction", vote_single, ANCHOR_VOTE, len(single_votes), ""),
        (f"castVoteBySig relayed, batch of {BATCH}, per vote", vote_relayed, ANCHOR_VOTE, len(relayed_votes) * BATCH,
         "PASS" if passed else "FAIL"),
        ("delegateBySig, one transaction", delegation_single, ANCHOR_DELEGATE, len(single_delegations), ""),
        (f"delegateBySig relayed, batch of {BATCH}, per delegation", delegation_relayed, ANCHOR_DELEGATE,
         len(relayed_delegations) * BATCH, ""),
    ]  # fmt: skip
    print("Gasless relay: gas per signed vote and delegation (Ape's in-process chain, Prague rules)")
    header = f"{'operation':52} {'gas':>9} {'samples':>8} {'anchor':>9} {'vs anchor':>10}  result"
    print(header)
    print("-" * len(header))
    for label, gas, anchor, samples, mark in rows:
        print(f"{label:52} {gas:>9,} {samples:>8} {anchor:>9,} {pct(gas, anchor):>10}  {mark}")
    saved = vote_single - vote_relayed
    print(f"\nA relayed vote saves {saved:,} gas ({saved / vote_single:.1%}) against a single castVoteBySig here: "
          f"21,000 of it is the transaction base, paid once per {BATCH}; the other {saved - 21_000:,} are mostly the "
          "cold account and storage reads (EIP-2929: token, governor settings, the proposal) that the batch's "
          "first call warms for the 49 after it, net of the Multicall3 loop's own cost.")  # fmt: skip
    print("Every measured ballot is a later For vote below quorum; delegations are first self-delegations.")
    print(
        f"{'PASS' if passed else 'FAIL'}: relayed per vote {'<' if passed else '>='} single transaction and anchor"
    )
    print(f"({time.perf_counter() - started:.1f}s)")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
