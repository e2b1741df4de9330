"""Independent reference numbers for platefit's across-experiment statistics (src/study.rs).

Computed with numpy, scipy and statsmodels (not with platefit's formulas):
- geometric mean and t-based 95 % CI of log10 values: scipy.stats.t.interval
- one-sample t test of log10 ratios against 0: scipy.stats.ttest_1samp
- DerSimonian-Laird random effects: statsmodels.stats.meta_analysis.combine_effects
  (method_re="dl"; normal CI, no Hartung-Knapp)
- Levey-Jennings limits: numpy mean and SD (ddof=1) of the baseline points; Westgard rules
  evaluated here with plain loops from their textbook definitions.

Run: python3 tests/data/study/make_reference.py  (writes reference.json beside it)
Versions used are recorded in the output.
"""
import json
from pathlib import Path

import numpy as np
import scipy
import statsmodels
from scipy import stats
from statsmodels.stats.meta_analysis import combine_effects

here = Path(__file__).parent

# log10 IC50s (or log10 ratios) over experiments.
log_sets = {
    "three": [-1.3767507096, -1.2218487496, -1.4559319557],
    "five": [0.2, 0.35, 0.31, 0.12, 0.44],
    "two": [1.65, 1.9],
    "spread": [-2.0, 0.0, 1.5, 0.7],
}
# (log10 ratio, SE) per experiment.
meta_sets = {
    "ri_three": [(1.62, 0.045), (1.71, 0.052), (1.55, 0.060)],
    "homogeneous": [(0.50, 0.10), (0.52, 0.12), (0.49, 0.09), (0.51, 0.11)],
    "heterogeneous": [(0.2, 0.05), (0.9, 0.04), (0.5, 0.08), (1.3, 0.06), (0.1, 0.1)],
    "single": [(0.8, 0.07)],
}
# Control chart: values, baseline mask.
chart_values = [0.10, -0.05, 0.02, 0.08, -0.11, 0.04, -0.02, 0.01, 0.06, -0.07,
                0.30, 0.33, 0.05, -0.30, 0.12, 0.13, 0.14, 0.15, 0.16, 0.17,
                0.18, 0.19, 0.20, 0.21, 0.22, 0.50]
chart_baseline = [True] * 10 + [False] * (len(chart_values) - 10)

out = {"versions": {"numpy": np.__version__, "scipy": scipy.__version__,
                    "statsmodels": statsmodels.__version__},
       "log_means": {}, "t_tests": {}, "meta": {}, "chart": {}}
for name, ys in log_sets.items():
    y = np.array(ys)
    k = len(y)
    m = y.mean()
    lo, hi = stats.t.interval(0.95, k - 1, loc=m, scale=stats.sem(y))
    out["log_means"][name] = {"values": ys, "geometric_mean": 10 ** m,
                              "ci95": [10 ** lo, 10 ** hi]}
    t = stats.ttest_1samp(y, 0.0)
    out["t_tests"][name] = {"values": ys, "t": float(t.statistic), "df": k - 1,
                            "p_value": float(t.pvalue)}
for name, pairs in meta_sets.items():
    eff = np.array([p[0] for p in pairs])
    var = np.array([p[1] ** 2 for p in pairs])
    if len(pairs) > 1:
        res = combine_effects(eff, var, method_re="dl", use_t=False)
        tau2, q = res.tau2, res.q
        i2 = max(0.0, res.i2)  # statsmodels does not truncate I2 or tau2 at 0
        if tau2 > 0:
            lo, hi = res.conf_int(alpha=0.05)[1]  # row 1 = random effect
            pooled, se = res.mean_effect_re, res.sd_eff_w_re
        else:
            # DL truncates tau2 at 0, where the random-effects model is the fixed-effect one.
            tau2 = 0.0
            lo, hi = res.conf_int(alpha=0.05)[0]
            pooled, se = res.mean_effect_fe, res.sd_eff_w_fe
        fixed = res.mean_effect_fe
    else:
        pooled, se = eff[0], np.sqrt(var[0])
        lo, hi = stats.norm.interval(0.95, loc=pooled, scale=se)
        tau2, q, i2, fixed = 0.0, 0.0, 0.0, eff[0]
    out["meta"][name] = {"estimates": pairs, "fixed": float(fixed), "q": float(q),
                         "tau2": float(tau2), "i2": float(i2), "pooled": float(pooled),
                         "se": float(se), "ratio": float(10 ** pooled),
                         "ratio_ci95": [float(10 ** lo), float(10 ** hi)]}
v = np.array(chart_values)
b = v[np.array(chart_baseline)]
mean, sd = b.mean(), b.std(ddof=1)
z = (v - mean) / sd
flags = []
for i in range(len(z)):
    f = []
    if abs(z[i]) > 3:
        f.append("1-3s")
    if i >= 1 and ((z[i - 1] > 2 and z[i] > 2) or (z[i - 1] < -2 and z[i] < -2)):
        f.append("2-2s")
    if i >= 1 and abs(z[i] - z[i - 1]) > 4:
        f.append("R-4s")
    if i >= 9 and (all(z[i - 9:i + 1] > 0) or all(z[i - 9:i + 1] < 0)):
        f.append("10-x")
    flags.append(f)
out["chart"] = {"values": chart_values, "baseline": chart_baseline, "mean": float(mean),
                "sd": float(sd), "limits_2sd": [float(mean - 2 * sd), float(mean + 2 * sd)],
                "limits_3sd": [float(mean - 3 * sd), float(mean + 3 * sd)], "flags": flags}
(here / "reference.json").write_text(json.dumps(out, indent=1) + "\n")
