"""Gasless voting: signed ballots and delegations verified off-chain before any gas is spent.

``submit`` parses an envelope (:mod:`sahara_dao.governance.ballots`) and checks it against the chain:
the domain (chain id, governor or token), the signature, the proposal's state, whether the voter
already voted, the nonce, the voting power at the snapshot and the relay's budget (a quota per voter
and proposal, a minimum voting power). It stores one row per signature: ``pending`` when it passed,
``rejected`` with the reason when not. Submitting the same signature again returns the same row (a
rejected one is checked again: voting may have opened since). :mod:`sahara_dao.governance.relay_send`
sends the pending rows.
"""

import time
from collections import Counter
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from sahara_dao.core.config_files import read_yaml
from sahara_dao.core.deployments import Deployment
from sahara_dao.core.units import format_tokens, to_base_units
from sahara_dao.governance import eip712
from sahara_dao.governance.ballots import (
    BALLOT,
    DELEGATION,
    EXTENDED_BALLOT,
    Signed,
    nonce_key,
    parse_envelope,
    sign_with,
)
from sahara_dao.governance.errors import RelayError, SignatureError
from sahara_dao.governance.lifecycle import ProposalState, Support
from sahara_dao.governance.models import RelayedSignature, RelayKind, RelayStatus

COUNTED = (RelayStatus.PENDING, RelayStatus.SENDING, RelayStatus.CAST, RelayStatus.FAILED)


class Code(StrEnum):
    """Why a signature was rejected (before gas) or failed (on chain)."""

    WRONG_CHAIN = "wrong-chain"
    WRONG_CONTRACT = "wrong-contract"
    BAD_SIGNATURE = "bad-signature"
    INVALID_SUPPORT = "invalid-support"
    UNKNOWN_PROPOSAL = "unknown-proposal"
    VOTING_CLOSED = "voting-closed"
    ALREADY_VOTED = "already-voted"
    ALREADY_DELEGATED = "already-delegated"
    BAD_NONCE = "bad-nonce"
    EXPIRED = "expired"
    NO_VOTING_POWER = "no-voting-power"
    BELOW_MINIMUM = "below-minimum"
    OVER_QUOTA = "over-quota"
    REVERTED = "reverted"


class Refusal(Exception):
    """Internal: a check refused the signature (``code``, ``detail``)."""

    def __init__(self, code: Code, detail: str):
        super().__init__(detail)
        self.code, self.detail = code, detail


# --- configuration ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RelayConfig:
    """The relay's budget (governance/relay.yaml)."""

    min_voting_power: int = 1_000 * 10**18  # base units
    ballots_per_proposal: int = 2
    delegations_per_address: int = 3
    batch_size: int = 50


def load_relay_config(path: Path) -> RelayConfig:
    data = read_yaml(path, "relay", "pass --config or set SAHARA_RELAY_FILE", RelayError) or {}
    if not isinstance(data, dict):
        raise RelayError(f"relay file {path} must be a mapping of settings")
    known = set(RelayConfig.__dataclass_fields__)
    if unknown := sorted(set(data) - known):
        raise RelayError(
            f"relay file {path}: unknown settings {', '.join(unknown)} (known: {', '.join(sorted(known))})"
        )
    values = dict(data)
    if "min_voting_power" in values:
        values["min_voting_power"] = to_base_units(values["min_voting_power"], f"{path}: min_voting_power")
    for name in ("ballots_per_proposal", "delegations_per_address", "batch_size"):
        if name in values and (
            isinstance(values[name], bool) or not isinstance(values[name], int) or values[name] < 1
        ):
            raise RelayError(
                f"relay file {path}: {name} must be a whole number of at least 1, not {values[name]!r}"
            )
    return RelayConfig(**values)


# --- the contracts of one chain --------------------------------------------------------------------


@dataclass(frozen=True)
class RelayContracts:
    """The governor, token and Multicall3 of one deployment (Ape contract instances, connected)."""

    chain_id: int
    governor: Any
    token: Any
    multicall: Any

    @classmethod
    def from_record(cls, record: Deployment) -> "RelayContracts":
        from sahara_dao.core.contracts import project

        if "multicall3" not in record.contracts:
            raise RelayError(
                f"the deployment on chain {record.chain_id} has no Multicall3: run `sahara deploy --network "
                f"{record.network}` again (it adds one and changes nothing else)"
            )
        contracts = project()
        return cls(
            chain_id=record.chain_id,
            governor=contracts.SaharaGovernor.at(record.address("governor")),
            token=contracts.SaharaToken.at(record.address("token")),
            multicall=contracts.Multicall3.at(record.address("multicall3")),
        )

    def domain(self, contract) -> dict[str, Any]:
        """The EIP-712 domain the contract itself reports (ERC-5267 ``eip712Domain``)."""
        _fields, name, version, chain_id, verifying_contract, _salt, _extensions = contract.eip712Domain()
        return {
            "name": name,
            "version": version,
            "chainId": chain_id,
            "verifyingContract": verifying_contract,
        }

    def target(self, signed: Signed):
        return self.governor if signed.is_vote else self.token


# --- submit ----------------------------------------------------------------------------------------


def submit(session: Session, contracts: RelayContracts, document: Any, *, config: RelayConfig,
           now: int | None = None) -> RelayedSignature:  # fmt: skip
    """Verify a signed envelope and store it once: ``pending`` or ``rejected`` with the reason.
    A malformed envelope raises RelayError (nothing is stored: there is nothing to key it by)."""
    signed = parse_envelope(document)
    signature = "0x" + signed.signature.hex()
    row = session.exec(
        select(RelayedSignature).where(
            RelayedSignature.chain_id == contracts.chain_id, RelayedSignature.signature == signature
        )
    ).first()
    if row is not None and row.status != RelayStatus.REJECTED:
        return row
    now = int(time.time()) if now is None else now
    target = contracts.target(signed)
    domain = contracts.domain(target)
    message = signed.message
    if row is None:
        row = RelayedSignature(
            chain_id=contracts.chain_id,
            kind=RelayKind.VOTE if signed.is_vote else RelayKind.DELEGATION,
            target=target.address,
            signer=signed.signer,
            proposal_id=message.get("proposalId"),
            support=message.get("support"),
            reason=message.get("reason") if signed.primary_type == EXTENDED_BALLOT else None,
            params=("0x" + message["params"].hex()) if signed.primary_type == EXTENDED_BALLOT else None,
            delegatee=message.get("delegatee"),
            expiry=message.get("expiry"),
            nonce=message["nonce"],
            signature=signature,
            digest="0x" + signed.digest(domain).hex(),
            status=RelayStatus.PENDING,
            submitted_at=now,
            updated_at=now,
        )
    try:
        _check_domain(signed, domain, contracts.chain_id)
        _check_signature(signed, domain)
        row.weight = check_chain(contracts, row, config)
        _check_quota(session, row, config)
    except Refusal as refusal:
        mark(row, RelayStatus.REJECTED, now, refusal.code, refusal.detail)
    else:
        mark(row, RelayStatus.PENDING, now)
    session.add(row)
    session.commit()
    return row


def mark(row: RelayedSignature, status: RelayStatus, now: int, code: Code | None = None, detail: str | None = None,
          tx_hash: str | None = None) -> None:  # fmt: skip
    row.status, row.code, row.detail, row.updated_at = status, code, detail, now
    if tx_hash is not None or status == RelayStatus.PENDING:
        row.tx_hash = tx_hash


def _check_domain(signed: Signed, domain: dict[str, Any], chain_id: int) -> None:
    given = signed.domain
    if not given:
        return
    what = "governor" if signed.is_vote else "token"
    if "chainId" in given and _chain_id(given["chainId"]) != chain_id:
        raise Refusal(Code.WRONG_CHAIN, f"signed for chain {given['chainId']}, but this relay serves chain {chain_id}: "
                      f"sign again for chain {chain_id}")  # fmt: skip
    contract = given.get("verifyingContract")
    if contract is not None and str(contract).lower() != domain["verifyingContract"].lower():
        raise Refusal(Code.WRONG_CONTRACT, f"signed for {what} {contract}, but this DAO's {what} is "
                      f"{domain['verifyingContract']}: sign again for it")  # fmt: skip
    for key in ("name", "version"):
        if key in given and given[key] != domain[key]:
            raise Refusal(Code.WRONG_CONTRACT, f"signed with domain {key} {given[key]!r}, but the {what} "
                          f"{domain['verifyingContract']} has {domain[key]!r}")  # fmt: skip


def _chain_id(value: Any) -> int | None:
    """A domain's chainId as JSON carries it: a number, a decimal or a 0x-hex string."""
    try:
        return value if isinstance(value, int) else int(str(value), 0)
    except ValueError:
        return None


def _check_signature(signed: Signed, domain: dict[str, Any]) -> None:
    try:
        recovered = eip712.recover(signed.digest(domain), signed.signature)
    except SignatureError as exc:
        raise Refusal(
            Code.BAD_SIGNATURE, f"the signature is invalid ({exc}): sign the message again"
        ) from None
    if recovered != signed.signer:
        raise Refusal(Code.BAD_SIGNATURE, f"the signature recovers to {recovered}, not {signed.signer}, over this "
                      f"chain's domain: sign with {signed.signer}'s key for chain {domain['chainId']}")  # fmt: skip


def check_chain(contracts: RelayContracts, row: RelayedSignature, config: RelayConfig) -> int:
    """The checks that depend on the chain's state; returns the signer's voting power (or balance)."""
    if row.kind == RelayKind.VOTE:
        return _check_vote(contracts.governor, row, config)
    return _check_delegation(contracts.token, row, config)


def _check_vote(governor, row: RelayedSignature, config: RelayConfig) -> int:
    from ape.exceptions import ContractLogicError

    proposal_id, voter = row.proposal_id, row.signer
    if row.support not in tuple(Support):
        raise Refusal(Code.INVALID_SUPPORT, f"support {row.support} is not 0 (against), 1 (for) or 2 (abstain): "
                      "sign the ballot again")  # fmt: skip
    try:
        state = ProposalState(governor.state(proposal_id))
    except ContractLogicError:
        raise Refusal(Code.UNKNOWN_PROPOSAL, f"no proposal {proposal_id} on governor {governor.address}: "
                      "check the proposal id (`sahara gov status`)") from None  # fmt: skip
    if state is not ProposalState.ACTIVE:
        raise Refusal(Code.VOTING_CLOSED, f"proposal {proposal_id} is {state.name.lower()}: ballots are relayed "
                      "only while voting is open")  # fmt: skip
    if governor.hasVoted(proposal_id, voter):
        raise Refusal(Code.ALREADY_VOTED, f"{voter} has already voted on proposal {proposal_id}")
    keyed = governor.nonces(voter, nonce_key(proposal_id))
    plain = governor.nonces(voter)
    if row.nonce not in (keyed, plain):
        raise Refusal(Code.BAD_NONCE, f"nonce {row.nonce} is used or out of turn: the governor takes {keyed} "
                      f"(keyed on this proposal) or {plain} from {voter}; sign again with one of them")  # fmt: skip
    weight = governor.getVotes(voter, governor.proposalSnapshot(proposal_id))
    _check_power(weight, config, f"{voter} had no votes at proposal {proposal_id}'s snapshot",
                 "delegate before a proposal's snapshot to vote on it")  # fmt: skip
    return weight


def _check_delegation(token, row: RelayedSignature, config: RelayConfig) -> int:
    from sahara_dao.core.chain import next_timestamp

    delegator = row.signer
    if row.expiry < next_timestamp():
        raise Refusal(Code.EXPIRED, f"the delegation expired at {row.expiry} (unix seconds): sign it again "
                      "with a later expiry")  # fmt: skip
    current = token.nonces(delegator)
    if row.nonce != current:
        raise Refusal(Code.BAD_NONCE, f"nonce {row.nonce} is used or out of turn: the token takes {current} "
                      f"from {delegator}; sign again with it")  # fmt: skip
    if token.delegates(delegator) == row.delegatee:
        raise Refusal(Code.ALREADY_DELEGATED, f"{delegator} already delegates to {row.delegatee}")
    balance = token.balanceOf(delegator)
    _check_power(
        balance, config, f"{delegator} holds no SAHARA", "a delegation moves only held tokens' votes"
    )
    return balance


def _check_power(weight: int, config: RelayConfig, nothing: str, hint: str) -> None:
    if weight == 0:
        raise Refusal(Code.NO_VOTING_POWER, f"{nothing}: {hint}")
    if weight < config.min_voting_power:
        raise Refusal(Code.BELOW_MINIMUM, f"{format_tokens(weight)} SAHARA is below the relay's minimum of "
                      f"{format_tokens(config.min_voting_power)}: send the transaction yourself")  # fmt: skip


def _check_quota(session: Session, row: RelayedSignature, config: RelayConfig) -> None:
    query = select(RelayedSignature).where(
        RelayedSignature.chain_id == row.chain_id,
        RelayedSignature.signer == row.signer,
        RelayedSignature.kind == row.kind,
        RelayedSignature.status.in_(COUNTED),
    )
    if row.id is not None:
        query = query.where(RelayedSignature.id != row.id)
    if row.kind == RelayKind.VOTE:
        taken = sum(1 for other in session.exec(query) if other.proposal_id == row.proposal_id)
        quota, what = config.ballots_per_proposal, f"ballots on proposal {row.proposal_id}"
    else:
        taken = len(session.exec(query).all())
        quota, what = config.delegations_per_address, "delegations"
    if taken >= quota:
        raise Refusal(Code.OVER_QUOTA, f"{row.signer} already has {taken} {what} with the relay (quota {quota}): "
                      "send the transaction yourself")  # fmt: skip


def unix_now() -> int:
    return int(time.time())


# --- status ----------------------------------------------------------------------------------------


def relay_status(session: Session, chain_id: int) -> tuple[Counter, list[RelayedSignature]]:
    """Counts by status and every row of the chain, newest first."""
    rows = list(
        session.exec(
            select(RelayedSignature)
            .where(RelayedSignature.chain_id == chain_id)
            .order_by(RelayedSignature.id.desc())
        )
    )
    return Counter(row.status for row in rows), rows


# --- signing (tests, demos, wallets without EIP-712 support) ---------------------------------------


def sign_vote(contracts: RelayContracts, account, proposal_id: int, support: int, *, reason: str | None = None,
              params: bytes = b"", nonce: int | None = None) -> dict:  # fmt: skip
    """An envelope of ``account``'s ballot (an ExtendedBallot when there is a reason); the nonce is the
    voter's next one keyed on the proposal unless given."""
    governor = contracts.governor
    if nonce is None:
        nonce = governor.nonces(account.address, nonce_key(proposal_id))
    message = {"proposalId": proposal_id, "support": support, "voter": account.address, "nonce": nonce}
    primary_type = BALLOT
    if reason is not None:
        primary_type = EXTENDED_BALLOT
        message |= {"reason": reason, "params": params}
    return sign_with(account, contracts.domain(governor), primary_type, message)


def sign_delegation(contracts: RelayContracts, account, delegatee: str, *, expiry: int,
                    nonce: int | None = None) -> dict:  # fmt: skip
    """An envelope of ``account``'s delegation of its SAHARA votes to ``delegatee`` until ``expiry``."""
    token = contracts.token
    nonce = token.nonces(account.address) if nonce is None else nonce
    message = {"delegatee": delegatee, "nonce": nonce, "expiry": expiry}
    return sign_with(account, contracts.domain(token), DELEGATION, message)
