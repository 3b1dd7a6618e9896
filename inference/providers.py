"""Execution providers, chosen explicitly: TensorRT and CUDA when onnxruntime-gpu is installed and
a GPU is visible, CPU otherwise and always last."""

import logging
import os
import shutil
from pathlib import Path

log = logging.getLogger(__name__)
CPU, CUDA, TENSORRT = "CPUExecutionProvider", "CUDAExecutionProvider", "TensorrtExecutionProvider"


def choose_providers(available: list[str], *, gpu_visible: bool) -> list[str]:
    """The providers to ask onnxruntime for, best first: ``available`` is
    ``onnxruntime.get_available_providers()``; GPU providers only when a GPU is visible."""
    chosen = [p for p in (TENSORRT, CUDA) if gpu_visible and p in available]
    return [*chosen, CPU]


def gpu_visible() -> bool:
    """Whether this process can see an NVIDIA GPU (a device node, not hidden by CUDA_VISIBLE_DEVICES)."""
    if os.environ.get("CUDA_VISIBLE_DEVICES", None) in ("", "-1"):
        return False
    return Path("/dev/nvidiactl").exists() or shutil.which("nvidia-smi") is not None


def default_providers() -> list[str]:
    import onnxruntime

    providers = choose_providers(onnxruntime.get_available_providers(), gpu_visible=gpu_visible())
    log.info("inference providers requested: %s", ", ".join(providers))
    return providers
