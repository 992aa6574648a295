//! `care`: run socialcare on one machine. Wiring only; the commands live in the library.

use clap::{Parser, Subcommand};
use socialcare_local::commands;

#[derive(Parser)]
#[command(
    name = "care",
    version,
    about = "socialcare on one machine: serve, replay, eval, token, keygen, sla explain"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the whole stack in one process (webhooks and /v1 on one port).
    Serve(commands::ServeArgs),
    /// Sign and post webhook payloads (a file or a folder) to a running stack.
    Replay(commands::ReplayArgs),
    /// Evaluate the classifier on a labelled set: per-language accuracy, precision/recall,
    /// confusion matrices.
    Eval(commands::EvalArgs),
    /// Print an agent token signed with CARE_JWT_SECRET (`--supervisor` for a supervisor's).
    Token(commands::TokenArgs),
    /// Print fresh local secrets (`export NAME=value`) for CARE_JWT_SECRET and every secret
    /// the configuration names.
    Keygen(commands::KeygenArgs),
    /// SLA tools.
    #[command(subcommand)]
    Sla(SlaCommand),
}

#[derive(Subcommand)]
enum SlaCommand {
    /// Print each deadline of a policy for a start time (and pauses), and why.
    Explain(socialcare_local::explain::ExplainArgs),
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    socialcare_kit::telemetry::init();
    match run(Cli::parse().command).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // The message first, in words; the backtrace (RUST_BACKTRACE=1) after it.
            eprintln!("care: {e:#}");
            if std::env::var_os("RUST_BACKTRACE").is_some_and(|v| v != "0") {
                eprintln!("\n{}", e.backtrace());
            }
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Serve(args) => commands::serve(args).await,
        Command::Replay(args) => commands::replay(args).await,
        Command::Eval(args) => commands::eval(args),
        Command::Token(args) => commands::token(args),
        Command::Keygen(args) => commands::keygen(args),
        Command::Sla(SlaCommand::Explain(args)) => socialcare_local::explain::explain(args),
    }
}
