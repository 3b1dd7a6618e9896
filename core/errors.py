"""The root exception of sahara_dao and the errors shared by every part.

Each domain package derives its own root from :class:`SaharaError`; every message says what went
wrong and what to do next.
"""


class SaharaError(Exception):
    """Root of every error raised by sahara_dao."""


class ConfigError(SaharaError, ValueError):
    """A settings value or configuration file is invalid."""


class NetworkError(SaharaError, ValueError):
    """A network choice is unknown or its node cannot be reached."""


class AccountError(SaharaError, ValueError):
    """The signing account is missing, locked or unfunded."""


class ToolchainError(SaharaError, RuntimeError):
    """Node.js, npm, the compiler launcher or anvil is missing."""
