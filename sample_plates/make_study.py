"""Writes the sample resistance study (seeded, reproducible byte for byte).

Three independent experiments (biological replicates, different days and passages) of
flumatinib on parental K562 and flumatinib-resistant K562/FLM, laid out like the bundled
sample plate (rows B-D K562, E-G K562/FLM; column 1 blank, column 2 vehicle, columns 3-12
flumatinib from 50 uM in 3-fold steps), with day-to-day variation of both IC50s and of the
signal; and one reversal plate: K562/FLM with flumatinib alone (rows B-D), flumatinib +
ivermectin 2 uM (rows E-G; their vehicle wells hold ivermectin 2 uM) and ivermectin alone as
the toxicity control (rows A and H, 40 uM in 2-fold steps).
CCK-8, 450 nm with a 630 nm reference. Run: python3 sample_plates/make_study.py
"""
import math
import random
from pathlib import Path

random.seed(20261203)
out = Path(__file__).parent / "study"
out.mkdir(exist_ok=True)
flu = [50 / 3 ** k for k in range(10)]
ivm = [40 / 2 ** k for k in range(10)]
blank_true, ref_true = 0.128, 0.046


def viability(x, ic50, hill, bottom):
    return (bottom + (100 - bottom) / (1 + 10 ** ((math.log10(ic50) - math.log10(x)) * hill))) / 100


def write_plate(name, wells, signal):
    """wells(r, c) -> None (PBS), 'blank', or relative viability 0..1."""
    od450 = [[0.0] * 12 for _ in range(8)]
    od630 = [[0.0] * 12 for _ in range(8)]
    for r in range(8):
        for c in range(12):
            ref = ref_true + random.gauss(0, 0.002)
            w = wells(r, c)
            if w is None:
                value = 0.052 + random.gauss(0, 0.002)
            elif w == "blank":
                value = blank_true + ref + random.gauss(0, 0.004)
            else:
                value = blank_true + ref + signal * w * math.exp(random.gauss(0, 0.045)) + random.gauss(0, 0.006)
            od450[r][c] = value
            od630[r][c] = ref
    with open(out / f"{name}.csv", "w", newline="\n") as f:
        for title, grid in (("450", od450), ("630", od630)):
            f.write(title + "," + ",".join(str(c) for c in range(1, 13)) + "\n")
            for r, row in enumerate(grid):
                f.write("ABCDEFGH"[r] + "," + ",".join(f"{v:.4f}" for v in row) + "\n")
            f.write("\n")


def block(name, cell):
    rows = [name + "," + ",".join(str(c) for c in range(1, 13))]
    for r in range(8):
        rows.append("ABCDEFGH"[r] + "," + ",".join(cell(r, c) for c in range(12)))
    return "\n".join(rows) + "\n"


def write_layout(name, blocks):
    (out / f"{name}_layout.csv").write_text("\n".join(block(n, f) for n, f in blocks))


# --- three resistance experiments ---------------------------------------------------------
for k, passage in enumerate((12, 19, 27), start=1):
    day = 10 ** random.gauss(0, 0.06)  # shared day effect on both lines
    lines = {
        "K562": (0.042 * day * 10 ** random.gauss(0, 0.04), -1.25, 1.5),
        "K562/FLM": (1.9 * day * 10 ** random.gauss(0, 0.05), -1.05, 3.0),
    }
    signal = {"K562": 1.32 * random.uniform(0.88, 1.12), "K562/FLM": 1.18 * random.uniform(0.88, 1.12)}

    def cell_line(r):
        return "K562" if r <= 3 else "K562/FLM"

    def wells(r, c):
        if r in (0, 7):
            return None
        if c == 0:
            return "blank"
        ic50, hill, bottom = lines[cell_line(r)]
        return 1.0 if c == 1 else viability(flu[c - 2], ic50, hill, bottom)

    name = f"flumatinib_exp{k}_p{passage}"
    # The signal differs per line: scale the viability by the line's signal over the first one.
    write_plate(name, lambda r, c: (w if not isinstance(w := wells(r, c), float) else w * signal[cell_line(r)] / 1.32), 1.32)
    write_layout(name, [
        ("role", lambda r, c: "empty" if r in (0, 7) else "blank" if c == 0 else "vehicle" if c == 1 else "treated"),
        ("line", lambda r, c: "" if r in (0, 7) or c == 0 else cell_line(r)),
        ("drug", lambda r, c: "flumatinib" if r not in (0, 7) and c >= 2 else ""),
        ("conc_uM", lambda r, c: "" if r in (0, 7) or c == 0 else "0" if c == 1 else f"{flu[c - 2]:.10g}"),
        ("replicate", lambda r, c: "" if r in (0, 7) or c == 0 else str((r - 1) % 3 + 1)),
    ])

# --- the reversal plate -------------------------------------------------------------------
IVM = "+ ivermectin 2 µM"
flm_ic50 = 1.9 * 10 ** random.gauss(0, 0.06)
with_ivm_ic50 = flm_ic50 / 5.5  # ivermectin reverses most of the resistance
ivm_alone = (9.0, -2.2, 2.0)  # ivermectin's own IC50 in K562/FLM: 2 uM is nearly non-toxic
ivm_2um = viability(2.0, *ivm_alone)


def reversal_wells(r, c):
    if c == 0:
        return "blank"
    if r in (0, 7):  # ivermectin alone
        return 1.0 if c == 1 else viability(ivm[c - 2], *ivm_alone)
    if r <= 3:  # flumatinib alone
        return 1.0 if c == 1 else viability(flu[c - 2], flm_ic50, -1.05, 3.0)
    # flumatinib + ivermectin 2 uM: the modulator's own small toxicity times the drug effect
    return ivm_2um * (1.0 if c == 1 else viability(flu[c - 2], with_ivm_ic50, -1.1, 3.0))


name = "flumatinib_ivermectin_reversal_p30"
write_plate(name, reversal_wells, 1.18)
write_layout(name, [
    ("role", lambda r, c: "blank" if c == 0 else "vehicle" if c == 1 else "treated"),
    ("line", lambda r, c: "" if c == 0 else "K562/FLM"),
    ("drug", lambda r, c: "" if c <= 1 else "ivermectin" if r in (0, 7) else "flumatinib"),
    ("condition", lambda r, c: IVM if 4 <= r <= 6 and c >= 1 else ""),
    ("conc_uM", lambda r, c: "" if c == 0 else "0" if c == 1 else f"{(ivm if r in (0, 7) else flu)[c - 2]:.10g}"),
    ("replicate", lambda r, c: "" if c == 0 else "1" if r == 0 else "2" if r == 7 else str((r - 1) % 3 + 1)),
])
