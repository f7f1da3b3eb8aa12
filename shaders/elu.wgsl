// f(x) = x for x > 0, alpha (e^x - 1) otherwise (negative branch at 0).  alpha = act_params().x
fn act_f(x: f32) -> f32 {
    return select(act_params().x * expm1_nonpos(x), x, x > 0.0);
}

fn act_df(x: f32) -> Parts {
    if (x > 0.0) {
        return plain(1.0);
    }
    return parts_scaled(act_params().x, exp_parts(x));
}
