// f(x) = max(0, x), chosen with a select so no float max can drop a value; relu'(0) = 0.
fn act_f(x: f32) -> f32 {
    return select(0.0, x, x > 0.0);
}

fn act_df(x: f32) -> Parts {
    return plain(select(0.0, 1.0, x > 0.0));
}
