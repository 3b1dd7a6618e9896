"""The model store: a file is served for an asset only when its sha256 is the asset's contentHash."""

import hashlib

import pytest

from sahara_dao.inference.errors import ModelMissing, ModelRefused
from sahara_dao.inference.store import file_sha256, model_path, register_model


def test_a_model_whose_hash_matches_is_registered_once(session, quality_model, tmp_path):
    """Registering the file under its own sha256 stores it; registering it again changes nothing."""
    digest = bytes.fromhex(hashlib.sha256(quality_model.read_bytes()).hexdigest())
    for _ in range(2):
        row = register_model(session, models_dir=tmp_path / "store", source=quality_model, chain_id=1, asset_id=7,
                             content_hash=digest, registered_at=100)  # fmt: skip
    path, sha256 = model_path(session, chain_id=1, asset_id=7)
    assert sha256 == row.sha256 == file_sha256(quality_model) and path.read_bytes() == quality_model.read_bytes()


def test_a_model_whose_hash_differs_is_refused(session, quality_model, tmp_path):
    """A contentHash other than the file's sha256 refuses the file and says what to do."""
    with pytest.raises(ModelRefused, match="register the asset with this file's sha256"):
        register_model(session, models_dir=tmp_path, source=quality_model, chain_id=1, asset_id=7,
                       content_hash="0x" + "ab" * 32, registered_at=100)  # fmt: skip
    with pytest.raises(ModelMissing, match="no model is registered for asset 7"):
        model_path(session, chain_id=1, asset_id=7)


def test_a_stored_model_that_changed_is_refused(session, quality_model, tmp_path):
    """A stored file altered after registration no longer matches the asset's hash."""
    row = register_model(session, models_dir=tmp_path, source=quality_model, chain_id=1, asset_id=7,
                         content_hash=file_sha256(quality_model), registered_at=100)  # fmt: skip
    with open(row.path, "ab") as handle:
        handle.write(b"\0")
    with pytest.raises(ModelRefused):
        model_path(session, chain_id=1, asset_id=7)
