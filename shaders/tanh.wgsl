// f(x) = tanh(x), f'(x) = sech^2(x) = 4 e / (1 + e)^2 with e = e^-2|x|.
fn act_f(x: f32) -> f32 {
    return tanh_acc(x);
}

fn act_df(x: f32) -> Parts {
    // 2x overflows to +-inf for finite |x| > 1.7e38, where f' is a token still: x is clamped
    // (past 140, 2x is in the token's range anyway), and only x = +-inf gives the limit 0.
    let s = logistic_slope(2.0 * clamp(x, -1e30, 1e30));
    return Parts(select(4.0 * s.m, 0.0, is_inf(x)), s.k);
}
