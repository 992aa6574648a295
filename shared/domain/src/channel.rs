//! Channels a post can arrive on, and the languages and priorities that classification assigns.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Where a post came from and where its replies go back to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    X,
    Facebook,
    Instagram,
    Messenger,
    /// Any source that signs its webhooks per Standard Webhooks (forums, app stores, email bridges).
    Generic,
}

impl Channel {
    pub const ALL: [Channel; 5] = [
        Channel::X,
        Channel::Facebook,
        Channel::Instagram,
        Channel::Messenger,
        Channel::Generic,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::X => "x",
            Channel::Facebook => "facebook",
            Channel::Instagram => "instagram",
            Channel::Messenger => "messenger",
            Channel::Generic => "generic",
        }
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An ISO 639-1 language code, lower case (`en`, `es`, `pt`, `fr`, `de`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Language(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a two-letter ISO 639-1 language code")]
pub struct LanguageError(pub String);

impl Language {
    pub fn parse(s: &str) -> Result<Self, LanguageError> {
        let lower = s.trim().to_ascii_lowercase();
        if lower.len() == 2 && lower.bytes().all(|b| b.is_ascii_lowercase()) {
            Ok(Self(lower))
        } else {
            Err(LanguageError(s.to_string()))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
impl TryFrom<String> for Language {
    type Error = LanguageError;
    fn try_from(s: String) -> Result<Self, LanguageError> {
        Self::parse(&s)
    }
}
impl From<Language> for String {
    fn from(l: Language) -> String {
        l.0
    }
}
impl FromStr for Language {
    type Err = LanguageError;
    fn from_str(s: &str) -> Result<Self, LanguageError> {
        Self::parse(s)
    }
}
impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Case priority, P1 most urgent. Orders so that `P1 < P2`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Priority {
    P1,
    P2,
    P3,
    P4,
}

impl Priority {
    pub const ALL: [Priority; 4] = [Priority::P1, Priority::P2, Priority::P3, Priority::P4];
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::P1 => "P1",
            Priority::P2 => "P2",
            Priority::P3 => "P3",
            Priority::P4 => "P4",
        }
    }
}

impl fmt::Display for Priority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Priority {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "P1" | "p1" => Ok(Priority::P1),
            "P2" | "p2" => Ok(Priority::P2),
            "P3" | "p3" => Ok(Priority::P3),
            "P4" | "p4" => Ok(Priority::P4),
            other => Err(format!("`{other}` is not a priority (P1..P4)")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_parse_strictly() {
        for (input, ok) in [("en", true), ("ES", true), ("eng", false), ("", false), ("e1", false)] {
            assert_eq!(Language::parse(input).is_ok(), ok, "{input}");
        }
    }

    #[test]
    fn p1_sorts_first() {
        let mut ps = vec![Priority::P3, Priority::P1, Priority::P4, Priority::P2];
        ps.sort();
        assert_eq!(ps, Priority::ALL.to_vec());
    }
}
