"""``sahara tree``: Merkle trees of ``address,amount`` leaves in ``@openzeppelin/merkle-tree``'s format."""

import json
from pathlib import Path

import click

from sahara_dao.token.leaves import build_tree, leaf_proof, read_dump, read_leaves, write_dump


@click.group()
def tree() -> None:
    """Merkle trees of (address, amount) leaves, as @openzeppelin/merkle-tree builds them.

    \b
    sahara tree build leaves.csv --out tree.json   check the leaves, write the dump, print the root
    sahara tree proof tree.json 0xADDRESS          print one address's amount and proof as JSON

    Leaves are encoded as (address, uint256) and hashed twice, as OpenZeppelin's MerkleProof
    expects; the dump is the library's standard-v1 JSON, which StandardMerkleTree.load reads.
    """


@tree.command(short_help="Check a leaf CSV, write the tree's dump, print the root.")
@click.argument("leaves", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Where to write the dump (standard-v1 JSON); replaced atomically, only once every row is valid.",
)
def build(leaves: Path, out: Path) -> None:
    """Build the tree of the LEAVES file and write its dump; the root is the last line printed.

    LEAVES is a CSV file: the header line `address,amount`, then one row per account with its
    address (0x and 40 hex digits; mixed case must be a correct EIP-55 checksum) and its amount in
    integer base units (digits only: no sign, decimal point or exponent). Each address appears once.

    Every bad line is reported with its number and reason, and then nothing is written.
    """
    rows = read_leaves(leaves)
    merkle = build_tree(rows)
    write_dump(merkle, out)
    click.echo(f"leaves: {len(rows)}")
    click.echo(f"total: {sum(amount for _, amount in rows)} base units")
    click.echo(f"dump: {out}")
    click.echo(merkle.root)


@tree.command(short_help="Print one address's amount and proof as JSON.")
@click.argument("dump", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("address")
def proof(dump: Path, address: str) -> None:
    """Print the amount and Merkle proof of ADDRESS in the tree dumped to DUMP, as JSON.

    \b
    The JSON object has:
      address  the EIP-55 address
      amount   its amount in base units, as a decimal string
      index    its value index (getProof(index) in @openzeppelin/merkle-tree)
      leaf     its leaf hash
      root     the tree's root
      proof    the sibling hashes from the leaf up, what MerkleProof.verify takes

    DUMP is validated first (every leaf and node rehashed); an address without a leaf is an error.
    """
    click.echo(json.dumps(leaf_proof(read_dump(dump), address), indent=2))
