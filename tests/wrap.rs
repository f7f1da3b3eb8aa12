//! Views of an application's buffers (`wrap`): results against the reference, and not one byte
//! outside a view's range changed, for every storage type, odd offsets and lengths, views of
//! one buffer side by side (bound together) and views at different offsets modulo a word
//! (the element-by-element path).

mod common;

use gpu_activations::half::{bf16, f16};
use gpu_activations::{Activation, DType, Error, GpuActivations};

const ALL_USAGES: wgpu::BufferUsages = wgpu::BufferUsages::STORAGE
    .union(wgpu::BufferUsages::COPY_SRC)
    .union(wgpu::BufferUsages::COPY_DST);

/// A recognisable byte for every position: what the application keeps around its views.
fn sentinel(i: usize) -> u8 {
    (i as u8).wrapping_mul(37).wrapping_add(11) | 0x41
}

/// The bits of `v` rounded to `dtype`, little-endian.
fn encode(dtype: DType, v: f32) -> Vec<u8> {
    match dtype {
        DType::F32 => v.to_le_bytes().to_vec(),
        DType::F16 => f16::from_f32(v).to_le_bytes().to_vec(),
        _ => bf16::from_f32(v).to_le_bytes().to_vec(),
    }
}

/// `v` as stored in `dtype`, widened back.
fn stored(dtype: DType, v: f32) -> f32 {
    match dtype {
        DType::F32 => v,
        DType::F16 => f16::from_f32(v).to_f32(),
        _ => bf16::from_f32(v).to_f32(),
    }
}

/// An application buffer of `bytes` sentinel bytes with `values` written at element offsets.
fn app_buffer(
    gpu: &GpuActivations,
    bytes: usize,
    usage: wgpu::BufferUsages,
) -> (wgpu::Buffer, Vec<u8>) {
    let content: Vec<u8> = (0..bytes).map(sentinel).collect();
    let buffer = gpu.device().create_buffer(&wgpu::BufferDescriptor {
        label: Some("application buffer"),
        size: bytes as u64,
        usage,
        mapped_at_creation: false,
    });
    (buffer, content)
}

fn place(content: &mut [u8], dtype: DType, at: usize, values: &[f32]) {
    let size = dtype.size_in_bytes() as usize;
    for (k, &v) in values.iter().enumerate() {
        content[(at + k) * size..(at + k + 1) * size].copy_from_slice(&encode(dtype, v));
    }
}

/// Every byte of `buffer`, read back outside the crate (a plain wgpu copy).
fn read_bytes(gpu: &GpuActivations, buffer: &wgpu::Buffer) -> Vec<u8> {
    gpu.sync().unwrap();
    let size = buffer.size();
    let staging = gpu.device().create_buffer(&wgpu::BufferDescriptor {
        label: None,
        size,
        usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    });
    let mut enc = gpu.device().create_command_encoder(&Default::default());
    enc.copy_buffer_to_buffer(buffer, 0, &staging, 0, size);
    gpu.queue().submit([enc.finish()]);
    staging.slice(..).map_async(wgpu::MapMode::Read, |r| r.unwrap());
    gpu.device().poll(wgpu::PollType::wait_indefinitely()).unwrap();
    staging.slice(..).get_mapped_range().unwrap().to_vec()
}

/// Asserts that `after` equals `before` outside the element ranges `written` (start, len).
fn assert_untouched(
    label: &str,
    dtype: DType,
    before: &[u8],
    after: &[u8],
    written: &[(usize, usize)],
) {
    let size = dtype.size_in_bytes() as usize;
    for (i, (b, a)) in before.iter().zip(after).enumerate() {
        let inside = written.iter().any(|&(at, len)| i >= at * size && i < (at + len) * size);
        assert!(inside || a == b, "{label}: byte {i} outside the views changed ({b:#x} -> {a:#x})");
    }
}

fn values(dtype: DType, n: usize, seed: u64) -> Vec<f32> {
    let mut v = common::specials();
    v.extend(common::random_values(n, seed));
    v.truncate(n);
    v.into_iter().map(|x| stored(dtype, x)).collect()
}

/// Asserts that `got` and `want` hold the same values (NaN where the other has NaN).
fn assert_same(got: &[f32], want: &[f32], label: &str) {
    assert_eq!(got.len(), want.len(), "{label}");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(g == w || (g.is_nan() && w.is_nan()), "{label}: element {i}: {g:e} vs {w:e}");
    }
}

/// Element offsets of x, grad_out, y and y′ in one application buffer, and the length: in
/// phase (all equal modulo 8) or not, odd and even, shorter and longer than a word.
const LAYOUTS: &[([usize; 4], usize)] = &[
    ([0, 64, 128, 192], 64),
    ([1, 65, 129, 193], 9),
    ([3, 35, 67, 99], 29),
    ([5, 1029, 2053, 3077], 1021),
    ([7, 23, 39, 55], 1),
    ([2, 18, 34, 50], 13),
    ([1, 40, 83, 130], 37),        // out of phase: element by element
    ([6, 1031, 2056, 3085], 1019), // out of phase, long
    ([9, 25, 41, 57], 0),
];

#[test]
fn operations_on_views_match_the_reference_and_touch_nothing_else() {
    let gpu = common::gpu();
    let acts =
        [Activation::Relu, Activation::Gelu, Activation::Elu { alpha: 0.5 }, Activation::Sigmoid];
    for dtype in [DType::F32, DType::F16, DType::Bf16] {
        for &([xa, ga, ya, da], n) in LAYOUTS {
            let label = format!("{} x@{xa} g@{ga} y@{ya} d@{da} len {n}", dtype.name());
            let total = (da + n + 5) * dtype.size_in_bytes() as usize;
            let total = total.next_multiple_of(4);
            let (buffer, mut content) = app_buffer(&gpu, total, ALL_USAGES);
            let (xs, gs) = (values(dtype, n, xa as u64), values(dtype, n, ga as u64 + 7));
            place(&mut content, dtype, xa, &xs);
            place(&mut content, dtype, ga, &gs);
            gpu.queue().write_buffer(&buffer, 0, &content);
            let view = |at: usize| {
                gpu.wrap(&buffer, (at as u64) * dtype.size_in_bytes(), n, dtype).unwrap()
            };
            let (x, g, y, d) = (view(xa), view(ga), view(ya), view(da));
            for act in acts {
                gpu.forward_into(act, &x, &y).unwrap();
                gpu.backward_into(act, &x, &g, &d).unwrap();
                let (ys, ds) = (gpu.download(&y).unwrap(), gpu.download(&d).unwrap());
                common::assert_within_bounds_in(
                    &format!("{label}: "),
                    dtype,
                    act,
                    &xs,
                    &gs,
                    &ys,
                    &ds,
                );
                // The allocating forms read views too.
                let (yo, dox) = (gpu.forward(act, &x).unwrap(), gpu.backward(act, &x, &g).unwrap());
                assert_same(
                    &gpu.download(&yo).unwrap(),
                    &ys,
                    &format!("{label}: {act} forward of a view"),
                );
                assert_same(
                    &gpu.download(&dox).unwrap(),
                    &ds,
                    &format!("{label}: {act} backward of a view"),
                );
            }
            let after = read_bytes(&gpu, &buffer);
            assert_untouched(&label, dtype, &content, &after, &[(ya, n), (da, n)]);

            // In place on a view, alone and in a batch; the inputs stay as they were.
            gpu.forward_inplace(Activation::Relu, &y).unwrap();
            let mut batch = gpu.batch();
            batch.forward_inplace(Activation::Tanh, &d).unwrap();
            let fused = batch.forward(Activation::Tanh, &x).unwrap();
            batch.submit().unwrap();
            let sigmoid = gpu.forward(Activation::Sigmoid, &x).unwrap(); // y held sigmoid(x)
            let want = gpu.download(&gpu.forward(Activation::Relu, &sigmoid).unwrap()).unwrap();
            assert_same(&gpu.download(&y).unwrap(), &want, &format!("{label}: relu in place"));
            let tanh = gpu.download(&gpu.forward(Activation::Tanh, &x).unwrap()).unwrap();
            assert_same(
                &gpu.download(&fused).unwrap(),
                &tanh,
                &format!("{label}: tanh in a batch"),
            );
            let after = read_bytes(&gpu, &buffer);
            assert_untouched(&label, dtype, &content, &after, &[(ya, n), (da, n)]);
        }
    }
}

#[test]
fn every_activation_through_views_in_another_buffer() {
    let gpu = common::gpu();
    let n = 301;
    for dtype in [DType::F32, DType::F16, DType::Bf16] {
        let (inputs, mut content) = app_buffer(&gpu, 8192, ALL_USAGES);
        let (xs, gs) = (values(dtype, n, 3), values(dtype, n, 4));
        place(&mut content, dtype, 3, &xs);
        place(&mut content, dtype, 1003, &gs);
        gpu.queue().write_buffer(&inputs, 0, &content);
        let (outputs, out_content) = app_buffer(&gpu, 8192, ALL_USAGES);
        gpu.queue().write_buffer(&outputs, 0, &out_content);
        let size = dtype.size_in_bytes();
        let x = gpu.wrap(&inputs, 3 * size, n, dtype).unwrap();
        let g = gpu.wrap(&inputs, 1003 * size, n, dtype).unwrap();
        let y = gpu.wrap(&outputs, 11 * size, n, dtype).unwrap();
        let d = gpu.wrap(&outputs, 1011 * size, n, dtype).unwrap();
        for act in Activation::ALL {
            gpu.forward_into(*act, &x, &y).unwrap();
            gpu.backward_into(*act, &x, &g, &d).unwrap();
            let (ys, ds) = (gpu.download(&y).unwrap(), gpu.download(&d).unwrap());
            common::assert_within_bounds_in(
                &format!("{}: ", dtype.name()),
                dtype,
                *act,
                &xs,
                &gs,
                &ys,
                &ds,
            );
        }
        assert_eq!(read_bytes(&gpu, &inputs), content, "{}: the inputs changed", dtype.name());
        let after = read_bytes(&gpu, &outputs);
        assert_untouched(dtype.name(), dtype, &out_content, &after, &[(11, n), (1011, n)]);
    }
}

#[test]
fn transfers_casts_and_row_operations_take_views() {
    let gpu = common::gpu();
    for usage in [ALL_USAGES, wgpu::BufferUsages::STORAGE] {
        for dtype in [DType::F32, DType::F16, DType::Bf16] {
            let label = format!("{} {usage:?}", dtype.name());
            let (buffer, content) = app_buffer(&gpu, 400, usage | wgpu::BufferUsages::COPY_DST);
            gpu.queue().write_buffer(&buffer, 0, &content);
            let size = dtype.size_in_bytes();
            let (at, n) = (5, 21);
            let v = gpu.wrap(&buffer, at * size, n, dtype).unwrap();
            let xs: Vec<f32> =
                common::random_values(n, 9).into_iter().map(|x| stored(dtype, x)).collect();
            // Written by the copy kernel: the view starts inside a 4-byte unit (16-bit) or
            // the buffer lacks COPY_SRC / the write goes through the queue (f32).
            let own = gpu.upload(&xs).unwrap();
            let own = gpu.cast(&own, dtype).unwrap();
            let copied = gpu.cast(&own, dtype).unwrap();
            gpu.forward_into(Activation::Identity, &copied, &v).unwrap();
            assert_eq!(gpu.download(&v).unwrap(), xs, "{label}: download of a view");
            if dtype == DType::F32 {
                let ys: Vec<f32> = xs.iter().map(|x| x * 0.5).collect();
                gpu.write(&v, &ys).unwrap();
                assert_eq!(gpu.download(&v).unwrap(), ys, "{label}: write into a view");
                gpu.write(&v, &xs).unwrap();
            }
            assert_eq!(
                gpu.download(&gpu.cast(&v, DType::F32).unwrap()).unwrap(),
                xs,
                "{label}: cast"
            );
            let soft = gpu.download(&gpu.softmax(&v, 7).unwrap()).unwrap();
            assert_eq!(
                soft,
                gpu.download(&gpu.softmax(&own, 7).unwrap()).unwrap(),
                "{label}: softmax"
            );
            let w = gpu.cast(&gpu.upload(&[0.25, 0.5, 0.125]).unwrap(), dtype).unwrap();
            let p = gpu.download(&gpu.prelu(&v, &w, 3).unwrap()).unwrap();
            assert_eq!(
                p,
                gpu.download(&gpu.prelu(&own, &w, 3).unwrap()).unwrap(),
                "{label}: prelu"
            );
            if usage.contains(wgpu::BufferUsages::COPY_SRC) {
                let after = read_bytes(&gpu, &buffer);
                assert_untouched(&label, dtype, &content, &after, &[(at as usize, n)]);
            }
        }
    }
}

#[test]
fn bad_views_are_errors() {
    let gpu = common::gpu();
    let buffer = |size: u64, usage| {
        gpu.device().create_buffer(&wgpu::BufferDescriptor {
            label: None,
            size,
            usage,
            mapped_at_creation: false,
        })
    };
    let storage = buffer(64, ALL_USAGES);
    let no_storage = buffer(64, wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST);
    let wrap_err = |b: &wgpu::Buffer, offset, len, dtype| {
        matches!(gpu.wrap(b, offset, len, dtype), Err(Error::Wrap(_)))
    };
    assert!(wrap_err(&no_storage, 0, 4, DType::F32), "no STORAGE usage");
    assert!(wrap_err(&storage, 2, 4, DType::F32), "offset not a multiple of 4");
    assert!(wrap_err(&storage, 1, 4, DType::F16), "offset not a multiple of 2");
    assert!(wrap_err(&storage, 4, 16, DType::F32), "past the end");
    assert!(wrap_err(&storage, 0, usize::MAX, DType::F16), "overflowing range");
    assert!(
        gpu.wrap(&storage, 60, 1, DType::F32).is_ok()
            && gpu.wrap(&storage, 64, 0, DType::F32).is_ok()
    );
    let odd = buffer(6, ALL_USAGES);
    assert!(wrap_err(&odd, 2, 2, DType::F16), "a 16-bit element wgpu cannot address");
    assert!(gpu.wrap(&odd, 0, 2, DType::F16).is_ok());

    let x = gpu.wrap(&storage, 0, 8, DType::F32).unwrap();
    let overlapping = gpu.wrap(&storage, 28, 8, DType::F32).unwrap();
    let short = gpu.wrap(&storage, 32, 7, DType::F32).unwrap();
    let halves = gpu.wrap(&storage, 32, 8, DType::F16).unwrap();
    assert!(matches!(gpu.forward_into(Activation::Relu, &x, &overlapping), Err(Error::Shape(_))));
    assert!(matches!(
        gpu.forward_into(Activation::Relu, &x, &short),
        Err(Error::LengthMismatch { .. })
    ));
    assert!(matches!(
        gpu.forward_into(Activation::Relu, &x, &halves),
        Err(Error::DTypeMismatch { .. })
    ));
    assert!(matches!(gpu.forward_into(Activation::Relu, &x, &x), Err(Error::Shape(_))));

    // A buffer of another device of the same wgpu instance: an error when used, not a panic.
    let backend = gpu.adapter_info().backend;
    let instance = wgpu::Instance::new(wgpu::InstanceDescriptor {
        backends: backend.into(),
        ..wgpu::InstanceDescriptor::new_without_display_handle()
    });
    let adapter = pollster::block_on(instance.request_adapter(&Default::default())).unwrap();
    let device = || pollster::block_on(adapter.request_device(&Default::default())).unwrap();
    let ((ours, queue), (theirs, _)) = (device(), device());
    let mine = GpuActivations::from_device(ours, queue).unwrap();
    let foreign = theirs.create_buffer(&wgpu::BufferDescriptor {
        label: None,
        size: 64,
        usage: ALL_USAGES,
        mapped_at_creation: false,
    });
    let f = mine.wrap(&foreign, 0, 8, DType::F32).unwrap();
    let y = mine.upload(&[0.0; 8]).unwrap();
    assert!(matches!(mine.forward_into(Activation::Relu, &f, &y), Err(Error::Gpu(_))));
    assert!(mine.download(&y).is_ok(), "the instance works on after the error");
}
