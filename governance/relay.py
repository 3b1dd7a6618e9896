"""Gasless voting: signed ballots and delegations, verified off-chain, relayed in Multicall3 batches.

``submit`` parses an envelope (:mod:`sahara_dao.governance.ballots`) and checks it against the chain
before any gas is spent: the domain (chain id, governor or token), the signature, the proposal's
state, whether the voter already voted, the nonce, the voting power at the snapshot and the relay's
budget (a quota per voter and proposal, a minimum voting power). It stores one row per signature:
``pending`` when it passed, ``rejected`` with the reason when not. Submitting the same signature
again returns the same row (a rejected one is checked again: voting may have opened since).

``relay_pending`` sends the pending rows in batches through Multicall3 ``aggregate3`` with
``allowFailure``. Each batch is checked again (state, hasVoted, nonces), then simulated: a call that
would fail is marked ``failed`` with its decoded revert reason and left out, so gas is only spent on
calls that succeed. The signed transaction's hash is recorded (``sending``) before it is broadcast;
after mining, each row is marked ``cast`` when its VoteCast or DelegateChanged event is in the
receipt, else ``failed``. A run that dies after recording finds the transaction by its hash on the
next run (mined: resolved from its receipt; unknown: the rows go back to pending and through the
checks again), so nothing is sent twice.
"""

import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from eth_abi import decode as abi_decode
from eth_utils import is_address, keccak, to_checksum_address
from sqlmodel import Session, select

from sahara_dao.core.accounts import require_funds
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

PENDING_TIMEOUT = 120  # seconds to wait for a recorded transaction that the node still holds unmined
COUNTED = (RelayStatus.PENDING, RelayStatus.SENDING, RelayStatus.CAST, RelayStatus.FAILED)
Progress = Callable[[str], None]


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
        row.weight = _check_chain(contracts, row, config)
        _check_quota(session, row, config)
    except Refusal as refusal:
        _mark(row, RelayStatus.REJECTED, now, refusal.code, refusal.detail)
    else:
        _mark(row, RelayStatus.PENDING, now)
    session.add(row)
    session.commit()
    return row


def _mark(row: RelayedSignature, status: RelayStatus, now: int, code: Code | None = None, detail: str | None = None,
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


def _check_chain(contracts: RelayContracts, row: RelayedSignature, config: RelayConfig) -> int:
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


# --- relay -----------------------------------------------------------------------------------------


@dataclass
class RelayReport:
    cast: list[RelayedSignature] = field(default_factory=list)
    failed: list[RelayedSignature] = field(default_factory=list)
    rejected: list[RelayedSignature] = field(default_factory=list)
    requeued: list[RelayedSignature] = field(default_factory=list)
    transactions: list[str] = field(default_factory=list)
    gas_used: int = 0

    @property
    def sent(self) -> int:
        return len(self.transactions)


def relay_pending(session: Session, contracts: RelayContracts, relayer, *, config: RelayConfig,
                  batch_size: int | None = None, progress: Progress | None = None) -> RelayReport:  # fmt: skip
    """Send every pending signature of the chain in Multicall3 batches (see the module's notes)."""
    say = progress or (lambda _text: None)
    size = batch_size or config.batch_size
    if size < 1:
        raise RelayError(f"the batch size must be at least 1, not {size}")
    report = RelayReport()
    _resolve_sending(session, contracts, report, say)
    while pending := _pending(session, contracts.chain_id):
        batch = _pick(pending, size)
        live = [row for row in batch if _still_valid(session, contracts, row, config, report)]
        if live:
            _send_batch(session, contracts, relayer, live, report, say)
    return report


def _pending(session: Session, chain_id: int) -> list[RelayedSignature]:
    query = select(RelayedSignature).where(
        RelayedSignature.chain_id == chain_id, RelayedSignature.status == RelayStatus.PENDING
    )
    return list(session.exec(query.order_by(RelayedSignature.id)))


def _pick(pending: list[RelayedSignature], size: int) -> list[RelayedSignature]:
    """Up to ``size`` rows, at most one per voter and proposal (or per delegator): a second one waits
    for the next batch, where the re-check sees what the first did."""
    seen, batch = set(), []
    for row in pending:
        key = (row.kind, row.signer, row.proposal_id)
        if key not in seen:
            seen.add(key)
            batch.append(row)
            if len(batch) == size:
                break
    return batch


def _still_valid(session: Session, contracts: RelayContracts, row: RelayedSignature, config: RelayConfig,
                 report: RelayReport) -> bool:  # fmt: skip
    try:
        _check_chain(contracts, row, config)
    except Refusal as refusal:
        _mark(row, RelayStatus.REJECTED, _now(), refusal.code, f"before sending: {refusal.detail}")
        session.add(row)
        session.commit()
        report.rejected.append(row)
        return False
    return True


def call_of(contracts: RelayContracts, row: RelayedSignature) -> tuple[str, bool, bytes]:
    """The Multicall3 ``Call3`` that carries out ``row`` (failure allowed)."""
    signature = bytes.fromhex(row.signature[2:])
    if row.kind == RelayKind.DELEGATION:
        v, r, s = signature[64], signature[:32], signature[32:64]
        data = contracts.token.delegateBySig.encode_input(row.delegatee, row.nonce, row.expiry, v, r, s)
        return contracts.token.address, True, bytes(data)
    governor = contracts.governor
    if row.reason is not None:
        params = bytes.fromhex((row.params or "0x")[2:])
        data = governor.castVoteWithReasonAndParamsBySig.encode_input(
            row.proposal_id, row.support, row.signer, row.reason, params, signature
        )
    else:
        data = governor.castVoteBySig.encode_input(row.proposal_id, row.support, row.signer, signature)
    return governor.address, True, bytes(data)


def _send_batch(session: Session, contracts: RelayContracts, relayer, rows: list[RelayedSignature],
                report: RelayReport, say: Progress) -> None:  # fmt: skip
    require_funds(relayer, "relaying signed ballots")
    calls = [call_of(contracts, row) for row in rows]
    simulated = contracts.multicall.aggregate3.call(calls, sender=relayer)
    keep = []
    for row, call, result in zip(rows, calls, simulated, strict=True):
        if result.success:
            keep.append((row, call))
        else:
            reason = decode_revert(bytes(result.returnData), contracts)
            _mark(row, RelayStatus.FAILED, _now(), Code.REVERTED, f"the simulation reverted: {reason}")
            session.add(row)
            report.failed.append(row)
    session.commit()
    if not keep:
        return
    txn = contracts.multicall.aggregate3.as_transaction([call for _, call in keep], sender=relayer)
    signed = relayer.sign_transaction(txn)
    if signed is None:
        raise RelayError(f"the relayer {relayer.address} did not sign the batch; nothing was sent")
    tx_hash = _hex(signed.txn_hash)
    for row, _ in keep:
        _mark(row, RelayStatus.SENDING, _now(), tx_hash=tx_hash)
        session.add(row)
    session.commit()  # the hash is on record before the transaction leaves
    say(f"batch of {len(keep)}: sending {tx_hash}")
    from ape.exceptions import ApeException

    try:
        receipt = relayer.provider.send_transaction(signed)
    except ApeException as exc:
        receipt = _receipt(tx_hash)
        if receipt is None:
            raise RelayError(f"the batch transaction {tx_hash} was refused: {exc}. Its {len(keep)} signatures "
                             "stay recorded as sending; rerun `sahara gov relay run` to check and resend") from exc  # fmt: skip
    _resolve(session, contracts, [row for row, _ in keep], receipt, report, say)


def _resolve(session: Session, contracts: RelayContracts, rows: list[RelayedSignature], receipt,
             report: RelayReport, say: Progress) -> None:  # fmt: skip
    """Mark each row cast (its event is in the receipt) or failed (with the reason the chain gives now)."""
    tx_hash = _hex(receipt.txn_hash)
    done = _done_in(receipt, contracts)
    for row in rows:
        key = (row.signer, row.proposal_id) if row.kind == RelayKind.VOTE else (row.signer, row.delegatee)
        if key in done:
            _mark(row, RelayStatus.CAST, _now(), tx_hash=tx_hash)
            report.cast.append(row)
        else:
            now = contracts.multicall.aggregate3.call([call_of(contracts, row)])[0]
            reason = (
                decode_revert(bytes(now.returnData), contracts)
                if not now.success
                else "no event in the receipt"
            )
            _mark(row, RelayStatus.FAILED, _now(), Code.REVERTED, f"not carried out by {tx_hash}: {reason}",
                  tx_hash=tx_hash)  # fmt: skip
            report.failed.append(row)
        session.add(row)
    session.commit()
    report.transactions.append(tx_hash)
    report.gas_used += int(receipt.gas_used)
    say(f"batch {tx_hash}: {sum(r.status == RelayStatus.CAST for r in rows)} cast, "
        f"{sum(r.status == RelayStatus.FAILED for r in rows)} failed, gas {int(receipt.gas_used):,}")  # fmt: skip


def _done_in(receipt, contracts: RelayContracts) -> set[tuple]:
    governor, token = contracts.governor, contracts.token
    done = set()
    for event in (governor.VoteCast, governor.VoteCastWithParams):
        for log in receipt.events.filter(event):
            done.add((log.voter, log.proposalId))
    for log in receipt.events.filter(token.DelegateChanged):
        done.add((log.delegator, log.toDelegate))
    return done


def _resolve_sending(session: Session, contracts: RelayContracts, report: RelayReport, say: Progress) -> None:
    """Rows left ``sending`` by an interrupted run: resolve them from their transaction's receipt, or,
    if the chain never saw it, put them back to pending (they go through the checks again)."""
    query = select(RelayedSignature).where(
        RelayedSignature.chain_id == contracts.chain_id, RelayedSignature.status == RelayStatus.SENDING
    )
    by_tx: dict[str, list[RelayedSignature]] = {}
    for row in session.exec(query.order_by(RelayedSignature.id)):
        by_tx.setdefault(row.tx_hash, []).append(row)
    for tx_hash, rows in by_tx.items():
        receipt = _receipt(tx_hash)
        if receipt is not None:
            say(f"batch {tx_hash} from an earlier run was mined: recording its outcome")
            _resolve(session, contracts, rows, receipt, report, say)
            continue
        say(
            f"batch {tx_hash} from an earlier run never reached the chain: its {len(rows)} signatures are checked again"
        )
        for row in rows:
            _mark(row, RelayStatus.PENDING, _now())
            session.add(row)
            report.requeued.append(row)
        session.commit()


def _receipt(tx_hash: str):
    """The receipt of ``tx_hash`` (waiting while the node holds it unmined), or None if it is unknown."""
    from ape import chain
    from web3.exceptions import TransactionNotFound

    web3 = chain.provider.web3
    try:
        web3.eth.get_transaction(tx_hash)
    except TransactionNotFound:
        return None
    web3.eth.wait_for_transaction_receipt(tx_hash, timeout=PENDING_TIMEOUT)
    return chain.provider.get_receipt(tx_hash)


# --- revert reasons --------------------------------------------------------------------------------


def decode_revert(data: bytes, contracts: RelayContracts) -> str:
    """A revert's data in words: ``GovernorAlreadyCastVote(voter=0x...)``, ``Error("...")``, ``Panic(17)``."""
    if len(data) < 4:
        return "reverted without a reason" if not data else f"reverted with 0x{data.hex()}"
    selector, body = data[:4], data[4:]
    if selector == keccak(text="Error(string)")[:4]:
        return f"Error({abi_decode(['string'], body)[0]!r})"
    if selector == keccak(text="Panic(uint256)")[:4]:
        return f"Panic({abi_decode(['uint256'], body)[0]})"
    for abi in _errors(contracts):
        if keccak(text=abi.selector)[:4] == selector:
            types = [item.canonical_type for item in abi.inputs]
            try:
                values = abi_decode(types, body)
            except Exception:  # noqa: BLE001 - data that does not fit the error's types
                break
            args = ", ".join(
                f"{item.name}={_show(value)}" for item, value in zip(abi.inputs, values, strict=True)
            )
            return f"{abi.name}({args})"
    return f"reverted with 0x{data.hex()}"


def _errors(contracts: RelayContracts) -> Iterable:
    for contract in (contracts.governor, contracts.token, contracts.multicall):
        yield from contract.contract_type.errors


def _show(value) -> str:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return to_checksum_address(value) if isinstance(value, str) and is_address(value) else str(value)


def _hex(value) -> str:
    text = value.hex() if isinstance(value, bytes | bytearray) else str(value)
    return text if text.startswith("0x") else "0x" + text


def _now() -> int:
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
