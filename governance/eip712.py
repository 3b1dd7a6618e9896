"""EIP-712 typed structured data: type hashes, struct hashes and digests, and secp256k1 signatures.

The shared engine of every signed message in governance/: Snapshot's off-chain messages
(governance/messages.py), and OpenZeppelin's ``castVoteBySig`` ballots and ERC20Votes delegations.

Public API (everything else is internal):

- ``digest(domain, types, primary_type, message) -> bytes``: the 32 bytes a wallet signs,
  ``keccak256(0x1901 || domainSeparator(domain) || hashStruct(primary_type, message))``.
- ``sign(digest, private_key) -> bytes``: 65 bytes ``r || s || v`` with ``v`` in {27, 28} and a low s.
- ``recover(digest, signature) -> str``: the EIP-55 address that signed; raises :class:`SignatureError`
  on a malformed signature (length, ``v`` outside {0, 1, 27, 28}, ``r``/``s`` out of range, a high s
  refused as EIP-2 and OpenZeppelin's ECDSA do) or one that recovers no key.
- ``domain_separator(domain)``, ``hash_struct(types, primary_type, message)``,
  ``encode_type(types, primary_type)``, ``type_hash(types, primary_type)``: the spec's pieces.
- ``encoder(types, primary_type) -> StructEncoder``: the compiled encoder behind ``digest`` (cached per
  type set), for callers that hash many messages of one type and want to skip the cache lookup.
- ``address_of(private_key) -> str``: the EIP-55 address of a key; ``address_bytes(value)``: the 20
  bytes of an address, its checksum checked.

Types are given as ethers and eth_account take them: ``{"Mail": [{"name": "from", "type": "Person"},
...], "Person": [...]}``. An ``EIP712Domain`` entry may be present (eth_account's full-message form);
it must then list the domain's fields in canonical order. The domain holds only the fields it uses,
among ``name, version, chainId, verifyingContract, salt``, encoded in that canonical order.

Values are checked as ethers v5 checks them: integers in range (ints, or decimal / 0x-hex strings as
JSON carries numbers beyond 2**53), ``bool`` as a boolean, addresses as 20-byte hex (a mixed-case
address must carry a valid EIP-55 checksum), ``bytesN`` of exactly N bytes, fixed arrays of their
length. Unlike ethers, a message holding a key its type does not declare is refused: a signed message
must not carry data the signature does not cover. Any mismatch raises :class:`TypedDataError` naming
the field (``Mail.to.wallet: ...``).

Speed: type hashes and encoders are compiled once per type set; hashing a Snapshot vote costs about
ten keccak256 calls and little else, so verifying a signed message is dominated by libsecp256k1's
recovery (coincurve).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from coincurve import PrivateKey
from coincurve._libsecp256k1 import ffi, lib
from coincurve.context import GLOBAL_CONTEXT

from sahara_dao.governance.errors import SignatureError, TypedDataError
from sahara_dao.token.claims import checksum_address
from sahara_dao.token.merkle import keccak256

__all__ = [
    "StructEncoder", "address_bytes", "address_of", "digest", "domain_separator", "encode_type", "encoder", "hash_struct",
    "recover", "sign", "type_hash",
]  # fmt: skip

DOMAIN_FIELDS = (
    ("name", "string"), ("version", "string"), ("chainId", "uint256"),
    ("verifyingContract", "address"), ("salt", "bytes32"),
)  # fmt: skip
"""The fields of ``EIP712Domain`` in the spec's canonical order."""

SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
_HALF_N = SECP256K1_N // 2
_V_TO_RECID = {0: 0, 1: 1, 27: 0, 28: 1}
_PREFIX = b"\x19\x01"
_ZERO12 = bytes(12)
_TYPE = re.compile(r"([A-Za-z_$][A-Za-z0-9_$]*)((?:\[[0-9]*\])*)")
_HEX = re.compile(r"(0[xX])?([0-9a-fA-F]*)")
_DECIMAL = re.compile(r"-?[0-9]+")

Encode = Callable[[Any], bytes]


# --------------------------------------------------------------------------------------------------
# Values


def _bad(path: str, expected: str, value: Any) -> TypedDataError:
    shown = repr(value)
    return TypedDataError(f"{path}: expected {expected}, got {shown[:80]}{'...' if len(shown) > 80 else ''}")


def _to_int(value: Any, path: str, expected: str) -> int:
    """An integer as ethers' ``BigNumber.from`` reads it: an int, an integral float, or a decimal or
    0x-hex string (possibly negative)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if isinstance(value, str):
        text = value[1:] if value.startswith("-") else value
        sign = -1 if text is not value else 1
        if text[:2] in ("0x", "0X") and len(text) > 2 and _HEX.fullmatch(text):
            return sign * int(text[2:], 16)
        if _DECIMAL.fullmatch(value):
            return int(value)
    raise _bad(path, expected, value)


def _to_bytes(value: Any, path: str, expected: str) -> bytes:
    """Bytes from bytes or a 0x-prefixed hex string of even length (what ethers' ``arrayify`` takes)."""
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    if isinstance(value, str) and value[:2] in ("0x", "0X") and len(value) % 2 == 0 and _HEX.fullmatch(value):
        return bytes.fromhex(value[2:])
    raise _bad(path, expected, value)


def _uint_encoder(bits: int, path: str) -> Encode:
    top, expected = (1 << bits) - 1, f"uint{bits}"

    def encode(value: Any) -> bytes:
        if value.__class__ is not int:
            value = _to_int(value, path, expected)
        if 0 <= value <= top:
            return value.to_bytes(32, "big")
        raise _bad(path, expected, value)

    return encode


def _int_encoder(bits: int, path: str) -> Encode:
    low, high, expected = -(1 << (bits - 1)), (1 << (bits - 1)) - 1, f"int{bits}"

    def encode(value: Any) -> bytes:
        if value.__class__ is not int:
            value = _to_int(value, path, expected)
        if low <= value <= high:
            return value.to_bytes(32, "big", signed=True)
        raise _bad(path, expected, value)

    return encode


def _bool_encoder(path: str) -> Encode:
    def encode(value: Any) -> bytes:
        if value is True or value is False:
            return value.to_bytes(32, "big")
        raise _bad(path, "bool (true or false)", value)

    return encode


def _address_encoder(path: str) -> Encode:
    def encode(value: Any) -> bytes:
        return _ZERO12 + address_bytes(value, path)

    return encode


def address_bytes(value: Any, path: str = "address") -> bytes:
    """The 20 bytes of an address given as 0x-hex (all lower or upper case, or a valid EIP-55
    checksum) or as 20 bytes; :class:`TypedDataError` otherwise."""
    if isinstance(value, str) and len(value) == 42 and value[:2] == "0x" and _HEX.fullmatch(digits := value[2:]):
        if digits.islower() or digits.isupper() or digits.isdigit() or checksum_address(value) == value:
            return bytes.fromhex(digits)
        raise TypedDataError(f"{path}: {value} has a wrong EIP-55 checksum (a typo?); check the address")
    elif isinstance(value, bytes | bytearray) and len(value) == 20:
        return bytes(value)
    raise _bad(path, "an address (0x and 40 hex digits)", value)


def _string_encoder(path: str) -> Encode:
    def encode(value: Any) -> bytes:
        if value.__class__ is str:
            try:
                return keccak256(value.encode())
            except UnicodeEncodeError:
                pass
        raise _bad(path, "a string (valid UTF-8)", value)

    return encode


def _bytes_encoder(path: str) -> Encode:
    def encode(value: Any) -> bytes:
        return keccak256(_to_bytes(value, path, "bytes (0x-hex)"))

    return encode


def _fixed_bytes_encoder(size: int, path: str) -> Encode:
    expected = f"bytes{size} ({size} bytes as 0x-hex)"

    def encode(value: Any) -> bytes:
        data = _to_bytes(value, path, expected)
        if len(data) == size:
            return data.ljust(32, b"\0")
        raise _bad(path, expected, value)

    return encode


def _array_encoder(element: Encode, length: int | None, path: str) -> Encode:
    expected = f"an array of {length} items" if length is not None else "an array"

    def encode(value: Any) -> bytes:
        if isinstance(value, list | tuple) and (length is None or len(value) == length):
            return keccak256(b"".join(map(element, value)))
        raise _bad(path, expected, value)

    return encode


# --------------------------------------------------------------------------------------------------
# Types


def _split(type_name: str, path: str) -> tuple[str, list[int | None]]:
    """``"Person[][3]"`` -> ``("Person", [None, 3])`` (the outermost dimension last)."""
    match = _TYPE.fullmatch(type_name) if isinstance(type_name, str) else None
    if match is None:
        raise TypedDataError(f"{path}: {type_name!r} is not a valid EIP-712 type name")
    dims = [int(d) if d else None for d in re.findall(r"\[([0-9]*)\]", match.group(2))]
    return match.group(1), dims


def _atomic_encoder(base: str, path: str) -> Encode | None:
    """The encoder of an atomic or dynamic base type, None for a struct name."""
    if base in ("string", "bytes", "bool", "address"):
        return {"string": _string_encoder, "bytes": _bytes_encoder, "bool": _bool_encoder,
                "address": _address_encoder}[base](path)  # fmt: skip
    if match := re.fullmatch(r"(u?)int([0-9]+)", base):
        bits = int(match.group(2))
        if not (8 <= bits <= 256 and bits % 8 == 0 and match.group(2) == str(bits)):
            raise TypedDataError(f"{path}: {base} has an invalid width (8 to 256 bits, a multiple of 8)")
        return (_uint_encoder if match.group(1) else _int_encoder)(bits, path)
    if match := re.fullmatch(r"bytes([0-9]+)", base):
        size = int(match.group(1))
        if not (1 <= size <= 32 and match.group(1) == str(size)):
            raise TypedDataError(f"{path}: {base} has an invalid size (bytes1 to bytes32)")
        return _fixed_bytes_encoder(size, path)
    return None


def _fields(types: Mapping[str, Any], name: str) -> list[tuple[str, str]]:
    """``[(field name, field type), ...]`` of struct ``name``, checked for shape."""
    fields = types.get(name)
    if not isinstance(fields, list | tuple):
        raise TypedDataError(f"type {name!r} is not defined in the types ({', '.join(map(str, types)) or 'none'})")
    out = []
    for field in fields:
        if not (isinstance(field, Mapping) and isinstance(field.get("name"), str) and isinstance(field.get("type"), str)):
            raise TypedDataError(f"{name}: each field must be {{'name': str, 'type': str}}, got {field!r}")
        out.append((field["name"], field["type"]))
    if len({f for f, _ in out}) != len(out):
        raise TypedDataError(f"{name}: a field name is declared twice")
    return out


def _dependencies(types: Mapping[str, Any], primary_type: str) -> list[str]:
    """Struct types referenced by ``primary_type``, directly or not, itself excluded."""
    found, todo = set(), [primary_type]
    while todo:
        for field, type_name in _fields(types, todo.pop()):
            base, _ = _split(type_name, field)
            if _atomic_encoder(base, field) is None and base not in found and base != primary_type:
                found.add(base)
                todo.append(base)
    return sorted(found)


def encode_type(types: Mapping[str, Any], primary_type: str) -> str:
    """``encodeType``: ``Mail(Person from,Person to,string contents)Person(string name,address wallet)``
    (the primary type first, then the referenced struct types sorted by name)."""
    return "".join(
        f"{name}({','.join(f'{kind} {field}' for field, kind in _fields(types, name))})"
        for name in [primary_type, *_dependencies(types, primary_type)]
    )


def type_hash(types: Mapping[str, Any], primary_type: str) -> bytes:
    """``keccak256(encodeType(primary_type))``."""
    return encoder(types, primary_type).type_hash


class StructEncoder:
    """A struct type compiled for hashing: ``hash_struct(message)`` and ``digest(separator, message)``."""

    __slots__ = ("digest", "encode_type", "hash_struct", "primary_type", "type_hash")

    def __init__(self, types: Mapping[str, Any], primary_type: str):
        hashers: dict[str, Callable[[Any], bytes]] = {}

        def struct_hasher(name: str) -> Callable[[Any], bytes]:
            if name in hashers:
                return hashers[name]
            fields = _fields(types, name)
            names = frozenset(field for field, _ in fields)
            prefix = keccak256(encode_type(types, name).encode())
            slot: list[tuple[str, Encode]] = []

            def hash_one(value: Any) -> bytes:
                if value.__class__ is not dict and not isinstance(value, Mapping):
                    raise _bad(name, f"a {name} object", value)
                if value.keys() != names:
                    missing, extra = names - value.keys(), value.keys() - names
                    raise TypedDataError(
                        f"{name}: "
                        + "; ".join(
                            part
                            for part in (
                                f"missing field(s) {', '.join(sorted(missing))}" if missing else "",
                                f"field(s) {', '.join(sorted(map(str, extra)))} not in the type" if extra else "",
                            )
                            if part
                        )
                    )
                return keccak256(prefix + b"".join([encode(value[field]) for field, encode in slot]))

            hashers[name] = hash_one  # before the fields: recursive types refer to themselves
            slot.extend((field, value_encoder(type_name, f"{name}.{field}")) for field, type_name in fields)
            return hash_one

        def value_encoder(type_name: str, path: str) -> Encode:
            base, dims = _split(type_name, path)
            encode = _atomic_encoder(base, path)
            if encode is None:
                if base not in types:
                    raise TypedDataError(f"{path}: type {base!r} is not defined in the types")
                encode = struct_hasher(base)
            for length in dims:
                encode = _array_encoder(encode, length, path)
            return encode

        self.primary_type = primary_type
        self.encode_type = encode_type(types, primary_type)
        self.type_hash = keccak256(self.encode_type.encode())
        hash_struct = self.hash_struct = struct_hasher(primary_type)

        def digest(separator: bytes, message: Any) -> bytes:
            return keccak256(_PREFIX + separator + hash_struct(message))

        self.digest = digest


_ENCODERS: dict[tuple, StructEncoder] = {}


def _types_key(types: Mapping[str, Any]) -> tuple:
    try:
        return tuple(
            (name, tuple((field["name"], field["type"]) for field in fields))
            for name, fields in types.items()
            if name != "EIP712Domain"
        )
    except (TypeError, KeyError, AttributeError) as exc:
        raise TypedDataError(f"types must map each type name to a list of {{'name', 'type'}} fields: {exc}") from exc


def encoder(types: Mapping[str, Any], primary_type: str) -> StructEncoder:
    """The compiled encoder of ``primary_type`` within ``types``, built once per type set."""
    key = (primary_type, _types_key(types))
    try:
        return _ENCODERS[key]
    except KeyError:
        pass
    if not isinstance(primary_type, str) or primary_type == "EIP712Domain" or primary_type not in types:
        raise TypedDataError(f"primary type {primary_type!r} is not one of the types ({', '.join(map(str, types))})")
    if len(_ENCODERS) > 1024:  # a service fed arbitrary type sets keeps a bounded cache
        _ENCODERS.clear()
    built = _ENCODERS[key] = StructEncoder(types, primary_type)
    return built


def hash_struct(types: Mapping[str, Any], primary_type: str, message: Mapping[str, Any]) -> bytes:
    """``hashStruct(message) = keccak256(typeHash || encodeData(message))``."""
    return encoder(types, primary_type).hash_struct(message)


_SEPARATORS: dict[tuple, bytes] = {}


def domain_separator(domain: Mapping[str, Any]) -> bytes:
    """``hashStruct(EIP712Domain, domain)`` over the fields present, in canonical order."""
    try:
        key = tuple(domain.items())
        return _SEPARATORS[key]
    except KeyError:
        pass
    except (TypeError, AttributeError):  # unhashable values, or not a mapping: computed, not cached
        key = None
    if not isinstance(domain, Mapping):
        raise _bad("EIP712Domain", "a domain object", domain)
    unknown = set(domain) - {name for name, _ in DOMAIN_FIELDS}
    if unknown:
        raise TypedDataError(
            f"EIP712Domain: unknown field(s) {', '.join(sorted(map(str, unknown)))} (allowed: "
            f"{', '.join(name for name, _ in DOMAIN_FIELDS)})"
        )
    types = {"EIP712Domain": _domain_fields(domain)}
    separator = _domain_encoder(types).hash_struct(domain)
    if key is not None and len(_SEPARATORS) < 1024:
        _SEPARATORS[key] = separator
    return separator


def _domain_fields(domain: Mapping[str, Any]) -> list[dict[str, str]]:
    return [{"name": name, "type": kind} for name, kind in DOMAIN_FIELDS if name in domain]


def _domain_encoder(types: Mapping[str, Any]) -> StructEncoder:
    key = ("EIP712Domain", tuple((f["name"], f["type"]) for f in types["EIP712Domain"]))
    if key not in _ENCODERS:
        _ENCODERS[key] = StructEncoder(types, "EIP712Domain")
    return _ENCODERS[key]


def digest(domain: Mapping[str, Any], types: Mapping[str, Any], primary_type: str, message: Mapping[str, Any]) -> bytes:
    """The 32-byte EIP-712 digest: ``keccak256(0x1901 || domainSeparator(domain) || hashStruct(message))``."""
    if "EIP712Domain" in types and isinstance(domain, Mapping):
        declared = [(f.get("name"), f.get("type")) for f in types["EIP712Domain"]]
        if declared != [(f["name"], f["type"]) for f in _domain_fields(domain)]:
            raise TypedDataError(
                "EIP712Domain in the types must list the domain's fields in canonical order "
                f"({', '.join(f'{kind} {name}' for name, kind in DOMAIN_FIELDS if name in domain)}); got {declared}"
            )
    return encoder(types, primary_type).digest(domain_separator(domain), message)


# --------------------------------------------------------------------------------------------------
# Signatures


def _private_key(private_key: bytes | str | int) -> PrivateKey:
    try:
        if isinstance(private_key, str):
            private_key = bytes.fromhex(private_key.removeprefix("0x"))
        elif isinstance(private_key, int):
            private_key = private_key.to_bytes(32, "big")
        if isinstance(private_key, bytes) and len(private_key) == 32:
            return PrivateKey(private_key)
    except (ValueError, OverflowError):
        pass
    raise SignatureError("a private key must be 32 bytes (64 hex digits, 0x optional) between 1 and n-1")


def _address(public_key: bytes) -> str:
    return checksum_address("0x" + keccak256(public_key[1:])[12:].hex())


def address_of(private_key: bytes | str | int) -> str:
    """The EIP-55 address of a secp256k1 private key."""
    return _address(_private_key(private_key).public_key.format(compressed=False))


def sign(digest: bytes, private_key: bytes | str | int) -> bytes:
    """Sign a 32-byte digest: 65 bytes ``r || s || v``, ``v`` in {27, 28}, s low (RFC 6979 nonces)."""
    if not isinstance(digest, bytes) or len(digest) != 32:
        raise SignatureError(f"the digest must be 32 bytes, got {digest!r:.80}")
    signature = _private_key(private_key).sign_recoverable(digest, hasher=None)
    return signature[:64] + bytes([27 + signature[64]])


def _signature_bytes(signature: bytes | str) -> bytes:
    if isinstance(signature, str):
        try:
            signature = bytes.fromhex(signature[2:] if signature[:2] in ("0x", "0X") else signature)
        except ValueError:
            raise SignatureError(f"the signature is not hex: {signature[:20]!r}...") from None
    if not isinstance(signature, bytes | bytearray) or len(signature) != 65:
        length = len(signature) if isinstance(signature, bytes | bytearray) else None
        raise SignatureError(f"a signature is 65 bytes (r, s, v), got {length if length is not None else type(signature).__name__}")
    return bytes(signature)


def recover(digest: bytes, signature: bytes | str) -> str:
    """The EIP-55 address whose key signed ``digest``; :class:`SignatureError` if the signature is
    malformed (not 65 bytes, ``v`` not in {0, 1, 27, 28}, ``r`` or ``s`` zero or beyond the curve
    order, ``s`` in the upper half: EIP-2) or recovers no public key."""
    signature = _signature_bytes(signature)
    recid = _V_TO_RECID.get(signature[64])
    if recid is None:
        raise SignatureError(f"signature v must be 27 or 28 (or 0 or 1), got {signature[64]}")
    r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:64], "big")
    if not (0 < r < SECP256K1_N):
        raise SignatureError("signature r is zero or not below the curve order")
    if not (0 < s <= _HALF_N):
        raise SignatureError(
            "signature s is zero or in the upper half of the curve order (EIP-2: a malleated signature); "
            "sign again with a wallet that produces low-s signatures"
        )
    if not isinstance(digest, bytes) or len(digest) != 32:
        raise SignatureError(f"the digest must be 32 bytes, got {digest!r:.80}")
    ctx = GLOBAL_CONTEXT.ctx
    parsed = ffi.new("secp256k1_ecdsa_recoverable_signature *")
    pubkey = ffi.new("secp256k1_pubkey *")
    if not (
        lib.secp256k1_ecdsa_recoverable_signature_parse_compact(ctx, parsed, signature, recid)
        and lib.secp256k1_ecdsa_recover(ctx, pubkey, parsed, digest)
    ):
        raise SignatureError("the signature recovers no public key (r is not on the curve); it is not a valid signature")
    out, size = ffi.new("unsigned char[65]"), ffi.new("size_t *", 65)
    lib.secp256k1_ec_pubkey_serialize(ctx, out, size, pubkey, lib.SECP256K1_EC_UNCOMPRESSED)
    return _address(ffi.buffer(out, 65)[:])
