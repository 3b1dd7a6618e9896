"""The project's own model, built from data it generates (nothing is downloaded).

A labeling-quality classifier: from four features of a labeler's work (accuracy on gold items,
seconds per item, agreement with other labelers, share of items skipped) it predicts whether the
work is good enough to pay at full rate. The training data is synthetic, drawn with a fixed seed;
the classifier is a logistic regression exported to ONNX with skl2onnx. The same seed gives the
same file, byte for byte, on one machine; another CPU may pick other BLAS kernels and train weights
that differ in their last bits, so its sha256 (the asset's contentHash, see ``store.py``) is not
portable. Prices therefore name the model (``sahara.model`` metadata in the file), not its hash.

A second, heavier model exists for throughput work: a review-triage network (a multi-layer
perceptron, two hidden layers of 2,048 units, about 4.3 million weights, 17 MB) that predicts from
64 signals of a labeled item (8 labelers' agreement, speed, confidence, ... ) whether it needs a
second review. One call streams all its weights through the CPU whatever the batch, which is the
cost batching shares out; ``bench/inference.py`` measures it.

``python -m sahara_dao.inference.build_models [OUT_DIR]`` (``make models``) writes
``labeling-quality.onnx`` and ``review-triage.onnx`` under ``OUT_DIR`` (default ``var/models``).
"""

import sys
from pathlib import Path

import numpy as np

from sahara_dao.inference.engine import NAME_KEY

FEATURES = ("gold_accuracy", "seconds_per_item", "agreement_rate", "skip_rate")
QUALITY_NAME, TRIAGE_NAME = "labeling-quality", "review-triage"
MODEL_FILE = f"{QUALITY_NAME}.onnx"
TRIAGE_FILE = f"{TRIAGE_NAME}.onnx"
TRIAGE_SIGNALS, TRIAGE_HIDDEN = 64, (2048, 2048)
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


def synthetic_items(rows: int, seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    """``rows`` labeled items' 64 signals (float32) and whether each needs a second review (int64)."""
    rng = np.random.default_rng(seed + 1)
    signals = rng.normal(size=(rows, TRIAGE_SIGNALS)).astype(np.float32)
    weights = np.random.default_rng(SEED + 2).normal(size=TRIAGE_SIGNALS)  # the task: the same for every seed
    # Disagreement, plus an interaction of the first two labelers' confidence and speed, plus noise.
    score = signals @ weights / 8 + 0.5 * np.sin(signals[:, 0] * signals[:, 1]) + rng.normal(0, 0.3, rows)
    return signals, (score > 0).astype(np.int64)


def train_triage(seed: int = SEED, rows: int = 2_000):
    """The fitted review-triage network (float32 throughout, a few epochs: it exists to be heavy)."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    signals, review = synthetic_items(rows, seed)
    network = MLPClassifier(hidden_layer_sizes=TRIAGE_HIDDEN, max_iter=6, batch_size=250, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return network.fit(signals, review)


def to_onnx_bytes(model, width: int, doc: str, name: str) -> bytes:
    """A fitted classifier as an ONNX model: input ``features`` float32 [batch, width]; outputs
    ``label`` int64 [batch] and ``probabilities`` float32 [batch, 2] (no ZipMap, so batches stay tensors)."""
    from skl2onnx import to_onnx
    from skl2onnx.common.data_types import FloatTensorType

    last = model.steps[-1][1] if hasattr(model, "steps") else model
    graph = to_onnx(
        model, initial_types=[(INPUT_NAME, FloatTensorType([None, width]))], target_opset=OPSET,
        options={id(last): {"zipmap": False}}, final_types=None,
    )  # fmt: skip
    graph.producer_version = ""  # the file depends on the seed only, not on the converter's build
    graph.doc_string = doc
    graph.metadata_props.add(key=NAME_KEY, value=name)  # what inference/prices.yaml prices
    return graph.SerializeToString()


def _write(path: Path, content: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(content)
    tmp.replace(path)
    return path


def build_quality_model(out_dir: Path, seed: int = SEED) -> Path:
    """Train and write ``labeling-quality.onnx`` under ``out_dir``; returns its path."""
    doc = "sahara-dao labeling-quality classifier; features: " + ", ".join(FEATURES)
    return _write(Path(out_dir) / MODEL_FILE, to_onnx_bytes(train(seed), len(FEATURES), doc, QUALITY_NAME))


def build_triage_model(out_dir: Path, seed: int = SEED) -> Path:
    """Train and write ``review-triage.onnx`` under ``out_dir`` (about 20 s on two cores); returns its path."""
    doc = f"sahara-dao review-triage network: {TRIAGE_SIGNALS} signals of a labeled item, hidden {TRIAGE_HIDDEN}"
    return _write(Path(out_dir) / TRIAGE_FILE, to_onnx_bytes(train_triage(seed), TRIAGE_SIGNALS, doc, TRIAGE_NAME))


def main(argv: list[str]) -> None:
    from sahara_dao.core.settings import get_settings

    out_dir = Path(argv[0]) if argv else get_settings().data_dir / "models"
    from sahara_dao.inference.store import file_sha256

    for build in (build_quality_model, build_triage_model):
        path = build(out_dir)
        print(f"{path}  sha256 {file_sha256(path)}")


if __name__ == "__main__":
    main(sys.argv[1:])
