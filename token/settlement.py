"""Royalty settlement on a chain: compute an epoch, fund and publish its root, verify it, prove and
claim against it.

:func:`settle` is idempotent and resumable. Its state lives in the ``epoch`` table:
``computed`` (inputs read, tree built, epoch file written) -> ``published`` (root in the vault) ->
``activated``/``verified``; an epoch in which nothing was earned ends as ``empty`` (the vault keeps
the previous root). A rerun of a published epoch publishes nothing; a run that stopped
after computing publishes the stored root (never a recomputed one); a run that stopped after the
publishing transaction and before recording it finds the root on chain and records it.
"""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from eth_utils import keccak, to_checksum_address
from sqlmodel import Session, select

from sahara_dao.core.accounts import load_signer
from sahara_dao.core.chain import is_local, next_timestamp
from sahara_dao.core.contracts import project
from sahara_dao.core.db import session_scope
from sahara_dao.core.deployments import COMPLETE, DeploymentStore
from sahara_dao.core.models import IndexerCheckpoint
from sahara_dao.core.settings import get_settings
from sahara_dao.core.units import format_tokens
from sahara_dao.token.economy import load_economy
from sahara_dao.token.epochs import (
    EpochResult,
    SettlementError,
    compute,
    epoch_file_path,
    epoch_of_window,
    epoch_window,
    gather_inputs,
    read_epoch_file,
    record,
    verify_epoch_file,
    write_epoch_file,
)
from sahara_dao.token.intake import USAGE, quarantined_count
from sahara_dao.token.merkle import StandardMerkleTree
from sahara_dao.token.models import Epoch, EpochStatus

Progress = Callable[[str], None]
ROOT_PUBLISHED = "0x" + keccak(text="RootPublished(uint256,bytes32,uint256,uint256)").hex()
USAGE_DEPOSIT_ASSET = 0  # asset id of pay-per-use fee deposits; the epoch file attributes them per asset


@dataclass(frozen=True)
class OnChainRoot:
    epoch: int
    root: str
    total: int
    activates_at: int
    tx_hash: str


@dataclass
class SettleOutcome:
    chain_id: int
    epoch: int
    window: tuple[int, int]
    status: str
    root: str
    total: int
    earned: int
    computed_now: bool
    published_now: bool
    funded: int
    epoch_file: str


class ChainContext:
    """The deployment on the connected chain and the contracts settlement talks to."""

    def __init__(self):
        from ape import chain

        self.chain = chain
        self.chain_id = chain.chain_id
        record = DeploymentStore(get_settings().deployments_dir).load(self.chain_id)
        if record is None or record.status != COMPLETE:
            raise SettlementError(
                f"no complete deployment on chain {self.chain_id}: run `sahara deploy` for it first"
            )
        self.record = record
        contracts = project()
        self.vault = contracts.RevenueVault.at(record.address("vault"))
        self.token = contracts.SaharaToken.at(record.address("token"))

    def published_root(self, epoch: int) -> OnChainRoot | None:
        """The root the vault published for ``epoch``, read from its RootPublished logs."""
        logs = self.chain.provider.web3.eth.get_logs({
            "address": self.vault.address, "fromBlock": 0, "toBlock": "latest",
            "topics": [ROOT_PUBLISHED, "0x" + epoch.to_bytes(32, "big").hex()],
        })  # fmt: skip
        if not logs:
            return None
        log = logs[-1]
        data = bytes(log["data"])
        return OnChainRoot(epoch, "0x" + data[:32].hex(), int.from_bytes(data[32:64], "big"),
                           int.from_bytes(data[64:96], "big"), "0x" + bytes(log["transactionHash"]).hex())  # fmt: skip


def resolve_epoch(epoch: int | None, window: tuple[int, int] | None) -> tuple[int, tuple[int, int]]:
    """The epoch number and window from ``--epoch`` and/or ``--window``."""
    if window is None:
        if epoch is None:
            raise SettlementError("name the epoch (--epoch N) or its window (--window START END)")
        return epoch, epoch_window(epoch)
    start, end = window
    if end <= start:
        raise SettlementError(f"window [{start}, {end}) is empty: END must be after START")
    return (epoch if epoch is not None else epoch_of_window(start, end)), (start, end)


def settle(
    ctx: ChainContext, *, epoch: int | None = None, window: tuple[int, int] | None = None,
    account: str | None = None, fund: bool = True, publish: bool = True, progress: Progress = lambda _: None,
) -> SettleOutcome:
    """Settle one epoch on the connected chain (see the module docstring)."""
    number, (start, end) = resolve_epoch(epoch, window)
    settings = get_settings()
    economy = load_economy(settings.governance_file)
    with session_scope() as session:
        row = session.get(Epoch, (ctx.chain_id, number))
        computed_now = row is None
        if row is None:
            _check_order(session, ctx.chain_id, number, start)
            _check_indexed(session, ctx, end)
            progress(f"epoch {number} on chain {ctx.chain_id}: reading [{start}, {end}) from the database")
            inputs = gather_inputs(
                session, chain_id=ctx.chain_id, epoch=number, start=start, end=end,
                fee_bps=ctx.vault.protocolFeeBps(), treasury=ctx.record.address("timelock"),
                quarantined=quarantined_count(session, source=USAGE, chain_id=ctx.chain_id),
            )  # fmt: skip
            result = compute(inputs)
            path = write_epoch_file(epoch_file_path(ctx.chain_id, number), result)
            row = record(session, result, path)
            session.commit()
            progress(_computed_line(result, path))
        elif (row.window_start, row.window_end) != (start, end):
            raise SettlementError(
                f"epoch {number} on chain {ctx.chain_id} was settled for [{row.window_start}, {row.window_end}), "
                f"not [{start}, {end}): rerun it with its own window"
            )
        funded, published_now = 0, False
        if publish and row.status == EpochStatus.COMPUTED:
            operator = load_signer(
                account, local=is_local(ctx.record.network), what=f"the configured operator {economy.operator}",
                qualifies=lambda address: address == economy.operator,
            )  # fmt: skip
            funded, published_now = _publish(session, ctx, row, operator, fund, progress)
        elif row.status not in (EpochStatus.COMPUTED, EpochStatus.EMPTY):
            _check_on_chain(ctx, row)
            progress(f"epoch {number} on chain {ctx.chain_id} is already {row.status}: nothing to publish")
        _refresh_status(ctx, row)
        return SettleOutcome(
            ctx.chain_id, number, (start, end), row.status, row.root, row.total, row.earned,
            computed_now, published_now, funded, row.epoch_file,
        )  # fmt: skip


def _computed_line(result: EpochResult, path: Path) -> str:
    inputs, split = result.inputs, result.split
    return (
        f"computed: {inputs.license_count} license fees and {inputs.usage_count} usage events over "
        f"{len(inputs.revenue)} assets, {format_tokens(split.total)} SAHARA split to "
        f"{len(split.payouts)} accounts (fee {format_tokens(split.protocol_fee)}), "
        f"{len(result.claims.balances)} leaves, root {result.claims.root}; file {path}"
    )


def _check_order(session: Session, chain_id: int, epoch: int, start: int) -> None:
    """Epochs of a chain settle in order, and their windows tile time with no gap or overlap."""
    latest = session.exec(select(Epoch).where(Epoch.chain_id == chain_id).order_by(Epoch.epoch.desc())).first()
    if latest is None:
        return
    if epoch < latest.epoch:
        raise SettlementError(f"chain {chain_id} is settled up to epoch {latest.epoch}; epoch {epoch} is in the past")
    if latest.status == EpochStatus.COMPUTED:
        raise SettlementError(
            f"epoch {latest.epoch} on chain {chain_id} is computed but not published: settle it first "
            f"(sahara settle --epoch {latest.epoch})"
        )
    if start != latest.window_end:
        raise SettlementError(
            f"epoch {epoch} must start where epoch {latest.epoch} ended ({latest.window_end}), not at {start}: "
            "windows of a chain must tile time, or revenue would be paid twice or never"
        )


def _check_indexed(session: Session, ctx: ChainContext, end: int) -> None:
    """Refuse to settle a window the indexer has not fully read (its license fees would be missed)."""
    checkpoint = session.get(IndexerCheckpoint, (ctx.chain_id, "licenses"))
    if checkpoint is None:
        raise SettlementError(f"chain {ctx.chain_id} was never indexed: run `sahara index` for it first")
    block = ctx.chain.provider.get_block(checkpoint.block_number)
    head = ctx.chain.blocks.head
    # Indexed past the end, or indexed to the head and every later block is at or after the end.
    if block.timestamp >= end or (checkpoint.block_number >= head.number and head.timestamp + 1 >= end):
        return
    raise SettlementError(
        f"the indexer has read chain {ctx.chain_id} up to block {checkpoint.block_number} (time {block.timestamp}), "
        f"before the window's end {end}: run `sahara index` again (or wait for the window to close)"
    )


def _publish(session: Session, ctx: ChainContext, row: Epoch, operator, fund: bool, progress: Progress):
    vault = ctx.vault
    if row.earned == 0:  # the same balances, the same root: the vault keeps the previous epoch's
        row.status = EpochStatus.EMPTY
        session.add(row)
        session.commit()
        progress(f"epoch {row.epoch}: nothing earned in the window; the previous root stays, nothing to publish")
        return 0, False
    if vault.lastEpoch() >= row.epoch:
        _adopt_on_chain_root(ctx, row)
        session.commit()
        progress(f"epoch {row.epoch}: its root was already on chain (tx {row.publish_tx}); recorded it")
        return 0, False
    _, pending_epoch, _, activates_at = vault.pendingRoot()
    if pending_epoch and activates_at > next_timestamp():
        raise SettlementError(
            f"the vault's root of epoch {pending_epoch} activates at {activates_at}; epoch {row.epoch} can be "
            "published after that (rerun then: the computed epoch is kept)"
        )
    funded = _fund(session, ctx, row, operator, fund, progress)
    receipt = vault.publishRoot(row.epoch, row.root, row.total, sender=operator)
    event = receipt.events.filter(vault.RootPublished)[0]
    row.status, row.publish_tx, row.activates_at = EpochStatus.PUBLISHED, receipt.txn_hash, event.activatesAt
    session.add(row)
    session.commit()
    progress(f"published epoch {row.epoch} root {row.root} (total {format_tokens(row.total)} SAHARA), "
             f"claimable from {event.activatesAt}; tx {receipt.txn_hash}")  # fmt: skip
    return funded, True


def _fund(session: Session, ctx: ChainContext, row: Epoch, operator, fund: bool, progress: Progress) -> int:
    """Deposit the pay-per-use fees the vault lacks (its shortfall against the new total), once: a
    rerun finds no shortfall. License fees are already in the vault."""
    deposited = ctx.vault.totalDeposited()
    shortfall = row.total - deposited
    if shortfall <= 0:
        return 0
    owed = sum(
        session.exec(select(Epoch.usage_revenue).where(Epoch.chain_id == ctx.chain_id, Epoch.epoch <= row.epoch))
    )
    if shortfall > owed:
        raise SettlementError(
            f"the vault holds {format_tokens(deposited)} SAHARA of deposits, {format_tokens(shortfall)} short of epoch {row.epoch}'s "
            f"total, more than the {format_tokens(owed)} SAHARA of pay-per-use fees settled on chain {ctx.chain_id}: "
            "license fees are missing from the vault; investigate before publishing"
        )
    if not fund:
        raise SettlementError(
            f"the vault is {format_tokens(shortfall)} SAHARA short of epoch {row.epoch}'s total: deposit the "
            "pay-per-use fees (rerun without --no-fund)"
        )
    balance = ctx.token.balanceOf(operator.address)
    if balance < shortfall:
        raise SettlementError(
            f"the operator {operator.address} holds {format_tokens(balance)} SAHARA but must deposit "
            f"{format_tokens(shortfall)} of pay-per-use fees: fund it and rerun"
        )
    if ctx.token.allowance(operator.address, ctx.vault.address) < shortfall:
        ctx.token.approve(ctx.vault.address, shortfall, sender=operator)
    ctx.vault.deposit(USAGE_DEPOSIT_ASSET, shortfall, sender=operator)
    progress(f"deposited {format_tokens(shortfall)} SAHARA of pay-per-use fees into the vault")
    return shortfall


def _adopt_on_chain_root(ctx: ChainContext, row: Epoch) -> None:
    onchain = ctx.published_root(row.epoch)
    if onchain is None:
        raise SettlementError(
            f"the vault is past epoch {row.epoch} (last {ctx.vault.lastEpoch()}) but never published it: "
            "epochs were published out of order; settle the next epoch instead"
        )
    if onchain.root != row.root or onchain.total != row.total:
        raise SettlementError(
            f"the vault holds root {onchain.root} (total {onchain.total}) for epoch {row.epoch}, but the database "
            f"computed {row.root} (total {row.total}): do not publish; compare with `sahara verify-epoch`"
        )
    row.status, row.publish_tx, row.activates_at = EpochStatus.PUBLISHED, onchain.tx_hash, onchain.activates_at


def _check_on_chain(ctx: ChainContext, row: Epoch) -> None:
    onchain = ctx.published_root(row.epoch)
    if onchain is None or onchain.root != row.root:
        raise SettlementError(
            f"epoch {row.epoch} is recorded as {row.status} with root {row.root}, but the vault on chain "
            f"{ctx.chain_id} holds {onchain.root if onchain else 'no root'} for it: was the chain reset? "
            "Check with `sahara verify-epoch`"
        )


def _refresh_status(ctx: ChainContext, row: Epoch) -> None:
    if row.status == EpochStatus.PUBLISHED and row.activates_at and row.activates_at <= next_timestamp():
        row.status = EpochStatus.ACTIVATED


# --- verification, proofs, claims --------------------------------------------------------------------


@dataclass(frozen=True)
class Verification:
    chain_id: int
    epoch: int
    file_root: str  # recomputed from the file's inputs
    chain_root: str | None
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_epoch(ctx: ChainContext, epoch: int, path: Path | None = None) -> Verification:
    """Recompute an epoch's root from its file alone and compare it with the vault's."""
    path = path or epoch_file_path(ctx.chain_id, epoch)
    document = read_epoch_file(path)
    if (document["chain_id"], document["epoch"]) != (ctx.chain_id, epoch):
        raise SettlementError(
            f"{path} is epoch {document['epoch']} of chain {document['chain_id']}, not epoch {epoch} of chain {ctx.chain_id}"
        )
    check = verify_epoch_file(path)
    problems = list(check.problems)
    if sum(int(v) for v in document["outputs"]["earned"].values()) == 0:
        epoch = document["inputs"]["previous"]["epoch"]  # an empty epoch keeps its predecessor's root
        if epoch is None:
            problems.append("an empty first epoch has no root")
            return Verification(ctx.chain_id, document["epoch"], check.root, None, problems)
    onchain = ctx.published_root(epoch)
    if onchain is None:
        problems.append(f"the vault on chain {ctx.chain_id} has published no root for epoch {epoch}")
    elif onchain.root != check.root:
        problems.append(f"the vault published {onchain.root} for epoch {epoch}, the file recomputes {check.root}")
    elif onchain.total != int(document["total"]):
        problems.append(f"the vault committed {onchain.total} for epoch {epoch}, the file totals {document['total']}")
    result = Verification(ctx.chain_id, document["epoch"], check.root, onchain.root if onchain else None, problems)
    if result.ok:
        _mark_verified(ctx.chain_id, document["epoch"], check.root)
    return result


def _mark_verified(chain_id: int, epoch: int, root: str) -> None:
    with session_scope() as session:
        row = session.get(Epoch, (chain_id, epoch))
        if row is not None and row.root == root and row.status not in (EpochStatus.COMPUTED, EpochStatus.EMPTY):
            row.status = EpochStatus.VERIFIED
            session.add(row)


@dataclass(frozen=True)
class ClaimProof:
    account: str
    epoch: int
    cumulative: int
    claimed: int
    proof: list[str]
    pending_epoch: int | None

    @property
    def claimable(self) -> int:
        return max(self.cumulative - self.claimed, 0)


def claim_proof(ctx: ChainContext, account: str) -> ClaimProof:
    """The account's leaf under the vault's active root: cumulative amount, already claimed, proof."""
    account = to_checksum_address(account)
    root, epoch, _ = ctx.vault.activeRoot()
    _, pending_epoch, _, _ = ctx.vault.pendingRoot()
    if epoch == 0:
        raise SettlementError(
            f"the vault on chain {ctx.chain_id} has no active root yet"
            + (f" (epoch {pending_epoch} is pending activation)" if pending_epoch else ": settle an epoch first")
        )
    document = read_epoch_file(_epoch_file(ctx.chain_id, epoch))
    tree = StandardMerkleTree.load(document["tree"])
    if tree.root != "0x" + bytes(root).hex():
        raise SettlementError(f"the epoch file of epoch {epoch} does not hold the vault's active root")
    cumulative = int(document["balances"].get(account, 0))
    if cumulative == 0:
        raise SettlementError(f"{account} has earned nothing on chain {ctx.chain_id} up to epoch {epoch}")
    proof = tree.get_proof((account, cumulative))
    return ClaimProof(account, epoch, cumulative, ctx.vault.claimed(account), proof, pending_epoch or None)


def _epoch_file(chain_id: int, epoch: int) -> Path:
    with session_scope() as session:
        row = session.get(Epoch, (chain_id, epoch))
    return Path(row.epoch_file) if row is not None else epoch_file_path(chain_id, epoch)


def claim(ctx: ChainContext, account: str, sender) -> tuple[ClaimProof, str]:
    """Submit ``account``'s claim under the active root (anyone may send it; the tokens go to ``account``)."""
    proof = claim_proof(ctx, account)
    if proof.claimable == 0:
        raise SettlementError(
            f"{proof.account} already claimed its {format_tokens(proof.cumulative)} SAHARA up to epoch {proof.epoch}"
        )
    receipt = ctx.vault.claim(proof.account, proof.cumulative, proof.proof, sender=sender)
    return proof, receipt.txn_hash


# --- stages for schedulers (Airflow's royalty_settlement): plain values in and out ---------------------

STAGES = ("compute", "publish", "verify", "mark")
DEADLINE_HINT = {
    "compute": "Check that the chain is indexed past the window's end (`sahara index`), then rerun the task.",
    "publish": "Check the operator's SAHARA and gas, and the vault's pending root, then rerun the task.",
    "verify": "Compare with `sahara verify-epoch`; a mismatch means the published root is wrong: do not let it activate.",
}


def settle_stage(
    network: str, stage: str, start: int, end: int, *, reverify_epoch: int | None = None,
    account: str | None = None, source: str = "royalty_settlement",
) -> dict:  # fmt: skip
    """Run one stage of the epoch ``[start, end)`` on ``network`` and report it as plain values
    (builtins only: the caller may be another Python environment, see :func:`_stage`)."""
    import json

    report = _stage(network, stage, int(start), int(end), reverify_epoch, account, source)
    return json.loads(json.dumps(report, default=str))


def _stage(network: str, stage: str, start: int, end: int, reverify_epoch: int | None, account: str | None,
           source: str) -> dict:  # fmt: skip
    """One stage of the epoch ``[start, end)`` on ``network``.

    compute: catch the indexer up and compute the epoch (nothing is sent); publish: fund and publish
    its root (once: a rerun publishes nothing); verify: recompute the root from the epoch file and
    compare it with the vault's (a mismatch raises); mark: check the epoch ended verified (or empty).
    Each stage done past its deadline (``SAHARA_SETTLEMENT_DEADLINES``, seconds after ``end``, by the
    chain's clock) raises one alert. With ``reverify_epoch`` only verify and mark run, for that epoch.
    """
    from sahara_dao.core.chain import connect
    from sahara_dao.core.indexer import index_network

    if stage not in STAGES:
        raise SettlementError(f"unknown settlement stage {stage!r}: choose one of {', '.join(STAGES)}")
    if reverify_epoch is not None and stage in ("compute", "publish"):
        return {"network": network, "stage": stage, "epoch": reverify_epoch, "skipped": "re-verification only"}
    if stage == "compute":
        index_network(network)  # the window's license fees must be in the database
    with connect(network):
        ctx = ChainContext()
        if reverify_epoch is not None:
            number = reverify_epoch
        else:
            number, _ = resolve_epoch(None, (start, end))
        before = _stored_status(ctx.chain_id, number)
        report = {"network": network, "chain_id": ctx.chain_id, "stage": stage, "epoch": number}
        if stage in ("compute", "publish"):
            outcome = settle(ctx, epoch=number, window=(start, end), account=account,
                             publish=stage == "publish")  # fmt: skip
            done_now = outcome.computed_now if stage == "compute" else outcome.published_now
            report |= {"status": outcome.status, "root": outcome.root, "total": str(outcome.total),
                       "earned": str(outcome.earned), "done_now": done_now, "funded": str(outcome.funded)}  # fmt: skip
        elif stage == "verify":
            report |= _verify_stage(ctx, number)
            done_now = report["status"] == EpochStatus.VERIFIED and before != EpochStatus.VERIFIED
        else:
            return report | _mark_stage(ctx.chain_id, number)
        row_end = _window_end(ctx.chain_id, number)
        deadline = row_end + get_settings().settlement_deadlines.get(stage, 0)
        observed = ctx.chain.blocks.head.timestamp
        report["late"] = bool(done_now) and observed > deadline
        if report["late"]:
            from sahara_dao.core.alerts import deadline_alert

            deadline_alert(key=f"settlement-deadline:{ctx.chain_id}:{number}:{stage}", source=source,
                           what=f"settlement stage {stage} of epoch {number} on chain {ctx.chain_id}",
                           deadline=deadline, observed_at=observed, chain_id=ctx.chain_id,
                           hint=DEADLINE_HINT[stage])  # fmt: skip
        return report


def _stored_status(chain_id: int, epoch: int) -> str | None:
    with session_scope() as session:
        row = session.get(Epoch, (chain_id, epoch))
        return row.status if row else None


def _window_end(chain_id: int, epoch: int) -> int:
    with session_scope() as session:
        row = session.get(Epoch, (chain_id, epoch))
    if row is None:
        raise SettlementError(f"epoch {epoch} on chain {chain_id} was never computed: run its compute stage first")
    return row.window_end


def _verify_stage(ctx: ChainContext, epoch: int) -> dict:
    with session_scope() as session:
        row = session.get(Epoch, (ctx.chain_id, epoch))
    if row is None:
        raise SettlementError(f"epoch {epoch} on chain {ctx.chain_id} was never computed: nothing to verify")
    if row.status == EpochStatus.EMPTY and read_epoch_file(Path(row.epoch_file))["inputs"]["previous"]["epoch"] is None:
        return {"status": row.status, "root": row.root, "chain_root": None, "verified": False,
                "note": "nothing earned yet on this chain: no root to verify"}  # fmt: skip
    if row.status == EpochStatus.COMPUTED:
        raise SettlementError(f"epoch {epoch} on chain {ctx.chain_id} is computed but not published: publish it first")
    result = verify_epoch(ctx, epoch, Path(row.epoch_file))
    if not result.ok:
        raise SettlementError(
            f"epoch {epoch} on chain {ctx.chain_id} does not verify: {'; '.join(result.problems)}. "
            "Do not let the root activate: investigate with `sahara verify-epoch`"
        )
    return {"status": _stored_status(ctx.chain_id, epoch), "root": result.file_root, "chain_root": result.chain_root,
            "verified": True}  # fmt: skip


def _mark_stage(chain_id: int, epoch: int) -> dict:
    with session_scope() as session:
        row = session.get(Epoch, (chain_id, epoch))
    if row is None or row.status not in (EpochStatus.VERIFIED, EpochStatus.EMPTY):
        raise SettlementError(
            f"epoch {epoch} on chain {chain_id} is {row.status if row else 'not computed'}, not verified: "
            "rerun the run's failed stages"
        )
    return {"status": row.status, "settled": True, "root": row.root, "total": str(row.total),
            "earned": str(row.earned), "window": [row.window_start, row.window_end], "publish_tx": row.publish_tx}  # fmt: skip
