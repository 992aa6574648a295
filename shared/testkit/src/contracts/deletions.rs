//! `DeletionStore`: a request recorded once per code, read back, its completion saved.

use crate::sample::{at, tag};
use anyhow::ensure;
use socialcare_domain::deletion::{DeletionRequest, DeletionStatus, code_from};
use socialcare_domain::ports::DeletionStore;
use std::sync::Arc;

pub async fn deletion_store_contract(store: Arc<dyn DeletionStore>) -> anyhow::Result<()> {
    let mut random = [0u8; 16];
    for (i, b) in tag().bytes().chain(std::iter::repeat(7)).take(16).enumerate() {
        random[i] = b;
    }
    let code = code_from(random);
    ensure!(store.deletion(&code).await?.is_none(), "unknown code: none");
    let request = DeletionRequest::received(code.clone(), "meta", at(0));
    ensure!(store.record_deletion(&request).await?, "first record stores");
    let mut other = request.clone();
    other.platform = "other".into();
    ensure!(!store.record_deletion(&other).await?, "a code is recorded once");
    ensure!(
        store.deletion(&code).await? == Some(request.clone()),
        "read back as recorded"
    );
    let mut done = request;
    done.complete(4, at(30));
    store.save_deletion(&done).await?;
    let got = store.deletion(&code).await?;
    ensure!(
        got.as_ref().map(|r| (r.status, r.posts_redacted, r.completed_at))
            == Some((DeletionStatus::Completed, 4, Some(at(30)))),
        "completion saved: {got:?}"
    );
    Ok(())
}
