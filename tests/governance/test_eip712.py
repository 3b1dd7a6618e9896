"""EIP-712 digests equal eth_account's and ethers v5's; signatures round-trip and malformed ones are refused."""

import random

import pytest
from eth_account import Account
from eth_account.messages import _hash_eip191_message, encode_typed_data
from snapshot_node import DEV_ADDRESSES, DEV_KEYS

from sahara_dao.governance import eip712
from sahara_dao.governance.errors import GovernanceError, SignatureError, TypedDataError

GOVERNOR = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
DOMAIN_GOVERNOR = {"name": "SaharaGovernor", "version": "1", "chainId": 31337, "verifyingContract": GOVERNOR}
DOMAIN_TOKEN = {"name": "Sahara", "version": "1", "chainId": 56, "verifyingContract": "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512"}


def _fields(*pairs: str) -> list[dict[str, str]]:
    return [{"name": name, "type": kind} for kind, name in (pair.split() for pair in pairs)]


MAIL_TYPES = {
    "Person": _fields("string name", "address wallet"),
    "Mail": _fields("Person from", "Person to", "string contents"),
}
MAIL_DOMAIN = {"name": "Ether Mail", "version": "1", "chainId": 1, "verifyingContract": "0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC"}
MAIL = {
    "from": {"name": "Cow", "wallet": "0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826"},
    "to": {"name": "Bob", "wallet": "0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB"},
    "contents": "Hello, Bob!",
}

# (name, domain, types, primary type, message): nested structs, arrays of structs and of atomic types,
# fixed arrays, bytes, every atomic type at its bounds, struct dependencies out of alphabetical order,
# and OpenZeppelin's Governor and ERC20Votes signed types.
CASES = [
    ("spec mail", MAIL_DOMAIN, MAIL_TYPES, "Mail", MAIL),
    (
        "mail with arrays",
        MAIL_DOMAIN,
        {"Person": _fields("string name", "address[] wallets"), "Group": _fields("string name", "Person[] members"),
         "Mail": _fields("Person from", "Person[] to", "string contents", "Group[] groups")},
        "Mail",
        {"from": {"name": "Cow", "wallets": [DEV_ADDRESSES[0], DEV_ADDRESSES[1]]},
         "to": [{"name": "Bob", "wallets": []}, {"name": "Ann", "wallets": [DEV_ADDRESSES[2]]}],
         "contents": "Hello, Bob! ¡Olé! 投票", "groups": [{"name": "g", "members": [{"name": "x", "wallets": [DEV_ADDRESSES[1]]}]}]},
    ),  # fmt: skip
    (
        "atomic types",
        {"name": "Zoo", "chainId": 1, "salt": "0x" + "ab" * 32},
        {"Zoo": _fields(
            "bool yes", "bool no", "int8 small", "int256 low", "uint8 byte", "uint256 high", "uint64 zero", "bytes blob",
            "bytes1 one", "bytes32 word", "string text", "address who", "uint256[] numbers", "string[] words",
            "bytes32[2] pair", "bytes[] blobs", "int16[3] signed",
        )},
        "Zoo",
        {"yes": True, "no": False, "small": -128, "low": -(2**255), "byte": 255, "high": 2**256 - 1, "zero": 0,
         "blob": "0x0102ff", "one": "0x7f", "word": "0x" + "11" * 32, "text": "", "who": DEV_ADDRESSES[0].lower(),
         "numbers": [0, 1, 2**200], "words": ["a", "", "ünï"], "pair": ["0x" + "00" * 32, "0x" + "ff" * 32],
         "blobs": ["0x", "0xdeadbeef"], "signed": [-1, 0, 32767]},
    ),  # fmt: skip
    (
        "dependencies sorted by name",
        {"name": "Deps"},
        {"Root": _fields("Zebra z", "Apple a", "uint256 n"), "Zebra": _fields("Mango m", "string s"),
         "Apple": _fields("Mango[] ms"), "Mango": _fields("bool ripe")},
        "Root",
        {"z": {"m": {"ripe": True}, "s": "stripes"}, "a": {"ms": [{"ripe": False}, {"ripe": True}]}, "n": 7},
    ),  # fmt: skip
    ("OZ Ballot", DOMAIN_GOVERNOR, {"Ballot": _fields("uint256 proposalId", "uint8 support", "address voter", "uint256 nonce")},
     "Ballot", {"proposalId": 2**255 + 12345, "support": 1, "voter": DEV_ADDRESSES[1], "nonce": 0}),
    (
        "OZ ExtendedBallot",
        DOMAIN_GOVERNOR,
        {"ExtendedBallot": _fields("uint256 proposalId", "uint8 support", "address voter", "uint256 nonce", "string reason", "bytes params")},
        "ExtendedBallot",
        {"proposalId": 987654321987654321987654321, "support": 2, "voter": DEV_ADDRESSES[2], "nonce": 3,
         "reason": "abstain: see the forum thread", "params": "0x"},
    ),  # fmt: skip
    ("ERC20Votes Delegation", DOMAIN_TOKEN, {"Delegation": _fields("address delegatee", "uint256 nonce", "uint256 expiry")},
     "Delegation", {"delegatee": DEV_ADDRESSES[0], "nonce": 1, "expiry": 2**64}),
]  # fmt: skip


def _eth_account_digest(domain, types, message) -> bytes:
    return _hash_eip191_message(encode_typed_data(domain, types, message))


def _js(value):
    """The JSON a JavaScript client sends: integers beyond 2**53 as decimal strings."""
    if isinstance(value, dict):
        return {key: _js(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_js(item) for item in value]
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2**53:
        return str(value)
    return value


@pytest.mark.parametrize("case", CASES, ids=[case[0] for case in CASES])
def test_digest_equals_eth_account(case):
    """The digest equals eth_account's encode_typed_data, and numbers given as strings hash the same."""
    _, domain, types, primary, message = case
    ours = eip712.digest(domain, types, primary, message)
    assert ours == _eth_account_digest(domain, types, message)
    assert eip712.digest(_js(domain), types, primary, _js(message)) == ours


def test_digests_equal_ethers(snapshot_js):
    """ethers v5's _TypedDataEncoder.hash (what snapshot.js signs and verifies with) gives the same digests."""
    expected = snapshot_js("hash", [{"domain": _js(d), "types": t, "message": _js(m)} for _, d, t, _, m in CASES])
    assert ["0x" + eip712.digest(d, t, p, m).hex() for _, d, t, p, m in CASES] == expected


def test_spec_example_type_and_digest():
    """The EIP-712 spec's Mail example: its encodeType string and published digest."""
    assert eip712.encode_type(MAIL_TYPES, "Mail") == "Mail(Person from,Person to,string contents)Person(string name,address wallet)"
    digest = eip712.digest(MAIL_DOMAIN, MAIL_TYPES, "Mail", MAIL)
    assert digest.hex() == "be609aee343fb3c4b28e1df9e632fca64fcfaede20f02e86244efddf30957bd2"
    assert eip712.domain_separator(MAIL_DOMAIN).hex() == "f2cee375fa42b42143804025fc449deafd50cc031ca257e0b194a650a912090f"
    assert eip712.hash_struct(MAIL_TYPES, "Mail", MAIL).hex() == "c52c0ee5d84264471806290a3f2c4cecfc5490626bf912d01f240d7a274b371e"


def test_openzeppelin_type_strings():
    """encodeType matches the type strings hashed in OpenZeppelin's Governor and Votes."""
    types = {case[3]: case[2][case[3]] for case in CASES if case[0].startswith(("OZ", "ERC20"))}
    assert eip712.encode_type(types, "Ballot") == "Ballot(uint256 proposalId,uint8 support,address voter,uint256 nonce)"
    assert eip712.encode_type(types, "ExtendedBallot") == (
        "ExtendedBallot(uint256 proposalId,uint8 support,address voter,uint256 nonce,string reason,bytes params)"
    )
    assert eip712.type_hash(types, "Delegation") == eip712.keccak256(b"Delegation(address delegatee,uint256 nonce,uint256 expiry)")


def test_dependencies_are_sorted_after_the_primary_type():
    """Referenced struct types follow the primary type in alphabetical order, each once."""
    types = CASES[3][2]
    assert eip712.encode_type(types, "Root") == (
        "Root(Zebra z,Apple a,uint256 n)Apple(Mango[] ms)Mango(bool ripe)Zebra(Mango m,string s)"
    )


def test_full_message_form_with_eip712domain_in_the_types():
    """An EIP712Domain entry in the types (eth_account's full-message form) is accepted in canonical order only."""
    types = {"EIP712Domain": _fields("string name", "string version", "uint256 chainId", "address verifyingContract"), **MAIL_TYPES}
    assert eip712.digest(MAIL_DOMAIN, types, "Mail", MAIL) == eip712.digest(MAIL_DOMAIN, MAIL_TYPES, "Mail", MAIL)
    types["EIP712Domain"] = list(reversed(types["EIP712Domain"]))
    with pytest.raises(TypedDataError, match="canonical order"):
        eip712.digest(MAIL_DOMAIN, types, "Mail", MAIL)


def test_encoders_are_compiled_once_per_type_set():
    """Equal type sets given as different objects share one compiled encoder."""
    copy = {name: [dict(field) for field in fields] for name, fields in MAIL_TYPES.items()}
    assert eip712.encoder(copy, "Mail") is eip712.encoder(MAIL_TYPES, "Mail")


BALLOT = CASES[4]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"support": 256}, "Ballot.support: expected uint8, got 256"),
        ({"support": -1}, "Ballot.support: expected uint8"),
        ({"support": True}, "Ballot.support: expected uint8"),
        ({"nonce": "12abc"}, "Ballot.nonce: expected uint256"),
        ({"voter": "0x70997970c51812dc3A010C7d01b50e0d17dc79C8"}, "wrong EIP-55 checksum"),
        ({"voter": "0x1234"}, "Ballot.voter: expected an address"),
        ({"voter": "0x70997970C51812dc3A010C7d01b50e0d17dc79Cg"}, "Ballot.voter: expected an address"),
        ({"extra": 1}, r"field\(s\) extra not in the type"),
        ({"nonce": None, "drop": "nonce"}, r"missing field\(s\) nonce"),
    ],
)
def test_values_that_do_not_fit_are_refused(change, message):
    """A value out of range or of the wrong kind, a bad checksum, a missing or extra field: TypedDataError naming the field."""
    _, domain, types, primary, ballot = BALLOT
    ballot = {**ballot, **change}
    ballot.pop(ballot.pop("drop", "no such"), None)
    with pytest.raises(TypedDataError, match=message) as raised:
        eip712.digest(domain, types, primary, ballot)
    assert isinstance(raised.value, GovernanceError) and isinstance(raised.value, ValueError)


@pytest.mark.parametrize(
    ("types", "primary", "message"),
    [
        ({"A": _fields("B b")}, "A", "type 'B' is not defined"),
        ({"A": _fields("uint7 x")}, "A", "invalid width"),
        ({"A": _fields("bytes33 x")}, "A", "invalid size"),
        ({"A": _fields("string x", "uint8 x")}, "A", "declared twice"),
        ({"A": [{"name": "x"}]}, "A", "types must map each type name"),
        ({"A": _fields("string x")}, "B", "primary type 'B' is not one of the types"),
    ],
)
def test_invalid_types_are_refused(types, primary, message):
    """Undefined struct names, impossible widths, duplicated fields and a missing primary type are refused."""
    with pytest.raises(TypedDataError, match=message):
        eip712.digest({"name": "x"}, types, primary, {"x": "1"})


def test_fixed_arrays_and_fixed_bytes_must_have_their_length():
    """bytes32[2] wants two items, bytesN exactly N bytes."""
    _, domain, types, primary, message = CASES[2]
    with pytest.raises(TypedDataError, match=r"Zoo.pair: expected an array of 2 items"):
        eip712.digest(domain, types, primary, {**message, "pair": ["0x" + "00" * 32]})
    with pytest.raises(TypedDataError, match=r"Zoo.one: expected bytes1"):
        eip712.digest(domain, types, primary, {**message, "one": "0x0102"})


def test_unknown_domain_fields_are_refused():
    """A domain field outside EIP712Domain's five is refused rather than silently dropped."""
    with pytest.raises(TypedDataError, match="unknown field"):
        eip712.domain_separator({"name": "x", "chain": 1})


# --------------------------------------------------------------------------------------------------
# Signatures


@pytest.mark.parametrize("case", CASES, ids=[case[0] for case in CASES])
def test_sign_equals_eth_account_and_recovers_the_signer(case):
    """sign() gives eth_account's signature (RFC 6979, low s, v 27/28); recover() gives the signer back."""
    _, domain, types, primary, message = case
    digest = eip712.digest(domain, types, primary, message)
    signature = eip712.sign(digest, DEV_KEYS[1])
    assert signature == bytes(Account.unsafe_sign_hash(digest, DEV_KEYS[1]).signature)
    assert signature[64] in (27, 28)
    assert eip712.recover(digest, signature) == DEV_ADDRESSES[1] == eip712.address_of(DEV_KEYS[1])
    assert eip712.recover(digest, "0x" + signature.hex()) == DEV_ADDRESSES[1]


def _signature():
    digest = eip712.digest(*[BALLOT[i] for i in (1, 2, 3, 4)])
    return digest, eip712.sign(digest, DEV_KEYS[0])


def test_v_zero_and_one_are_accepted():
    """v may be 0/1 (some wallets) as well as 27/28."""
    digest, signature = _signature()
    assert eip712.recover(digest, signature[:64] + bytes([signature[64] - 27])) == DEV_ADDRESSES[0]


def test_high_s_is_refused():
    """The malleated twin (n - s, v flipped) is valid maths but refused, as EIP-2 and OpenZeppelin's ECDSA do."""
    digest, signature = _signature()
    s = int.from_bytes(signature[32:64], "big")
    twin = signature[:32] + (eip712.SECP256K1_N - s).to_bytes(32, "big") + bytes([55 - signature[64]])
    with pytest.raises(SignatureError, match="EIP-2"):
        eip712.recover(digest, twin)


@pytest.mark.parametrize(
    ("mangle", "message"),
    [
        (lambda sig: sig[:64] + b"\x1d", "v must be 27 or 28"),
        (lambda sig: sig[:64], "65 bytes"),
        (lambda sig: sig + b"\x00", "65 bytes"),
        (lambda sig: bytes(32) + sig[32:], "r is zero"),
        (lambda sig: sig[:32] + bytes(32) + sig[64:], "s is zero"),
        (lambda sig: (eip712.SECP256K1_N + 1).to_bytes(32, "big") + sig[32:], "r is zero or not below"),
        (lambda sig: "0xzz" + sig.hex()[2:], "not hex"),
        (lambda sig: bytes([5]) * 32 + sig[32:], "recovers no public key"),
    ],
)
def test_malformed_signatures_are_refused(mangle, message):
    """Wrong length, v, r or s out of range, non-hex, r off the curve: SignatureError saying which."""
    digest, signature = _signature()
    with pytest.raises(SignatureError, match=message):
        eip712.recover(digest, mangle(signature))


def test_a_changed_digest_recovers_another_address():
    """A signature over one digest recovers an unrelated address for another digest."""
    digest, signature = _signature()
    other = eip712.digest(BALLOT[1], BALLOT[2], BALLOT[3], {**BALLOT[4], "nonce": 1})
    assert eip712.recover(other, signature) != DEV_ADDRESSES[0]


def test_bad_private_keys_are_refused():
    """A key that is not 32 bytes, or zero, is refused with SignatureError."""
    for key in ("0x1234", 0, "0x" + "00" * 32, b"short"):
        with pytest.raises(SignatureError, match="private key"):
            eip712.sign(bytes(32), key)


# --------------------------------------------------------------------------------------------------
# Generated type sets


ATOMIC = ["bool", "address", "string", "bytes", "uint8", "uint64", "uint256", "int8", "int128", "int256", "bytes1", "bytes4", "bytes32"]


def _value(rng, kind: str):
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "address":
        return "0x" + rng.randbytes(20).hex()
    if kind == "string":
        return "".join(rng.choice("ab ✓é投\n\"") for _ in range(rng.randint(0, 12)))
    if kind == "bytes":
        return "0x" + rng.randbytes(rng.randint(0, 40)).hex()
    if kind.startswith("bytes"):
        return "0x" + rng.randbytes(int(kind[5:])).hex()
    bits = int(kind.lstrip("uint"))
    if kind.startswith("u"):
        return rng.choice([0, 2**bits - 1, rng.randrange(2**bits)])
    return rng.choice([-(2 ** (bits - 1)), 2 ** (bits - 1) - 1, rng.randrange(-(2 ** (bits - 1)), 2 ** (bits - 1))])


def _generated(seed: int):
    """A random type set (up to four structs referring to later ones, atomic and struct arrays) and a message."""
    rng = random.Random(seed)
    names = rng.sample(["Alpha", "Beta", "Gamma", "Delta", "Omega", "Kappa"], rng.randint(1, 4))
    types = {}
    for i, name in enumerate(names):
        fields = []
        for j in range(rng.randint(1, 5)):
            base = rng.choice(ATOMIC + names[i + 1 :] * 5)
            suffix = rng.choice(["", "", "", "[]", f"[{rng.randint(1, 3)}]", "[][]"])
            fields.append({"name": f"f{j}", "type": base + suffix})
        types[name] = fields
    used = [names[0], *eip712._dependencies(types, names[0])]  # eth_account and ethers refuse unused types
    types = {name: fields for name, fields in types.items() if name in used}

    def make(kind: str):
        if kind.endswith("]"):
            inner, size = kind[: kind.rindex("[")], kind[kind.rindex("[") + 1 : -1]
            return [make(inner) for _ in range(int(size) if size else rng.randint(0, 3))]
        if kind in types:
            return {f["name"]: make(f["type"]) for f in types[kind]}
        return _value(rng, kind)

    domain = {"name": "Gen", "chainId": rng.randint(1, 10**6), "verifyingContract": "0x" + rng.randbytes(20).hex()}
    return domain, types, names[0], make(names[0])


GENERATED = [_generated(seed) for seed in range(80)]


def test_generated_type_sets_equal_eth_account_and_ethers(snapshot_js):
    """80 random type sets with nested structs and arrays: the same digests as eth_account and ethers v5."""
    ours = ["0x" + eip712.digest(*case).hex() for case in GENERATED]
    assert ours == ["0x" + _eth_account_digest(d, t, m).hex() for d, t, _, m in GENERATED]
    assert ours == snapshot_js("hash", [{"domain": d, "types": t, "message": _js(m)} for d, t, _, m in GENERATED])
