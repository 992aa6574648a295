//! Case reports for supervisors: one [`ReportRow`] per case (what the case's document says about
//! volume, response and resolution times, SLA attainment, reopening, agents and the customer's
//! sentiment through the case), and the figures per group ([`summarize`]) and of the day
//! ([`live`]). Pure.
//!
//! One definition with the SLA metrics ([`crate::metrics`]): a target's time is its clock's, from
//! the clock's start to the answer that met it, in wall time and in business time on the clock's
//! policy calendar outside its pauses ([`crate::metrics::business_ms`]); a clock is missed when
//! [`crate::metrics::is_late`], met when met in time, running otherwise; percentiles are
//! nearest-rank ([`crate::metrics::percentile`]); a withdrawn case keeps no target.
//!
//! Sentiment classes: the classifier's `negative` is a **detractor**, `positive` a **promoter**,
//! `neutral` neither (passive). The change through a case compares the customer's first and
//! latest classified post on it ([`crate::case::CaseFacts`]).

use crate::case::{Case, CaseEventKind, CaseStatus};
use crate::channel::{Channel, Language, Priority};
use crate::ids::{AgentId, CaseId};
use crate::metrics::{business_ms, is_late, percentile, percentile_unsorted};
use crate::post::{Intent, Sentiment};
use crate::sla::{ClockState, SlaClock, SlaPolicy, Target};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashSet};

/// The longest range one report reads (a year and a day): longer history is for Athena.
pub const MAX_RANGE_DAYS: i64 = 366;

/// How report rows are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportBy {
    Channel,
    Language,
    Intent,
    Product,
    Queue,
    Agent,
    Priority,
}

impl std::str::FromStr for ReportBy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s {
            "channel" => ReportBy::Channel,
            "language" => ReportBy::Language,
            "intent" => ReportBy::Intent,
            "product" => ReportBy::Product,
            "queue" => ReportBy::Queue,
            "agent" => ReportBy::Agent,
            "priority" => ReportBy::Priority,
            other => {
                return Err(format!(
                    "`{other}` is not one of channel, language, intent, product, queue, agent, priority"
                ));
            }
        })
    }
}

/// Time from a clock's start to the answer that met it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Elapsed {
    pub wall_ms: i64,
    /// On the policy's calendar, outside the clock's pauses.
    pub business_ms: i64,
}

/// How the customer's sentiment moved from their first to their latest post on the case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SentimentChange {
    DetractorToPromoter,
    PromoterToDetractor,
    /// The same class at the end as at the start (a single post counts as unchanged).
    Unchanged,
    /// Any other move (to or from neutral).
    Other,
    /// No classified customer post on the case.
    Unknown,
}

impl SentimentChange {
    pub fn of(first: Option<Sentiment>, last: Option<Sentiment>) -> Self {
        match (first, last) {
            (Some(Sentiment::Negative), Some(Sentiment::Positive)) => SentimentChange::DetractorToPromoter,
            (Some(Sentiment::Positive), Some(Sentiment::Negative)) => SentimentChange::PromoterToDetractor,
            (Some(a), Some(b)) if a == b => SentimentChange::Unchanged,
            (Some(_), Some(_)) => SentimentChange::Other,
            _ => SentimentChange::Unknown,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            SentimentChange::DetractorToPromoter => "detractor_to_promoter",
            SentimentChange::PromoterToDetractor => "promoter_to_detractor",
            SentimentChange::Unchanged => "unchanged",
            SentimentChange::Other => "other",
            SentimentChange::Unknown => "unknown",
        }
    }
}

/// One case as reports see it, derived from its document whenever it is saved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportRow {
    pub case_id: CaseId,
    /// The case version this row was derived from (a later one replaces it, never an earlier).
    pub version: u64,
    pub created_at: Timestamp,
    pub status: CaseStatus,
    pub channel: Channel,
    pub language: Option<Language>,
    /// The intent of the customer's opening post.
    pub intent: Option<Intent>,
    /// The first configured product the customer's posts name.
    pub product: Option<String>,
    pub queue: String,
    /// The agent who had the case last (its assignee, or the last one before a reopen).
    pub agent: Option<AgentId>,
    pub priority: Priority,
    /// Every agent the case was ever assigned to, sorted.
    pub agents: Vec<AgentId>,
    pub first_response: Option<Elapsed>,
    /// One per next-response cycle that was met.
    pub next_responses: Vec<Elapsed>,
    pub resolution: Option<Elapsed>,
    /// SLA clocks (every target and cycle) met in time, missed, still running.
    pub sla_met: u32,
    pub sla_missed: u32,
    pub sla_running: u32,
    /// Whether an active clock of this active case has breached (the live board's "breached").
    pub breached_now: bool,
    /// Whether the case was ever resolved, and how often it opened again after a resolve.
    pub resolved: bool,
    pub reopens: u32,
    pub withdrawn: bool,
    pub first_sentiment: Option<Sentiment>,
    pub last_sentiment: Option<Sentiment>,
    pub sentiment_change: SentimentChange,
}

/// The time of a met clock, on its policy's calendar.
fn elapsed_of(clock: &SlaClock, policy: &SlaPolicy) -> Option<Elapsed> {
    let met = clock.met_at?;
    Some(Elapsed {
        wall_ms: met.duration_since(clock.started_at).as_millis() as i64,
        business_ms: business_ms(clock, met, policy),
    })
}

/// Wall and business time between two instants on the case's policy calendar (for a case whose
/// policy keeps no clock for the target: the case's own timestamps, no pauses).
fn elapsed_between(case: &Case, from: Timestamp, to: Timestamp, policy: &SlaPolicy) -> Elapsed {
    let wall_ms = to.duration_since(from).as_millis() as i64;
    let business_ms = policy
        .policy_for(case)
        .map_or(wall_ms, |p| p.calendar.business_between(from, to).as_millis() as i64);
    Elapsed { wall_ms, business_ms }
}

impl AsRef<ReportRow> for ReportRow {
    fn as_ref(&self) -> &ReportRow {
        self
    }
}

impl ReportRow {
    /// The row of `case` under `policy` (the same policy the SLA engine keeps its clocks with).
    pub fn of(case: &Case, policy: &SlaPolicy) -> ReportRow {
        let withdrawn = case.is_withdrawn();
        let clock = |target: Target| case.sla.iter().find(|c| c.target == target && c.cycle == 0);
        let first_response = match clock(Target::FirstResponse) {
            Some(c) => elapsed_of(c, policy),
            None => case
                .first_response_at
                .map(|at| elapsed_between(case, case.created_at, at, policy)),
        };
        let mut next: Vec<&SlaClock> = case.sla.iter().filter(|c| c.target == Target::NextResponse).collect();
        next.sort_by_key(|c| c.cycle);
        let next_responses = next.iter().filter_map(|c| elapsed_of(c, policy)).collect();
        let resolution = match clock(Target::Resolution) {
            Some(c) if case.resolved_at.is_some() => elapsed_of(c, policy),
            Some(_) => None,
            None => case
                .resolved_at
                .map(|at| elapsed_between(case, case.created_at, at, policy)),
        };
        let (mut met, mut missed, mut running) = (0u32, 0u32, 0u32);
        if !withdrawn {
            for c in &case.sla {
                match (c.state(), is_late(c)) {
                    (_, true) => missed += 1,
                    (ClockState::Met, false) => met += 1,
                    _ => running += 1,
                }
            }
        }
        let breached_now =
            case.status.is_active() && case.sla.iter().any(|c| c.met_at.is_none() && c.breached_at.is_some());
        let mut agents = BTreeSet::new();
        let mut last_agent = None;
        let mut resolved = false;
        let mut reopens = 0u32;
        for e in &case.history {
            match &e.kind {
                CaseEventKind::Assigned { agent_id } => {
                    agents.insert(agent_id.clone());
                    last_agent = Some(agent_id.clone());
                }
                CaseEventKind::StatusChanged {
                    to: CaseStatus::Resolved,
                    ..
                } => resolved = true,
                CaseEventKind::StatusChanged {
                    from: CaseStatus::Resolved,
                    to,
                } if to.is_active() => reopens += 1,
                _ => {}
            }
        }
        let facts = &case.facts;
        ReportRow {
            case_id: case.id.clone(),
            version: case.version,
            created_at: case.created_at,
            status: case.status,
            channel: case.channel,
            language: case.language.clone(),
            intent: facts.intent,
            product: case
                .routing
                .requirements
                .as_ref()
                .and_then(|r| r.products.first().cloned()),
            queue: case.queue.clone(),
            agent: case.assignee.clone().or(last_agent),
            priority: case.priority,
            agents: agents.into_iter().collect(),
            first_response,
            next_responses,
            resolution,
            sla_met: met,
            sla_missed: missed,
            sla_running: running,
            breached_now,
            resolved: resolved || case.resolved_at.is_some(),
            reopens,
            withdrawn,
            first_sentiment: facts.first_sentiment,
            last_sentiment: facts.last_sentiment,
            sentiment_change: SentimentChange::of(facts.first_sentiment, facts.last_sentiment),
        }
    }

    /// The UTC day the case was created on (`2026-12-04`): the key rows are stored under.
    pub fn day(&self) -> String {
        day_of(self.created_at)
    }

    /// Whether the case still waits for an agent or an answer (new, open or pending).
    pub fn is_open(&self) -> bool {
        self.status.is_active()
    }

    /// The row's group under `by` (`(none)` when the case has no such value).
    pub fn group(&self, by: ReportBy) -> &str {
        const NONE: &str = "(none)";
        match by {
            ReportBy::Channel => self.channel.as_str(),
            ReportBy::Language => self.language.as_ref().map_or(NONE, Language::as_str),
            ReportBy::Intent => self.intent.map_or(NONE, intent_str),
            ReportBy::Product => self.product.as_deref().unwrap_or(NONE),
            ReportBy::Queue => &self.queue,
            ReportBy::Agent => self.agent.as_ref().map_or("(unassigned)", AgentId::as_str),
            ReportBy::Priority => self.priority.as_str(),
        }
    }

    /// The median of the met next-response cycles of this case.
    pub fn next_response_median(&self) -> Option<Elapsed> {
        let mut wall: Vec<i64> = self.next_responses.iter().map(|e| e.wall_ms).collect();
        let mut business: Vec<i64> = self.next_responses.iter().map(|e| e.business_ms).collect();
        wall.sort_unstable();
        business.sort_unstable();
        Some(Elapsed {
            wall_ms: percentile(&wall, 50)?,
            business_ms: percentile(&business, 50)?,
        })
    }
}

/// A report row flattened for export (CSV and JSON Lines alike): one column per field, times
/// in milliseconds, lists joined with `;`, absent values empty (null in JSON).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExportRow {
    pub case_id: String,
    pub version: u64,
    pub created_at: String,
    pub day: String,
    pub status: &'static str,
    pub channel: &'static str,
    pub language: Option<String>,
    pub intent: Option<String>,
    pub product: Option<String>,
    pub queue: String,
    pub agent: Option<String>,
    pub priority: String,
    pub agents: String,
    pub first_response_wall_ms: Option<i64>,
    pub first_response_business_ms: Option<i64>,
    pub next_responses: usize,
    pub next_response_median_wall_ms: Option<i64>,
    pub next_response_median_business_ms: Option<i64>,
    pub resolution_wall_ms: Option<i64>,
    pub resolution_business_ms: Option<i64>,
    pub sla_met: u32,
    pub sla_missed: u32,
    pub sla_running: u32,
    pub breached_now: bool,
    pub resolved: bool,
    pub reopens: u32,
    pub withdrawn: bool,
    pub first_sentiment: Option<&'static str>,
    pub last_sentiment: Option<&'static str>,
    pub sentiment_change: &'static str,
}

fn sentiment_name(s: Sentiment) -> &'static str {
    match s {
        Sentiment::Negative => "negative",
        Sentiment::Neutral => "neutral",
        Sentiment::Positive => "positive",
    }
}

impl From<&ReportRow> for ExportRow {
    fn from(r: &ReportRow) -> Self {
        let next = r.next_response_median();
        ExportRow {
            case_id: r.case_id.to_string(),
            version: r.version,
            created_at: r.created_at.to_string(),
            day: r.day(),
            status: r.status.as_str(),
            channel: r.channel.as_str(),
            language: r.language.as_ref().map(ToString::to_string),
            intent: r.intent.map(|i| intent_str(i).to_string()),
            product: r.product.clone(),
            queue: r.queue.clone(),
            agent: r.agent.as_ref().map(ToString::to_string),
            priority: r.priority.to_string(),
            agents: r.agents.iter().map(AgentId::as_str).collect::<Vec<_>>().join(";"),
            first_response_wall_ms: r.first_response.map(|e| e.wall_ms),
            first_response_business_ms: r.first_response.map(|e| e.business_ms),
            next_responses: r.next_responses.len(),
            next_response_median_wall_ms: next.map(|e| e.wall_ms),
            next_response_median_business_ms: next.map(|e| e.business_ms),
            resolution_wall_ms: r.resolution.map(|e| e.wall_ms),
            resolution_business_ms: r.resolution.map(|e| e.business_ms),
            sla_met: r.sla_met,
            sla_missed: r.sla_missed,
            sla_running: r.sla_running,
            breached_now: r.breached_now,
            resolved: r.resolved,
            reopens: r.reopens,
            withdrawn: r.withdrawn,
            first_sentiment: r.first_sentiment.map(sentiment_name),
            last_sentiment: r.last_sentiment.map(sentiment_name),
            sentiment_change: r.sentiment_change.as_str(),
        }
    }
}

/// An intent's name, as the API spells it.
pub fn intent_str(i: Intent) -> &'static str {
    match i {
        Intent::Question => "question",
        Intent::Problem => "problem",
        Intent::Complaint => "complaint",
        Intent::Praise => "praise",
        Intent::Purchase => "purchase",
        Intent::Spam => "spam",
        Intent::Other => "other",
    }
}

/// The UTC day of an instant, as `YYYY-MM-DD`.
pub fn day_of(at: Timestamp) -> String {
    at.to_zoned(jiff::tz::TimeZone::UTC).date().to_string()
}

/// The UTC days `[from, to)` touches, in order (`to` exclusive), as `YYYY-MM-DD`.
pub fn days_between(from: Timestamp, to: Timestamp) -> Vec<String> {
    let mut out = Vec::new();
    if to <= from {
        return out;
    }
    let last = (to - jiff::SignedDuration::from_nanos(1))
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date();
    let mut day = from.to_zoned(jiff::tz::TimeZone::UTC).date();
    while day <= last {
        out.push(day.to_string());
        match day.tomorrow() {
            Ok(next) => day = next,
            Err(_) => break,
        }
    }
    out
}

/// Median and 90th percentile of one measure, in wall and business time.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Times {
    /// How many answers (or resolutions) were measured.
    pub count: usize,
    pub median_wall_ms: Option<i64>,
    pub p90_wall_ms: Option<i64>,
    pub median_business_ms: Option<i64>,
    pub p90_business_ms: Option<i64>,
}

impl Times {
    fn of(mut wall: Vec<i64>, mut business: Vec<i64>) -> Times {
        Times {
            count: wall.len(),
            median_wall_ms: percentile_unsorted(&mut wall, 50),
            p90_wall_ms: percentile_unsorted(&mut wall, 90),
            median_business_ms: percentile_unsorted(&mut business, 50),
            p90_business_ms: percentile_unsorted(&mut business, 90),
        }
    }
}

/// Counts of the customers' sentiment change through their cases.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SentimentCounts {
    pub detractor_to_promoter: usize,
    pub promoter_to_detractor: usize,
    pub unchanged: usize,
    pub other: usize,
    pub unknown: usize,
}

/// One group's figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupReport {
    pub group: String,
    /// Cases created in the range.
    pub volume: usize,
    pub first_response: Times,
    pub next_response: Times,
    pub resolution: Times,
    pub sla_met: usize,
    pub sla_missed: usize,
    pub sla_running: usize,
    /// Met ÷ decided (met + missed) SLA clocks, 0..=100 (null when none is decided).
    pub sla_attainment_pct: Option<f64>,
    /// Cases resolved at least once.
    pub resolved: usize,
    /// Cases that opened again after a resolve.
    pub reopened: usize,
    /// Reopened ÷ resolved, 0..=100 (null when none was resolved).
    pub reopen_rate_pct: Option<f64>,
    /// Distinct agents who had any of the cases.
    pub agents: usize,
    /// Cases that had an agent ÷ those agents (null when no agent had one).
    pub cases_per_agent: Option<f64>,
    pub sentiment: SentimentCounts,
}

#[derive(Default)]
struct Tally<'a> {
    volume: usize,
    first: (Vec<i64>, Vec<i64>),
    next: (Vec<i64>, Vec<i64>),
    resolution: (Vec<i64>, Vec<i64>),
    met: usize,
    missed: usize,
    running: usize,
    resolved: usize,
    reopened: usize,
    agents: HashSet<&'a str>,
    handled: usize,
    sentiment: SentimentCounts,
}

impl<'a> Tally<'a> {
    fn add(&mut self, row: &'a ReportRow) {
        self.volume += 1;
        if row.resolved {
            self.resolved += 1;
        }
        if row.reopens > 0 {
            self.reopened += 1;
        }
        if !row.agents.is_empty() {
            self.handled += 1;
            self.agents.extend(row.agents.iter().map(AgentId::as_str));
        }
        match row.sentiment_change {
            SentimentChange::DetractorToPromoter => self.sentiment.detractor_to_promoter += 1,
            SentimentChange::PromoterToDetractor => self.sentiment.promoter_to_detractor += 1,
            SentimentChange::Unchanged => self.sentiment.unchanged += 1,
            SentimentChange::Other => self.sentiment.other += 1,
            SentimentChange::Unknown => self.sentiment.unknown += 1,
        }
        // A withdrawn case kept no target: no times, no attainment.
        if row.withdrawn {
            return;
        }
        self.met += row.sla_met as usize;
        self.missed += row.sla_missed as usize;
        self.running += row.sla_running as usize;
        let push = |into: &mut (Vec<i64>, Vec<i64>), e: &Elapsed| {
            into.0.push(e.wall_ms);
            into.1.push(e.business_ms);
        };
        if let Some(e) = &row.first_response {
            push(&mut self.first, e);
        }
        for e in &row.next_responses {
            push(&mut self.next, e);
        }
        if let Some(e) = &row.resolution {
            push(&mut self.resolution, e);
        }
    }

    /// Adds another group's tally to this one.
    fn absorb(&mut self, other: &Tally<'a>) {
        self.volume += other.volume;
        for (into, from) in [
            (&mut self.first, &other.first),
            (&mut self.next, &other.next),
            (&mut self.resolution, &other.resolution),
        ] {
            into.0.extend_from_slice(&from.0);
            into.1.extend_from_slice(&from.1);
        }
        self.met += other.met;
        self.missed += other.missed;
        self.running += other.running;
        self.resolved += other.resolved;
        self.reopened += other.reopened;
        self.agents.extend(other.agents.iter().copied());
        self.handled += other.handled;
        let (s, o) = (&mut self.sentiment, &other.sentiment);
        s.detractor_to_promoter += o.detractor_to_promoter;
        s.promoter_to_detractor += o.promoter_to_detractor;
        s.unchanged += o.unchanged;
        s.other += o.other;
        s.unknown += o.unknown;
    }

    fn report(self, group: String) -> GroupReport {
        let pct = |num: usize, den: usize| (den > 0).then(|| 100.0 * num as f64 / den as f64);
        GroupReport {
            group,
            volume: self.volume,
            first_response: Times::of(self.first.0, self.first.1),
            next_response: Times::of(self.next.0, self.next.1),
            resolution: Times::of(self.resolution.0, self.resolution.1),
            sla_met: self.met,
            sla_missed: self.missed,
            sla_running: self.running,
            sla_attainment_pct: pct(self.met, self.met + self.missed),
            resolved: self.resolved,
            reopened: self.reopened,
            reopen_rate_pct: pct(self.reopened, self.resolved),
            agents: self.agents.len(),
            cases_per_agent: (!self.agents.is_empty()).then(|| self.handled as f64 / self.agents.len() as f64),
            sentiment: self.sentiment,
        }
    }
}

/// A report: the figures per group, sorted by group, and over all the rows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseReport {
    pub groups: Vec<GroupReport>,
    pub total: GroupReport,
}

/// The figures of `rows` grouped `by`.
pub fn summarize<R: AsRef<ReportRow>>(rows: &[R], by: ReportBy) -> CaseReport {
    let mut groups: BTreeMap<&str, Tally> = BTreeMap::new();
    for row in rows.iter().map(AsRef::as_ref) {
        groups.entry(row.group(by)).or_default().add(row);
    }
    // The total is the groups' sum (each row is read once: a year's rows do not fit a cache).
    let mut total = Tally::default();
    for t in groups.values() {
        total.absorb(t);
    }
    CaseReport {
        groups: groups.into_iter().map(|(g, t)| t.report(g.to_string())).collect(),
        total: total.report("(all)".into()),
    }
}

/// One channel on the supervisors' board.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LiveCounts {
    /// Cases created today (UTC).
    pub volume_today: usize,
    /// Active cases (new, open, pending), whenever created.
    pub open: usize,
    /// Active cases nobody has.
    pub waiting: usize,
    /// Active cases with a breached clock still running.
    pub breached: usize,
}

/// The board: today's volume, and the active cases open, waiting and breached, per channel and
/// in all. `today` are the rows of cases created today; `active` every active case.
pub fn live<R: AsRef<ReportRow>>(today: &[R], active: &[Case], policy: &SlaPolicy) -> BTreeMap<String, LiveCounts> {
    let mut out: BTreeMap<String, LiveCounts> = BTreeMap::new();
    for row in today.iter().map(AsRef::as_ref) {
        for key in [row.channel.to_string(), "(all)".to_string()] {
            out.entry(key).or_default().volume_today += 1;
        }
    }
    for case in active.iter().filter(|c| c.status.is_active()) {
        let row = ReportRow::of(case, policy);
        for key in [case.channel.to_string(), "(all)".to_string()] {
            let counts = out.entry(key).or_default();
            counts.open += 1;
            if case.is_waiting() {
                counts.waiting += 1;
            }
            if row.breached_now {
                counts.breached += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod names {
    /// The intent names reports use are the API's (serde's) names.
    #[test]
    fn intent_names_are_the_serde_names() {
        use crate::post::Intent::*;
        for i in [Question, Problem, Complaint, Praise, Purchase, Spam, Other] {
            assert_eq!(super::intent_str(i), crate::routing::requirements::intent_name(i));
        }
    }
}
