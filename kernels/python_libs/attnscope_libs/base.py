"""What every library backend tells the C++ side, and what they share."""
from .imports import load, missing, version
from .reasons import reason


class LibraryBackend:
    id = ""
    name = ""
    family = "library"
    library = ""          # "PyTorch", "xFormers", ...
    packages = ("torch",)  # imported before anything else is asked
    algorithm = ""
    memory_complexity = ""
    shines = ""
    memory_model = "linear"  # "linear": output + LSE; "quadratic": B·H·Nq·Nk scores in dtype, twice

    def environment(self):
        """Problem-independent environment rules: packages that do not import, no CUDA in PyTorch."""
        out = []
        for name in self.packages:
            out += missing(name)
        torch, _ = load("torch")
        if torch is not None and not out and not torch.cuda.is_available():
            why = "this PyTorch has no CUDA" if torch.version.cuda is None else "PyTorch sees no CUDA device"
            out.append(reason(f"{why} (torch {torch.__version__})", "torch.cuda", kind="environment",
                              hint="install a CUDA build of PyTorch" if torch.version.cuda is None else ""))
        return out

    def versions(self):
        out = {}
        torch, _ = load("torch")
        if torch is not None:
            out["torch"] = torch.__version__
            if torch.version.cuda:
                out["torch.cuda"] = torch.version.cuda
            try:
                v = torch.backends.cudnn.version()
                if v:
                    out["torch.cudnn"] = f"{v // 10000}.{v % 10000 // 100}.{v % 100}"
            except Exception:
                pass
        for name in self.packages:
            if name != "torch" and version(name):
                out[name] = version(name)
        return out

    def check(self, p, device):
        """Unmet rules for problem p on the torch device (the library's verdict)."""
        return []

    def run(self, p, q, k, v):
        """Computes attention of [B,H,N,D] tensors; returns the output as a [B,Hq,Nq,D] tensor (a view is fine)."""
        raise NotImplementedError

    def describe(self):
        return {"id": self.id, "name": self.name, "family": self.family, "library": self.library,
                "algorithm": self.algorithm, "memory_complexity": self.memory_complexity,
                "shines": self.shines, "memory_model": self.memory_model,
                "environment": self.environment(), "versions": self.versions()}


def top_left_causal_rule(p, who):
    """PyTorch's is_causal aligns the mask top-left; AttnScope's causal is bottom-right (FlashAttention ≥ 2.1).
    They agree only for square problems, so a non-square causal problem would be checked against the wrong mask."""
    if p["causal"] and p["q_len"] != p["kv_len"]:
        return [reason(f"causal with q_len {p['q_len']} != kv_len {p['kv_len']}: {who} aligns the causal mask "
                       "top-left, AttnScope (like FlashAttention ≥ 2.1) bottom-right", "causal_alignment",
                       kind="input", field="causal", hint="use q_len == kv_len for a causal problem")]
    return []
