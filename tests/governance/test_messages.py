"""Snapshot envelopes: snapshot.js-signed ones verify here, ours are byte-identical and verify in ethers,
and tampered or foreign ones are refused with a stable reason."""

import hashlib
import json
import random

import pytest
from click.testing import CliRunner
from snapshot_node import DEV_ADDRESSES, DEV_KEYS, ROOT

from sahara_dao.core.cli import cli
from sahara_dao.governance import eip712, messages
from sahara_dao.governance.errors import EnvelopeError, GovernanceError, TypedDataError

T = 1_760_000_000
SPACE = "sahara.eth"
PROPOSAL_ID = "0x" + "3c" * 32

# One message of every action snapshot.js's Client712 signs, and of every vote variant.
ACTIONS = [
    ("vote", {"space": SPACE, "proposal": PROPOSAL_ID, "type": "single-choice", "choice": 2, "timestamp": T}),
    ("vote", {"space": SPACE, "proposal": PROPOSAL_ID, "type": "basic", "choice": 3, "reason": "no", "timestamp": T}),
    ("vote", {"space": SPACE, "proposal": PROPOSAL_ID, "type": "copeland", "choice": 1, "timestamp": T}),
    ("vote", {"space": SPACE, "proposal": PROPOSAL_ID, "type": "approval", "choice": [1, 3], "app": "sahara", "timestamp": T}),
    ("vote", {"space": SPACE, "proposal": PROPOSAL_ID, "type": "ranked-choice", "choice": [3, 1, 2], "timestamp": T}),
    ("vote", {"space": SPACE, "proposal": PROPOSAL_ID, "type": "weighted", "choice": {"2": 30, "1": 70.0}, "timestamp": T}),
    ("vote", {"space": SPACE, "proposal": PROPOSAL_ID, "type": "quadratic", "choice": {"10": 1, "3": 4}, "metadata": '{"a":1}', "timestamp": T}),
    ("vote", {"space": SPACE, "proposal": PROPOSAL_ID, "type": "weighted", "privacy": "shutter", "choice": "0xc1phertext", "timestamp": T}),
    ("proposal", {"space": SPACE, "type": "ranked-choice", "title": "Fund the labelers", "body": "Body ✓", "choices": ["A", "B", "C"],
                  "start": T, "end": T + 86400, "snapshot": 123456, "plugins": "{}", "timestamp": T}),
    ("proposal", {"space": SPACE, "type": "approval", "title": "t", "body": "", "discussion": "https://forum", "choices": ["x"],
                  "labels": ["l1"], "start": T, "end": T + 1, "snapshot": 1, "plugins": "{}", "app": "sahara", "privacy": "shutter", "timestamp": T}),
    ("update-proposal", {"proposal": PROPOSAL_ID, "space": SPACE, "type": "weighted", "title": "t2", "body": "b", "discussion": "",
                         "choices": ["x", "y"], "labels": [], "plugins": "{}", "timestamp": T}),
    ("flag-proposal", {"space": SPACE, "proposal": PROPOSAL_ID, "timestamp": T}),
    ("cancel-proposal", {"space": SPACE, "proposal": PROPOSAL_ID, "timestamp": T}),
    ("space", {"space": SPACE, "settings": '{"name":"Sahara"}', "timestamp": T}),
    ("follow", {"space": SPACE, "network": "s", "timestamp": T}),
    ("unfollow", {"space": SPACE, "network": "s", "timestamp": T}),
    ("subscribe", {"space": SPACE, "timestamp": T}),
    ("unsubscribe", {"space": SPACE, "timestamp": T}),
    ("profile", {"profile": '{"name":"ana"}', "timestamp": T}),
    ("statement", {"space": SPACE, "about": "me", "statement": "I vote", "discourse": "", "status": "ACTIVE", "network": "s", "timestamp": T}),
    ("alias", {"alias": DEV_ADDRESSES[2], "timestamp": T}),
    ("delete-space", {"space": SPACE, "timestamp": T}),
]  # fmt: skip
EXPECTED_TYPES = [
    "vote", "vote", "vote", "vote-array", "vote-array", "vote-string", "vote-string", "vote-string", "proposal",
    "proposal", "update-proposal", "flag-proposal", "delete-proposal", "settings", "follow", "unfollow",
    "subscribe", "unsubscribe", "profile", "statement", "alias", "delete-space",
]  # fmt: skip


@pytest.fixture(scope="module")
def js_envelopes(snapshot_js):
    """The envelopes snapshot.js 0.17.5 builds and signs for ACTIONS (each with the next dev key)."""
    items = [{"key": DEV_KEYS[i % 3], "action": action, "message": message} for i, (action, message) in enumerate(ACTIONS)]
    return snapshot_js("sign", items)


def _votes(count: int, seed: int = 5) -> list[dict]:
    """``count`` vote requests of mixed voting types for sign_envelope / snapshot.js."""
    rng = random.Random(seed)
    out = []
    for i in range(count):
        kind = messages.VOTING_TYPES[i % len(messages.VOTING_TYPES)]
        n = rng.randint(2, 6)
        if kind in ("approval", "ranked-choice"):
            choice = rng.sample(range(1, n + 1), rng.randint(1, n) if kind == "approval" else n)
        elif kind in ("quadratic", "weighted"):
            choice = {str(c): rng.randint(1, 100) for c in rng.sample(range(1, n + 1), rng.randint(1, n))}
        else:
            choice = rng.randint(1, n)
        message = {"space": SPACE, "proposal": PROPOSAL_ID, "type": kind, "choice": choice, "timestamp": T + i,
                   "reason": rng.choice(["", "because", "pourquoi pas ✓"])}  # fmt: skip
        out.append({"key": DEV_KEYS[i % 3], "action": "vote", "message": message})
    return out


# --------------------------------------------------------------------------------------------------
# Compatibility with snapshot.js


def test_snapshot_js_envelopes_verify_here(js_envelopes):
    """Every action and vote variant signed by snapshot.js verifies, with the type set snapshot.js chose."""
    checked = [messages.check_envelope(envelope) for envelope in js_envelopes]
    assert [c.signer for c in checked] == [DEV_ADDRESSES[i % 3] for i in range(len(ACTIONS))]
    assert [c.type for c in checked] == EXPECTED_TYPES
    assert messages.verify_envelope(js_envelopes[0]) == DEV_ADDRESSES[0]


def test_our_envelopes_are_identical_to_snapshot_js(js_envelopes):
    """sign_envelope builds the same envelope, to the byte (defaults, from, key order, JSON choices, signature)."""
    ours = [messages.sign_envelope(action, message, DEV_KEYS[i % 3]) for i, (action, message) in enumerate(ACTIONS)]
    assert [json.dumps(envelope, ensure_ascii=False) for envelope in ours] == [
        json.dumps(envelope, ensure_ascii=False) for envelope in js_envelopes
    ]


def test_many_votes_both_ways(snapshot_js):
    """200 mixed votes: snapshot.js's verify here, ours recover in ethers' verifyTypedData."""
    requests = _votes(200)
    theirs = snapshot_js("sign", requests)
    assert [messages.verify_envelope(envelope) for envelope in theirs] == [DEV_ADDRESSES[i % 3] for i in range(200)]
    ours = [messages.sign_envelope("vote", r["message"], r["key"]) for r in requests]
    assert ours == theirs
    verdicts = snapshot_js("verify", ours)
    assert all(v.get("valid") for v in verdicts), verdicts[:3]
    assert [v["signer"] for v in verdicts] == [DEV_ADDRESSES[i % 3] for i in range(200)]


def test_chain_id_in_the_domain_verifies_both_ways(snapshot_js):
    """A domain with chainId (snapshot.js adds it for Trust Wallet) is signed over and verifies in ethers and here."""
    envelope = messages.sign_envelope("vote", ACTIONS[0][1], DEV_KEYS[1], chain_id=56)
    assert envelope["data"]["domain"] == {"name": "snapshot", "version": "0.1.4", "chainId": 56}
    assert snapshot_js("verify", [envelope])[0] == {"signer": DEV_ADDRESSES[1], "valid": True}
    assert messages.verify_envelope(envelope) == DEV_ADDRESSES[1]


def test_type_sets_are_the_sequencers(snapshot_js):
    """sha256(JSON.stringify(types)) of each type set is in snapshot.js's hashedTypes.json under the same name."""
    hashed = json.loads((ROOT / "node_modules/@snapshot-labs/snapshot.js/src/sign/hashedTypes.json").read_text())
    for name, types in messages.TYPES.items():
        assert hashed.get(hashlib.sha256(messages.js_json(types).encode()).hexdigest()) == name, name
    assert set(messages.ACTIONS.values()) - {None} | {"vote", "vote-array", "vote-string"} == set(messages.TYPES)


def test_js_json_is_javascripts_stringify(snapshot_js):
    """Choices are stringified as JSON.stringify does: integer keys first, ascending; 70.0 as 70; no spaces."""
    values = [{"2": 30, "1": 70.0}, {"b": 1, "10": 2, "a": 3, "9": 4, "01": 5}, {"x": [1, 2.5, "é"]}, [], {}]
    assert [messages.js_json(value) for value in values] == snapshot_js("stringify", values)


@pytest.mark.parametrize(
    ("voting_type", "choice", "privacy", "expected"),
    [
        ("single-choice", 1, None, ("vote", 1)),
        ("basic", 2, "", ("vote", 2)),
        ("copeland", 1, None, ("vote", 1)),
        ("approval", [1, 2], None, ("vote-array", [1, 2])),
        ("ranked-choice", [2, 1], None, ("vote-array", [2, 1])),
        ("weighted", {"1": 1}, None, ("vote-string", '{"1":1}')),
        ("quadratic", {"2": 3, "1": 1}, "none", ("vote-string", '{"1":1,"2":3}')),
        ("ranked-choice", "0xcipher", "shutter", ("vote-string", "0xcipher")),
    ],
)
def test_vote_type_picks_as_snapshot_js(voting_type, choice, privacy, expected):
    """The Vote type set and signed choice follow snapshot.js's Client.vote."""
    assert messages.vote_type(voting_type, choice, privacy) == expected


def test_sign_envelope_refuses_what_snapshot_js_cannot_sign():
    """Unknown actions and voting types, a vote without its type, a field the type lacks: TypedDataError."""
    with pytest.raises(TypedDataError, match="unknown Snapshot action"):
        messages.sign_envelope("poke", {}, DEV_KEYS[0])
    with pytest.raises(TypedDataError, match="unknown voting type"):
        messages.sign_envelope("vote", {**ACTIONS[0][1], "type": "borda"}, DEV_KEYS[0])
    with pytest.raises(TypedDataError, match="voting type in 'type'"):
        messages.sign_envelope("vote", {k: v for k, v in ACTIONS[0][1].items() if k != "type"}, DEV_KEYS[0])
    with pytest.raises(TypedDataError, match=r"Vote: field\(s\) extra not in the type"):
        messages.sign_envelope("vote", {**ACTIONS[0][1], "extra": 1}, DEV_KEYS[0])
    with pytest.raises(TypedDataError, match="Vote.choice: expected uint32"):
        messages.sign_envelope("vote", {**ACTIONS[0][1], "type": "copeland", "choice": [1, 2]}, DEV_KEYS[0])


def test_sign_envelope_fills_from_and_timestamp():
    """Without from/timestamp the signer's checksummed address and the current time are signed; a lower-case
    from given is checksummed; the caller's message is left alone."""
    message = {"space": SPACE, "proposal": PROPOSAL_ID, "type": "approval", "choice": [1]}
    envelope = messages.sign_envelope("vote", message, DEV_KEYS[2])
    signed = envelope["data"]["message"]
    assert signed["from"] == envelope["address"] == DEV_ADDRESSES[2]
    assert abs(signed["timestamp"] - __import__("time").time()) < 5
    assert "type" in message and "from" not in message
    lower = messages.sign_envelope("vote", {**message, "from": DEV_ADDRESSES[2].lower()}, DEV_KEYS[2])
    assert lower["data"]["message"]["from"] == DEV_ADDRESSES[2]


# --------------------------------------------------------------------------------------------------
# Refusals


def _tampered(envelope: dict, edit) -> dict:
    copy = json.loads(json.dumps(envelope))
    edit(copy)
    return copy


def _high_s(envelope):
    sig = bytes.fromhex(envelope["sig"][2:])
    s = int.from_bytes(sig[32:64], "big")
    envelope["sig"] = "0x" + (sig[:32] + (eip712.SECP256K1_N - s).to_bytes(32, "big") + bytes([55 - sig[64]])).hex()


REFUSALS = [
    ("changed choice", lambda e: e["data"]["message"].update(choice=1), "signer-mismatch", "recovers"),
    ("changed reason", lambda e: e["data"]["message"].update(reason="x"), "signer-mismatch", "recovers"),
    ("changed s", lambda e: e.update(sig=e["sig"][:126] + ("0" if e["sig"][126] != "0" else "1") + e["sig"][127:]),
     "signer-mismatch", "recovers"),
    ("r off the curve", lambda e: e.update(sig="0x" + "05" * 32 + e["sig"][66:]), "bad-signature", "no public key"),
    ("high s", _high_s, "bad-signature", "EIP-2"),
    ("short sig", lambda e: e.update(sig=e["sig"][:-2]), "bad-signature", "65 bytes"),
    ("v 29", lambda e: e.update(sig=e["sig"][:-2] + "1d"), "bad-signature", "v must be"),
    ("other address", lambda e: e.update(address=DEV_ADDRESSES[1]), "signer-mismatch", "not the envelope's address"),
    ("wrong version", lambda e: e["data"]["domain"].update(version="0.1.3"), "wrong-domain", "0.1.3"),
    ("wrong name", lambda e: e["data"]["domain"].update(name="snapshot-x"), "wrong-domain", "snapshot-x"),
    ("verifyingContract", lambda e: e["data"]["domain"].update(verifyingContract=DEV_ADDRESSES[0]), "wrong-domain",
     "verifyingContract"),
    ("chainId string", lambda e: e["data"]["domain"].update(chainId="1"), "wrong-domain", "chainId"),
    ("extra message field", lambda e: e["data"]["message"].update(extra="1"), "malformed-field", "extra not in the type"),
    ("missing message field", lambda e: e["data"]["message"].pop("app"), "malformed-field", "missing field"),
    ("timestamp as string", lambda e: e["data"]["message"].update(timestamp=str(T)), "malformed-field", "JSON integer"),
    ("choice out of uint32", lambda e: e["data"]["message"].update(choice=2**32), "malformed-field", "uint32"),
    ("from not an address", lambda e: e["data"]["message"].update({"from": "ana.eth"}), "malformed-field", "message.from"),
    ("extra type field", lambda e: e["data"]["types"]["Vote"].append({"name": "x", "type": "string"}), "unknown-type", "Vote"),
    ("field type changed", lambda e: e["data"]["types"]["Vote"][4].update(type="uint64"), "unknown-type", "Vote"),
    ("unknown type", lambda e: e["data"].update(types={"Poke": e["data"]["types"]["Vote"]}), "unknown-type", "Poke"),
    ("two types", lambda e: e["data"]["types"].update(Extra=[]), "unknown-type", "Extra"),
    ("primaryType", lambda e: e["data"].update(primaryType="Proposal"), "unknown-type", "primaryType"),
    ("no sig", lambda e: e.pop("sig"), "malformed-envelope", "address, sig, data"),
    ("extra data key", lambda e: e["data"].update(extra=1), "malformed-envelope", "domain, types, message"),
    ("starknet address", lambda e: e.update(address="0x" + "1" * 64), "malformed-envelope", "Starknet"),
]  # fmt: skip


@pytest.mark.parametrize(("edit", "reason", "detail"), [r[1:] for r in REFUSALS], ids=[r[0] for r in REFUSALS])
def test_tampered_envelopes_are_refused_with_their_reason(js_envelopes, edit, reason, detail):
    """A tampered message or signature, a foreign domain or type set, an extra or malformed field: refused with the reason."""
    envelope = _tampered(js_envelopes[0], edit)
    with pytest.raises(EnvelopeError, match=detail) as raised:
        messages.verify_envelope(envelope)
    assert raised.value.reason == reason and reason in messages.REASONS
    assert isinstance(raised.value, GovernanceError) and isinstance(raised.value, ValueError)
    assert str(raised.value).startswith(f"{reason}: ")


def test_a_from_other_than_the_signer_is_refused():
    """A message whose from names another account, signed by the envelope's address, is a signer mismatch."""
    envelope = messages.sign_envelope("vote", {**ACTIONS[0][1], "from": DEV_ADDRESSES[0]}, DEV_KEYS[1])
    with pytest.raises(EnvelopeError, match="message.from") as raised:
        messages.verify_envelope(envelope)
    assert raised.value.reason == "signer-mismatch"


def test_refusals_are_picklable():
    """EnvelopeError keeps reason and detail through pickling (workers hand errors back)."""
    import pickle

    error = pickle.loads(pickle.dumps(EnvelopeError("wrong-domain", "detail")))
    assert (error.reason, error.detail, str(error)) == ("wrong-domain", "detail", "wrong-domain: detail")


# --------------------------------------------------------------------------------------------------
# sahara poll check-sig


def test_check_sig_prints_the_signer(js_envelopes, tmp_path):
    """`sahara poll check-sig` prints the signer of a snapshot.js envelope, or its JSON verdict."""
    path = tmp_path / "vote.json"
    path.write_text(json.dumps(js_envelopes[3]))
    result = CliRunner().invoke(cli, ["poll", "check-sig", str(path)])
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1] == DEV_ADDRESSES[0]
    result = CliRunner().invoke(cli, ["poll", "check-sig", "--json", "-"], input=json.dumps(js_envelopes[3]))
    assert json.loads(result.output.strip().splitlines()[-1])["type"] == "vote-array"


@pytest.mark.parametrize(
    ("content", "reason"),
    [("{not json", "malformed-envelope"), ("WRONG_VERSION", "wrong-domain"), ("TAMPERED", "signer-mismatch")],
)
def test_check_sig_refuses_with_the_reason(js_envelopes, tmp_path, content, reason):
    """A refused envelope exits 1 and says the reason code; --json says it as an object."""
    if content == "WRONG_VERSION":
        content = json.dumps(_tampered(js_envelopes[0], lambda e: e["data"]["domain"].update(version="0.1.5")))
    elif content == "TAMPERED":
        content = json.dumps(_tampered(js_envelopes[0], lambda e: e["data"]["message"].update(choice=1)))
    path = tmp_path / "message.json"
    path.write_text(content)
    result = CliRunner().invoke(cli, ["poll", "check-sig", str(path)])
    assert result.exit_code == 1 and f"refused ({reason})" in result.output
    result = CliRunner().invoke(cli, ["poll", "check-sig", "--json", str(path)])
    assert result.exit_code == 1 and json.loads(result.output)["reason"] == reason


def test_check_sig_on_a_missing_file_says_so(tmp_path):
    """A path that does not exist is a usage error naming the file."""
    result = CliRunner().invoke(cli, ["poll", "check-sig", str(tmp_path / "nope.json")])
    assert result.exit_code != 0 and "nope.json" in result.output
