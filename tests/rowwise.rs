//! PReLU (per-channel weights, weight gradient reduced on the GPU) and softmax / log-softmax
//! (row reductions) against the float64 reference.

mod common;

use common::{gpu, grads, random_values};
use gpu_activations::{Error, SOFTMAX_BACKWARD_ABS, SOFTMAX_FORWARD_ULP, reference, ulp};

fn logits(n: usize, scale: f32, seed: u64) -> Vec<f32> {
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    (0..n).map(|_| rng.random_range(-1.0f32..1.0) * scale).collect()
}

#[test]
fn softmax_rows_sum_to_one_and_match_the_reference() {
    let gpu = gpu();
    for &(row_len, rows) in
        &[(1usize, 7usize), (3, 5), (255, 3), (256, 2), (257, 3), (1000, 4), (5000, 2)]
    {
        for &scale in &[1.0f32, 10.0, 100.0, 1e4] {
            let xs = logits(row_len * rows, scale, row_len as u64);
            let x = gpu.upload(&xs).unwrap();
            let y = gpu.download(&gpu.softmax(&x, row_len).unwrap()).unwrap();
            let want = reference::softmax(&xs, row_len);
            for (i, (&g, &w)) in y.iter().zip(&want).enumerate() {
                assert!(ulp::within(g, w, SOFTMAX_FORWARD_ULP), "softmax[{i}] {g:e} vs {w:e}");
            }
            for row in y.chunks(row_len) {
                let sum: f64 = row.iter().map(|&v| v as f64).sum();
                assert!(
                    (sum - 1.0).abs() <= 1e-6,
                    "row sums to {sum} (row_len {row_len}, scale {scale})"
                );
            }
            let ly = gpu.download(&gpu.log_softmax(&x, row_len).unwrap()).unwrap();
            for (i, (&g, &w)) in ly.iter().zip(&reference::log_softmax(&xs, row_len)).enumerate() {
                assert!(ulp::within(g, w, SOFTMAX_FORWARD_ULP), "log_softmax[{i}] {g:e} vs {w:e}");
            }
        }
    }
}

#[test]
fn large_logits_do_not_overflow() {
    let gpu = gpu();
    let x = gpu.upload(&[1e4, -1e4, 0.0, 1e4, 1e4, 9999.0]).unwrap();
    let y = gpu.download(&gpu.softmax(&x, 3).unwrap()).unwrap();
    assert_eq!(&y[..3], &[1.0, 0.0, 0.0]);
    let e = (-1.0f64).exp(); // row 2: [1e4, 1e4, 1e4 − 1]
    assert!(ulp::within(y[3], 1.0 / (2.0 + e), 2.0) && ulp::within(y[5], e / (2.0 + e), 2.0));
    let ly = gpu.download(&gpu.log_softmax(&x, 3).unwrap()).unwrap();
    assert_eq!(&ly[..3], &[0.0, -2e4, -1e4]);
    assert!(y.iter().chain(&ly).all(|v| v.is_finite()));
}

#[test]
fn log_softmax_keeps_the_dominant_logit_exact() {
    let gpu = gpu();
    let x = gpu.upload(&[0.0, -30.0]).unwrap();
    let y = gpu.download(&gpu.log_softmax(&x, 2).unwrap()).unwrap();
    let e30 = 9.357_622_968_840_175e-14; // e^-30; ln(1 + ε) = ε − ε²/2
    assert!(ulp::within(y[0], -(e30 - e30 * e30 / 2.0), 1.0), "{:e}", y[0]);
    assert!(ulp::within(y[1], -30.0 - e30, 1.0), "{:e}", y[1]);
}

#[test]
fn softmax_limits_and_nan() {
    let gpu = gpu();
    let inf = f32::INFINITY;
    let x =
        gpu.upload(&[inf, 1.0, inf, 0.0, f32::NAN, 2.0, -inf, -inf, -inf, -inf, 3.0, 4.0]).unwrap();
    let y = gpu.download(&gpu.softmax(&x, 3).unwrap()).unwrap();
    assert_eq!(&y[..3], &[0.5, 0.0, 0.5]);
    assert!(y[3..6].iter().all(|v| v.is_nan()));
    let third = 1.0f32 / 3.0;
    assert_eq!(&y[6..9], &[third, third, third]);
    assert_eq!(y[9], 0.0);
    let ly = gpu.download(&gpu.log_softmax(&x, 3).unwrap()).unwrap();
    assert_eq!((ly[1], ly[9]), (-inf, -inf));
}

#[test]
fn softmax_backward_matches_the_reference() {
    let gpu = gpu();
    for &(row_len, rows) in &[(1usize, 4usize), (7, 9), (256, 3), (1000, 3)] {
        let xs = logits(row_len * rows, 5.0, 11 + row_len as u64);
        let gs = grads(xs.len(), 12)
            .into_iter()
            .map(|g| if g.is_finite() { g } else { 0.5 })
            .collect::<Vec<_>>();
        let x = gpu.upload(&xs).unwrap();
        let g = gpu.upload(&gs).unwrap();
        for log in [false, true] {
            let y =
                if log { gpu.log_softmax(&x, row_len) } else { gpu.softmax(&x, row_len) }.unwrap();
            let d = if log {
                gpu.log_softmax_backward(&y, &g, row_len)
            } else {
                gpu.softmax_backward(&y, &g, row_len)
            }
            .unwrap();
            let ys = gpu.download(&y).unwrap();
            let ds = gpu.download(&d).unwrap();
            let (want, scale) = if log {
                reference::log_softmax_backward(&ys, &gs, row_len)
            } else {
                reference::softmax_backward(&ys, &gs, row_len)
            };
            for i in 0..ds.len() {
                let err = ulp::scaled_error(ds[i], want[i], scale[i]);
                assert!(err <= SOFTMAX_BACKWARD_ABS, "log={log} [{i}] {} vs {}", ds[i], want[i]);
            }
        }
    }
}

#[test]
fn softmax_shapes_are_checked() {
    let gpu = gpu();
    let x = gpu.upload(&[1.0; 6]).unwrap();
    assert!(matches!(gpu.softmax(&x, 0), Err(Error::Shape(_))));
    assert!(matches!(gpu.log_softmax(&x, 4), Err(Error::Shape(_))));
    let g = gpu.upload(&[1.0; 5]).unwrap();
    assert!(matches!(gpu.softmax_backward(&x, &g, 3), Err(Error::LengthMismatch { .. })));
    let empty = gpu.upload(&[]).unwrap();
    assert!(gpu.download(&gpu.softmax(&empty, 3).unwrap()).unwrap().is_empty());
}

#[test]
fn prelu_matches_the_reference_and_sums_the_weight_gradient_on_the_gpu() {
    let gpu = gpu();
    // (N, C, S) shapes, per-channel and shared weights.
    for &(n, c, s, shared) in
        &[(3usize, 4usize, 1usize, false), (2, 3, 5, false), (5, 7, 13, true), (64, 16, 300, false)]
    {
        let len = n * c * s;
        let xs = random_values(len, len as u64)
            .into_iter()
            .map(|v| if v.is_nan() { -1.0 } else { v.clamp(-1e3, 1e3) })
            .collect::<Vec<_>>();
        let gs = logits(len, 2.0, 99);
        let ws: Vec<f32> =
            if shared { vec![0.25] } else { (0..c).map(|k| 0.1 * k as f32 - 0.3).collect() };
        let x = gpu.upload(&xs).unwrap();
        let g = gpu.upload(&gs).unwrap();
        let w = gpu.upload(&ws).unwrap();
        let y = gpu.download(&gpu.prelu_with_spatial(&x, &w, c, s).unwrap()).unwrap();
        let want = reference::prelu(&xs, &ws, c, s);
        assert!(y.iter().zip(&want).all(|(&g, &w)| ulp::within(g, w, 0.5)));
        let (dx, dw) = gpu.prelu_with_spatial_backward(&x, &g, &w, c, s).unwrap();
        let (dx, dw) = (gpu.download(&dx).unwrap(), gpu.download(&dw).unwrap());
        let (want_x, _) = reference::prelu_backward(&xs, &gs, &ws, c, s);
        assert!(dx.iter().zip(&want_x).all(|(&g, &w)| ulp::within(g, w, 0.5)));
        // The weight gradient against a plain CPU sum over each channel's x ≤ 0 elements.
        assert_eq!(dw.len(), ws.len());
        for (k, &got) in dw.iter().enumerate() {
            let (mut sum, mut mag) = (0.0f64, 0.0f64);
            for i in 0..len {
                let ch = if shared { 0 } else { (i / s) % c };
                if ch == k && xs[i] <= 0.0 {
                    sum += xs[i] as f64 * gs[i] as f64;
                    mag += (xs[i] as f64 * gs[i] as f64).abs();
                }
            }
            assert!((got as f64 - sum).abs() <= 1e-6 * mag.max(1e-30), "dw[{k}] = {got} vs {sum}");
        }
    }
}

#[test]
fn prelu_named_form_is_channels_last_of_n_c() {
    let gpu = gpu();
    let x = gpu.upload(&[-1.0, -1.0, 2.0, -4.0]).unwrap();
    let w = gpu.upload(&[0.25, 0.5]).unwrap();
    assert_eq!(gpu.download(&gpu.prelu(&x, &w, 2).unwrap()).unwrap(), [-0.25, -0.5, 2.0, -2.0]);
    let g = gpu.upload(&[1.0, 2.0, 3.0, 4.0]).unwrap();
    let (dx, dw) = gpu.prelu_backward(&x, &g, &w, 2).unwrap();
    assert_eq!(gpu.download(&dx).unwrap(), [0.25, 1.0, 3.0, 2.0]);
    // channel 0: x ≤ 0 at (−1, g 1) → −1; channel 1: (−1, g 2) and (−4, g 4) → −18
    assert_eq!(gpu.download(&dw).unwrap(), [-1.0, -18.0]);
}

#[test]
fn prelu_shapes_are_checked() {
    let gpu = gpu();
    let x = gpu.upload(&[1.0; 6]).unwrap();
    let w3 = gpu.upload(&[0.1; 3]).unwrap();
    let w2 = gpu.upload(&[0.1; 2]).unwrap();
    assert!(matches!(gpu.prelu(&x, &w3, 0), Err(Error::Shape(_))));
    assert!(matches!(gpu.prelu(&x, &w2, 3), Err(Error::Shape(_))));
    assert!(matches!(gpu.prelu(&x, &w3, 4), Err(Error::Shape(_))));
    assert!(matches!(gpu.prelu_with_spatial(&x, &w3, 3, 4), Err(Error::Shape(_))));
    let g = gpu.upload(&[1.0; 5]).unwrap();
    assert!(matches!(gpu.prelu_backward(&x, &g, &w3, 3), Err(Error::LengthMismatch { .. })));
    let other = common::gpu();
    let wo = other.upload(&[0.1; 3]).unwrap();
    assert!(matches!(gpu.prelu(&x, &wo, 3), Err(Error::WrongDevice { what: "weight" })));
    // Empty input: empty output, and a zero weight gradient.
    let empty = gpu.upload(&[]).unwrap();
    let (dx, dw) = gpu.prelu_backward(&empty, &empty, &w3, 3).unwrap();
    assert!(dx.is_empty());
    assert_eq!(gpu.download(&dw).unwrap(), [0.0; 3]);
}
