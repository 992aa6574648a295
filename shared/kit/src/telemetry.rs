//! Tracing setup: JSON lines on Lambda (CloudWatch parses them), readable lines locally.
//! `RUST_LOG` filters; the default is `info`, which never carries message text or secrets.

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber once; later calls are no-ops (tests call it freely).
pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let on_lambda = std::env::var_os("AWS_LAMBDA_FUNCTION_NAME").is_some();
    let result = if on_lambda {
        tracing_subscriber::fmt()
            .json()
            .with_env_filter(filter)
            .with_current_span(true)
            .without_time() // CloudWatch stamps each line
            .try_init()
    } else {
        // Logs go to stderr (stdout is for a command's answer), coloured only on a terminal.
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_target(false)
            .with_writer(std::io::stderr)
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .compact()
            .try_init()
    };
    let _ = result;
}
