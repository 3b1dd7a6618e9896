"""What a wallet signs from the dashboard: eth_signTypedData_v4 documents that wallets (eth_account
here) sign to the digest the relay verifies; envelopes refused with the relay's reasons; poll choices
spelled out per voting type."""

import pytest
from eth_account import Account
from eth_keys import keys

from sahara_dao.governance.ballots import BALLOT, DELEGATION, EXTENDED_BALLOT, parse_envelope
from sahara_dao.governance.errors import RelayError
from sahara_dao.governance.poll_report import describe_choice
from sahara_dao.governance.wallet_requests import digest, signed, typed_data

KEY = "0x" + "42" * 32
SIGNER = Account.from_key(KEY).address
DOMAIN = {"name": "SaharaGovernor", "version": "1", "chainId": 31337, "verifyingContract": "0x" + "ab" * 20}
PROPOSAL = 2**255 + 12345  # beyond what JavaScript numbers hold


@pytest.mark.parametrize(("primary", "message"), [
    (BALLOT, {"proposalId": PROPOSAL, "support": 1, "voter": SIGNER, "nonce": 7}),
    (EXTENDED_BALLOT, {"proposalId": PROPOSAL, "support": 2, "voter": SIGNER, "nonce": 0, "reason": "ok", "params": b""}),
    (DELEGATION, {"delegatee": "0x" + "cd" * 20, "nonce": 3, "expiry": 2_000_000_000}),
])  # fmt: skip
def test_a_wallet_signs_the_digest_the_relay_verifies(primary, message):
    """eth_account signs the v4 document (uint256 as decimal strings) to the relay's digest."""
    request = typed_data(DOMAIN, primary, message)
    assert request["message"].get("nonce") == str(message["nonce"]) and "EIP712Domain" in request["types"]
    signature = Account.sign_typed_data(KEY, full_message=request).signature
    envelope = signed(request, "0x" + bytes(signature).hex(), SIGNER)
    parsed = parse_envelope(envelope)
    assert parsed.signer == SIGNER and parsed.digest(DOMAIN) == digest(request)
    recovered = keys.Signature(bytes(signature[:64]) + bytes([signature[64] - 27])).recover_public_key_from_msg_hash(digest(request))
    assert recovered.to_checksum_address() == SIGNER


def test_malformed_signatures_are_refused_with_the_reason():
    request = typed_data(DOMAIN, BALLOT, {"proposalId": 1, "support": 1, "voter": SIGNER, "nonce": 0})
    with pytest.raises(RelayError, match="not hex"):
        signed(request, "0xzz", SIGNER)
    with pytest.raises(RelayError, match="65-byte"):
        signed(request, "0x" + "11" * 64, SIGNER)
    with pytest.raises(RelayError, match="is not the ballot's voter"):
        signed(request, "0x" + "11" * 64 + "1b", "0x" + "99" * 20)


@pytest.mark.parametrize(("kind", "choice", "words"), [
    ("single-choice", 2, "Models"),
    ("approval", [1, 3], "Datasets, Agents"),
    ("ranked-choice", [3, 1, 2], "(1st) Agents, (2nd) Datasets, (3rd) Models"),
    ("weighted", {"1": 3, "2": 1}, "75% for Datasets, 25% for Models"),
    ("single-choice", 9, "9"),  # not a choice: shown as signed
    ("ranked-choice", "oops", "oops"),  # snapshot.js cannot spell it either
])  # fmt: skip
def test_poll_choices_are_spelled_as_snapshot_js_spells_them(kind, choice, words):
    assert describe_choice(kind, ["Datasets", "Models", "Agents"], choice) == words


@pytest.mark.parametrize(("kind", "choice", "signed_choice"), [
    ("single-choice", 2, 2), ("approval", [1, 3], [1, 3]), ("ranked-choice", [3, 1, 2], [3, 1, 2]),
    ("weighted", {"1": 2, "3": 1}, '{"1":2,"3":1}'),
])  # fmt: skip
def test_a_wallet_signed_poll_vote_is_the_envelope_snapshot_js_would_post(kind, choice, signed_choice):
    """The v4 document a wallet signs for a poll vote gives, with its signature, the same envelope as
    signing the message directly (messages.sign_envelope, checked against snapshot.js elsewhere)."""
    from sahara_dao.governance import messages
    from sahara_dao.governance.wallet_requests import poll_digest, poll_envelope, poll_vote_request

    request = poll_vote_request(space="sahara.eth", proposal_id="0x" + "ab" * 32, voting_type=kind, voter=SIGNER,
                                choice=choice, reason="because", timestamp=1_800_000_000)  # fmt: skip
    assert request["message"]["choice"] == signed_choice
    signature = Account.sign_typed_data(KEY, full_message=request).signature
    assert bytes(signature)[:64] == bytes(keys.PrivateKey(bytes.fromhex(KEY[2:])).sign_msg_hash(poll_digest(request)).to_bytes())[:64]
    envelope = poll_envelope(request, bytes(signature).hex(), SIGNER)
    direct = messages.sign_envelope("vote", {"space": "sahara.eth", "timestamp": 1_800_000_000, "proposal": "0x" + "ab" * 32,
                                             "type": kind, "choice": choice, "reason": "because", "app": "sahara-dao"}, KEY)  # fmt: skip
    assert envelope == direct and messages.verify_envelope(envelope) == SIGNER
