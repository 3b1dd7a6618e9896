"""`sahara tree build` and `sahara tree proof`: leaf files checked line by line, dumps and proofs that
@openzeppelin/merkle-tree 1.0.8 (run by node through merkle_reference.js) agrees with."""

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from eth_utils import to_checksum_address
from test_merkle import reference  # tests/token is on sys.path (pytest rootdir-relative imports)

from sahara_dao.core.cli import cli
from sahara_dao.token.errors import LeavesFileError, MerkleTreeError
from sahara_dao.token.leaves import checksum_address, parse_address, parse_amount, parse_leaves
from sahara_dao.token.merkle import BALANCE_ENCODING, StandardMerkleTree, process_proof

MAX = 2**256 - 1
A = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"  # EIP-55 test vectors
B = "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359"
C = "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB"
D = "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb"
GOOD = f"address,amount\n{A},100\n{B.lower()},0\n{C},{MAX}\n"


def invoke(*args: str):
    return CliRunner().invoke(cli, ["tree", *args])


def build(tmp_path: Path, text: str):
    """Run `sahara tree build` on a leaf file holding `text`; the result and the --out path."""
    leaves, out = tmp_path / "leaves.csv", tmp_path / "tree.json"
    leaves.write_text(text)
    return invoke("build", str(leaves), "--out", str(out)), out


def test_build_writes_the_dump_and_prints_the_root_last(tmp_path):
    """A good file gives the dump of its rows in file order and the root on the last line."""
    result, out = build(tmp_path, GOOD)
    assert result.exit_code == 0, result.output
    expected = StandardMerkleTree.of([(A, 100), (B, 0), (C, MAX)], BALANCE_ENCODING)
    lines = result.output.splitlines()
    assert lines[-1] == expected.root
    assert "leaves: 3" in lines and f"total: {100 + MAX} base units" in lines
    assert out.read_text() == json.dumps(expected.dump(), separators=(",", ":"))
    assert [v for v in StandardMerkleTree.load(json.loads(out.read_text())).values] == [(A, 100), (B, 0), (C, MAX)]


BAD_ROWS = [
    (f"{A[:-1]}D,1", "bad EIP-55 checksum"),  # mixed case, last letter's case flipped
    ("0x1234,1", "is not an address"),
    (f"{D[2:]},1", "is not an address"),  # no 0x
    (f"{D},-3", "is negative"),
    (f"{D},1.5", "not a whole number"),
    (f"{D},1e18", "not a whole number"),
    (f"{D},", "amount is empty"),
    (f"{D},{MAX + 1}", "does not fit in uint256"),
    (f"{B.upper().replace('0X', '0x')},5", "appears again (first on line 3)"),  # B is on line 3
    (f"{D},1,2", "expected 2 columns"),
    (f"{D}", "expected 2 columns"),
]


@pytest.mark.parametrize(("row", "reason"), BAD_ROWS)
def test_each_kind_of_bad_row_is_reported_with_its_line_and_nothing_is_written(tmp_path, row, reason):
    """One bad row among good ones: exit 1, that line and its reason, no dump file."""
    result, out = build(tmp_path, GOOD + row + "\n" + f"0x{'ab' * 20},7\n")
    assert result.exit_code == 1
    assert isinstance(result.exception, LeavesFileError)
    [(line, message)] = result.exception.problems
    assert line == 5 and reason in message, (line, message)
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["leaves.csv"]  # no temporary file left either


def test_every_bad_line_is_reported_at_once(tmp_path):
    """All bad lines of a file are listed, with their numbers (blank lines counted, then skipped)."""
    text = GOOD + "\n" + "\n".join(row for row, _ in BAD_ROWS) + "\n"
    result, out = build(tmp_path, text)
    problems = result.exception.problems
    assert [line for line, _ in problems] == list(range(6, 6 + len(BAD_ROWS)))
    for (_, message), (_, reason) in zip(problems, BAD_ROWS, strict=True):
        assert reason in message
    assert f"line 6: {problems[0][1]}" in str(result.exception)
    assert not out.exists()


def test_a_line_the_csv_module_cannot_read_is_reported(tmp_path):
    """A field over the csv module's size limit is a bad line, reported with the ones before it."""
    result, out = build(tmp_path, GOOD + "0xnot,1\n" + f"{D},{'1' * 200_000}\n")
    assert [line for line, _ in result.exception.problems] == [5, 6]
    assert "unreadable CSV" in result.exception.problems[1][1] and not out.exists()


def test_a_failed_build_leaves_an_existing_dump_untouched(tmp_path):
    """A bad file never replaces the dump of an earlier build."""
    result, out = build(tmp_path, GOOD)
    before = out.read_text()
    result, _ = build(tmp_path, GOOD + "0xnot,1\n")
    assert result.exit_code == 1
    assert out.read_text() == before


@pytest.mark.parametrize(
    ("text", "problems", "summary"),
    [
        ("", [], "is empty"),
        ("address,amount\n", [], "has no rows"),
        ("address,amount\n\n\n", [], "has no rows"),
        (f"{A},1\n{B},2\n", [(1, "header line 'address,amount' is missing")], "1 bad line"),
        (f"account,value\n{A},1\n", [(1, "header line 'address,amount' is wrong")], "1 bad line"),
    ],
)
def test_empty_files_and_bad_headers_are_refused(tmp_path, text, problems, summary):
    """No rows, or no header line `address,amount`, is an error and writes nothing."""
    result, out = build(tmp_path, text)
    assert result.exit_code == 1 and not out.exists()
    error = result.exception
    assert isinstance(error, LeavesFileError) and summary in str(error)
    assert [(line, reason) for (line, _), (_, reason) in zip(error.problems, problems, strict=True)] == problems
    assert all(reason in message for (_, message), (_, reason) in zip(error.problems, problems, strict=True))


def test_the_header_may_have_spaces_capitals_and_a_bom(tmp_path):
    """`Address , Amount` after a UTF-8 BOM, CRLF line ends: the same tree."""
    (tmp_path / "leaves.csv").write_bytes(b"\xef\xbb\xbfAddress , Amount\r\n" + f"{A}, 100\r\n".encode())
    result = invoke("build", str(tmp_path / "leaves.csv"), "--out", str(tmp_path / "t.json"))
    assert result.output.splitlines()[-1] == StandardMerkleTree.of([(A, 100)], BALANCE_ENCODING).root


def test_addresses_need_a_correct_checksum_only_in_mixed_case():
    """All-lowercase and all-uppercase addresses carry no checksum; mixed case must be EIP-55."""
    for address in (A, C, D):
        assert parse_address(address.lower()) == parse_address("0x" + address[2:].upper()) == address
        flipped = address[:-1] + address[-1].swapcase()
        with pytest.raises(ValueError, match="bad EIP-55 checksum"):
            parse_address(flipped)
    rng = random.Random(1)
    for _ in range(500):
        raw = "0x" + rng.randbytes(20).hex()
        assert checksum_address(raw) == to_checksum_address(raw)


def test_amounts_are_whole_numbers_of_base_units():
    """Digits only, up to 2**256 - 1; no float ever."""
    assert parse_amount("0") == 0 and parse_amount(str(MAX)) == MAX and parse_amount("007") == 7
    for text in ("", "-1", "1.0", "1e3", "+1", "0x10", "1_000", "١٢", " "):
        with pytest.raises(ValueError):
            parse_amount(text)


def test_parse_leaves_takes_any_lines():
    """The parser is importable on its own and names the source in its errors."""
    assert parse_leaves(GOOD.splitlines(), "inline") == [(A, 100), (B, 0), (C, MAX)]
    with pytest.raises(LeavesFileError, match="^inline: 1 bad line"):
        parse_leaves([*GOOD.splitlines(), "x,1"], "inline")


def test_proof_prints_amount_index_leaf_and_proof(tmp_path):
    """`tree proof` finds an address in any case and prints a proof that rebuilds the root."""
    _, out = build(tmp_path, GOOD)
    tree = StandardMerkleTree.of([(A, 100), (B, 0), (C, MAX)], BALANCE_ENCODING)
    for index, (address, amount) in tree.entries():
        result = invoke("proof", str(out), address.lower())
        assert result.exit_code == 0, result.output
        answer = json.loads(result.output)
        assert answer == {
            "address": address,
            "amount": str(amount),
            "index": index,
            "leaf": tree.leaf_hash((address, amount)),
            "root": tree.root,
            "proof": tree.get_proof(index),
        }
        assert process_proof(answer["leaf"], answer["proof"]) == tree.root


def test_proof_of_an_address_not_in_the_tree_names_it(tmp_path):
    """An address without a leaf, or not an address at all, is a clear error."""
    _, out = build(tmp_path, GOOD)
    result = invoke("proof", str(out), D)
    assert isinstance(result.exception, MerkleTreeError) and result.exit_code == 1
    assert f"{D} is not in the tree" in str(result.exception)
    assert "bad EIP-55 checksum" in str(invoke("proof", str(out), A[:-1] + "D").exception)


def test_proof_refuses_a_tampered_dump(tmp_path):
    """The dump is validated before a proof is given from it."""
    _, out = build(tmp_path, GOOD)
    data = json.loads(out.read_text())
    data["values"][0]["value"][1] = "101"
    out.write_text(json.dumps(data))
    result = invoke("proof", str(out), A)
    assert "does not contain the expected value" in str(result.exception)


def test_the_sahara_command_reports_bad_lines_and_exits_non_zero(tmp_path):
    """Through the installed entry point: `tree` is listed, errors go to stderr with exit status 1."""
    sahara = Path(sys.executable).with_name("sahara")
    assert "tree" in subprocess.run([sahara, "--help"], capture_output=True, text=True, check=True).stdout
    (tmp_path / "leaves.csv").write_text(GOOD + "0xnot,1\n")
    run = subprocess.run(
        [sahara, "tree", "build", tmp_path / "leaves.csv", "--out", tmp_path / "t.json"],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 1 and run.stdout == ""
    assert "1 bad line" in run.stderr and "line 5: '0xnot' is not an address" in run.stderr
    assert not (tmp_path / "t.json").exists()


# --------------------------------------------------------------------------------------------------
# Against @openzeppelin/merkle-tree


def random_leaves(n: int) -> list[tuple[str, int]]:
    rng = random.Random(21)
    amounts = [0, 1, MAX, MAX - 1, 10**18]
    leaves = {}
    while len(leaves) < n:
        raw = "0x" + rng.randbytes(20).hex()
        amount = amounts[len(leaves)] if len(leaves) < len(amounts) else rng.randrange(10 ** rng.randrange(1, 40))
        leaves[raw] = (to_checksum_address(raw) if rng.random() < 0.5 else raw, amount)
    return list(leaves.values())


def test_build_and_proofs_match_the_npm_library(tmp_path):
    """300 random leaves with amounts 0 and 2**256 - 1: same root and every proof as the library's of(),
    the library loads our dump file (same root, proofs and bytes), and we load the library's dump."""
    leaves = random_leaves(300)
    text = "address,amount\n" + "".join(f"{a},{n}\n" for a, n in leaves)
    result, out = build(tmp_path, text)
    assert result.exit_code == 0, result.output
    ours = StandardMerkleTree.load(json.loads(out.read_text()))
    rows = [[to_checksum_address(a), str(n)] for a, n in leaves]
    built, loaded = reference(
        {
            "op": "batch",
            "requests": [
                {"op": "of", "values": rows, "leafEncoding": list(BALANCE_ENCODING)},
                {"op": "loadFile", "path": str(out)},
            ],
        }
    )["answers"]
    assert "error" not in built and "error" not in loaded, (built, loaded)
    assert result.output.splitlines()[-1] == ours.root == built["root"] == loaded["root"]
    assert [ours.get_proof(i) for i in range(len(leaves))] == built["proofs"] == loaded["proofs"]
    assert out.read_text() == built["dumpJson"] == loaded["dumpJson"]
    for i in (0, 1, 2, 150, 299):  # the proof command, address given as in the file
        assert json.loads(invoke("proof", str(out), leaves[i][0]).output)["proof"] == built["proofs"][i]

    theirs = tmp_path / "theirs.json"
    theirs.write_text(built["dumpJson"])
    answer = json.loads(invoke("proof", str(theirs), leaves[2][0]).output)
    assert answer["root"] == built["root"] and answer["proof"] == built["proofs"][2]
    assert answer["amount"] == str(MAX)
