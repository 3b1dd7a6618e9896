"""Signing accounts: Ape accounts by alias, or the development accounts on local chains.

Keys never come from the repository, the database or logs: an alias names an Ape keyfile account
(`ape accounts import ALIAS`); its passphrase comes from Ape's prompt or its environment variable.
"""

from collections.abc import Callable

from sahara_dao.core.errors import AccountError

DEV_PREFIX = "dev:"
DEV_ACCOUNTS = 10  # the development accounts of ape-config.yaml's test mnemonic


def load_account(alias: str | None, *, local: bool):
    """The account for ``alias``: ``None`` or ``dev:N`` are development accounts (local chains only)."""
    from ape import accounts
    from ape.exceptions import AccountsError

    if alias is None or alias.startswith(DEV_PREFIX):
        if not local:
            raise AccountError(
                "on a non-local network choose the signer with --account ALIAS "
                "(an Ape account: `ape accounts import ALIAS`)"
            )
        index = int(alias[len(DEV_PREFIX):] or 0) if alias else 0
        return accounts.test_accounts[index]
    try:
        return accounts.load(alias)
    except (KeyError, AccountsError):
        known = ", ".join(a.alias for a in accounts if getattr(a, "alias", None)) or "none"
        raise AccountError(
            f"no Ape account named '{alias}' (known: {known}): import its key with `ape accounts import {alias}`"
        ) from None


def load_signer(alias: str | None, *, local: bool, qualifies: Callable[[str], bool], what: str):
    """``alias`` when given (or on a non-local chain); otherwise the first development account whose
    address ``qualifies`` (holds the role, is the configured operator, ...): ``what`` names it in the
    error when none does."""
    if alias is not None or not local:
        return load_account(alias, local=local)
    for index in range(DEV_ACCOUNTS):
        account = load_account(f"{DEV_PREFIX}{index}", local=True)
        if qualifies(account.address):
            return account
    raise AccountError(f"no development account is {what}: choose the signer with --account ALIAS")


def require_funds(account, what: str) -> int:
    """The account's balance; an error that says what to do when it has nothing to pay gas with."""
    balance = account.balance
    if balance == 0:
        raise AccountError(f"account {account.address} has no native coin to pay gas for {what}: fund it and rerun")
    return balance
