//! How [`GpuActivations::with_options`](crate::GpuActivations::with_options) picks its adapter.

/// Adapter selection and checking, for [`GpuActivations::with_options`](crate::GpuActivations::with_options).
///
/// ```
/// let opts = gpu_activations::Options { verify: true, ..Default::default() };
/// assert!(opts.adapter_name.is_none());
/// ```
#[derive(Clone, Debug)]
pub struct Options {
    /// Which wgpu backends to search (default: all).
    pub backends: wgpu::Backends,
    /// Pick the first adapter whose name contains this (case-insensitive); `None` for the best one.
    pub adapter_name: Option<String>,
    /// Preference between integrated and discrete GPUs (default: high performance).
    pub power_preference: wgpu::PowerPreference,
    /// Read back every result and compare it with the CPU reference; a disagreement beyond the
    /// activation's [`Bounds`](crate::Bounds) is [`Error::Mismatch`](crate::Error::Mismatch).
    /// Default: on in debug builds, off in release builds (like Rust's overflow checks).
    pub verify: bool,
    /// The longest any call waits for the device (a download, [`sync`](crate::GpuActivations::sync),
    /// verification); past it the call returns [`Error::Timeout`](crate::Error::Timeout) instead
    /// of waiting on. Default: `None`, wait as long as the work takes.
    pub wait_timeout: Option<std::time::Duration>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            backends: wgpu::Backends::all(),
            adapter_name: None,
            power_preference: wgpu::PowerPreference::HighPerformance,
            verify: cfg!(debug_assertions),
            wait_timeout: None,
        }
    }
}

impl Options {
    /// The defaults, overridden by `WGPU_BACKEND` (comma list: vulkan, metal, dx12, gl),
    /// `WGPU_ADAPTER_NAME` and `WGPU_POWER_PREF` (low, high, none) where they are set.
    pub fn from_env() -> Self {
        let mut opts = Options::default();
        if let Some(b) = wgpu::Backends::from_env() {
            opts.backends = b;
        }
        if let Ok(name) = std::env::var("WGPU_ADAPTER_NAME") {
            if !name.is_empty() {
                opts.adapter_name = Some(name);
            }
        }
        if let Some(p) = wgpu::PowerPreference::from_env() {
            opts.power_preference = p;
        }
        opts
    }
}
