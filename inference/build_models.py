"""The project's own model, built from data it generates (nothing is downloaded).

A labeling-quality classifier: from four features of a labeler's work (accuracy on gold items,
seconds per item, agreement with other labelers, share of items skipped) it predicts whether the
work is good enough to pay at full rate. The training data is synthetic, drawn with a fixed seed;
the classifier is a logistic regression exported to ONNX with skl2onnx. The same seed gives the
same file, byte for byte, so its sha256 (the asset's contentHash, see ``store.py``) is stable.

``python -m sahara_dao.inference.build_models [OUT_DIR]`` (``make models``) writes
``labeling-quality.onnx`` under ``OUT_DIR`` (default ``var/models``).
"""

import sys
from pathlib import Path

import numpy as np

FEATURES = ("gold_accuracy", "seconds_per_item", "agreement_rate", "skip_rate")
MODEL_FILE = "labeling-quality.onnx"
INPUT_NAME = "features"
SEED = 20261122
OPSET = 17


def synthetic_labeling(rows: int, seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    """``rows`` labelers' features (float32) and whether their work is good (int64 0/1)."""
    rng = np.random.default_rng(seed)
    gold = rng.beta(8, 2, rows)
    seconds = rng.lognormal(np.log(12), 0.6, rows)
    agreement = np.clip(gold * 0.7 + rng.normal(0.2, 0.1, rows), 0, 1)
    skips = rng.beta(1.5, 12, rows)
    # Good work: accurate on gold, in agreement, not rushed (under 4 s per item), few skips; plus noise.
    score = 6 * (gold - 0.75) + 4 * (agreement - 0.7) - 3 * (seconds < 4) - 5 * (skips - 0.1)
    good = (score + rng.normal(0, 0.5, rows) > 0).astype(np.int64)
    features = np.column_stack([gold, seconds, agreement, skips]).astype(np.float32)
    return features, good


def train(seed: int = SEED, rows: int = 20_000):
    """The fitted scikit-learn pipeline (standardization, then logistic regression)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    features, good = synthetic_labeling(rows, seed)
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=500, random_state=seed)).fit(features, good)


def to_onnx_bytes(pipeline) -> bytes:
    """The pipeline as an ONNX model: input ``features`` float32 [batch, 4]; outputs ``label``
    int64 [batch] and ``probabilities`` float32 [batch, 2] (no ZipMap, so batches stay tensors)."""
    from skl2onnx import to_onnx
    from skl2onnx.common.data_types import FloatTensorType

    model = to_onnx(
        pipeline, initial_types=[(INPUT_NAME, FloatTensorType([None, len(FEATURES)]))], target_opset=OPSET,
        options={id(pipeline.steps[-1][1]): {"zipmap": False}}, final_types=None,
    )  # fmt: skip
    model.producer_version = ""  # the file depends on the seed only, not on the converter's build
    model.doc_string = "sahara-dao labeling-quality classifier; features: " + ", ".join(FEATURES)
    return model.SerializeToString()


def build_quality_model(out_dir: Path, seed: int = SEED) -> Path:
    """Train and write ``labeling-quality.onnx`` under ``out_dir``; returns its path."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / MODEL_FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(to_onnx_bytes(train(seed)))
    tmp.replace(path)
    return path


def main(argv: list[str]) -> None:
    from sahara_dao.core.settings import get_settings

    out_dir = Path(argv[0]) if argv else get_settings().data_dir / "models"
    path = build_quality_model(out_dir)
    from sahara_dao.inference.store import file_sha256

    print(f"{path}  sha256 {file_sha256(path)}")


if __name__ == "__main__":
    main(sys.argv[1:])
