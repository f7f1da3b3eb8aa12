// f(x) = x where x > threshold, value otherwise; f'(x) = 1 where x > threshold, else 0.
// threshold = act_params().x, value = act_params().y
fn act_f(x: f32) -> f32 {
    return select(act_params().y, x, x > act_params().x);
}

fn act_df(x: f32) -> Parts {
    return plain(select(0.0, 1.0, x > act_params().x));
}
