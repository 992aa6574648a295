//! Threading under any interleaving: posts of many customers, applied in a random merge of
//! their sequences (each customer's own order kept, as the FIFO group per author keeps it), with
//! redeliveries (a message handled again right after itself, as an undeleted SQS message is) and
//! replies to other customers' posts, end in exactly the cases that applying each customer's
//! posts alone, once each, gives: one case per customer who needed care, holding that customer's
//! posts from the first request on, in order, and nobody else's.
//!
//! Each person writes under two handles (`u<c>` and `v<c>`), always naming their own order
//! number. An order number anyone can type never links (issue 14): each handle is a customer of
//! its own from its first request on (its chatter before that is nobody's), the other handle a
//! suggestion on its case, for an agent to merge.

use jiff::Timestamp;
use proptest::prelude::*;
use socialcare_domain::ports::{CaseQuery, CaseStore, Clock, CustomerStore};
use socialcare_domain::services::thread::ThreadService;
use socialcare_domain::*;
use socialcare_memory::{MemoryBus, MemoryQueue, MemoryStore, QueueConfig};
use socialcare_testkit::sample;
use std::sync::Arc;

struct At(Timestamp);

impl Clock for At {
    fn now(&self) -> Timestamp {
        self.0
    }
}

#[derive(Debug, Clone)]
struct Planned {
    actionable: bool,
    /// Written under the customer's second handle.
    second_handle: bool,
    /// Replies to this post of another customer (by index into the plan), if any.
    reply_to_other: Option<(usize, usize)>,
    redelivered: bool,
}

fn id<T: TryFrom<String>>(s: &str) -> T {
    T::try_from(s.to_string()).unwrap_or_else(|_| panic!("bad id {s}"))
}

fn post_of(customer: usize, n: usize, p: &Planned) -> Post {
    let at = sample::at(i64::try_from(n).unwrap_or(0));
    let handle = if p.second_handle { "v" } else { "u" };
    let mut post = sample::post(
        &format!("generic:forum:c{customer}-{n}"),
        &format!("generic:forum:{handle}{customer}"),
        at,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    post.text = format!("about order #77{customer:03}0001");
    post.parent_id = p.reply_to_other.map(|(c, k)| format!("c{c}-{k}"));
    post.classification = Some(sample::classification(p.actionable));
    post
}

fn plan() -> impl Strategy<Value = (Vec<Vec<Planned>>, Vec<usize>)> {
    let customer = prop::collection::vec((any::<bool>(), any::<bool>(), any::<u8>()), 1..6);
    (
        prop::collection::vec(customer, 1..5),
        prop::collection::vec(any::<usize>(), 0..40),
    )
        .prop_map(|(raw, picks)| {
            let n = raw.len();
            let plans = raw
                .iter()
                .enumerate()
                .map(|(c, posts)| {
                    posts
                        .iter()
                        .enumerate()
                        .map(|(k, (actionable, redelivered, r))| Planned {
                            actionable: *actionable,
                            second_handle: r % 3 == 1,
                            redelivered: *redelivered,
                            // Every fourth post replies to another customer's first post.
                            reply_to_other: (n > 1 && r % 4 == 0 && k > 0)
                                .then(|| ((c + 1 + *r as usize % (n - 1)) % n, 0)),
                        })
                        .collect()
                })
                .collect();
            (plans, picks)
        })
}

/// Per person and handle (`u`, then `v`): the cases of the handle's customer (their posts, in order).
type Outcome = Vec<[Vec<Vec<String>>; 2]>;

/// The cases per handle, as stored.
async fn outcome(store: &MemoryStore, customers: usize) -> Outcome {
    let mut out = Vec::new();
    for c in 0..customers {
        let mut per_handle: [Vec<Vec<String>>; 2] = [vec![], vec![]];
        for (i, h) in ["u", "v"].iter().enumerate() {
            let author = id::<AuthorId>(&format!("generic:forum:{h}{c}"));
            let Some(customer) = store.customer_of(&author).await.unwrap_or(None) else {
                continue;
            };
            let query = CaseQuery {
                customer: Some(customer),
                ..CaseQuery::default()
            };
            let cases = CaseStore::list(store, &query).await.unwrap_or_default();
            per_handle[i] = cases
                .iter()
                .map(|k| k.posts.iter().map(ToString::to_string).collect())
                .collect();
        }
        out.push(per_handle);
    }
    out
}

/// What applying each handle's posts alone, once each, in order gives: from the handle's first
/// request on, every post of that handle, in one case.
fn model(plans: &[Vec<Planned>]) -> Outcome {
    plans
        .iter()
        .enumerate()
        .map(|(c, posts)| {
            [false, true].map(|second| {
                let own: Vec<usize> = (0..posts.len()).filter(|k| posts[*k].second_handle == second).collect();
                match own.iter().position(|k| posts[*k].actionable) {
                    None => vec![],
                    Some(first) => vec![own[first..].iter().map(|k| format!("generic:forum:c{c}-{k}")).collect()],
                }
            })
        })
        .collect()
}

fn run(plans: &[Vec<Planned>], picks: &[usize]) -> Outcome {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    rt.block_on(async {
        let store = Arc::new(MemoryStore::new());
        let cases = Arc::new(MemoryQueue::new(QueueConfig::new("cases", false)));
        let bus = Arc::new(MemoryBus::new().with(Stream::Cases, cases));
        let clock = Arc::new(At(
            Timestamp::from_second(1_800_000_100).unwrap_or_else(|e| panic!("{e}"))
        ));
        let thread = ThreadService::new(
            store.clone(),
            store.clone(),
            store.clone(),
            bus,
            clock,
            "general".into(),
        );
        // A random merge of the customers' sequences: each pick advances one customer.
        let mut next = vec![0usize; plans.len()];
        let mut picks = picks.iter().copied().cycle();
        while next.iter().zip(plans).any(|(n, p)| *n < p.len()) {
            let live: Vec<usize> = (0..plans.len()).filter(|c| next[*c] < plans[*c].len()).collect();
            let c = live[picks.next().unwrap_or(0) % live.len()];
            let k = next[c];
            let planned = &plans[c][k];
            let times = if planned.redelivered { 2 } else { 1 };
            for _ in 0..times {
                let change = PostChange::Created {
                    post: Box::new(post_of(c, k, planned)),
                };
                thread.apply(change).await.unwrap_or_else(|e| panic!("c{c}-{k}: {e}"));
            }
            next[c] += 1;
        }
        outcome(&store, plans.len()).await
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn any_interleaving_ends_as_each_customer_alone((plans, picks) in plan()) {
        prop_assert_eq!(run(&plans, &picks), model(&plans));
    }
}
