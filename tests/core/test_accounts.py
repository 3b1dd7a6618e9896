"""Picking the signing account: an alias, or the development account that qualifies on local chains."""

import pytest

from sahara_dao.core.accounts import load_signer
from sahara_dao.core.errors import AccountError


def test_load_signer_picks_the_first_development_account_that_qualifies():
    """Without --account on a local chain, the dev account holding the role signs."""
    from ape import accounts

    wanted = accounts.test_accounts[3].address
    signer = load_signer(None, local=True, qualifies=lambda address: address == wanted, what="the operator")
    assert signer.address == wanted


def test_load_signer_takes_the_alias_over_the_search():
    """An explicit dev:N is used as given, qualified or not."""
    from ape import accounts

    signer = load_signer("dev:5", local=True, qualifies=lambda _: False, what="the operator")
    assert signer.address == accounts.test_accounts[5].address


def test_load_signer_says_what_to_do_when_nobody_qualifies():
    """No dev account qualifies: the error names what was looked for and asks for --account."""
    with pytest.raises(AccountError, match="no development account is a holder of PAYER_ROLE.*--account"):
        load_signer(None, local=True, qualifies=lambda _: False, what="a holder of PAYER_ROLE")


def test_load_signer_never_uses_development_accounts_off_local_chains():
    """On a real network an alias is required, even when a dev account would qualify."""
    with pytest.raises(AccountError, match="--account ALIAS"):
        load_signer(None, local=False, qualifies=lambda _: True, what="the operator")
