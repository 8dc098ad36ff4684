//! The elements of a JSON array's text, found without parsing it: `[a,b,...]` as a compact serialiser (orjson,
//! `json` with `separators=(",", ":")`) writes it, each element's bytes exactly as it would write the element alone.

use std::ops::Range;

use crate::body::string_end;

/// The byte ranges of the top-level elements of `text`, a compact JSON array; `None` when `text` is no such array
/// (unbalanced brackets, an unterminated string, no brackets around it).
pub fn elements(text: &[u8]) -> Option<Vec<Range<usize>>> {
    if text.len() < 2 || text[0] != b'[' || text[text.len() - 1] != b']' {
        return None;
    }
    let end = text.len() - 1;
    let mut out = Vec::new();
    if end == 1 {
        return Some(out);
    }
    let (mut depth, mut start, mut i) = (0usize, 1, 1);
    while i < end {
        match text[i] {
            b'"' => {
                i = string_end(text, i).0;
                if i == text.len() {
                    return None; // unterminated
                }
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' => depth = depth.checked_sub(1)?,
            b',' if depth == 0 => {
                out.push(start..i);
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    if depth != 0 || i != end {
        return None;
    }
    out.push(start..end);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(text: &str) -> Option<Vec<&str>> {
        elements(text.as_bytes()).map(|ranges| ranges.into_iter().map(|r| &text[r]).collect())
    }

    #[test]
    fn top_level_elements_only() {
        assert_eq!(parts("[]"), Some(vec![]));
        assert_eq!(parts("[{}]"), Some(vec!["{}"]));
        assert_eq!(parts("[1,\"a\",null]"), Some(vec!["1", "\"a\"", "null"]));
        let text = r#"[{"a":[1,2,{"b":"],}[{"}],"c":"\"","d":"\\"},{"e":"\\\",]"},[],"x"]"#;
        assert_eq!(
            parts(text),
            Some(vec![r#"{"a":[1,2,{"b":"],}[{"}],"c":"\"","d":"\\"}"#, r#"{"e":"\\\",]"}"#, "[]", "\"x\""])
        );
        assert_eq!(parts("[\"中文𠀀,\",{\"k\":\"]\"}]"), Some(vec!["\"中文𠀀,\"", "{\"k\":\"]\"}"]));
    }

    #[test]
    fn what_is_no_array_is_refused() {
        for text in ["", "[", "]", "{}", "[{]", "[}]", "[\"a]", "[\"a\\\"]", "[1]]", "[[1]"] {
            assert_eq!(parts(text), None, "{text}");
        }
    }
}
