// f(x) = x, f'(x) = 1.
fn act_f(x: f32) -> f32 {
    return x;
}

fn act_df(x: f32) -> Parts {
    return plain(1.0);
}
