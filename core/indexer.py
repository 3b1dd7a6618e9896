"""The chain indexer: every event of a chain's deployed contracts into ``chain_event``, exactly once.

The contracts are those of the chain's deployment record, plus the ones that projectors discover
through them (the asset registry's Receipt). Logs are read with ``eth_getLogs`` for all contracts at
the same position at once, range by range up to ``head - confirmations``, decoded with the project's
contract types and stored as one row per ``(chain id, tx hash, log index)``. Each range is committed
together with the rows that projectors derive from its new events and with the checkpoint per
(chain, contract): the last block indexed and its hash. A run cut short resumes at the checkpoint.

Reorgs. Every run reads again the last ``reorg_window`` blocks up to the checkpoint and compares
them with the stored rows: a stored row whose log is gone or sits in a block with another hash is
deleted (the rows derived from it go with it, ON DELETE CASCADE) and the chain's version inserted.
When the checkpoint's own block changed, the fork may be older than the window: the indexer then
looks, by binary search over the stored blocks of those contracts, for the highest one the chain
still has and reads again from the block after it. If none of them is on the chain any more, the
chain was reset or the endpoint serves another chain: the run stops and says how to rebuild.

Native coin. Transfers of ETH or BNB emit no log, so at the end of each run the indexer reads the
native balance of the accounts the projectors name (``Projector.native_accounts``: token's are the
timelock, which is the treasury, and the revenue vault) at the run's last block and stores it in
``native_balance`` when it changed.
Rows of blocks that a reorg replaced, or above a shortened chain's last block, are deleted first.

Domains plug in through the entry-point group ``sahara_dao.projectors`` (see pyproject.toml), each
naming a :class:`Projector`, so this module never imports a domain.
"""

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any

from eth_utils import encode_hex, keccak, to_checksum_address
from sqlalchemy import delete, func
from sqlmodel import Session, select

from sahara_dao.core.errors import SaharaError
from sahara_dao.core.models import Chain, ChainEvent, Deployment, IndexerCheckpoint, NativeBalance

PROJECTORS_GROUP = "sahara_dao.projectors"
LOCAL_CONFIRMATIONS = 0
REMOTE_CONFIRMATIONS = 12
START_MARGIN = 3600  # seconds before a deployment's recorded genesis time where a first index starts
MAX_SAFE_INTEGER = 2**53 - 1  # larger integers are stored as decimal strings (JSON readers use doubles)
IN_BATCH = 500  # values per SQL IN list
MAX_RESTARTS = 3  # a contract group read again from scratch when the chain reorganizes under a run


class IndexerError(SaharaError, RuntimeError):
    """The chain cannot be indexed as it is: a reset chain, a refused range, a missing record."""


# --- what domains add ----------------------------------------------------------------------------


ProjectFn = Callable[[Session, Sequence[ChainEvent]], Mapping[str, int]]


@dataclass(frozen=True)
class Projector:
    """What one domain adds to the indexer.

    ``contracts`` maps deployment names to the Ape contract type that decodes their logs (a name
    ending in ``/`` matches every name under it, like ``vesting/``). ``discover`` receives the
    deployed addresses by name and returns more contracts to index (name -> address), whose types
    must be in ``contracts`` too. ``project`` derives the domain's tables from stored events (new
    ones in block order, in the transaction that stores them) and returns the rows it added per
    table; it must skip events it has already derived rows from, so that running it twice changes
    nothing. ``native_accounts`` names deployments whose native-coin balance (ETH, BNB) each run
    records, since native transfers emit no log.
    """

    contracts: Mapping[str, str] = field(default_factory=dict)
    discover: Callable[[Mapping[str, str]], Mapping[str, str]] | None = None
    project: ProjectFn | None = None
    native_accounts: tuple[str, ...] = ()


Rules = Mapping[tuple[str, str], tuple[tuple[type, ...], Callable[[ChainEvent, Mapping[str, Any]], list]]]
"""(deployment name, event name) -> (tables written, rows from the event and its decoded arguments)."""


def project_by_rules(rules: Rules) -> ProjectFn:
    """A ``Projector.project`` that derives rows from events by ``rules``; an event whose rows a table
    already holds (by ``event_id``) is skipped for that table. Returns the rows added per table."""

    def project(session: Session, events: Sequence[ChainEvent]) -> Counter:
        wanted = [e for e in events if (e.contract, e.event) in rules]
        done: set[tuple[str, int]] = set()
        for table in {table for e in wanted for table in rules[(e.contract, e.event)][0]}:
            ids = [e.id for e in wanted if table in rules[(e.contract, e.event)][0]]
            for start in range(0, len(ids), IN_BATCH):
                found = session.exec(
                    select(table.event_id).where(table.event_id.in_(ids[start : start + IN_BATCH]))
                )
                done.update((table.__tablename__, event_id) for event_id in found)
        added: Counter = Counter()
        for event in wanted:
            for row in rules[(event.contract, event.event)][1](event, event.args):
                if (row.__tablename__, event.id) not in done:
                    session.add(row)
                    added[row.__tablename__] += 1
        return added

    return project


def load_projectors() -> list[Projector]:
    """Every projector registered under ``sahara_dao.projectors``."""
    projectors = []
    for entry in sorted(entry_points(group=PROJECTORS_GROUP), key=lambda e: e.name):
        loaded = entry.load()
        if not isinstance(loaded, Projector):
            raise IndexerError(
                f"entry point {entry.name} = {entry.value} of {PROJECTORS_GROUP} is not a Projector"
            )
        projectors.append(loaded)
    return projectors


@dataclass(frozen=True)
class Watched:
    """A contract the indexer reads: its deployment name, address and Ape contract type."""

    name: str
    address: str
    contract_type: str


def contract_type_of(name: str, projectors: Iterable[Projector]) -> str | None:
    for projector in projectors:
        for key, contract_type in projector.contracts.items():
            if name == key or (key.endswith("/") and name.startswith(key)):
                return contract_type
    return None


def watched_contracts(
    addresses: Mapping[str, str], projectors: Sequence[Projector]
) -> tuple[list[Watched], list[str]]:
    """The contracts to index (the deployed ones and those discovered through them), and the
    names that no projector gives a contract type (left out)."""
    everything = dict(addresses)
    for projector in projectors:
        if projector.discover is None:
            continue
        for name, address in projector.discover(dict(addresses)).items():
            if name in everything and everything[name] != address:
                raise IndexerError(
                    f"contract '{name}' is both in the deployment record and discovered at {address}"
                )
            everything[name] = address
    watched, unknown = [], []
    for name, address in everything.items():
        contract_type = contract_type_of(name, projectors)
        if contract_type is None:
            unknown.append(name)
        else:
            watched.append(Watched(name, to_checksum_address(address), contract_type))
    return watched, unknown


# --- reading the chain -----------------------------------------------------------------------------


@dataclass(frozen=True)
class BlockRef:
    number: int
    hash: str
    timestamp: int


class ChainReader:
    """Heads, blocks and logs through a web3 connection; block timestamps are cached by hash."""

    CACHE_LIMIT = 50_000

    def __init__(self, web3):
        self.web3 = web3
        self._timestamps: dict[str, int] = {}

    def head(self) -> int:
        return int(self.web3.eth.block_number)

    def block(self, block: int | str) -> BlockRef | None:
        """The block with this number or hash, or None when the chain has none."""
        from web3.exceptions import BlockNotFound

        try:
            data = self.web3.eth.get_block(block)
        except BlockNotFound:
            return None
        if data is None:
            return None
        ref = BlockRef(int(data["number"]), _hex(data["hash"]), int(data["timestamp"]))
        if len(self._timestamps) >= self.CACHE_LIMIT:
            self._timestamps.clear()
        self._timestamps[ref.hash] = ref.timestamp
        return ref

    def timestamp(self, block_hash: str) -> int:
        if block_hash not in self._timestamps and self.block(block_hash) is None:
            raise IndexerError(f"block {block_hash} vanished while it was being indexed (a reorg): run again")
        return self._timestamps[block_hash]

    def logs(self, addresses: Sequence[str], first: int, last: int) -> list[Mapping]:
        return list(self.web3.eth.get_logs({"address": list(addresses), "fromBlock": first, "toBlock": last}))

    def balance(self, address: str, block: int) -> int:
        """Wei held by ``address`` at ``block`` (the node must keep that block's state)."""
        return int(self.web3.eth.get_balance(address, block_identifier=block))


def _log_errors() -> tuple[type[BaseException], ...]:
    from web3.exceptions import Web3Exception

    return (Web3Exception, ValueError, OSError)  # node refusals, timeouts, connection errors


def _hex(value: Any) -> str:
    return encode_hex(bytes(value)) if isinstance(value, bytes | bytearray) else str(value).lower()


# --- decoding --------------------------------------------------------------------------------------


def json_value(value: Any) -> Any:
    """A decoded ABI value as JSON: integers beyond 2**53 as decimal strings, bytes as 0x hex,
    structs as objects, arrays as lists."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        number = int(value)
        return number if -MAX_SAFE_INTEGER <= number <= MAX_SAFE_INTEGER else str(number)
    if isinstance(value, bytes | bytearray):
        return encode_hex(bytes(value))
    if isinstance(value, Mapping) or hasattr(value, "items"):
        return {str(key): json_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_value(item) for item in value]
    raise TypeError(f"cannot store a decoded {type(value).__name__} as JSON: {value!r}")


def _argument(value: Any, abi_type: str) -> Any:
    if abi_type == "address":
        return to_checksum_address(value)
    if abi_type.startswith("address[") and isinstance(value, list | tuple):
        return [to_checksum_address(item) for item in value]
    return json_value(value)


@dataclass(frozen=True)
class DecodedLog:
    contract: Watched
    event: str
    args: dict[str, Any]
    block_number: int
    block_hash: str
    block_timestamp: int | None  # when the node sends it with the log
    tx_hash: str
    log_index: int

    @property
    def key(self) -> tuple[str, int]:
        return self.tx_hash, self.log_index


class Decoder:
    """Decodes raw logs with the ABI of the contract type of the address that emitted them."""

    def __init__(self, watched: Sequence[Watched], contract_types: Callable[[str], Any], ecosystem):
        self.ecosystem = ecosystem
        self.by_address = {w.address: w for w in watched}
        self.events: dict[str, dict[str, Any]] = {}  # address -> topic0 -> event ABI
        for w in watched:
            abis = contract_types(w.contract_type).events
            self.events[w.address] = {encode_hex(keccak(text=abi.selector)): abi for abi in abis}

    def decode(self, logs: Iterable[Mapping]) -> tuple[list[DecodedLog], Counter]:
        """The logs that match an event of their contract's ABI, decoded, and how many did not
        (per contract name, or per address for an address that is not watched)."""
        groups: dict[tuple[str, str], list[Mapping]] = defaultdict(list)
        for log in logs:
            if log.get("removed"):
                continue
            topic = _hex(log["topics"][0]) if log["topics"] else ""  # anonymous events have no topic 0
            groups[(to_checksum_address(log["address"]), topic)].append(log)
        decoded, undecoded = [], Counter()
        for (address, topic), items in groups.items():
            watched = self.by_address.get(address)
            abi = self.events.get(address, {}).get(topic)
            if watched is None or abi is None:
                undecoded[watched.name if watched else address] += len(items)
                continue
            raw = {(_hex(log["transactionHash"]), int(log["logIndex"])): log for log in items}
            types = {item.name: item.canonical_type for item in abi.inputs}
            found = 0
            for log in self.ecosystem.decode_logs(items, abi):
                key = (_hex(log.transaction_hash), int(log.log_index))
                timestamp = raw[key].get("blockTimestamp")  # sent by newer nodes (anvil, reth, geth 1.14+)
                decoded.append(DecodedLog(
                    contract=watched, event=abi.name,
                    args={name: _argument(value, types.get(name, "")) for name, value in log.event_arguments.items()},
                    block_number=int(log.block_number), block_hash=_hex(log.block_hash),
                    block_timestamp=None if timestamp is None else int(timestamp, 0) if isinstance(timestamp, str) else int(timestamp),
                    tx_hash=key[0], log_index=key[1],
                ))  # fmt: skip
                found += 1
            if found < len(items):
                undecoded[watched.name] += len(items) - found
        return decoded, undecoded


# --- reports -----------------------------------------------------------------------------------------


@dataclass
class ChunkReport:
    """One block range stored (the progress callback receives one per range)."""

    contracts: tuple[str, ...]
    first_block: int
    last_block: int
    inserted: Counter = field(default_factory=Counter)  # contract -> new rows
    removed: int = 0  # stored rows dropped: their log vanished or moved to another block
    reread: bool = False  # the range covers blocks indexed before (the reorg window)

    def describe(self) -> str:
        blocks = f"blocks {self.first_block}-{self.last_block}"
        what = f"{sum(self.inserted.values())} new events"
        if self.inserted:
            grouped: Counter = Counter()  # vesting/team/0x... and the like counted as vesting/*
            for name, count in self.inserted.items():
                grouped[name.split("/", 1)[0] + "/*" if "/" in name else name] += count
            what += " (" + ", ".join(f"{name} {count}" for name, count in sorted(grouped.items())) + ")"
        if self.removed:
            what += f", {self.removed} reorged rows removed"
        return f"{blocks:24} {len(self.contracts)} contracts{' (re-read)' if self.reread else ''}: {what}"


@dataclass
class IndexReport:
    """What one run did on one chain."""

    chain_id: int
    head: int
    target: int  # the last block eligible: head - confirmations
    confirmations: int
    contracts: list[str] = field(default_factory=list)
    inserted: Counter = field(default_factory=Counter)  # contract -> new rows
    removed: int = 0  # stale rows deleted (reorged away or moved to another block)
    reinserted: int = 0  # of the removed, logs found again in their new block
    projected: Counter = field(default_factory=Counter)  # table -> rows derived
    undecoded: Counter = field(default_factory=Counter)  # contract -> logs matching no ABI event
    blocks_read: int = 0
    native_balances: int = 0  # native_balance rows stored (balances that changed)
    notes: list[str] = field(default_factory=list)

    @property
    def new_events(self) -> int:
        return sum(self.inserted.values())


Progress = Callable[[ChunkReport], None]


# --- the indexer ---------------------------------------------------------------------------------------


class Indexer:
    """One run over one chain's contracts in one session (see the module's docstring)."""

    def __init__(
        self, session: Session, reader: ChainReader, decoder: Decoder, *, chain_id: int,
        watched: Sequence[Watched], projectors: Sequence[Projector], confirmations: int, reorg_window: int,
        chunk_blocks: int, start_block: Callable[[], int], progress: Progress = lambda chunk: None,
    ):  # fmt: skip
        self.session, self.reader, self.decoder = session, reader, decoder
        self.chain_id, self.watched, self.projectors = chain_id, list(watched), list(projectors)
        self.confirmations, self.reorg_window, self.chunk_blocks = confirmations, reorg_window, chunk_blocks
        self._start_block, self._start = start_block, None
        self.progress = progress

    def start_block(self) -> int:
        if self._start is None:
            self._start = self._start_block()
        return self._start

    def run(self) -> IndexReport:
        head = self.reader.head()
        self.report = IndexReport(self.chain_id, head, head - self.confirmations, self.confirmations,
                                  contracts=[w.name for w in self.watched])  # fmt: skip
        pending = list(self.watched)
        restarts = 0
        while pending:
            groups: dict[tuple[int, str] | None, list[Watched]] = defaultdict(list)
            checkpoints = self._checkpoints()
            for w in pending:
                point = checkpoints.get(w.name)
                groups[None if point is None else (point.block_number, point.block_hash)].append(w)
            pending = []
            for point, members in sorted(
                groups.items(), key=lambda item: (item[0] is not None, item[0] or (0, ""))
            ):
                if not self._index_group(members, point):
                    pending.extend(members)
                    self.report.notes.append(
                        f"blocks indexed during this run changed (a reorg): {', '.join(w.name for w in members)} "
                        "read again from their checkpoint"
                    )
            if pending:
                restarts += 1
                if restarts > MAX_RESTARTS:
                    raise IndexerError(
                        f"chain {self.chain_id} kept reorganizing below the blocks being indexed: run again later"
                    )
        return self.report

    def _checkpoints(self) -> dict[str, IndexerCheckpoint]:
        rows = self.session.exec(select(IndexerCheckpoint).where(IndexerCheckpoint.chain_id == self.chain_id))
        return {row.contract: row for row in rows}

    def _index_group(self, members: list[Watched], point: tuple[int, str] | None) -> bool:
        """Index contracts that share a checkpoint; False when a reorg under the run asks for a restart."""
        names = [w.name for w in members]
        target = self.report.target
        broken = False
        if point is None:
            begin = self.start_block()
        else:
            number, block_hash = point
            current = self.reader.block(number) if number <= self.report.head else None
            broken = current is None or current.hash != block_hash
            window_begin = max(0, number - self.reorg_window + 1)
            begin = self._begin_after_reorg(names, number, window_begin) if broken else window_begin
            if broken and target < number:  # the chain is shorter than what was indexed: drop the rest
                above = self.session.exec(
                    select(ChainEvent.id).where(ChainEvent.chain_id == self.chain_id, ChainEvent.contract.in_(names),
                                                ChainEvent.block_number > target)
                ).all()  # fmt: skip
                self.report.removed += self._delete_ids(set(above))
                self.session.commit()
        last_written = None if point is None or broken else point
        size, first = self.chunk_blocks, begin
        while first <= target:
            last = min(first + size - 1, target)
            try:
                logs = self.reader.logs([w.address for w in members], first, last)
            except _log_errors() as exc:
                if last == first:
                    raise IndexerError(
                        f"the node refused eth_getLogs for block {first} of chain {self.chain_id}: {exc}"
                    ) from exc
                size = max(1, (last - first + 1) // 2)
                continue
            end = self.reader.block(last)
            if end is None:
                self.session.rollback()
                return False  # the head moved below `last` while we read: start over from the checkpoint
            if last_written is not None and last_written[0] < first:
                before = self.reader.block(last_written[0])
                if before is None or before.hash != last_written[1]:
                    self.session.rollback()
                    return False  # the blocks just committed were reorganized: start over
            chunk = self._store(members, first, last, logs, reread=point is not None and first <= point[0])
            if point is None or broken or last >= point[0]:
                self._checkpoint(names, end)
                last_written = (end.number, end.hash)
            self.session.commit()
            self.report.blocks_read += last - first + 1
            self.progress(chunk)
            first = last + 1
        if broken and begin > target:
            end = self.reader.block(target) if target >= 0 else None
            if end is not None:
                self._checkpoint(names, end)
            else:
                for name in names:
                    self.session.exec(delete(IndexerCheckpoint).where(
                        IndexerCheckpoint.chain_id == self.chain_id, IndexerCheckpoint.contract == name
                    ))  # fmt: skip
            self.session.commit()
        return True

    def _begin_after_reorg(self, names: list[str], number: int, window_begin: int) -> int:
        """Where to read again from when the checkpoint's block changed: the window, or further back."""
        known = (
            select(ChainEvent.block_number, ChainEvent.block_hash)
            .where(ChainEvent.chain_id == self.chain_id, ChainEvent.contract.in_(names), ChainEvent.block_number < number)
            .distinct()
        )  # fmt: skip
        count = self.session.exec(select(func.count()).select_from(known.subquery())).one()

        def stored(rank: int) -> tuple[int, str]:  # the rank-th highest stored block (0: the highest)
            return self.session.exec(
                known.order_by(ChainEvent.block_number.desc()).offset(rank).limit(1)
            ).one()

        def on_chain(rank: int) -> bool:
            block_number, block_hash = stored(rank)
            block = self.reader.block(block_number)
            return block is not None and block.hash == block_hash

        low, high = 0, count  # stored blocks are on the chain from some rank down: find the first such rank
        while low < high:
            middle = (low + high) // 2
            if on_chain(middle):
                high = middle
            else:
                low = middle + 1
        floor = stored(low)[0] if low < count else None  # the highest stored block still on the chain
        if floor is None:
            if count and stored(count - 1)[0] < window_begin:
                raise IndexerError(
                    f"none of the {count} blocks stored for chain {self.chain_id} ({', '.join(names)}) is on "
                    "the chain any more: the chain was reset (a local node restarted without its state?) or the "
                    "RPC endpoint serves another chain with the same id. If this chain is the right one, rebuild "
                    "its index: `sahara index --network ... --rebuild`."
                )
            begin = self.start_block()
            self.report.notes.append(
                f"block {number} changed and no stored block below it is left: read again from {begin}"
            )
            return begin
        if floor + 1 >= window_begin:
            return window_begin
        self.report.notes.append(
            f"reorg deeper than the window of {self.reorg_window} blocks: block {number} changed, the highest stored "
            f"block still on the chain is {floor}; read again from {floor + 1}"
        )
        return floor + 1

    def _store(
        self, members: list[Watched], first: int, last: int, logs: list[Mapping], reread: bool
    ) -> ChunkReport:
        chunk = ChunkReport(tuple(w.name for w in members), first, last, reread=reread)
        items, undecoded = self.decoder.decode(logs)
        self.report.undecoded.update(undecoded)
        decoded = {item.key: item for item in items}
        names = [w.name for w in members]
        in_range = self.session.exec(
            select(ChainEvent.id, ChainEvent.tx_hash, ChainEvent.log_index).where(
                ChainEvent.chain_id == self.chain_id, ChainEvent.contract.in_(names),
                ChainEvent.block_number >= first, ChainEvent.block_number <= last)
        ).all()  # fmt: skip
        stale = {row_id for row_id, tx_hash, log_index in in_range if (tx_hash, log_index) not in decoded}
        same_key = self._stored_by_key(decoded)
        fresh = []
        for key, item in sorted(decoded.items(), key=lambda kv: (kv[1].block_number, kv[1].log_index)):
            stored = same_key.get(key)
            if stored is not None and stored[1] == item.block_hash and stored[2] == item.block_number:
                continue
            if stored is not None:
                stale.add(stored[0])
                self.report.reinserted += 1
            fresh.append(item)
        chunk.removed = self._delete_ids(stale)
        self.report.removed += chunk.removed
        events = [self._event(item) for item in fresh]
        self.session.add_all(events)
        self.session.flush()
        for event in events:
            chunk.inserted[event.contract] += 1
        self.report.inserted.update(chunk.inserted)
        for projector in self.projectors:
            if projector.project is not None and events:
                self.report.projected.update(projector.project(self.session, events))
        self.session.flush()
        return chunk

    def _stored_by_key(self, decoded: Mapping[tuple[str, int], DecodedLog]) -> dict[tuple[str, int], tuple]:
        found = {}
        hashes = sorted({tx_hash for tx_hash, _ in decoded})
        for start in range(0, len(hashes), IN_BATCH):
            rows = self.session.exec(
                select(ChainEvent.id, ChainEvent.block_hash, ChainEvent.block_number, ChainEvent.tx_hash,
                       ChainEvent.log_index)
                .where(ChainEvent.chain_id == self.chain_id, ChainEvent.tx_hash.in_(hashes[start:start + IN_BATCH]))
            ).all()  # fmt: skip
            for row_id, block_hash, block_number, tx_hash, log_index in rows:
                if (tx_hash, log_index) in decoded:
                    found[(tx_hash, log_index)] = (row_id, block_hash, block_number)
        return found

    def _event(self, item: DecodedLog) -> ChainEvent:
        timestamp = item.block_timestamp
        if timestamp is None:
            timestamp = self.reader.timestamp(item.block_hash)
        return ChainEvent(
            chain_id=self.chain_id, contract=item.contract.name, address=item.contract.address, event=item.event,
            block_number=item.block_number, block_hash=item.block_hash, block_timestamp=timestamp,
            tx_hash=item.tx_hash, log_index=item.log_index, args=item.args,
        )  # fmt: skip

    def _delete_ids(self, ids: set[int]) -> int:
        """Delete events by id; the database deletes the rows derived from them (ON DELETE CASCADE)."""
        ordered = sorted(ids)
        for start in range(0, len(ordered), IN_BATCH):
            self.session.exec(delete(ChainEvent).where(ChainEvent.id.in_(ordered[start : start + IN_BATCH])))
        if ordered:
            self.session.flush()
            self.session.expire_all()
        return len(ordered)

    def _checkpoint(self, names: Iterable[str], block: BlockRef) -> None:
        for name in names:
            row = self.session.get(IndexerCheckpoint, (self.chain_id, name))
            if row is None:
                row = IndexerCheckpoint(chain_id=self.chain_id, contract=name, block_number=block.number,
                                        block_hash=block.hash)  # fmt: skip
            row.block_number, row.block_hash = block.number, block.hash
            self.session.add(row)


# --- the database side of a chain ------------------------------------------------------------------------


def record_chain(session: Session, *, chain_id: int, ecosystem: str, network: str) -> None:
    """Insert or update the ``chain`` row."""
    row = session.get(Chain, chain_id) or Chain(chain_id=chain_id, ecosystem=ecosystem, network=network)
    row.ecosystem, row.network = ecosystem, network
    session.add(row)
    session.flush()


def mirror_deployment(session: Session, chain_id: int, addresses: Mapping[str, str]) -> list[str]:
    """Make the ``deployment`` rows of ``chain_id`` equal ``addresses``. A contract whose address
    changed (a redeployed local chain) loses its stored events and checkpoint; returns notes."""
    notes = []
    stored = {
        row.contract: row for row in session.exec(select(Deployment).where(Deployment.chain_id == chain_id))
    }
    for name, address in addresses.items():
        address = to_checksum_address(address)
        row = stored.pop(name, None)
        if row is not None and row.address != address:
            dropped = _drop_contract(session, chain_id, name)
            notes.append(
                f"{name} moved from {row.address} to {address}: its {dropped} stored events were dropped"
            )
        row = row or Deployment(chain_id=chain_id, contract=name, address=address)
        row.address = address
        session.add(row)
    for name, row in stored.items():
        session.delete(row)
        notes.append(f"{name} is no longer in the deployment record (its stored events are kept)")
    session.flush()
    return notes


def _drop_contract(session: Session, chain_id: int, name: str) -> int:
    count = session.exec(
        select(func.count())
        .select_from(ChainEvent)
        .where(ChainEvent.chain_id == chain_id, ChainEvent.contract == name)
    ).one()
    session.exec(delete(ChainEvent).where(ChainEvent.chain_id == chain_id, ChainEvent.contract == name))
    session.exec(delete(NativeBalance).where(NativeBalance.chain_id == chain_id, NativeBalance.contract == name))
    session.exec(
        delete(IndexerCheckpoint).where(
            IndexerCheckpoint.chain_id == chain_id, IndexerCheckpoint.contract == name
        )
    )
    return count


def drop_chain_index(session: Session, chain_id: int) -> int:
    """Delete every stored event of ``chain_id`` (and so every row derived from them) and its
    checkpoints; returns the number of events deleted."""
    count = session.exec(
        select(func.count()).select_from(ChainEvent).where(ChainEvent.chain_id == chain_id)
    ).one()
    session.exec(delete(ChainEvent).where(ChainEvent.chain_id == chain_id))
    session.exec(delete(IndexerCheckpoint).where(IndexerCheckpoint.chain_id == chain_id))
    session.exec(delete(NativeBalance).where(NativeBalance.chain_id == chain_id))
    session.flush()
    return count


def record_native_balances(
    session: Session, reader: ChainReader, chain_id: int, accounts: Mapping[str, str], target: int, reorg_window: int
) -> int:
    """Store the native balance of ``accounts`` (name -> address) at block ``target`` where it differs
    from the last row stored; rows above ``target``, or in the last ``reorg_window`` blocks with a
    hash the chain no longer has, are deleted first. Returns the rows stored."""
    session.exec(delete(NativeBalance).where(NativeBalance.chain_id == chain_id, NativeBalance.block_number > target))
    recent = session.exec(select(NativeBalance).where(NativeBalance.chain_id == chain_id,
                                                      NativeBalance.block_number > target - reorg_window))  # fmt: skip
    for row in recent.all():
        block = reader.block(row.block_number)
        if block is None or block.hash != row.block_hash:
            session.delete(row)
    session.flush()
    end = reader.block(target) if target >= 0 else None
    if end is None:
        return 0
    stored = 0
    for name, address in accounts.items():
        address = to_checksum_address(address)
        last = session.exec(
            select(NativeBalance).where(NativeBalance.chain_id == chain_id, NativeBalance.address == address)
            .order_by(NativeBalance.block_number.desc())
        ).first()  # fmt: skip
        balance = reader.balance(address, end.number)
        if last is not None and (last.balance == balance or last.block_number >= end.number):
            continue
        session.add(NativeBalance(chain_id=chain_id, contract=name, address=address, block_number=end.number,
                                  block_hash=end.hash, block_timestamp=end.timestamp, balance=balance))  # fmt: skip
        stored += 1
    session.commit()
    return stored


def project_stored(
    session: Session, chain_id: int, projectors: Sequence[Projector], batch: int = 5000
) -> Counter:
    """Run the projectors over every stored event of ``chain_id``, in the order they were stored (for
    a projection added after its events were indexed); rows already derived are skipped."""
    projected: Counter = Counter()
    last_id = 0
    while True:
        events = session.exec(
            select(ChainEvent).where(ChainEvent.chain_id == chain_id, ChainEvent.id > last_id)
            .order_by(ChainEvent.id).limit(batch)
        ).all()  # fmt: skip
        if not events:
            return projected
        last_id = events[-1].id
        for projector in projectors:
            if projector.project is not None:
                projected.update(projector.project(session, events))
        session.flush()


# --- one command's worth -----------------------------------------------------------------------------------


def default_confirmations(network: str) -> int:
    """The setting ``indexer_confirmations`` if set, else 0 on local chains and 12 elsewhere."""
    from sahara_dao.core.chain import is_local
    from sahara_dao.core.settings import get_settings

    configured = get_settings().indexer_confirmations
    if configured is not None:
        return configured
    return LOCAL_CONFIRMATIONS if is_local(network) else REMOTE_CONFIRMATIONS


def first_block_after(reader: ChainReader, timestamp: int, head: int) -> int:
    """The first block whose timestamp is at least ``timestamp`` (binary search over block headers,
    whose timestamps only grow on real chains); the head if none is."""
    low, high = 0, head
    while low < high:
        middle = (low + high) // 2
        block = reader.block(middle)
        if block is not None and block.timestamp >= timestamp:
            high = middle
        else:
            low = middle + 1
    return low


def index_network(
    network: str, *, confirmations: int | None = None, rebuild: bool = False, reproject: bool = False,
    progress: Progress = lambda chunk: None, url: str | None = None, host: str | None = None,
) -> IndexReport:  # fmt: skip
    """Index the deployed contracts of ``network`` (an Ape network choice) into the database."""
    from ape import chain

    from sahara_dao.core.chain import connect, is_local
    from sahara_dao.core.contracts import project
    from sahara_dao.core.db import session_scope
    from sahara_dao.core.deployments import DeploymentStore
    from sahara_dao.core.settings import get_settings

    settings = get_settings()
    confirmations = default_confirmations(network) if confirmations is None else confirmations
    if confirmations < 0:
        raise IndexerError(f"confirmations must not be negative, not {confirmations}")
    projectors = load_projectors()
    store = DeploymentStore(settings.deployments_dir)
    with connect(network, host=host):
        chain_id = chain.chain_id
        record = store.load(chain_id)
        if record is None:
            raise IndexerError(
                f"no deployment is recorded for chain {chain_id} ({network}) in {settings.deployments_dir}: "
                f"deploy first (`sahara deploy --network {network}`) or set SAHARA_DATA_DIR"
            )
        watched, unknown = watched_contracts(record.contracts, projectors)
        reader = ChainReader(chain.provider.web3)
        contracts = project()
        decoder = Decoder(
            watched, lambda name: getattr(contracts, name).contract_type, chain.provider.network.ecosystem
        )
        local = is_local(network)

        def start_block() -> int:
            if local:
                return 0  # cheap, and a reloaded anvil's clock may run backwards
            return first_block_after(reader, record.genesis_time - START_MARGIN, reader.head())

        ecosystem, network_name = network.split(":")[:2]
        with session_scope(url) as session:
            record_chain(session, chain_id=chain_id, ecosystem=ecosystem, network=network_name)
            deployed = dict(record.contracts) | {w.name: w.address for w in watched}  # with discovered ones
            notes = mirror_deployment(session, chain_id, deployed)
            dropped = drop_chain_index(session, chain_id) if rebuild else None
            session.commit()
            indexer = Indexer(
                session, reader, decoder, chain_id=chain_id, watched=watched, projectors=projectors,
                confirmations=confirmations, reorg_window=settings.indexer_reorg_window,
                chunk_blocks=settings.indexer_chunk_blocks, start_block=start_block, progress=progress,
            )  # fmt: skip
            report = indexer.run()
            native = {name: deployed[name] for p in projectors for name in p.native_accounts if name in deployed}
            report.native_balances = record_native_balances(session, reader, chain_id, native, report.target,
                                                            settings.indexer_reorg_window)  # fmt: skip
            if reproject:
                report.projected.update(project_stored(session, chain_id, projectors))
    report.notes[:0] = notes
    if dropped is not None:
        report.notes.insert(
            0, f"rebuild: {dropped} stored events of chain {chain_id} and their derived rows dropped"
        )
    report.notes.extend(f"{name}: not indexed, no projector gives its contract type" for name in unknown)
    return report


def sync_network(network: str) -> dict:
    """One indexer run over ``network`` for schedulers (Airflow's chain_sync), as plain values."""
    report = index_network(network)
    return {"network": network, "chain_id": report.chain_id, "head": report.head, "indexed_to": report.target,
            "new_events": report.new_events, "removed": report.removed, "blocks_read": report.blocks_read,
            "native_balances": report.native_balances,
            "projected": dict(report.projected), "notes": list(report.notes)}  # fmt: skip
