//! The first value of a document that is not plain JSON within bounds (depth, count, text length, 64-bit
//! integers), found in one walk as `ledger.verification.checks.unsupported_value` walks it: the same order (a
//! stack, last pushed first), the same pointer and message.

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString};

enum Key<'py> {
    Name(Bound<'py, PyString>),
    Index(usize),
}

/// Where a value stands: its parent's place (an index into the places) and its key there.
struct Place<'py> {
    parent: Option<usize>,
    key: Key<'py>,
}

fn text_problem(text: &Bound<'_, PyString>, max_text: usize) -> PyResult<Option<String>> {
    if text.len()? > max_text {
        return Ok(Some(format!("text longer than {max_text} characters")));
    }
    if text.to_str().is_err() {
        return Ok(Some("text that is not valid Unicode (a lone surrogate)".to_owned()));
    }
    Ok(None)
}

fn pointer(places: &[Place<'_>], mut at: Option<usize>) -> PyResult<String> {
    let mut tokens = Vec::new();
    while let Some(i) = at {
        let place = &places[i];
        tokens.push(match &place.key {
            Key::Name(name) => name.to_str()?.replace('~', "~0").replace('/', "~1"),
            Key::Index(index) => index.to_string(),
        });
        at = place.parent;
    }
    Ok(tokens.iter().rev().map(|t| format!("/{t}")).collect())
}

/// The deepest nesting the quick pass below follows by recursion (deeper bounds take the walk alone).
const QUICK_DEPTH: usize = 512;

/// Bounds of one walk, and the values seen so far.
struct Quick {
    max_depth: usize,
    max_values: usize,
    max_text: usize,
    seen: usize,
}

impl Quick {
    /// Whether `value` (at `depth`) and everything in it is supported: what the walk below finds when it finds
    /// nothing, without spelling out a single place (most documents have no problem to report).
    fn plain(&mut self, value: &Bound<'_, PyAny>, depth: usize) -> PyResult<bool> {
        self.seen += 1;
        if self.seen > self.max_values {
            return Ok(false);
        }
        Ok(if let Ok(text) = value.cast::<PyString>() {
            text_problem(text, self.max_text)?.is_none()
        } else if let Ok(list) = value.cast::<PyList>() {
            if depth >= self.max_depth {
                return Ok(false);
            }
            for item in list.iter() {
                if !self.plain(&item, depth + 1)? {
                    return Ok(false);
                }
            }
            true
        } else if let Ok(dict) = value.cast::<PyDict>() {
            if depth >= self.max_depth {
                return Ok(false);
            }
            for (key, item) in dict.iter() {
                let named = key.cast::<PyString>().ok().map(|k| text_problem(k, self.max_text)).transpose()?;
                if !matches!(named, Some(None)) || !self.plain(&item, depth + 1)? {
                    return Ok(false);
                }
            }
            true
        } else if value.is_none() || value.is_instance_of::<PyBool>() {
            true
        } else if value.is_instance_of::<PyInt>() {
            value.extract::<i64>().is_ok()
        } else if let Ok(number) = value.cast::<PyFloat>() {
            number.value().is_finite()
        } else {
            false
        })
    }
}

/// `(pointer, code, message)` of the first unsupported value of `document`, or None.
#[pyfunction]
pub fn unsupported_value(
    document: &Bound<'_, PyAny>,
    max_depth: usize,
    max_values: usize,
    max_text: usize,
) -> PyResult<Option<(String, &'static str, String)>> {
    if max_depth <= QUICK_DEPTH {
        let mut quick = Quick { max_depth, max_values, max_text, seen: 0 };
        if quick.plain(document, 0)? {
            return Ok(None);
        }
    }
    let mut places: Vec<Place<'_>> = Vec::new();
    let mut stack: Vec<(Bound<'_, PyAny>, usize, Option<usize>)> = vec![(document.clone(), 0, None)];
    let mut seen = 0usize;
    while let Some((value, depth, mut place)) = stack.pop() {
        seen += 1;
        let mut reason = if let Ok(text) = value.cast::<PyString>() {
            text_problem(text, max_text)?
        } else if let Ok(list) = value.cast::<PyList>() {
            if depth >= max_depth {
                Some(format!("nested more than {max_depth} levels deep"))
            } else {
                for (i, item) in list.iter().enumerate() {
                    places.push(Place { parent: place, key: Key::Index(i) });
                    stack.push((item, depth + 1, Some(places.len() - 1)));
                }
                None
            }
        } else if let Ok(dict) = value.cast::<PyDict>() {
            if depth >= max_depth {
                Some(format!("nested more than {max_depth} levels deep"))
            } else {
                let mut bad = None;
                for (key, item) in dict.iter() {
                    let name = match key.cast_into::<PyString>() {
                        Ok(name) if text_problem(&name, max_text)?.is_none() => name,
                        _ => {
                            bad = Some("a member name that is not valid text".to_owned());
                            break;
                        }
                    };
                    places.push(Place { parent: place, key: Key::Name(name) });
                    stack.push((item, depth + 1, Some(places.len() - 1)));
                }
                bad
            }
        } else if value.is_none() || value.is_instance_of::<PyBool>() {
            None
        } else if value.is_instance_of::<PyInt>() {
            value.extract::<i64>().is_err().then(|| "an integer beyond 64 bits".to_owned())
        } else if let Ok(number) = value.cast::<PyFloat>() {
            (!number.value().is_finite()).then(|| "a number that is not finite".to_owned())
        } else {
            Some(format!("a {}, which is not JSON", value.get_type().name()?))
        };
        if reason.is_none() && seen > max_values {
            reason = Some(format!("more than {max_values} values"));
            place = None;
        }
        if let Some(reason) = reason {
            let at = pointer(&places, place)?;
            let shown = if at.is_empty() { "/" } else { at.as_str() };
            let message = format!("{shown}: {reason}");
            return Ok(Some((at, "unsupported_value", message)));
        }
    }
    Ok(None)
}

/// Whether a JSON text holds, outside its strings, a run of `digits` decimal digits or more: a number a parser
/// reading integers into 64 bits may turn into a float. Strings are skipped with their escapes; whatever is not
/// valid JSON is answered as it comes (the parser refuses such a text anyway).
#[pyfunction]
pub fn long_number(body: &[u8], digits: usize) -> bool {
    let mut run = 0usize;
    let mut at = 0;
    while at < body.len() {
        let byte = body[at];
        if byte.is_ascii_digit() {
            run += 1;
            if run >= digits {
                return true;
            }
        } else {
            run = 0;
            if byte == b'"' {
                at = crate::body::string_end(body, at).0; // strings skipped at memory speed
            }
        }
        at += 1;
    }
    false
}
