"""OpenZeppelin StandardMerkleTree in Python: the same leaves, tree, proofs and dump as the npm library.

A tree over rows of ABI values (for claims: ``(account, cumulativeAmount)`` as
``("address", "uint256")``) built exactly like ``@openzeppelin/merkle-tree`` 1.0.8:

- leaf = ``keccak256(keccak256(abi.encode(values...)))``, the double hash OpenZeppelin's
  ``MerkleProof`` expects (``keccak256(bytes.concat(keccak256(abi.encode(...))))`` in Solidity);
- leaves sorted by hash (``sort_leaves=True``, the library's default; stable, so equal leaves keep
  their input order), pairs sorted before hashing (``keccak256(min(a, b) ++ max(a, b))``);
- the same array layout: ``tree[0]`` is the root, node ``i`` has children ``2i+1`` and ``2i+2``, and
  the ``k``-th sorted leaf sits at ``tree[len(tree) - 1 - k]``;
- ``dump()``/``load()`` in the library's ``standard-v1`` JSON format, so either side loads the other's
  file.

Values keep their input order: ``tree.values[i]`` is the ``i``-th row given to :meth:`of`, and
``get_proof(i)`` proves it. Hashes and proofs are ``0x``-prefixed lowercase hex strings, like the
library's. Elementary static types are encoded by hand, other types go through ``eth_abi``.

Building works on whole columns with C loops (``map`` over builtins, one keccak call per hash), so
the cost is close to the floor of three keccak256 per leaf (``bench/merkle.py`` measures it).

Large trees (``PARALLEL_MIN_LEAVES``, 250,000 rows, and up) are built by several processes where
``fork`` exists; ``of(..., workers=1)`` and smaller trees build in this process, with the same result
to the byte:

- a ``ProcessPoolExecutor`` with the ``fork`` context and ``workers - 1`` processes (default: the CPUs
  this process may run on), made and shut down inside the one ``of`` call. The rows reach the workers
  through the fork itself (the pool's ``initargs`` are inherited, never pickled); a worker turns its
  collector off so that it does not walk, and copy, the heap it shares;
- leaves: the rows are cut into ``workers`` contiguous chunks; each worker encodes and double-hashes
  its chunk, sorts it stably and sends back one ``bytes`` of 32-byte hashes and an ``array`` of their
  row indices, while this process does the last chunk. One ``sorted`` over the runs in chunk order
  merges them (Timsort finds the runs; equal leaves keep their input order, as one global stable
  sort would);
- inner nodes: each block of parents whose children are done (see :func:`_hash_inner`) of 16,384
  nodes or more is cut into contiguous parts: the workers get their parts' children as one ``bytes``
  and return the parents as one ``bytes``, this process hashes the last part; smaller blocks (the
  top of the tree) are hashed here;
- results go back in chunk order, whatever order the workers finish in, so the tree never depends
  on scheduling. Any failure (no ``fork``, a pool that cannot start, a broken worker, a row that does
  not encode) drops the parallel attempt and builds in this process, which also words the error.

The gain depends on free cores: forking and the copy-on-write faults of the shared heap cost
about 10 to 20% extra CPU, so on a machine whose other core is busy it is small.
"""

from __future__ import annotations

import gc
import itertools
import multiprocessing
import os
import re
import threading
from array import array
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from itertools import repeat
from operator import itemgetter
from struct import iter_unpack
from typing import Any

from eth_abi import encode as abi_encode

from sahara_dao.token.errors import MerkleTreeError

try:  # safe-pysha3 (pinned in requirements/app.lock): about 5x faster than pycryptodome
    from sha3 import keccak_256 as _keccak_256

    def keccak256(data: bytes) -> bytes:
        """keccak256 of ``data`` (32 bytes)."""
        return _keccak_256(data).digest()

    def keccak256_many(items: Iterable[bytes]) -> list[bytes]:
        """keccak256 of each item, looped in C (``map`` over the hash type and its ``digest``)."""
        return list(map(_keccak_256.digest, map(_keccak_256, items)))

except ImportError:  # pragma: no cover - pycryptodome comes with eth-hash
    from Crypto.Hash import keccak as _keccak

    def keccak256(data: bytes) -> bytes:
        """keccak256 of ``data`` (32 bytes)."""
        return _keccak.new(data=data, digest_bits=256).digest()

    def keccak256_many(items: Iterable[bytes]) -> list[bytes]:
        """keccak256 of each item."""
        return list(map(keccak256, items))


FORMAT = "standard-v1"
BALANCE_ENCODING = ("address", "uint256")
"""Leaf encoding of cumulative balances: one ``(account, cumulativeAmount)`` row per account."""

_UINT = re.compile(r"^uint(\d*)$")
_INT = re.compile(r"^int(\d*)$")
_BYTES_N = re.compile(r"^bytes(\d+)$")
_ZERO12 = bytes(12)
_AFTER_0X = itemgetter(slice(2, None))


# --------------------------------------------------------------------------------------------------
# Hashing


def _hex(value: bytes) -> str:
    return "0x" + value.hex()


def _to_bytes(value: Any, what: str) -> bytes:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    if isinstance(value, str) and value[:2] in ("0x", "0X"):
        try:
            return bytes.fromhex(value[2:])
        except ValueError:
            pass
    raise MerkleTreeError(f"expected a 0x-hex string or bytes for {what}, got {value!r}")


def _to_int(value: Any, what: str) -> int:
    """An integer from an int or a decimal or 0x-hex string, as the npm library accepts them."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        try:
            return int(value, 16) if value[:2] in ("0x", "0X") else int(value, 10)
        except ValueError:
            pass
    raise MerkleTreeError(f"expected an integer (int, decimal or 0x-hex string) for {what}, got {value!r}")


def _encode_address(value: Any) -> bytes:
    raw = _to_bytes(value, "address")
    if len(raw) > 20:
        raise MerkleTreeError(f"an address has 20 bytes, got {len(raw)}: {value!r}")
    return bytes(32 - len(raw)) + raw if len(raw) != 20 else _ZERO12 + raw


def _uint_encoder(bits: int) -> Callable[[Any], bytes]:
    limit = 1 << bits

    def encode(value: Any) -> bytes:
        number = _to_int(value, f"uint{bits}")
        if not 0 <= number < limit:
            raise MerkleTreeError(f"{number} does not fit in uint{bits}")
        return number.to_bytes(32, "big")

    return encode


def _int_encoder(bits: int) -> Callable[[Any], bytes]:
    low, high = -(1 << (bits - 1)), 1 << (bits - 1)

    def encode(value: Any) -> bytes:
        number = _to_int(value, f"int{bits}")
        if not low <= number < high:
            raise MerkleTreeError(f"{number} does not fit in int{bits}")
        return number.to_bytes(32, "big", signed=True)

    return encode


def _bytes_n_encoder(size: int) -> Callable[[Any], bytes]:
    def encode(value: Any) -> bytes:
        raw = _to_bytes(value, f"bytes{size}")
        if len(raw) > size:
            raise MerkleTreeError(f"bytes{size} holds {size} bytes, got {len(raw)}")
        return raw + bytes(32 - len(raw))

    return encode


def _encode_bool(value: Any) -> bytes:
    if not isinstance(value, bool):
        raise MerkleTreeError(f"expected a bool, got {value!r}")
    return (1 if value else 0).to_bytes(32, "big")


def _elementary_encoder(abi_type: str) -> Callable[[Any], bytes] | None:
    """A hand encoder for a static elementary type, or None for everything else."""
    if abi_type == "address":
        return _encode_address
    if abi_type == "bool":
        return _encode_bool
    if match := _UINT.match(abi_type):
        bits = int(match.group(1) or 256)
        return _uint_encoder(bits) if bits % 8 == 0 and 8 <= bits <= 256 else None
    if match := _INT.match(abi_type):
        bits = int(match.group(1) or 256)
        return _int_encoder(bits) if bits % 8 == 0 and 8 <= bits <= 256 else None
    if match := _BYTES_N.match(abi_type):
        size = int(match.group(1))
        return _bytes_n_encoder(size) if 1 <= size <= 32 else None
    return None


def _element_type(abi_type: str) -> str | None:
    """``uint256`` for ``uint256[]`` or ``uint256[3]``; None for a type that is not an array."""
    return abi_type[: abi_type.rindex("[")] if abi_type.endswith("]") else None


def _normalize_for_eth_abi(abi_type: str, value: Any) -> Any:
    """Number strings to ints and hex strings to bytes where eth_abi wants them (arrays included)."""
    element = _element_type(abi_type)
    if element is not None and isinstance(value, list | tuple):
        return [_normalize_for_eth_abi(element, v) for v in value]
    if _UINT.match(abi_type) or _INT.match(abi_type):
        return _to_int(value, abi_type)
    if (_BYTES_N.match(abi_type) or abi_type == "bytes") and isinstance(value, str):
        return _to_bytes(value, abi_type)
    return value


def _make_encoder(leaf_encoding: Sequence[str]) -> Callable[[Sequence[Any]], bytes]:
    """``abi.encode(values...)`` for rows of ``leaf_encoding``."""
    types = tuple(leaf_encoding)
    encoders = [_elementary_encoder(t) for t in types]
    width = len(types)

    def check_width(row: Sequence[Any]) -> None:
        if len(row) != width:
            raise MerkleTreeError(f"a leaf of {list(types)} has {width} values, got {len(row)}: {row!r}")

    if all(encoders):
        fast = encoders

        def encode(row: Sequence[Any]) -> bytes:
            if len(row) != width:
                check_width(row)
            return b"".join([f(v) for f, v in zip(fast, row, strict=True)])

        return encode

    def encode_slow(row: Sequence[Any]) -> bytes:
        check_width(row)
        try:
            return abi_encode(types, [_normalize_for_eth_abi(t, v) for t, v in zip(types, row, strict=True)])
        except Exception as exc:  # eth_abi raises several unrelated types
            raise MerkleTreeError(f"cannot encode {row!r} as {list(types)}: {exc}") from exc

    return encode_slow


def standard_leaf_hash(leaf_encoding: Sequence[str], value: Sequence[Any]) -> str:
    """The leaf hash ``keccak256(keccak256(abi.encode(value...)))`` as 0x-hex."""
    return _hex(keccak256(keccak256(_make_encoder(leaf_encoding)(value))))


def standard_node_hash(a: bytes | str, b: bytes | str) -> str:
    """The parent of two nodes: ``keccak256`` of the pair in ascending order, as 0x-hex."""
    left, right = _node(a), _node(b)
    return _hex(keccak256(left + right if left <= right else right + left))


def _node(value: bytes | str) -> bytes:
    raw = _to_bytes(value, "a tree node")
    if len(raw) != 32:
        raise MerkleTreeError(f"merkle tree nodes have 32 bytes, got {len(raw)}")
    return raw


def process_proof(leaf: bytes | str, proof: Iterable[bytes | str]) -> str:
    """The root that ``proof`` rebuilds from ``leaf`` (OpenZeppelin ``MerkleProof.processProof``)."""
    node = _node(leaf)
    for sibling in proof:
        other = _node(sibling)
        node = keccak256(node + other if node <= other else other + node)
    return _hex(node)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building millions of small acyclic containers.

    It would otherwise run every 700 allocations and walk them all: a million-leaf ``dump()`` (a
    dict and a list per value), or ``json.loads`` of one, takes two to three times as long.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# --------------------------------------------------------------------------------------------------
# Whole columns at once: every loop below runs in C (map over builtins), so a million leaves cost
# little more than their hashes. Each fast path answers None when a value is unusual, and the caller
# then takes the checked per-value path, which also words the error.


def _fromhex_all(items: list[Any], size: int) -> list[bytes] | None:
    """The bytes of a list of ``0x``-hex strings of ``size`` bytes each, or None if any is not one."""
    if (
        set(map(type, items)) != {str}
        or set(map(len, items)) != {2 + 2 * size}
        or not all(map(str.startswith, items, repeat("0x")))
    ):
        return None
    try:
        raw = list(map(bytes.fromhex, map(_AFTER_0X, items)))
    except ValueError:
        return None
    return raw if set(map(len, raw)) == {size} else None


def _encode_balances(rows: list[tuple[Any, ...]]) -> list[bytes] | None:
    """``abi.encode(address, uint256)`` of every row, or None unless all are (0x-hex str, int) pairs.

    Column by column, every loop in C: the checks first (two items a row, exact ``str`` and ``int``
    types, so no bools, a ``0x`` prefix), then ``fromhex`` and ``to_bytes`` (which reject what is not
    hex or does not fit 256 bits) joined behind 12 zero bytes; an address of other than 20 bytes
    shows as an encoding of other than 64.
    """
    if set(map(len, rows)) != {2}:
        return None
    accounts = list(map(itemgetter(0), rows))
    amounts = list(map(itemgetter(1), rows))
    if (
        set(map(type, accounts)) != {str}
        or set(map(type, amounts)) != {int}
        or not all(map(str.startswith, accounts, repeat("0x")))
    ):
        return None
    try:
        encoded = list(
            map(
                b"".join,
                zip(
                    repeat(_ZERO12),
                    map(bytes.fromhex, map(_AFTER_0X, accounts)),
                    map(int.to_bytes, amounts, repeat(32), repeat("big")),
                ),
            )
        )
    except (ValueError, OverflowError):  # not hex, negative or 2**256 and up
        return None
    return encoded if set(map(len, encoded)) == {64} else None


def _encode_rows(rows: list[tuple[Any, ...]], leaf_encoding: Sequence[str]) -> list[bytes]:
    """``abi.encode(row...)`` of every row; MerkleTreeError naming the first row that does not encode."""
    if tuple(leaf_encoding) == BALANCE_ENCODING and (encoded := _encode_balances(rows)) is not None:
        return encoded
    return list(map(_make_encoder(leaf_encoding), rows))


def _leaf_hashes(rows: list[tuple[Any, ...]], leaf_encoding: Sequence[str]) -> list[bytes]:
    return keccak256_many(keccak256_many(_encode_rows(rows, leaf_encoding)))


def _hash_pairs(lefts: list[bytes], rights: list[bytes]) -> list[bytes]:
    """The parent of each ``(lefts[i], rights[i])``: keccak256 of the pair in ascending order."""
    return keccak256_many([a + b if a <= b else b + a for a, b in zip(lefts, rights, strict=True)])


def _split32(blob: bytes) -> list[bytes]:
    """``blob`` cut into its 32-byte pieces (``struct.iter_unpack``: about 90 ns a piece)."""
    return list(map(itemgetter(0), iter_unpack("32s", blob)))


def _layout(leaves: Iterable[bytes], order: Iterable[int], n: int) -> tuple[list[bytes], list[int]]:
    """The tree array with ``leaves`` (hashes in tree order) in place and its inner nodes still
    empty, and the tree index of every value: the k-th leaf in order sits at ``tree[2n - 2 - k]``,
    so the leaves fill ``tree[n - 1:]`` backwards, and ``order[k]`` is the value it belongs to."""
    backwards = list(leaves)
    backwards.reverse()
    tree = [b""] * (n - 1) + backwards
    tree_indices = [0] * n
    deque(map(tree_indices.__setitem__, order, range(2 * n - 2, n - 2, -1)), maxlen=0)
    return tree, tree_indices


def _hash_inner(tree: list[bytes], n: int, pool: Executor | None = None, workers: int = 1) -> None:
    """Fill in the inner nodes ``tree[:n - 1]`` from the leaves, in blocks ``tree[start:end]`` whose
    children ``(2i + 1, 2i + 2)`` all lie at or beyond ``end``, hence are done: one C loop per block,
    about log2(n) blocks. With a ``pool``, a block of ``_PARALLEL_MIN_BLOCK`` nodes or more is cut
    into ``workers`` contiguous parts hashed by the workers (children sent, parents returned as one
    ``bytes`` each), put back in part order."""
    end = n - 1
    while end > 0:
        start = end // 2
        if pool is not None and end - start >= _PARALLEL_MIN_BLOCK:
            parts = _bounds(start, end, workers)
            *theirs, (s, e) = parts  # this process hashes the last part while the workers do the rest
            futures = [pool.submit(_worker_pairs, b"".join(tree[2 * a + 1 : 2 * b + 1])) for a, b in theirs]
            tree[s:e] = _hash_pairs(tree[2 * s + 1 : 2 * e : 2], tree[2 * s + 2 : 2 * e + 1 : 2])
            for (a, b), future in zip(theirs, futures, strict=True):
                tree[a:b] = _split32(future.result())
        else:
            lefts = tree[2 * start + 1 : 2 * end : 2]
            rights = tree[2 * start + 2 : 2 * end + 1 : 2]
            tree[start:end] = _hash_pairs(lefts, rights)
        end = start


# --------------------------------------------------------------------------------------------------
# Building in worker processes (see the module docstring)

PARALLEL_MIN_LEAVES = 250_000
"""``of`` builds in worker processes from this many leaves up (when it may: see :func:`default_workers`)."""
_PARALLEL_MIN_BLOCK = 16_384
"""A block of inner nodes this large is hashed by the workers, a smaller one in this process."""

_worker_job: tuple[list[tuple[Any, ...]], tuple[str, ...]] | None = None
"""In a worker process only: the rows and leaf encoding it inherited from the build that forked it."""


def default_workers() -> int:
    """How many worker processes ``of`` uses by default: the CPUs this process may run on, or 1
    (build in this process) where ``fork`` is not available or other threads run: a fork copies
    locks that another thread may hold (logging, an I/O buffer) and the child could wait on them forever."""
    if "fork" not in multiprocessing.get_all_start_methods() or threading.active_count() > 1:
        return 1
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _bounds(start: int, end: int, parts: int) -> list[tuple[int, int]]:
    """``[start, end)`` cut into ``parts`` contiguous ranges of nearly equal size, in order."""
    size = end - start
    cuts = [start + size * k // parts for k in range(parts + 1)]
    return [(a, b) for a, b in itertools.pairwise(cuts) if a < b]


def _worker_init(rows: list[tuple[Any, ...]], leaf_encoding: tuple[str, ...]) -> None:
    global _worker_job
    # A worker makes no cycles; a full collection would walk (and so copy, page by page) the
    # parent's whole heap that it shares copy-on-write.
    gc.disable()
    _worker_job = (rows, leaf_encoding)


def _worker_leaves(lo: int, hi: int, sort_leaves: bool) -> tuple[bytes, array | None]:
    """In a worker: the leaf hashes of ``rows[lo:hi]`` as one ``bytes`` (sorted when ``sort_leaves``,
    stably) and, when sorted, the value index of each."""
    assert _worker_job is not None, "not in a merkle tree worker"
    rows, leaf_encoding = _worker_job
    hashes = _leaf_hashes(rows[lo:hi], leaf_encoding)
    if not sort_leaves:
        return b"".join(hashes), None
    local = sorted(range(len(hashes)), key=hashes.__getitem__)
    return b"".join(map(hashes.__getitem__, local)), array("q", map(lo.__add__, local))


def _worker_pairs(children: bytes) -> bytes:
    """In a worker: the parents of consecutive pairs of the 32-byte nodes in ``children``."""
    nodes = _split32(children)
    return b"".join(_hash_pairs(nodes[0::2], nodes[1::2]))


def _build_serial(
    rows: list[tuple[Any, ...]], leaf_encoding: Sequence[str], sort_leaves: bool
) -> tuple[list[bytes], list[int]]:
    n = len(rows)
    hashes = _leaf_hashes(rows, leaf_encoding)
    if sort_leaves:
        order: Sequence[int] = sorted(range(n), key=hashes.__getitem__)
        tree, tree_indices = _layout(map(hashes.__getitem__, order), order, n)
    else:
        order = range(n)
        tree, tree_indices = _layout(hashes, order, n)
    del hashes
    _hash_inner(tree, n)
    return tree, tree_indices


def _build_parallel(
    rows: list[tuple[Any, ...]], leaf_encoding: Sequence[str], sort_leaves: bool, workers: int
) -> tuple[list[bytes], list[int]] | None:
    """The tree built by ``workers`` forked processes, or None if that fails in any way (the caller
    then builds it in this process, which also words any error in the rows)."""
    n = len(rows)
    try:
        pool = ProcessPoolExecutor(
            workers - 1,  # this process is the last worker
            mp_context=multiprocessing.get_context("fork"),
            initializer=_worker_init,
            initargs=(rows, tuple(leaf_encoding)),  # inherited through fork, never pickled
        )
        try:
            chunks = _bounds(0, n, workers)
            futures = [pool.submit(_worker_leaves, lo, hi, sort_leaves) for lo, hi in chunks[:-1]]
            lo, hi = chunks[-1]
            own = _leaf_hashes(rows[lo:hi], leaf_encoding)  # while the workers hash the others
            hashes: list[bytes] = []
            runs: list[int] = []
            for future in futures:
                blob, indices = future.result()
                hashes += _split32(blob)
                if indices is not None:
                    runs += indices
            if sort_leaves:
                local = sorted(range(len(own)), key=own.__getitem__)
                hashes += map(own.__getitem__, local)
                runs += map(lo.__add__, local)
                del local
            else:
                hashes += own
            del own
            if len(hashes) != n:
                return None
            if sort_leaves:
                # Sorted runs in input order: Timsort merges them (stable, like one sort of all).
                merged = sorted(range(n), key=hashes.__getitem__)
                order = list(map(runs.__getitem__, merged))
                del runs
                tree, tree_indices = _layout(map(hashes.__getitem__, merged), order, n)
                del merged, order
            else:
                tree, tree_indices = _layout(hashes, range(n), n)
            del hashes
            _hash_inner(tree, n, pool, workers)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
    except Exception:  # a pool that cannot start or breaks, a row that does not encode, ...
        return None
    return tree, tree_indices


def _column_to_json(column: list[Any]) -> list[Any]:
    kinds = set(map(type, column))
    if kinds == {str}:
        return column
    if kinds == {int}:
        return list(map(str, column))
    return list(map(_to_json, column))


def _column_from_json(abi_type: str, column: list[Any]) -> list[Any]:
    if _element_type(abi_type) is None:
        if not (_UINT.match(abi_type) or _INT.match(abi_type)):
            return column  # only integers change from their JSON form
        if set(map(type, column)) <= {str, int}:
            try:
                return list(map(int, column))
            except ValueError:  # 0x-hex among them
                pass
    return [_from_json(abi_type, v) for v in column]


# --------------------------------------------------------------------------------------------------
# The tree


class StandardMerkleTree:
    """An OpenZeppelin ``StandardMerkleTree``: build with :meth:`of`, or :meth:`load` a dump."""

    def __init__(
        self, tree: list[bytes], values: list[tuple[Any, ...]], tree_indices: list[int], leaf_encoding
    ):
        self._tree = tree
        self._values = values
        self._tree_indices = tree_indices
        self.leaf_encoding: tuple[str, ...] = tuple(leaf_encoding)
        self._encode = _make_encoder(self.leaf_encoding)
        self._lookup: dict[bytes, int] | None = None

    # ---------------------------------------------------------------------------- construction

    @classmethod
    def of(
        cls,
        values: Iterable[Sequence[Any]],
        leaf_encoding: Sequence[str],
        *,
        sort_leaves: bool = True,
        workers: int | None = None,
    ) -> StandardMerkleTree:
        """The tree of ``values`` (rows of ``leaf_encoding``), as ``StandardMerkleTree.of`` builds it.

        From ``PARALLEL_MIN_LEAVES`` rows up it is built by ``workers`` forked processes (default:
        :func:`default_workers`; 1 builds in this process), with the same result to the byte.
        Raises MerkleTreeError on an empty list or a value that does not encode.
        """
        rows = list(map(tuple, values))
        if not rows:
            raise MerkleTreeError("a merkle tree needs at least one leaf")
        workers = default_workers() if workers is None else workers
        built = None
        if workers > 1 and len(rows) >= PARALLEL_MIN_LEAVES:
            built = _build_parallel(rows, leaf_encoding, sort_leaves, workers)
        if built is None:
            built = _build_serial(rows, leaf_encoding, sort_leaves)
        tree, tree_indices = built
        return cls(tree, rows, tree_indices, leaf_encoding)

    @classmethod
    def load(cls, data: dict) -> StandardMerkleTree:
        """The tree of a ``dump()`` (ours or the npm library's), validated like the library does.

        Integer values given as decimal or 0x-hex strings (how JSON holds them) come back as ints.
        Raises MerkleTreeError on an unknown format, a missing encoding or an inconsistent tree.
        """
        with gc_paused():
            return cls._load(data)

    @classmethod
    def _load(cls, data: dict) -> StandardMerkleTree:
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            found = data.get("format") if isinstance(data, dict) else type(data).__name__
            raise MerkleTreeError(f"unknown merkle tree format {found!r}, expected {FORMAT!r}")
        leaf_encoding = data.get("leafEncoding")
        if not leaf_encoding:
            raise MerkleTreeError("expected leafEncoding in the merkle tree dump")
        try:
            nodes = list(data["tree"])
            tree = _fromhex_all(nodes, 32) or [_node(node) for node in nodes]
            entries = data["values"]
            raw = list(map(itemgetter("value"), entries))
            if set(map(len, raw)) - {len(leaf_encoding)}:
                raise ValueError(f"every value has {len(leaf_encoding)} items, as leafEncoding says")
            columns = [
                _column_from_json(t, list(map(itemgetter(j), raw))) for j, t in enumerate(leaf_encoding)
            ]
            values = list(zip(*columns, strict=True))
            tree_indices = list(map(int, map(itemgetter("treeIndex"), entries)))
        except (KeyError, TypeError, ValueError) as exc:
            raise MerkleTreeError(f"malformed merkle tree dump: {exc!r}") from exc
        loaded = cls(tree, values, tree_indices, leaf_encoding)
        loaded.validate()
        return loaded

    def validate(self) -> None:
        """Checks that every value sits at its leaf and every inner node hashes its children."""
        tree, indices = self._tree, self._tree_indices
        if not tree:
            raise MerkleTreeError("a merkle tree has at least one node")
        if indices and not (len(tree) // 2 <= min(indices) and max(indices) < len(tree)):
            for value_index in range(len(indices)):
                self._check_value(value_index)  # raises for the first value not at a leaf
        leaves = _leaf_hashes(self._values, self.leaf_encoding) if self._values else []
        if leaves != list(map(tree.__getitem__, indices)):
            for value_index in range(len(indices)):
                self._check_value(value_index)  # raises for the first value not at its leaf
        if len(tree) % 2 == 0:
            raise MerkleTreeError(f"merkle tree is invalid: node {len(tree) // 2 - 1} has one child")
        inner = len(tree) // 2
        if tree[:inner] != _hash_pairs(tree[1::2], tree[2::2]):
            for i in range(inner):
                a, b = tree[2 * i + 1], tree[2 * i + 2]
                if tree[i] != keccak256(a + b if a <= b else b + a):
                    raise MerkleTreeError(f"merkle tree is invalid: node {i} is not the hash of its children")

    def _check_value(self, value_index: int) -> int:
        if not 0 <= value_index < len(self._values):
            raise MerkleTreeError(
                f"index {value_index} out of bounds (the tree has {len(self._values)} values)"
            )
        tree_index = self._tree_indices[value_index]
        if not self._is_leaf(tree_index):
            raise MerkleTreeError(
                f"value {value_index} points at tree index {tree_index}, which is not a leaf"
            )
        if self._tree[tree_index] != self._leaf(self._values[value_index]):
            raise MerkleTreeError(f"merkle tree does not contain the expected value at index {value_index}")
        return tree_index

    def _is_leaf(self, tree_index: int) -> bool:
        return 0 <= tree_index < len(self._tree) and 2 * tree_index + 1 >= len(self._tree)

    # ---------------------------------------------------------------------------- reading

    @property
    def root(self) -> str:
        """The root, 0x-hex: what a contract stores and ``MerkleProof.verify`` checks against."""
        return _hex(self._tree[0])

    @property
    def tree(self) -> list[str]:
        """Every node, 0x-hex, in the library's array layout (``tree[0]`` is the root)."""
        return list(map("0x".__add__, map(bytes.hex, self._tree)))

    @property
    def values(self) -> list[tuple[Any, ...]]:
        """The rows, in the order they were given."""
        return list(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def at(self, index: int) -> tuple[Any, ...]:
        """The ``index``-th row."""
        return self._values[index]

    def entries(self) -> Iterator[tuple[int, tuple[Any, ...]]]:
        """``(index, row)`` pairs in input order."""
        return enumerate(self._values)

    def leaf_hash(self, value: Sequence[Any]) -> str:
        """The leaf hash of ``value`` under this tree's encoding, 0x-hex."""
        return _hex(self._leaf(value))

    def _leaf(self, value: Sequence[Any]) -> bytes:
        return keccak256(keccak256(self._encode(value)))

    def index_of(self, value: Sequence[Any]) -> int:
        """The index of the row ``value`` (compared by its leaf hash); MerkleTreeError if absent."""
        if self._lookup is None:
            leaves = map(self._tree.__getitem__, self._tree_indices)  # a repeated leaf: the last index
            self._lookup = dict(zip(leaves, range(len(self._tree_indices)), strict=True))
        found = self._lookup.get(self._leaf(value))
        if found is None:
            raise MerkleTreeError(f"leaf {tuple(value)!r} is not in the tree")
        return found

    def get_proof(self, leaf: int | Sequence[Any]) -> list[str]:
        """The proof of a row given by index or by value: sibling hashes from the leaf up, 0x-hex."""
        value_index = leaf if isinstance(leaf, int) else self.index_of(leaf)
        i = self._check_value(value_index)
        tree = self._tree
        proof = []
        while i > 0:
            proof.append(_hex(tree[i + 1 if i % 2 else i - 1]))
            i = (i - 1) // 2
        return proof

    def verify(self, leaf: int | Sequence[Any], proof: Iterable[bytes | str]) -> bool:
        """Whether ``proof`` proves the row (by index or value) against this tree's root."""
        if isinstance(leaf, int):
            if not 0 <= leaf < len(self._values):
                raise MerkleTreeError(f"index {leaf} out of bounds (the tree has {len(self._values)} values)")
            leaf = self._values[leaf]
        return process_proof(self._leaf(leaf), proof) == self.root

    @staticmethod
    def verify_proof(
        root: bytes | str, leaf_encoding: Sequence[str], value: Sequence[Any], proof: Iterable[bytes | str]
    ) -> bool:
        """Whether ``proof`` proves ``value`` against ``root`` (the library's static ``verify``)."""
        leaf = keccak256(keccak256(_make_encoder(leaf_encoding)(value)))
        return process_proof(leaf, proof) == _hex(_node(root))

    def dump(self) -> dict:
        """The library's ``standard-v1`` dump; ``json.dumps`` of it equals ``JSON.stringify`` of the
        library's dump of the same rows (integers as decimal strings)."""
        with gc_paused():
            columns = [
                _column_to_json(list(map(itemgetter(j), self._values))) for j in range(len(self.leaf_encoding))
            ]
            return {
                "format": FORMAT,
                "leafEncoding": list(self.leaf_encoding),
                "tree": self.tree,
                "values": [
                    {"value": list(value), "treeIndex": tree_index}
                    for value, tree_index in zip(zip(*columns, strict=True), self._tree_indices, strict=True)
                ],
            }

    def render(self) -> str:
        """The tree drawn as text, like the library's ``render()``."""
        lines = []
        stack: list[tuple[int, list[int]]] = [(0, [])]
        while stack:
            i, path = stack.pop()
            prefix = "".join(("   ", "│  ")[p] for p in path[:-1]) + "".join(
                ("└─ ", "├─ ")[p] for p in path[-1:]
            )
            lines.append(f"{prefix}{i}) {_hex(self._tree[i])}")
            if 2 * i + 2 < len(self._tree):
                stack.append((2 * i + 2, [*path, 0]))
                stack.append((2 * i + 1, [*path, 1]))
        return "\n".join(lines)


def _to_json(value: Any) -> Any:
    kind = type(value)
    if kind is str:  # the common cases first: a dump of 100,000 balances converts 200,000 values
        return value
    if kind is int:
        return str(value)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return _hex(bytes(value))
    if isinstance(value, list | tuple):
        return [_to_json(v) for v in value]
    return value


def _from_json(abi_type: str, value: Any) -> Any:
    element = _element_type(abi_type)
    if element is not None and isinstance(value, list):
        return [_from_json(element, v) for v in value]
    if (_UINT.match(abi_type) or _INT.match(abi_type)) and isinstance(value, str):
        return _to_int(value, abi_type)
    return value
