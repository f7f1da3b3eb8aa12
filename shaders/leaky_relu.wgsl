// f(x) = x for x > 0, alpha * x otherwise; leaky_relu'(0) = alpha.  alpha = act_params().x
fn act_f(x: f32) -> f32 {
    return select(act_params().x * x, x, x > 0.0);
}

fn act_df(x: f32) -> Parts {
    return plain(select(act_params().x, 1.0, x > 0.0));
}
