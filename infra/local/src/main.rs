//! `care`: run socialcare on one machine. Wiring only; the commands live in the library.

use clap::{Parser, Subcommand};
use socialcare_local::commands;

#[derive(Parser)]
#[command(
    name = "care",
    version,
    about = "socialcare on one machine: serve, replay, load, eval, train, token, keygen, ref, labels, erase, sla explain"
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
    /// Offer a seeded stream of signed posts open-loop at a fixed rate; print answer latency
    /// percentiles, accepted/refused counts and drain time.
    Load(socialcare_local::load::LoadArgs),
    /// Evaluate the classifier on a labelled set: per-language accuracy, precision/recall,
    /// confusion matrices.
    Eval(socialcare_local::triage::EvalArgs),
    /// Train the triage model from the corpus manifest (refused when worse than the current).
    Train(socialcare_local::triage::TrainArgs),
    /// Print an agent token signed with CARE_JWT_SECRET (`--supervisor` for a supervisor's).
    Token(commands::TokenArgs),
    /// Print a signed Messenger referral ref naming the brand's customer (CARE_REFERRAL_KEY).
    Ref(commands::RefArgs),
    /// Print fresh local secrets (`export NAME=value`) for CARE_JWT_SECRET and every secret
    /// the configuration names.
    Keygen(commands::KeygenArgs),
    /// SLA tools.
    #[command(subcommand)]
    Sla(SlaCommand),
    /// People's labels of posts (corrections for the classifier).
    #[command(subcommand)]
    Labels(LabelsCommand),
    /// Trend detection tools.
    #[command(subcommand)]
    Trends(TrendsCommand),
    /// Erase a customer's personal data (a data-subject request); prints the erasure record.
    Erase(commands::EraseArgs),
}

#[derive(Subcommand)]
enum LabelsCommand {
    /// Write a running deployment's labels (GET /v1/labels) to a JSON Lines file.
    Export(commands::LabelsExportArgs),
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
        Command::Load(args) => {
            socialcare_local::load::run(args)
                .await?
                .lines()
                .iter()
                .for_each(|l| println!("{l}"));
            Ok(())
        }
        Command::Eval(args) => socialcare_local::triage::eval(args),
        Command::Train(args) => socialcare_local::triage::train(args),
        Command::Token(args) => commands::token(args),
        Command::Ref(args) => commands::referral(args),
        Command::Keygen(args) => commands::keygen(args),
        Command::Sla(SlaCommand::Explain(args)) => socialcare_local::explain::explain(args),
        Command::Labels(LabelsCommand::Export(args)) => {
            let to = args.to.display().to_string();
            let lines = commands::labels_export(args).await?;
            println!("{lines} corrections written to {to}");
            Ok(())
        }
        Command::Trends(TrendsCommand::Eval(args)) => socialcare_local::trends_eval::run(args),
        Command::Erase(args) => {
            println!("{}", serde_json::to_string_pretty(&commands::erase(args).await?)?);
            Ok(())
        }
    }
}
