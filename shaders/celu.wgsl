// f(x) = x for x > 0, alpha (e^(x/alpha) - 1) otherwise; f'(x) = 1 for x > 0, e^(x/alpha)
// otherwise, with x/alpha carried as an exact sum so the exponential keeps full accuracy.
// alpha = act_params().x
// With a negative alpha, x/alpha >= 0 on the negative branch and e^(x/alpha) grows: it needs the
// exact quotient there (an error in the exponent is multiplied by x/alpha).
// Where |x / alpha| < 2^-24, f(x) = x (1 + x / (2 alpha) + ...) rounds to x itself; returning x
// there also avoids a quotient below the normal range, which would lose digits or flush.
fn act_f(x: f32) -> f32 {
    let alpha = act_params().x;
    let tiny = abs(x) < abs(alpha) * 5.9604644775390625e-08;
    if (alpha < 0.0) {
        let z = div_exact(x, alpha);
        return select(scaled_expm1_sum_nonneg(alpha, z.x, z.y), x, x > 0.0 || tiny);
    }
    return select(alpha * expm1_nonpos(x / alpha), x, x > 0.0 || tiny);
}

fn act_df(x: f32) -> Parts {
    if (x > 0.0) {
        return plain(1.0);
    }
    let alpha = act_params().x;
    if (is_inf(x) && alpha > 0.0) {
        return plain(0.0); // the limit at -inf (for alpha < 0 it is +inf: the token 2^500)
    }
    let z = div_exact(x, alpha);
    return exp_sum_parts(z.x, z.y);
}
