//! One pass over a JSON text a parser has accepted: how deep it nests, and the first key an object holds twice.
//!
//! A request body is parsed by orjson, which keeps the last of two equal keys; the service refuses such a body
//! instead. This pass answers for the whole body at memory speed (strings skipped with `memchr`), without the GIL:
//! keys are compared as written, so a key written with an escape makes the answer unsure and the caller falls back
//! to a parser that reports every key.

use std::collections::HashSet;
use std::sync::mpsc::{channel, Receiver};
use std::sync::Mutex;

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

/// Keys of one object compared one by one up to this many; from then on through a set (an object of many keys
/// must not cost the square of their number).
const LINEAR_KEYS: usize = 16;

/// Bodies from this size are read without the GIL.
const DETACHED_BODY: usize = 1 << 16;

/// What `body_facts` found.
#[derive(Debug, PartialEq, Eq)]
pub struct Facts<'a> {
    /// How deep arrays and objects nest.
    pub depth: usize,
    /// The first key written twice in one object, as written (no escape in it).
    pub duplicate: Option<&'a [u8]>,
    /// Whether a key is written with an escape (keys are then not all compared).
    pub escaped_key: bool,
}

struct Level<'a> {
    object: bool,
    expect_key: bool,
    keys: Vec<&'a [u8]>,
    set: Option<HashSet<&'a [u8]>>,
}

impl<'a> Level<'a> {
    /// Record `key`; whether the object already held it.
    fn repeats(&mut self, key: &'a [u8]) -> bool {
        if let Some(set) = &mut self.set {
            return !set.insert(key);
        }
        if self.keys.contains(&key) {
            return true;
        }
        self.keys.push(key);
        if self.keys.len() >= LINEAR_KEYS {
            self.set = Some(self.keys.drain(..).collect());
        }
        false
    }
}

/// The end of the string whose opening quote is at `start` (the index of its closing quote, or the text's length),
/// and whether it holds an escape.
pub fn string_end(text: &[u8], start: usize) -> (usize, bool) {
    let mut at = start + 1;
    let mut escaped = false;
    while let Some(found) = text.get(at..).and_then(|rest| memchr::memchr2(b'"', b'\\', rest)) {
        at += found;
        if text[at] == b'"' {
            return (at, escaped);
        }
        escaped = true;
        at += 2; // the backslash and the character it escapes
    }
    (text.len(), escaped)
}

/// `body_facts`'s pass (what it answers for a text no parser accepts means nothing, but it never fails).
pub fn facts(text: &[u8]) -> Facts<'_> {
    let mut stack: Vec<Level<'_>> = Vec::new();
    let mut found = Facts { depth: 0, duplicate: None, escaped_key: false };
    let mut at = 0;
    while at < text.len() {
        match text[at] {
            b'"' => {
                let (end, escaped) = string_end(text, at);
                if let Some(level) = stack.last_mut().filter(|l| l.object && l.expect_key) {
                    level.expect_key = false;
                    if escaped {
                        found.escaped_key = true;
                    } else if found.duplicate.is_none() && level.repeats(&text[at + 1..end]) {
                        found.duplicate = Some(&text[at + 1..end]);
                    }
                }
                at = end;
            }
            open @ (b'{' | b'[') => {
                let object = open == b'{';
                stack.push(Level { object, expect_key: object, keys: Vec::new(), set: None });
                found.depth = found.depth.max(stack.len());
            }
            b'}' | b']' => {
                stack.pop();
            }
            b',' => {
                if let Some(level) = stack.last_mut() {
                    level.expect_key = level.object;
                }
            }
            _ => {}
        }
        at += 1;
    }
    found
}

/// (depth, the first key written twice in one object or None, whether a key is written with an escape) of a JSON
/// text a parser has accepted; see the module.
#[pyfunction]
pub fn body_facts(py: Python<'_>, body: &[u8]) -> Answer {
    // a small body is read holding the GIL: released for microseconds, it would be handed to another thread
    let found = if body.len() < DETACHED_BODY { facts(body) } else { py.detach(|| facts(body)) };
    answer(found)
}

/// `body_facts`' answer: (depth, the first key written twice in one object or None, whether a key is escaped).
type Answer = (usize, Option<String>, bool);

/// `body_facts`' answer of what `facts` found.
fn answer(found: Facts<'_>) -> Answer {
    let duplicate = found.duplicate.map(|key| String::from_utf8_lossy(key).into_owned());
    (found.depth, duplicate, found.escaped_key)
}

/// `body_facts` of a body being read on the pool (`start_body`).
#[pyclass(frozen, module = "hurong_native")]
pub struct PendingBody {
    read: Mutex<Option<Receiver<Answer>>>,
}

#[pymethods]
impl PendingBody {
    /// What `body_facts` answers for the body, once read; a second call raises, and so does a reading that failed.
    fn wait(&self, py: Python<'_>) -> PyResult<Answer> {
        let taken = self.read.lock().map_err(|_| PyRuntimeError::new_err("the body's reading was lost"))?.take();
        let receiver = taken.ok_or_else(|| PyRuntimeError::new_err("the body was already read"))?;
        py.detach(move || receiver.recv()).map_err(|_| PyRuntimeError::new_err("reading the body failed"))
    }
}

/// `body_facts` of `body` on the pool, while the caller parses the same bytes (`PendingBody.wait` answers).
#[pyfunction]
pub fn start_body(body: &Bound<'_, PyBytes>) -> PendingBody {
    let (at, len) = (body.as_bytes().as_ptr() as usize, body.as_bytes().len());
    let owner: Py<PyBytes> = body.clone().unbind();
    let (sender, receiver) = channel();
    rayon::spawn(move || {
        // SAFETY: the bytes of a `bytes` object never change, and `owner` keeps the object alive until the reading
        // is over (it is released afterwards, when a thread next holds the GIL).
        let text = unsafe { std::slice::from_raw_parts(at as *const u8, len) };
        // A panic on the pool would abort the process: the waiting thread is told the reading failed instead.
        let read = std::panic::catch_unwind(|| answer(facts(text)));
        drop(owner);
        if let Ok(read) = read {
            let _ = sender.send(read); // nobody waits any more when the receiver is gone
        }
    });
    PendingBody { read: Mutex::new(Some(receiver)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(text: &str) -> (usize, Option<String>, bool) {
        let f = facts(text.as_bytes());
        (f.depth, f.duplicate.map(|k| String::from_utf8_lossy(k).into_owned()), f.escaped_key)
    }

    #[test]
    fn depth_counts_brackets_outside_strings() {
        assert_eq!(of(r#"{"a": [1, {"b": "[[{{"}]}"#), (3, None, false));
        assert_eq!(of("[]"), (1, None, false));
        assert_eq!(of("7"), (0, None, false));
    }

    #[test]
    fn duplicates_are_per_object() {
        assert_eq!(of(r#"{"a": 1, "b": {"a": 2}, "c": "a"}"#), (2, None, false));
        assert_eq!(of(r#"{"a": 1, "b": 2, "a": 3}"#), (1, Some("a".into()), false));
        assert_eq!(of(r#"[{"k": 1}, {"k": 2}]"#), (2, None, false));
        assert_eq!(of(r#"{"x": {"k": 1, "k": 2}}"#), (2, Some("k".into()), false));
    }

    #[test]
    fn values_are_not_keys() {
        assert_eq!(of(r#"{"a": "a", "b": ["a", "a"], "c": "b"}"#), (2, None, false));
    }

    #[test]
    fn many_keys_go_through_a_set() {
        let keys: Vec<String> = (0..100).map(|i| format!("\"k{i}\": {i}")).collect();
        assert_eq!(of(&format!("{{{}}}", keys.join(","))), (1, None, false));
        assert_eq!(of(&format!("{{{}, \"k57\": 0}}", keys.join(","))), (1, Some("k57".into()), false));
    }

    #[test]
    fn escapes_in_keys_are_reported_and_skipped_in_strings() {
        assert_eq!(of(r#"{"a\"b": 1, "c": "\\\"}{"}"#), (1, None, true));
        assert_eq!(of(r#"{"a": "\"", "a": 1}"#), (1, Some("a".into()), false));
    }

    #[test]
    fn broken_text_is_answered_without_failing() {
        for text in ["{\"a", "{\"a\\", "]]]}", "{,,\"", "\"\\"] {
            let _ = facts(text.as_bytes());
        }
    }
}
