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


class TypedDataError(GovernanceError, ValueError):
    """EIP-712 types or a message do not fit together (unknown type, missing field, bad value)."""


class SignatureError(GovernanceError, ValueError):
    """A signature is malformed (length, v, r or s out of range, high s) or recovers no key."""


class EnvelopeError(GovernanceError, ValueError):
    """A Snapshot envelope is refused; ``reason`` is a short stable code (see governance/messages.py)."""

    def __init__(self, reason: str, detail: str):
        super().__init__(reason, detail)
        self.reason = reason
        self.detail = detail

    def __str__(self) -> str:
        return f"{self.reason}: {self.detail}"


class VotingError(GovernanceError, ValueError):
    """An off-chain voting type is unknown, or votes or a choice do not fit it."""


class ChoiceError(VotingError):
    """A vote's choice is not valid for the proposal's voting type (snapshot.js would ignore the vote)."""


class RelayError(GovernanceError, ValueError):
    """A signed ballot or delegation is malformed, or the vote relay cannot run; the message says why."""


class IntentError(ProposalError):
    """A proposal intent names something that does not exist or a value out of range."""
