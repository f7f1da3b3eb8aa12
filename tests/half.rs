//! f16 and bf16 tensors (issue 9): transfers, `cast` against the `half` crate's conversions,
//! every activation against the float64 reference within the 16-bit bounds, in place, in
//! batches, recorded into an encoder, and mixed storage types refused.

mod common;

use common::gpu;
use gpu_activations::half::{bf16, f16};
use gpu_activations::{Activation, DType, Error, GpuActivations, GpuBuffer, reference, ulp};

const HALVES: [DType; 2] = [DType::F16, DType::Bf16];

/// The value with 16-bit pattern `bits` in `dtype`, widened (by `half`).
fn widen(dtype: DType, bits: u16) -> f32 {
    match dtype {
        DType::F16 => f16::from_bits(bits).to_f32(),
        _ => bf16::from_bits(bits).to_f32(),
    }
}

/// `values` (representable in `dtype`) uploaded as `dtype`.
fn upload_as(gpu: &GpuActivations, dtype: DType, values: &[f32]) -> GpuBuffer {
    match dtype {
        DType::F16 => {
            gpu.upload_typed(&values.iter().map(|&v| f16::from_f32(v)).collect::<Vec<_>>())
        }
        DType::Bf16 => {
            gpu.upload_typed(&values.iter().map(|&v| bf16::from_f32(v)).collect::<Vec<_>>())
        }
        _ => gpu.upload(values),
    }
    .unwrap()
}

/// Every 16th bit pattern of `dtype` (4,096 values) plus its specials, widened.
fn sample(dtype: DType) -> Vec<f32> {
    let mut v: Vec<f32> = (0..=u16::MAX).step_by(16).map(|b| widen(dtype, b)).collect();
    for b in [
        0x0001u16, 0x8001, 0x03ff, 0x0400, 0x3c00, 0x7bff, 0x7c00, 0xfc00, 0x7e00, 0x007f, 0x0080,
        0x7f7f, 0x7f80,
    ] {
        v.push(widen(dtype, b));
    }
    v.extend([0.5, -0.5, 1.0, -1.0, 3.0, -3.0, 6.0, 20.0, -0.2783, 0.0, -0.0]);
    v.into_iter().map(|x| round(dtype, x)).collect()
}

fn round(dtype: DType, x: f32) -> f32 {
    ulp::round_to(dtype, x as f64)
}

#[test]
fn typed_round_trips_keep_every_bit_pattern() {
    let gpu = gpu();
    let bits: Vec<u16> = (0..=u16::MAX).collect();
    let h: Vec<f16> = bits.iter().map(|&b| f16::from_bits(b)).collect();
    let x = gpu.upload_typed(&h).unwrap();
    assert_eq!(x.dtype(), DType::F16);
    let back: Vec<f16> = gpu.download_typed(&x).unwrap();
    assert!(back.iter().zip(&h).all(|(a, b)| a.to_bits() == b.to_bits()));
    let wide = gpu.download(&x).unwrap();
    for (w, b) in wide.iter().zip(&h) {
        assert!(w.to_bits() == b.to_f32().to_bits() || (w.is_nan() && b.is_nan()));
    }
    let bh: Vec<bf16> = bits.iter().map(|&b| bf16::from_bits(b)).collect();
    let x = gpu.upload_typed(&bh).unwrap();
    assert_eq!(x.dtype(), DType::Bf16);
    let back: Vec<bf16> = gpu.download_typed(&x).unwrap();
    assert!(back.iter().zip(&bh).all(|(a, b)| a.to_bits() == b.to_bits()));
    let mut wide = vec![0.0f32; bh.len()];
    gpu.download_into(&x, &mut wide).unwrap();
    for (w, b) in wide.iter().zip(&bh) {
        assert!(w.to_bits() == b.to_f32().to_bits() || (w.is_nan() && b.is_nan()));
    }
}

#[test]
fn typed_transfers_refuse_the_wrong_type() {
    let gpu = gpu();
    let x = gpu.upload(&[1.0, 2.0, 3.0]).unwrap();
    assert!(matches!(
        gpu.download_typed::<f16>(&x),
        Err(Error::DTypeMismatch { got: DType::F32, expected: DType::F16, .. })
    ));
    let h = gpu.upload_typed(&[f16::ONE; 3]).unwrap();
    assert!(matches!(gpu.download_typed::<bf16>(&h), Err(Error::DTypeMismatch { .. })));
    assert!(matches!(gpu.download_typed::<f32>(&h), Err(Error::DTypeMismatch { .. })));
    assert!(matches!(gpu.write(&h, &[1.0; 3]), Err(Error::DTypeMismatch { .. })));
    assert_eq!(gpu.download(&h).unwrap(), vec![1.0; 3]);
}

/// f32 values around every f16 rounding boundary, subnormals, overflow and NaN.
fn cast_inputs() -> Vec<f32> {
    let mut v = Vec::new();
    for b in (0..=u16::MAX).step_by(3) {
        let h = f16::from_bits(b).to_f32();
        if !h.is_finite() {
            continue;
        }
        let next = f16::from_bits(b.wrapping_add(1)).to_f32();
        if next.is_finite() {
            let mid = ((h as f64 + next as f64) / 2.0) as f32; // a tie (exact in f32)
            v.extend([mid, f32::from_bits(mid.to_bits() + 1), f32::from_bits(mid.to_bits() - 1)]);
        }
        v.push(h);
    }
    v.extend([65504.0, 65519.0, 65520.0, 1e6, -1e6, f32::MAX, f32::INFINITY, f32::NEG_INFINITY]);
    v.extend([f32::NAN, -f32::NAN, f32::from_bits(0x7f80_0001), 1e-8, 3e-8, 2f32.powi(-25), 1e-40]);
    v.extend(common::random_values(20_000, 9));
    v
}

#[test]
fn cast_rounds_like_half() {
    let gpu = gpu();
    let xs = cast_inputs();
    let x = gpu.upload(&xs).unwrap();
    let h: Vec<f16> = gpu.download_typed(&gpu.cast(&x, DType::F16).unwrap()).unwrap();
    let b: Vec<bf16> = gpu.download_typed(&gpu.cast(&x, DType::Bf16).unwrap()).unwrap();
    for (i, &v) in xs.iter().enumerate() {
        let (wh, wb) = (f16::from_f32(v), bf16::from_f32(v));
        if v.is_nan() {
            assert!(h[i].is_nan() && b[i].is_nan(), "NaN {:#x}", v.to_bits());
            continue;
        }
        assert_eq!(h[i].to_bits(), wh.to_bits(), "f32 -> f16 of {v:e}");
        assert_eq!(b[i].to_bits(), wb.to_bits(), "f32 -> bf16 of {v:e}");
    }
    // Widening is exact, and f16 -> bf16 rounds the exact value once.
    let all: Vec<f16> = (0..=u16::MAX).map(f16::from_bits).collect();
    let x = gpu.upload_typed(&all).unwrap();
    let wide: Vec<f32> = gpu.download_typed(&gpu.cast(&x, DType::F32).unwrap()).unwrap();
    let to_b: Vec<bf16> = gpu.download_typed(&gpu.cast(&x, DType::Bf16).unwrap()).unwrap();
    let same: Vec<f16> = gpu.download_typed(&gpu.cast(&x, DType::F16).unwrap()).unwrap();
    for (i, h) in all.iter().enumerate() {
        assert_eq!(same[i].to_bits(), h.to_bits());
        if h.is_nan() {
            assert!(wide[i].is_nan() && to_b[i].is_nan());
            continue;
        }
        assert_eq!(wide[i].to_bits(), h.to_f32().to_bits(), "f16 {:#x} -> f32", h.to_bits());
        assert_eq!(to_b[i].to_bits(), bf16::from_f32(h.to_f32()).to_bits());
    }
    let allb: Vec<bf16> = (0..=u16::MAX).map(bf16::from_bits).collect();
    let x = gpu.upload_typed(&allb).unwrap();
    let to_h: Vec<f16> = gpu.download_typed(&gpu.cast(&x, DType::F16).unwrap()).unwrap();
    for (i, b) in allb.iter().enumerate() {
        if b.is_nan() {
            assert!(to_h[i].is_nan());
        } else {
            assert_eq!(to_h[i].to_bits(), f16::from_f32(b.to_f32()).to_bits(), "{b}");
        }
    }
    for len in [0usize, 1, 3, 5] {
        let x = gpu.upload(&vec![1.5; len]).unwrap();
        let y = gpu.cast(&x, DType::Bf16).unwrap();
        assert_eq!((y.len(), y.dtype()), (len, DType::Bf16));
        assert_eq!(gpu.download(&y).unwrap(), vec![1.5; len]);
    }
}

/// Asserts `got` (stored as `dtype`) is `act` at `xs` (forward) or at `xs`, `gs` (backward).
fn assert_within(dtype: DType, act: Activation, xs: &[f32], gs: Option<&[f32]>, got: &[f32]) {
    let b = act.bounds();
    assert_eq!(got.len(), xs.len());
    for i in 0..xs.len() {
        let ok = match gs {
            None => {
                let want = reference::forward_f64(act, xs[i] as f64);
                (b.forward_ok_in(dtype, got[i], want), want)
            }
            Some(gs) => {
                let want = reference::backward_f64(act, xs[i] as f64, gs[i] as f64);
                (b.backward_ok_in(dtype, xs[i], gs[i], got[i], want), want)
            }
        };
        assert!(
            ok.0,
            "{act} {dtype} {} at x = {:e}{}: GPU {:e}, reference {:e} ({} ULP)",
            if gs.is_some() { "backward" } else { "forward" },
            xs[i],
            gs.map(|g| format!(", grad_out = {:e}", g[i])).unwrap_or_default(),
            got[i],
            ok.1,
            ulp::error_in(dtype, got[i], ok.1)
        );
    }
}

fn every_activation(verify: bool) {
    let mut gpu = gpu();
    gpu.set_verify(verify);
    for dtype in HALVES {
        let xs = sample(dtype);
        let grads: Vec<f32> = [1.0f32, -0.75, 3.0e-3, 100.0]
            .iter()
            .cycle()
            .take(xs.len())
            .map(|&g| round(dtype, g))
            .collect();
        let x = upload_as(&gpu, dtype, &xs);
        let g = upload_as(&gpu, dtype, &grads);
        for &act in Activation::ALL {
            let y = gpu.forward(act, &x).unwrap();
            assert_eq!(y.dtype(), dtype);
            let ys = gpu.download(&y).unwrap();
            assert_within(dtype, act, &xs, None, &ys);
            let inplace = gpu.cast(&x, dtype).unwrap(); // a copy
            gpu.forward_inplace(act, &inplace).unwrap();
            let same = gpu.download(&inplace).unwrap();
            assert!(same.iter().zip(&ys).all(|(a, b)| a.to_bits() == b.to_bits() || a.is_nan()));
            let d = gpu.backward(act, &x, &g).unwrap();
            assert_eq!(d.dtype(), dtype);
            assert_within(dtype, act, &xs, Some(&grads), &gpu.download(&d).unwrap());
        }
    }
}

#[test]
fn every_activation_within_the_16_bit_bounds() {
    every_activation(false);
}

#[test]
fn every_activation_passes_verification() {
    every_activation(true);
}

#[test]
fn in_place_batch_and_encode_on_odd_lengths() {
    let gpu = gpu();
    for dtype in HALVES {
        for len in [1usize, 3, 5, 4097] {
            let xs: Vec<f32> =
                (0..len).map(|i| round(dtype, (i as f32 - 2.0) * 0.37 + 0.01)).collect();
            let gs: Vec<f32> = (0..len).map(|i| round(dtype, 1.0 - i as f32 * 1e-3)).collect();
            for &act in [Activation::Relu, Activation::Silu, Activation::Gelu].iter() {
                // in place
                let x = upload_as(&gpu, dtype, &xs);
                gpu.forward_inplace(act, &x).unwrap();
                assert_eq!(x.dtype(), dtype);
                assert_within(dtype, act, &xs, None, &gpu.download(&x).unwrap());
                // batch: fused runs, in place, and an f32 operation beside them
                let x = upload_as(&gpu, dtype, &xs);
                let g = upload_as(&gpu, dtype, &gs);
                let f = gpu.upload(&xs).unwrap();
                let mut batch = gpu.batch();
                let y1 = batch.forward(act, &x).unwrap();
                let yf = batch.forward(act, &f).unwrap();
                let y2 = batch.backward(act, &x, &g).unwrap();
                let y3 = batch.forward(act, &x).unwrap();
                let xi = upload_as(&gpu, dtype, &xs);
                batch.forward_inplace(act, &xi).unwrap();
                batch.submit().unwrap();
                assert_eq!((y1.dtype(), y2.dtype(), yf.dtype()), (dtype, dtype, DType::F32));
                for y in [&y1, &y3, &xi] {
                    assert_within(dtype, act, &xs, None, &gpu.download(y).unwrap());
                }
                assert_within(dtype, act, &xs, Some(&gs), &gpu.download(&y2).unwrap());
                assert_within(DType::F32, act, &xs, None, &gpu.download(&yf).unwrap());
                // encode
                let mut enc = gpu.device().create_command_encoder(&Default::default());
                let y = gpu.encode_forward(&mut enc, act, &x).unwrap();
                let d = gpu.encode_backward(&mut enc, act, &x, &g).unwrap();
                gpu.queue().submit([enc.finish()]);
                assert_within(dtype, act, &xs, None, &gpu.download(&y).unwrap());
                assert_within(dtype, act, &xs, Some(&gs), &gpu.download(&d).unwrap());
                gpu.check_forward(act, &x, &y).unwrap();
                gpu.check_backward(act, &x, &g, &d).unwrap();
            }
        }
    }
}

#[test]
fn mixed_storage_types_are_errors() {
    let gpu = gpu();
    let x = upload_as(&gpu, DType::F16, &[1.0, -2.0, 3.0]);
    let xb = upload_as(&gpu, DType::Bf16, &[1.0, -2.0, 3.0]);
    let g = gpu.upload(&[1.0; 3]).unwrap();
    let mismatch = |r: Result<GpuBuffer, Error>| {
        assert!(
            matches!(
                r,
                Err(Error::DTypeMismatch {
                    what: "grad_out",
                    got: DType::F32,
                    expected: DType::F16
                })
            ),
            "{r:?}"
        )
    };
    mismatch(gpu.backward(Activation::Tanh, &x, &g));
    mismatch(gpu.relu_backward(&x, &g));
    mismatch(gpu.batch().backward(Activation::Tanh, &x, &g));
    let mut enc = gpu.device().create_command_encoder(&Default::default());
    mismatch(gpu.encode_backward(&mut enc, Activation::Tanh, &x, &g));
    assert!(matches!(gpu.backward(Activation::Tanh, &x, &xb), Err(Error::DTypeMismatch { .. })));
    let y = gpu.relu(&x).unwrap();
    assert!(matches!(
        gpu.check_forward(Activation::Relu, &xb, &y),
        Err(Error::DTypeMismatch { .. })
    ));
    assert!(matches!(gpu.prelu(&x, &g, 1), Err(Error::DTypeMismatch { what: "weight", .. })));
    let w = upload_as(&gpu, DType::F16, &[0.25]);
    assert!(matches!(gpu.prelu_backward(&x, &g, &w, 1), Err(Error::DTypeMismatch { .. })));
    assert!(matches!(gpu.softmax_backward(&x, &g, 3), Err(Error::DTypeMismatch { .. })));
    assert!(matches!(gpu.log_softmax_backward(&x, &xb, 3), Err(Error::DTypeMismatch { .. })));
}

#[test]
fn prelu_and_softmax_on_16_bit_tensors() {
    let gpu = gpu();
    for dtype in HALVES {
        let tol = |got: f32, want: f64, abs: f64| {
            ulp::within_in(dtype, got, want, 0.51)
                || (got as f64 - want).abs() <= 0.5 * ulp::ulp_of_in(dtype, want) + abs
        };
        // PReLU, (N = 3, C = 2, S = 5): exact in f32, so one rounding to the format.
        let xs: Vec<f32> = (0..30).map(|i| round(dtype, (i as f32 - 14.5) * 0.3)).collect();
        let ws = [round(dtype, 0.25), round(dtype, -0.1)];
        let gs: Vec<f32> = (0..30).map(|i| round(dtype, 1.0 - i as f32 / 16.0)).collect();
        let (x, w, g) =
            (upload_as(&gpu, dtype, &xs), upload_as(&gpu, dtype, &ws), upload_as(&gpu, dtype, &gs));
        let y = gpu.prelu_with_spatial(&x, &w, 2, 5).unwrap();
        assert_eq!(y.dtype(), dtype);
        let want = reference::prelu(&xs, &ws, 2, 5);
        for (got, want) in gpu.download(&y).unwrap().iter().zip(&want) {
            assert_eq!(*got, ulp::round_to(dtype, *want));
        }
        let (dx, dw) = gpu.prelu_with_spatial_backward(&x, &g, &w, 2, 5).unwrap();
        assert_eq!((dx.dtype(), dw.dtype()), (dtype, dtype));
        let (want_x, want_w) = reference::prelu_backward(&xs, &gs, &ws, 2, 5);
        for (got, want) in gpu.download(&dx).unwrap().iter().zip(&want_x) {
            assert_eq!(*got, ulp::round_to(dtype, *want));
        }
        for (got, want) in gpu.download(&dw).unwrap().iter().zip(&want_w) {
            assert!(tol(*got, *want, 1e-5), "prelu weight gradient {got} vs {want}");
        }
        // Softmax and log-softmax on rows of 7 (odd lengths, padded).
        let xs: Vec<f32> =
            (0..35).map(|i| round(dtype, ((i * 37) % 23) as f32 * 0.4 - 4.0)).collect();
        let x = upload_as(&gpu, dtype, &xs);
        let s = gpu.softmax(&x, 7).unwrap();
        let l = gpu.log_softmax(&x, 7).unwrap();
        assert_eq!((s.dtype(), l.dtype()), (dtype, dtype));
        let (ss, ls) = (gpu.download(&s).unwrap(), gpu.download(&l).unwrap());
        for (got, want) in ss.iter().zip(reference::softmax(&xs, 7)) {
            assert!(tol(*got, want, 0.0), "{dtype} softmax {got} vs {want}");
        }
        for (got, want) in ls.iter().zip(reference::log_softmax(&xs, 7)) {
            assert!(tol(*got, want, 0.0), "{dtype} log_softmax {got} vs {want}");
        }
        let gs: Vec<f32> = (0..35).map(|i| round(dtype, (i % 5) as f32 * 0.5 - 1.0)).collect();
        let g = upload_as(&gpu, dtype, &gs);
        let d = gpu.softmax_backward(&s, &g, 7).unwrap();
        let (want, scale) = reference::softmax_backward(&ss, &gs, 7);
        for ((got, want), scale) in gpu.download(&d).unwrap().iter().zip(want).zip(scale) {
            assert!(
                tol(*got, want, 8.0 * 2f64.powi(-23) * scale),
                "softmax backward {got} vs {want}"
            );
        }
        let d = gpu.log_softmax_backward(&l, &g, 7).unwrap();
        assert_eq!(d.dtype(), dtype);
        let (want, scale) = reference::log_softmax_backward(&ls, &gs, 7);
        for ((got, want), scale) in gpu.download(&d).unwrap().iter().zip(want).zip(scale) {
            assert!(
                tol(*got, want, 8.0 * 2f64.powi(-23) * scale),
                "log_softmax backward {got} vs {want}"
            );
        }
    }
}

#[test]
fn many_bindings_and_staged_transfers() {
    // 100,003 values: 25,001 words, in bindings of at most 8,192 (f16) or 4,096 (f32) words on
    // a grid of at most 2 x 2 workgroups.
    let small = common::gpu_with_limits(|l| wgpu::Limits {
        max_storage_buffer_binding_size: 1 << 16,
        max_compute_workgroups_per_dimension: 2,
        ..l
    });
    let xs: Vec<f32> = common::random_values(100_003, 21);
    let x32 = small.upload(&xs).unwrap();
    for dtype in HALVES {
        let want: Vec<f32> = xs.iter().map(|&v| round(dtype, v)).collect();
        let x = small.cast(&x32, dtype).unwrap();
        let got = small.download(&x).unwrap();
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            assert!(
                g.to_bits() == w.to_bits() || (g.is_nan() && w.is_nan()),
                "{dtype} {i}: {g} vs {w} from {:#x}",
                xs[i].to_bits()
            );
        }
        let back = small.download(&small.cast(&x, DType::F32).unwrap()).unwrap();
        assert!(
            back.iter()
                .zip(&got)
                .all(|(a, b)| a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()))
        );
        let y = small.forward(Activation::Tanh, &x).unwrap(); // verified (debug builds)
        assert_within(dtype, Activation::Tanh, &got, None, &small.download(&y).unwrap());
        let d = small.backward(Activation::Sigmoid, &x, &x).unwrap();
        assert_within(dtype, Activation::Sigmoid, &got, Some(&got), &small.download(&d).unwrap());
    }
    // Over 16 MiB of f16: uploads and downloads stream through the staging buffer in pieces.
    let gpu = gpu();
    let n = 9_000_001;
    let h: Vec<f16> = (0..n).map(|i| f16::from_bits((i % 65_536) as u16)).collect();
    let x = gpu.upload_typed(&h).unwrap();
    let back: Vec<f16> = gpu.download_typed(&x).unwrap();
    assert!(back.iter().zip(&h).all(|(a, b)| a.to_bits() == b.to_bits()));
    let wide = gpu.download(&x).unwrap();
    assert!(wide.iter().zip(&h).all(|(a, b)| a.to_bits() == b.to_f32().to_bits() || a.is_nan()));
}

#[test]
fn check_forward_reports_16_bit_mismatches_in_the_format() {
    let gpu = gpu();
    for dtype in HALVES {
        let x = upload_as(&gpu, dtype, &[0.5, -1.0, 0.1]);
        let y = gpu.forward(Activation::Sigmoid, &x).unwrap();
        gpu.check_forward(Activation::Sigmoid, &x, &y).unwrap();
        // One ULP of the format off at index 2.
        let mut ys = gpu.download(&y).unwrap();
        ys[2] += ulp::ulp_of_in(dtype, ys[2] as f64) as f32;
        let wrong = upload_as(&gpu, dtype, &ys);
        let err = gpu.check_forward(Activation::Sigmoid, &x, &wrong).unwrap_err();
        let want = reference::forward_f64(Activation::Sigmoid, round(dtype, 0.1) as f64);
        match err {
            Error::Mismatch { index, reference, ulps, bound, .. } => {
                assert_eq!(index, 2);
                assert_eq!(reference, ulp::round_to(dtype, want));
                assert!(ulps > 0.5 && ulps < 1.5, "{ulps}");
                assert_eq!(bound, 0.51);
            }
            e => panic!("{e}"),
        }
    }
}
