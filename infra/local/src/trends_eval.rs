//! `care trends eval`: the trend detector on generated streams (HP's volume over weeks, the
//! firehose's rate for millions of posts), with bursts and decoys injected. Prints, per burst,
//! whether it alerted and how soon; false alerts per day on the steady stream; the detector's
//! throughput on one core; its state's size at the end.

use clap::Args;
use socialcare_trends::eval::{self, Report, scenarios};
use socialcare_trends::sim::{FIREHOSE_PER_SEC, HP_PER_SEC};
use std::time::Instant;

#[derive(Args, Debug, Clone)]
pub struct TrendsEvalArgs {
    /// The generator's seed.
    #[arg(long, default_value_t = 19)]
    pub seed: u64,
    /// Days of HP's steady stream for the false-alert rate.
    #[arg(long, default_value_t = 28)]
    pub steady_days: i64,
    /// Posts of the firehose run (throughput and state size).
    #[arg(long, default_value_t = 10_000_000)]
    pub firehose_posts: u64,
    /// Skip the firehose run (a quick look).
    #[arg(long)]
    pub no_firehose: bool,
}

fn print_bursts(r: &Report) {
    for b in &r.bursts {
        let verdict = match (b.kind.is_decoy(), b.latency) {
            (false, Some(l)) => format!(
                "alerted after {}m{:02}s ({})",
                l / 60,
                l % 60,
                b.alert.as_deref().unwrap_or("")
            ),
            (false, None) => "NOT alerted".to_string(),
            (true, None) => "not alerted (right)".to_string(),
            (true, Some(l)) => format!(
                "ALERTED after {}m (a decoy: wrong) ({})",
                l / 60,
                b.alert.as_deref().unwrap_or("")
            ),
        };
        println!(
            "  {:<36} {} {:>7} posts  {verdict}",
            b.kind.name(),
            b.start.strftime("%a %d %H:%M"),
            b.posts
        );
    }
    println!(
        "  alerts {} · false alerts {} ({:.2}/day) · {} posts · state {} KB",
        r.alerts.len(),
        r.false_alerts,
        r.false_alerts_per_day(),
        r.posts,
        r.state_bytes / 1024
    );
}

pub fn run(args: TrendsEvalArgs) -> anyhow::Result<()> {
    let clock = Instant::now();
    let mut stopwatch = move || clock.elapsed().as_secs_f64();
    println!(
        "== HP's volume (25,000 posts/month), {} days steady, seed {}",
        args.steady_days, args.seed
    );
    let steady = eval::run(
        &scenarios::hp_steady(args.seed, args.steady_days),
        eval::config_for(HP_PER_SEC),
        &mut stopwatch,
    )
    .map_err(anyhow::Error::msg)?;
    print_bursts(&steady);
    for a in &steady.alerts {
        println!(
            "    false: {} {} ({} vs {:.1} expected)",
            a.fired_at, a.key, a.count, a.expected
        );
    }
    println!("== HP's volume, 21 days with bursts and decoys");
    let bursts = eval::run(
        &scenarios::hp_bursts(args.seed),
        eval::config_for(HP_PER_SEC),
        &mut stopwatch,
    )
    .map_err(anyhow::Error::msg)?;
    print_bursts(&bursts);
    if !args.no_firehose {
        println!(
            "== the firehose (5,700 posts/s), {} posts, one core",
            args.firehose_posts
        );
        let fire = eval::run(
            &scenarios::firehose(args.seed, args.firehose_posts),
            eval::config_for(FIREHOSE_PER_SEC),
            &mut stopwatch,
        )
        .map_err(anyhow::Error::msg)?;
        print_bursts(&fire);
        println!(
            "  throughput {:.0} posts/s on one core ({:.1} s in the detector; {:.1}× the firehose)",
            fire.posts_per_sec(),
            fire.detector_secs,
            fire.posts_per_sec() / FIREHOSE_PER_SEC
        );
    }
    Ok(())
}
