"""Reference values for platefit's ROUT and robust fit, computed independently with
numpy/scipy (scipy.optimize.least_squares with loss="cauchy" for the Lorentzian merit,
scipy.stats.t for the outlier test). Written for platefit; no code copied from elsewhere.

Method (Motulsky & Brown 2006, BMC Bioinformatics 7:123, as summarised in DESIGN §10):
  robust fit: minimise sum ln(1 + (r/RSDR)^2); RSDR = P68(|r|) * N/(N-K), P68 by linear
  interpolation (Hyndman-Fan type 7, numpy's default); the scale is updated until the
  fit and RSDR agree (a fixed point), starting from the least-squares fit;
  test: t_i = |r_i|/RSDR, two-sided p from t(N-K); Benjamini-Hochberg step-up at Q over
  the largest 30 % of residuals (rank k from the largest: p_(k) <= Q k / N);
  then least squares on the remaining points.

Run:  python3 make_reference.py > reference.json
"""
import json

import numpy as np
from scipy import optimize, stats

LN10 = np.log(10.0)


def model(p, x):
    bottom, top, log_ic50, hill = p
    out = np.empty_like(x)
    zero = x <= 0
    out[zero] = top if hill < 0 else bottom
    lx = np.log10(x[~zero])
    out[~zero] = bottom + (top - bottom) / (1.0 + 10.0 ** ((log_ic50 - lx) * hill))
    return out


def best_of(fun, starts, **kw):
    best = None
    for s in starts:
        try:
            r = optimize.least_squares(fun, s, method="lm" if "loss" not in kw else "trf",
                                       xtol=1e-15, ftol=1e-15, gtol=1e-15, max_nfev=20000, **kw)
        except Exception:
            continue
        if best is None or r.cost < best.cost:
            best = r
    return best


def starts_for(x, y):
    out = []
    for log_ic50 in np.arange(-3.0, 2.01, 0.5):
        for hill in (-0.5, -1.0, -2.0, -4.0):
            out.append([min(y), max(y), log_ic50, hill])
    return out


def ols(x, y):
    return best_of(lambda p: model(p, x) - y, starts_for(x, y))


def rsdr(res, k):
    n = len(res)
    return np.percentile(np.abs(res), 68.27) * n / (n - k)


def robust(x, y, start):
    p = np.array(start, dtype=float)
    for _ in range(500):
        s = rsdr(y - model(p, x), 4)
        r = optimize.least_squares(lambda q: model(q, x) - y, p, loss="cauchy", f_scale=s,
                                   method="trf", xtol=1e-15, ftol=1e-15, gtol=1e-15,
                                   max_nfev=20000)
        change = np.max(np.abs(r.x - p) / (1 + np.abs(p)))
        p = r.x
        if change < 1e-13:
            break
    return p, rsdr(y - model(p, x), 4)


def rout(res, scale, k, q):
    n = len(res)
    order = sorted(range(n), key=lambda i: (-abs(res[i]), i))
    tested = max(1, int(np.floor(0.3 * n)))
    pvals = [2 * stats.t.sf(abs(res[i]) / scale, n - k) for i in order[:tested]]
    last = 0
    for rank, p in enumerate(pvals, start=1):
        if p <= q * rank / n:
            last = rank
    return [(order[i], pvals[i]) for i in range(last)]


def case(name, rng, outliers):
    truth = [5.0, 100.0, 0.0, -1.2]
    conc = [30.0 / 3.0 ** k for k in range(9)]
    x = np.array([c for c in conc for _ in range(3)] + [0.0] * 6)
    y = model(np.array(truth), x) + rng.normal(0.0, 4.0, len(x))
    for index, shift in outliers:
        y[index] += shift
    y = np.round(y, 6)
    fit0 = ols(x, y)
    p_rob, scale = robust(x, y, fit0.x)
    found = rout(y - model(p_rob, x), scale, 4, 0.01)
    keep = np.ones(len(x), dtype=bool)
    for i, _ in found:
        keep[i] = False
    final = ols(x[keep], y[keep])
    return {
        "name": name,
        "conc": x.tolist(),
        "response": y.tolist(),
        "least_squares": fit0.x.tolist(),
        "robust": p_rob.tolist(),
        "rsdr": float(scale),
        "outliers": [i for i, _ in found],
        "p_values": [float(p) for _, p in found],
        "final": final.x.tolist(),
        "final_rss": float(2 * final.cost),
    }


def main():
    rng = np.random.default_rng(20261203)
    cases = [
        case("clean", rng, []),
        case("one_gross_outlier", rng, [(13, 40.0)]),
        case("two_outliers", rng, [(4, -35.0), (20, 30.0)]),
    ]
    print(json.dumps({"source": "tests/data/rout/make_reference.py (numpy %s, scipy %s)"
                      % (np.__version__, __import__("scipy").__version__), "q": 0.01,
                      "cases": cases}, indent=1))


main()
