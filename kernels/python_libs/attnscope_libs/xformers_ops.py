"""One backend per xFormers forward operator (fmha.ALL_FW_OPS of the installed version), asked with
op.not_supported_reasons(); the operator xformers.ops.memory_efficient_attention would pick."""
import platform
import re

from .base import LibraryBackend
from .imports import INSTALL, load, missing, version
from .reasons import reason
from .tensors import with_probe_inputs


def slug(op_name):
    """'fa2F@2.8.3-pt' -> 'fa2F', 'triton_splitKF' -> 'triton-splitKF': a stable id across versions."""
    return re.sub(r"[^A-Za-z0-9]+", "-", op_name.split("@")[0]).strip("-")


def _cuda_version_text(cuda):
    """cpp_lib.json's CUDA version: 1208 (major·100 + minor, as 0.0.35 writes it) or 12080 (CUDA's own form)."""
    if not isinstance(cuda, int):
        return str(cuda)
    return f"{cuda // 1000}.{cuda % 1000 // 10}" if cuda >= 10000 else f"{cuda // 100}.{cuda % 100}"


def build_mismatch():
    """The environment rule for C++/CUDA extensions that did not load (built for another PyTorch/Python)."""
    lib, _ = load("xformers._cpp_lib")
    torch, _ = load("torch")
    exc = getattr(lib, "_cpp_library_load_exception", None) if lib is not None else None
    if exc is None:
        return []
    info = getattr(exc, "build_info", None)
    meta = getattr(info, "metadata", {}) or {}
    built = meta.get("version", {}) if isinstance(meta, dict) else {}
    if built:
        cuda = built.get("cuda")
        cuda_text = _cuda_version_text(cuda)
        text = (f"xFormers {version('xformers')} was built for PyTorch {built.get('torch')} (CUDA {cuda_text}), "
                f"Python {built.get('python')}; this environment has PyTorch {torch.__version__} "
                f"(CUDA {torch.version.cuda}), Python {platform.python_version()} — its C++/CUDA extensions did not "
                f"load, so xFormers refuses every CUDA operator with \"xFormers wasn't build with CUDA support\"")
    else:
        text = f"xFormers {version('xformers')} could not load its C++/CUDA extensions: {exc}"
    torch_release = torch.__version__.split("+")[0]
    return [reason(text, "xformers.build", kind="environment", field="device",
                   hint=f"install the xFormers release built for PyTorch {torch_release}, or build this one against it: "
                        "pip install -v --no-build-isolation git+https://github.com/facebookresearch/xformers.git"
                        f"@v{version('xformers')}")]


def _to_bmhk(p, q, k, v):
    """Our [B,H,N,D] as xFormers' BMHK (or BMGHK for GQA/MQA), as views."""
    q, k, v = (t.transpose(1, 2) for t in (q, k, v))
    g = p["q_heads"] // p["kv_heads"]
    if g == 1:
        return q, k, v
    B, Hkv, D = p["batch"], p["kv_heads"], p["head_dim"]
    q = q.unflatten(2, (Hkv, g))
    k, v = (t.unsqueeze(3).expand(B, p["kv_len"], Hkv, g, D) for t in (k, v))
    return q, k, v


def _inputs(fmha, p, q, k, v):
    bias = fmha.attn_bias.LowerTriangularFromBottomRightMask() if p["causal"] else None
    q, k, v = _to_bmhk(p, q, k, v)
    return fmha.Inputs(query=q, key=k, value=v, attn_bias=bias, p=0.0, scale=p["scale"])


def _from_bmhk(p, out):
    if out.dim() == 5:
        out = out.flatten(2, 3)
    return out.transpose(1, 2)


class XformersOp(LibraryBackend):
    library = "xFormers"
    packages = ("torch", "xformers")
    family = "library"

    def __init__(self, op):
        self.op = op
        self.id = "xformers-" + slug(op.NAME)
        self.name = f"xFormers {op.NAME}"
        doc = (op.__doc__ or "").strip().split("\n\n")[0].replace("\n", " ")
        self.algorithm = (f"xformers.ops.memory_efficient_attention forced to operator {op.NAME} "
                          f"({getattr(op, '__module__', '')}). {doc}").strip()
        self.memory_complexity = "O(N): output + LSE"
        self.shines = "what xFormers users deploy; compare with the operator xFormers would pick on its own"

    def check(self, p, device):
        """The build mismatch (ours, naming the versions) first, then the operator's own lines verbatim."""
        fmha = load("xformers.ops.fmha")[0]
        try:
            texts = with_probe_inputs(p, device, lambda q, k, v: self.op.not_supported_reasons(_inputs(fmha, p, q, k, v)))
        except Exception as e:  # Inputs.validate_inputs refuses the shapes outright, or the operator's check fails
            texts = [f"{type(e).__name__}: {e}"]
        return build_mismatch() + [reason(t, f"xformers {self.op.NAME}") for t in texts]

    def run(self, p, q, k, v):
        fmha = load("xformers.ops.fmha")[0]
        inp = _inputs(fmha, p, q, k, v)
        out = fmha.memory_efficient_attention_forward(inp.query, inp.key, inp.value, attn_bias=inp.attn_bias,
                                                      scale=p["scale"], op=self.op)
        return _from_bmhk(p, out)


class XformersMissing(LibraryBackend):
    """Stands for xFormers' operators while the package does not import: says why and how to install."""
    id = "xformers"
    name = "xFormers memory_efficient_attention (not importable)"
    library = "xFormers"
    packages = ("torch", "xformers")
    algorithm = ("xFormers' memory_efficient_attention dispatches to FlashAttention-3/-2, CUTLASS and Triton "
                 "split-K operators; each becomes its own backend once xFormers imports.")
    memory_complexity = "O(N)"
    shines = "what xFormers users deploy"

    def environment(self):
        out = super().environment()
        return out or [reason("xformers imported but fmha.ALL_FW_OPS is missing", "import", kind="environment",
                              hint=INSTALL["xformers"])]


def backends():
    fmha, _ = load("xformers.ops.fmha")
    if fmha is None or not hasattr(fmha, "ALL_FW_OPS") or missing("torch"):
        return [XformersMissing()]
    return [XformersOp(op) for op in fmha.ALL_FW_OPS]


def dispatch(p, device):
    """The operator memory_efficient_attention would pick, or the exact "No operator found" text."""
    fmha, _ = load("xformers.ops.fmha")
    if fmha is None:
        return None

    def pick(q, k, v):
        inp = _inputs(fmha, p, q, k, v)
        try:
            op = fmha.dispatch._dispatch_fw(inp, False)
            return {"chosen": op.NAME, "backend": "xformers-" + slug(op.NAME),
                    "text": f"memory_efficient_attention would run {op.NAME} (xformers-{slug(op.NAME)})", "lines": []}
        except (NotImplementedError, ValueError) as e:
            return {"chosen": "", "backend": "", "text": f"{type(e).__name__}: {e}", "lines": []}
    result = with_probe_inputs(p, device, pick)
    result.update({"library": "xFormers", "version": version("xformers")})
    return result
