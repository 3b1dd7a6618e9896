"""Snapshot's signed messages, identical to @snapshot-labs/snapshot.js 0.17.5 (``src/sign``).

snapshot.js signs every action (a vote, a proposal, space settings, a follow...) as EIP-712 typed data
under the domain ``{name: "snapshot", version: "0.1.4"}`` and posts the envelope
``{"address": signer, "sig": "0x...", "data": {"domain": ..., "types": ..., "message": ...}}``.

- :data:`TYPES`: every type set snapshot.js signs with, keyed by the name Snapshot's sequencer gives
  it (``src/sign/hashedTypes.json`` maps ``sha256(JSON.stringify(types))`` to these names): ``settings``
  (Space), ``proposal``, ``update-proposal``, ``flag-proposal``, ``delete-proposal`` (CancelProposal),
  ``vote`` (uint32 choice), ``vote-array`` (uint32[] choice), ``vote-string`` (string choice),
  ``follow``, ``unfollow``, ``subscribe``, ``unsubscribe``, ``profile``, ``statement``, ``alias``,
  ``delete-space``.
- :func:`vote_type`: the Vote variant and the signed form of a choice for a voting type, as
  snapshot.js's ``Client.vote`` picks them.
- :func:`sign_envelope`: the envelope snapshot.js's ``Client712`` would post for an action (same
  defaults, ``from`` and ``timestamp`` conventions, key order), signed with a private key.
- :func:`verify_envelope` / :func:`check_envelope`: the signer of an envelope, or an
  :class:`~sahara_dao.governance.errors.EnvelopeError` whose ``reason`` is one of :data:`REASONS`.

Only EOA signatures are accepted: snapshot.js also accepts EIP-1271 / EIP-6492 contract wallets (and
Starknet accounts) by calling the chain; we do not.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Mapping
from typing import Any, NamedTuple

from sahara_dao.governance import eip712
from sahara_dao.governance.errors import EnvelopeError, SignatureError, TypedDataError
from sahara_dao.token.claims import checksum_address

DOMAIN_NAME = "snapshot"
DOMAIN_VERSION = "0.1.4"
DOMAIN: dict[str, Any] = {"name": DOMAIN_NAME, "version": DOMAIN_VERSION}

REASONS = {
    "malformed-envelope": "not {address, sig, data: {domain, types, message}}, or an address that is not an EVM address",
    "wrong-domain": f"the domain is not {{name: '{DOMAIN_NAME}', version: '{DOMAIN_VERSION}'}} (plus an optional chainId)",
    "unknown-type": "the types are not exactly one of snapshot.js's type sets",
    "malformed-field": "the message misses a field, holds one its type does not declare, or a value does not fit",
    "bad-signature": "the signature is malformed (length, v, high s) or recovers no key",
    "signer-mismatch": "the signature recovers another address than the envelope's address or message.from",
}
"""The stable codes :class:`EnvelopeError` carries in ``reason``, with what each means."""


def _struct(name: str, *fields: str) -> dict[str, list[dict[str, str]]]:
    """``_struct("Vote", "from string", ...)`` -> ``{"Vote": [{"name": "from", "type": "string"}, ...]}``."""
    return {name: [dict(zip(("name", "type"), field.split(), strict=True)) for field in fields]}


def _vote(choice: str) -> dict[str, list[dict[str, str]]]:
    return _struct(
        "Vote", "from string", "space string", "timestamp uint64", "proposal string", f"choice {choice}",
        "reason string", "app string", "metadata string",
    )  # fmt: skip


_PROPOSAL_TEXT = ("type string", "title string", "body string", "discussion string", "choices string[]", "labels string[]")
_SPACE_ACTION = ("from address", "space string", "timestamp uint64")

TYPES: dict[str, dict[str, list[dict[str, str]]]] = {
    "settings": _struct("Space", "from address", "space string", "timestamp uint64", "settings string"),
    "proposal": _struct(
        "Proposal", "from string", "space string", "timestamp uint64", *_PROPOSAL_TEXT, "start uint64",
        "end uint64", "snapshot uint64", "plugins string", "privacy string", "app string",
    ),  # fmt: skip
    "update-proposal": _struct(
        "UpdateProposal", "proposal string", "from string", "space string", "timestamp uint64", *_PROPOSAL_TEXT,
        "plugins string", "privacy string",
    ),  # fmt: skip
    "flag-proposal": _struct("FlagProposal", "from string", "space string", "proposal string", "timestamp uint64"),
    "delete-proposal": _struct("CancelProposal", "from string", "space string", "timestamp uint64", "proposal string"),
    "vote": _vote("uint32"),
    "vote-array": _vote("uint32[]"),
    "vote-string": _vote("string"),
    "follow": _struct("Follow", "from address", "network string", "space string", "timestamp uint64"),
    "unfollow": _struct("Unfollow", "from address", "network string", "space string", "timestamp uint64"),
    "subscribe": _struct("Subscribe", *_SPACE_ACTION),
    "unsubscribe": _struct("Unsubscribe", *_SPACE_ACTION),
    "profile": _struct("Profile", "from address", "timestamp uint64", "profile string"),
    "statement": _struct(
        "Statement", "from address", "timestamp uint64", "space string", "about string", "statement string",
        "discourse string", "status string", "network string",
    ),  # fmt: skip
    "alias": _struct("Alias", "from address", "alias address", "timestamp uint64"),
    "delete-space": _struct("DeleteSpace", *_SPACE_ACTION),
}
"""snapshot.js 0.17.5's type sets (``src/sign/types.ts``) by the sequencer's name for each."""

ACTIONS = {
    "space": "settings", "proposal": "proposal", "update-proposal": "update-proposal",
    "flag-proposal": "flag-proposal", "cancel-proposal": "delete-proposal", "vote": None, "follow": "follow",
    "unfollow": "unfollow", "subscribe": "subscribe", "unsubscribe": "unsubscribe", "profile": "profile",
    "statement": "statement", "alias": "alias", "delete-space": "delete-space",
}  # fmt: skip
"""``Client712``'s methods (kebab-case) -> the type set they sign with (``vote`` picks one, see :func:`vote_type`)."""

VOTING_TYPES = ("single-choice", "approval", "quadratic", "ranked-choice", "copeland", "weighted", "basic")

_PRIMARY = {name: next(iter(types)) for name, types in TYPES.items()}
_BY_PRIMARY: dict[str, list[tuple[str, dict]]] = {}
for _name, _types in TYPES.items():
    _BY_PRIMARY.setdefault(_PRIMARY[_name], []).append((_name, _types))
ENCODERS = {name: eip712.encoder(types, _PRIMARY[name]) for name, types in TYPES.items()}
"""The compiled EIP-712 encoder of each type set (``ENCODERS["vote"].digest(DOMAIN_SEPARATOR, message)``)."""
# Fields whose JSON value must be a number (uint64 timestamps, the uint32 choice) or a list of numbers.
_NUMBERS = {name: [f["name"] for f in types[_PRIMARY[name]] if f["type"].startswith("uint") and "[" not in f["type"]]
            for name, types in TYPES.items()}  # fmt: skip
DOMAIN_SEPARATOR = eip712.domain_separator(DOMAIN)
_EVM_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")
_ENVELOPE_KEYS = frozenset(("address", "sig", "data"))
_DATA_KEYS = frozenset(("domain", "types", "message"))


# --------------------------------------------------------------------------------------------------
# Votes


def js_json(value: Any) -> str:
    """``JSON.stringify(value)`` as JavaScript writes it: no spaces, non-ASCII kept, integer-like object
    keys first in ascending order (JavaScript's property order), integral floats without ``.0``."""
    return json.dumps(_js_value(value), separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def _js_value(value: Any) -> Any:
    if isinstance(value, Mapping):
        keys = [str(key) for key in value]
        index = sorted((k for k in keys if k == "0" or re.fullmatch(r"[1-9][0-9]*", k) and int(k) < 2**32 - 1), key=int)
        ordered = index + [k for k in keys if k not in set(index)]
        items = {str(key): item for key, item in value.items()}
        return {key: _js_value(items[key]) for key in ordered}
    if isinstance(value, list | tuple):
        return [_js_value(item) for item in value]
    if isinstance(value, float) and math.isfinite(value) and value.is_integer() and abs(value) < 1e21:
        return int(value)
    return value


def vote_type(voting_type: str, choice: Any, privacy: str | None = None) -> tuple[str, Any]:
    """The Vote type set and the signed choice for a vote, as snapshot.js's ``Client.vote`` picks them:
    ``approval`` and ``ranked-choice`` sign a ``uint32[]`` choice (``vote-array``); ``quadratic`` and
    ``weighted`` sign ``JSON.stringify(choice)`` as a string (``vote-string``); a ``shutter``-private
    vote signs its encrypted choice as a string; every other type (single-choice, basic, and copeland,
    which snapshot.js 0.17.5 does not list) signs a ``uint32`` choice (``vote``)."""
    if voting_type not in VOTING_TYPES:
        raise TypedDataError(f"unknown voting type {voting_type!r}: one of {', '.join(VOTING_TYPES)}")
    shutter = privacy == "shutter"
    if shutter:
        return "vote-string", choice
    if voting_type in ("approval", "ranked-choice"):
        return "vote-array", choice
    if voting_type in ("quadratic", "weighted"):
        return "vote-string", js_json(choice)
    return "vote", choice


# --------------------------------------------------------------------------------------------------
# Signing


def _defaults(action: str, message: dict[str, Any]) -> str | None:
    """Apply snapshot.js's per-action defaults to ``message`` in place; the type set for a vote."""
    if action == "proposal":
        for key, empty in (("labels", []), ("discussion", ""), ("app", ""), ("privacy", "")):
            if not message.get(key):
                message[key] = empty
    elif action == "update-proposal":
        if not message.get("privacy"):
            message["privacy"] = ""
    elif action == "vote":
        for key, empty in (("reason", ""), ("app", ""), ("metadata", "{}")):
            if not message.get(key):
                message[key] = empty
        if "type" not in message:
            raise TypedDataError(f"a vote message needs its proposal's voting type in 'type' ({', '.join(VOTING_TYPES)})")
        name, message["choice"] = vote_type(message["type"], message.get("choice"), message.get("privacy"))
        message.pop("privacy", None)
        message.pop("type", None)
        return name
    return None


def sign_envelope(
    kind: str, message: Mapping[str, Any], private_key: bytes | str | int, *, chain_id: int | None = None
) -> dict[str, Any]:
    """The envelope snapshot.js's ``Client712.<kind>(wallet, address, message)`` posts, signed with
    ``private_key``: ``{"address", "sig", "data": {"domain", "types", "message"}}``.

    ``kind`` is a ``Client712`` method in kebab-case (see :data:`ACTIONS`: ``vote``, ``proposal``,
    ``cancel-proposal``, ``space``...). As snapshot.js does, the message gets the action's defaults (a
    vote's ``reason``, ``app``, ``metadata``; a proposal's ``labels``, ``discussion``, ``app``,
    ``privacy``), ``from`` becomes the checksummed ``from`` given or the signer, and ``timestamp`` the
    current Unix time when absent; a vote's ``type`` (its proposal's voting type) and ``privacy`` pick
    the Vote type set and leave the message. ``chain_id`` adds ``chainId`` to the domain (snapshot.js
    does so for Trust Wallet only). The caller's message is not modified.
    """
    if kind not in ACTIONS:
        raise TypedDataError(f"unknown Snapshot action {kind!r}: one of {', '.join(ACTIONS)}")
    address = eip712.address_of(private_key)
    message = dict(message)
    name = _defaults(kind, message) or ACTIONS[kind]
    if kind == "cancel-proposal" and not isinstance(message.get("proposal"), str):
        raise TypedDataError("a cancel-proposal message needs the proposal id in 'proposal'")
    sender = message.get("from")
    message["from"] = checksum_address("0x" + eip712.address_bytes(sender, "from").hex()) if sender else address
    if not message.get("timestamp"):
        message["timestamp"] = round(time.time())
    domain = dict(DOMAIN) if chain_id is None else {**DOMAIN, "chainId": chain_id}
    types = json.loads(json.dumps(TYPES[name]))  # the caller may change its copy, never the registry
    signature = eip712.sign(eip712.digest(domain, types, _PRIMARY[name], message), private_key)
    return {"address": address, "sig": "0x" + signature.hex(), "data": {"domain": domain, "types": types, "message": message}}


# --------------------------------------------------------------------------------------------------
# Verifying


class SignedMessage(NamedTuple):
    """A verified envelope: its signer (EIP-55), type set name (:data:`TYPES`), message and digest."""

    signer: str
    type: str
    message: dict[str, Any]
    digest: bytes


def _separator(domain: Any) -> bytes:
    if domain == DOMAIN:
        return DOMAIN_SEPARATOR
    if not isinstance(domain, Mapping):
        raise EnvelopeError("wrong-domain", f"the domain must be an object, got {domain!r:.60}")
    if domain.get("name") != DOMAIN_NAME or domain.get("version") != DOMAIN_VERSION:
        raise EnvelopeError(
            "wrong-domain",
            f"domain {{name: {domain.get('name')!r}, version: {domain.get('version')!r}}} is not snapshot.js's "
            f"{{name: '{DOMAIN_NAME}', version: '{DOMAIN_VERSION}'}}",
        )
    extra = set(domain) - {"name", "version", "chainId"}
    if extra:
        raise EnvelopeError("wrong-domain", f"the domain holds {', '.join(sorted(map(str, extra)))}; snapshot.js signs only name, version and chainId")
    chain_id = domain["chainId"]
    if not (type(chain_id) is int and chain_id > 0):
        raise EnvelopeError("wrong-domain", f"domain chainId must be a positive integer, got {chain_id!r:.40}")
    return eip712.domain_separator(domain)


def _type_name(types: Any) -> str:
    if isinstance(types, Mapping) and len(types) == 1:
        for name, known in _BY_PRIMARY.get(next(iter(types)), ()):
            if types == known:
                return name
    shown = ", ".join(map(str, types)) if isinstance(types, Mapping) else repr(types)[:60]
    raise EnvelopeError(
        "unknown-type",
        f"types {{{shown}}} are not one of snapshot.js 0.17.5's type sets (the field list must match exactly)",
    )


def _evm_address(value: Any, what: str, reason: str) -> str:
    if isinstance(value, str) and _EVM_ADDRESS.fullmatch(value):
        return value
    raise EnvelopeError(reason, f"{what} must be an EVM address (0x and 40 hex digits; Starknet signers are not supported), got {value!r:.60}")


def check_envelope(envelope: Any) -> SignedMessage:
    """Verify a snapshot.js envelope; the signer, type set, message and digest, or an
    :class:`EnvelopeError` with a ``reason`` from :data:`REASONS`."""
    if not isinstance(envelope, Mapping) or envelope.keys() != _ENVELOPE_KEYS:
        keys = sorted(map(str, envelope)) if isinstance(envelope, Mapping) else type(envelope).__name__
        raise EnvelopeError("malformed-envelope", f"an envelope is {{address, sig, data}}, got {keys}")
    data = envelope["data"]
    if not isinstance(data, Mapping) or not (
        data.keys() == _DATA_KEYS or (data.keys() == _DATA_KEYS | {"primaryType"})
    ):
        keys = sorted(map(str, data)) if isinstance(data, Mapping) else type(data).__name__
        raise EnvelopeError("malformed-envelope", f"envelope data is {{domain, types, message}}, got {keys}")
    address = _evm_address(envelope["address"], "the envelope's address", "malformed-envelope")
    separator = _separator(data["domain"])
    name = _type_name(data["types"])
    if data.get("primaryType", _PRIMARY[name]) != _PRIMARY[name]:
        raise EnvelopeError("unknown-type", f"primaryType {data['primaryType']!r} is not {_PRIMARY[name]!r}")
    message = data["message"]
    try:
        digest = ENCODERS[name].digest(separator, message)
    except TypedDataError as exc:
        raise EnvelopeError("malformed-field", str(exc)) from None
    for field in _NUMBERS[name]:
        if type(message[field]) is not int:
            raise EnvelopeError("malformed-field", f"{_PRIMARY[name]}.{field} must be a JSON integer, got {message[field]!r:.40}")
    if name == "vote-array" and any(type(choice) is not int for choice in message["choice"]):
        raise EnvelopeError("malformed-field", f"Vote.choice must be a list of JSON integers, got {message['choice']!r:.60}")
    sender = _evm_address(message["from"], "message.from", "malformed-field")
    try:
        signer = eip712.recover(digest, envelope["sig"])
    except SignatureError as exc:
        raise EnvelopeError("bad-signature", str(exc)) from None
    if signer.lower() != address.lower():
        raise EnvelopeError("signer-mismatch", f"the signature recovers {signer}, not the envelope's address {address} (a changed message or another key)")
    if sender.lower() != address.lower():
        raise EnvelopeError("signer-mismatch", f"message.from {sender} is not the signer {signer}")
    return SignedMessage(signer, name, message, digest)


def verify_envelope(envelope: Any) -> str:
    """The EIP-55 address that signed a snapshot.js envelope ``{address, sig, data}``; an
    :class:`EnvelopeError` (``reason`` in :data:`REASONS`) if it is refused."""
    return check_envelope(envelope).signer
