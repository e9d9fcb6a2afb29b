"""The executor's device buffers as torch tensors, without a copy, and the problem's shapes."""
from .imports import load

_TYPESTR = {"float16": "<f2", "float32": "<f4", "bfloat16": "<i2"}  # CAI has no bfloat16: int16, then view


class _DeviceBuffer:
    """Exposes one buffer through __cuda_array_interface__ (version 2: no stream to synchronize with;
    every call runs on the executor's stream anyway)."""

    def __init__(self, ptr, shape, dtype):
        self.__cuda_array_interface__ = {"shape": tuple(shape), "typestr": _TYPESTR[dtype],
                                         "data": (int(ptr), False), "version": 2, "strides": None}


def torch_dtype(name):
    torch, _ = load("torch")
    return {"float16": torch.float16, "bfloat16": torch.bfloat16, "float32": torch.float32}[name]


def q_shape(p):
    return (p["batch"], p["q_heads"], p["q_len"], p["head_dim"])


def kv_shape(p):
    return (p["batch"], p["kv_heads"], p["kv_len"], p["head_dim"])


def wrap(ptr, shape, p, device):
    """A [B,H,N,D] tensor over the executor's memory at ptr."""
    torch, _ = load("torch")
    t = torch.as_tensor(_DeviceBuffer(ptr, shape, p["dtype"]), device=device)
    return t.view(torch.bfloat16) if p["dtype"] == "bfloat16" else t


def wrap_inputs(p, q, k, v, device):
    return wrap(q, q_shape(p), p, device), wrap(k, kv_shape(p), p, device), wrap(v, kv_shape(p), p, device)


# Eligibility checks on inputs larger than this use fake tensors (shapes without device memory).
_REAL_PROBE_MAX_BYTES = 1 << 30


def with_probe_inputs(p, device, check):
    """check(q, k, v) on tensors with the problem's shapes, dtype and device. Real, uninitialized
    tensors when they are small (what the library sees in a real call); above 1 GiB fake ones from
    FakeTensorMode, which hold no memory, falling back to real ones if a check cannot take them."""
    torch, _ = load("torch")
    dt = torch_dtype(p["dtype"])
    shapes = (q_shape(p), kv_shape(p), kv_shape(p))
    nbytes = sum(a * b * c * d for a, b, c, d in shapes) * torch.empty(0, dtype=dt).element_size()
    if nbytes > _REAL_PROBE_MAX_BYTES:
        try:
            from torch._subclasses.fake_tensor import FakeTensorMode
            with FakeTensorMode():
                fake = tuple(torch.empty(s, dtype=dt, device=device) for s in shapes)
                return check(*fake)
        except Exception:
            pass
    real = tuple(torch.empty(s, dtype=dt, device=device) for s in shapes)
    try:
        return check(*real)
    finally:
        del real
        torch.cuda.empty_cache()
