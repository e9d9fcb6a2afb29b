#!/usr/bin/env python3
# Usage: cuobjdump -sass build-gpu/kernels/CMakeFiles/attnscope_flash3_cuda.dir/flash3/flash3_hdim128.cu.o > k.sass; python3 sass_order.py k.sass
# For every flash3 kernel in a cuobjdump -sass dump: in the main loop (after the DEPBAR gsb0 0x1), how many MUFU.EX2
# run before the DEPBAR gsb0 0x0 (overlapped with the warpgroup's own P·V) and how many after it.
import re, sys
text = open(sys.argv[1]).read()
for fn in re.split(r"\n\s*Function : ", text)[1:]:
    name = fn.split("\n", 1)[0]
    m = re.search(r"Traits<?I?(\w+?)Li(\d+)ELi(\d+)ELi(\d+)ELi(\d+)ELNS0_8ScheduleE(\d)ELb(\d)ELi(\d)ELi(\d)EEELb(\d)E", name)
    label = name[:60] if not m else f"{'bf16' if 'bfloat' in m.group(1) else 'fp16'} d{m.group(2)} n{m.group(3)} st{m.group(4)} c{m.group(5)} sch{m.group(6)} pers{m.group(7)} cl{m.group(8)} e{m.group(9)} causal{m.group(10)}"
    ins = [l for l in fn.split("\n") if re.search(r"/\*[0-9a-f]{4}\*/", l)]
    ops = [re.sub(r"^.*?\*/\s*", "", l).split(";")[0].strip() for l in ins]
    idx1 = [i for i, o in enumerate(ops) if "DEPBAR.LE gsb0, 0x1" in o]
    if not idx1:
        print(f"{label}: no DEPBAR 0x1 (serial?)"); continue
    i1 = idx1[0]
    i0 = next((i for i in range(i1 + 1, len(ops)) if "DEPBAR.LE gsb0, 0x0" in ops[i]), None)
    nxt = next((i for i in range(i1 + 1, len(ops)) if "HGMMA" in ops[i]), len(ops))
    ex_before = sum("MUFU.EX2" in o for o in ops[i1:i0]) if i0 else 0
    ex_after = sum("MUFU.EX2" in o for o in ops[i0:nxt]) if i0 else 0
    print(f"{label}: EX2 before the P·V wait {ex_before}, after {ex_after} (loop {nxt - i1} instructions)")
