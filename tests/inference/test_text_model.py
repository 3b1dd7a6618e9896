"""The text-embedding path: WordPiece tokenization, batch memory estimates and padding-aware batches.
With ``make models-minilm`` built, the real all-MiniLM-L6-v2 export is checked too."""

from pathlib import Path

import numpy as np
import pytest

from sahara_dao.core.settings import get_settings
from sahara_dao.inference.engine import Malformed, TextEmbedder, load_model
from sahara_dao.inference.providers import CPU
from sahara_dao.inference.store import file_sha256
from sahara_dao.inference.wordpiece import WordPiece, basic_tokens

TINY_VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "stop", "sign", "##s", "un", "##label", "##led", "cafe", ".", "'", "東"]
MINILM = get_settings().inference_text_model  # make models-minilm
needs_minilm = pytest.mark.skipif(not MINILM.exists(), reason=f"{MINILM} not built (make models-minilm)")


def test_basic_tokens_lower_strip_accents_and_split_punctuation():
    """Lower case, accents stripped, punctuation and CJK characters split off, control characters dropped."""
    assert basic_tokens("Café\u0000 STOP-signs,\tdon't 東京") == ["cafe", "stop", "-", "signs", ",", "don", "'", "t", "東", "京"]


def test_wordpiece_takes_the_longest_pieces_and_unknown_words_whole():
    """Greedy longest match with ## continuations; a word with no pieces is one [UNK]."""
    pieces = WordPiece(TINY_VOCAB, max_length=8)
    assert pieces.encode("Stop signs. Unlabel") == [2, 4, 5, 6, 11, 7, 8, 3]
    assert pieces.encode("Stop signs. Unlabelled") == [2, 4, 5, 6, 11, 7, 8, 3]  # cut to 8 ids: "##led" falls off
    assert pieces.encode("unknownword 東") == [2, 1, 13, 3]
    assert pieces.encode("") == [2, 3]


def embedder(bytes_per_token=1000, pair=10) -> TextEmbedder:
    return TextEmbedder(None, CPU, "0x00", WordPiece(TINY_VOCAB), 384, bytes_per_token, pair)


def test_text_inputs_are_validated_with_the_reason():
    """Missing texts, a non-list and a non-string each fail alone with what is wrong."""
    model = embedder()
    for inputs, reason in [({"features": []}, "missing input 'texts'"), ({"texts": "stop"}, "wrong shape"),
                           ({"texts": []}, "wrong shape"), ({"texts": ["stop", 3]}, "wrong dtype")]:  # fmt: skip
        with pytest.raises(Malformed, match=reason):
            model.validate(inputs)
    assert model.validate({"texts": ["stop sign", "cafe"]}) == [[2, 4, 5, 3], [2, 10, 3]]


def test_a_text_batch_costs_its_longest_text_for_every_text():
    """Padding: two texts of 3 and 10 tokens cost like two of 10 tokens (plus the attention pairs)."""
    model = embedder(bytes_per_token=1000, pair=10)
    short, long = [[1] * 3], [[1] * 10]
    alone = model.batch_bytes([short])
    assert alone == 3 * 1000 + 9 * 10 + 384 * 4
    assert model.batch_bytes([short, long]) == 2 * (10 * 1000 + 100 * 10 + 384 * 4)


@needs_minilm
def test_minilm_tokenizes_like_the_reference_and_embeds_by_meaning():
    """The vocabulary inside the ONNX file gives the ids of the `tokenizers` package, and the embeddings
    put paraphrases closer than unrelated sentences; batched results equal one by one."""
    model = load_model(str(MINILM), file_sha256(MINILM), (CPU,))
    assert model.kind == "text-embedding"
    assert model.tokenizer.encode("Trap question #17: it's red & says 'STOP'.") == [
        101, 8132, 3160, 1001, 2459, 1024, 2009, 1005, 1055, 2417, 1004, 2758, 1005, 2644, 1005, 1012, 102]
    assert model.tokenizer.encode("Café déjà vu, 東京, CO₂ at 3.5°C") == [
        101, 7668, 2139, 3900, 24728, 1010, 1879, 1755, 1010, 20190, 2012, 1017, 1012, 1019, 7737, 2278, 102]
    texts = ["A man is eating food.", "A man is eating a piece of bread.", "The stock market fell sharply today."]
    items = [model.validate({"texts": [text]}) for text in texts]
    outputs, _ = model.run_batch(items)
    vectors = np.array([out["embeddings"][0] for out in outputs])
    assert vectors.shape == (3, 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
    assert vectors[0] @ vectors[1] > 0.6 > 0.2 > vectors[0] @ vectors[2]
    alone = model.run_batch([items[2]])[0][0]["embeddings"][0]
    np.testing.assert_allclose(alone, vectors[2], atol=1e-5)


def test_minilm_build_is_not_imported_by_the_app():
    """build_minilm.py imports torch and transformers only inside its build (the app has neither)."""
    source = Path(__file__).resolve().parents[2] / "inference" / "build_minilm.py"
    top = [line for line in source.read_text().splitlines() if line.startswith(("import ", "from "))]
    assert not any("torch" in line or "transformers" in line for line in top)


def test_near_duplicates_pairs_items_above_the_threshold():
    """Unit vectors: the pair at cosine 0.96 is reported, the orthogonal one is not; the order is by similarity."""
    from sahara_dao.inference.neardup import near_duplicates

    angle = np.arccos(0.96)
    vectors = [[1, 0, 0], [np.cos(angle), np.sin(angle), 0], [0, 0, 1], [0, 0.1, 0.995]]
    assert near_duplicates(["a", "b", "c", "d"], vectors, threshold=0.9) == [("c", "d", 0.995), ("a", "b", 0.96)]
    with pytest.raises(Exception, match="one embedding per key"):
        near_duplicates(["a"], vectors)


@needs_minilm
def test_minilm_finds_a_labeling_task_sent_twice_in_other_words():
    """Among labeled items, the reworded copy of a task is its near duplicate; different tasks are not."""
    from sahara_dao.inference.neardup import embeddings_of, near_duplicates

    model = load_model(str(MINILM), file_sha256(MINILM), (CPU,))
    texts = {"t1": "Draw a box around every stop sign in the image.",
             "t2": "Draw boxes around all the stop signs in this image.",
             "t3": "Transcribe the handwritten address on the envelope.",
             "t4": "Rate how polite the customer support reply is."}  # fmt: skip
    outputs, _ = model.run_batch([model.validate({"texts": [text]}) for text in texts.values()])
    keys, vectors = embeddings_of(dict(zip(texts, outputs, strict=True)))
    assert [pair[:2] for pair in near_duplicates(keys, vectors)] == [("t1", "t2")]  # 0.895; the rest under 0.3
