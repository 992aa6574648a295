//! How an agent's skills are read: a list of names (each at level 1) or a table of levels.

use serde::{Deserialize, Deserializer};
use std::collections::BTreeMap;

#[derive(Deserialize)]
#[serde(untagged)]
enum SkillsRepr {
    Names(Vec<String>),
    Levels(BTreeMap<String, u8>),
}

/// Accepts `["billing", "laptops"]` (level 1 each) or `{"billing": 3}`; a level of 0 reads as 1.
pub fn skills_de<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, u8>, D::Error> {
    Ok(match SkillsRepr::deserialize(d)? {
        SkillsRepr::Names(names) => names.into_iter().map(|n| (n, 1)).collect(),
        SkillsRepr::Levels(levels) => levels.into_iter().map(|(n, l)| (n, l.max(1))).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct S {
        #[serde(deserialize_with = "skills_de")]
        skills: BTreeMap<String, u8>,
    }

    #[test]
    fn both_shapes_read() {
        for (json, want) in [
            (r#"{"skills":["a","b"]}"#, vec![("a", 1), ("b", 1)]),
            (r#"{"skills":{"a":3,"b":0}}"#, vec![("a", 3), ("b", 1)]),
            (r#"{"skills":[]}"#, vec![]),
        ] {
            let s: S = serde_json::from_str(json).unwrap_or_else(|e| panic!("{json}: {e}"));
            let want: BTreeMap<String, u8> = want.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
            assert_eq!(s.skills, want, "{json}");
        }
    }
}
