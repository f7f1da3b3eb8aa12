//! [`GpuActivations`]: the device, its queue, and every operation on [`GpuBuffer`]s.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use crate::error::Error;
use crate::options::Options;
use crate::runtime::buffer::GpuBuffer;
use crate::runtime::dtype::DType;
use crate::runtime::layout::Layout;
use crate::runtime::pipeline::PipelineCache;
use crate::runtime::pool::{Lease, Pool};
use crate::runtime::uniforms::Ring;

/// Distinguishes the buffers of one `GpuActivations` from another's.
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// Runs activation functions on a GPU (or a software rasterizer such as Mesa's lavapipe).
///
/// Operations are queued and return at once; [`download`](Self::download) and
/// [`sync`](Self::sync) wait for them. Inputs are never modified. `GpuActivations` is
/// `Send + Sync`: share one behind an `Arc`.
///
/// ```
/// use gpu_activations::GpuActivations;
/// let gpu = GpuActivations::new()?;
/// let x = gpu.upload(&[-3.0, -1.0, 0.0, 2.0])?;
/// let y = gpu.leaky_relu(&x, 0.01)?;
/// assert_eq!(gpu.download(&y)?, vec![-0.03, -0.01, 0.0, 2.0]);
/// let dy = gpu.upload(&[1.0; 4])?;
/// let dx = gpu.leaky_relu_backward(&x, &dy, 0.01)?;
/// assert_eq!(gpu.download(&dx)?, vec![0.01, 0.01, 0.01, 1.0]);
/// # Ok::<(), gpu_activations::Error>(())
/// ```
pub struct GpuActivations {
    pub(crate) device: wgpu::Device,
    pub(crate) queue: wgpu::Queue,
    info: wgpu::AdapterInfo,
    pub(crate) limits: wgpu::Limits,
    pub(crate) id: u64,
    verify: bool,
    wait_timeout: Option<Duration>,
    pub(crate) pipelines: PipelineCache,
    /// Parameter slots for single operations.
    pub(crate) ring: Mutex<Ring>,
    /// Dropped buffers, for reuse.
    pub(crate) pool: Arc<Pool>,
    /// Reused staging buffers for uploads and downloads.
    pub(crate) staging_up: Mutex<Option<wgpu::Buffer>>,
    pub(crate) staging_down: Mutex<Option<wgpu::Buffer>>,
    /// The uniform copy of a bias that `bias_forward`'s grid paths read, made on first use and
    /// rewritten by each call (queue order keeps a call's copy after the last one's reads).
    pub(crate) bias_uniform: OnceLock<wgpu::Buffer>,
    /// The first device error that no error scope caught, reported by the next waiting call.
    uncaptured: Arc<Mutex<Option<String>>>,
    /// Set by wgpu's device-lost callback: why the device was lost.
    lost: Arc<OnceLock<String>>,
    /// On the GL backend, one lock for all of this instance's device work (see
    /// [`serialize`](Self::serialize)); `None` elsewhere.
    serial: Option<parking_lot::ReentrantMutex<()>>,
}

impl std::fmt::Debug for GpuActivations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GpuActivations")
            .field("adapter", &self.info.name)
            .field("backend", &self.info.backend)
            .field("verify", &self.verify)
            .finish()
    }
}

impl GpuActivations {
    /// Opens the best adapter, honouring `WGPU_BACKEND`, `WGPU_ADAPTER_NAME` and
    /// `WGPU_POWER_PREF` (see [`Options::from_env`]).
    pub fn new() -> Result<Self, Error> {
        Self::with_options(Options::from_env())
    }

    /// Opens an adapter chosen by `opts`.
    pub fn with_options(opts: Options) -> Result<Self, Error> {
        pollster::block_on(Self::open(opts))
    }

    async fn open(opts: Options) -> Result<Self, Error> {
        let instance = wgpu::Instance::new(wgpu::InstanceDescriptor {
            backends: opts.backends,
            ..wgpu::InstanceDescriptor::new_without_display_handle()
        });
        let adapter = match &opts.adapter_name {
            Some(wanted) => {
                let adapters = instance.enumerate_adapters(opts.backends).await;
                let needle = wanted.to_lowercase();
                let available: Vec<String> = adapters.iter().map(|a| a.get_info().name).collect();
                adapters
                    .into_iter()
                    .find(|a| a.get_info().name.to_lowercase().contains(&needle))
                    .ok_or_else(|| Error::AdapterNotFound { wanted: wanted.clone(), available })?
            }
            None => instance
                .request_adapter(&wgpu::RequestAdapterOptions {
                    power_preference: opts.power_preference,
                    ..Default::default()
                })
                .await
                .map_err(|_| Error::NoAdapter { backends: format!("{:?}", opts.backends) })?,
        };
        let (device, queue) = adapter
            .request_device(&wgpu::DeviceDescriptor {
                label: Some("gpu-activations"),
                required_limits: adapter.limits(),
                // Timestamps, where the adapter has them, let benchmarks time kernels on the GPU.
                required_features: adapter.features()
                    & (wgpu::Features::TIMESTAMP_QUERY
                        | wgpu::Features::TIMESTAMP_QUERY_INSIDE_ENCODERS),
                ..Default::default()
            })
            .await?;
        let mut gpu = Self::join(device, queue)?;
        gpu.info = adapter.get_info();
        gpu.verify = opts.verify;
        gpu.wait_timeout = opts.wait_timeout;
        let searched = if opts.backends == wgpu::Backends::all() {
            "all".to_string()
        } else {
            opts.backends
                .iter_names()
                .map(|(name, _)| name.to_lowercase())
                .collect::<Vec<_>>()
                .join(",")
        };
        gpu.log_chosen(&format!("opened (backends searched: {searched})"));
        Ok(gpu)
    }

    /// Joins an application's own device and queue. Verification follows the build type (on in
    /// debug builds); use [`set_verify`](Self::set_verify) to change it.
    pub fn from_device(device: wgpu::Device, queue: wgpu::Queue) -> Result<Self, Error> {
        let gpu = Self::join(device, queue)?;
        gpu.log_chosen("joined the application's device");
        Ok(gpu)
    }

    /// Logs (at `info`) the adapter this instance runs on and the device limits it works within.
    fn log_chosen(&self, how: &str) {
        let (info, l) = (&self.info, &self.limits);
        log::info!(
            "{how}: adapter {:?}, backend {}, device type {:?}, driver {:?} / {:?}, verify {}",
            info.name,
            info.backend,
            info.device_type,
            info.driver,
            info.driver_info,
            self.verify,
        );
        log::info!(
            "limits: max_storage_buffer_binding_size {}, max_buffer_size {}, \
             max_compute_workgroups_per_dimension {}, min_storage_buffer_offset_alignment {}, \
             max_compute_invocations_per_workgroup {}",
            l.max_storage_buffer_binding_size,
            l.max_buffer_size,
            l.max_compute_workgroups_per_dimension,
            l.min_storage_buffer_offset_alignment,
            l.max_compute_invocations_per_workgroup,
        );
    }

    /// The instance around `device` and `queue`, with the build type's defaults.
    fn join(device: wgpu::Device, queue: wgpu::Queue) -> Result<Self, Error> {
        let uncaptured = Arc::new(Mutex::new(None::<String>));
        let sink = uncaptured.clone();
        device.on_uncaptured_error(Arc::new(move |e: wgpu::Error| {
            log::error!("uncaptured GPU error: {e}");
            let mut slot = sink.lock().unwrap_or_else(|p| p.into_inner());
            slot.get_or_insert_with(|| e.to_string());
        }));
        let lost = Arc::new(OnceLock::new());
        let lost_sink = lost.clone();
        device.set_device_lost_callback(move |reason, message| {
            log::error!("GPU device lost ({reason:?}): {message}");
            let _ = lost_sink.set(format!("{reason:?}: {message}"));
        });
        // wgpu's GL backend shares one context between threads: see `serialize`.
        let gl = device.adapter_info().backend == wgpu::Backend::Gl;
        Ok(GpuActivations {
            serial: gl.then(|| parking_lot::ReentrantMutex::new(())),
            info: device.adapter_info(),
            limits: device.limits(),
            ring: Ring::new(&device),
            device,
            queue,
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            verify: cfg!(debug_assertions),
            pipelines: PipelineCache::default(),
            pool: Arc::new(if gl { Pool::deferring() } else { Pool::default() }),
            staging_up: Mutex::new(None),
            staging_down: Mutex::new(None),
            bias_uniform: OnceLock::new(),
            uncaptured,
            lost,
            wait_timeout: None,
        })
    }

    /// The adapter this instance runs on (name, backend, device type, driver).
    pub fn adapter_info(&self) -> &wgpu::AdapterInfo {
        &self.info
    }

    /// The wgpu device, for applications that record their own work beside this crate's.
    pub fn device(&self) -> &wgpu::Device {
        &self.device
    }

    /// The wgpu queue operations are submitted to.
    pub fn queue(&self) -> &wgpu::Queue {
        &self.queue
    }

    /// Whether every result is checked against the CPU reference.
    pub fn verify(&self) -> bool {
        self.verify
    }

    /// Turns verification against the CPU reference on or off.
    pub fn set_verify(&mut self, on: bool) {
        self.verify = on;
    }

    /// The longest a call waits for the device (see [`Options::wait_timeout`]).
    pub fn wait_timeout(&self) -> Option<Duration> {
        self.wait_timeout
    }

    /// Sets the longest a call waits for the device; `None` waits as long as the work takes.
    pub fn set_wait_timeout(&mut self, timeout: Option<Duration>) {
        self.wait_timeout = timeout;
    }

    /// Holds this instance's lock for device work on the GL backend (a no-op elsewhere).
    ///
    /// wgpu's GL backend has one context shared by every thread, which it locks with a 6-second
    /// limit and then panics ("Could not lock adapter context"). Threads queueing for it behind
    /// pipeline compilations on a software driver can wait that long, so this instance lets one
    /// thread at a time into wgpu, waiting in its own lock, which has no limit. Reentrant: the
    /// choke points below nest.
    pub(crate) fn serialize(&self) -> Option<parking_lot::ReentrantMutexGuard<'_, ()>> {
        self.serial.as_ref().map(|m| m.lock())
    }

    /// [`Error::DeviceLost`] once wgpu has reported the device lost, so that every call fails
    /// at once instead of queueing work that never runs.
    pub(crate) fn alive(&self) -> Result<(), Error> {
        match self.lost.get() {
            Some(reason) => Err(Error::DeviceLost { reason: reason.clone() }),
            None => Ok(()),
        }
    }

    /// Runs `record` (which records and submits one operation) inside error scopes, so that a
    /// validation or memory error it causes is returned by this call, not by a later one.
    pub(crate) fn scoped<T>(&self, record: impl FnOnce() -> Result<T, Error>) -> Result<T, Error> {
        let _serial = self.serialize();
        self.pool.bury();
        self.alive()?;
        let memory = self.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let validation = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let result = record();
        let invalid = pollster::block_on(validation.pop());
        let oom = pollster::block_on(memory.pop());
        // A non-blocking poll runs wgpu's callbacks: a loss is seen by this call.
        let _ = self.device.poll(wgpu::PollType::Poll);
        self.alive()?;
        if let Some(e) = invalid {
            return Err(Error::Gpu(e.to_string()));
        }
        if let Some(e) = oom {
            return Err(Error::Gpu(e.to_string()));
        }
        result
    }

    pub(crate) fn check_same_shape(
        &self,
        x: &GpuBuffer,
        other: &GpuBuffer,
        what: &'static str,
    ) -> Result<(), Error> {
        self.check_owner(x, "x")?;
        self.check_owner(other, what)?;
        if other.len != x.len {
            return Err(Error::LengthMismatch { what, got: other.len, expected: x.len });
        }
        Ok(())
    }

    pub(crate) fn check_owner(&self, buf: &GpuBuffer, what: &'static str) -> Result<(), Error> {
        self.alive()?;
        if buf.owner == self.id { Ok(()) } else { Err(Error::WrongDevice { what }) }
    }

    /// A tensor of `len` elements of `dtype` for an operation to write: a pooled buffer of that
    /// size if one is free, else a new one.
    pub(crate) fn create_output(&self, dtype: DType, len: usize) -> Result<GpuBuffer, Error> {
        let _serial = self.serialize();
        self.alive()?;
        let bytes = Layout::of(dtype).padded_bytes(len).unwrap_or(u64::MAX);
        let buffer = match self.pool.take(bytes) {
            Some(b) => b,
            None => self.create_storage(dtype, len)?,
        };
        Ok(self.leased(buffer, dtype, len))
    }

    /// A tensor of `len` elements of `dtype` in `buffer`, which goes back to the pool when the
    /// tensor (and every view sharing its lease) is dropped.
    pub(crate) fn leased(&self, buffer: wgpu::Buffer, dtype: DType, len: usize) -> GpuBuffer {
        let lease = Arc::new(Lease::new(buffer.clone(), self.pool.clone()));
        GpuBuffer {
            buffer,
            offset: 0,
            len,
            dtype,
            owner: self.id,
            wrapped: false,
            lease: Some(lease),
        }
    }

    /// Frees the device buffers kept for reuse now.
    ///
    /// Without it the pool trims itself: a dropped tensor's buffer (an operation's result or an
    /// upload) is kept for the next allocation of its size; one that no allocation has taken
    /// back within 4,096 allocations and returns is freed, and at most 1 GiB is kept (the
    /// longest-idle buffers go first). A loop that repeats the same work therefore allocates
    /// nothing after its first round and holds flat memory.
    pub fn release_pooled(&self) {
        self.pool.clear();
    }

    /// Bytes of device memory held in the pool for reuse (see [`release_pooled`](Self::release_pooled)).
    pub fn pooled_bytes(&self) -> u64 {
        self.pool.held_bytes()
    }

    /// A storage buffer for `len` elements of `dtype`, padded to whole words, with size and
    /// memory errors turned into [`Error`]s.
    pub(crate) fn create_storage(&self, dtype: DType, len: usize) -> Result<wgpu::Buffer, Error> {
        let _serial = self.serialize();
        self.alive()?;
        let layout = Layout::of(dtype);
        let bytes = layout.padded_bytes(len).filter(|&b| b <= self.limits.max_buffer_size).ok_or(
            Error::TooLarge {
                elements: len,
                bytes: layout.bytes(len),
                limit: self.limits.max_buffer_size,
            },
        )?;
        let scope = self.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let buffer = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("gpu-activations tensor"),
            size: bytes,
            usage: wgpu::BufferUsages::STORAGE
                | wgpu::BufferUsages::COPY_SRC
                | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        match pollster::block_on(scope.pop()) {
            Some(_) => Err(Error::OutOfMemory { bytes }),
            None => Ok(buffer),
        }
    }

    /// Blocks until submission `idx` (or everything) is done, then reports any device error.
    pub(crate) fn wait(&self, idx: Option<wgpu::SubmissionIndex>) -> Result<(), Error> {
        let _serial = self.serialize();
        self.alive()?;
        let timeout = self.wait_timeout;
        let polled = self.device.poll(wgpu::PollType::Wait { submission_index: idx, timeout });
        self.alive()?;
        match polled {
            Ok(_) => self.take_device_error(),
            Err(wgpu::PollError::Timeout) => {
                Err(Error::Timeout { timeout: timeout.unwrap_or_default() })
            }
            Err(e) => Err(Error::Gpu(e.to_string())),
        }
    }

    pub(crate) fn take_device_error(&self) -> Result<(), Error> {
        match self.uncaptured.lock().unwrap_or_else(|p| p.into_inner()).take() {
            Some(msg) => Err(Error::Gpu(msg)),
            None => Ok(()),
        }
    }
}

// `GpuActivations` and `GpuBuffer` are shared across threads.
const _: fn() = || {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<GpuActivations>();
    send_sync::<GpuBuffer>();
};
