// f(x) = x clamped to [0, 6]; the gradient is 1 strictly inside and 0 at and beyond 0 and 6.
fn act_f(x: f32) -> f32 {
    return select(select(x, 6.0, x > 6.0), 0.0, x < 0.0);
}

fn act_df(x: f32) -> Parts {
    return plain(select(0.0, 1.0, x > 0.0 && x < 6.0));
}
