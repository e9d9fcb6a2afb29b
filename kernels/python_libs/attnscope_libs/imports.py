"""Importing a library once, and saying what went wrong and how to install it when it does not."""
import importlib
import traceback

from .reasons import reason

INSTALL = {
    "torch": "pip install torch (a CUDA build; see pytorch.org for the index URL that matches your CUDA)",
    "xformers": "pip install xformers (its wheel is built for one PyTorch release: install the matching pair)",
    "flash_attn": "pip install flash-attn --no-build-isolation",
    "flash_attn_interface": "build FlashAttention-3 from flash-attention's hopper/ folder (python setup.py install)",
    "flash_attn.cute": "pip install flash-attn-4",
    "flashinfer": "pip install flashinfer-python",
    "triton": "pip install triton (it comes with a CUDA build of PyTorch)",
}

_cache = {}


def load(name):
    """(module or None, error text or None). Imports once per process."""
    if name not in _cache:
        try:
            _cache[name] = (importlib.import_module(name), None)
        except BaseException as e:  # an ImportError, or anything a package raises while importing
            last = traceback.format_exception_only(type(e), e)[-1].strip()
            _cache[name] = (None, last)
    return _cache[name]


def missing(name):
    """Environment rules for a package that did not import ([] when it did)."""
    module, error = load(name)
    if module is not None:
        return []
    return [reason(f"import {name} failed: {error}", "import", kind="environment", field="device",
                   hint=INSTALL.get(name, f"pip install {name}"))]


def version(name):
    module, _ = load(name)
    return getattr(module, "__version__", None) if module is not None else None
