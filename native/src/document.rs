//! The field walk over Python objects: every scalar outside the top-level `proof`, with its RFC 6901
//! pointer and the RFC 8785 form of `,"<pointer>",<value>]` (the JCS triple after its salt).
//!
//! Errors mirror the Python reference: a malformed document (not an object, a non-string key) is reported
//! before any field; of the fields' own errors (a lone surrogate, a number without a canonical form, a
//! value that is not a JSON scalar) the first in document order is reported.

use std::ops::Range;

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString};

use crate::canonical::{push_json_string, push_number};
use crate::errors::{format, value_error, value_error_formatted};
use crate::owned::Json;

const SURROGATES: &str = "strings must be valid Unicode (no lone surrogates)";
const SAFE_INTEGER: i64 = 1 << 53;

/// The UTF-8 of a Python string; lone surrogates are kept (as `surrogatepass` writes them) and flagged.
pub fn utf8_of<'a>(s: &'a Bound<'_, PyString>) -> PyResult<(std::borrow::Cow<'a, [u8]>, bool)> {
    match s.to_str() {
        Ok(text) => Ok((text.as_bytes().into(), true)),
        Err(_) => {
            let raw = s.call_method1("encode", ("utf-8", "surrogatepass"))?;
            Ok((raw.extract::<Vec<u8>>()?.into(), false))
        }
    }
}

/// A Python string from bytes `utf8_of` wrote.
pub fn str_of<'py>(py: Python<'py>, bytes: &[u8]) -> PyResult<Bound<'py, PyString>> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(PyString::new(py, text)),
        Err(_) => Ok(pyo3::types::PyBytes::new(py, bytes)
            .call_method1("decode", ("utf-8", "surrogatepass"))?
            .cast_into::<PyString>()?),
    }
}

/// Appends the JSON string of a Python string, refusing lone surrogates.
pub fn push_py_string(py: Python<'_>, out: &mut Vec<u8>, s: &Bound<'_, PyString>) -> PyResult<()> {
    match s.to_str() {
        Ok(text) => {
            push_json_string(out, text.as_bytes());
            Ok(())
        }
        Err(_) => Err(value_error(py, SURROGATES)),
    }
}

fn no_canonical_form(value: &Bound<'_, PyAny>, reason: String) -> PyResult<PyErr> {
    Ok(value_error(value.py(), &format!("number {} has no canonical JSON form: {reason}", value.repr()?)))
}

/// Appends the RFC 8785 form of a JSON scalar.
pub fn push_scalar(out: &mut Vec<u8>, value: &Bound<'_, PyAny>) -> PyResult<()> {
    let py = value.py();
    if value.is_none() {
        out.extend_from_slice(b"null");
    } else if let Ok(flag) = value.cast::<PyBool>() {
        out.extend_from_slice(if flag.is_true() { b"true" } else { b"false" });
    } else if let Ok(text) = value.cast::<PyString>() {
        push_py_string(py, out, text)?;
    } else if value.is_instance_of::<PyInt>() {
        match value.extract::<i64>() {
            Ok(n) if -SAFE_INTEGER < n && n < SAFE_INTEGER => {
                if value.is_exact_instance_of::<PyInt>() {
                    out.extend_from_slice(n.to_string().as_bytes());
                } else {
                    out.extend_from_slice(value.str()?.to_str()?.as_bytes());
                }
            }
            _ => {
                let reason = format!("{} exceeds safe integer domain for JSON floats", value.str()?);
                return Err(no_canonical_form(value, reason)?);
            }
        }
    } else if let Ok(number) = value.cast::<PyFloat>() {
        let f = number.value();
        if !push_number(out, f) {
            let reason = format!("{} is not representable in JCS", value.str()?);
            return Err(no_canonical_form(value, reason)?);
        }
    } else {
        let name = value.get_type().name()?;
        return Err(value_error(py, &format!("not a JSON scalar: {name}")));
    }
    Ok(())
}

/// One field: where its pointer (UTF-8, lone surrogates as `surrogatepass` writes them) and its encoded tail
/// `,"<pointer>",<value>]` stand in `Fields::text`, or the error its pointer or value raises.
pub struct Field {
    pub pointer: Range<usize>,
    pub tail: Result<Range<usize>, PyErr>,
    pub is_null: bool,
}

/// The fields of one document, their pointers and tails written one after another in `text`.
pub struct Fields {
    pub text: Vec<u8>,
    pub items: Vec<Field>,
}

/// Every field of `document` in document order; the walk itself fails (whatever its fields hold, as the
/// reference lists the fields first) on a malformed document. The walk keeps its own stack, so no nesting
/// depth exhausts the native one.
pub fn fields(document: &Bound<'_, PyAny>) -> PyResult<Fields> {
    let py = document.py();
    let Ok(top) = document.cast::<PyDict>() else {
        return Err(value_error(py, "a certificate document must be a JSON object"));
    };
    let mut walker = Walker {
        pointer: Vec::with_capacity(128),
        invalid: 0,
        out: Fields { text: Vec::with_capacity(4096), items: Vec::with_capacity(32) },
    };
    walker.walk(top)?;
    Ok(walker.out)
}

type Obj<'py> = Bound<'py, PyAny>;

fn items<'py>(dict: &Bound<'py, PyDict>) -> PyResult<Vec<(Obj<'py>, Obj<'py>)>> {
    if dict.is_exact_instance_of::<PyDict>() {
        return Ok(dict.iter().collect());
    }
    dict.call_method0("items")?.try_iter()?.map(|item| item?.extract::<(Obj<'py>, Obj<'py>)>()).collect()
}

fn elements<'py>(list: &Bound<'py, PyList>) -> PyResult<Vec<Obj<'py>>> {
    if list.is_exact_instance_of::<PyList>() {
        return Ok(list.iter().collect());
    }
    list.try_iter()?.collect()
}

enum Children<'py> {
    Members(std::vec::IntoIter<(Obj<'py>, Obj<'py>)>),
    Elements(std::iter::Enumerate<std::vec::IntoIter<Obj<'py>>>),
}

/// An object or array being walked: what is left of it, and the pointer (its length and how many of its
/// tokens hold lone surrogates) it stands at.
struct Frame<'py> {
    children: Children<'py>,
    at: usize,
    invalid: usize,
    top: bool,
}

impl<'py> Frame<'py> {
    fn of(value: &Obj<'py>, at: usize, invalid: usize) -> PyResult<Option<Frame<'py>>> {
        let children = if let Ok(dict) = value.cast::<PyDict>() {
            Children::Members(items(dict)?.into_iter())
        } else if let Ok(list) = value.cast::<PyList>() {
            Children::Elements(elements(list)?.into_iter().enumerate())
        } else {
            return Ok(None);
        };
        Ok(Some(Frame { children, at, invalid, top: false }))
    }
}

struct Walker {
    pointer: Vec<u8>,
    /// How many tokens of `pointer` hold lone surrogates.
    invalid: usize,
    out: Fields,
}

impl Walker {
    fn walk<'py>(&mut self, top: &Bound<'py, PyDict>) -> PyResult<()> {
        let py = top.py();
        let mut stack =
            vec![Frame { children: Children::Members(items(top)?.into_iter()), at: 0, invalid: 0, top: true }];
        while let Some(frame) = stack.last_mut() {
            self.pointer.truncate(frame.at);
            self.invalid = frame.invalid;
            let child = match &mut frame.children {
                Children::Members(members) => match members.next() {
                    None => None,
                    Some((key, child)) => {
                        let Ok(key) = key.cast::<PyString>() else {
                            if frame.top {
                                // The reference escapes a top-level key as a string: a non-string one fails there.
                                key.call_method1("replace", ("~", "~0"))?;
                            }
                            let at = str_of(py, if frame.top { b"/" } else { &self.pointer })?;
                            return Err(value_error_formatted(py, format(py, "non-string key at {}", at.as_any())?));
                        };
                        if frame.top && key.to_str().is_ok_and(|k| k == "proof") {
                            continue;
                        }
                        self.push_key(key)?;
                        Some(child)
                    }
                },
                Children::Elements(elements) => elements.next().map(|(i, child)| {
                    self.pointer.push(b'/');
                    self.pointer.extend_from_slice(i.to_string().as_bytes());
                    child
                }),
            };
            let Some(child) = child else {
                stack.pop();
                continue;
            };
            match Frame::of(&child, self.pointer.len(), self.invalid)? {
                Some(inner) => stack.push(inner),
                None => self.leaf(&child),
            }
        }
        Ok(())
    }

    fn push_key(&mut self, key: &Bound<'_, PyString>) -> PyResult<()> {
        let (bytes, valid) = utf8_of(key)?;
        self.pointer.push(b'/');
        for &b in bytes.iter() {
            match b {
                b'~' => self.pointer.extend_from_slice(b"~0"),
                b'/' => self.pointer.extend_from_slice(b"~1"),
                _ => self.pointer.push(b),
            }
        }
        self.invalid += usize::from(!valid);
        Ok(())
    }

    fn leaf(&mut self, value: &Obj<'_>) {
        let text = &mut self.out.text;
        let start = text.len();
        text.extend_from_slice(&self.pointer);
        let pointer = start..text.len();
        let tail = match self.push_tail(value) {
            Ok(()) => Ok(pointer.end..self.out.text.len()),
            Err(e) => {
                self.out.text.truncate(pointer.end);
                Err(e)
            }
        };
        self.out.items.push(Field { pointer, tail, is_null: value.is_none() });
    }

    fn push_tail(&mut self, value: &Obj<'_>) -> PyResult<()> {
        if self.invalid > 0 {
            return Err(value_error(value.py(), SURROGATES));
        }
        let text = &mut self.out.text;
        text.push(b',');
        push_json_string(text, &self.pointer);
        text.push(b',');
        push_scalar(text, value)?;
        text.push(b']');
        Ok(())
    }
}

/// A field of a document as matched with its salt: `Field` without its error (a tail that cannot be written is
/// None: the reference tells why).
pub struct PlainField {
    pub pointer: Range<usize>,
    pub tail: Option<Range<usize>>,
    pub is_null: bool,
}

/// `Fields` of either walk, the Python objects' or an owned document's.
#[derive(Default)]
pub struct PlainFields {
    pub text: Vec<u8>,
    pub items: Vec<PlainField>,
}

impl From<Fields> for PlainFields {
    fn from(found: Fields) -> PlainFields {
        let items = found
            .items
            .into_iter()
            .map(|f| PlainField { pointer: f.pointer, tail: f.tail.ok(), is_null: f.is_null })
            .collect();
        PlainFields { text: found.text, items }
    }
}

/// The fields of an owned document's body (its `proof` already left out) into `out` (its buffers reused), as
/// `fields` finds them in the Python objects: every scalar in document order, its pointer and tail.
pub fn json_fields(body: &Json, out: &mut PlainFields) {
    out.text.clear();
    out.items.clear();
    let mut pointer = Vec::with_capacity(128);
    walk_json(body, &mut pointer, out);
}

fn walk_json(value: &Json, pointer: &mut Vec<u8>, out: &mut PlainFields) {
    match value {
        Json::Obj(members) => {
            for (key, item) in members {
                let at = pointer.len();
                pointer.push(b'/');
                for &b in key.as_bytes() {
                    match b {
                        b'~' => pointer.extend_from_slice(b"~0"),
                        b'/' => pointer.extend_from_slice(b"~1"),
                        _ => pointer.push(b),
                    }
                }
                walk_json(item, pointer, out);
                pointer.truncate(at);
            }
        }
        Json::Arr(items) => {
            for (index, item) in items.iter().enumerate() {
                let at = pointer.len();
                pointer.push(b'/');
                pointer.extend_from_slice(index.to_string().as_bytes());
                walk_json(item, pointer, out);
                pointer.truncate(at);
            }
        }
        scalar => {
            let text = &mut out.text;
            let start = text.len();
            text.extend_from_slice(pointer);
            let end = text.len();
            text.push(b',');
            push_json_string(text, pointer);
            text.push(b',');
            match scalar {
                Json::Null => text.extend_from_slice(b"null"),
                Json::Bool(flag) => text.extend_from_slice(if *flag { b"true" } else { b"false" }),
                Json::Str(s) => push_json_string(text, s.as_bytes()),
                Json::Int(n) if -SAFE_INTEGER < *n && *n < SAFE_INTEGER => {
                    text.extend_from_slice(n.to_string().as_bytes())
                }
                _ => {
                    text.truncate(end);
                    out.items.push(PlainField { pointer: start..end, tail: None, is_null: false });
                    return;
                }
            }
            text.push(b']');
            let tail = Some(end..text.len());
            out.items.push(PlainField { pointer: start..end, tail, is_null: matches!(scalar, Json::Null) });
        }
    }
}
