"""Reference values for platefit's 3PL, normalized 4PL and model comparison, computed
independently with numpy/scipy: the least-squares optimum by scipy.optimize.least_squares
(method "lm") from a grid of starts, standard errors from s^2 (J^T J)^-1 with the
Jacobian at the optimum (finite differences by scipy), the extra-sum-of-squares F test
with scipy.stats.f, and AICc = N ln(RSS/N) + 2K + 2K(K+1)/(N-K-1) with K = fitted
parameters + 1 (Motulsky & Christopoulos, GraphPad Prism). Written for platefit.

Run:  python3 make_reference.py > reference.json
"""
import json

import numpy as np
from scipy import optimize, stats


def logistic(bottom, top, log_ic50, hill, x):
    out = np.empty_like(x)
    zero = x <= 0
    out[zero] = top if hill < 0 else bottom
    lx = np.log10(x[~zero])
    out[~zero] = bottom + (top - bottom) / (1.0 + 10.0 ** ((log_ic50 - lx) * hill))
    return out


MODELS = {
    # name: (parameter names, function of (p, x))
    "4pl": (["bottom", "top", "log_ic50", "hill_slope"], lambda p, x: logistic(p[0], p[1], p[2], p[3], x)),
    "3pl": (["bottom", "top", "log_ic50"], lambda p, x: logistic(p[0], p[1], p[2], -1.0, x)),
    "4pl_normalized": (["log_ic50", "hill_slope"], lambda p, x: logistic(0.0, 100.0, p[0], p[1], x)),
}


def starts(name, y):
    out = []
    for log_ic50 in np.arange(-3.0, 2.01, 0.25):
        for hill in (-0.3, -0.6, -1.0, -1.6, -2.5, -4.0):
            full = {"bottom": min(y), "top": max(y), "log_ic50": log_ic50, "hill_slope": hill}
            out.append([full[k] for k in MODELS[name][0]])
    return out


def fit(name, x, y):
    names, f = MODELS[name]
    best = None
    for s in starts(name, y):
        with np.errstate(all="ignore"):
            try:
                r = optimize.least_squares(lambda p: f(p, x) - y, s, method="lm",
                                           xtol=1e-15, ftol=1e-15, gtol=1e-15, max_nfev=20000)
            except Exception:
                continue
        if best is None or r.cost < best.cost:
            best = r
    rss = float(2 * best.cost)
    n, p = len(y), len(names)
    jac = best.jac
    cov = np.linalg.inv(jac.T @ jac) * rss / (n - p)
    return {
        "params": dict(zip(names, best.x.tolist())),
        "se": dict(zip(names, np.sqrt(np.diag(cov)).tolist())),
        "rss": rss,
        "df": n - p,
        "aicc": aicc(n, rss, p),
    }


def aicc(n, rss, p):
    k = p + 1
    return n * np.log(rss / n) + 2 * k + 2 * k * (k + 1) / (n - k - 1)


def compare(simple, complex_):
    extra = simple["df"] - complex_["df"]
    f = ((simple["rss"] - complex_["rss"]) / extra) / (complex_["rss"] / complex_["df"])
    p = float(stats.f.sf(f, extra, complex_["df"]))
    delta = simple["aicc"] - complex_["aicc"]
    prob = float(np.exp(0.5 * delta) / (1 + np.exp(0.5 * delta)))
    return {"f": float(f), "df": [extra, complex_["df"]], "p_value": p,
            "delta_aicc": float(delta), "probability_complex": prob}


def case(name, rng, truth):
    conc = [30.0 / 3.0 ** k for k in range(9)]
    x = np.array([c for c in conc for _ in range(3)] + [0.0] * 6)
    y = logistic(*truth, x) + rng.normal(0.0, 4.0, len(x))
    y = np.round(y, 6)
    fits = {m: fit(m, x, y) for m in MODELS}
    return {
        "name": name,
        "truth": truth,
        "conc": x.tolist(),
        "response": y.tolist(),
        "fits": fits,
        "compare_3pl_4pl": compare(fits["3pl"], fits["4pl"]),
    }


def main():
    rng = np.random.default_rng(13013)
    cases = [
        case("hill_minus_1", rng, [4.0, 100.0, 0.0, -1.0]),
        case("steep", rng, [6.0, 100.0, -0.3, -2.5]),
        case("shallow", rng, [3.0, 100.0, 0.2, -0.7]),
    ]
    print(json.dumps({"source": "tests/data/models/make_reference.py (numpy %s, scipy %s)"
                      % (np.__version__, __import__("scipy").__version__),
                      "cases": cases}, indent=1))


main()
