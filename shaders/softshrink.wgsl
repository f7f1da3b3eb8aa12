// f(x) = x - lambda above lambda, x + lambda below -lambda, 0 between (inclusive);
// f'(x) = 1 outside [-lambda, lambda], 0 inside. lambda = act_params().x
fn act_f(x: f32) -> f32 {
    let l = act_params().x;
    return select(select(0.0, x + l, x < -l), x - l, x > l);
}

fn act_df(x: f32) -> Parts {
    let l = act_params().x;
    return plain(select(1.0, 0.0, x >= -l && x <= l));
}
