// f(x) = x sigmoid(x); f'(x) = sigmoid(x) (1 + x sigmoid(-x)) = (e/d) (1 + x + e)/d for x < 0. With e = e^-|x| and d = 1 + e,
// for x < 0 both carry the factor e, kept as parts so the tail x e^x stays exact.
fn act_f(x: f32) -> f32 {
    let p = exp_parts(-abs(x));
    let d = 1.0 + scale2(p.m, p.k);
    if (x >= 0.0) {
        return x / d;
    }
    return select(scale2(x * (p.m / d), p.k), 0.0, p.m == 0.0); // x e^x -> 0 at -inf
}

fn act_df(x: f32) -> Parts {
    let p = exp_parts(-abs(x));
    let e = scale2(p.m, p.k);
    let d = 1.0 + e;
    if (x >= 0.0) {
        return plain(select(1.0 + x * (e / d), 1.0, e == 0.0) / d); // x e^-x -> 0 at +inf
    }
    if (p.m == 0.0) {
        return plain(0.0); // x = -inf, the only x where exp_parts gives 0
    }
    // 1 + x is exact around the zero of f'. Past -1000 (deep in the token's range, where only
    // the sign matters) x is clamped, so that the token's mantissa stays within the range of
    // Parts.
    let xc = max(x, -1000.0);
    return Parts((p.m / d) * (((1.0 + xc) + e) / d), p.k);
}
