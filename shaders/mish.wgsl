// f(x) = x tanh(softplus(x)). With e = e^x, tanh(ln(1 + e)) = n / (n + 2) for n = e (e + 2):
// for x <= 0 it is written e (1 - e (e + 1) / (n + 2)), whose correction is small, with the
// factor e kept as parts so the tail x e^x stays exact; for x > 0 it is 1 - 2 / (n + 2).
// Past x = 15 it rounds to 1, and so does f'(x).
// f'(x) = tanh(sp) + x sech^2(sp) sigmoid(x), which with q = n + 2 simplifies to
// e ((e + 2) q + 4 x (1 + e)) / q^2 = e (((e + 4) e + 6 + 4x) e + 4 (1 + x)) / q^2: the zero of f'
// is then a cancellation of four small terms instead of two large ones.
fn act_f(x: f32) -> f32 {
    if (x > 15.0) {
        return x;
    }
    let p = exp_parts(x);
    let e = scale2(p.m, p.k);
    let q = e * (e + 2.0) + 2.0;
    if (x > 0.0) {
        return x * (1.0 - 2.0 / q);
    }
    return select(scale2(x * (p.m * (1.0 - e * (e + 1.0) / q)), p.k), 0.0, p.m == 0.0);
}

fn act_df(x: f32) -> Parts {
    if (x > 15.0) {
        return plain(1.0);
    }
    if (is_inf(x)) {
        return plain(0.0); // the limit at -inf; any finite x keeps its token
    }
    let p = exp_parts(x);
    let e = scale2(p.m, p.k);
    let q = e * (e + 2.0) + 2.0;
    // Past -1e6 (deep in the token's range, where e = 0 and only the sign matters) x is clamped,
    // so that 4 (1 + x) cannot overflow and the token's mantissa stays finite.
    let xc = max(x, -1e6);
    let b = ((e + 4.0) * e + (6.0 + 4.0 * xc)) * e + 4.0 * (1.0 + xc);
    return Parts(p.m * b / (q * q), p.k);
}
