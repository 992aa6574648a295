//! The posts table's DynamoDB stream, as the `trends` function receives it: a record's new image
//! back into the post it stores. Ref items (`ref#…`, platform ids) and anything without a
//! record are not posts and give `None`.

use crate::codec::{DOC, Item, PK, from_doc, get_s, s, to_packed_doc};
use socialcare_domain::{PortResult, Post};
use std::collections::HashMap;

/// The image the stream carries when a post is stored (what `PostStore::insert` writes): for
/// tests of the trends function and for backfills that feed it stored posts.
pub fn post_image(post: &Post) -> PortResult<serde_dynamo::Item> {
    let item: Item = HashMap::from([
        (PK.to_string(), s(post.id.as_str())),
        (DOC.to_string(), to_packed_doc(post)?),
    ]);
    Ok(item.into())
}

/// The post a stream image holds, if it holds one.
pub fn post_from_image(image: serde_dynamo::Item) -> Option<PortResult<Post>> {
    let item: Item = image.into();
    if !item.contains_key(DOC) || get_s(&item, PK).map_or(true, |pk| pk.starts_with("ref#")) {
        return None;
    }
    Some(from_doc(&item))
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_dynamodb::types::AttributeValue;

    #[test]
    fn a_post_image_is_its_post_and_a_ref_is_nothing() {
        let post = socialcare_testkit::sample::post("p-1", "u-1", socialcare_testkit::sample::at(0))
            .unwrap_or_else(|e| panic!("{e}"));
        let image = post_image(&post).unwrap_or_else(|e| panic!("{e}"));
        let back = post_from_image(image).and_then(Result::ok);
        assert_eq!(back.map(|p| p.id), Some(post.id.clone()));
        let reference: Item = HashMap::from([
            (PK.to_string(), AttributeValue::S("ref#x#acct#123".into())),
            ("post".to_string(), AttributeValue::S(post.id.as_str().to_string())),
        ]);
        assert!(post_from_image(serde_dynamo::Item::from(reference)).is_none());
    }
}
