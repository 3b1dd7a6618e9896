"""onnxruntime sessions, one per model file and provider list (cached), and input validation.

A request's ``inputs`` is ``{"features": [[f1, f2, f3, f4], ...]}``: rows of numbers, as many as the
model's input takes. Anything else fails that request alone, with the reason.
"""

import logging
import math
import time
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)
NUMBERS = {int, float}


class Malformed(ValueError):
    """A request's inputs do not fit the model (shape, dtype, missing input)."""


@dataclass(frozen=True)
class ModelRunner:
    """A loaded model: its onnxruntime session, input name and width, and the provider in use."""

    session: object
    input_name: str
    width: int
    provider: str
    sha256: str

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

    def run(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
        """Labels, probabilities and the elapsed microseconds of one batch of rows."""
        start = time.perf_counter_ns()
        labels, probabilities = self.session.run(None, {self.input_name: rows})
        return labels, probabilities, (time.perf_counter_ns() - start) // 1000


@lru_cache(maxsize=32)
def load_model(path: str, sha256: str, providers: tuple[str, ...]) -> ModelRunner:
    """The cached runner of a model file (keyed by its sha256, so a new file gets a new session)."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3
    session = onnxruntime.InferenceSession(str(Path(path)), sess_options=options, providers=list(providers))
    model_input = session.get_inputs()[0]
    provider = session.get_providers()[0]
    log.info("model %s loaded on %s", sha256[:18], provider)
    return ModelRunner(session, model_input.name, int(model_input.shape[1]), provider, sha256)


def results(labels: np.ndarray, probabilities: np.ndarray) -> list[dict]:
    """Per row: the predicted label and the probability of label 1 (good work)."""
    p_good = np.round(probabilities[:, 1].astype(np.float64), 6).tolist()
    return [{"label": label, "p_good": p} for label, p in zip(labels.tolist(), p_good, strict=True)]
