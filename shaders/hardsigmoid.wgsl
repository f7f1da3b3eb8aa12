// f(x) = relu6(x + 3) / 6: 0 up to -3, 1 from 3, (x + 3)/6 between (x + 3 is exact near -3).
// f'(x) = 1/6 strictly inside (-3, 3), 0 elsewhere.
fn act_f(x: f32) -> f32 {
    return select(select((x + 3.0) / 6.0, 1.0, x >= 3.0), 0.0, x <= -3.0);
}

fn act_df(x: f32) -> Parts {
    return plain(select(0.0, 1.0 / 6.0, x > -3.0 && x < 3.0));
}
