"""The model store: ONNX files registered against an asset on a chain, checked against the chain.

An asset's ``contentHash`` in the registry is the **sha256** of its model file's bytes (the digest
that IAssetRegistry documents as its example). A file whose sha256 differs from the contentHash on
chain is refused; a registered file that changed since is refused when it is loaded.
"""

import hashlib
import shutil
from pathlib import Path

from sqlmodel import Session

from sahara_dao.inference.errors import ModelMissing, ModelRefused
from sahara_dao.inference.models import InferenceModel


def file_sha256(path: Path) -> str:
    """``0x`` + the sha256 of the file's bytes: what the asset's contentHash must be."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return "0x" + digest.hexdigest()


def normalize_hash(value) -> str:
    """A bytes32 (bytes or hex string) as lower-case ``0x`` hex."""
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    text = str(value).lower()
    return text if text.startswith("0x") else "0x" + text


def check_content(path: Path, content_hash, *, asset_id: int, chain_id: int) -> str:
    """The file's sha256 if it equals ``content_hash`` (the asset's on chain), else :class:`ModelRefused`."""
    actual, expected = file_sha256(path), normalize_hash(content_hash)
    if actual != expected:
        raise ModelRefused(
            f"model file {path} has sha256 {actual}, but asset {asset_id} on chain {chain_id} has contentHash "
            f"{expected}: register the asset with this file's sha256, or use the file it was registered with"
        )
    return actual


def register_model(
    session: Session, *, models_dir: Path, source: Path, chain_id: int, asset_id: int, content_hash, registered_at: int,
) -> InferenceModel:
    """Copy ``source`` into the store as the model of ``asset_id`` after checking it against the
    asset's on-chain ``content_hash``; registering the same file again changes nothing."""
    digest = check_content(source, content_hash, asset_id=asset_id, chain_id=chain_id)
    target = Path(models_dir) / f"{digest[2:]}.onnx"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target.with_suffix(".tmp"))
        target.with_suffix(".tmp").replace(target)
    row = session.get(InferenceModel, (chain_id, asset_id))
    if row is None:
        row = InferenceModel(chain_id=chain_id, asset_id=asset_id, sha256=digest, path=str(target),
                             registered_at=registered_at)  # fmt: skip
        session.add(row)
    else:
        row.sha256, row.path, row.registered_at = digest, str(target), registered_at
    session.flush()
    return row


def model_path(session: Session, *, chain_id: int, asset_id: int) -> tuple[Path, str]:
    """The stored file of an asset's model and its sha256, checked again (a changed file is refused)."""
    row = session.get(InferenceModel, (chain_id, asset_id))
    if row is None:
        raise ModelMissing(
            f"no model is registered for asset {asset_id} on chain {chain_id}: register its ONNX file "
            "(sahara infer register) first"
        )
    check_content(Path(row.path), row.sha256, asset_id=asset_id, chain_id=chain_id)
    return Path(row.path), row.sha256
