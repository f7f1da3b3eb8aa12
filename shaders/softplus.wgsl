// f(x) = ln(1 + e^z) / beta with z = beta x, and x where z > threshold (compared in f32, as
// PyTorch does); f'(x) = sigmoid(z). beta = act_params().x, threshold = act_params().y.
// z is carried as an exact sum hi + lo so that e^-|z| keeps full accuracy for any beta.
// beta x as an exact sum hi + lo (beta = 1, the common case, needs no splitting).
fn beta_x(x: f32) -> vec2<f32> {
    if (act_params().x == 1.0) {
        return vec2<f32>(x, 0.0);
    }
    return mul_exact(act_params().x, x);
}

fn act_f(x: f32) -> f32 {
    let beta = act_params().x;
    let z = beta_x(x);
    let s = select(1.0, -1.0, z.x > 0.0); // e^-|z| = e^(s z)
    var y = (max(beta * x, 0.0) + log1p_unit(exp_sum_nonpos(s * z.x, s * z.y))) / beta;
    if (beta < 1.0 && z.x < -80.0) {
        // ln(1 + e^z) = e^z to f32 precision, and e^z may be below the normal range while
        // e^z / beta is not: divide the parts before scaling.
        let p = exp_sum_parts(z.x, z.y);
        y = scale2(p.m / beta, p.k);
    }
    return select(y, x, beta * x > act_params().y);
}

// sigmoid(z) from e = e^-|z|: e / (1 + e) for z < 0, kept as parts so it stays exact where
// tiny, and 1 / (1 + e) otherwise; one exponential and one division either way.
fn act_df(x: f32) -> Parts {
    if (is_inf(x)) {
        return plain(select(0.0, 1.0, x > 0.0)); // the limits; any finite x keeps its token
    }
    let beta = act_params().x;
    let z = beta_x(x);
    let neg = z.x < 0.0;
    let s = select(-1.0, 1.0, neg);
    let p = exp_sum_parts(s * z.x, s * z.y);
    let d = 1.0 + p.m * pow2_or_zero(p.k); // k <= 0: e below 2^-126 adds nothing to 1
    let above = beta * x > act_params().y;
    return Parts(select(select(1.0, p.m, neg) / d, 1.0, above), select(select(0, p.k, neg), 0, above));
}
