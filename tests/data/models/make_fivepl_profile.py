"""Reference profile-likelihood 95 % CIs of LogIC50 for the unweighted 5PL fits of
fivepl_weighted.json, computed independently with numpy/scipy. Written for platefit
(MIT OR Apache-2.0).

The 5PL is Prism's "asymmetric sigmoidal, 5PL, X is log(concentration)" with LogIC50 (the
midpoint between the plateaus) a fitted parameter (see make_fivepl_weighted.py), so its
CI can be profiled as Prism's "asymmetrical" CI: the limits are the LogIC50 values where
the RSS minimized over Bottom, Top, HillSlope and S with LogIC50 held fixed reaches
RSS_min * (1 + t^2(0.975, df)/df), the F(1, df) limit.

Each profile point is minimized by scipy.optimize.least_squares (method "lm", ln S as the
solver's parameter) from the optimum's own values and a few asymmetries, keeping Prism's
labels (Bottom <= Top) as the fit does; each side is bracketed by stepping out from the
optimum and the crossing solved by scipy.optimize.brentq to 1e-10 decades.

`at_shape_edge` marks a limit where, just beyond it, no refit stays an accepted curve
(|HillSlope| < 50, S in [1e-3, 1e3], Bottom <= Top): such a limit is where the refits
stop being sigmoids, and a search may place it slightly differently.

Run:  python3 make_fivepl_profile.py > fivepl_profile.json
"""
import json
import os

import numpy as np
from scipy import optimize, stats

from make_fivepl_weighted import curve5

HERE = os.path.dirname(os.path.abspath(__file__))


def profile_rss(x, y, optimum, log_ic50):
    bottom, top, _, hill, s = optimum
    best = np.inf
    for s0 in (s, 1.0, 0.3, 3.0, 0.1, 10.0):
        start = [bottom, top, hill, np.log(s0)]

        def residuals(q):
            with np.errstate(over="ignore"):
                return curve5([q[0], q[1], log_ic50, q[2], np.exp(q[3])], x) - y

        try:
            r = optimize.least_squares(residuals, start, method="lm", xtol=1e-15,
                                       ftol=1e-15, gtol=1e-15, max_nfev=20000)
        except Exception:
            continue
        q = r.x
        if not np.isfinite(r.cost) or q[0] > q[1] or abs(q[2]) >= 50:
            continue
        if not 1e-3 <= np.exp(q[3]) <= 1e3:
            continue
        best = min(best, 2 * r.cost)
    return best


def interval(x, y, fit):
    p = fit["params"]
    optimum = [p["bottom"], p["top"], p["log_ic50"], p["hill_slope"], p["asymmetry"]]
    rss, df = fit["rss"], fit["df"]
    t = stats.t.ppf(0.975, df)
    threshold = rss * (1 + t * t / df)
    log_hat = optimum[2]

    def g(v):
        return profile_rss(x, y, optimum, v) - threshold

    limits = []
    for direction in (-1.0, 1.0):
        step, inside = 0.01, log_hat
        while True:
            out = log_hat + direction * step
            if g(out) > 0:
                break
            inside = out
            step *= 1.5
            if step > 5:
                out = None
                break
        limits.append(None if out is None else
                      optimize.brentq(g, min(inside, out), max(inside, out), xtol=1e-10))
    return limits


def main():
    with open(os.path.join(HERE, "fivepl_weighted.json")) as fh:
        cases = json.load(fh)["cases"]
    out = []
    for case in cases:
        fit = case["fits"].get("5pl")
        if fit is None:
            continue
        x = np.array(case["conc"], dtype=float)
        y = np.array(case["response"], dtype=float)
        lo, hi = interval(x, y, fit)
        p = fit["params"]
        optimum = [p["bottom"], p["top"], p["log_ic50"], p["hill_slope"], p["asymmetry"]]
        # A limit at the edge of the accepted curves: just beyond it no refit stays a
        # sigmoid (|HillSlope| < 50, S in [1e-3, 1e3], Bottom <= Top), so the limit is set
        # by where the refits stop, not by the RSS alone.
        edge = [limit is not None and
                not np.isfinite(profile_rss(x, y, optimum, limit + direction * 1e-3))
                for limit, direction in ((lo, -1.0), (hi, 1.0))]
        out.append({"name": case["name"], "log_ic50": fit["params"]["log_ic50"],
                    "log_ic50_profile_ci95": [lo, hi], "at_shape_edge": edge})
    print(json.dumps({"source": "tests/data/models/make_fivepl_profile.py",
                      "cases": out}, indent=1))


if __name__ == "__main__":
    main()
