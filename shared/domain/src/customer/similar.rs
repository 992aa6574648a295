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

/// Levenshtein distance (small strings only: display names).
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// Whether two display names are similar enough to suggest: the same key, or keys of at least
/// six characters one edit apart, or two edits apart from ten characters on.
pub fn similar_names(a: &str, b: &str) -> bool {
    let (ka, kb) = (name_key(a), name_key(b));
    if ka.len() < 4 || kb.len() < 4 {
        return false;
    }
    if ka == kb {
        return true;
    }
    let shorter = ka.len().min(kb.len());
    let allowed = match shorter {
        0..=5 => 0,
        6..=9 => 1,
        _ => 2,
    };
    allowed > 0 && edit_distance(&ka, &kb) <= allowed
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
            ("Jane Doe", "Jane Do", true),
            ("jane_doe", "Jane Doe", true),
            ("Jane Doe", "John Doe", false),
            ("Ana", "Ana", false),
            ("Jonathan Smithers", "Jonathon Smithers", true),
            ("Acme Fan", "Pizza Lover", false),
        ];
        for (a, b, want) in table {
            assert_eq!(similar_names(a, b), want, "{a} ~ {b}");
        }
    }

    #[test]
    fn distance() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "ab"), 2);
        assert_eq!(edit_distance("ab", "ab"), 0);
    }
}
