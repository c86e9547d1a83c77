//! Logs as JSON lines for CloudWatch, level from `RUST_LOG` (default `info`). Call once in `main`.

pub fn init() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // CloudWatch adds its own timestamp; the request id comes from the runtime's span.
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(false)
        .without_time()
        .with_target(false)
        .try_init();
}
