"""PyTorch's scaled_dot_product_attention pinned to one backend, and which one PyTorch would pick."""
import os
import re
import sys
import tempfile
import warnings

from .base import LibraryBackend, top_left_causal_rule
from .imports import load
from .reasons import reason, strip_trigger
from .tensors import with_probe_inputs


def _params(torch, q, k, v, p):
    gqa = p["q_heads"] != p["kv_heads"]
    try:
        return torch.backends.cuda.SDPAParams(q, k, v, None, 0.0, bool(p["causal"]), gqa)
    except TypeError:  # before PyTorch 2.5: no enable_gqa
        return torch.backends.cuda.SDPAParams(q, k, v, None, 0.0, bool(p["causal"]))


def _warnings_of(fn):
    """Runs fn() and returns (its value, the texts of the warnings it raised, in order, once each): Python
    warnings, and PyTorch C++ warnings that reached stderr through c10's logger instead."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        value, stderr_text = _with_stderr_captured(fn)
    texts = []
    for t in [strip_trigger(w.message) for w in caught] + _c10_warnings(stderr_text):
        if t and t not in texts:
            texts.append(t)
    return value, texts


def _with_stderr_captured(fn):
    """Runs fn() with file descriptor 2 sent to a temporary file; returns (its value, what was written there).
    Why: torch.backends.cuda.can_use_* are bound without PyTorch's Python warning handler (torch 2.11), so
    their reasons (TORCH_WARN in sdp_utils.cpp) are printed by c10's logger on stderr, not raised as warnings."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with tempfile.TemporaryFile() as tmp:
            os.dup2(tmp.fileno(), 2)
            try:
                value = fn()
            finally:
                sys.stderr.flush()
                os.dup2(saved, 2)
            tmp.seek(0)
            text = tmp.read().decode(errors="replace")
    finally:
        os.close(saved)
    rest = "".join(line for line in text.splitlines(keepends=True) if not _C10_WARNING.search(line))
    if rest:
        sys.stderr.write(rest)  # what was not a probe's reason still reaches the log
    return value, text


# c10's log line: "[W1206 20:04:52.081179141 sdp_utils.cpp:180] Warning: <text> (function <name>)"
_C10_WARNING = re.compile(r"^\[W[^\]]*\] Warning: (.*?)(?: \(function [^)]*\))?\s*$", re.M)


def _c10_warnings(text):
    return [strip_trigger(m.group(1)) for m in _C10_WARNING.finditer(text)]


class TorchSdpa(LibraryBackend):
    library = "PyTorch"

    def __init__(self, suffix, backend, probe, name, family, algorithm, memory_complexity, shines, memory_model):
        self.id = "torch-" + suffix
        self.backend_name = backend  # torch.nn.attention.SDPBackend member
        self.probe = probe           # torch.backends.cuda.can_use_* (None for math: always accepted)
        self.name, self.family, self.algorithm = name, family, algorithm
        self.memory_complexity, self.shines, self.memory_model = memory_complexity, shines, memory_model

    def check(self, p, device):
        out = top_left_causal_rule(p, "PyTorch's is_causal")
        if self.probe is None:
            return out
        torch, _ = load("torch")
        can_use = getattr(torch.backends.cuda, self.probe, None)
        if can_use is None:
            return out + [reason(f"torch.backends.cuda.{self.probe} does not exist in torch {torch.__version__}",
                                 self.probe, kind="environment", hint="use PyTorch 2.5 or newer")]
        ok, texts = with_probe_inputs(p, device, lambda q, k, v: _warnings_of(lambda: can_use(_params(torch, q, k, v, p), True)))
        if not ok:
            texts = texts or [f"torch.backends.cuda.{self.probe} returned False without a reason"]
            out += [reason(t, f"torch.backends.cuda.{self.probe}") for t in texts]
        return out

    def run(self, p, q, k, v):
        torch, _ = load("torch")
        from torch.nn.attention import SDPBackend, sdpa_kernel
        with sdpa_kernel([getattr(SDPBackend, self.backend_name)]):
            return torch.nn.functional.scaled_dot_product_attention(
                q, k, v, is_causal=bool(p["causal"]), scale=p["scale"], enable_gqa=p["q_heads"] != p["kv_heads"])


def backends():
    linear = "O(N): output + LSE; the score matrix never leaves on-chip memory"
    return [
        TorchSdpa("flash", "FLASH_ATTENTION", "can_use_flash_attention", "SDPA flash (PyTorch's bundled FlashAttention-2)",
                  "flash", "F.scaled_dot_product_attention pinned to SDPBackend.FLASH_ATTENTION: the FlashAttention-2 "
                  "kernels compiled into PyTorch (tiled online softmax, K/V streamed through shared memory).",
                  linear, "fp16/bf16 training and inference on sm80+, head dim ≤ 256", "linear"),
        TorchSdpa("efficient", "EFFICIENT_ATTENTION", "can_use_efficient_attention",
                  "SDPA mem-efficient (PyTorch's xFormers CUTLASS kernel)", "tiled",
                  "F.scaled_dot_product_attention pinned to SDPBackend.EFFICIENT_ATTENTION: the CUTLASS "
                  "memory-efficient kernel from xFormers vendored in ATen; runs float32 too.", linear,
                  "float32 or older GPUs, arbitrary masks", "linear"),
        TorchSdpa("cudnn", "CUDNN_ATTENTION", "can_use_cudnn_attention", "SDPA cuDNN (PyTorch, cuDNN fused attention)",
                  "vendor", "F.scaled_dot_product_attention pinned to SDPBackend.CUDNN_ATTENTION: cuDNN's fused "
                  "flash-style SDPA graph (PyTorch's default on H100 with cuDNN ≥ 9.15).", linear,
                  "Hopper and Blackwell fp16/bf16", "linear"),
        TorchSdpa("math", "MATH", None, "SDPA math (PyTorch, unfused)", "math",
                  "F.scaled_dot_product_attention pinned to SDPBackend.MATH: QKᵀ by matmul, softmax, then PV, each a "
                  "separate kernel with the score matrix in global memory.",
                  "O(B·H·N²): scores and probabilities materialized", "any dtype and shape; the reference path",
                  "quadratic"),
    ]


def dispatch(p, device):
    """Which backend F.scaled_dot_product_attention would pick here, or the error it would raise."""
    torch, _ = load("torch")
    from torch.nn.attention import SDPBackend
    names = {m.value if hasattr(m, "value") else int(m): n for n, m in SDPBackend.__members__.items()}

    def choose(q, k, v):
        return _warnings_of(lambda: torch._fused_sdp_choice(q, k, v, None, 0.0, bool(p["causal"]), scale=p["scale"],
                                                            enable_gqa=p["q_heads"] != p["kv_heads"]))
    try:
        choice, texts = with_probe_inputs(p, device, choose)
        picked = names.get(int(choice), str(choice))
        ids = {"FLASH_ATTENTION": "torch-flash", "EFFICIENT_ATTENTION": "torch-efficient",
               "CUDNN_ATTENTION": "torch-cudnn", "MATH": "torch-math"}
        return {"library": "PyTorch", "version": torch.__version__, "chosen": picked,
                "backend": ids.get(picked, ""), "text": f"F.scaled_dot_product_attention would run {picked} ({ids.get(picked, picked)})",
                "lines": texts}
    except Exception as e:
        return {"library": "PyTorch", "version": torch.__version__, "chosen": "", "backend": "",
                "text": strip_trigger(e), "lines": []}
