"""triton-flash: our own Triton kernel (kernels/triton_flash/triton_flash.py) as a library backend.
Its rules are ours, so they read like AttnScope's own (value seen, value needed, a fix)."""
import importlib.util
import os

from .base import LibraryBackend
from .imports import load
from .reasons import reason

_KERNEL = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                       "triton_flash", "triton_flash.py")
_module = None


def _kernel():
    global _module
    if _module is None:
        spec = importlib.util.spec_from_file_location("attnscope_triton_flash", _KERNEL)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _module = module
    return _module


class TritonFlash(LibraryBackend):
    id = "triton-flash"
    name = "Triton flash (AttnScope's own Triton kernel)"
    library = "Triton"
    packages = ("torch", "triton")
    family = "flash"
    algorithm = ("AttnScope's FlashAttention-2 forward written in Triton (kernels/triton_flash): one program per "
                 "128 query rows, K/V tiles streamed with online softmax in exp2 units, unmasked tiles apart from "
                 "the causal diagonal; Triton 3.x compiles the tile GEMMs to wgmma on Hopper and mma.sync on Ampere.")
    memory_complexity = "O(N): output only"
    shines = "fp16/bf16 prefill on sm80+ with power-of-two head dims; a readable kernel to modify"

    def check(self, p, device):
        torch, _ = load("torch")
        out = []
        if p["dtype"] not in ("float16", "bfloat16"):
            out.append(reason(f"dtype is {p['dtype']}; triton-flash supports float16, bfloat16", "dtype",
                              kind="input", field="dtype", hint="choose float16 or bfloat16"))
        dims = (16, 32, 64, 128)
        if p["head_dim"] not in dims:
            nearest = min(dims, key=lambda d: (abs(d - p["head_dim"]), -d))
            out.append(reason(f"head_dim is {p['head_dim']}; triton-flash supports 16, 32, 64, 128 (tl.arange needs "
                              "a power of two, and 256 does not fit its tiles in shared memory)", "head_dim",
                              kind="input", field="head_dim", hint=f"use head_dim {nearest}"))
        major, minor = torch.cuda.get_device_capability(device)
        if major < 8:
            out.append(reason(f"device is sm{major}{minor}; triton-flash needs sm80 or newer", "compute_capability",
                              kind="environment", field="device", hint="use mem-efficient on this GPU"))
        return out

    def run(self, p, q, k, v):
        return _kernel().attention(q, k, v, causal=bool(p["causal"]), scale=p["scale"])
