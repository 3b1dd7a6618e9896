"""Errors of sahara_dao.governance."""

from sahara_dao.core.errors import ConfigError, SaharaError


class GovernanceError(SaharaError):
    """Root of the errors of the governance service."""


class ParamsError(GovernanceError, ConfigError):
    """DAO parameters are invalid or would freeze governance."""


class DeploymentError(GovernanceError, RuntimeError):
    """A deployment cannot go on; the message says how to resume or repair it."""


class ProposalError(GovernanceError, ValueError):
    """A proposal action does not fit the proposal's state or inputs."""


class IntentError(ProposalError):
    """A proposal intent names something that does not exist or a value out of range."""
