"""Writes the time-zero companion of the sample experiment (seeded, reproducible byte for byte).

`flumatinib_K562_t0.csv`: the same seeding as `flumatinib_K562_72h.csv`, read with CCK-8 at
the time of drug addition (the time-zero plate; same layout, analyse with
`platefit analyze sample_plates/flumatinib_K562_72h.csv --t0 sample_plates/flumatinib_K562_t0.csv`).
Parental K562 doubles about every 24 h (3 doublings in 72 h), the resistant K562/FLM about
every 40 h (1.8 doublings): the vehicle OD above blank at 72 h (1.32 and 1.18 in
make_sample.py) divided by 2^doublings gives the t0 OD above blank.

`tests/data/growth/t0_wells_plate.csv` + `_layout.csv`: the 72 h sample plate with t0 wells
in the edge rows (row A: K562, row H: K562/FLM, columns 2-12), as a fixed-cell assay lays
them out (t0 wells fixed at drug addition, stained with the rest), for the app's test.
The 72 h wells are copied from the sample plate unchanged.
Run: python3 sample_plates/make_sample_t0.py
"""
import random
from pathlib import Path

random.seed(20261203)
here = Path(__file__).parent
doublings = {"K562": 3.0, "K562/FLM": 1.8}
signal_72h = {"K562": 1.32, "K562/FLM": 1.18}
blank_true, ref_true = 0.128, 0.046


def t0_signal(line):
    return signal_72h[line] / 2 ** doublings[line]


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
            value = blank_true + ref + t0_signal(line) * (1 + random.gauss(0, 0.04)) + random.gauss(0, 0.004)
        od450[r][c] = value
        od630[r][c] = ref


def write_plate(path, grids):
    with open(path, "w", newline="\n") as f:
        for title, grid in grids:
            f.write(title + "," + ",".join(str(c) for c in range(1, 13)) + "\n")
            for r, row in enumerate(grid):
                f.write("ABCDEFGH"[r] + "," + ",".join(f"{v:.4f}" for v in row) + "\n")
            f.write("\n")


write_plate(here / "flumatinib_K562_t0.csv", (("450", od450), ("630", od630)))

# The fixed-cell variant: the 72 h plate with t0 wells in rows A and H.
sample = (here / "flumatinib_K562_72h.csv").read_text().split("\n\n")
grids = []
for chunk in sample:
    rows = [line for line in chunk.strip().split("\n") if line]
    if not rows:
        continue
    title = rows[0].split(",")[0]
    grid = [[float(v) for v in row.split(",")[1:]] for row in rows[1:]]
    grids.append((title, grid))
for c in range(1, 12):
    for r, line in ((0, "K562"), (7, "K562/FLM")):
        ref = ref_true + random.gauss(0, 0.002)
        grids[0][1][r][c] = blank_true + ref + t0_signal(line) * (1 + random.gauss(0, 0.04))
        grids[1][1][r][c] = ref
out = here.parent / "tests" / "data" / "growth"
write_plate(out / "t0_wells_plate.csv", grids)
layout = (here / "flumatinib_K562_72h_layout.csv").read_text().split("\n\n")
role = layout[0].split("\n")
role[1] = "A,empty," + ",".join(["t0"] * 11)
role[8] = "H,empty," + ",".join(["t0"] * 11)
line = layout[1].split("\n")
line[1] = "A,," + ",".join(["K562"] * 11)
line[8] = "H,," + ",".join(["K562/FLM"] * 11)
layout[0] = "\n".join(role)
layout[1] = "\n".join(line)
(out / "t0_wells_plate_layout.csv").write_text("\n\n".join(layout))
