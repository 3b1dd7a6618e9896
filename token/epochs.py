"""Royalty settlement of one chain over one window, from the database to a verifiable epoch file.

An epoch is the half-open window ``[start, end)`` on one chain. Its inputs are the license fees
(indexed ``LicensePurchased`` events) and pay-per-use fees (metered usage) of that chain in the
window, the assets registered before ``end`` with their contributors' shares and lineage, the
protocol fee, the treasury, and the cumulative balances after the previous epoch. The split
(:mod:`sahara_dao.token.royalties`) added to those balances gives the new cumulative balances, whose
tree root is published. The epoch file holds all of these inputs, so anyone can recompute the root
from the file alone (:func:`verify_epoch_file`).
"""

import json
import os
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Integer, cast, func
from sqlmodel import Session, select

from sahara_dao.core.settings import get_settings
from sahara_dao.token.claims import ClaimsTree, add_balances, checksum_address, claims_tree
from sahara_dao.token.errors import TokenError
from sahara_dao.token.merkle import gc_paused
from sahara_dao.token.models import (
    Asset,
    Epoch,
    LicenseRevenue,
    LineageEdge,
    Receipt,
    SettlementLine,
    UsageEvent,
)
from sahara_dao.token.royalties import AssetShares, Split, split_revenue

FILE_FORMAT = "sahara-epoch-v1"
SQLITE_SAFE_DIGITS = 18  # decimal strings this short fit a 64-bit integer: the widest limb SQLite sums
INT64_MAX = 2**63 - 1


class SettlementError(TokenError, ValueError):
    """A settlement cannot run as asked (window, order of epochs, chain state)."""


def epoch_window(epoch: int) -> tuple[int, int]:
    """The scheduled window of ``epoch`` (1-based): ``SAHARA_EPOCH_ORIGIN + (epoch-1) * SAHARA_EPOCH_SECONDS``."""
    if epoch < 1:
        raise SettlementError(f"epochs are numbered from 1, not {epoch}")
    settings = get_settings()
    start = settings.epoch_origin + (epoch - 1) * settings.epoch_seconds
    return start, start + settings.epoch_seconds


def epoch_of_window(start: int, end: int) -> int:
    """The epoch number of a scheduled window; an error for a window off the schedule."""
    settings = get_settings()
    offset, remainder = divmod(start - settings.epoch_origin, settings.epoch_seconds)
    if remainder or offset < 0 or end - start != settings.epoch_seconds:
        raise SettlementError(
            f"window [{start}, {end}) is not an epoch of the schedule (origin {settings.epoch_origin}, "
            f"{settings.epoch_seconds} s): pass --epoch with it"
        )
    return offset + 1


@dataclass
class EpochInputs:
    """Everything an epoch's settlement depends on (and all an epoch file holds to recompute it)."""

    chain_id: int
    epoch: int
    window_start: int
    window_end: int
    fee_bps: int
    treasury: str
    license_revenue: dict[int, int]  # asset -> base units
    usage_revenue: dict[int, int]
    license_count: int
    usage_count: int
    assets: dict[int, AssetShares]
    previous_epoch: int | None = None
    previous_root: str | None = None
    previous_balances: dict[str, int] = field(default_factory=dict)
    quarantined: int = 0

    @property
    def revenue(self) -> dict[int, int]:
        merged: dict[int, int] = defaultdict(int)
        for part in (self.license_revenue, self.usage_revenue):
            for asset_id, amount in part.items():
                merged[asset_id] += amount
        return {asset_id: amount for asset_id, amount in sorted(merged.items()) if amount}

    def to_json(self) -> dict:
        return {
            "window": [self.window_start, self.window_end],
            "fee_bps": self.fee_bps,
            "treasury": self.treasury,
            "license_revenue": {str(a): str(v) for a, v in sorted(self.license_revenue.items())},
            "usage_revenue": {str(a): str(v) for a, v in sorted(self.usage_revenue.items())},
            "license_count": self.license_count,
            "usage_count": self.usage_count,
            "quarantined": self.quarantined,
            "assets": {
                str(a.asset_id): {"contributors": [[c, b] for c, b in a.contributors],
                                  "upstream": [[u, b] for u, b in a.upstream]}
                for a in (self.assets[k] for k in sorted(self.assets))
            },  # fmt: skip
            "previous": {
                "epoch": self.previous_epoch,
                "root": self.previous_root,
                "balances": {account: str(amount) for account, amount in self.previous_balances.items()},
            },
        }

    @classmethod
    def from_json(cls, chain_id: int, epoch: int, document: dict) -> "EpochInputs":
        previous = document["previous"]
        return cls(
            chain_id=chain_id, epoch=epoch, window_start=document["window"][0], window_end=document["window"][1],
            fee_bps=document["fee_bps"], treasury=document["treasury"],
            license_revenue={int(a): int(v) for a, v in document["license_revenue"].items()},
            usage_revenue={int(a): int(v) for a, v in document["usage_revenue"].items()},
            license_count=document["license_count"], usage_count=document["usage_count"],
            quarantined=document.get("quarantined", 0),
            assets={
                int(a): AssetShares(int(a), tuple((c, int(b)) for c, b in spec["contributors"]),
                                    tuple((int(u), int(b)) for u, b in spec["upstream"]))
                for a, spec in document["assets"].items()
            },
            previous_epoch=previous["epoch"], previous_root=previous["root"],
            previous_balances={account: int(amount) for account, amount in previous["balances"].items()},
        )  # fmt: skip


@dataclass(frozen=True)
class EpochResult:
    inputs: EpochInputs
    split: Split
    claims: ClaimsTree

    @property
    def earned(self) -> dict[str, int]:
        return self.split.payouts


@gc_paused()  # hundreds of thousands of acyclic containers: no cycle collections meanwhile
def compute(inputs: EpochInputs) -> EpochResult:
    """The split of the window's revenue and the cumulative claims tree after it (pure, deterministic)."""
    split = split_revenue(inputs.revenue, inputs.assets, fee_bps=inputs.fee_bps, treasury=inputs.treasury)
    balances = add_balances(inputs.previous_balances, split.payouts)
    if not any(balances.values()):
        raise SettlementError(
            f"chain {inputs.chain_id} has no revenue up to epoch {inputs.epoch}: nothing to publish yet "
            "(sell a license or meter usage, index the chain, then settle)"
        )
    return EpochResult(inputs, split, claims_tree(balances))


# --- database ----------------------------------------------------------------------------------------


@gc_paused()
def gather_inputs(
    session: Session, *, chain_id: int, epoch: int, start: int, end: int, fee_bps: int, treasury: str, quarantined: int
) -> EpochInputs:
    """Read one window's inputs from the database (revenue summed in SQL, exactly)."""
    if end <= start:
        raise SettlementError(f"window [{start}, {end}) is empty: its end must come after its start")
    previous = session.exec(
        select(Epoch).where(Epoch.chain_id == chain_id, Epoch.epoch < epoch).order_by(Epoch.epoch.desc())
    ).first()
    balances = {}
    if previous is not None:
        rows = session.exec(
            select(SettlementLine.account, SettlementLine.cumulative).where(
                SettlementLine.chain_id == chain_id, SettlementLine.epoch == previous.epoch
            )
        )
        balances = {account: cumulative for account, cumulative in rows if cumulative}
    license_revenue, license_count = _revenue_by_asset(session, LicenseRevenue, chain_id, start, end)
    usage_revenue, usage_count = _revenue_by_asset(session, UsageEvent, chain_id, start, end)
    return EpochInputs(
        chain_id=chain_id, epoch=epoch, window_start=start, window_end=end, fee_bps=fee_bps, treasury=checksum_address(treasury),
        license_revenue=license_revenue, usage_revenue=usage_revenue, license_count=license_count,
        usage_count=usage_count, assets=_asset_shares(session, chain_id, end),
        previous_epoch=previous.epoch if previous else None, previous_root=previous.root if previous else None,
        previous_balances=balances, quarantined=quarantined,
    )  # fmt: skip


def _revenue_by_asset(session: Session, model, chain_id: int, start: int, end: int) -> tuple[dict[int, int], int]:
    """Sum ``model.amount`` per asset over the window, exactly, in SQL; and count the window's rows."""
    window = (model.chain_id == chain_id, model.occurred_at >= start, model.occurred_at < end)
    if session.get_bind().dialect.name == "postgresql":  # NUMERIC(78, 0) sums exactly
        rows = session.exec(
            select(model.asset_id, func.count(), func.sum(model.amount)).where(*window).group_by(model.asset_id)
        )
        sums = [(asset_id, count, int(amount or 0)) for asset_id, count, amount in rows]
    else:
        sums = _sqlite_limb_sums(session, model, window)
    return {a: amount for a, _, amount in sums if amount}, sum(count for _, count, _ in sums)


def _sqlite_limb_sums(session: Session, model, window) -> list[tuple[int, int, int]]:
    """``(asset, rows, sum)`` per asset where SQLite stores amounts as decimal text and sums 64-bit integers.

    Each amount is cut into limbs of ``digits`` decimal digits (its last ``digits`` digits, the
    ``digits`` before them, ...). ``digits`` is the largest for which ``rows * (10**digits - 1)``
    stays within a 64-bit integer, so SQLite sums every limb over the window exactly, in one
    grouped pass that also returns the longest amount; Python joins the limb sums back into
    integers. Two limbs cover amounts below ``10**22`` even at 100 million rows; a window holding a
    longer amount is summed again with as many limbs as it needs.
    """
    rows = session.exec(select(func.count()).where(*window)).one()  # the window's index alone answers it
    if not rows:
        return []
    digits = min(SQLITE_SAFE_DIGITS, len(str(INT64_MAX // rows)) - 1)
    limbs = 2
    while True:
        columns = [
            func.sum(cast(func.substr(model.amount, -digits * (k + 1), digits), Integer)) for k in range(limbs)
        ]
        query = select(model.asset_id, func.count(), func.max(func.length(model.amount)), *columns)
        sums = session.exec(query.where(*window).group_by(model.asset_id)).all()
        longest = max(length for _, _, length, *_ in sums)
        if longest <= limbs * digits:
            return [
                (asset_id, count, sum(int(part) * 10 ** (digits * k) for k, part in enumerate(parts)))
                for asset_id, count, _, *parts in sums
            ]
        limbs = -(-longest // digits)


def _asset_shares(session: Session, chain_id: int, end: int) -> dict[int, AssetShares]:
    """Assets registered before ``end`` with their contributors and the lineage added before ``end``."""
    contributors: dict[int, list[tuple[str, int]]] = defaultdict(list)
    query = (
        select(Receipt.asset_id, Receipt.contributor, Receipt.share_bps)
        .join(Asset, (Asset.chain_id == Receipt.chain_id) & (Asset.asset_id == Receipt.asset_id))
        .where(Receipt.chain_id == chain_id, Asset.registered_at < end)
        .order_by(Receipt.asset_id, Receipt.receipt_id)
    )
    for asset_id, contributor, share in session.exec(query):
        contributors[asset_id].append((checksum_address(contributor), share))
    upstream: dict[int, list[tuple[int, int]]] = defaultdict(list)
    edges = select(LineageEdge.asset_id, LineageEdge.upstream_id, LineageEdge.share_bps).where(
        LineageEdge.chain_id == chain_id, LineageEdge.added_at < end
    )
    for asset_id, upstream_id, share in session.exec(edges.order_by(LineageEdge.asset_id, LineageEdge.upstream_id)):
        upstream[asset_id].append((upstream_id, share))
    return {
        asset_id: AssetShares(asset_id, tuple(people), tuple(upstream.get(asset_id, ())))
        for asset_id, people in sorted(contributors.items())
    }


@gc_paused()
def record(session: Session, result: EpochResult, epoch_file: Path) -> Epoch:
    """Store the computed epoch and one settlement line per account with a positive balance."""
    inputs = result.inputs
    row = Epoch(
        chain_id=inputs.chain_id, epoch=inputs.epoch, window_start=inputs.window_start,
        window_end=inputs.window_end, root=result.claims.root, total=result.claims.total,
        earned=result.split.total, protocol_fee=result.split.protocol_fee,
        license_revenue=sum(inputs.license_revenue.values()), usage_revenue=sum(inputs.usage_revenue.values()),
        usage_events=inputs.usage_count, quarantined=inputs.quarantined, epoch_file=str(epoch_file),
    )  # fmt: skip
    session.add(row)
    session.flush()
    earned = result.earned
    lines = [
        {"chain_id": inputs.chain_id, "epoch": inputs.epoch, "account": account,
         "earned": earned.get(account, 0), "cumulative": cumulative}
        for account, cumulative in result.claims.balances.items()
    ]  # fmt: skip
    for start in range(0, len(lines), 20_000):
        session.execute(SettlementLine.__table__.insert(), lines[start : start + 20_000])
    return row


# --- epoch files -------------------------------------------------------------------------------------


def epoch_file_path(chain_id: int, epoch: int) -> Path:
    return get_settings().data_dir / "epochs" / str(chain_id) / f"epoch-{epoch}.json"


@gc_paused()
def write_epoch_file(path: Path, result: EpochResult) -> Path:
    """Write inputs, outputs and the tree dump (``@openzeppelin/merkle-tree`` format), atomically."""
    inputs, split, claims = result.inputs, result.split, result.claims
    document = {
        "format": FILE_FORMAT,
        "chain_id": inputs.chain_id,
        "epoch": inputs.epoch,
        "root": claims.root,
        "total": str(claims.total),
        "inputs": inputs.to_json(),
        "outputs": {
            "earned": {account: str(amount) for account, amount in sorted(split.payouts.items())},
            "protocol_fee": str(split.protocol_fee),
            "upstream_flows": [[a, u, str(v)] for (a, u), v in sorted(split.upstream_flows.items())],
            "retained": {str(a): str(v) for a, v in sorted(split.retained.items())},
        },
        "balances": {account: str(amount) for account, amount in claims.balances.items()},
        "tree": claims.tree.dump(),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(document, separators=(",", ":")) + "\n")
    os.replace(tmp, path)
    return path


def read_epoch_file(path: Path) -> dict:
    try:
        document = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise SettlementError(f"no epoch file at {path}: settle the epoch first, or pass the file with --file") from None
    if document.get("format") != FILE_FORMAT:
        raise SettlementError(f"{path} is not an epoch file ({FILE_FORMAT})")
    return document


@dataclass(frozen=True)
class FileCheck:
    """What recomputing an epoch file from its inputs found."""

    root: str  # recomputed from the inputs
    recorded_root: str  # written in the file
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


@gc_paused()
def verify_epoch_file(path: Path) -> FileCheck:
    """Recompute the split, balances, tree and root from the file's inputs alone and compare them to
    what the file says it published."""
    document = read_epoch_file(path)
    inputs = EpochInputs.from_json(document["chain_id"], document["epoch"], document["inputs"])
    result = compute(inputs)
    problems = []
    balances = {account: int(amount) for account, amount in document["balances"].items()}
    if balances != result.claims.balances:
        problems.append("the recorded balances differ from the ones the inputs give")
    if document["tree"]["tree"][0] != result.claims.root:
        problems.append("the tree dump's root differs from the recomputed root")
    if document["root"] != result.claims.root:
        problems.append(f"the recorded root {document['root']} differs from the recomputed {result.claims.root}")
    return FileCheck(result.claims.root, document["root"], problems)
