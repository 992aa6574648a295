//! Table names and the names of their indexes and attributes (see `TABLES.md`).

/// The physical name of each table. Build with [`TableNames::with_prefix`] (the SAM template
/// passes each name to the functions as `TABLE_*` env vars; `from_env` reads those).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableNames {
    pub dedupe: String,
    pub posts: String,
    pub customers: String,
    pub cases: String,
    pub agents: String,
    pub timers: String,
    pub alerts: String,
    pub parked: String,
}

/// Env var of each table's name, as [`TableNames::from_env`] reads them.
pub const TABLE_ENV: [(&str, &str); 8] = [
    ("dedupe", "TABLE_DEDUPE"),
    ("posts", "TABLE_POSTS"),
    ("customers", "TABLE_CUSTOMERS"),
    ("cases", "TABLE_CASES"),
    ("agents", "TABLE_AGENTS"),
    ("timers", "TABLE_TIMERS"),
    ("alerts", "TABLE_ALERTS"),
    ("parked", "TABLE_PARKED"),
];

impl TableNames {
    /// `{prefix}dedupe`, `{prefix}posts`, ...
    pub fn with_prefix(prefix: &str) -> Self {
        let name = |t: &str| format!("{prefix}{t}");
        Self {
            dedupe: name("dedupe"),
            posts: name("posts"),
            customers: name("customers"),
            cases: name("cases"),
            agents: name("agents"),
            timers: name("timers"),
            alerts: name("alerts"),
            parked: name("parked"),
        }
    }

    /// Reads every `TABLE_*` variable; the error names each missing one.
    pub fn from_env() -> Result<Self, String> {
        Self::from_vars(|var| std::env::var(var).ok())
    }

    /// Reads every `TABLE_*` name through `lookup` (the environment, or a stack's outputs).
    pub fn from_vars(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let mut missing = Vec::new();
        let mut get = |var: &str| {
            lookup(var).filter(|v| !v.is_empty()).unwrap_or_else(|| {
                missing.push(var.to_string());
                String::new()
            })
        };
        let names = Self {
            dedupe: get("TABLE_DEDUPE"),
            posts: get("TABLE_POSTS"),
            customers: get("TABLE_CUSTOMERS"),
            cases: get("TABLE_CASES"),
            agents: get("TABLE_AGENTS"),
            timers: get("TABLE_TIMERS"),
            alerts: get("TABLE_ALERTS"),
            parked: get("TABLE_PARKED"),
        };
        if missing.is_empty() {
            Ok(names)
        } else {
            Err(format!("missing table name variables: {}", missing.join(", ")))
        }
    }

    pub fn all(&self) -> [&str; 8] {
        [
            &self.dedupe,
            &self.posts,
            &self.customers,
            &self.cases,
            &self.agents,
            &self.timers,
            &self.alerts,
            &self.parked,
        ]
    }
}

/// Index and attribute names shared by the store and provisioning.
pub(crate) mod schema {
    // dedupe
    pub const FINGERPRINT: &str = "fp";
    /// Expiry as a sortable time key (exact comparisons in conditions).
    pub const EXPIRES_KEY: &str = "exp_key";
    /// Expiry in epoch seconds: the table's TTL attribute.
    pub const EXPIRES_AT: &str = "expires_at";

    // cases
    pub const VERSION: &str = "ver";
    pub const ACTIVE: &str = "active";
    pub const CUSTOMER: &str = "cust";
    pub const ASSIGNEE: &str = "asg";
    pub const STATUS: &str = "st";
    /// Present only while the case waits for an agent: the sparse queue index.
    pub const WAITING: &str = "waiting";
    /// `time_key(created_at)#case_id`: the sort key of every case index.
    pub const CREATED: &str = "ck";
    pub const POINTER_CASE: &str = "case_id";
    pub const GSI_CASES_BY_CUSTOMER: &str = "by_customer";
    pub const GSI_CASES_BY_ASSIGNEE: &str = "by_assignee";
    pub const GSI_CASES_BY_STATUS: &str = "by_status";
    pub const GSI_CASES_WAITING: &str = "waiting";
    /// `created#<UTC day of creation>`: the partition of the `by_day` index, which a case
    /// enters when created and never moves in (the report rows are derived from its cases).
    pub const CREATED_DAY: &str = "cday";
    pub const GSI_CASES_BY_DAY: &str = "by_day";

    // posts: the author index (every post carries its author; refs, triage entries, labels and
    // deletion requests do not: the index is sparse).
    pub const AUTHOR: &str = "author";
    /// `time_key(created_at)#post id`: a post's place in its author's list.
    pub const AUTHOR_ORDER: &str = "ak";
    pub const GSI_POSTS_BY_AUTHOR: &str = "by_author";

    // customers
    pub const AUTHOR_CUSTOMER: &str = "customer_id";

    // agents
    pub const LOAD: &str = "load";
    pub const CAPACITY: &str = "capacity";
    /// Per channel: `cap_<channel>` (its limit, when it has one) and `load_<channel>` (its open
    /// cases), top-level numbers beside `load` so the case transaction can condition on them.
    pub const CHANNEL_CAPACITY_PREFIX: &str = "cap_";
    pub const CHANNEL_LOAD_PREFIX: &str = "load_";
    pub const PRESENCE: &str = "presence";
    pub const LAST_ASSIGNED: &str = "last_assigned_at";
    /// When a supervisor last ended the agent's sessions (unix seconds): tokens issued at or
    /// before it are refused. Its own attribute, so a profile update keeps it.
    pub const TOKENS_VALID_AFTER: &str = "tokens_valid_after";
    pub const LAST_ASSIGNED_KEY: &str = "last_key";

    // timers, alerts, parked: one fixed shard key and a time-ordered sort key.
    pub const SHARD: &str = "shard";
    pub const ORDER: &str = "ok";
    pub const TIMER_STATE: &str = "state";
    pub const GSI_TIMERS_DUE: &str = "due";
    pub const GSI_BY_TIME: &str = "by_time";
    pub const DELIVERED: &str = "delivered";
}
