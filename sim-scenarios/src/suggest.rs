//! "Did you mean": the closest of a set of known words to a misspelt one,
//! for scenario keys and kubectl commands.

/// Levenshtein distance between two strings, counted in characters.
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            let best = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
            cur.push(best);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The candidate closest to `word`, if it is within `max_distance` edits
/// (ties go to the earlier candidate).
pub(crate) fn closest<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
    max_distance: usize,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (edit_distance(word, c), c))
        .filter(|(d, _)| *d <= max_distance)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances_and_suggestions() {
        assert_eq!(edit_distance("gte", "get"), 2);
        assert_eq!(edit_distance("withn", "within"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(
            closest("gte", ["get", "describe", "delete"], 2),
            Some("get")
        );
        assert_eq!(closest("xyz", ["get", "describe"], 2), None);
    }
}
