"""Errors of sahara_dao.token."""

from sahara_dao.core.errors import ConfigError, SaharaError


class TokenError(SaharaError):
    """Root of the errors of the token operations."""


class AllocationError(TokenError, ConfigError):
    """The genesis allocation file is invalid; the message names the bucket at fault."""


class MerkleTreeError(TokenError, ValueError):
    """A merkle tree cannot be built, loaded or proven from what was given; the message says why."""
