// f(x) = x clamped to [min_val, max_val] (selects, so NaN passes through); the gradient is 1
// strictly inside and 0 at and beyond both bounds. min_val = params.p.x, max_val = params.p.y
fn act_f(x: f32) -> f32 {
    return select(select(x, params.p.y, x > params.p.y), params.p.x, x < params.p.x);
}

fn act_df(x: f32) -> Parts {
    return plain(select(0.0, 1.0, x > params.p.x && x < params.p.y));
}
