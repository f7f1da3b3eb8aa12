#!/usr/bin/env python3
"""Fits the polynomial and rational approximations of the shaders (tanhshrink, tanh, atan, GELU).

Each fit interpolates the target at Chebyshev nodes in high precision (mpmath), converts to the
monomial basis in the reduced variable u in [-1, 1] (so Horner's rule is stable), rounds the
coefficients to f32 and reports the worst relative error of the rounded polynomial, evaluated in
float64, over a dense grid. Run: `pip install mpmath numpy && python3 tools/fit.py`.
"""
import struct
import mpmath as mp
import numpy as np

mp.mp.dps = 50


def f32(v):
    return struct.unpack("f", struct.pack("f", float(v)))[0]


def cheb_fit(fn, a, b, n):
    """Degree-n interpolant of fn on [a, b] at Chebyshev nodes, as monomial coefficients in
    u = (x - c)/h (low degree first)."""
    c, h = (mp.mpf(a) + b) / 2, (mp.mpf(b) - a) / 2
    nodes = [mp.cos(mp.pi * (k + mp.mpf(1) / 2) / (n + 1)) for k in range(n + 1)]
    vals = [fn(c + h * u) for u in nodes]
    # Solve the Vandermonde system in high precision.
    A = mp.matrix([[u**j for j in range(n + 1)] for u in nodes])
    coef = mp.lu_solve(A, mp.matrix(vals))
    return [coef[j] for j in range(n + 1)], c, h


def rounded_refit(fn, coef, c, h, a, b, samples=4001):
    """Rounds the coefficients to f32 one at a time, low degree first, refitting the higher ones
    (weighted least squares on the relative error) to absorb each rounding."""
    xs = np.linspace(float(a), float(b), samples)
    us = (xs - float(c)) / float(h)
    ts = np.array([float(fn(mp.mpf(x))) for x in xs])
    w = 1.0 / np.abs(ts)
    cs = [float(v) for v in coef]
    for j in range(len(cs)):
        cs[j] = f32(cs[j])
        if j + 1 < len(cs):
            fixed = sum(cs[i] * us**i for i in range(j + 1))
            basis = np.stack([us**i for i in range(j + 1, len(cs))], axis=1)
            sol, *_ = np.linalg.lstsq(basis * w[:, None], (ts - fixed) * w, rcond=None)
            cs[j + 1:] = list(sol)
    return cs


def worst(fn, cs, c, h, a, b, samples=20001):
    err = 0.0
    for x in np.linspace(float(a), float(b), samples):
        u = (x - float(c)) / float(h)
        p = 0.0
        for v in reversed(cs):
            p = p * u + v
        t = float(fn(mp.mpf(x)))
        if t != 0:
            err = max(err, abs(p - t) / abs(t))
    return err


def report(name, fn, a, b, n):
    coef, c, h = cheb_fit(fn, a, b, n)
    cs = rounded_refit(fn, coef, c, h, a, b)
    err = worst(fn, cs, c, h, a, b)
    print(f"// {name}: [{a}, {b}], u = (x - {float(c)!r}) / {float(h)!r}, degree {n}, "
          f"max rel error {err:.2e} ({err / 2**-24:.3f} ULP)")
    print("    " + ", ".join(f"{v!r}" for v in cs))
    return cs


def _nodes(a, b, samples):
    """Chebyshev nodes of [a, b]: where the fits below sample their targets."""
    k = np.arange(samples)
    return (a + b) / 2 + (b - a) / 2 * np.cos(np.pi * (k + 0.5) / samples)


def lawson_poly(name, fn, a, b, n, scale=lambda x: 1.0, iters=300, samples=3000):
    """Polynomial of degree n in x (no change of variable) minimising the largest of
    |scale(x) (P(x) - fn(x))| / |fn(x)| on [a, b] by Lawson's reweighting; coefficients rounded
    to f32 (printed with the largest weighted error of the rounded ones, in units of 2^-24)."""
    xs = _nodes(a, b, samples)
    ys = np.array([float(fn(mp.mpf(x))) for x in xs])
    w0 = np.array([scale(x) for x in xs]) / np.abs(ys)
    basis = np.stack([xs**j for j in range(n + 1)], 1)
    w = np.ones(samples)
    for _ in range(iters):
        sw = w0 * np.sqrt(w)
        c, *_ = np.linalg.lstsq(basis * sw[:, None], ys * sw, rcond=None)
        err = np.abs((basis @ c - ys) * w0)
        w = w * err
        w /= w.sum()
    cs = [f32(v) for v in c]
    err = np.max(np.abs((basis @ np.array(cs) - ys) * w0))
    print(f"// {name}: [{a}, {b}], degree {n}, max weighted error {err / 2**-24:.3f} x 2^-24")
    print("    " + ", ".join(f"{v!r}" for v in cs))
    return cs


def phi(t):
    return mp.exp(-t * t / 2) / mp.sqrt(2 * mp.pi)


def Q(t):  # upper tail of the standard normal
    return mp.erfc(t / mp.sqrt(2)) / 2


def mills(t):
    """Mills' ratio M(t) = Q(t) / phi(t)."""
    return Q(t) / phi(t)


def _lawson_rational(cols, rhs, ref, value, fixed, iters=60):
    """Lawson's reweighting for a rational whose linearised residual is cols . c - rhs:
    minimises the largest relative error of value(c) = (approximation, denominator) against
    ref. `fixed` pins coefficients to values already rounded to f32."""
    n = cols.shape[1]
    free = [i for i in range(n) if i not in fixed]
    w, den_prev, best = np.ones(len(ref)) / len(ref), np.ones(len(ref)), None
    for _ in range(iters):
        sc = np.sqrt(w) / (np.abs(ref) * den_prev)
        r = rhs - sum(cols[:, i] * v for i, v in fixed.items())
        sol, *_ = np.linalg.lstsq(cols[:, free] * sc[:, None], r * sc, rcond=None)
        c = np.zeros(n)
        c[free] = sol
        for i, v in fixed.items():
            c[i] = v
        approx, den = value(c)
        err = approx / ref - 1
        if best is None or np.max(np.abs(err)) < best[1]:
            best = (c.copy(), np.max(np.abs(err)))
        den_prev, w = np.abs(den), w * np.abs(err)
        w /= w.sum()
    return best


def _rounded_rational(cols, rhs, ref, value):
    """Fits, then rounds the coefficients to f32 one at a time (in both orders, refitting the
    free ones after each), then moves single coefficients by an f32 step while that lowers the
    largest relative error. Returns (coefficients, float64 fit error, rounded error)."""
    n = cols.shape[1]
    c0, e0 = _lawson_rational(cols, rhs, ref, value, {})

    def err(c):
        return np.max(np.abs(value(c)[0] / ref - 1))
    best = None
    for order in (list(range(n)), list(range(n))[::-1]):
        fixed, c = {}, c0
        for i in order:
            fixed[i] = f32(c[i])
            if len(fixed) < n:
                c, _ = _lawson_rational(cols, rhs, ref, value, dict(fixed), iters=40)
        c = np.array([fixed[i] for i in range(n)])
        e, improved = err(c), True
        while improved:
            improved = False
            for i in range(n):
                for s in (-1, 1):
                    c2 = c.copy()
                    c2[i] = float(np.nextafter(np.float32(c[i]), np.float32(s * np.inf)))
                    if err(c2) < e:
                        c, e, improved = c2, err(c2), True
        if best is None or e < best[1]:
            best = (c, e)
    return best[0], e0, best[1]


def report_gelu_tail(k):
    """t Q(t) = e^(-t^2/2) t q / (k t q + p) on [0, 20], k = sqrt(2 pi) in f32 (so M / sqrt(2 pi)
    = q / (k t q + p)), q(0) = 1, deg q = deg p = 4."""
    pv = np.polynomial.polynomial.polyval
    xs = _nodes(0.0, 20.0, 3000)
    ys = np.array([float(mills(mp.mpf(x)) / mp.sqrt(2 * mp.pi)) for x in xs])
    cols = np.stack([xs**j * (1 - k * xs * ys) for j in range(1, 5)]
                    + [-ys * xs**j for j in range(5)], 1)

    def value(c):
        q, p = np.concatenate([[1.0], c[:4]]), c[4:]
        den = k * xs * pv(xs, q) + pv(xs, p)
        return pv(xs, q) / den, den
    c, e0, e = _rounded_rational(cols, -(1 - k * xs * ys), ys, value)
    print(f"// gelu t Q(t): q / ({k!r} t q + p) on [0, 20], fit {e0:.2e}, rounded {e:.2e} relative")
    print("    q: 1.0, " + ", ".join(f"{v!r}" for v in c[:4]))
    print("    p: " + ", ".join(f"{v!r}" for v in c[4:]))


def report_gelu_slope(x0, inv_k):
    """phi(t) (M(t) - t) = e^(-t^2/2) (t - t0) z(t) on [0, 20], t0 = -x0, z = S / D - inv_k
    (inv_k = 1 / sqrt(2 pi) in f32; S, D of degree 4, D(0) = 1), relative error of z."""
    pv = np.polynomial.polynomial.polyval
    t0 = -x0
    xs = _nodes(0.0, 20.0, 3000)

    def z(t):
        if abs(t - t0) < mp.mpf("1e-12"):
            return mp.diff(lambda s: (mills(s) - s) / mp.sqrt(2 * mp.pi), t0)
        return (mills(t) - t) / (mp.sqrt(2 * mp.pi) * (t - t0))
    zs = np.array([float(z(mp.mpf(x))) for x in xs])
    ys = zs + inv_k
    cols = np.stack([xs**j for j in range(5)] + [-ys * xs**j for j in range(1, 5)], 1)

    def value(c):
        d = pv(xs, np.concatenate([[1.0], c[5:]]))
        return pv(xs, c[:5]) / d - inv_k, d
    c, e0, e = _rounded_rational(cols, ys.copy(), zs, value)
    print(f"// gelu' slope z = S / D - {inv_k!r} on [0, 20], fit {e0:.2e}, rounded {e:.2e} relative")
    print("    S: " + ", ".join(f"{v!r}" for v in c[:5]))
    print("    D: 1.0, " + ", ".join(f"{v!r}" for v in c[5:]))


if __name__ == "__main__":
    # tanhshrink: x - tanh x = x^3 P(x^2) for |x| < 1, fitted in z = x^2 in [0, 1].
    report("tanhshrink P(z)", lambda z: (mp.sqrt(z) - mp.tanh(mp.sqrt(z))) / mp.sqrt(z) ** 3
           if z > 0 else mp.mpf(1) / 3, 0, 1, 9)
    # tanh near 0: tanh(x) = x + x z P(z) for |x| < 0.625, z = x^2, P fitted.
    report("tanh P(z)", lambda z: (mp.tanh(mp.sqrt(z)) - mp.sqrt(z)) / mp.sqrt(z) ** 3
           if z > 0 else -mp.mpf(1) / 3, mp.mpf(0), mp.mpf("0.390625"), 5)
    # atan on the reduced range |t| <= 7/16: atan(t) = t - t z Q(z), z = t^2, Q fitted.
    report("atan Q(z)", lambda z: (mp.sqrt(z) - mp.atan(mp.sqrt(z))) / mp.sqrt(z) ** 3
           if z > 0 else mp.mpf(1) / 3, mp.mpf(0), (mp.mpf(7) / 16) ** 2, 5)
    # GELU: t Q(t) and phi(t) (M(t) - t) as e^(-t^2/2) times rationals on [0, 20] (no
    # ln sqrt(2 pi) in the exponent: 1 / sqrt(2 pi) is in the rationals), e^r - 1 = r + r^2 P(r)
    # on the reduced range.
    report_gelu_tail(f32(mp.sqrt(2 * mp.pi)))
    x0 = mp.findroot(lambda x: mp.ncdf(x) + x * phi(x), -0.75)
    print(f"// gelu' zero x0 = {float(x0)!r}; f32 {f32(x0)!r}, residual {float(x0 - f32(x0))!r}")
    report_gelu_slope(x0, f32(1 / mp.sqrt(2 * mp.pi)))
    # (weighted by r^2 / e^r: the error of r + r^2 P(r) relative to e^r)
    lawson_poly("gelu e^r P(r)", lambda r: (mp.expm1(r) - r) / r**2 if r != 0 else mp.mpf(1) / 2,
                -0.3536, 0.3536, 4, scale=lambda r: r * r * float((mp.expm1(r) - r) / r**2) / np.exp(r))
    K = 2 * mp.sqrt(2 / mp.pi)
    A = mp.mpf("0.044715")

    def gt_d(x):
        v = K * (x + A * x**3)
        s = 1 / (1 + mp.exp(-v))
        return s + x * s * (1 - s) * K * (1 + 3 * A * x * x)

    y0 = mp.findroot(gt_d, -0.75)
    print(f"// gelu_tanh' zero x0 = {float(y0)!r}; f32 {f32(y0)!r}, residual {float(y0 - f32(y0))!r}")
    report("gelu_tanh' S(x)", lambda x: gt_d(x) / (x - y0), -1.5, -0.25, 11)
