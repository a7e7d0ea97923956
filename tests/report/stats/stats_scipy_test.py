#!/usr/bin/env python3
"""wattserve_stats against SciPy 1.10 / NumPy (ctest report.stats_scipy).

Usage: stats_scipy_test.py PATH/TO/report_stats_probe

Builds fixed data sets (a seeded NumPy generator plus hand-written tie-heavy and tiny ones),
sends every request to the probe in one run (one JSON object a line), computes the same
statistics with SciPy / NumPy, prints a table of every mismatch and the worst relative error per
statistic, and exits non-zero on any mismatch. The last line is "N passed, M failed".

Tolerances (relative, with an absolute floor where a value can be 0):
  - deterministic statistics (quantiles, mean, sd, ranks, Kruskal-Wallis, Mann-Whitney, Holm,
    Cliff's delta, A12, Spearman, OLS, the BCa interval from the same resampled statistics):
    1e-9 (most agree to ~1e-15).
  - Shapiro-Wilk: SciPy 1.10 runs AS R94 in single precision (swilk.f: REAL data, coefficients,
    sums, W and p; AS 111 / AS 66 for the normal quantile and tail), so W agrees only to the
    float32 rounding of its sums and p to that error amplified by the p-value's slope in
    log(1 - W), which grows with n as W nears 1. Against scipy.stats.shapiro: W 1e-6 for
    n <= 50 and 1e-5 above; p 5e-5 for n <= 50, 1e-3 for n <= 200, 1e-2 for n <= 1000 and
    5e-2 up to 5000 (there 1 - W is ~3e-4 and SciPy's float32 sums move W by ~5e-6).
    Two transcriptions of swilk.f in this file pin the cause: run in float32 (with AS 111 and
    AS 66) it reproduces scipy.stats.shapiro to 2e-6 (W) and 2e-4 (p; 5e-3 at n = 5000), and
    run in float64 (with scipy.special's ndtri and ndtr) it matches the probe to 1e-9.
  - OLS intervals: the t quantile of the reference is SciPy's t.ppf polished by Newton steps
    on t.cdf (1.10's t.ppf is accurate to ~3e-9 only).
  - BCa where SciPy's acceleration is 0/0 (all jackknife values equal): SciPy gives NaN, we take
    a = 0; the reference is then SciPy's formulas with a = 0.
"""
import json
import math
import os
import subprocess
import sys

try:
    import numpy as np
    import scipy
    from scipy import special, stats
    from scipy.stats._resampling import (_bca_interval, _percentile_along_axis,
                                         _percentile_of_score)
except ImportError:
    # ctest finds python3 on PATH, which may be a Python without SciPy (pyenv); Debian's has it.
    if sys.executable != "/usr/bin/python3" and os.path.exists("/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    print("stats_scipy_test: numpy and scipy are needed (apt-get install python3-scipy)")
    sys.exit(1)

import warnings

warnings.simplefilter("ignore")  # SciPy's warnings on constant data, small n, N > 5000

SEED = 20261206
RESAMPLES = 9999
TIGHT = 1e-9


class Checker:
    def __init__(self):
        self.passed = 0
        self.failed = []
        self.worst = {}  # statistic -> (relative error, tolerance)

    def value(self, stat, case, ours, ref, rtol=TIGHT, atol=0.0):
        ours = float("nan") if ours is None else float(ours)
        ref = float(ref)
        if math.isnan(ours) or math.isnan(ref):
            ok, err = math.isnan(ours) and math.isnan(ref), 0.0
        elif math.isinf(ours) or math.isinf(ref):
            ok, err = ours == ref, 0.0
        else:
            # Relative error, against the absolute floor atol / rtol for values near 0.
            diff = abs(ours - ref)
            scale = max(abs(ref), atol / rtol if rtol > 0 else 0.0)
            err = diff / scale if scale > 0 else diff
            ok = diff <= max(rtol * abs(ref), atol)
        if ok and not math.isnan(err):
            prev = self.worst.get(stat, (0.0, rtol))
            if err >= prev[0]:
                self.worst[stat] = (err, rtol)
        self.record(ok, stat, case, ours, ref, err if not ok else None, rtol)

    def equal(self, stat, case, ours, ref):
        self.record(ours == ref, stat, case, ours, ref, None, "equal")

    def record(self, ok, stat, case, ours, ref, err, tol):
        if ok:
            self.passed += 1
        else:
            self.failed.append((stat, case, ours, ref, err, tol))

    def report(self):
        if self.failed:
            print("MISMATCHES")
            print(f"{'statistic':<22} {'case':<34} {'ours':>24} {'scipy':>24} {'rel err':>10} tol")
            for stat, case, ours, ref, err, tol in self.failed:
                e = f"{err:.3g}" if isinstance(err, float) else "-"
                print(f"{stat:<22} {case:<34} {str(ours):>24} {str(ref):>24} {e:>10} {tol}")
        print("worst relative error per statistic (tolerance; near 0: error / (atol / rtol)):")
        for stat in sorted(self.worst):
            err, tol = self.worst[stat]
            print(f"  {stat:<26} {err:.2e}  ({tol})")
        print(f"{self.passed} passed, {len(self.failed)} failed")
        return 0 if not self.failed else 1


def floats(a):
    return [float(v) for v in a]


# ---------------------------------------------------------------------------------------------
# Data sets.
rng = np.random.default_rng(SEED)
SAMPLES = {
    "n1": [5.0],
    "n2": [1.0, 3.0],
    "n3": [2.0, 7.0, 3.5],
    "n4": [4.1, 1.2, 8.8, 3.3],
    "n5": [10.0, 12.5, 9.0, 30.0, 11.0],
    "n8": floats(rng.normal(50, 5, 8)),
    "n9": floats(rng.normal(50, 5, 9)),
    "constant": [4.0] * 7,
    "ties_but_one": [2.0, 2.0, 2.0, 2.0, 2.0, 9.0],
    "ties_heavy": [1.0, 1, 1, 2, 2, 3, 3, 3, 3, 4, 5, 5, 7, 7, 7, 7, 7, 8],
    "integers40": floats(rng.integers(0, 6, 40)),
    "normal50": floats(rng.normal(100, 10, 50)),
    "lognormal1000": floats(rng.lognormal(0, 0.8, 1000)),
    "outliers": [10.0, 11, 12, 11, 10, 13, 11, 12, 45, -20, 11],
    "negative": floats(rng.normal(-3, 1, 20)),
}


def run_probe(probe, requests):
    text = "\n".join(json.dumps(r) for r in requests) + "\n"
    proc = subprocess.run([probe], input=text, capture_output=True, text=True, timeout=240)
    if proc.returncode != 0:
        print(proc.stderr)
        sys.exit(f"probe exited with {proc.returncode}")
    lines = proc.stdout.splitlines()
    if len(lines) != len(requests):
        sys.exit(f"probe answered {len(lines)} lines for {len(requests)} requests")
    out = [json.loads(line) for line in lines]
    for req, res in zip(requests, out):
        if "error" in res:
            sys.exit(f"probe error on {req['op']}: {res['error']}")
    return out


def nan(v):
    return float("nan") if v is None else v


# ---------------------------------------------------------------------------------------------
# Shapiro-Wilk: SciPy's swilk.f transcribed, in float32 (as SciPy runs it) or float64.
def as111_ppnd(p):  # AS 111, single precision, as in swilk.f
    f = np.float32
    q = f(p) - f(0.5)
    if abs(q) <= f(0.42):
        r = q * q
        return q * (((f(-25.44106049637) * r + f(41.39119773534)) * r + f(-18.61500062529)) * r
                    + f(2.50662823884)) / ((((f(3.13082909833) * r + f(-21.06224101826)) * r
                                             + f(23.08336743743)) * r + f(-8.47351093090)) * r
                                           + f(1.0))
    r = f(p) if q <= 0 else f(1) - f(p)
    r = np.sqrt(-np.log(r))
    v = (((f(2.32121276858) * r + f(4.85014127135)) * r + f(-2.29796479134)) * r
         + f(-2.78718931138)) / ((f(1.63706781897) * r + f(3.54388924762)) * r + f(1.0))
    return -v if q < 0 else v


def as66_upper(z):  # AS 66 alnorm(z, upper=True), double precision, as in swilk.f
    up = True
    if z < 0:
        up, z = False, -z
    if z > 7.0 and not (up and z <= 38.0):
        v = 0.0
    else:
        y = 0.5 * z * z
        if z <= 1.28:
            v = 0.5 - z * (0.398942280444 - 0.399903438504 * y / (
                y + 5.75885480458 - 29.8213557808 / (y + 2.62433121679 + 48.6959930692 / (
                    y + 5.92885724438))))
        else:
            v = 0.398942280385 * math.exp(-y) / (z - 3.8052e-8 + 1.00000615302 / (
                z + 3.98064794e-4 + 1.98615381364 / (z - 0.151679116635 + 5.29330324926 / (
                    z + 4.8385912808 - 15.1508972451 / (z + 0.742380924027 + 30.789933034 / (
                        z + 3.99019417011))))))
    return v if up else 1.0 - v


def swilk(data, single):
    """(W, p) by swilk.f; single: float32 arithmetic with AS 111 / AS 66 (SciPy 1.10), else
    float64 with scipy.special's ndtri / ndtr."""
    f = np.float32 if single else np.float64
    x = np.sort(np.asarray(data, dtype=np.float64) - np.median(data)).astype(f)
    n = len(x)
    nn2 = n // 2
    poly = lambda c, v: sum((f(ci) * f(v) ** f(i) for i, ci in enumerate(c[1:], 1)), f(c[0]))
    if n == 3:
        a = [f(math.sqrt(0.5))]
    else:
        an25 = f(n) + f(0.25)
        m = [as111_ppnd((f(i) - f(0.375)) / an25) if single
             else special.ndtri((i - 0.375) / (n + 0.25)) for i in range(1, nn2 + 1)]
        m = [f(v) for v in m]
        summ2 = f(0)
        for v in m:
            summ2 = f(summ2 + v * v)
        summ2 = summ2 * f(2)
        ssumm2 = np.sqrt(summ2)
        rsn = f(1) / np.sqrt(f(n))
        c1 = [0.0, 0.221157, -0.147981, -0.207119e1, 0.4434685e1, -0.2706056e1]
        c2 = [0.0, 0.42981e-1, -0.293762, -0.1752461e1, 0.5682633e1, -0.3582633e1]
        a1 = poly(c1, rsn) - m[0] / ssumm2
        a = list(m)
        if n > 5:
            a2 = -m[1] / ssumm2 + poly(c2, rsn)
            fac = np.sqrt((summ2 - f(2) * m[0] ** 2 - f(2) * m[1] ** 2)
                          / (f(1) - f(2) * a1 ** 2 - f(2) * a2 ** 2))
            a[0], a[1], first = a1, a2, 2
        else:
            fac = np.sqrt((summ2 - f(2) * m[0] ** 2) / (f(1) - f(2) * a1 ** 2))
            a[0], first = a1, 1
        for i in range(first, nn2):
            a[i] = -m[i] / fac
    full = np.zeros(n, dtype=f)
    for i in range(nn2):
        full[i], full[n - 1 - i] = -a[i], a[i]
    rng_ = x[-1] - x[0]
    xs = (x / rng_).astype(f)
    sa = np.cumsum(full, dtype=f)[-1] / f(n)
    sx = np.cumsum(xs, dtype=f)[-1] / f(n)
    da, dx = (full - sa).astype(f), (xs - sx).astype(f)
    ssa = np.cumsum(da * da, dtype=f)[-1]
    ssx = np.cumsum(dx * dx, dtype=f)[-1]
    sax = np.cumsum(da * dx, dtype=f)[-1]
    ssassx = np.sqrt(ssa * ssx)
    w1 = (ssassx - sax) * (ssassx + sax) / (ssa * ssx)
    w = f(1) - w1
    if n == 3:
        pi6, stqr = (f(1.909859), f(1.047198)) if single else (6 / math.pi, math.pi / 3)
        return float(w), float(pi6 * (np.arcsin(np.sqrt(w)) - stqr))
    y = np.log(w1)
    if n <= 11:
        gamma = poly([-0.2273e1, 0.459], f(n))
        if y >= gamma:
            return float(w), float(f(1e-19))
        y = -np.log(gamma - y)
        m_, s_ = poly([0.5440, -0.39978, 0.25054e-1, -0.6714e-3], f(n)), \
            np.exp(poly([0.13822e1, -0.77857, 0.62767e-1, -0.20322e-2], f(n)))
    else:
        xx = np.log(f(n))
        m_, s_ = poly([-0.15861e1, -0.31082, -0.83751e-1, 0.38915e-2], xx), \
            np.exp(poly([-0.4803, -0.82676e-1, 0.30302e-2], xx))
    z = f((y - m_) / s_)
    p = float(np.float32(as66_upper(float(z)))) if single else float(special.ndtr(-float(z)))
    return float(w), p


def shapiro_tolerances(n):
    """(W, p) relative tolerances against scipy.stats.shapiro (float32 inside)."""
    if n <= 50:
        return 1e-6, 5e-5
    if n <= 200:
        return 1e-5, 1e-3
    return 1e-5, (1e-2 if n <= 1000 else 5e-2)


# ---------------------------------------------------------------------------------------------
def holm_reference(p):
    p = np.asarray(p, dtype=float)
    keep = ~np.isnan(p)
    out = np.full(p.shape, np.nan)
    pk = p[keep]
    order = np.argsort(pk, kind="stable")
    m = len(pk)
    adj = np.minimum(1.0, np.maximum.accumulate(pk[order] * np.arange(m, 0, -1)))
    res = np.empty(m)
    res[order] = adj
    out[keep] = res
    return out


def mwu_method(x, y):  # scipy 1.10's _mwu_choose_method
    if len(x) > 8 and len(y) > 8:
        return "asymptotic"
    xy = np.concatenate([x, y])
    return "asymptotic" if len(np.unique(xy)) != len(xy) else "exact"


def cliffs_label(d):
    d = abs(d)
    return "negligible" if d < 0.147 else "small" if d < 0.33 else "medium" if d < 0.474 \
        else "large"


def ols_reference(columns, y, confidence):
    y = np.asarray(y, dtype=float)
    n = len(y)
    x = np.column_stack([np.ones(n)] + [np.asarray(c, dtype=float) for c in columns])
    beta = np.linalg.lstsq(x, y, rcond=None)[0]
    resid = y - x @ beta
    df = n - x.shape[1]
    s2 = resid @ resid / df
    se = np.sqrt(s2 * np.diag(np.linalg.inv(x.T @ x)))
    t = beta / se
    p = 2 * stats.t.sf(np.abs(t), df)
    # SciPy 1.10's t.ppf (cephes stdtri) is off by up to ~3e-9 relative (df = 4: 2.13184678134
    # for 2.13184678633); two Newton steps on t.cdf, which is accurate, polish it.
    level = (1 + confidence) / 2
    crit = stats.t.ppf(level, df)
    for _ in range(2):
        crit -= (stats.t.cdf(crit, df) - level) / stats.t.pdf(crit, df)
    tss = ((y - y.mean()) ** 2).sum()
    r2 = 1 - (resid @ resid) / tss
    adj = 1 - (1 - r2) * (n - 1) / df
    return beta, se, t, p, beta - crit * se, beta + crit * se, r2, adj, math.sqrt(s2)


def scipy_bca(data, statistic, theta_b, confidence):
    """SciPy's BCa interval from the given resampled statistics: (low, high, a_hat).

    Where every jackknife value is the same, SciPy's acceleration is 0/0 = NaN and so is its
    interval; wattserve takes a = 0 there (docs/report.md), so the reference becomes SciPy's
    own formulas with a_hat = 0 and a_hat is returned as 0.
    """
    theta_b = np.asarray(theta_b, dtype=float)
    data = tuple(np.asarray(d, dtype=float) for d in data)
    alpha = (1 - confidence) / 2
    a1, a2, a_hat = _bca_interval(data, statistic, axis=-1, alpha=alpha, theta_hat_b=theta_b,
                                  batch=None)
    if np.isnan(a_hat):
        theta_hat = np.asarray(statistic(*data, axis=-1))[..., None]
        z0 = special.ndtri(_percentile_of_score(theta_b, theta_hat, axis=-1))
        z_alpha = special.ndtri(alpha)
        a1, a2, a_hat = special.ndtr(2 * z0 + z_alpha), special.ndtr(2 * z0 - z_alpha), 0.0
    return (float(_percentile_along_axis(theta_b, a1 * 100)),
            float(_percentile_along_axis(theta_b, a2 * 100)), float(a_hat))


def quantile_stat(q):
    return lambda x, axis=-1: np.quantile(x, q, axis=axis)


def ratio_stat(q):
    return lambda a, b, axis=-1: np.quantile(b, q, axis=axis) / np.quantile(a, q, axis=axis)


# ---------------------------------------------------------------------------------------------
def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    probe = sys.argv[1]
    print(f"SciPy {scipy.__version__}, NumPy {np.__version__}")
    check = Checker()
    requests, expect = [], []  # expect[i](result) checks requests[i]

    def ask(request, checker):
        requests.append(request)
        expect.append(checker)

    # --- descriptive -------------------------------------------------------------------------
    qs = [0.0, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 1.0]
    for name, x in SAMPLES.items():
        def desc(r, name=name, x=np.asarray(x)):
            n = len(x)
            check.equal("summary.n", name, r["n"], n)
            check.value("mean", name, r["mean"], np.mean(x), 1e-12)
            sd = np.std(x, ddof=1) if n > 1 else float("nan")
            check.value("sd", name, r["sd"], sd, 1e-12, 1e-15 * abs(np.mean(x)))
            cv = sd / abs(np.mean(x)) if n > 1 and np.mean(x) != 0 else float("nan")
            check.value("cv", name, r["cv"], cv, 1e-12, 1e-15)
            check.value("min/max", name, r["min"], np.min(x), 0)
            check.value("min/max", name, r["max"], np.max(x), 0)
            q1, med, q3 = np.percentile(x, [25, 50, 75])
            check.value("quartiles", name + " q1", r["q1"], q1, 1e-12)
            check.value("quartiles", name + " median", r["median"], med, 1e-12)
            check.value("quartiles", name + " q3", r["q3"], q3, 1e-12)
            check.value("median (np.median)", name, r["median_fn"], np.median(x), 1e-15)
            check.value("iqr", name, r["iqr"], q3 - q1, 1e-12, 1e-12 * abs(q3))
            lo, hi = q1 - 1.5 * (q3 - q1), q3 + 1.5 * (q3 - q1)
            check.equal("tukey outliers", name, r["outliers"],
                        [int(i) for i in np.nonzero((x < lo) | (x > hi))[0]])
            for q, v in zip(qs, r["quantiles"]):
                check.value("quantile", f"{name} q={q}", v, np.quantile(x, q), 1e-15)
        ask({"op": "summary", "x": x, "qs": qs}, desc)

    def empty_summary(r):
        check.equal("summary.n", "empty", r["n"], 0)
        check.value("mean", "empty", nan(r["mean"]), float("nan"))
    ask({"op": "summary", "x": [], "qs": [0.5]}, empty_summary)

    for name, x in SAMPLES.items():
        ask({"op": "ranks", "x": x},
            lambda r, name=name, x=x: check.equal("rankdata", name, r["ranks"],
                                                  floats(stats.rankdata(x))))
        ask({"op": "standardize", "x": x},
            lambda r, name=name, x=np.asarray(x): [
                check.value("standardize", f"{name}[{i}]", z,
                            (x[i] - x.mean()) / x.std(ddof=1)
                            if len(x) > 1 and x.std(ddof=1) > 0 else 0.0, 1e-12, 1e-14)
                for i, z in enumerate(r["z"])])

    # --- Shapiro-Wilk ------------------------------------------------------------------------
    sw_sets = {k: v for k, v in SAMPLES.items() if len(v) >= 3}
    for n in (3, 4, 5, 8, 9, 11, 12, 20, 50, 200, 1000, 5000):
        sw_sets[f"normal{n}"] = floats(rng.normal(10, 2, n))
        sw_sets[f"lognormal{n}"] = floats(rng.lognormal(0, 1, n))
        sw_sets[f"rounded{n}"] = floats(np.round(rng.normal(0, 1, n), 1))
    sw_sets["n3_near_degenerate"] = [1.0, 2.0, 2.001]
    for name, x in sw_sets.items():
        def sw(r, name=name, x=x):
            w, p = stats.shapiro(x)
            n = len(x)
            wt, pt = shapiro_tolerances(n)
            tier = next(t for t in (11, 50, 200, 1000, 5000) if n <= t)
            check.value(f"shapiro W n<={tier}", name, r["statistic"], w, wt)
            check.value(f"shapiro p n<={tier}", name, r["p"], p, pt, 1e-6)
            if np.ptp(x) == 0:
                check.equal("shapiro invalid", name, r["valid"], False)
                return
            w32, p32 = swilk(x, single=True)
            check.value("swilk.f float32 ~ scipy W", name, w32, w, 2e-6)
            check.value("swilk.f float32 ~ scipy p", name, p32, p, 2e-4 if n <= 1000 else 5e-3,
                        1e-7)
            w64, p64 = swilk(x, single=False)
            check.value("shapiro W (float64 swilk)", name, r["statistic"], w64, TIGHT)
            check.value("shapiro p (float64 swilk)", name, r["p"], p64, TIGHT, 1e-300)
        ask({"op": "shapiro", "x": x}, sw)
    ask({"op": "shapiro", "x": [1.0, 2.0]},
        lambda r: check.equal("shapiro invalid", "n2", r["valid"], False))

    # --- Kruskal-Wallis ----------------------------------------------------------------------
    kw_sets = {
        "scipy_doc_ties": [[1.0, 1, 1], [2.0, 2, 2], [2.0, 2]],
        "normal_3groups": [floats(rng.normal(0, 1, 10)), floats(rng.normal(0.5, 1, 20)),
                           floats(rng.normal(1, 1, 15))],
        "integers_ties": [floats(rng.integers(0, 5, 12)), floats(rng.integers(1, 6, 9)),
                          floats(rng.integers(0, 4, 7)), floats(rng.integers(2, 7, 11))],
        "tiny": [[1.0], [2.0, 3.0], [0.5, 4.0, 2.5]],
        "two_groups": [SAMPLES["n4"], SAMPLES["n5"]],
        "ties_but_one": [[2.0, 2.0, 2.0], [2.0, 2.0, 9.0]],
        "identical_groups": [[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]],
    }
    for name, groups in kw_sets.items():
        def kw(r, name=name, groups=groups):
            h, p = stats.kruskal(*groups)
            check.value("kruskal H", name, r["statistic"], h, TIGHT, 1e-12)
            check.value("kruskal p", name, r["p"], p, TIGHT)
        ask({"op": "kruskal", "groups": groups}, kw)

    def kw_empty(r):  # SciPy returns NaN when a group is empty; we drop the group
        h, p = stats.kruskal([1.0, 2.0, 3.5], [4.0, 5.0, 2.5])
        check.value("kruskal H", "empty group dropped", r["statistic"], h)
        check.value("kruskal p", "empty group dropped", r["p"], p)
    ask({"op": "kruskal", "groups": [[1.0, 2.0, 3.5], [], [4.0, 5.0, 2.5]]}, kw_empty)
    ask({"op": "kruskal", "groups": [[3.0, 3.0], [3.0]]},
        lambda r: check.equal("kruskal invalid", "all equal", r["valid"], False))
    ask({"op": "kruskal", "groups": [[3.0, 1.0], []]},
        lambda r: check.equal("kruskal invalid", "one group", r["valid"], False))

    # --- Mann-Whitney, Cliff's delta, A12 ----------------------------------------------------
    mw_sets = {
        "exact_3_4": ([1.2, 3.4, 0.5], [2.2, 5.1, 4.4, 6.0]),
        "exact_1_1": ([1.0], [2.0]),
        "exact_1_5": ([3.0], [1.0, 2.0, 4.0, 5.0, 6.0]),
        "exact_5_5": (floats(rng.normal(0, 1, 5)), floats(rng.normal(1, 1, 5))),
        "exact_8_8": (floats(rng.normal(0, 1, 8)), floats(rng.normal(1, 1, 8))),
        "exact_8_9": (floats(rng.normal(0, 1, 8)), floats(rng.normal(0.3, 1, 9))),
        "exact_2_60": (floats(rng.normal(0, 1, 2)), floats(rng.normal(0, 1, 60))),
        "exact_7_300": (floats(rng.normal(0.5, 1, 7)), floats(rng.normal(0, 1, 300))),
        "exact_separated": ([1.0, 2, 3, 4, 5, 6, 7, 8], [9.0, 10, 11, 12, 13, 14, 15, 16]),
        "asym_9_9": (floats(rng.normal(0, 1, 9)), floats(rng.normal(1, 1, 9))),
        "asym_ties_4_5": ([1.0, 2, 2, 3], [2.0, 3, 3, 4, 5]),
        "asym_ties_but_one": ([2.0, 2, 2], [2.0, 2, 9]),
        "asym_ties_heavy": (SAMPLES["ties_heavy"], SAMPLES["integers40"]),
        "asym_30_40": (floats(rng.normal(0, 1, 30)), floats(rng.normal(0.4, 1, 40))),
        "asym_rounded": (floats(np.round(rng.normal(0, 1, 100), 1)),
                         floats(np.round(rng.normal(0.2, 1, 120), 1))),
        "asym_far_apart": (floats(rng.normal(0, 1, 50)), floats(rng.normal(10, 1, 60))),
    }
    for name, (x, y) in mw_sets.items():
        def mw(r, name=name, x=np.asarray(x), y=np.asarray(y)):
            u, p = stats.mannwhitneyu(x, y)
            check.value("mannwhitney U", name, r["statistic"], u, 0)
            check.value("mannwhitney p", name, r["p"], p, TIGHT)
            check.equal("mannwhitney method", name, r["method"], mwu_method(x, y))
            a12 = u / (len(x) * len(y))
            check.value("A12", name, r["a12"], a12, 1e-12, 1e-15)
            check.value("cliffs delta", name, r["delta"], 2 * a12 - 1, 1e-12, 1e-15)
            direct = (np.sign(x[:, None] - y[None, :])).mean()
            check.value("cliffs delta (pairs)", name, r["delta"], direct, 1e-12, 1e-15)
            check.equal("cliffs label", name, r["label"], cliffs_label(2 * a12 - 1))
        ask({"op": "mannwhitney", "x": x, "y": y}, mw)
    ask({"op": "mannwhitney", "x": [], "y": [1.0]},
        lambda r: check.equal("mannwhitney invalid", "empty", r["valid"], False))

    def mw_equal(r):
        u, p = stats.mannwhitneyu([3.0, 3.0], [3.0, 3.0, 3.0])
        check.value("mannwhitney p", "all equal", r["p"], p)
        check.equal("mannwhitney invalid", "all equal", r["valid"], False)
    ask({"op": "mannwhitney", "x": [3.0, 3.0], "y": [3.0, 3.0, 3.0]}, mw_equal)

    # --- Holm -----------------------------------------------------------------------------------
    holm_sets = {
        "four": [0.01, 0.04, 0.03, 0.005],
        "ties": [0.02, 0.02, 0.5, 0.02, 0.001],
        "capped": [0.3, 0.6, 0.9, 0.2],
        "single": [0.04],
        "with_nan": [0.01, None, 0.02, 0.5],
        "random": floats(rng.uniform(0, 0.2, 25)),
    }
    for name, p in holm_sets.items():
        def hm(r, name=name, p=p):
            ref = holm_reference([nan(v) for v in p])
            for i, (o, e) in enumerate(zip(r["adjusted"], ref)):
                check.value("holm", f"{name}[{i}]", nan(o), e, 1e-12)
        ask({"op": "holm", "p": p}, hm)  # None goes as null, read as NaN

    # --- Spearman ------------------------------------------------------------------------------
    sp_sets = {
        "n3": ([1.0, 2.0, 3.0], [2.0, 1.0, 5.0]),
        "n3_monotone": ([1.0, 2.0, 3.0], [10.0, 20.0, 30.0]),
        "n4_ties": ([1.0, 2.0, 2.0, 4.0], [3.0, 3.0, 1.0, 0.0]),
        "n5": ([1.0, 2, 3, 4, 5], [5.0, 6, 7, 8, 7]),
        "n10_ties": (floats(rng.integers(0, 4, 10)), floats(rng.integers(0, 4, 10))),
        "n50": (floats(rng.normal(0, 1, 50)), None),
        "n500_weak": (floats(rng.normal(0, 1, 500)), floats(rng.normal(0, 1, 500))),
        "constant": ([1.0, 1.0, 1.0, 1.0], [1.0, 2.0, 3.0, 4.0]),
    }
    x50 = np.asarray(sp_sets["n50"][0])
    sp_sets["n50"] = (floats(x50), floats(x50 * 0.5 + rng.normal(0, 1, 50)))
    for name, (x, y) in sp_sets.items():
        def sp(r, name=name, x=x, y=y):
            res = stats.spearmanr(x, y)
            check.value("spearman rho", name, nan(r["statistic"]), res.statistic, TIGHT, 1e-15)
            check.value("spearman p", name, nan(r["p"]), res.pvalue, TIGHT, 1e-300)
        ask({"op": "spearman", "x": x, "y": y}, sp)
    ask({"op": "spearman", "x": [1.0, 2.0], "y": [2.0, 1.0]},
        lambda r: check.equal("spearman invalid", "n2", r["valid"], False))

    # --- OLS -----------------------------------------------------------------------------------
    ols_sets = {}
    for k, n in ((1, 6), (1, 40), (2, 25), (3, 200), (2, 5)):
        cols = [rng.normal(0, 1 + j, n) for j in range(k)]
        y = 2.0 + sum((j + 1) * 0.7 * c for j, c in enumerate(cols)) + rng.normal(0, 1, n)
        ols_sets[f"k{k}_n{n}"] = ([floats(c) for c in cols], floats(y))
    ols_sets["integer_design"] = ([[1.0, 1, 2, 2, 3, 3, 4, 4], [0.0, 1, 0, 1, 0, 1, 0, 1]],
                                  [1.1, 2.0, 2.2, 2.9, 3.1, 4.2, 3.9, 5.1])
    ols_sets["intercept_only"] = ([], [1.0, 2.0, 4.0, 3.0])
    for name, (cols, y) in ols_sets.items():
        def ols(r, name=name, cols=cols, y=y):
            beta, se, t, p, low, high, r2, adj, rse = ols_reference(cols, y, 0.9)
            check.equal("ols valid", name, r["valid"], True)
            for j, c in enumerate(r["coefficients"]):
                scale = 1e-12 * (abs(beta).max() + se.max())
                check.value("ols estimate", f"{name} b{j}", c["estimate"], beta[j], TIGHT, scale)
                check.value("ols se", f"{name} b{j}", c["se"], se[j], TIGHT)
                check.value("ols t", f"{name} b{j}", c["t"], t[j], TIGHT, 1e-12)
                check.value("ols p", f"{name} b{j}", c["p"], p[j], TIGHT, 1e-300)
                check.value("ols interval", f"{name} b{j} low", c["low"], low[j], TIGHT, scale)
                check.value("ols interval", f"{name} b{j} high", c["high"], high[j], TIGHT,
                            scale)
            check.value("ols R2", name, r["r2"], r2, TIGHT, 1e-14)
            check.value("ols adjusted R2", name, r["adj_r2"], adj, TIGHT, 1e-14)
            check.value("ols residual se", name, r["residual_se"], rse, TIGHT)
        names = [f"x{j}" for j in range(len(cols))]
        ask({"op": "ols", "columns": cols, "names": names, "y": y, "confidence": 0.9}, ols)
    bad = {
        "collinear": ([[1.0, 2, 3, 4, 5], [2.0, 4, 6, 8, 10]], [1.0, 3, 2, 5, 4]),
        "constant_column": ([[3.0, 3, 3, 3, 3]], [1.0, 3, 2, 5, 4]),
        "too_few": ([[1.0, 2.0]], [1.0, 2.0]),
        "constant_y": ([[1.0, 2, 3, 4]], [2.0, 2, 2, 2]),
    }
    for name, (cols, y) in bad.items():
        ask({"op": "ols", "columns": cols, "names": [f"x{j}" for j in range(len(cols))], "y": y},
            lambda r, name=name: check.equal("ols invalid", name, r["valid"], False))

    # --- BCa: the deterministic part, from our resampled statistics --------------------------
    boot = {
        "median_n15": ("q", 0.5, floats(rng.normal(20, 3, 15))),
        "median_ties40": ("q", 0.5, SAMPLES["integers40"]),
        "median_ties_heavy": ("q", 0.5, SAMPLES["ties_heavy"]),
        "median_runs100": ("q", 0.5, floats(rng.lognormal(3, 0.2, 100))),
        "p99_n2000": ("q", 0.99, floats(rng.lognormal(0, 0.8, 2000))),
        "p90_n300_rounded": ("q", 0.9, floats(np.round(rng.lognormal(0, 0.5, 300), 2))),
        "mean_n30": ("mean", None, floats(rng.normal(5, 2, 30))),
        "mean_n200_skewed": ("mean", None, floats(rng.exponential(1, 200))),
    }
    for name, (kind, q, x) in boot.items():
        seed = 7 + len(requests)
        if kind == "q":
            def bq(r, name=name, q=q, x=x):
                check.equal("bootstrap fast == generic", name, r["generic_theta_b_equal"], True)
                low, high, a_hat = scipy_bca((x,), quantile_stat(q), r["theta_b"], 0.95)
                for path in ("fast", "generic"):
                    iv = r[path]
                    check.equal(f"BCa valid ({path})", name, iv["valid"], True)
                    check.value(f"BCa q low ({path})", name, iv["low"], low)
                    check.value(f"BCa q high ({path})", name, iv["high"], high)
                    check.value(f"BCa q accel ({path})", name, iv["acceleration"], a_hat,
                                TIGHT, 1e-11)
                    check.value("BCa estimate", name, iv["estimate"], np.quantile(x, q), 1e-15)
            ask({"op": "bca_quantile", "x": x, "q": q, "seed": seed, "resamples": RESAMPLES}, bq)
        else:
            def bm(r, name=name, x=x):
                iv = r["interval"]
                low, high, a_hat = scipy_bca((x,), np.mean, r["theta_b"], 0.95)
                check.value("BCa mean low", name, iv["low"], low)
                check.value("BCa mean high", name, iv["high"], high)
                check.value("BCa mean accel", name, iv["acceleration"], a_hat, TIGHT, 1e-11)
            ask({"op": "bca_mean", "x": x, "seed": seed, "resamples": RESAMPLES}, bm)
    ratio_sets = {
        "median_ratio_12_15": (0.5, floats(rng.normal(10, 1, 12)), floats(rng.normal(12, 1, 15))),
        "median_ratio_ties": (0.5, SAMPLES["ties_heavy"], floats(rng.integers(2, 9, 20))),
        "p99_ratio_600_800": (0.99, floats(rng.lognormal(0, 0.5, 600)),
                              floats(rng.lognormal(0.1, 0.5, 800))),
    }
    for name, (q, a, b) in ratio_sets.items():
        def br(r, name=name, q=q, a=a, b=b):
            low, high, a_hat = scipy_bca((a, b), ratio_stat(q), r["theta_b"], 0.95)
            for path in ("generic", "fast"):
                iv = r[path]
                check.value(f"BCa ratio low ({path})", name, iv["low"], low)
                check.value(f"BCa ratio high ({path})", name, iv["high"], high)
                check.value(f"BCa ratio accel ({path})", name, iv["acceleration"], a_hat,
                            TIGHT, 1e-11)
        ask({"op": "bca_ratio", "a": a, "b": b, "q": q, "seed": 11, "resamples": RESAMPLES}, br)
    ask({"op": "bca_quantile", "x": [1.0], "q": 0.5, "resamples": 50},
        lambda r: check.equal("BCa invalid", "n1", r["fast"]["valid"], False))
    ask({"op": "bca_quantile", "x": [4.0] * 6, "q": 0.5, "resamples": 50},
        lambda r: check.equal("BCa invalid", "constant", r["fast"]["valid"], False))

    # --- BCa: our seeded run against scipy.stats.bootstrap with NumPy's generator (loose) ------
    sanity = {
        "median_n200": (0.5, floats(rng.normal(100, 10, 200))),
        "p99_n3000": (0.99, floats(rng.lognormal(0, 0.5, 3000))),
    }
    for name, (q, x) in sanity.items():
        def sane(r, name=name, q=q, x=x):
            res = stats.bootstrap((np.asarray(x),), quantile_stat(q), n_resamples=RESAMPLES,
                                  method="BCa", batch=500, random_state=np.random.default_rng(1))
            lo, hi = res.confidence_interval
            ours = r["fast"]
            # Different generators: the endpoints move by Monte Carlo error and the gaps between
            # order statistics near them: within 5% (2.7% seen here).
            check.value("BCa vs scipy.bootstrap", name + " low", ours["low"], lo, 0.05)
            check.value("BCa vs scipy.bootstrap", name + " high", ours["high"], hi, 0.05)
        ask({"op": "bca_quantile", "x": x, "q": q, "seed": 3, "resamples": RESAMPLES}, sane)

    # --- run -----------------------------------------------------------------------------------
    results = run_probe(probe, requests)
    for res, checker in zip(results, expect):
        checker(res)
    return check.report()


if __name__ == "__main__":
    sys.exit(main())
