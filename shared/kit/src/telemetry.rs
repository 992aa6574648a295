//! Tracing setup: JSON lines on Lambda (CloudWatch parses them), readable lines locally.
//! `RUST_LOG` filters; the default is `info`, which never carries message text or secrets.

pub use tracing_subscriber::EnvFilter;

/// Installs the global subscriber once; later calls are no-ops (tests call it freely).
pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let on_lambda = std::env::var_os("AWS_LAMBDA_FUNCTION_NAME").is_some();
    if on_lambda {
        let _ = init_json(filter, std::io::stdout);
    } else {
        // Logs go to stderr (stdout is for a command's answer), coloured only on a terminal.
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_target(false)
            .with_writer(std::io::stderr)
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .compact()
            .try_init();
    }
}

/// The Lambda format: one JSON object per line to `writer`, with the current span's fields.
/// Public so a test can count the bytes a post costs in CloudWatch Logs ($0.50 per GB ingested).
pub fn init_json<W>(filter: EnvFilter, writer: W) -> Result<(), tracing_subscriber::util::TryInitError>
where
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    use tracing_subscriber::util::SubscriberInitExt;
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_current_span(true)
        // The current span names the message; the list would repeat it on every line.
        .with_span_list(false)
        .without_time() // CloudWatch stamps each line
        .finish()
        .try_init()
}
