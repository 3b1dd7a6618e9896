"""The project's own model, onnxruntime sessions, provider choice, batching and input validation."""

import numpy as np
import pytest

from sahara_dao.inference.build_models import FEATURES, build_quality_model, synthetic_labeling
from sahara_dao.inference.engine import Malformed, load_model
from sahara_dao.inference.providers import CPU, CUDA, TENSORRT, choose_providers, default_providers
from sahara_dao.inference.store import file_sha256


def runner(path):
    return load_model(str(path), file_sha256(path), tuple(default_providers()))


def test_the_model_build_is_deterministic(quality_model, tmp_path):
    """The same seed gives the same ONNX file, byte for byte (so its sha256 can be the contentHash)."""
    assert file_sha256(build_quality_model(tmp_path)) == file_sha256(quality_model)


def test_the_model_predicts_labeling_quality_on_fresh_data(quality_model):
    """On synthetic labelers it never saw, the classifier is right at least 85% of the time."""
    features, good = synthetic_labeling(5000, seed=99)
    labels, probabilities, _ = runner(quality_model).run(features)
    assert probabilities.shape == (5000, 2) and labels.shape == (5000,)
    assert (labels == good).mean() >= 0.85


def test_cpu_is_chosen_here_and_last_everywhere():
    """Without a GPU (or without onnxruntime-gpu) only CPU runs; with both, TensorRT and CUDA come first.
    The provider lists are the only fakes: they stand for what onnxruntime-gpu would report."""
    gpu_build = ["TensorrtExecutionProvider", "CUDAExecutionProvider", "CPUExecutionProvider"]
    assert choose_providers(gpu_build, gpu_visible=True) == [TENSORRT, CUDA, CPU]
    assert choose_providers(gpu_build, gpu_visible=False) == [CPU]
    assert choose_providers(["CUDAExecutionProvider", "CPUExecutionProvider"], gpu_visible=True) == [CUDA, CPU]
    assert choose_providers(["AzureExecutionProvider", "CPUExecutionProvider"], gpu_visible=True) == [CPU]


def test_sessions_are_cached_per_model_and_report_their_provider(quality_model):
    """Loading the same model twice reuses its session; the provider in use is CPU on this machine."""
    first, second = runner(quality_model), runner(quality_model)
    assert first is second
    assert first.provider == CPU


def test_batched_results_equal_one_by_one_results(quality_model):
    """Scoring 300 rows in one batch gives the same labels and probabilities as one row at a time."""
    model = runner(quality_model)
    features, _ = synthetic_labeling(300, seed=5)
    labels, probabilities, _ = model.run(features)
    for n in range(len(features)):
        one_label, one_probability, _ = model.run(features[n:n + 1])
        assert one_label[0] == labels[n]
        np.testing.assert_allclose(one_probability[0], probabilities[n], rtol=0, atol=1e-6)


@pytest.mark.parametrize(("inputs", "reason"), [
    (None, "missing input 'features'"),
    ({"rows": [[0.9, 10, 0.8, 0.05]]}, "missing input 'features'"),
    ({"features": [0.9, 10, 0.8, 0.05]}, "wrong shape"),
    ({"features": [[0.9, 10, 0.8]]}, "wrong shape: a row has 3 values"),
    ({"features": [[0.9, "10", 0.8, 0.05]]}, "wrong dtype"),
    ({"features": [[0.9, True, 0.8, 0.05]]}, "wrong dtype"),
    ({"features": [[0.9, float("nan"), 0.8, 0.05]]}, "wrong dtype"),
])  # fmt: skip
def test_malformed_inputs_are_refused_with_the_reason(quality_model, inputs, reason):
    """Missing input, wrong shape and wrong dtype each name what is wrong."""
    with pytest.raises(Malformed, match=reason):
        runner(quality_model).validate(inputs)


def test_well_formed_inputs_become_float32_rows(quality_model):
    rows = runner(quality_model).validate({"features": [[0.9, 10, 0.8, 0.05], [1, 2, 0.5, 0]]})
    assert rows.dtype == np.float32 and rows.shape == (2, len(FEATURES))
