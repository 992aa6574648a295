//! Emoji sentiment: a small hand-made table of the emoji that carry a clear tone in
//! customer-care posts. Emoji that carry none (📸 ✈️ 👀) are absent and count as neutral.

/// Sentiment weight of an emoji (-3.0 ..= 3.0), `None` when it is not in the table.
pub(crate) fn weight(c: char) -> Option<f32> {
    let w = match c {
        '😡' | '🤬' | '👿' => -3.0,
        '😠' | '💢' => -2.5,
        '😤' | '😞' | '😩' | '😫' | '😒' | '👎' | '💩' | '😖' | '😣' | '🤮' | '🤢' => -2.0,
        '😢' | '😭' | '😔' | '😕' | '😟' | '🙁' | '☹' | '😓' | '😰' | '😱' | '💔' | '🤦' => {
            -1.5
        }
        '🙄' | '🤡' => -2.0,
        '🙃' => -1.0,
        '😐' | '😑' | '😶' => -0.5,
        '😍' | '🤩' | '🥰' | '😻' => 3.0,
        '❤' | '💖' | '💕' | '💗' | '💙' | '💚' | '💜' | '🧡' | '💛' | '😘' => 2.5,
        '😀' | '😃' | '😄' | '😁' | '😊' | '☺' | '🥳' | '🎉' | '👍' | '🙌' | '👏' | '💯' | '🔥' | '⭐' | '🌟' => {
            2.0
        }
        '😂' | '🤣' | '😆' | '😎' | '💪' | '✨' | '🤗' | '🙏' | '👌' | '😋' | '✅' => 1.5,
        '🙂' | '😉' | '😅' => 1.0,
        '😮' | '😲' | '🤯' => 0.5,
        '👉' | '➡' | '🤑' | '💰' | '💸' | '🎁' | '📩' | '💵' | '🚀' | '📈' => 0.0,
        _ => return None,
    };
    Some(w)
}

/// Emoji that mostly mark sarcasm or contempt in complaints ("Thanks Acme 🙄").
pub(crate) fn is_sarcasm(c: char) -> bool {
    matches!(c, '🙄' | '🙃' | '🤡')
}

/// Emoji that promotional spam leans on.
pub(crate) fn is_promo(c: char) -> bool {
    matches!(c, '👉' | '➡' | '🤑' | '💰' | '💸' | '🎁' | '📩' | '💵' | '🚀' | '📈')
}
