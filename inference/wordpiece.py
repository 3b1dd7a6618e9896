"""BERT's uncased WordPiece tokenizer in plain Python, so a text model runs without the hub or any
tokenizer package: the vocabulary travels inside the ONNX file (see ``build_minilm.py``).

It follows the BERT reference (``BasicTokenizer`` then greedy longest-match ``WordpieceTokenizer``):
control characters dropped, CJK characters split, lower case, accents stripped, punctuation split,
``[UNK]`` for a word that has no pieces. The MiniLM build checks it against the ``tokenizers``
package on a set of sentences, and tests/inference holds the ids it must give.
"""

import unicodedata
from functools import lru_cache

CLS, SEP, PAD, UNK = "[CLS]", "[SEP]", "[PAD]", "[UNK]"
MAX_WORD_CHARS = 100


def _is_punctuation(char: str) -> bool:
    code = ord(char)
    if 33 <= code <= 47 or 58 <= code <= 64 or 91 <= code <= 96 or 123 <= code <= 126:
        return True
    return unicodedata.category(char).startswith("P")


def _is_cjk(code: int) -> bool:
    return (0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0x20000 <= code <= 0x2A6DF
            or 0x2A700 <= code <= 0x2B73F or 0x2B740 <= code <= 0x2B81F or 0x2B820 <= code <= 0x2CEAF
            or 0xF900 <= code <= 0xFAFF or 0x2F800 <= code <= 0x2FA1F)  # fmt: skip


def _clean(text: str) -> str:
    """Control characters out, every whitespace a space, CJK characters set apart."""
    out = []
    for char in text:
        code = ord(char)
        if code in (0, 0xFFFD):
            continue
        if char in " \t\n\r" or unicodedata.category(char) == "Zs":
            out.append(" ")
        elif unicodedata.category(char) in ("Cc", "Cf"):
            continue
        elif _is_cjk(code):
            out.append(f" {char} ")
        else:
            out.append(char)
    return "".join(out)


def basic_tokens(text: str) -> list[str]:
    """Lower-cased, accent-stripped words and punctuation marks of ``text``."""
    tokens = []
    for word in _clean(text).split():
        word = "".join(c for c in unicodedata.normalize("NFD", word.lower()) if unicodedata.category(c) != "Mn")
        start = 0
        for at, char in enumerate(word):
            if _is_punctuation(char):
                if at > start:
                    tokens.append(word[start:at])
                tokens.append(char)
                start = at + 1
        if start < len(word):
            tokens.append(word[start:])
    return tokens


class WordPiece:
    """Text to input ids with a BERT vocabulary (one token a line, the line number is its id)."""

    def __init__(self, vocab: list[str], *, max_length: int = 256):
        self.ids = {token: n for n, token in enumerate(vocab)}
        self.cls, self.sep, self.pad, self.unk = (self.ids[t] for t in (CLS, SEP, PAD, UNK))
        self.max_length = max_length
        self.pieces = lru_cache(maxsize=65_536)(self._pieces)

    def _pieces(self, word: str) -> tuple[int, ...]:
        if len(word) > MAX_WORD_CHARS:
            return (self.unk,)
        pieces, start = [], 0
        while start < len(word):
            end = len(word)
            while end > start:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in self.ids:
                    pieces.append(self.ids[piece])
                    break
                end -= 1
            else:
                return (self.unk,)
            start = end
        return tuple(pieces)

    def encode(self, text: str) -> list[int]:
        """``[CLS] pieces [SEP]``, the pieces cut to ``max_length - 2``."""
        ids = [piece for word in basic_tokens(text) for piece in self.pieces(word)]
        return [self.cls, *ids[:self.max_length - 2], self.sep]
