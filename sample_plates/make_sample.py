"""Writes the bundled sample experiment (seeded, reproducible byte for byte).

Flumatinib on parental K562 and flumatinib-resistant K562/FLM, 5e3 cells/well in 100 uL,
72 h, 10 uL CCK-8 for 2 h, read at 450 nm with a 630 nm reference (dual wavelength).
Rows A and H: PBS edge wells. Rows B-D: K562 replicates 1-3; rows E-G: K562/FLM 1-3.
Column 1 blank (medium + CCK-8), column 2 vehicle (0.1 % DMSO), columns 3-12 flumatinib
from 50 uM in 3-fold steps. Run: python3 sample_plates/make_sample.py
"""
import math
import random
from pathlib import Path

random.seed(20261121)
here = Path(__file__).parent
concs = [50 / 3 ** k for k in range(10)]
lines = {  # relative IC50 (uM), Prism HillSlope, bottom (%), vehicle OD above blank
    "K562": (0.042, -1.25, 1.5, 1.32),
    "K562/FLM": (1.9, -1.05, 3.0, 1.18),
}
blank_true, ref_true = 0.128, 0.046
od450 = [[0.0] * 12 for _ in range(8)]
od630 = [[0.0] * 12 for _ in range(8)]
for r in range(8):
    for c in range(12):
        ref = ref_true + random.gauss(0, 0.002)
        if r in (0, 7):
            value = 0.052 + random.gauss(0, 0.002)  # PBS, no CCK-8
        elif c == 0:
            value = blank_true + ref + random.gauss(0, 0.004)
        else:
            line = "K562" if r <= 3 else "K562/FLM"
            ic50, hill, bottom, signal = lines[line]
            if c == 1:
                v = 1.0
            else:
                x = concs[c - 2]
                v = (bottom + (100 - bottom) / (1 + 10 ** ((math.log10(ic50) - math.log10(x)) * hill))) / 100
            value = blank_true + ref + signal * v * math.exp(random.gauss(0, 0.045)) + random.gauss(0, 0.006)
        od450[r][c] = value
        od630[r][c] = ref
with open(here / "flumatinib_K562_72h.csv", "w", newline="\n") as f:
    for title, grid in (("450", od450), ("630", od630)):
        f.write(title + "," + ",".join(str(c) for c in range(1, 13)) + "\n")
        for r, row in enumerate(grid):
            f.write("ABCDEFGH"[r] + "," + ",".join(f"{v:.4f}" for v in row) + "\n")
        f.write("\n")


def block(name, cell):
    out = [name + "," + ",".join(str(c) for c in range(1, 13))]
    for r in range(8):
        out.append("ABCDEFGH"[r] + "," + ",".join(cell(r, c) for c in range(12)))
    return "\n".join(out) + "\n"


def role(r, c):
    if r in (0, 7):
        return "empty"
    return "blank" if c == 0 else "vehicle" if c == 1 else "treated"


def line(r, c):
    if r in (0, 7) or c == 0:
        return ""
    return "K562" if r <= 3 else "K562/FLM"


def drug(r, c):
    return "flumatinib" if r not in (0, 7) and c >= 2 else ""


def conc(r, c):
    if r in (0, 7) or c == 0:
        return ""
    return "0" if c == 1 else f"{concs[c - 2]:.10g}"


def rep(r, c):
    return "" if r in (0, 7) or c == 0 else str((r - 1) % 3 + 1)


blocks = [block("role", role), block("line", line), block("drug", drug), block("conc_uM", conc), block("replicate", rep)]
(here / "flumatinib_K562_72h_layout.csv").write_text("\n".join(blocks))
