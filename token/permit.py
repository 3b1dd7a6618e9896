"""ERC-2612 permits for SAHARA, signed by any Ape account (so a purchase is one transaction)."""

from eth_account.messages import encode_typed_data

PERMIT_TYPES = {
    "Permit": [
        {"name": "owner", "type": "address"},
        {"name": "spender", "type": "address"},
        {"name": "value", "type": "uint256"},
        {"name": "nonce", "type": "uint256"},
        {"name": "deadline", "type": "uint256"},
    ]
}


def sign_permit(token, owner, spender: str, value: int, deadline: int, chain_id: int) -> tuple[int, bytes, bytes]:
    """``(v, r, s)`` of ``owner``'s permit letting ``spender`` take ``value`` until ``deadline``."""
    domain = {"name": token.name(), "version": "1", "chainId": chain_id, "verifyingContract": token.address}
    message = {"owner": owner.address, "spender": spender, "value": value,
               "nonce": token.nonces(owner.address), "deadline": deadline}  # fmt: skip
    signature = owner.sign_message(encode_typed_data(domain, PERMIT_TYPES, message))
    # Ape's accounts give r and s as minimal big-endian bytes: one signature in 128 has a 31-byte r
    # or s, which a bytes32 argument would pad on the right into another number (the permit then
    # reverts with ERC2612InvalidSigner or ECDSAInvalidSignature). encode_rsv pads them on the left.
    rsv = signature.encode_rsv()
    return signature.v, rsv[:32], rsv[32:64]
