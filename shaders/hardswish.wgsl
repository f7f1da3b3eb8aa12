// f(x) = x relu6(x + 3) / 6: 0 up to -3, x from 3, x (x + 3)/6 between.
// f'(x) = 0 up to -3, (2x + 3)/6 strictly between -3 and 3, 1 from 3 (both ends as PyTorch).
fn act_f(x: f32) -> f32 {
    return select(select(x * (x + 3.0) / 6.0, x, x >= 3.0), 0.0, x <= -3.0);
}

fn act_df(x: f32) -> Parts {
    return plain(select(select((2.0 * x + 3.0) / 6.0, 1.0, x >= 3.0), 0.0, x <= -3.0));
}
