//! `care`: run socialcare on one machine. Wiring only; the commands live in the library.

use clap::{Parser, Subcommand};
use socialcare_local::commands;

#[derive(Parser)]
#[command(
    name = "care",
    version,
    about = "socialcare on one machine: serve, replay, eval, token, sla explain"
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
    /// Print an agent token signed with CARE_JWT_SECRET.
    Token(commands::TokenArgs),
    /// SLA tools.
    #[command(subcommand)]
    Sla(SlaCommand),
    /// Trend detection tools.
    #[command(subcommand)]
    Trends(TrendsCommand),
}

#[derive(Subcommand)]
enum TrendsCommand {
    /// Generated streams with injected bursts and decoys: detection, latency, false alerts per
    /// day, throughput on one core, state size.
    Eval(socialcare_local::trends_eval::TrendsEvalArgs),
}

#[derive(Subcommand)]
enum SlaCommand {
    /// Print each deadline of a policy for a start time (and pauses), and why.
    Explain(socialcare_local::explain::ExplainArgs),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    socialcare_kit::telemetry::init();
    match Cli::parse().command {
        Command::Serve(args) => commands::serve(args).await,
        Command::Replay(args) => commands::replay(args).await,
        Command::Eval(args) => commands::eval(args),
        Command::Token(args) => commands::token(args),
        Command::Sla(SlaCommand::Explain(args)) => socialcare_local::explain::explain(args),
        Command::Trends(TrendsCommand::Eval(args)) => socialcare_local::trends_eval::run(args),
    }
}
