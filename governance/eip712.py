"""TEMPORARY stand-in for gov-sig's governance/eip712.py (same API), until that branch is merged.

digest(domain, types, primary_type, message) -> bytes; sign(digest, private_key) -> bytes;
recover(digest, signature) -> str; SignatureError.
"""

from eth_account import Account
from eth_account._utils.signing import to_standard_v
from eth_account.messages import _hash_eip191_message, encode_typed_data
from eth_keys import keys

from sahara_dao.governance.errors import GovernanceError

SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


class SignatureError(GovernanceError, ValueError):
    """A signature that is malformed or does not recover."""


def digest(domain: dict, types: dict, primary_type: str, message: dict) -> bytes:
    types = {k: v for k, v in types.items() if k != "EIP712Domain"}
    return _hash_eip191_message(encode_typed_data(domain, types, message))


def sign(digest: bytes, private_key) -> bytes:
    signed = Account._sign_hash(digest, private_key)  # noqa: SLF001
    return signed.signature


def recover(digest: bytes, signature: bytes) -> str:
    signature = bytes(signature)
    if len(signature) != 65:
        raise SignatureError(f"a signature has 65 bytes, not {len(signature)}")
    r, s, v = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:64], "big"), signature[64]
    if v not in (27, 28) or not 0 < r < SECP256K1_N or not 0 < s <= SECP256K1_N // 2:
        raise SignatureError("the signature's v, r or s is out of range (EIP-2: s in the lower half)")
    try:
        public = keys.Signature(vrs=(to_standard_v(v), r, s)).recover_public_key_from_msg_hash(digest)
    except Exception as exc:  # noqa: BLE001
        raise SignatureError(f"the signature does not recover: {exc}") from None
    return public.to_checksum_address()
