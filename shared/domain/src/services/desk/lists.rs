//! What a case list shows besides the cases: each case's latest customer post (its snippet and
//! handle), read in one batch for the whole page.

use super::Desk;
use crate::case::Case;
use crate::error::ServiceError;
use crate::ids::{CaseId, PostId};
use crate::post::{Direction, Post};
use std::collections::HashMap;

/// The newest posts of a case looked at for its latest customer post (a customer's post is
/// rarely further back than a few answers).
const LOOK_BACK: usize = 4;

impl Desk {
    /// For each case, the newest post of the customer among its last few that is not deleted.
    pub async fn latest_customer_posts(&self, cases: &[Case]) -> Result<HashMap<CaseId, Post>, ServiceError> {
        let wanted: Vec<PostId> = cases
            .iter()
            .flat_map(|c| c.posts.iter().rev().take(LOOK_BACK).cloned())
            .collect();
        if wanted.is_empty() {
            return Ok(HashMap::new());
        }
        let posts: HashMap<PostId, Post> = self
            .posts
            .get_many(&wanted)
            .await?
            .into_iter()
            .map(|p| (p.id.clone(), p))
            .collect();
        Ok(cases
            .iter()
            .filter_map(|c| {
                let latest = c
                    .posts
                    .iter()
                    .rev()
                    .take(LOOK_BACK)
                    .filter_map(|id| posts.get(id))
                    .find(|p| p.direction == Direction::Inbound && !p.deleted)?;
                Some((c.id.clone(), latest.clone()))
            })
            .collect())
    }
}
