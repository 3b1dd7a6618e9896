"""Relaying: pending signatures go out in Multicall3 ``aggregate3`` batches, each exactly once.

Each batch holds at most one signature per voter and proposal (or per delegator), is checked again
against the chain (state, hasVoted, nonces, expiry) and simulated with ``allowFailure``: a call that
would fail is marked ``failed`` with its decoded revert reason and left out, so gas is only spent on
calls that succeed. The signed transaction's hash is recorded (``sending``) before it is broadcast;
after mining, each row is marked ``cast`` when its VoteCast or DelegateChanged event is in the
receipt, else ``failed`` with the reason the chain gives. A run that dies after recording finds the
transaction by its hash on the next run (mined: resolved from its receipt; unknown to the node: the
rows go back to pending and through the checks again), so nothing is sent twice.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from eth_abi import decode as abi_decode
from eth_utils import is_address, keccak, to_checksum_address
from sqlmodel import Session, select

from sahara_dao.core.accounts import require_funds
from sahara_dao.governance.errors import RelayError
from sahara_dao.governance.models import RelayedSignature, RelayKind, RelayStatus
from sahara_dao.governance.relay import (
    Code,
    Refusal,
    RelayConfig,
    RelayContracts,
    check_chain,
    mark,
    unix_now,
)

PENDING_TIMEOUT = 120  # seconds to wait for a recorded transaction that the node still holds unmined
Progress = Callable[[str], None]


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
        check_chain(contracts, row, config)
    except Refusal as refusal:
        mark(row, RelayStatus.REJECTED, unix_now(), refusal.code, f"before sending: {refusal.detail}")
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
            mark(row, RelayStatus.FAILED, unix_now(), Code.REVERTED, f"the simulation reverted: {reason}")
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
        mark(row, RelayStatus.SENDING, unix_now(), tx_hash=tx_hash)
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
            mark(row, RelayStatus.CAST, unix_now(), tx_hash=tx_hash)
            report.cast.append(row)
        else:
            result = contracts.multicall.aggregate3.call([call_of(contracts, row)])[0]
            reason = (
                decode_revert(bytes(result.returnData), contracts)
                if not result.success
                else "no event in the receipt"
            )
            mark(row, RelayStatus.FAILED, unix_now(), Code.REVERTED, f"not carried out by {tx_hash}: {reason}",
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
            mark(row, RelayStatus.PENDING, unix_now())
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
