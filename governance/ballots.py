"""Signed ballots and delegations: the EIP-712 messages of OpenZeppelin's ``castVoteBySig``,
``castVoteWithReasonAndParamsBySig`` and ERC-5805 ``delegateBySig``, as JSON envelopes.

An envelope is the ``eth_signTypedData_v4`` document plus the signature, so any wallet can make one::

    {"domain": {"name": "SaharaGovernor", "version": "1", "chainId": 31337, "verifyingContract": "0x..."},
     "primaryType": "Ballot",            # or "ExtendedBallot" (reason and params), or "Delegation"
     "message": {"proposalId": "123...", "support": 1, "voter": "0x...", "nonce": "456..."},
     "signature": "0x<r><s><v>",
     "signer": "0x..."}                   # required for a Delegation (its message names no delegator)

uint256 values may be JSON integers or decimal strings (JavaScript clients cannot write big integers).
The domain is optional: the relay always verifies against its own governor's or token's domain, and
a domain given here that differs is refused with the reason.
"""

from dataclasses import dataclass
from typing import Any

from eth_utils import is_address, to_checksum_address

from sahara_dao.governance import eip712
from sahara_dao.governance.errors import RelayError

BALLOT = "Ballot"
EXTENDED_BALLOT = "ExtendedBallot"
DELEGATION = "Delegation"
_BALLOT_FIELDS = [
    {"name": "proposalId", "type": "uint256"},
    {"name": "support", "type": "uint8"},
    {"name": "voter", "type": "address"},
    {"name": "nonce", "type": "uint256"},
]
TYPES = {
    BALLOT: {BALLOT: _BALLOT_FIELDS},
    EXTENDED_BALLOT: {
        EXTENDED_BALLOT: [
            *_BALLOT_FIELDS,
            {"name": "reason", "type": "string"},
            {"name": "params", "type": "bytes"},
        ]
    },
    DELEGATION: {
        DELEGATION: [
            {"name": "delegatee", "type": "address"},
            {"name": "nonce", "type": "uint256"},
            {"name": "expiry", "type": "uint256"},
        ]
    },
}
KEYED_NONCE_BITS = 192  # GovernorNoncesKeyed keys a voter's nonces by the low 192 bits of the proposal id
UINT256_MAX = 2**256 - 1


@dataclass(frozen=True)
class Signed:
    """A parsed envelope: the typed message, its signature and the account that claims to sign it."""

    primary_type: str
    message: dict[str, Any]  # field values in their Python types (int, str, bytes)
    signature: bytes
    signer: str  # voter of a ballot; delegator of a delegation
    domain: dict[str, Any] | None  # as submitted, if it was

    @property
    def is_vote(self) -> bool:
        return self.primary_type != DELEGATION

    def digest(self, domain: dict[str, Any]) -> bytes:
        return eip712.digest(domain, TYPES[self.primary_type], self.primary_type, self.message)


def nonce_key(proposal_id: int) -> int:
    """The key of a voter's nonces for ``proposal_id`` (``GovernorNoncesKeyed``: its low 192 bits)."""
    return proposal_id % 2**KEYED_NONCE_BITS


def parse_envelope(document: Any) -> Signed:
    """Check an envelope's shape and types; a RelayError says what is wrong with it."""
    if not isinstance(document, dict):
        raise RelayError(
            f"a signed ballot is a JSON object with primaryType, message and signature, not {document!r:.80}"
        )
    primary_type = document.get("primaryType")
    if primary_type not in TYPES:
        raise RelayError(f"primaryType {primary_type!r} is not one of {', '.join(TYPES)}")
    if "types" in document and not _same_types(document["types"], primary_type):
        raise RelayError(
            f"the envelope's types differ from OpenZeppelin's {primary_type} type: sign {TYPES[primary_type]}"
        )
    raw = document.get("message")
    if not isinstance(raw, dict):
        raise RelayError("the envelope has no message object")
    fields = TYPES[primary_type][primary_type]
    names = {field["name"] for field in fields}
    if extra := sorted(set(raw) - names):
        hint = " (a reason is carried by an ExtendedBallot: sign that type)" if primary_type == BALLOT else ""
        raise RelayError(f"{primary_type} has no field {', '.join(extra)}{hint}")
    message = {field["name"]: _value(raw, field["name"], field["type"]) for field in fields}
    signature = _bytes(document.get("signature"), "signature")
    if len(signature) != 65:
        raise RelayError(
            f"the signature has {len(signature)} bytes; the relay takes 65-byte r || s || v signatures"
        )
    if signature[64] in (
        0,
        1,
    ):  # the same signature as v = 27 / 28, the only spelling OpenZeppelin's ECDSA takes
        signature = signature[:64] + bytes([signature[64] + 27])
    if primary_type == DELEGATION:
        signer = _address(document.get("signer"), "signer (the delegator)")
    else:
        signer = message["voter"]
        if document.get("signer") is not None and _address(document["signer"], "signer") != signer:
            raise RelayError(f"signer {document['signer']} is not the ballot's voter {signer}")
    domain = document.get("domain")
    if domain is not None and not isinstance(domain, dict):
        raise RelayError("domain must be an object (name, version, chainId, verifyingContract)")
    return Signed(primary_type, message, signature, signer, domain)


def envelope(
    domain: dict[str, Any], primary_type: str, message: dict[str, Any], signature: bytes, signer: str
) -> dict:
    """The JSON envelope of a signed message (uint256 as decimal strings, bytes as 0x-hex)."""

    def plain(value):
        if isinstance(value, bytes):
            return "0x" + value.hex()
        return (
            str(value) if isinstance(value, int) and not isinstance(value, bool) and value > 2**53 else value
        )

    return {
        "domain": {k: plain(v) for k, v in domain.items()},
        "types": TYPES[primary_type],
        "primaryType": primary_type,
        "message": {k: plain(v) for k, v in message.items()},
        "signature": "0x" + bytes(signature).hex(),
        "signer": signer,
    }


def sign_with(account, domain: dict[str, Any], primary_type: str, message: dict[str, Any]) -> dict:
    """Sign with an Ape account (a keyfile account asks to confirm) and return the envelope."""
    digest = eip712.digest(domain, TYPES[primary_type], primary_type, message)
    signed = account.sign_raw_msghash(digest)
    if signed is None:
        raise RelayError(f"account {account.address} did not sign the {primary_type}")
    return envelope(domain, primary_type, message, signed.encode_rsv(), account.address)


def _same_types(types: Any, primary_type: str) -> bool:
    if not isinstance(types, dict):
        return False
    ours = TYPES[primary_type][primary_type]
    theirs = types.get(primary_type)
    other = set(types) - {primary_type, "EIP712Domain"}
    return (
        not other
        and isinstance(theirs, list)
        and [(f.get("name"), f.get("type")) for f in theirs] == [(f["name"], f["type"]) for f in ours]
    )


def _value(raw: dict, name: str, solidity_type: str):
    if name not in raw:
        if name == "params":
            return b""
        raise RelayError(f"the message has no {name}")
    value = raw[name]
    if solidity_type == "address":
        return _address(value, name)
    if solidity_type == "string":
        if not isinstance(value, str):
            raise RelayError(f"{name} must be a string")
        return value
    if solidity_type == "bytes":
        return _bytes(value, name)
    bound = 255 if solidity_type == "uint8" else UINT256_MAX
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= bound:
        raise RelayError(
            f"{name} must be an integer from 0 to {bound} (a decimal string for big values), not {value!r}"
        )
    return value


def _address(value: Any, what: str) -> str:
    if not isinstance(value, str) or not is_address(value):
        raise RelayError(
            f"{what} {value!r} is not an address (0x and 40 hex digits, EIP-55 checksum if mixed case)"
        )
    return to_checksum_address(value)


def _bytes(value: Any, what: str) -> bytes:
    if isinstance(value, str) and value.startswith("0x"):
        try:
            return bytes.fromhex(value[2:])
        except ValueError:
            pass
    raise RelayError(f"{what} must be 0x-prefixed hex, not {value!r:.80}")
