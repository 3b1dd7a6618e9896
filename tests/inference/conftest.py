"""Fixtures of the inference tests: the project's own model, built once into a temporary folder."""

import pytest

from sahara_dao.inference.build_models import build_quality_model


@pytest.fixture(scope="session")
def quality_model(tmp_path_factory):
    """The labeling-quality classifier as ONNX, built by the project from its synthetic data."""
    return build_quality_model(tmp_path_factory.mktemp("models"))
