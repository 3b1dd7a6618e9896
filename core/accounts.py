"""Signing accounts: Ape accounts by alias, or the development accounts on local chains.

Keys never come from the repository, the database or logs: an alias names an Ape keyfile account
(`ape accounts import ALIAS`); its passphrase comes from Ape's prompt or its environment variable.
"""

from sahara_dao.core.errors import AccountError

DEV_PREFIX = "dev:"


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


def require_funds(account, what: str) -> int:
    """The account's balance; an error that says what to do when it has nothing to pay gas with."""
    balance = account.balance
    if balance == 0:
        raise AccountError(f"account {account.address} has no native coin to pay gas for {what}: fund it and rerun")
    return balance
