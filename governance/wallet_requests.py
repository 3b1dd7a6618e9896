"""What a holder's wallet signs, without any key here: the ``eth_signTypedData_v4`` documents of a
ballot (OpenZeppelin's ``castVoteBySig``; an ExtendedBallot when it carries a reason) and of an
ERC-5805 delegation, built from the chain's own EIP-712 domain and the signer's next nonce; and the
relay's envelope once the wallet returns the signature (:mod:`sahara_dao.governance.relay` verifies
and relays it). Reads the chain through :class:`~sahara_dao.governance.relay.RelayContracts`.

Off-chain polls the same way: the Snapshot vote message snapshot.js's ``Client712.vote`` would have
the wallet sign (no chain read: voting power comes from the index), and its envelope for
:func:`sahara_dao.governance.polls.submit_vote`.
"""

from typing import Any

from eth_utils import to_checksum_address

from sahara_dao.governance import eip712, messages
from sahara_dao.governance.ballots import (
    BALLOT,
    DELEGATION,
    EXTENDED_BALLOT,
    TYPES,
    envelope,
    nonce_key,
    parse_envelope,
)
from sahara_dao.governance.errors import RelayError
from sahara_dao.governance.relay import RelayContracts

DOMAIN_TYPE = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]


def typed_data(domain: dict[str, Any], primary_type: str, message: dict[str, Any]) -> dict:
    """The ``eth_signTypedData_v4`` document (uint256 values as decimal strings, bytes as 0x-hex, as
    JavaScript wallets take them)."""

    def plain(value):
        if isinstance(value, bytes):
            return "0x" + value.hex()
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    return {
        "types": {"EIP712Domain": DOMAIN_TYPE, **TYPES[primary_type]},
        "domain": {k: (v if k == "chainId" else plain(v)) for k, v in domain.items()},
        "primaryType": primary_type,
        "message": {k: plain(v) for k, v in message.items()},
    }


def vote_request(contracts: RelayContracts, voter: str, proposal_id: int, support: int, reason: str | None = None) -> dict:
    """The ballot ``voter`` signs to cast ``support`` (0 against, 1 for, 2 abstain) on ``proposal_id``."""
    voter = to_checksum_address(voter)
    governor = contracts.governor
    nonce = governor.nonces(voter, nonce_key(proposal_id))
    message = {"proposalId": int(proposal_id), "support": int(support), "voter": voter, "nonce": int(nonce)}
    primary_type = BALLOT
    if reason:
        primary_type = EXTENDED_BALLOT
        message |= {"reason": reason, "params": b""}
    return typed_data(contracts.domain(governor), primary_type, message)


def delegation_request(contracts: RelayContracts, delegator: str, delegatee: str, expiry: int) -> dict:
    """The delegation ``delegator`` signs to give its SAHARA votes to ``delegatee`` until ``expiry``."""
    token = contracts.token
    nonce = token.nonces(to_checksum_address(delegator))
    message = {"delegatee": to_checksum_address(delegatee), "nonce": int(nonce), "expiry": int(expiry)}
    return typed_data(contracts.domain(token), DELEGATION, message)


def digest(request: dict) -> bytes:
    """The EIP-712 digest a wallet signs for ``request`` (what ``eth_signTypedData_v4`` hashes)."""
    document = {**request, "types": TYPES[request["primaryType"]], "signature": "0x" + "00" * 64 + "1b",
                "signer": request["message"].get("voter") or "0x" + "00" * 19 + "01"}  # fmt: skip
    return parse_envelope(document).digest(request["domain"])


def _signature_bytes(signature: str) -> bytes:
    text = signature.strip()
    if not text.startswith("0x"):
        text = "0x" + text
    try:
        return bytes.fromhex(text[2:])
    except ValueError:
        raise RelayError(f"the signature {signature[:20]!r}… is not hex: paste the 0x… string the wallet returned") from None


def signed(request: dict, signature: str, signer: str) -> dict:
    """The relay's envelope of a signed request; a RelayError when the signature is malformed."""
    raw = _signature_bytes(signature)
    document = envelope(request["domain"], request["primaryType"], request["message"], raw, to_checksum_address(signer))
    document["types"] = TYPES[request["primaryType"]]
    parse_envelope(document)  # the shape and the signature's length, with the relay's own reasons
    return document


# --- off-chain polls (Snapshot messages) -------------------------------------------------------------


def poll_vote_request(
    *, space: str, proposal_id: str, voting_type: str, voter: str, choice: Any, reason: str = "", timestamp: int,
) -> dict:  # fmt: skip
    """The Snapshot vote ``voter`` signs on the poll ``proposal_id`` of ``space``: the type set and the
    signed form of ``choice`` follow the poll's voting type as snapshot.js picks them."""
    name, signed_choice = messages.vote_type(voting_type, choice)
    message = {"from": to_checksum_address(voter), "space": space, "timestamp": int(timestamp), "proposal": proposal_id,
               "choice": signed_choice, "reason": reason, "app": "sahara-dao", "metadata": "{}"}  # fmt: skip
    domain_type = [{"name": "name", "type": "string"}, {"name": "version", "type": "string"}]
    return {"types": {"EIP712Domain": domain_type, **messages.TYPES[name]}, "domain": dict(messages.DOMAIN),
            "primaryType": "Vote", "message": message}  # fmt: skip


def poll_digest(request: dict) -> bytes:
    """The EIP-712 digest a wallet signs for a poll vote ``request``."""
    return eip712.digest(request["domain"], request["types"], request["primaryType"], request["message"])


def poll_envelope(request: dict, signature: str, signer: str) -> dict:
    """The envelope snapshot.js posts for a signed poll vote (what ``polls.submit_vote`` judges)."""
    types = {name: fields for name, fields in request["types"].items() if name != "EIP712Domain"}
    return {"address": to_checksum_address(signer), "sig": "0x" + _signature_bytes(signature).hex(),
            "data": {"domain": request["domain"], "types": types, "message": request["message"]}}  # fmt: skip
