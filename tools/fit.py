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


def lawson_poly(name, fn, a, b, n, scale=lambda x: 1.0, iters=300, samples=3000):
    """Polynomial of degree n in x (no change of variable) minimising the largest of
    |scale(x) (P(x) - fn(x))| / |fn(x)| on [a, b] by Lawson's reweighting; coefficients rounded
    to f32 (printed with the largest weighted error of the rounded ones, in units of 2^-24)."""
    k = np.arange(samples)
    xs = (a + b) / 2 + (b - a) / 2 * np.cos(np.pi * (k + 0.5) / samples)
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


def mills_rational(n, a=0.0, b=20.0, samples=2500, iters=60, fixed=None):
    """M(t) ~ Qm / (t Qm + Pm), deg Pm = n, deg Qm = n + 1, Qm(0) = 1 (so 1 / M = t + Pm / Qm),
    minimising the largest relative error by Lawson's reweighting of the linearised residual
    Qm (1 - t M) - M Pm. `fixed` pins coefficients (index into p0..pn, q1..q(n+1)) to values
    already rounded to f32. Returns (p, q, max relative error in float64)."""
    k = np.arange(samples)
    xs = (a + b) / 2 + (b - a) / 2 * np.cos(np.pi * (k + 0.5) / samples)[::-1]
    ms = np.array([float(mills(mp.mpf(x))) for x in xs])
    cols = [-ms * xs**j for j in range(n + 1)] + [xs**j * (1 - xs * ms) for j in range(1, n + 2)]
    a0, r0 = np.stack(cols, 1), -(1 - xs * ms)
    fixed = fixed or {}
    free = [i for i in range(2 * n + 2) if i not in fixed]
    w, den_prev, best = np.ones(samples) / samples, np.ones(samples), None
    for _ in range(iters):
        sc = np.sqrt(w) / (ms * den_prev)
        rhs = r0 - sum(a0[:, i] * v for i, v in fixed.items())
        sol, *_ = np.linalg.lstsq(a0[:, free] * sc[:, None], rhs * sc, rcond=None)
        c = np.zeros(2 * n + 2)
        c[free] = sol
        for i, v in fixed.items():
            c[i] = v
        p, q = c[:n + 1], np.concatenate([[1.0], c[n + 1:]])
        qv = np.polynomial.polynomial.polyval(xs, q)
        den = xs * qv + np.polynomial.polynomial.polyval(xs, p)
        err = (qv / den - ms) / ms
        if best is None or np.max(np.abs(err)) < best[2]:
            best = (p.copy(), q.copy(), np.max(np.abs(err)))
        den_prev, w = np.abs(den), w * np.abs(err)
        w /= w.sum()
    return best


def report_mills(n, a=0.0, b=20.0):
    """Fits mills_rational on [a, b], then rounds its coefficients to f32 one at a time (low
    degree of Pm first, then Qm), refitting the others to absorb each rounding."""
    fixed = {}
    p, q, _ = mills_rational(n, a, b)
    for i in range(2 * n + 2):
        fixed[i] = f32(np.concatenate([p, q[1:]])[i])
        if len(fixed) < 2 * n + 2:
            p, q, _ = mills_rational(n, a, b, fixed=dict(fixed))
    c = [fixed[i] for i in range(2 * n + 2)]
    p, q = c[:n + 1], [1.0] + c[n + 1:]
    err = 0.0
    for t in np.linspace(a, b, 4001):
        qv = sum(v * t**j for j, v in enumerate(q))
        m = qv / (t * qv + sum(v * t**j for j, v in enumerate(p)))
        err = max(err, abs(m - float(mills(mp.mpf(t)))) / float(mills(mp.mpf(t))))
    print(f"// Mills' ratio M(t) = Qm / (t Qm + Pm) on [{a}, {b}], max rel error {err:.2e} "
          f"(rounded coefficients, float64 evaluation)")
    print("    Pm: " + ", ".join(f"{v!r}" for v in p))
    print("    Qm: " + ", ".join(f"{v!r}" for v in q))


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
    # GELU, |x| < 1/2: Phi(x) = 1/2 + x P(x^2), fitted in z = x^2 in [0, 1/4].
    lawson_poly("gelu Phi P(z)", lambda z: (mp.ncdf(mp.sqrt(z)) - mp.mpf(1) / 2) / mp.sqrt(z)
                if z > 0 else 1 / mp.sqrt(2 * mp.pi), 0.0, 0.25, 3)
    # GELU, |x| >= 1/2: Q(t) = phi(t) M(t), Mills' ratio M as one rational on [1/2, 20], and
    # phi(t) = e^(-t^2/2 - ln sqrt(2 pi)) with ln sqrt(2 pi) split into 15 bits + the rest,
    # e^r - 1 = r + r^2 P(r) on the reduced range.
    report_mills(3, 0.5, 20.0)
    lnc = mp.log(mp.sqrt(2 * mp.pi))
    lnc_hi = mp.nint(lnc * 2**15) / 2**15
    print(f"// ln sqrt(2 pi) = {float(lnc_hi)!r} + {float(lnc - lnc_hi)!r}")
    # (weighted by r^2 / e^r: the error of r + r^2 P(r) relative to e^r)
    lawson_poly("gelu e^r P(r)", lambda r: (mp.expm1(r) - r) / r**2 if r != 0 else mp.mpf(1) / 2,
                -0.3536, 0.3536, 4, scale=lambda r: r * r * float((mp.expm1(r) - r) / r**2) / np.exp(r))
    # GELU derivative around its zero x0: gelu'(x) = (x - x0) S(x) on [-1, -1/2].
    x0 = mp.findroot(lambda x: mp.ncdf(x) + x * phi(x), -0.75)
    print(f"// gelu' zero x0 = {float(x0)!r}; f32 {f32(x0)!r}, residual {float(x0 - f32(x0))!r}")
    report("gelu' S(x)", lambda x: (mp.ncdf(x) + x * phi(x)) / (x - x0), -1, -0.5, 6)
    K = 2 * mp.sqrt(2 / mp.pi)
    A = mp.mpf("0.044715")

    def gt_d(x):
        v = K * (x + A * x**3)
        s = 1 / (1 + mp.exp(-v))
        return s + x * s * (1 - s) * K * (1 + 3 * A * x * x)

    y0 = mp.findroot(gt_d, -0.75)
    print(f"// gelu_tanh' zero x0 = {float(y0)!r}; f32 {f32(y0)!r}, residual {float(y0 - f32(y0))!r}")
    report("gelu_tanh' S(x)", lambda x: gt_d(x) / (x - y0), -1.5, -0.25, 11)
