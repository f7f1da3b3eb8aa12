// f(x) = x where x > threshold, value otherwise; f'(x) = 1 where x > threshold, else 0.
// threshold = params.p.x, value = params.p.y
fn act_f(x: f32) -> f32 {
    return select(params.p.y, x, x > params.p.x);
}

fn act_df(x: f32) -> Parts {
    return plain(select(0.0, 1.0, x > params.p.x));
}
