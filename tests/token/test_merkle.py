"""StandardMerkleTree agrees with @openzeppelin/merkle-tree 1.0.8 (run by node) on roots, proofs and dumps.

Each cross-check sends the same rows to tests/token/merkle_reference.js and compares everything the
library answers: root, every proof, the dump (byte for byte as JSON) and the rendering; each side
then loads the other's dump.
"""

import json
import multiprocessing
import random
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from eth_abi import encode as abi_encode
from eth_utils import keccak, to_checksum_address
from hypothesis import given, settings
from hypothesis import strategies as st

from sahara_dao.token import merkle
from sahara_dao.token.errors import MerkleTreeError
from sahara_dao.token.merkle import (
    BALANCE_ENCODING,
    StandardMerkleTree,
    process_proof,
    standard_leaf_hash,
    standard_node_hash,
)

REFERENCE = Path(__file__).with_name("merkle_reference.js")
ROOT = Path(__file__).resolve().parents[2]


def reference(request: dict) -> dict:
    """One answer of the npm library (a batch request answers a list)."""
    out = subprocess.run(
        ["node", str(REFERENCE)],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return json.loads(out.stdout)


def as_json(value):
    """A row value as JSON carries it to the library: integers as decimal strings."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, list | tuple):
        return [as_json(v) for v in value]
    return value


def random_address(rng: random.Random, checksum: bool = True) -> str:
    raw = "0x" + rng.randbytes(20).hex()
    return to_checksum_address(raw) if checksum else raw


def random_balances(rng: random.Random, n: int) -> list[tuple[str, int]]:
    amounts = [rng.randrange(1, 10**24), 0, 1, 2**256 - 1, rng.randrange(10**6)]
    return [(random_address(rng, checksum=rng.random() < 0.7), rng.choice(amounts)) for _ in range(n)]


def dump_json(tree: StandardMerkleTree) -> str:
    return json.dumps(tree.dump(), separators=(",", ":"), ensure_ascii=False)


def assert_same_as_reference(tree: StandardMerkleTree, answer: dict) -> None:
    assert "error" not in answer, answer
    assert tree.root == answer["root"]
    assert [tree.get_proof(i) for i in range(len(tree))] == answer["proofs"]
    assert tree.dump() == answer["dump"]
    assert dump_json(tree) == answer["dumpJson"]


SIZES = (1, 2, 3, 4, 5, 7, 8, 9, 16, 31, 100, 257)


def test_balance_trees_match_the_npm_library():
    """Random (address, uint256) trees of many sizes get the library's root, proofs and dump."""
    rng = random.Random(3)
    trees = [StandardMerkleTree.of(random_balances(rng, n), BALANCE_ENCODING) for n in SIZES]
    answers = reference(
        {
            "op": "batch",
            "requests": [
                {"op": "of", "values": as_json(t.values), "leafEncoding": list(BALANCE_ENCODING)}
                for t in trees
            ],
        }
    )["answers"]
    for tree, answer in zip(trees, answers, strict=True):
        assert_same_as_reference(tree, answer)


def test_unsorted_trees_match_the_npm_library():
    """With sort_leaves=False the leaves keep input order, exactly as the library's sortLeaves: false."""
    rng = random.Random(4)
    trees = [
        StandardMerkleTree.of(random_balances(rng, n), BALANCE_ENCODING, sort_leaves=False) for n in SIZES
    ]
    answers = reference(
        {
            "op": "batch",
            "requests": [
                {
                    "op": "of",
                    "values": as_json(t.values),
                    "leafEncoding": list(BALANCE_ENCODING),
                    "sortLeaves": False,
                }
                for t in trees
            ],
        }
    )["answers"]
    for tree, answer in zip(trees, answers, strict=True):
        assert_same_as_reference(tree, answer)
    assert trees[-1].dump()["values"][0]["treeIndex"] == 2 * SIZES[-1] - 2  # the first row is the first leaf


GENERIC_ENCODING = ["bool", "int256", "uint8", "bytes32", "bytes4", "string", "bytes", "uint256[]", "address"]


def random_generic_row(rng: random.Random) -> tuple:
    return (
        rng.random() < 0.5,
        rng.randrange(-(2**255), 2**255),
        rng.randrange(256),
        rng.randbytes(32),
        rng.randbytes(4),
        rng.choice(["", "sahara", "dataset #7 ✓", "x" * 70]),
        rng.randbytes(rng.randrange(0, 70)),
        [rng.randrange(2**256) for _ in range(rng.randrange(0, 4))],
        random_address(rng),
    )


def test_generic_abi_types_match_the_npm_library():
    """Trees over static, dynamic and array ABI types match the library (eth_abi encodes those)."""
    rng = random.Random(5)
    trees = [
        StandardMerkleTree.of([random_generic_row(rng) for _ in range(n)], GENERIC_ENCODING)
        for n in (1, 6, 33)
    ]
    answers = reference(
        {
            "op": "batch",
            "requests": [
                {"op": "of", "values": as_json(t.values), "leafEncoding": GENERIC_ENCODING} for t in trees
            ],
        }
    )["answers"]
    for tree, answer in zip(trees, answers, strict=True):
        assert_same_as_reference(tree, answer)
        assert StandardMerkleTree.load(answer["dump"]).root == tree.root


def test_repeated_leaves_match_the_npm_library():
    """Equal rows keep their input order among themselves and a value lookup finds the last one."""
    rows = [("0x" + "11" * 20, 5), ("0x" + "22" * 20, 6), ("0x" + "11" * 20, 5), ("0x" + "33" * 20, 7)]
    tree = StandardMerkleTree.of(rows, BALANCE_ENCODING)
    answer = reference({"op": "of", "values": as_json(rows), "leafEncoding": list(BALANCE_ENCODING)})
    assert_same_as_reference(tree, answer)
    assert tree.index_of(rows[0]) == 2
    assert tree.get_proof(rows[0]) == answer["proofs"][2]


def test_npm_library_loads_our_dump_and_we_load_its_dump():
    """Each side loads the other's dump and answers the same root and proofs."""
    rng = random.Random(6)
    ours = StandardMerkleTree.of(random_balances(rng, 50), BALANCE_ENCODING)
    theirs = reference(
        {"op": "of", "values": as_json(random_balances(rng, 40)), "leafEncoding": ["address", "uint256"]}
    )
    answers = reference({"op": "batch", "requests": [{"op": "load", "dump": ours.dump()}]})["answers"]
    assert_same_as_reference(ours, answers[0])
    loaded = StandardMerkleTree.load(theirs["dump"])
    assert_same_as_reference(loaded, theirs)
    assert all(isinstance(amount, int) for _, amount in loaded.values)


def test_our_proofs_verify_in_the_npm_library():
    """The library's static verify accepts our proofs and rejects them for another amount."""
    rng = random.Random(7)
    rows = random_balances(rng, 20)
    tree = StandardMerkleTree.of(rows, BALANCE_ENCODING)
    requests = []
    for i in (0, 7, 19):
        account, amount = rows[i]
        for value in ([account, str(amount)], [account, str(amount ^ 1)]):
            requests.append(
                {
                    "op": "verify",
                    "root": tree.root,
                    "leafEncoding": list(BALANCE_ENCODING),
                    "value": value,
                    "proof": tree.get_proof(i),
                }
            )
    answers = reference({"op": "batch", "requests": requests})["answers"]
    assert [a["valid"] for a in answers] == [True, False] * 3


def test_render_matches_the_npm_library():
    """render() draws the same text as the library's render()."""
    rows = random_balances(random.Random(8), 6)
    tree = StandardMerkleTree.of(rows, BALANCE_ENCODING)
    answer = reference({"op": "of", "values": as_json(rows), "leafEncoding": list(BALANCE_ENCODING)})
    assert tree.render() == answer["render"]


def test_leaf_hash_is_the_double_keccak_of_the_abi_encoding():
    """A leaf is keccak256(keccak256(abi.encode(account, amount))), as OpenZeppelin documents it."""
    account, amount = "0x" + "ab" * 20, 10**21
    expected = keccak(keccak(abi_encode(["address", "uint256"], [account, amount])))
    assert standard_leaf_hash(BALANCE_ENCODING, (account, amount)) == "0x" + expected.hex()
    assert (
        standard_leaf_hash(BALANCE_ENCODING, (account.upper().replace("0X", "0x"), hex(amount)))
        == "0x" + expected.hex()
    )


def test_node_hash_sorts_the_pair():
    """A parent hashes its two children in ascending order, whichever side each is on."""
    a, b = b"\x01" * 32, b"\x02" * 32
    assert standard_node_hash(a, b) == standard_node_hash(b, a) == "0x" + keccak(a + b).hex()


def test_proofs_by_value_and_by_index_agree():
    """get_proof and verify accept a row or its index and give the same answer."""
    rows = random_balances(random.Random(9), 30)
    tree = StandardMerkleTree.of(rows, BALANCE_ENCODING)
    for i, row in tree.entries():
        proof = tree.get_proof(i)
        assert tree.get_proof(row) == proof
        assert tree.verify(i, proof) and tree.verify(row, proof)
        assert StandardMerkleTree.verify_proof(tree.root, BALANCE_ENCODING, row, proof)
        assert process_proof(tree.leaf_hash(row), proof) == tree.root


def test_verify_rejects_a_wrong_amount_or_a_wrong_proof():
    """A proof does not prove another amount, and a truncated or altered proof proves nothing."""
    rows = random_balances(random.Random(10), 9)
    tree = StandardMerkleTree.of(rows, BALANCE_ENCODING)
    account, amount = rows[4]
    proof = tree.get_proof(4)
    assert not tree.verify((account, amount ^ 1), proof)
    assert not tree.verify(4, proof[:-1])
    altered = [proof[0][:-1] + ("0" if proof[0][-1] != "0" else "1"), *proof[1:]]
    assert not tree.verify(4, altered)
    assert not StandardMerkleTree.verify_proof(tree.root, BALANCE_ENCODING, (account, amount ^ 1), proof)


def test_single_leaf_tree_is_its_own_root():
    """A one-row tree's root is its leaf, proven by an empty proof."""
    tree = StandardMerkleTree.of([("0x" + "01" * 20, 1)], BALANCE_ENCODING)
    assert tree.root == tree.leaf_hash(("0x" + "01" * 20, 1))
    assert tree.get_proof(0) == []
    assert tree.verify(0, [])


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.binary(min_size=20, max_size=20), st.integers(min_value=0, max_value=2**256 - 1)),
        min_size=1,
        max_size=40,
    )
)
def test_every_row_is_proven_and_the_dump_round_trips(rows):
    """For any rows, every proof verifies and load(dump()) gives back the same tree and values."""
    tree = StandardMerkleTree.of(rows, BALANCE_ENCODING)
    for i in range(len(rows)):
        assert tree.verify(i, tree.get_proof(i))
    loaded = StandardMerkleTree.load(json.loads(json.dumps(tree.dump())))
    assert loaded.tree == tree.tree
    assert loaded.dump() == tree.dump()
    assert [tuple(v) for v in loaded.values] == [("0x" + a.hex(), n) for a, n in rows]


def test_empty_tree_is_refused():
    """A tree needs at least one row."""
    with pytest.raises(MerkleTreeError, match="at least one leaf"):
        StandardMerkleTree.of([], BALANCE_ENCODING)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (("0x" + "11" * 21, 1), "20 bytes"),
        (("0xzz", 1), "0x-hex"),
        ((1234, 1), "0x-hex"),
        (("0x" + "11" * 20, -1), "does not fit in uint256"),
        (("0x" + "11" * 20, 2**256), "does not fit in uint256"),
        (("0x" + "11" * 20, "ten"), "expected an integer"),
        (("0x" + "11" * 20,), "has 2 values"),
    ],
)
def test_values_that_do_not_encode_are_refused(row, message):
    """Rows that the ABI encoding cannot hold raise MerkleTreeError naming the problem."""
    with pytest.raises(MerkleTreeError, match=message):
        StandardMerkleTree.of([row], BALANCE_ENCODING)


def test_other_types_that_do_not_encode_are_refused():
    """Hand-encoded and eth_abi-encoded types refuse out-of-range values too."""
    with pytest.raises(MerkleTreeError, match="int8"):
        StandardMerkleTree.of([(128,)], ["int8"])
    with pytest.raises(MerkleTreeError, match="bytes4 holds 4 bytes"):
        StandardMerkleTree.of([(b"12345",)], ["bytes4"])
    with pytest.raises(MerkleTreeError, match="expected a bool"):
        StandardMerkleTree.of([(1,)], ["bool"])
    with pytest.raises(MerkleTreeError, match="cannot encode"):
        StandardMerkleTree.of([(["a"],)], ["uint256[]"])


def test_proof_of_a_missing_row_or_index_is_refused():
    """Proving a row that is not in the tree, or an index out of range, raises MerkleTreeError."""
    tree = StandardMerkleTree.of([("0x" + "11" * 20, 1), ("0x" + "22" * 20, 2)], BALANCE_ENCODING)
    with pytest.raises(MerkleTreeError, match="not in the tree"):
        tree.get_proof(("0x" + "11" * 20, 2))
    with pytest.raises(MerkleTreeError, match="out of bounds"):
        tree.get_proof(2)
    with pytest.raises(MerkleTreeError, match="out of bounds"):
        tree.verify(-1, [])


def tampered(dump: dict, **changes) -> dict:
    data = json.loads(json.dumps(dump))
    for key, change in changes.items():
        change(data) if callable(change) else data.__setitem__(key, change)
    return data


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"format": "simple-v1"}, "unknown merkle tree format"),
        ({"leafEncoding": []}, "expected leafEncoding"),
        ({"tree": []}, "at least one node"),
        ({"tree": lambda d: d["tree"].__setitem__(0, "0x" + "00" * 32)}, "not the hash of its children"),
        ({"tree": lambda d: d["tree"].__setitem__(0, "0x00")}, "32 bytes"),
        (
            {"values": lambda d: d["values"][0]["value"].__setitem__(1, "1")},
            "does not contain the expected value",
        ),
        ({"values": lambda d: d["values"][0].__setitem__("treeIndex", 0)}, "not a leaf"),
        ({"values": lambda d: d["values"][0].pop("treeIndex")}, "malformed"),
    ],
)
def test_load_refuses_an_inconsistent_dump(change, message):
    """load() validates the dump as the library does and says what is wrong."""
    dump = StandardMerkleTree.of(
        [("0x" + "11" * 20, 5), ("0x" + "22" * 20, 6), ("0x" + "33" * 20, 7)], BALANCE_ENCODING
    ).dump()
    with pytest.raises(MerkleTreeError, match=message):
        StandardMerkleTree.load(tampered(dump, **change))


def test_npm_library_refuses_the_same_tampered_dump():
    """The library rejects a dump whose value was changed, as our load() does."""
    dump = StandardMerkleTree.of([("0x" + "11" * 20, 5), ("0x" + "22" * 20, 6)], BALANCE_ENCODING).dump()
    bad = tampered(dump, values=lambda d: d["values"][0]["value"].__setitem__(1, "1"))
    assert "does not contain the expected value" in reference({"op": "load", "dump": bad})["error"]


def test_hundred_thousand_leaves_build_in_a_few_seconds():
    """A 100,000-account tree builds in under 5 s (the npm library takes 26.7 s, ANCHORS.md)."""
    rng = random.Random(11)
    rows = [("0x" + rng.randbytes(20).hex(), rng.randrange(10**24)) for _ in range(100_000)]
    start = time.perf_counter()
    tree = StandardMerkleTree.of(rows, BALANCE_ENCODING)
    elapsed = time.perf_counter() - start
    assert elapsed < 5, f"{elapsed:.2f} s"
    assert len(tree.get_proof(0)) in (16, 17)
    assert tree.verify(99_999, tree.get_proof(99_999))


def test_column_fast_path_agrees_with_the_checked_encoder():
    """Rows in other spellings (0X prefix, hex or decimal strings) give the same tree as plain rows."""
    rows = random_balances(random.Random(12), 40)
    plain = StandardMerkleTree.of(rows, BALANCE_ENCODING)
    spelled = [("0X" + a[2:].upper(), hex(n) if i % 2 else str(n)) for i, (a, n) in enumerate(rows)]
    assert StandardMerkleTree.of(spelled, BALANCE_ENCODING).tree == plain.tree
    assert StandardMerkleTree.of([(bytes.fromhex(a[2:]), n) for a, n in rows], BALANCE_ENCODING).tree == plain.tree
    with pytest.raises(MerkleTreeError, match="expected an integer"):
        StandardMerkleTree.of([*rows, ("0x" + "11" * 20, True)], BALANCE_ENCODING)
    with pytest.raises(MerkleTreeError, match="0x-hex"):
        StandardMerkleTree.of([*rows, ("ab" + "11" * 20, 1)], BALANCE_ENCODING)


# --------------------------------------------------------------------------------------------------
# Building in worker processes gives the serial build's tree to the byte


def assert_same_tree(ours: StandardMerkleTree, theirs: StandardMerkleTree) -> None:
    assert ours.root == theirs.root
    assert ours.tree == theirs.tree
    assert ours.dump() == theirs.dump()
    assert ours.values == theirs.values
    for i in range(0, len(ours), 997):
        assert ours.get_proof(i) == theirs.get_proof(i)


@pytest.fixture
def parallel_builds(monkeypatch):
    """Lets 120,000 leaves go to the workers, and records whether each parallel build succeeded."""
    monkeypatch.setattr(merkle, "PARALLEL_MIN_LEAVES", 50_000)
    outcomes = []
    build = merkle._build_parallel

    def recorded(*args, **kwargs):
        built = build(*args, **kwargs)
        outcomes.append(built is not None)
        return built

    monkeypatch.setattr(merkle, "_build_parallel", recorded)
    return outcomes


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="needs fork")
def test_parallel_build_equals_the_serial_build(parallel_builds):
    rng = random.Random(120)
    rows = random_balances(rng, 120_000)
    rows[7] = rows[70_001]  # a repeated leaf across two workers' chunks keeps the stable order
    serial = StandardMerkleTree.of(rows, BALANCE_ENCODING, workers=1)
    assert parallel_builds == []
    for workers in (2, 3):
        assert_same_tree(StandardMerkleTree.of(rows, BALANCE_ENCODING, workers=workers), serial)
    unsorted_serial = StandardMerkleTree.of(rows, BALANCE_ENCODING, sort_leaves=False, workers=1)
    unsorted = StandardMerkleTree.of(rows, BALANCE_ENCODING, sort_leaves=False, workers=2)
    assert_same_tree(unsorted, unsorted_serial)
    assert parallel_builds == [True, True, True]


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="needs fork")
def test_parallel_build_from_a_thread_and_its_fallbacks(parallel_builds, monkeypatch):
    rows = random_balances(random.Random(121), 60_000)
    serial = StandardMerkleTree.of(rows, BALANCE_ENCODING, workers=1)
    with ThreadPoolExecutor(1) as threads:
        assert_same_tree(threads.submit(StandardMerkleTree.of, rows, BALANCE_ENCODING, workers=2).result(), serial)
    assert parallel_builds == [True]

    # A row that does not encode: the workers fail, the serial build words the error.
    bad = [*rows[:59_999], ("0xnot-hex", 5)]
    with pytest.raises(MerkleTreeError, match="address"):
        StandardMerkleTree.of(bad, BALANCE_ENCODING, workers=2)
    assert parallel_builds == [True, False]

    # A pool that cannot start: the same tree, built here.
    def broken(*args, **kwargs):
        raise OSError("no processes here")

    monkeypatch.setattr(merkle, "ProcessPoolExecutor", broken)
    assert_same_tree(StandardMerkleTree.of(rows, BALANCE_ENCODING, workers=2), serial)
    assert parallel_builds == [True, False, False]
