#!/usr/bin/env python3
"""Gas of the SAHARA governance and token operations, beside OpenZeppelin's own figures.

Run from the repository root (`make bench-gas` runs exactly this; Ape compiles first if needed):

    .venv/bin/python bench/gas.py

Everything runs on Ape's in-process test chain (py-evm, Prague rules): the script deploys the
timelock, the token and the governor wired as in production, takes the governance workflow and
the token operations through several samples each, and prints `receipt.gas_used` (the 21,000
base and the calldata included) beside the OpenZeppelin 5 gas-reporter figures. Every row more
than 2% away gets an explanation built from what this run measured (state-by-state ballots,
minimal variants of the proposal and of the governor). See bench/README.md.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
os.chdir(ROOT)  # Ape reads ape-config.yaml and the compiled project of the working directory

from variants import compile_variant, compiler_settings  # noqa: E402

from sahara_dao.core.contracts import ensure_compiler  # noqa: E402

ensure_compiler()  # the offline solc launcher, in case Ape has to compile

from ape import accounts, chain, networks, project  # noqa: E402
from ape.logging import LogLevel, logger  # noqa: E402
from eth_account import Account  # noqa: E402
from eth_account.messages import encode_typed_data  # noqa: E402
from eth_utils import keccak, to_checksum_address  # noqa: E402

logger.set_level(LogLevel.ERROR)  # no "Confirmed 0x..." line per transaction

ETHER = 10**18
DAY = 24 * 3600
TOTAL_SUPPLY = 10_000_000_000 * ETHER
MAX_UINT256 = 2**256 - 1
ZERO_ADDRESS = "0x" + "00" * 20
FOR = 1
REASON = "This is nice"  # the reason OpenZeppelin's Governor tests vote with
EIP170_LIMIT = 24_576
EIP3860_LIMIT = 49_152
TOLERANCE = 0.02

# The DAO's parameters (governance/params.yaml when this was written). Gas does not depend on the
# durations nor on the threshold's size, only on it being non-zero; the voter balances below are
# sized for the 4% quorum.
VOTING_DELAY = 1 * DAY
VOTING_PERIOD = 7 * DAY
PROPOSAL_THRESHOLD = 10_000_000 * ETHER
QUORUM_PERCENT = 4  # of 10 billion: 400 million SAHARA
LATE_QUORUM_EXTENSION = 2 * DAY
TIMELOCK_DELAY = 2 * DAY

BIG_VOTER = 450_000_000 * ETHER  # alone above the quorum
SMALL_VOTER = 250_000_000 * ETHER  # below it; two of them reach it
HOLDER = 100_000_000 * ETHER
GRANT = 1_000_000 * ETHER
GRANT_DESCRIPTION = "Grant #{}: 1,000,000 SAHARA from the treasury to a grantee"
TRANSFER_AMOUNT = 1 * ETHER
SAMPLES = 3  # samples per token-transfer case

# OpenZeppelin Contracts 5 test suite under its gas reporter (solc 0.8.31, optimizer 200 runs):
# the average over every successful call the suite makes to the function.
OZ = {
    "propose": 68_927,
    "castVote": 81_623,
    "castVote+PLQ": 98_355,
    "castVoteWithReason": 84_117,
    "castVoteBySig": 109_959,
    "queue": 144_909,
    "execute": 116_386,
    "delegate": 95_688,
    "redelegate": 111_336,
    "delegateBySig": 104_387,
    "votes_transfer_none": 56_228,
    "votes_transfer_receiver": 103_478,
    "votes_transfer_both": 136_226,
    "erc20_transfer_new": 51_598,
    "erc20_transfer_existing": 34_498,
}

# Ballot states, read from the chain around each ballot (see "ballots" in main).
FIRST_QUORUM = "first, reaches quorum"
FIRST_BELOW = "first, below quorum"
REACHES = "later, reaches quorum"
AFTER = "after quorum"
STATES = (FIRST_QUORUM, FIRST_BELOW, REACHES, AFTER)
VOTE_METHODS = ("castVote", "castVoteWithReason", "castVoteBySig")


# --------------------------------------------------------------------------------------------
# Samples


def calldata_tokens(data: bytes) -> int:
    """EIP-7623 calldata tokens: one per zero byte, four per non-zero byte."""
    zeros = data.count(0)
    return zeros + 4 * (len(data) - zeros)


@dataclass
class Sample:
    gas: int
    floor: int  # EIP-7623 floor of this transaction: 21,000 + 10 x calldata tokens
    tag: str


@dataclass
class Samples:
    by_op: dict[str, list[Sample]] = field(default_factory=dict)

    def add(self, op: str, receipt, tag: str = "") -> None:
        floor = 21_000 + 10 * calldata_tokens(bytes(receipt.transaction.data))
        self.by_op.setdefault(op, []).append(Sample(int(receipt.gas_used), floor, tag))

    def gas(self, op: str, tag: str | None = None) -> list[int]:
        return [s.gas for s in self.by_op.get(op, []) if tag is None or s.tag == tag]

    def avg(self, op: str, tag: str | None = None) -> int:
        return round(statistics.mean(self.gas(op, tag)))


S = Samples()


def signer(label: str):
    """A deterministic key outside the chain's funded accounts: it signs, a relayer sends."""
    return Account.from_key(keccak(text=f"sahara-bench/{label}"))


def fresh_address(label: str) -> str:
    """An address that has never held anything on the chain."""
    return to_checksum_address(keccak(text=f"sahara-bench/address/{label}")[12:])


def sign_typed(key, domain: dict, types: dict, message: dict):
    return key.sign_message(encode_typed_data(domain, types, message))


DELEGATION_TYPES = {
    "Delegation": [
        {"name": "delegatee", "type": "address"},
        {"name": "nonce", "type": "uint256"},
        {"name": "expiry", "type": "uint256"},
    ]
}
BALLOT_TYPES = {
    "Ballot": [
        {"name": "proposalId", "type": "uint256"},
        {"name": "support", "type": "uint8"},
        {"name": "voter", "type": "address"},
        {"name": "nonce", "type": "uint256"},
    ]
}


def domain(name: str, contract) -> dict:
    return {"name": name, "version": "1", "chainId": chain.chain_id, "verifyingContract": contract.address}


# The same governor with OpenZeppelin's mock quorum rule (one stored number instead of a fraction
# of the past total supply), compiled in memory by this script: it measures what our quorum rule
# costs a ballot. Nothing is written to the repository.
FIXED_QUORUM_SOURCE = """// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {SaharaGovernor} from "contracts/governance/SaharaGovernor.sol";
import {Governor} from "@openzeppelin/contracts/governance/Governor.sol";
import {GovernorVotesQuorumFraction} from "@openzeppelin/contracts/governance/extensions/GovernorVotesQuorumFraction.sol";
import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";
import {IVotes} from "@openzeppelin/contracts/governance/utils/IVotes.sol";

contract FixedQuorumSaharaGovernor is SaharaGovernor {
    uint256 private _fixedQuorum;

    constructor(
        IVotes token, TimelockController timelock, uint48 delay, uint32 period, uint256 threshold,
        uint256 numerator, uint48 extension, address guardian, uint256 fixedQuorum
    ) SaharaGovernor(token, timelock, delay, period, threshold, numerator, extension, guardian) {
        _fixedQuorum = fixedQuorum;
    }

    function quorum(uint256) public view override(Governor, GovernorVotesQuorumFraction) returns (uint256) {
        return _fixedQuorum;
    }
}
"""


def default_evm_version(solc_version: str) -> str:
    """solc's default EVM version when the settings name none."""
    try:
        v = tuple(int(x) for x in solc_version.split("."))
    except ValueError:
        return "solc default"
    return "prague" if v >= (0, 8, 30) else "cancun" if v >= (0, 8, 25) else "shanghai or older"


def compile_fixed_quorum_governor(version: str, settings: dict):
    """The variant as an Ape contract container (None and the reason if it cannot be built)."""
    name = "FixedQuorumSaharaGovernor"
    return compile_variant(name, f"bench/{name}.sol", FIXED_QUORUM_SOURCE, version, settings)


# --------------------------------------------------------------------------------------------
# Scenario


def deploy(deployer, guardian, genesis: list[tuple[str, int]], threshold: int = PROPOSAL_THRESHOLD):
    """Timelock, token (treasury = the rest of the supply, to the timelock) and governor, wired
    as in production: the governor proposes and cancels, anyone executes, no admin is left."""
    timelock = deployer.deploy(project.SaharaTimelock, TIMELOCK_DELAY, [], [], deployer)
    treasury = TOTAL_SUPPLY - sum(amount for _, amount in genesis)
    holders = [(timelock.address, treasury), *genesis]
    token = deployer.deploy(project.SaharaToken, [a for a, _ in holders], [x for _, x in holders])
    governor = deployer.deploy(
        project.SaharaGovernor,
        token,
        timelock,
        VOTING_DELAY,
        VOTING_PERIOD,
        threshold,
        QUORUM_PERCENT,
        LATE_QUORUM_EXTENSION,
        guardian,
    )
    timelock.grantRole(timelock.PROPOSER_ROLE(), governor, sender=deployer)
    timelock.grantRole(timelock.CANCELLER_ROLE(), governor, sender=deployer)
    timelock.grantRole(timelock.EXECUTOR_ROLE(), ZERO_ADDRESS, sender=deployer)
    timelock.renounceRole(timelock.DEFAULT_ADMIN_ROLE(), deployer, sender=deployer)
    assert not timelock.hasRole(timelock.DEFAULT_ADMIN_ROLE(), deployer)
    return timelock, token, governor


def main() -> int:
    started = time.monotonic()
    governor_type = project.SaharaGovernor  # compiles here if the sources changed since
    solc_version, solc_settings = compiler_settings("SaharaGovernor")
    fixed_quorum_type, variant_error = compile_fixed_quorum_governor(solc_version, solc_settings)

    with networks.ethereum.local.use_provider("test") as provider:
        acct = accounts.test_accounts
        deployer = relayer = acct[0]
        eoa_big, eoa_small = acct[1], [acct[2], acct[3], acct[4]]  # castVote(WithReason) voters
        holder_plain = acct[5]  # never delegates
        holder_delegated = acct[6]  # delegates to itself
        guardian = acct[7]
        payee = acct[8]  # an existing account without code, target of the OZ-shaped proposals
        sig_big, sig_small = signer("sig-big"), [signer("sig-small-1"), signer("sig-small-2")]
        legacy_voter = signer("sig-plain-nonce")  # signs ballots over the un-keyed nonce
        signers = [sig_big, *sig_small, legacy_voter]

        genesis = (
            [(eoa_big.address, BIG_VOTER)]
            + [(v.address, SMALL_VOTER) for v in eoa_small]
            + [(sig_big.address, BIG_VOTER)]
            + [(k.address, SMALL_VOTER) for k in (*sig_small, legacy_voter)]
            + [(holder_plain.address, HOLDER), (holder_delegated.address, HOLDER)]
        )
        timelock, token, governor = deploy(deployer, guardian, genesis)
        deploy_gas = {
            name: int(provider.get_receipt(c.txn_hash).gas_used)
            for name, c in (("timelock", timelock), ("token", token), ("governor", governor))
        }
        token_domain = domain("Sahara", token)
        governor_domain = domain("SaharaGovernor", governor)

        # Is the EIP-7623 floor in force? 1,000 non-zero calldata bytes to an account without code:
        # 37,000 gas before Prague (16 a byte), the 61,000 floor (21,000 + 10 x 4,000 tokens) with it.
        S.add("probe/calldata-floor", deployer.transfer(payee, 0, data=b"\x01" * 1000))

        def delegate_by_sig(key, delegatee: str):
            nonce = token.nonces(key.address)
            sig = sign_typed(
                key,
                token_domain,
                DELEGATION_TYPES,
                {"delegatee": delegatee, "nonce": nonce, "expiry": MAX_UINT256},
            )
            return token.delegateBySig(
                delegatee,
                nonce,
                MAX_UINT256,
                sig.v,
                sig.r.to_bytes(32, "big"),
                sig.s.to_bytes(32, "big"),
                sender=relayer,
            )

        # --- delegation (self, with a balance) -----------------------------------------------
        # `token.delegate` is shadowed by an Ape property: call it by name.
        for v in (eoa_big, *eoa_small, holder_delegated):
            S.add("delegate", token.invoke_transaction("delegate", v, sender=v))
        for key in signers:
            S.add("delegateBySig", delegate_by_sig(key, key.address))
        for who in (eoa_big, *eoa_small, holder_delegated, *signers):
            assert token.delegates(who.address) == who.address

        # --- proposals -----------------------------------------------------------------------
        # Six grants, each a single SAHARA transfer from the treasury to a new grantee (one per vote
        # method and opening-ballot state, see the ballots), and two proposals shaped like
        # OpenZeppelin's test proposal (one call with a 4-byte selector, "<proposal description>")
        # to an existing account without code: one paying 1 ETH as OZ's does, one bare. The
        # OZ-shaped one is also proposed on a twin governor with proposal threshold 0, as OZ's
        # mocks have.
        def grant(i: int):
            data = token.transfer.encode_input(fresh_address(f"grantee-{i}"), GRANT)
            return (
                [token.address],
                [0],
                [data],
                GRANT_DESCRIPTION.format(i),
            )

        def pid_of(gov, p) -> int:
            return gov.hashProposal(p[0], p[1], p[2], keccak(text=p[3]))

        selector = bytes(keccak(text="mockFunction()")[:4])
        oz_shaped = ([payee.address], [ETHER], [selector], "<proposal description>")
        bare = ([payee.address], [0], [selector], "<proposal description> (bare)")
        grants = [grant(i) for i in range(2 * len(VOTE_METHODS))]
        for p in grants:
            S.add("propose", governor.propose(*p, sender=eoa_big))
        S.add("propose/oz-shaped", governor.propose(*oz_shaped, sender=eoa_big))
        governor.propose(*bare, sender=eoa_big)

        _, _, twin = deploy(deployer, guardian, [(eoa_big.address, BIG_VOTER)], threshold=0)
        chain.mine(deltatime=1)
        S.add("propose/oz-shaped/threshold-0", twin.propose(*oz_shaped, sender=eoa_big))

        variant_proposals = []
        if fixed_quorum_type is not None:
            variant = deployer.deploy(
                fixed_quorum_type,
                token,
                timelock,
                VOTING_DELAY,
                VOTING_PERIOD,
                PROPOSAL_THRESHOLD,
                QUORUM_PERCENT,
                LATE_QUORUM_EXTENSION,
                guardian,
                QUORUM_PERCENT * TOTAL_SUPPLY // 100,
            )
            for p in grants[:2]:
                variant.propose(*p, sender=eoa_big)
                variant_proposals.append(pid_of(variant, p))

        chain.mine(deltatime=VOTING_DELAY + 1)
        grant_ids = [pid_of(governor, p) for p in grants]
        oz_id, bare_id = pid_of(governor, oz_shaped), pid_of(governor, bare)
        assert all(governor.state(pid) == 1 for pid in (*grant_ids, oz_id, bare_id))  # Active

        # --- ballots ---------------------------------------------------------------------------
        # All For. Every grant opens with one method's ballot (each method opens two grants: once
        # with a voter above the quorum, once with one below it); then each method casts one more
        # ballot, the opening method last. So each method has the same mix of ballot states; each
        # ballot is tagged with its state, read from the chain around it. A ballot signed over the
        # plain (un-keyed) nonce closes every grant.
        quorum = governor.quorum(governor.proposalSnapshot(grant_ids[0]))

        def tagged(gov, op: str, pid: int, method: str, *args, sender) -> None:
            before = gov.proposalVotes(pid)[1]
            receipt = getattr(gov, method)(pid, FOR, *args, sender=sender)
            after = gov.proposalVotes(pid)[1]
            if before == 0:
                state = FIRST_QUORUM if after >= quorum else FIRST_BELOW
            else:
                state = AFTER if before >= quorum else REACHES if after >= quorum else "below quorum"
            S.add(op, receipt, state)

        def cast(method: str, pid: int, voter) -> None:
            if method == "castVote":
                tagged(governor, method, pid, method, sender=voter)
            elif method == "castVoteWithReason":
                tagged(governor, method, pid, method, REASON, sender=voter)
            else:  # castVoteBySig over the proposal's keyed nonce, sent by a relayer
                nonce = governor.nonces(voter.address, pid % 2**192)
                sig = sign_typed(
                    voter,
                    governor_domain,
                    BALLOT_TYPES,
                    {"proposalId": pid, "support": FOR, "voter": voter.address, "nonce": nonce},
                )
                tagged(governor, method, pid, method, voter.address, sig.signature, sender=relayer)

        rounds = [(m, big) for big in (True, False) for m in VOTE_METHODS]
        for pid, (opener, big) in zip(grant_ids, rounds, strict=True):
            pools = {"eoa": list(eoa_small), "sig": list(sig_small)}

            def voter_for(method: str, big_voter: bool, pools=pools):
                kind = "sig" if method == "castVoteBySig" else "eoa"
                if big_voter:
                    return sig_big if kind == "sig" else eoa_big
                return pools[kind].pop(0)

            cast(opener, pid, voter_for(opener, big))
            k = VOTE_METHODS.index(opener)
            for method in VOTE_METHODS[k + 1 :] + VOTE_METHODS[: k + 1]:
                cast(method, pid, voter_for(method, False))

            nonce = governor.nonces(legacy_voter.address)
            sig = sign_typed(
                legacy_voter,
                governor_domain,
                BALLOT_TYPES,
                {"proposalId": pid, "support": FOR, "voter": legacy_voter.address, "nonce": nonce},
            )
            receipt = governor.castVoteBySig(pid, FOR, legacy_voter.address, sig.signature, sender=relayer)
            S.add("castVoteBySig/plain-nonce", receipt, "first use" if nonce == 0 else "used before")
        for pid in (oz_id, bare_id):
            for v in (eoa_big, eoa_small[0]):
                governor.castVote(pid, FOR, sender=v)

        # The variant: a first ballot reaching the quorum, then one after it; a first ballot below
        # the quorum, then the one reaching it, then one after it.
        if variant_proposals:
            for pid, voters in zip(variant_proposals, ([eoa_big, eoa_small[0]], eoa_small), strict=True):
                for v in voters:
                    tagged(variant, "castVote/fixed-quorum", pid, "castVote", sender=v)

        # --- queue and execute -----------------------------------------------------------------
        deployer.transfer(timelock, ETHER)  # what the OZ-shaped proposal pays out
        chain.mine(deltatime=VOTING_PERIOD + LATE_QUORUM_EXTENSION + 1)
        assert all(governor.state(pid) == 4 for pid in (*grant_ids, oz_id, bare_id))  # Succeeded
        for p in grants:
            S.add("queue", governor.queue(p[0], p[1], p[2], keccak(text=p[3]), sender=relayer))
        S.add("queue/oz-shaped", governor.queue(*oz_shaped[:3], keccak(text=oz_shaped[3]), sender=relayer))
        governor.queue(*bare[:3], keccak(text=bare[3]), sender=relayer)
        chain.mine(deltatime=TIMELOCK_DELAY + 1)
        treasury_before = token.balanceOf(timelock)
        payee_before = payee.balance
        for p in grants:
            S.add("execute", governor.execute(p[0], p[1], p[2], keccak(text=p[3]), sender=relayer))
        S.add(
            "execute/oz-shaped", governor.execute(*oz_shaped[:3], keccak(text=oz_shaped[3]), sender=relayer)
        )
        S.add("execute/bare", governor.execute(*bare[:3], keccak(text=bare[3]), sender=relayer))
        assert token.balanceOf(timelock) == treasury_before - len(grants) * GRANT
        assert payee.balance == payee_before + ETHER
        assert all(governor.state(pid) == 7 for pid in (*grant_ids, oz_id, bare_id))  # Executed

        # --- ERC20Votes transfers to a new recipient, by delegation case ------------------------
        # A "delegated" receiver set its delegation (to itself, by signature) while holding nothing.
        delegated_receivers = {}
        for case in ("receiver", "both"):
            delegated_receivers[case] = []
            for i in range(SAMPLES):
                key = signer(f"{case}-delegated-receiver-{i}")
                S.add("delegateBySig/no-balance", delegate_by_sig(key, key.address))
                delegated_receivers[case].append(key.address)
        new = [fresh_address(f"new-recipient-{i}") for i in range(2 * SAMPLES)]
        cases = {
            "votes_transfer_none": (holder_plain, new[:SAMPLES]),
            "votes_transfer_receiver": (holder_plain, delegated_receivers["receiver"]),
            "votes_transfer_sender": (holder_delegated, new[SAMPLES:]),
            "votes_transfer_both": (holder_delegated, delegated_receivers["both"]),
        }
        for op, (sender, recipients) in cases.items():
            for to in recipients:
                assert token.balanceOf(to) == 0
                S.add(op, token.transfer(to, TRANSFER_AMOUNT, sender=sender))
        for to in new[:SAMPLES]:  # the same recipients again, now holding a balance
            S.add("transfer_existing", token.transfer(to, TRANSFER_AMOUNT, sender=holder_plain))

        # --- re-delegation: from itself to an address without checkpoints ------------------------
        for i, v in enumerate(eoa_small):
            S.add(
                "redelegate", token.invoke_transaction("delegate", fresh_address(f"delegatee-{i}"), sender=v)
            )

        sizes = {
            name: len(provider.get_code(c.address))
            for name, c in (("governor", governor), ("token", token), ("timelock", timelock))
        }
        artifact = governor_type.contract_type
        runtime_size = len(artifact.runtime_bytecode.to_bytes())
        initcode_size = len(artifact.deployment_bytecode.to_bytes())
        assert runtime_size == sizes["governor"], (runtime_size, sizes["governor"])
        vm_name = type(provider.evm_backend.chain.get_vm()).__name__

    setup = {"vm": vm_name, "solc": solc_version, **solc_settings}
    report(setup, deploy_gas, sizes, initcode_size, variant_error, time.monotonic() - started)
    return 0


# --------------------------------------------------------------------------------------------
# Report


def fmt(n: float) -> str:
    return f"{round(n):,}"


def pct(ours: float, ref: float) -> str:
    return f"{ours / ref - 1:+.1%}"


# (label, our samples, OZ reference key or None)
ROWS = [
    ("Governor", None, None),
    ("propose (1 treasury transfer)", "propose", "propose"),
    ("  OZ-shaped proposal", "propose/oz-shaped", "propose"),
    ("  OZ-shaped, twin with threshold 0", "propose/oz-shaped/threshold-0", "propose"),
    ("castVote vs OZ + PreventLateQuorum", "castVote", "castVote+PLQ"),
    ("castVote vs OZ plain Governor", "castVote", "castVote"),
    ("castVoteWithReason", "castVoteWithReason", "castVoteWithReason"),
    ("castVoteBySig (keyed nonce)", "castVoteBySig", "castVoteBySig"),
    ("castVoteBySig (plain nonce)", "castVoteBySig/plain-nonce", "castVoteBySig"),
    ("queue (1 treasury transfer)", "queue", "queue"),
    ("  OZ-shaped proposal", "queue/oz-shaped", "queue"),
    ("execute (1 treasury transfer)", "execute", "execute"),
    ("  OZ-shaped proposal (pays 1 ETH)", "execute/oz-shaped", "execute"),
    ("  bare call (no ETH, no code)", "execute/bare", None),
    ("Token (ERC20Votes)", None, None),
    ("delegate (self, with balance)", "delegate", "delegate"),
    ("re-delegate (self -> another)", "redelegate", "redelegate"),
    ("delegateBySig (self, with balance)", "delegateBySig", "delegateBySig"),
    ("  without balance", "delegateBySig/no-balance", None),
    ("transfer to new: none delegated", "votes_transfer_none", "votes_transfer_none"),
    ("transfer to new: receiver delegated", "votes_transfer_receiver", "votes_transfer_receiver"),
    ("transfer to new: sender delegated", "votes_transfer_sender", None),
    ("transfer to new: both delegated", "votes_transfer_both", "votes_transfer_both"),
    ("vs plain ERC20 transfer: new recipient", "votes_transfer_none", "erc20_transfer_new"),
    ("vs plain ERC20 transfer: existing", "transfer_existing", "erc20_transfer_existing"),
]
WIDTHS = (38, 9, 17, 3, 9, 7, 10, 1)
COL = 24  # ballots-by-state columns


def row(cells) -> str:
    return "  ".join(
        c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, WIDTHS, strict=True))
    )


def report(
    setup: dict, deploy_gas: dict, sizes: dict, initcode_size: int, variant_error: str | None, seconds: float
) -> None:
    optimizer = setup.get("optimizer", {})
    runs = f"optimizer {optimizer.get('runs')} runs" if optimizer.get("enabled") else "optimizer off"
    oz_version = next((r.rsplit("/", 1)[-1] for r in setup.get("remappings", []) if "openzeppelin" in r), "?")
    print(
        f"SAHARA gas: Ape in-process test chain (py-evm {setup['vm']}, EIP-7623 calldata floor); "
        f"solc {setup['solc']}, {runs}, EVM {setup.get('evmVersion') or default_evm_version(setup['solc'])}"
        f"{', via-IR' if setup.get('viaIR') else ''}; OpenZeppelin Contracts {oz_version}. "
        "Gas = receipt.gas_used (21,000 base and calldata included)."
    )
    print(
        "OZ ref = OpenZeppelin Contracts 5 test suite under its gas reporter (solc 0.8.31, optimizer 200 runs): "
        "the average over the suite's calls.\n"
    )
    header = row(("operation", "ours avg", "min-max", "n", "OZ ref", "delta", "7623 floor", ""))
    print(header)
    print("-" * len(header))
    flagged = []
    for label, op, ref_key in ROWS:
        if op is None:
            print(label)
            continue
        gas = S.gas(op)
        avg = S.avg(op)
        spread = f"{fmt(min(gas))}-{fmt(max(gas))}" if min(gas) != max(gas) else ""
        floor = max(s.floor for s in S.by_op[op])
        ref, delta, mark = "-", "", ""
        if ref_key is not None:
            ref_gas = OZ[ref_key]
            ref, delta = fmt(ref_gas), pct(avg, ref_gas)
            if abs(avg / ref_gas - 1) > TOLERANCE:
                mark = "*"
                flagged.append((label.strip(), op, ref_key, avg, ref_gas))
        print(row((label, fmt(avg), spread, str(len(gas)), ref, delta, fmt(floor), mark)))
    print(f"* more than {TOLERANCE:.0%} off the reference, explained below.")
    probe = S.gas("probe/calldata-floor")[0]
    binding = sorted(
        {
            op
            for op, ss in S.by_op.items()
            if not op.startswith("probe/") and any(s.gas <= s.floor for s in ss)
        }
    )
    print(
        "7623 floor = 21,000 + 10 x calldata tokens (zero byte 1, other byte 4), highest sample. The chain "
        f"applies it (1,000 non-zero calldata bytes to an account without code used {fmt(probe)}: floor "
        "61,000, 37,000 without it); "
        + (
            f"it sets the gas of {', '.join(binding)}."
            if binding
            else "here it stays below the gas used by every transaction, so it changes none of these figures."
        )
    )

    print("\nBallots by state (avg gas used, all For; state read from the chain around each ballot):")
    methods = [(m, m) for m in VOTE_METHODS]
    if S.gas("castVote/fixed-quorum"):
        methods.append(("castVote, OZ-mock quorum rule*", "castVote/fixed-quorum"))
    print("  " + "ballot:".ljust(31) + "".join(s.rjust(COL) for s in STATES))
    for label, op in methods:
        cells = []
        for state in STATES:
            g = S.gas(op, state)
            cells.append((fmt(statistics.mean(g)) + (f" (n={len(g)})" if len(g) > 1 else "")) if g else "-")
        print("  " + label.ljust(31) + "".join(c.rjust(COL) for c in cells))
    if S.gas("castVote/fixed-quorum"):
        print(
            "  * this governor compiled here with quorum() returning a stored number, as OZ's mock does, "
            "instead of 4% of the past total supply."
        )
    elif variant_error:
        print(f"  (the OZ-mock-quorum variant could not be compiled: {variant_error})")

    print("\nBytecode (EIP-170 limit: 24,576 bytes of runtime code):")
    for name, size in sizes.items():
        print(
            f"  {name:<9}{fmt(size):>7} bytes = {size / EIP170_LIMIT:.0%} of the limit, "
            f"{fmt(EIP170_LIMIT - size)} to spare"
        )
    print(f"  governor initcode {fmt(initcode_size)} bytes (EIP-3860 limit {fmt(EIP3860_LIMIT)})")
    print("Deployment gas: " + ", ".join(f"{k} {fmt(v)}" for k, v in deploy_gas.items()))

    if flagged:
        print("\nWhy the starred rows differ (figures measured in this run):")
        for label, op, ref_key, avg, ref_gas in flagged:
            why = EXPLAIN.get((op, ref_key)) or EXPLAIN.get(op)
            print(f"- {label}: " + (why(avg, ref_gas) if why else "no explanation recorded."))
        checked = (
            "Checked, not a factor: the EIP-7623 floor (see above); the timestamp clock (the governor reads "
            "token.clock() in either mode, and our checkpoint-writing token rows match OZ's, which average "
            f"both modes, within {token_rows_match()}); GovernorProposalGuardian (only cancel() reaches it); "
            f"solc {setup['solc']} vs 0.8.31 (those same rows)"
        )
        if st("castVote/fixed-quorum", AFTER):
            checked += (
                "; compiling the variant outside Ape (after the quorum it costs what ours does: "
                f"{fmt(st('castVote/fixed-quorum', AFTER))} vs {fmt(st('castVote', AFTER))})"
            )
        print(checked + ".")
    print(f"\n({seconds:.1f}s)")


# --------------------------------------------------------------------------------------------
# Explanations: built only from figures measured above and the OZ figures themselves.


def st(op: str, state: str) -> int | None:
    return S.avg(op, state) if S.gas(op, state) else None


def why_propose(avg: int, ref: int) -> str:
    shaped = S.avg("propose/oz-shaped")
    t0 = S.avg("propose/oz-shaped/threshold-0")
    return (
        f"proposal size and the threshold check. The same governor takes {fmt(shaped)} for the OZ-shaped "
        f"proposal (a 68-byte call and a {len(GRANT_DESCRIPTION.format(0))}-character description cost "
        f"{fmt(avg - shaped)} more: "
        f"calldata, the ProposalCreated log, hashing); a twin with proposal threshold 0, as OZ's mocks "
        f"have, {fmt(t0)} ({pct(t0, ref)}): the proposer's getVotes check costs {fmt(shaped - t0)}."
    )


def why_propose_shaped(avg: int, ref: int) -> str:
    t0 = S.avg("propose/oz-shaped/threshold-0")
    return (
        f"the proposal threshold check (OZ's mocks have threshold 0): the twin governor with threshold 0 "
        f"takes {fmt(t0)} ({pct(t0, ref)}), so getVotes(proposer, clock() - 1), a call to the token and a "
        f"checkpoint lookup, costs {fmt(avg - t0)}."
    )


def why_propose_t0(avg: int, ref: int) -> str:
    return (
        f"{fmt(ref - avg)} below OZ: this is the smallest proposal (1 call, 4 bytes of calldata, 22 "
        f"characters), while OZ's average also covers its suite's other proposals; not resolved further."
    )


# SSTORE of a slot not yet touched in the transaction (EIP-2929/2200/3529): zero to non-zero
# 22,100, non-zero to non-zero 5,000. A ballot on a fresh Against/Abstain tally pays the difference.
FRESH_SLOT_EXTRA = 22_100 - 5_000


def first_ballots(op: str) -> int:
    return len(S.gas(op, FIRST_QUORUM)) + len(S.gas(op, FIRST_BELOW))


def token_rows_match() -> str:
    """The largest deviation from OZ among our ERC20Votes rows that have a like-for-like reference."""
    ops = ["delegate", "redelegate", "votes_transfer_none", "votes_transfer_receiver", "votes_transfer_both"]
    return f"{max(abs(S.avg(op) / OZ[op] - 1) for op in ops):.1%}"


def why_cast_vote_plq(avg: int, ref: int) -> str:
    a, after = st("castVote", FIRST_QUORUM), st("castVote", AFTER)
    a_fixed, after_fixed = st("castVote/fixed-quorum", FIRST_QUORUM), st("castVote/fixed-quorum", AFTER)
    text = (
        f"the mix of ballot states, and our quorum rule. OZ's PreventLateQuorum test mostly casts a "
        f"proposal's first ballot with the quorum reached at once (fresh hasVoted and forVotes slots, the "
        f"extended deadline written; 5 of its 9 ballots per clock mode at OZ master): ours takes {fmt(a)} "
        f"there and {fmt(after)} after the quorum, and our average holds {first_ballots('castVote')} first "
        f"ballots of {len(S.gas('castVote'))}."
    )
    if a_fixed and after_fixed:
        oz_mix = (5 * a_fixed + after_fixed + 3 * (after_fixed + FRESH_SLOT_EXTRA)) / 9
        text += (
            f" The same governor with OZ's mock quorum rule (a stored number) takes {fmt(a_fixed)} for that "
            f"first ballot: our 4%-of-past-supply quorum (token.getPastTotalSupply, the numerator "
            f"checkpoint) costs {fmt(a - a_fixed)} each time it is computed, i.e. until it is reached "
            f"(after it: {fmt(after)} vs {fmt(after_fixed)}). Weighting that variant like OZ's test (5 "
            f"first ballots, 1 after the quorum, 3 after it on a fresh Against/Abstain slot at "
            f"+{fmt(FRESH_SLOT_EXTRA)}) gives {fmt(oz_mix)} ({pct(oz_mix, ref)})."
        )
    return text


def why_cast_vote_plain(avg: int, ref: int) -> str:
    below, after = st("castVote", FIRST_BELOW), st("castVote", AFTER)
    below_fixed = st("castVote/fixed-quorum", FIRST_BELOW)
    text = (
        f"not like for like: OZ's plain Governor has no late-quorum logic, its ballots never compute the "
        f"quorum nor write a deadline. Ours: first ballot below the quorum {fmt(below)}"
    )
    if below_fixed:
        text += f" ({fmt(below_fixed)} with OZ's mock quorum rule)"
    return text + f", ballots after the quorum {fmt(after)}."


def vote_premium(op: str) -> float:
    pairs = [(st(op, s), st("castVote", s)) for s in STATES]
    return statistics.mean(x - y for x, y in pairs if x and y)


def why_with_reason(avg: int, ref: int) -> str:
    return (
        f"the same state mix as castVote; the reason adds {fmt(vote_premium('castVoteWithReason'))} state "
        f"for state (OZ: {fmt(OZ['castVoteWithReason'] - OZ['castVote'])} over its castVote)."
    )


def why_by_sig(avg: int, ref: int) -> str:
    keyed_after = st("castVoteBySig", AFTER)
    first_use = statistics.mean(S.gas("castVoteBySig/plain-nonce", "first use"))
    reused = statistics.mean(S.gas("castVoteBySig/plain-nonce", "used before"))
    return (
        f"castVote's state mix (OZ's are first ballots) plus the signature: {fmt(vote_premium('castVoteBySig'))} "
        f"over castVote state for state, OZ {fmt(OZ['castVoteBySig'] - OZ['castVote'])} on average (its "
        f"suite also reuses a plain nonce, a slot already non-zero, and votes through an ERC-1271 wallet). "
        f"GovernorNoncesKeyed: a keyed nonce opens a fresh slot for every proposal ({fmt(keyed_after)} after "
        f"the quorum); a plain-nonce ballot first fails the keyed check (+{fmt(first_use - keyed_after)}: "
        f"{fmt(first_use)} on first use) but costs {fmt(reused)} once its counter is non-zero."
    )


def why_by_sig_plain(avg: int, ref: int) -> str:
    first_use = S.gas("castVoteBySig/plain-nonce", "first use")
    reused = S.gas("castVoteBySig/plain-nonce", "used before")
    return (
        f"all cast after the quorum, OZ's are first ballots of a proposal: {fmt(statistics.mean(first_use))} "
        f"with a fresh nonce slot, {fmt(statistics.mean(reused))} with a used one; see castVoteBySig (keyed)."
    )


def why_execute(avg: int, ref: int) -> str:
    bare, shaped = S.avg("execute/bare"), S.avg("execute/oz-shaped")
    return (
        f"what the proposal executes. The same governor executes a bare call (no ETH, no code) for "
        f"{fmt(bare)} and OZ's shape (1 ETH) for {fmt(shaped)}; the grant's SAHARA transfer to a new "
        f"grantee (a fresh balance slot, the votes hook) adds {fmt(avg - bare)} to the bare call (the same "
        f"transfer sent on its own: {fmt(S.avg('votes_transfer_none'))} with the 21,000 base)."
    )


def why_execute_shaped(avg: int, ref: int) -> str:
    return (
        f"OZ's average covers every execution in its suite, whose proposals run code (CallReceiverMock logs "
        f"an event; other tests relay token transfers, update the timelock), while this payee runs none. "
        f"Execute is payload-bound: bare call {fmt(S.avg('execute/bare'))}, +1 ETH "
        f"{fmt(avg - S.avg('execute/bare'))}, a SAHARA grant {fmt(S.avg('execute'))}."
    )


def why_delegate_by_sig(avg: int, ref: int) -> str:
    without = S.avg("delegateBySig/no-balance")
    even = (avg + without) / 2
    return (
        f"OZ's average mixes delegations with and without a balance (at OZ master its ERC20Votes suite "
        f"makes 3 of each per clock mode: 'rejects reused signature' in the Votes behaviour and both "
        f"'rejects bad delegatee' delegate no tokens). Here with a balance {fmt(avg)}, without "
        f"{fmt(without)}; an even split gives {fmt(even)} ({pct(even, ref)}; the reference run's exact mix "
        f"is not known here). The signature itself adds "
        f"{fmt(avg - S.avg('delegate'))} to delegate(): nonce slot, ecrecover, typed-data hash, calldata."
    )


def why_plain_erc20(avg: int, ref: int) -> str:
    return (
        f"the votes hook: SAHARA is ERC20Votes, so every transfer reads delegates(from) and delegates(to), "
        f"two cold slots, even when nobody delegates: +{fmt(avg - ref)} here; OZ's own ERC20Votes costs "
        f"+{fmt(OZ['votes_transfer_none'] - OZ['erc20_transfer_new'])} over its ERC20, and our ERC20Votes "
        f"rows match OZ's within {token_rows_match()}."
    )


EXPLAIN: dict[str | tuple[str, str], Callable[[int, int], str]] = {
    "propose": why_propose,
    "propose/oz-shaped": why_propose_shaped,
    "propose/oz-shaped/threshold-0": why_propose_t0,
    ("castVote", "castVote+PLQ"): why_cast_vote_plq,
    ("castVote", "castVote"): why_cast_vote_plain,
    "castVoteWithReason": why_with_reason,
    "castVoteBySig": why_by_sig,
    "castVoteBySig/plain-nonce": why_by_sig_plain,
    "execute": why_execute,
    "execute/oz-shaped": why_execute_shaped,
    "delegateBySig": why_delegate_by_sig,
    ("votes_transfer_none", "erc20_transfer_new"): why_plain_erc20,
    ("transfer_existing", "erc20_transfer_existing"): why_plain_erc20,
}


if __name__ == "__main__":
    sys.exit(main())
