"""Errors of sahara_dao.token."""

from sahara_dao.core.errors import ConfigError, SaharaError


class TokenError(SaharaError):
    """Root of the errors of the token operations."""


class AllocationError(TokenError, ConfigError):
    """The genesis allocation file is invalid; the message names the bucket at fault."""


class MerkleTreeError(TokenError, ValueError):
    """A merkle tree cannot be built, loaded or proven from what was given; the message says why."""


class LeavesFileError(TokenError, ValueError):
    """A leaf file (``address,amount`` CSV) cannot be used; ``problems`` lists each bad line.

    ``problems`` holds ``(line number, reason)`` pairs, every bad line of the file; it is empty when
    the file as a whole is at fault (empty, unreadable, no rows).
    """

    def __init__(self, path: object, problems: list[tuple[int, str]], summary: str | None = None):
        self.path = path
        self.problems = list(problems)
        if summary is None:
            summary = f"{len(self.problems)} bad line(s), listed below; fix them and run again"
        lines = [f"{path}: {summary}", *(f"  line {line}: {reason}" for line, reason in self.problems)]
        super().__init__("\n".join(lines))
