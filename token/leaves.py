"""Leaf files: ``address,amount`` CSV rows, checked, built into a StandardMerkleTree and dumped.

A leaf file starts with the header line ``address,amount``, then has one row per account:

- the address, ``0x`` and 40 hex digits; mixed case must be a correct EIP-55 checksum (all-lowercase
  and all-uppercase carry none and are accepted);
- the amount in integer base units: decimal digits only, from 0 to 2**256 - 1 (no sign, decimal
  point or exponent: ``1.5``, ``1e18`` and ``-3`` are refused, never rounded).

Each account appears once (addresses compare case-insensitively). Blank lines are skipped. Every bad
line is reported, with its number, before anything is built; the tree's leaves are
``(address, uint256)`` rows in file order, as ``StandardMerkleTree.of`` (ours or the npm library's)
takes them, and the dump is the library's ``standard-v1`` JSON.
"""

from __future__ import annotations

import csv
import json
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from sahara_dao.token.claims import checksum_address
from sahara_dao.token.errors import LeavesFileError, MerkleTreeError
from sahara_dao.token.merkle import BALANCE_ENCODING, StandardMerkleTree, gc_paused

HEADER = ("address", "amount")
MAX_UINT256 = 2**256 - 1
_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")


def parse_address(text: str) -> str:
    """The EIP-55 address written as ``text``; ValueError saying why it is not one."""
    if not text:
        raise ValueError("the address is empty")
    if not _ADDRESS.fullmatch(text):
        raise ValueError(f"{text!r} is not an address (0x and 40 hex digits)")
    checksummed = checksum_address(text)
    body = text[2:]
    if text != checksummed and body != body.lower() and body != body.upper():
        # Never suggest the "right" checksum: the likely cause is a mistyped digit, and the checksum
        # of the mistyped address would send the money to it.
        raise ValueError(f"{text} has a bad EIP-55 checksum: a mistyped address? check it at its source")
    return checksummed


def parse_amount(text: str) -> int:
    """The amount written as ``text``, in integer base units; ValueError saying why it is not one."""
    if not text:
        raise ValueError("the amount is empty")
    if text.isascii() and text.isdigit():
        amount = int(text)
        if amount > MAX_UINT256:
            raise ValueError(f"the amount {text} does not fit in uint256")
        return amount
    if text[0] == "-" and text[1:].isascii() and text[1:].isdigit():
        raise ValueError(f"the amount {text} is negative")
    raise ValueError(f"the amount {text!r} is not a whole number of base units (digits only)")


def parse_leaves(lines: Iterable[str], source: object = "<leaves>") -> list[tuple[str, int]]:
    """The ``(EIP-55 address, amount)`` rows of a leaf file's lines, in order.

    ``lines`` is any iterable of text lines (an open file, a list). Raises LeavesFileError listing
    every bad line with its number and reason, or saying the file has no rows.
    """
    reader = csv.reader(lines)
    header = next(reader, None)
    if header is None:
        raise LeavesFileError(source, [], "is empty: expected the header line 'address,amount' and rows")
    problems: list[tuple[int, str]] = []
    if [cell.strip().lower() for cell in header] != list(HEADER):
        found = ",".join(header)
        looks_like_a_row = len(header) == 2 and _ADDRESS.fullmatch(header[0].strip())
        what = "is missing (this line looks like a row)" if looks_like_a_row else f"is wrong: found {found!r}"
        problems.append((reader.line_num, f"the header line 'address,amount' {what}"))
    rows: list[tuple[str, int]] = []
    first_line: dict[str, int] = {}  # lowercase address -> the line it first appears on
    for line, cells in _numbered_rows(reader, problems):
        if len(cells) != 2:
            problems.append((line, f"expected 2 columns (address,amount), found {len(cells)}"))
            continue
        reasons = []
        try:
            account = parse_address(cells[0].strip())
        except ValueError as exc:
            reasons.append(str(exc))
            account = None
        try:
            amount = parse_amount(cells[1].strip())
        except ValueError as exc:
            reasons.append(str(exc))
        if account is not None:
            first = first_line.setdefault(account.lower(), line)
            if first != line:
                reasons.append(f"{account} appears again (first on line {first})")
        if reasons:
            problems.append((line, "; ".join(reasons)))
        else:
            rows.append((account, amount))
    if problems:
        raise LeavesFileError(source, problems)
    if not rows:
        raise LeavesFileError(source, [], "has no rows: a tree needs at least one address,amount line")
    return rows


def _numbered_rows(reader: Any, problems: list[tuple[int, str]]) -> Iterator[tuple[int, list[str]]]:
    """The non-blank rows with their line numbers; a line the csv module cannot read ends the file."""
    try:
        for cells in reader:
            if cells:
                yield reader.line_num, cells
    except csv.Error as exc:
        problems.append((reader.line_num, f"unreadable CSV ({exc}); nothing after it was read"))


def read_leaves(path: Path) -> list[tuple[str, int]]:
    """The rows of the leaf file at ``path`` (see :func:`parse_leaves`); UTF-8, a BOM is allowed."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as lines:
            return parse_leaves(lines, path)
    except UnicodeDecodeError as exc:
        raise LeavesFileError(path, [], f"is not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def build_tree(rows: list[tuple[str, int]]) -> StandardMerkleTree:
    """The StandardMerkleTree of ``(address, amount)`` rows, encoded as ``(address, uint256)``."""
    return StandardMerkleTree.of(rows, BALANCE_ENCODING)


def write_dump(tree: StandardMerkleTree, path: Path) -> None:
    """Write the tree's ``standard-v1`` dump to ``path``, byte for byte what ``JSON.stringify`` of the
    npm library's dump gives, atomically: a temporary file beside it, then a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(tree.dump(), separators=(",", ":"))
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            os.fchmod(out.fileno(), 0o644)
            out.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_dump(path: Path) -> StandardMerkleTree:
    """The tree of a ``standard-v1`` dump file (ours or the npm library's), validated."""
    try:
        with gc_paused():
            data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise MerkleTreeError(f"{path}: cannot read a merkle tree dump: {exc}") from None
    return StandardMerkleTree.load(data)


def leaf_proof(tree: StandardMerkleTree, address: str) -> dict[str, Any]:
    """The proof of ``address`` in an ``(address, uint256)`` tree, as a JSON-ready dict.

    ``index`` is the value index (what ``tree.getProof(index)`` takes in the npm library), ``leaf``
    the leaf hash and ``proof`` the sibling hashes from the leaf up. Raises MerkleTreeError naming
    the address when it has no leaf, or when it has several.
    """
    if tree.leaf_encoding != BALANCE_ENCODING:
        raise MerkleTreeError(f"expected a tree of (address, uint256) leaves, this one has {list(tree.leaf_encoding)}")
    try:
        account = parse_address(address)
    except ValueError as exc:
        raise MerkleTreeError(str(exc)) from None
    wanted = account.lower()
    found = [i for i, (value, _) in tree.entries() if str(value).lower() == wanted]
    if not found:
        raise MerkleTreeError(f"{account} is not in the tree (root {tree.root}, {len(tree)} leaves)")
    if len(found) > 1:
        raise MerkleTreeError(f"{account} has {len(found)} leaves in the tree (indices {found}): which one to prove?")
    index = found[0]
    value = tree.at(index)
    return {
        "address": account,
        "amount": str(value[1]),
        "index": index,
        "leaf": tree.leaf_hash(value),
        "root": tree.root,
        "proof": tree.get_proof(index),
    }
