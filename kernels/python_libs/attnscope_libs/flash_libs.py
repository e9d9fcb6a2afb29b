"""FlashAttention 2 (flash_attn), 3 (flash_attn_interface) and 4 (flash_attn.cute), and FlashInfer's
single-request prefill/decode. These libraries have no "why not" API: their verdict is the message of a
dry call on tiny tensors with the problem's dtype, head dim and heads."""
from .base import LibraryBackend
from .imports import load
from .reasons import reason
from .tensors import torch_dtype

_DRY_LEN = 128  # tokens of the dry call: enough for every tile shape, tiny in time and memory


def _first(out):
    return out[0] if isinstance(out, (tuple, list)) else out


def _dry_call(p, device, call, layout):
    """Runs call(q, k, v) on tiny tensors; [] when it worked, else the library's message as the reason."""
    torch, _ = load("torch")
    dt = torch_dtype(p["dtype"])
    nq, nk = min(p["q_len"], _DRY_LEN), min(p["kv_len"], _DRY_LEN)
    q = torch.randn(layout(1, nq, p["q_heads"], p["head_dim"]), dtype=dt, device=device)
    k = torch.randn(layout(1, nk, p["kv_heads"], p["head_dim"]), dtype=dt, device=device)
    try:
        call(q, k, k.clone())
        torch.cuda.synchronize(device)
        return []
    except Exception as e:
        return [str(e).strip().split("\n")[0] or type(e).__name__]


def _bnhd(b, n, h, d):
    return (b, n, h, d)


class FlashAttn(LibraryBackend):
    family = "flash"
    memory_complexity = "O(N): output + LSE"

    def __init__(self, id, module, fn, name, algorithm, shines):
        self.id, self.packages, self.fn_name = id, ("torch", module), fn
        self.module, self.name, self.algorithm, self.shines = module, name, algorithm, shines
        self.library = name

    def _fn(self):
        return getattr(load(self.module)[0], self.fn_name)

    def _call(self, p):
        fn = self._fn()
        return lambda q, k, v: _first(fn(q, k, v, softmax_scale=p["scale"], causal=bool(p["causal"])))

    def check(self, p, device):
        texts = _dry_call(p, device, self._call(p), _bnhd)
        return [reason(t, f"{self.module}.{self.fn_name}") for t in texts]

    def run(self, p, q, k, v):
        out = self._call(p)(*(t.transpose(1, 2) for t in (q, k, v)))
        return out.transpose(1, 2)


class FlashInfer(LibraryBackend):
    id = "flashinfer"
    name = "FlashInfer single prefill / decode"
    library = "FlashInfer"
    packages = ("torch", "flashinfer")
    family = "flash"
    algorithm = ("flashinfer.single_prefill_with_kv_cache (or single_decode_with_kv_cache for one query token): "
                 "FlashInfer's JIT-compiled FlashAttention-style kernels for one request, NHD layout.")
    memory_complexity = "O(N): output (+ LSE)"
    shines = "serving: decode and prefill with paged or ragged KV caches"

    def _call(self, p):
        fi = load("flashinfer")[0]
        causal = bool(p["causal"])
        if p["q_len"] == 1:
            return lambda q, k, v: fi.single_decode_with_kv_cache(q[0], k, v, sm_scale=p["scale"]).unsqueeze(0)
        return lambda q, k, v: fi.single_prefill_with_kv_cache(q, k, v, causal=causal, sm_scale=p["scale"])

    def check(self, p, device):
        out = []
        if p["batch"] != 1:
            out.append(reason(f"batch is {p['batch']}; FlashInfer's single-request kernels take one sequence",
                              "batch", kind="input", field="batch", hint="use batch 1"))
        texts = _dry_call(p, device, self._call(p), lambda b, n, h, d: (n, h, d))
        return out + [reason(t, "flashinfer") for t in texts]

    def run(self, p, q, k, v):
        q, k, v = (t[0].transpose(0, 1) for t in (q, k, v))  # [H,N,D] -> [N,H,D] views
        return self._call(p)(q, k, v).transpose(0, 1).unsqueeze(0)


def backends():
    return [
        FlashAttn("flash-attn-2", "flash_attn", "flash_attn_func", "FlashAttention-2 (flash-attn)",
                  "Dao-AILab's FlashAttention-2: tiled online softmax, one warp group per 16 query rows, K/V "
                  "streamed through shared memory with cp.async, mma.sync on sm80+.",
                  "fp16/bf16 on Ampere/Ada/Hopper, head dim ≤ 256"),
        FlashAttn("flash-attn-3", "flash_attn_interface", "flash_attn_func", "FlashAttention-3 (hopper)",
                  "FlashAttention-3: Hopper-only; TMA loads, wgmma, warp specialization (producer/consumer "
                  "warp groups) and ping-pong scheduling overlap softmax with the GEMMs.",
                  "fp16/bf16/fp8 on H100/H200"),
        FlashAttn("flash-attn-4", "flash_attn.cute", "flash_attn_func", "FlashAttention-4 (CuTe DSL)",
                  "FlashAttention-4, written in CuTe DSL: Blackwell tcgen05 / Hopper wgmma pipelines, software "
                  "exp2 emulation and conditional rescaling of the softmax.", "Blackwell (and Hopper) fp16/bf16"),
        FlashInfer(),
    ]
