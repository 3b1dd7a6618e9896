"""Cumulative claim trees: proofs, growing balances, and the fast EIP-55 checksum."""

import random

import pytest
from eth_utils import to_checksum_address

from sahara_dao.token.claims import (
    add_balances,
    checksum_address,
    claims_tree,
)
from sahara_dao.token.errors import TokenError
from sahara_dao.token.merkle import BALANCE_ENCODING, StandardMerkleTree

ANA = "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65"
BO = "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc"
CY = "0x976EA74026E726554dB657fA54763abd0C3a0aa9"


def test_proofs_verify_against_the_root_and_zero_balances_are_left_out():
    """Every account with a balance gets a leaf whose proof verifies; zero balances get none."""
    claims = claims_tree({ANA: 5, BO.lower(): 7, CY: 0})
    assert claims.balances == {ANA: 5, BO: 7} and claims.total == 12
    for account in (ANA, BO):
        amount, proof = claims.proof(account)
        assert StandardMerkleTree.verify_proof(claims.root, BALANCE_ENCODING, (account, amount), proof)
    with pytest.raises(TokenError, match="has no leaf"):
        claims.proof(CY)


def test_cumulative_balances_only_grow():
    """An epoch adds what each account earned to what it had."""
    assert add_balances({ANA: 5}, {ANA.lower(): 2, BO: 3}) == {ANA: 7, BO: 3}


def test_an_empty_epoch_has_nothing_to_publish():
    """No positive balance: an error instead of an empty tree."""
    with pytest.raises(TokenError, match="nothing to publish"):
        claims_tree({ANA: 0})


def test_the_fast_checksum_agrees_with_eth_utils():
    """checksum_address gives eth_utils' EIP-55 spelling for any case of any address, and its errors."""
    rng = random.Random(7)
    for _ in range(2_000):
        raw = "0x" + rng.randbytes(20).hex()
        for spelling in (raw, raw.upper().replace("0X", "0x"), to_checksum_address(raw), raw[2:], raw.replace("0x", "0X")):
            assert checksum_address(spelling) == to_checksum_address(spelling)
    assert checksum_address(bytes(range(20))) == to_checksum_address(bytes(range(20)))
    for bad in ("0x" + "g" * 40, "0x" + "a" * 39, "0x" + "a" * 41, "0x" + "a" * 38 + " a"):
        with pytest.raises(ValueError):
            to_checksum_address(bad)
        with pytest.raises(ValueError):
            checksum_address(bad)
