//! `care`: run socialcare on one machine. Wiring only; the commands live in the library.

use clap::{Parser, Subcommand};
use socialcare_local::commands;

#[derive(Parser)]
#[command(
    name = "care",
    version,
    about = "socialcare on one machine: serve, replay, eval, train, token, sla explain"
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
    Eval(socialcare_local::triage::EvalArgs),
    /// Train the triage model from the corpus manifest (refused when worse than the current).
    Train(socialcare_local::triage::TrainArgs),
    /// Print an agent token signed with CARE_JWT_SECRET.
    Token(commands::TokenArgs),
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
async fn main() -> anyhow::Result<()> {
    socialcare_kit::telemetry::init();
    match Cli::parse().command {
        Command::Serve(args) => commands::serve(args).await,
        Command::Replay(args) => commands::replay(args).await,
        Command::Eval(args) => socialcare_local::triage::eval(args),
        Command::Train(args) => socialcare_local::triage::train(args),
        Command::Token(args) => commands::token(args),
        Command::Sla(SlaCommand::Explain(args)) => socialcare_local::explain::explain(args),
    }
}
