// f(x) = x for x > 0, alpha * x otherwise; leaky_relu'(0) = alpha.  alpha = params.p.x
fn act_f(x: f32) -> f32 {
    return select(params.p.x * x, x, x > 0.0);
}

fn act_df(x: f32) -> Parts {
    return plain(select(params.p.x, 1.0, x > 0.0));
}
