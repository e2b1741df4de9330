#!/usr/bin/env python3
"""Independent GR metrics for the GRmetrics toy example subset (tests/data/growth/).

Computes, outside platefit, with numpy/scipy only:
  - GR values per row: 2^(log2(max(x/x0, 1e-6)) / log2(x_ctrl/x0)) - 1 (gr_metrics Python);
  - the GR curve GR(c) = GRinf + (1 - GRinf)/(1 + (c/GEC50)^h) by bounded least squares
    with GRmetrics' box (GRinf in [-1, 1], log10 GEC50 within two decades of the tested
    range, h in [0.1, 5]); scipy.optimize.least_squares (trf) from a grid of starts and
    L-BFGS-B from GRmetrics' prior, keeping the lowest RSS;
  - GR50 from the fit (None when GRinf >= 0.5), GRmax = the lower mean GR of the two highest
    concentrations, GR_AOC = trapz(1 - GR, log10 c) / log10 range;
  - NCI-60 percent growth and GI50/TGI/LC50 by linear interpolation in log10 concentration
    where the observed curve first falls to 50, 0, -50 (None = not reached, or "below").

Run: python3 make_reference.py > reference.json   (numpy 2.4, scipy 1.17 when committed)
"""
import csv
import json
import math
import os
import sys

import numpy as np
from scipy.optimize import least_squares, minimize

HERE = os.path.dirname(os.path.abspath(__file__))


def gr_value(x, x0, xc):
    return 2 ** (math.log2(max(x / x0, 1e-6)) / math.log2(xc / x0)) - 1


def percent_growth(x, x0, xc):
    return 100 * (x - x0) / (xc - x0) if x >= x0 else 100 * (x - x0) / x0


def model(p, lx):
    grinf, lg, h = p
    return grinf + (1 - grinf) / (1 + 10 ** (h * (lx - lg)))


def fit(conc, gr):
    lx = np.log10(conc)
    y = np.asarray(gr)
    lo = np.array([-1.0, lx.min() - 2, 0.1])
    hi = np.array([1.0, lx.max() + 2, 5.0])
    mid = float(np.median(lx))
    starts = [[0.1, mid, 2.0]]
    for g in (-0.5, 0.1, 0.6):
        for off in (-1.0, 0.0, 1.0):
            for h in (0.7, 2.0, 4.0):
                starts.append([g, mid + off, h])
    best = None
    for s in starts:
        s = np.clip(s, lo, hi)
        r = least_squares(lambda p: model(p, lx) - y, s, bounds=(lo, hi), method="trf",
                          xtol=1e-15, ftol=1e-15, gtol=1e-15, max_nfev=20000)
        rss = float(np.sum(r.fun ** 2))
        if best is None or rss < best[1]:
            best = (r.x, rss)
    r = minimize(lambda p: float(np.sum((model(p, lx) - y) ** 2)), [0.1, mid, 2.0],
                 method="L-BFGS-B", bounds=list(zip(lo, hi)),
                 options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 10000})
    if r.fun < best[1]:
        best = (r.x, float(r.fun))
    return best


def level_means(conc, values):
    levels = sorted(set(conc))
    return [(c, float(np.mean([v for cc, v in zip(conc, values) if cc == c]))) for c in levels]


def crossing(means, level):
    for i, (c, v) in enumerate(means):
        if v <= level:
            if i == 0:
                return {"below": c}
            c0, v0 = means[i - 1]
            f = (v0 - level) / (v0 - v) if v0 != v else 0.5
            return {"value": 10 ** (math.log10(c0) + f * (math.log10(c) - math.log10(c0)))}
    return {"above": means[-1][0]}


def main():
    rows = list(csv.DictReader(open(os.path.join(HERE, "toy_example_input1_subset.tsv")),
                               delimiter="\t"))
    curves = {}
    for row in rows:
        key = f"{row['cell_line']} · {row['agent']}"
        curves.setdefault(key, []).append(row)
    out = []
    for key, group in curves.items():
        conc = [float(r["concentration"]) for r in group]
        x = [float(r["cell_count"]) for r in group]
        x0 = float(group[0]["cell_count__time0"])
        xc = float(group[0]["cell_count__ctrl"])
        gr = [gr_value(v, x0, xc) for v in x]
        pg = [percent_growth(v, x0, xc) for v in x]
        (grinf, lg, h), rss = fit(np.array(conc), gr)
        means = level_means(conc, gr)
        lmin, lmax = math.log10(means[0][0]), math.log10(means[-1][0])
        aoc = sum(0.5 * ((1 - a[1]) + (1 - b[1])) * (math.log10(b[0]) - math.log10(a[0]))
                  for a, b in zip(means, means[1:])) / (lmax - lmin)
        gr50 = None
        if grinf < 0.5:
            gr50 = 10 ** lg * ((1 - grinf) / (0.5 - grinf) - 1) ** (1 / h)
        tss = float(np.sum((np.array(gr) - np.mean(gr)) ** 2))
        pg_means = level_means(conc, pg)
        out.append({
            "curve": key,
            "t0": x0,
            "vehicle": xc,
            "vehicle_doublings": math.log2(xc / x0),
            "concentration": conc,
            "gr_values": gr,
            "grinf": float(grinf),
            "log10_gec50": float(lg),
            "gec50": float(10 ** lg),
            "hill": float(h),
            "rss": rss,
            "r_squared": 1 - rss / tss,
            "gr50_fitted": gr50,
            "grmax": min(means[-1][1], means[-2][1]),
            "gr_aoc": aoc,
            "gi50": crossing(pg_means, 50),
            "tgi": crossing(pg_means, 0),
            "lc50": crossing(pg_means, -50),
        })
    json.dump({"source": "make_reference.py on toy_example_input1_subset.tsv",
               "numpy": np.__version__, "scipy": __import__("scipy").__version__,
               "curves": out}, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
