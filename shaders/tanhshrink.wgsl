// f(x) = x - tanh(x). Below |x| = 1 it is x^3 P(x^2) (P fitted by tools/fit.py): no cancellation.
// From 1 on, x - tanh x = (|x| - 1) + 2e/(1 + e) with e = e^-2|x|, a sum of two non-negatives.
// f'(x) = tanh^2(x); below 2^-40 that is x^2, kept as parts so it survives until grad_out.
fn act_f(x: f32) -> f32 {
    let a = abs(x);
    if (a < 1.0) {
        let z = x * x;
        let u = 2.0 * z - 1.0;
        let p = 0.27788564562797546 + u * (-0.046118754893541336 + u * (0.007757476530969143
            + u * (-0.0013068584958091378 + u * (0.0002195408451370895 + u * (-3.6877750972053036e-05
            + u * (7.171281140472274e-06 + u * (-1.3699567489311448e-06 + u * (-2.503130644981866e-07
            + u * 1.1801973442970848e-07))))))));
        return (x * z) * p;
    }
    let e = exp_nonpos(-2.0 * a);
    let r = (a - 1.0) + 2.0 * e / (1.0 + e);
    return select(-r, r, x >= 0.0);
}

fn act_df(x: f32) -> Parts {
    if (abs(x) < 9.094947017729282e-13) {
        return square_parts(x);
    }
    let t = tanh_acc(x);
    return plain(t * t);
}
