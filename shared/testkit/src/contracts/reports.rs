//! `ReportStore`: one row per case, a later version never replaced by an earlier one, read by
//! creation time over `[from, to)` across days (exact at the edges, in creation then id order).

use crate::sample::{case, tag};
use anyhow::ensure;
use jiff::Timestamp;
use socialcare_domain::SlaPolicy;
use socialcare_domain::ports::ReportStore;
use socialcare_domain::reports::ReportRow;
use std::collections::BTreeMap;
use std::sync::Arc;

fn ts(s: &str) -> anyhow::Result<Timestamp> {
    Ok(s.parse()?)
}

fn row(id: &str, created: Timestamp, version: u64) -> anyhow::Result<ReportRow> {
    let mut c = case(id, "cus-report", created)?;
    c.version = version;
    Ok(ReportRow::of(&c, &SlaPolicy::first_response_only(BTreeMap::new())))
}

pub async fn report_store_contract(store: Arc<dyn ReportStore>) -> anyhow::Result<()> {
    let t = tag();
    let id = |n: u32| format!("case-{t}-{n}");
    // Rows in a far year of their own, so other suites' rows on a shared table stay out.
    let before_midnight = ts("2031-03-01T23:59:59Z")?;
    let midnight = ts("2031-03-02T00:00:00Z")?;
    let noon = ts("2031-03-02T12:00:00Z")?;
    let next_day = ts("2031-03-03T08:00:00Z")?;
    let mine = |rows: Vec<Arc<ReportRow>>| -> Vec<(String, u64)> {
        rows.into_iter()
            .filter(|r| r.case_id.as_str().contains(&t))
            .map(|r| (r.case_id.to_string(), r.version))
            .collect()
    };

    ensure!(
        store.put_report_row(&row(&id(1), noon, 3)?).await?,
        "a new row is written"
    );
    ensure!(
        !store.put_report_row(&row(&id(1), noon, 2)?).await?,
        "an earlier version never replaces a later one"
    );
    ensure!(
        store.put_report_row(&row(&id(1), noon, 3)?).await?,
        "the same version may be written again (a retry)"
    );
    ensure!(
        store.put_report_row(&row(&id(1), noon, 5)?).await?,
        "a later version replaces it"
    );
    store.put_report_row(&row(&id(2), before_midnight, 1)?).await?;
    store.put_report_row(&row(&id(3), midnight, 1)?).await?;
    store.put_report_row(&row(&id(4), next_day, 1)?).await?;
    // Same instant as case 1: id order.
    store.put_report_row(&row(&id(0), noon, 1)?).await?;

    let day = mine(store.report_rows(midnight, ts("2031-03-03T00:00:00Z")?).await?);
    ensure!(
        day == vec![(id(3), 1), (id(0), 1), (id(1), 5)],
        "one day, creation then id order, latest version: {day:?}"
    );
    let all = mine(
        store
            .report_rows(ts("2031-03-01T00:00:00Z")?, ts("2031-03-04T00:00:00Z")?)
            .await?,
    );
    ensure!(
        all.len() == 5 && all[0].0 == id(2) && all[4].0 == id(4),
        "three days: {all:?}"
    );
    let edges = mine(store.report_rows(before_midnight, noon).await?);
    ensure!(
        edges == vec![(id(2), 1), (id(3), 1)],
        "`from` inclusive, `to` exclusive, across midnight: {edges:?}"
    );
    ensure!(mine(store.report_rows(noon, noon).await?).is_empty(), "an empty range");
    let full = store.report_rows(noon, next_day).await?;
    let first = full.iter().find(|r| r.case_id.as_str() == id(1)).map(|r| r.as_ref());
    ensure!(
        first == Some(&row(&id(1), noon, 5)?),
        "the row reads back whole: {first:?}"
    );
    Ok(())
}

/// `CasesCreated`: the cases created in `[from, to)` across days (exact at the edges, in
/// creation then id order), each once however often it was saved, found again after saves that
/// change its status and assignee (its creation day never moves).
pub async fn cases_created_contract(
    cases: Arc<dyn socialcare_domain::ports::CaseStore>,
    created: Arc<dyn socialcare_domain::ports::CasesCreated>,
) -> anyhow::Result<()> {
    use socialcare_domain::ports::LoadChange;
    let t = tag();
    let id = |n: u32| format!("case-{t}-{n}");
    // A far year of their own, so other suites' cases on a shared table stay out.
    let before_midnight = ts("2032-05-01T23:59:59Z")?;
    let midnight = ts("2032-05-02T00:00:00Z")?;
    let noon = ts("2032-05-02T12:00:00Z")?;
    let next_day = ts("2032-05-03T08:00:00Z")?;
    // One customer per case: a customer has at most one active case.
    for (n, at) in [(1, noon), (2, before_midnight), (3, midnight), (4, next_day), (0, noon)] {
        cases.create(&case(&id(n), &format!("cus-{t}-{n}"), at)?).await?;
    }
    // Saved twice more: still one case, same day.
    let mut c1 = cases
        .get(&crate::sample::case_id(&id(1))?)
        .await?
        .ok_or_else(|| anyhow::anyhow!("case 1"))?;
    for _ in 0..2 {
        let expected = c1.version;
        c1.version += 1;
        c1.status = socialcare_domain::CaseStatus::Open;
        cases.save(&c1, expected, LoadChange::None).await?;
    }
    let mine = |found: Vec<socialcare_domain::Case>| -> Vec<String> {
        found
            .into_iter()
            .map(|c| c.id.to_string())
            .filter(|c| c.contains(&t))
            .collect()
    };
    let day = mine(created.cases_created(midnight, ts("2032-05-03T00:00:00Z")?).await?);
    ensure!(
        day == vec![id(3), id(0), id(1)],
        "one day, by creation then id, each case once: {day:?}"
    );
    let all = mine(
        created
            .cases_created(ts("2032-05-01T00:00:00Z")?, ts("2032-05-04T00:00:00Z")?)
            .await?,
    );
    ensure!(all == vec![id(2), id(3), id(0), id(1), id(4)], "three days: {all:?}");
    let edges = mine(created.cases_created(before_midnight, noon).await?);
    ensure!(edges == vec![id(2), id(3)], "from inclusive, to exclusive: {edges:?}");
    ensure!(
        mine(created.cases_created(noon, noon).await?).is_empty(),
        "an empty range"
    );
    let saved = created
        .cases_created(noon, next_day)
        .await?
        .into_iter()
        .find(|c| c.id.as_str() == id(1))
        .ok_or_else(|| anyhow::anyhow!("case 1 in its range"))?;
    ensure!(
        saved.version == c1.version,
        "the case as last saved: version {}",
        saved.version
    );
    Ok(())
}
