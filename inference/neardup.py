"""Near-duplicate items by their text embeddings (the MiniLM model's L2-normalised vectors): two
items whose cosine similarity reaches the threshold say the same thing, e.g. a labeling task sent
twice with other words. Works on the results of embedding requests that ran."""

import numpy as np

from sahara_dao.inference.errors import InferenceError

THRESHOLD = 0.85  # cosine; with MiniLM a reworded short task scores about 0.9, related sentences 0.7-0.8


def near_duplicates(keys: list[str], vectors, *, threshold: float = THRESHOLD) -> list[tuple[str, str, float]]:
    """Pairs ``(key_a, key_b, similarity)`` at or above ``threshold``, most similar first; ``vectors``
    are one unit-length embedding per key."""
    matrix = np.asarray(vectors, dtype=np.float32)
    if matrix.ndim != 2 or len(matrix) != len(keys):
        raise InferenceError(f"need one embedding per key: {len(keys)} keys, vectors of shape {matrix.shape}")
    similarity = matrix @ matrix.T
    first, second = np.nonzero(np.triu(similarity >= threshold, k=1))
    pairs = [(keys[a], keys[b], round(float(similarity[a, b]), 4)) for a, b in zip(first, second, strict=True)]
    return sorted(pairs, key=lambda pair: (-pair[2], pair[0], pair[1]))


def embeddings_of(results: dict[str, dict]) -> tuple[list[str], np.ndarray]:
    """Keys and vectors from embedding requests' results (``request_id -> result``), one text each."""
    keys = sorted(results)
    return keys, np.array([results[key]["embeddings"][0] for key in keys], dtype=np.float32)
