#!/usr/bin/env python3
"""Per-kernel SASS comparison of the kernel objects of two build folders (before, after).
For every kernel: registers, stack, local memory (spills), static shared memory; instruction counts of
the whole kernel and of its hot loop (the backward branch enclosing the most HMMA, else the most
instructions): HMMA, FFMA, FMUL, FADD, MUFU, FMNMX, total. Needs cuobjdump + nvdisasm on PATH."""
import collections, glob, os, re, subprocess, sys

OPS = ["HMMA", "FFMA", "FMUL", "FADD", "MUFU", "FMNMX", "total"]

def objs(build, only):
    root = f"{build}/kernels/CMakeFiles/attnscope_kernels_cuda.dir"
    return {os.path.relpath(o, root): o for o in glob.glob(f"{root}/**/*.cu.o", recursive=True) if only in o}

def functions(obj):
    res = {}
    cur = None
    for line in subprocess.run(["cuobjdump", "-res-usage", obj], capture_output=True, text=True).stdout.splitlines():
        m = re.search(r"Function (\S+):", line)
        if m: cur = m.group(1); continue
        m = re.search(r"REG:(\d+) STACK:(\d+) SHARED:(\d+) LOCAL:(\d+)", line)
        if m and cur: res[cur] = {"REG": int(m[1]), "STACK": int(m[2]), "SHARED": int(m[3]), "LOCAL": int(m[4]), "ins": []}
    cur = None
    for line in subprocess.run(["cuobjdump", "-sass", obj], capture_output=True, text=True).stdout.splitlines():
        m = re.search(r"Function : (\S+)", line)
        if m: cur = m.group(1); res.setdefault(cur, {"ins": []}); continue
        m = re.match(r"\s+/\*([0-9a-f]{4,})\*/\s+(.*?)\s*;", line)
        if m and cur: res[cur]["ins"].append((int(m.group(1), 16), m.group(2)))
    return res

def opcode(t):
    tok = t.split()
    return (tok[1] if tok[0].startswith("@") else tok[0]).split(".")[0]

def hist(ins):
    c = collections.Counter(opcode(t) for t in ins if opcode(t) != "NOP")
    c["total"] = sum(v for k, v in c.items())
    return c

def hot_loop(ins):
    best = None
    for addr, txt in ins:
        m = re.search(r"BRA\s+(0x[0-9a-f]+)", txt)
        if not m or int(m.group(1), 16) >= addr: continue
        body = [t for a, t in ins if int(m.group(1), 16) <= a <= addr]
        key = (sum("HMMA" in t for t in body), len(body))
        if best is None or key > best[0]: best = (key, body)
    return best[1] if best else []

def row(f):
    whole, loop = hist([t for _, t in f["ins"]]), hist(hot_loop(f["ins"]))
    return [f.get(k) for k in ("REG", "STACK", "LOCAL", "SHARED")] + [whole[k] for k in OPS] + [loop[k] for k in OPS]

only = sys.argv[3] if len(sys.argv) > 3 else ""
A, B = objs(sys.argv[1], only), objs(sys.argv[2], only)
names = ["REG", "STACK", "LOCAL", "SHARED"] + OPS + ["loop." + k for k in OPS]
same = 0
for rel in sorted(set(A) | set(B)):
    norm = lambda d: {re.sub(r"\d+_GLOBAL__N__\w+?_cu_[0-9a-f]{8}", "12_GLOBAL__N_1", k): v for k, v in d.items()}
    fa = norm(functions(A[rel])) if rel in A else {}
    fb = norm(functions(B[rel])) if rel in B else {}
    mangled = sorted(set(fa) | set(fb))
    pretty = subprocess.run(["c++filt"], input="\n".join(mangled), capture_output=True, text=True).stdout.split("\n")
    for mn, pn in zip(mangled, pretty):
        ra = row(fa[mn]) if mn in fa else [None] * len(names)
        rb = row(fb[mn]) if mn in fb else [None] * len(names)
        pn = re.sub(r"attnscope::", "", pn)
        if ra == rb:
            same += 1
            print(f"SAME {rel} | {pn[:140]}")
            continue
        print(f"DIFF {rel} | {pn[:140]}")
        print("     " + "  ".join(f"{n}:{x}->{y}" if x != y else f"{n}:{x}" for n, x, y in zip(names, ra, rb)))
print(f"identical by these counts: {same}")
