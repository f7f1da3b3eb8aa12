// f(x) = x clamped to [min_val, max_val] (selects, so NaN passes through); the gradient is 1
// strictly inside and 0 at and beyond both bounds. min_val = act_params().x, max_val = act_params().y
fn act_f(x: f32) -> f32 {
    return select(select(x, act_params().y, x > act_params().y), act_params().x, x < act_params().x);
}

fn act_df(x: f32) -> Parts {
    return plain(select(0.0, 1.0, x > act_params().x && x < act_params().y));
}
