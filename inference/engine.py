"""onnxruntime sessions, one per model file and provider list (cached), input validation, batch
memory estimates and per-request results, for the two kinds of model the store serves:

- **tabular** (the project's classifiers): ``inputs`` is ``{"features": [[f1, ..., fN], ...]}``,
  rows of numbers, as many as the model's input takes; a unit is a row;
- **text embedding** (all-MiniLM-L6-v2, ``build_minilm.py``): ``inputs`` is ``{"texts": ["...", ...]}``;
  texts are tokenized with the vocabulary inside the ONNX file and padded to the batch's longest;
  a unit is a text, the result its 384 numbers (L2-normalised).

Anything else fails that request alone, with the reason (:class:`Malformed`).
"""

import logging
import math
import time
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain
from pathlib import Path

import numpy as np

from sahara_dao.inference.wordpiece import WordPiece

log = logging.getLogger(__name__)
NUMBERS = {int, float}
TEXT_KIND = "text-embedding"
NAME_KEY = "sahara.model"  # metadata naming the model in its ONNX file: what prices.yaml prices
MAX_TEXTS = 1024  # texts in one request at most


class Malformed(ValueError):
    """A request's inputs do not fit the model (shape, dtype, missing input)."""


def row_bytes(path: str) -> int:
    """Bytes one batch row occupies in the graph's tensors: inputs, outputs and every intermediate
    tensor that ONNX shape inference can size (dimensions after the first, times the dtype's size).
    All of them at once: an upper bound, since onnxruntime reuses buffers."""
    import onnx

    graph = onnx.shape_inference.infer_shapes(onnx.load(path)).graph
    total = 0
    for value in (*graph.input, *graph.value_info, *graph.output):
        tensor = value.type.tensor_type
        dims = [d.dim_value for d in tensor.shape.dim[1:]]
        if tensor.shape.dim and all(d > 0 for d in dims):
            total += math.prod(dims) * onnx.helper.tensor_dtype_to_np_dtype(tensor.elem_type).itemsize
    return total


@dataclass(frozen=True)
class TabularModel:
    """A classifier over rows of features: outputs a label and class probabilities per row."""

    session: object
    input_name: str
    width: int
    provider: str
    sha256: str
    bytes_per_row: int  # the graph's tensors for one row (see row_bytes)
    name: str = ""  # the model's name (NAME_KEY metadata), "" when it has none
    kind: str = "tabular"

    def validate(self, inputs) -> np.ndarray:
        """The request's rows as float32 ``[rows, width]``, or :class:`Malformed` with the reason."""
        if not isinstance(inputs, dict) or self.input_name not in inputs:
            raise Malformed(f"missing input '{self.input_name}'")
        rows = inputs[self.input_name]
        if not isinstance(rows, list) or not rows or not all(isinstance(row, list) for row in rows):
            raise Malformed(f"wrong shape: '{self.input_name}' must be a non-empty list of rows of {self.width}")
        if set(map(type, chain.from_iterable(rows))) <= NUMBERS:  # the common case, checked in C
            array = np.asarray(rows, dtype=np.float32) if all(len(row) == self.width for row in rows) else None
            if array is not None and np.isfinite(array).all():
                return array
        for row in rows:
            if len(row) != self.width:
                raise Malformed(f"wrong shape: a row has {len(row)} values, the model takes {self.width}")
            for value in row:
                if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                    raise Malformed(f"wrong dtype: {value!r} is not a finite number")
        raise Malformed("wrong dtype: a value does not fit float32")

    def batch_bytes(self, items: list[np.ndarray]) -> int:
        """Estimated bytes of the tensors in and out of one call on these requests."""
        return sum(len(rows) for rows in items) * self.bytes_per_row

    def run(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
        """Labels, probabilities and the elapsed microseconds of one batch of rows."""
        start = time.perf_counter_ns()
        labels, probabilities = self.session.run(None, {self.input_name: rows})[:2]
        return labels, probabilities, (time.perf_counter_ns() - start) // 1000

    def run_batch(self, items: list[np.ndarray]) -> tuple[list[dict], int]:
        """Each request's result (its rows' predictions) and the microseconds onnxruntime took."""
        labels, probabilities, elapsed_us = self.run(items[0] if len(items) == 1 else np.concatenate(items))
        scored, out, offset = results(labels, probabilities), [], 0
        for rows in items:
            out.append({"predictions": scored[offset:offset + len(rows)]})
            offset += len(rows)
        return out, elapsed_us


@dataclass(frozen=True)
class TextEmbedder:
    """A sentence-embedding model: texts in, one normalised vector per text out."""

    session: object
    provider: str
    sha256: str
    tokenizer: WordPiece
    dimensions: int
    bytes_per_token: int  # inputs and the model's activations per token (declared by the build)
    bytes_per_token_pair: int  # attention scores per pair of tokens
    name: str = ""  # the model's name (NAME_KEY metadata), "" when it has none
    kind: str = TEXT_KIND

    def validate(self, inputs) -> list[list[int]]:
        """The request's texts as token ids, or :class:`Malformed` with the reason."""
        if not isinstance(inputs, dict) or "texts" not in inputs:
            raise Malformed("missing input 'texts'")
        texts = inputs["texts"]
        if not isinstance(texts, list) or not texts:
            raise Malformed("wrong shape: 'texts' must be a non-empty list of strings")
        if len(texts) > MAX_TEXTS:
            raise Malformed(f"wrong shape: {len(texts)} texts, at most {MAX_TEXTS} a request")
        for text in texts:
            if not isinstance(text, str):
                raise Malformed(f"wrong dtype: {text!r} is not a string")
        return [self.tokenizer.encode(text) for text in texts]

    def batch_bytes(self, items: list[list[list[int]]]) -> int:
        """Estimated bytes of one call: every text padded to the longest of the batch."""
        texts = sum(len(item) for item in items)
        tokens = max(len(ids) for item in items for ids in item)
        return texts * (tokens * self.bytes_per_token + tokens * tokens * self.bytes_per_token_pair
                        + self.dimensions * 4)  # fmt: skip

    def embed(self, sequences: list[list[int]]) -> tuple[np.ndarray, int]:
        """Embeddings ``[texts, dimensions]`` of token sequences and the elapsed microseconds."""
        width = max(map(len, sequences))
        input_ids = np.zeros((len(sequences), width), dtype=np.int64)
        mask = np.zeros_like(input_ids)
        for row, ids in enumerate(sequences):
            input_ids[row, :len(ids)], mask[row, :len(ids)] = ids, 1
        start = time.perf_counter_ns()
        (vectors,) = self.session.run(None, {"input_ids": input_ids, "attention_mask": mask})
        return vectors, (time.perf_counter_ns() - start) // 1000

    def run_batch(self, items: list[list[list[int]]]) -> tuple[list[dict], int]:
        vectors, elapsed_us = self.embed([ids for item in items for ids in item])
        rounded = np.round(vectors.astype(np.float64), 6).tolist()
        out, offset = [], 0
        for item in items:
            out.append({"embeddings": rounded[offset:offset + len(item)]})
            offset += len(item)
        return out, elapsed_us


@lru_cache(maxsize=32)
def load_model(path: str, sha256: str, providers: tuple[str, ...], threads: int = 0) -> TabularModel | TextEmbedder:
    """The cached runner of a model file (keyed by its sha256, so a new file gets a new session);
    ``threads``: onnxruntime's intra-op threads (0: its default, one per core)."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3
    options.intra_op_num_threads = threads
    session = onnxruntime.InferenceSession(str(Path(path)), sess_options=options, providers=list(providers))
    provider = session.get_providers()[0]
    log.info("model %s loaded on %s", sha256[:18], provider)
    meta = session.get_modelmeta().custom_metadata_map
    if meta.get("sahara.kind") == TEXT_KIND:
        tokenizer = WordPiece(meta["sahara.vocab"].split("\n"), max_length=int(meta["sahara.max_length"]))
        return TextEmbedder(session, provider, sha256, tokenizer, int(session.get_outputs()[0].shape[1]),
                            int(meta["sahara.bytes_per_token"]), int(meta["sahara.bytes_per_token_pair"]),
                            meta.get(NAME_KEY, ""))  # fmt: skip
    model_input = session.get_inputs()[0]
    return TabularModel(session, model_input.name, int(model_input.shape[1]), provider, sha256, row_bytes(path),
                        meta.get(NAME_KEY, ""))  # fmt: skip


def results(labels: np.ndarray, probabilities: np.ndarray) -> list[dict]:
    """Per row: the predicted label and the probability of label 1 (good work)."""
    p_good = np.round(probabilities[:, 1].astype(np.float64), 6).tolist()
    return [{"label": label, "p_good": p} for label, p in zip(labels.tolist(), p_good, strict=True)]
