"""The root exception of inference and its kinds; every message says what to do next."""

from sahara_dao.core.errors import ConfigError, SaharaError


class InferenceError(SaharaError):
    """Root of every error raised by sahara_dao.inference."""


class ModelRefused(InferenceError, ValueError):
    """A model file does not match the asset it claims to be (hash mismatch, unknown asset)."""


class ModelMissing(InferenceError, LookupError):
    """No model is registered for an asset."""


class PriceError(InferenceError, ConfigError):
    """The inference price configuration is invalid (not an integer of base units, unknown key)."""
