//! Fuzzy evidence: whether two display names look like the same person. Only ever a suggestion
//! for an agent to confirm (a merge), never a link.

/// A display name reduced to what identifies: lower-case ASCII letters and digits per word,
/// words sorted (so "Doe Jane" matches "Jane Doe"); emoji and punctuation dropped.
pub fn name_key(name: &str) -> String {
    let mut words: Vec<String> = name
        .split(|c: char| c.is_whitespace() || c == '_' || c == '.' || c == '-')
        .map(|w| {
            w.chars()
                .filter_map(fold)
                .filter(char::is_ascii_alphanumeric)
                .collect::<String>()
        })
        .filter(|w| !w.is_empty())
        .collect();
    words.sort();
    words.join(" ")
}

/// The keys a display name is indexed and looked up under: its [`name_key`], and for three
/// words or more the key of its first and last word ("Tara Jane Willis" is also "tara willis").
/// Keys shorter than four characters are left out: they would match too many.
pub fn name_keys(name: &str) -> Vec<String> {
    let words: Vec<String> = name
        .split(|c: char| c.is_whitespace() || c == '_' || c == '.' || c == '-')
        .map(name_key)
        .filter(|w| !w.is_empty())
        .collect();
    let mut keys = vec![name_key(name)];
    if words.len() >= 3
        && let (Some(first), Some(last)) = (words.first(), words.last())
    {
        keys.push(name_key(&format!("{first} {last}")));
    }
    keys.retain(|k| k.len() >= 4);
    keys.dedup();
    keys
}

/// Common Latin accents folded to their base letter, lower-cased.
fn fold(c: char) -> Option<char> {
    let c = c.to_lowercase().next()?;
    Some(match c {
        'á' | 'à' | 'â' | 'ä' | 'ã' | 'å' => 'a',
        'é' | 'è' | 'ê' | 'ë' => 'e',
        'í' | 'ì' | 'î' | 'ï' => 'i',
        'ó' | 'ò' | 'ô' | 'ö' | 'õ' => 'o',
        'ú' | 'ù' | 'û' | 'ü' => 'u',
        'ç' => 'c',
        'ñ' => 'n',
        other => other,
    })
}

/// Whether two display names share a key: the same words in any order, case, accents and
/// punctuation, or the same first and last word around a middle name.
pub fn similar_names(a: &str, b: &str) -> bool {
    let theirs = name_keys(b);
    name_keys(a).iter().any(|k| theirs.contains(k))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn similar_table() {
        let table = [
            ("Jane Doe", "jane doe", true),
            ("Jane Doe", "Doe, Jane", true),
            ("José Pérez", "Jose Perez 🚀", true),
            ("jane_doe", "Jane Doe", true),
            ("Tara Willis", "Tara Jane Willis", true),
            ("Jane Doe", "John Doe", false),
            ("Ana", "Ana", false),
            ("Acme Fan", "Pizza Lover", false),
            ("MagicPuppy123", "Tara Jane Willis", false),
        ];
        for (a, b, want) in table {
            assert_eq!(similar_names(a, b), want, "{a} ~ {b}");
        }
    }

    #[test]
    fn keys_of_a_name() {
        assert_eq!(name_keys("Tara Jane Willis"), vec!["jane tara willis", "tara willis"]);
        assert_eq!(name_keys("Willis, Tara"), vec!["tara willis"]);
        assert_eq!(name_keys("Al"), Vec::<String>::new(), "too short to mean anything");
        assert_eq!(name_keys("MagicPuppy123"), vec!["magicpuppy123"]);
    }
}
