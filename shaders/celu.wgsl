// f(x) = x for x > 0, alpha (e^(x/alpha) - 1) otherwise; f'(x) = 1 for x > 0, e^(x/alpha)
// otherwise, with x/alpha carried as an exact sum so the exponential keeps full accuracy.
// alpha = act_params().x
fn act_f(x: f32) -> f32 {
    let alpha = act_params().x;
    return select(alpha * expm1_nonpos(x / alpha), x, x > 0.0);
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
