"""One reason = the library's own text, classified environment / input / memory, with a hint.

The classification is by what the text talks about: the build, the GPU or a package is the
environment; dtypes, shapes, strides and masks are the input; running out of memory is memory.
"""
import re

_MEMORY = re.compile(r"out of memory|OutOfMemory|CUDA_ERROR_OUT_OF_MEMORY", re.I)
_ENVIRONMENT = re.compile(
    r"wasn't buil|was not buil|not compiled|compiled with|built for|capability|\bsm_?\d+|GPU|"
    r"No module named|cannot import|failed to import|import .* failed|not available|not installed|"
    r"runtime disabled|cuDNN version|CUDA support|too old|too new|driver|version mismatch|"
    r"device=cpu|TORCH_CUDNN|needs the real device",
    re.I,
)
_AT_MOST = re.compile(r"(?:<=|≤|less than or equal to|at most)\s*(\d+)")
_GREATER = re.compile(r"\)\s*>\s*(\d+)")


def classify(text):
    if _MEMORY.search(text):
        return "memory"
    if _ENVIRONMENT.search(text):
        return "environment"
    return "input"


def _field(text):
    t = text.lower()
    if "dtype" in t or "half" in t or "bfloat16" in t or "float32" in t:
        return "dtype"
    if "shape[-1]" in t or "head dim" in t or "head_dim" in t or "last dimension" in t or "headdim" in t:
        return "head_dim"
    if "causal" in t or "attn_bias" in t or "mask" in t:
        return "causal"
    if "seq" in t or "shape" in t:
        return "seq"
    if "heads" in t or "gqa" in t or "grouped" in t:
        return "kv_heads"
    return ""


def hint_for(text, kind):
    t = text.lower()
    if kind == "memory":
        return "choose shorter sequences or a smaller batch, or a backend that needs less memory"
    if kind == "environment":
        if "capability" in t or "gpu" in t:
            return "run on a GPU the library supports (the text names the compute capability it needs)"
        if "build" in t or "built" in t or "compiled" in t:
            return "install a build of the library made for this PyTorch, CUDA and GPU"
        return ""
    field = _field(text)
    if field == "dtype":
        return "choose float16 or bfloat16" if ("half" in t or "float16" in t) else "choose a dtype the library lists"
    if field == "head_dim":
        m = _AT_MOST.search(text) or _GREATER.search(text)
        return f"use head_dim ≤ {m.group(1)}" if m else "choose a head dim the library supports (see its text)"
    if field == "causal":
        return "try without causal, or another backend"
    return ""


def reason(text, source, kind=None, hint=None, field=None):
    """A rule for the C++ side (same fields as attnscope::RuleResult)."""
    text = strip_trigger(text)
    kind = kind or classify(text)
    return {
        "rule": source,
        "kind": kind,
        "field": field if field is not None else ("device" if kind == "environment" else _field(text)),
        "observed": "",
        "required": "",
        "reason": text,
        "hint": hint if hint is not None else hint_for(text, kind),
    }


def strip_trigger(text):
    """PyTorch appends ' (Triggered internally at /path/file.cpp:123.)' to C++ warnings."""
    return re.sub(r"\s*\(Triggered internally at [^)]*\)\s*$", "", str(text).strip())
