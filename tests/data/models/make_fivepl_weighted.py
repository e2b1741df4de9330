"""Reference values for platefit's asymmetric 5PL and its relative (1/Y^2) weighting,
computed independently with numpy/scipy. Written for platefit (MIT OR Apache-2.0).

5PL (GraphPad Prism's "asymmetric sigmoidal, 5PL, X is log(concentration)"):
    LogXb = LogIC50 + (1/HillSlope)*log10(2^(1/S) - 1)
    Y = Bottom + (Top - Bottom)/(1 + 10^((LogXb - X)*HillSlope))^S
Dose zero (X = -inf) is Top for a falling curve. Only solutions with Bottom <= Top are
kept (see `solve`). The least-squares optimum is found by
scipy.optimize.least_squares (method "lm", ln S as the solver's parameter so S stays
positive) from a grid of starts (LogIC50 x HillSlope x S); standard errors are
s^2 (J^T J)^-1 with the analytic-free Jacobian in (Bottom, Top, LogIC50, HillSlope, S)
by central differences, s^2 = RSS/(n - 5).

Relative weighting, as Prism 5+ does it: the unweighted optimum first, then weights
w = 1/Y_curve^2 held constant while sum w (y - f)^2 is minimized, recomputed from the new
curve, until the parameters no longer change. Reported: the parameters at that fixed
point, the weighted SS with the weights of the final curve, SEs from
(WSS/df) (J_w^T J_w)^-1 with J_w = sqrt(w) df/dp, and the largest relative gradient of the
fixed-weight problem at the end (the fixed-point check).

The 4PL vs 5PL comparison: extra-sum-of-squares F with scipy.stats.f and
AICc = N ln(RSS/N) + 2K + 2K(K+1)/(N-K-1), K = fitted parameters + 1.

Run:  python3 make_fivepl_weighted.py > fivepl_weighted.json
Cases: the three curves of reference.json (simulated, make_reference.py), an asymmetric
curve simulated here (S = 0.3, seed below), the K562 curve of the synthetic plate
exp01_typical and the K562/FLM curve of exp21_partial_inhibition
(../reference/synthetic/<id>/normalized.csv, vehicle wells as dose-zero points; the
latter for the weighted 4PL only).
"""
import csv
import json
import os

import numpy as np
from scipy import optimize, stats

HERE = os.path.dirname(os.path.abspath(__file__))


def curve5(p, x):
    bottom, top, log_ic50, hill, s = p
    out = np.empty_like(x, dtype=float)
    zero = x <= 0
    out[zero] = top if hill < 0 else bottom
    lx = np.log10(x[~zero])
    log_xb = log_ic50 + np.log10(2.0 ** (1.0 / s) - 1.0) / hill
    out[~zero] = bottom + (top - bottom) / (1.0 + 10.0 ** ((log_xb - lx) * hill)) ** s
    return out


def curve4(p, x):
    return curve5([p[0], p[1], p[2], p[3], 1.0], x)


def jacobian(f, p, x, w=None):
    p = np.asarray(p, dtype=float)
    cols = []
    for k in range(len(p)):
        h = 1e-6 * max(abs(p[k]), 0.1)
        up, down = p.copy(), p.copy()
        up[k] += h
        down[k] -= h
        cols.append((f(up, x) - f(down, x)) / (2 * h))
    j = np.array(cols).T
    if w is not None:
        j = j * np.sqrt(w)[:, None]
    return j


def solve(f, to_full, from_full, x, y, starts, w=None):
    sw = np.ones_like(y) if w is None else np.sqrt(w)
    best = None
    for s in starts:
        with np.errstate(all="ignore"):
            try:
                r = optimize.least_squares(lambda q: sw * (f(to_full(q), x) - y), from_full(s),
                                           method="lm", jac="3-point", xtol=1e-15, ftol=1e-15, gtol=1e-15,
                                           max_nfev=20000)
            except Exception:
                continue
        if not np.isfinite(r.cost):
            continue
        # Prism's labels: Bottom below Top (for a falling curve HillSlope < 0, Top the
        # plateau at low doses). The mirrored 5PL (plateaus swapped, HillSlope > 0) is
        # another family of curves, not a relabelling as for the 4PL; it is not searched.
        full = to_full(r.x)
        if full[0] > full[1]:
            continue
        # As platefit: a Hill slope below 50 in size and, for the 5PL, S in [1e-3, 1e3]
        # (beyond, a step or another function, not an asymmetric sigmoid).
        if abs(full[3]) >= 50 or (len(full) == 5 and not 1e-3 <= full[4] <= 1e3):
            continue
        if best is None or r.cost < best.cost:
            best = r
    return to_full(best.x), float(2 * best.cost)


def to5(q):
    with np.errstate(over="ignore"):
        return [q[0], q[1], q[2], q[3], float(np.exp(q[4]))]


def from5(p):
    return [p[0], p[1], p[2], p[3], float(np.log(p[4]))]


def ident(q):
    return list(q)


def grid(x, y, five):
    lx = np.log10(x[x > 0])
    out = []
    for log_ic50 in np.arange(lx.min() - 1.0, lx.max() + 1.01, 0.25):
        for hill in (-0.5, -1.0, -2.0, -4.0):
            for s in ((0.1, 0.3, 1.0, 3.0, 10.0) if five else (1.0,)):
                p = [min(y), max(y), log_ic50, hill, s]
                out.append(p if five else p[:4])
    return out


def summary(f, p, x, y, w, names):
    p = np.asarray(p, dtype=float)
    resid = f(p, x) - y
    ww = np.ones_like(y) if w is None else w
    rss = float(np.sum(ww * resid ** 2))
    n, k = len(y), len(p)
    j = jacobian(f, p, x, ww)
    cov = np.linalg.inv(j.T @ j) * rss / (n - k)
    return {
        "params": dict(zip(names, p.tolist())),
        "se": dict(zip(names, np.sqrt(np.diag(cov)).tolist())),
        "rss": rss,
        "df": n - k,
        "aicc": aicc(n, rss, k),
    }


def aicc(n, rss, p):
    k = p + 1
    return float(n * np.log(rss / n) + 2 * k + 2 * k * (k + 1) / (n - k - 1))


NAMES4 = ["bottom", "top", "log_ic50", "hill_slope"]
NAMES5 = NAMES4 + ["asymmetry"]


def fit_unweighted(x, y, five):
    if five:
        p, _ = solve(curve5, to5, from5, x, y, grid(x, y, True))
        return summary(curve5, p, x, y, None, NAMES5), p
    p, _ = solve(curve4, ident, ident, x, y, grid(x, y, False))
    return summary(curve4, p, x, y, None, NAMES4), p


def fit_relative(x, y, five, start):
    f, to_full, from_full = (curve5, to5, from5) if five else (curve4, ident, ident)
    p = list(start)
    for rounds in range(1, 500):
        w = 1.0 / f(np.asarray(p), x) ** 2
        q, _ = solve(f, to_full, from_full, x, y, [p], w)
        moved = max(abs(a - b) / (1 + abs(b)) for a, b in zip(q, p))
        p = q
        if moved < 1e-13:
            break
    w = 1.0 / f(np.asarray(p), x) ** 2
    out = summary(f, p, x, y, w, NAMES5 if five else NAMES4)
    # Fixed-point check: the gradient of the fixed-weight problem at the end.
    j = jacobian(f, p, x)
    gradient = j.T @ (w * (f(np.asarray(p), x) - y))
    scale = np.sqrt(np.sum((j * np.sqrt(w)[:, None]) ** 2, axis=0) * out["rss"])
    out["rounds"] = rounds
    out["max_relative_gradient"] = float(np.max(np.abs(gradient) / scale))
    return out


def compare(simple, complex_):
    extra = simple["df"] - complex_["df"]
    f = ((simple["rss"] - complex_["rss"]) / extra) / (complex_["rss"] / complex_["df"])
    p = float(stats.f.sf(f, extra, complex_["df"]))
    delta = simple["aicc"] - complex_["aicc"]
    prob = float(1.0 / (1.0 + np.exp(-0.5 * delta)))
    return {"f": float(f), "df": [extra, complex_["df"]], "p_value": p,
            "delta_aicc": float(delta), "probability_complex": prob}


def synthetic(exp, line):
    conc, resp = [], []
    with open(os.path.join(HERE, "..", "reference", "synthetic", exp, "normalized.csv")) as fh:
        for row in csv.DictReader(fh):
            if row["line"] == line:
                conc.append(float(row["conc_uM"]))
                resp.append(float(row["viability_pct"]))
    return conc, resp


def main():
    cases = []
    with open(os.path.join(HERE, "reference.json")) as fh:
        for case in json.load(fh)["cases"]:
            cases.append((case["name"], case["conc"], case["response"]))
    rng = np.random.default_rng(20261213)
    truth = [5.0, 100.0, -0.3, -1.2, 0.3]
    conc = [30.0 / 2.5 ** k for k in range(12) for _ in range(3)]
    resp = (curve5(truth, np.array(conc)) + rng.normal(0.0, 2.0, len(conc))).tolist()
    cases.append(("asymmetric_s0.3", conc, [round(v, 6) for v in resp]))
    cases.append(("exp01_typical K562",) + synthetic("exp01_typical", "K562"))
    cases.append(("exp21_partial_inhibition K562/FLM",)
                 + synthetic("exp21_partial_inhibition", "K562/FLM"))
    out = []
    for name, conc, resp in cases:
        x, y = np.array(conc, dtype=float), np.array(resp, dtype=float)
        four, p4 = fit_unweighted(x, y, False)
        entry = {"name": name, "conc": conc, "response": resp, "fits": {"4pl": four}}
        # The partial-inhibition curve has no 5PL optimum inside S in [1e-3, 1e3] (the fit
        # runs off to a step); it serves the weighted 4PL only.
        if not name.startswith("exp21"):
            five, p5 = fit_unweighted(x, y, True)
            entry["fits"]["5pl"] = five
            entry["compare_4pl_5pl"] = compare(four, five)
        # Relative weighting where the curve stays well away from 0.
        if np.min(curve4(p4, x)) > 1.0:
            entry["weighted"] = {"4pl": fit_relative(x, y, False, p4)}
            if name.startswith("asymmetric"):
                entry["weighted"]["5pl"] = fit_relative(x, y, True, p5)
                entry["weighted"]["compare_4pl_5pl"] = compare(entry["weighted"]["4pl"],
                                                               entry["weighted"]["5pl"])
        out.append(entry)
    print(json.dumps({"source": "tests/data/models/make_fivepl_weighted.py", "cases": out},
                     indent=1))


if __name__ == "__main__":
    main()
