//! JSON documents the native core owns: copied out of Python objects of exact JSON types with the GIL held, then
//! read without it (`clearing`).
//!
//! Only the plain case is copied: dicts with string keys, lists, strings of valid Unicode, 64-bit integers,
//! booleans and None, each of its exact type (no subclasses), nested at most `MAX_DEPTH` deep. Floats are not
//! copied (JSON Schema's `integer` holds some of them, and their text forms differ): anything else makes the copy
//! fail, and the Python reference decides.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyInt, PyList, PyString};
use pyo3::{ffi, Borrowed};

/// The deepest nesting copied (the bundled schemas describe three levels).
pub const MAX_DEPTH: usize = 32;

/// A JSON value; an object keeps its keys in their order.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Int(i64),
    Str(Text),
    Arr(Vec<Json>),
    Obj(Vec<(Text, Json)>),
}

/// Text of a document: kept inline up to `INLINE` bytes (most member names, dates and codes), else on the heap.
#[derive(Debug, Clone)]
pub enum Text {
    Inline(u8, [u8; INLINE]),
    Heap(Box<str>),
}

const INLINE: usize = 22;

impl Text {
    pub fn new(text: &str) -> Text {
        if text.len() <= INLINE {
            let mut bytes = [0u8; INLINE];
            bytes[..text.len()].copy_from_slice(text.as_bytes());
            Text::Inline(text.len() as u8, bytes)
        } else {
            Text::Heap(text.into())
        }
    }
}

impl std::ops::Deref for Text {
    type Target = str;

    fn deref(&self) -> &str {
        match self {
            // SAFETY: the first `len` bytes are those of a `str` copied whole in `Text::new`.
            Text::Inline(len, bytes) => unsafe { std::str::from_utf8_unchecked(&bytes[..usize::from(*len)]) },
            Text::Heap(text) => text,
        }
    }
}

impl PartialEq for Text {
    fn eq(&self, other: &Text) -> bool {
        **self == **other
    }
}

impl Json {
    /// The member `name` of an object (None for other values and absent members).
    pub fn get(&self, name: &str) -> Option<&Json> {
        match self {
            // Short keys: compared inline (a call to `memcmp` for each costs more than the comparison).
            Json::Obj(members) => members
                .iter()
                .find(|(k, _)| k.len() == name.len() && k.bytes().zip(name.bytes()).all(|(a, b)| a == b))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::Str(text) => Some(text),
            _ => None,
        }
    }

    pub fn members(&self) -> Option<&[(Text, Json)]> {
        match self {
            Json::Obj(members) => Some(members),
            _ => None,
        }
    }

    pub fn items(&self) -> Option<&[Json]> {
        match self {
            Json::Arr(items) => Some(items),
            _ => None,
        }
    }

    /// JSON equality as JSON Schema means it (objects equal whatever their keys' order).
    pub fn json_equal(&self, other: &Json) -> bool {
        match (self, other) {
            (Json::Arr(a), Json::Arr(b)) => a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.json_equal(y)),
            (Json::Obj(a), Json::Obj(b)) => {
                a.len() == b.len() && a.iter().all(|(k, v)| other.get(k).is_some_and(|w| v.json_equal(w)))
            }
            _ => self == other,
        }
    }
}

impl AsRef<Json> for Json {
    fn as_ref(&self) -> &Json {
        self
    }
}

/// The owned copy of `value`, or None when any part of it is not plain JSON of exact types (see the module).
pub fn copy(value: &Bound<'_, PyAny>) -> PyResult<Option<Json>> {
    Limits::nesting().copy(value, 0)
}

/// `copy` of a dict without its member `skip` (a wrapped credential's `proof`).
pub fn copy_without(value: &Bound<'_, PyAny>, skip: &str) -> PyResult<Option<Json>> {
    let Ok(dict) = value.cast_exact::<PyDict>() else { return Ok(None) };
    Limits::nesting().object(dict, Some(skip), 0)
}

/// The bounds of a copy as `plain::unsupported_value` sets them: nesting (a container at `max_depth` or deeper
/// is refused, the top one at 0), values seen (containers included) and text length in characters (member
/// names too). A copy within them is a document that walk finds nothing in.
pub struct Limits {
    max_depth: usize,
    max_values: usize,
    max_text: usize,
    seen: usize,
}

impl Limits {
    pub fn new(max_depth: usize, max_values: usize, max_text: usize) -> Limits {
        Limits { max_depth: max_depth.min(MAX_DEPTH), max_values, max_text, seen: 0 }
    }

    /// Only the nesting bound (`MAX_DEPTH`).
    pub fn nesting() -> Limits {
        Limits::new(MAX_DEPTH, usize::MAX, usize::MAX)
    }

    fn text<'a>(&self, text: &'a Bound<'_, PyString>) -> Option<&'a str> {
        let text = text.to_str().ok()?;
        (text.len() <= self.max_text || text.chars().count() <= self.max_text).then_some(text)
    }

    /// The copy of `value`, which stands at `depth`.
    pub fn copy(&mut self, value: &Bound<'_, PyAny>, depth: usize) -> PyResult<Option<Json>> {
        self.seen += 1;
        if self.seen > self.max_values {
            return Ok(None);
        }
        if let Ok(text) = value.cast_exact::<PyString>() {
            return Ok(self.text(text).map(|t| Json::Str(Text::new(t))));
        }
        if let Ok(dict) = value.cast_exact::<PyDict>() {
            self.seen -= 1; // `object` counts it
            return self.object(dict, None, depth);
        }
        if let Ok(list) = value.cast_exact::<PyList>() {
            if depth >= self.max_depth {
                return Ok(None);
            }
            let py = list.py();
            let mut items = Vec::with_capacity(list.len());
            for index in 0..list.len() {
                // SAFETY: a borrowed reference to an item of a list the GIL holder does not change while it reads
                // it (no Python code runs during the copy); the index is within the list.
                let item =
                    unsafe { Borrowed::from_ptr(py, ffi::PyList_GetItem(list.as_ptr(), index as ffi::Py_ssize_t)) };
                let Some(copied) = self.copy(&item, depth + 1)? else { return Ok(None) };
                items.push(copied);
            }
            return Ok(Some(Json::Arr(items)));
        }
        if value.is_none() {
            return Ok(Some(Json::Null));
        }
        if let Ok(flag) = value.cast_exact::<PyBool>() {
            return Ok(Some(Json::Bool(flag.is_true())));
        }
        if let Ok(int) = value.cast_exact::<PyInt>() {
            return Ok(int.extract::<i64>().ok().map(Json::Int));
        }
        Ok(None)
    }

    /// The copy of a dict at `depth`, without its member `skip`.
    pub fn object(&mut self, dict: &Bound<'_, PyDict>, skip: Option<&str>, depth: usize) -> PyResult<Option<Json>> {
        self.seen += 1;
        if depth >= self.max_depth || self.seen > self.max_values {
            return Ok(None);
        }
        let py = dict.py();
        let mut members = Vec::with_capacity(dict.len());
        let (mut at, mut key, mut item): (ffi::Py_ssize_t, *mut ffi::PyObject, *mut ffi::PyObject) =
            (0, std::ptr::null_mut(), std::ptr::null_mut());
        // SAFETY: `PyDict_Next` lends the members of a dict the GIL holder does not change while it reads them
        // (no Python code runs during the copy).
        while unsafe { ffi::PyDict_Next(dict.as_ptr(), &mut at, &mut key, &mut item) } != 0 {
            let (key, item) = unsafe { (Borrowed::from_ptr(py, key), Borrowed::from_ptr(py, item)) };
            let Ok(key) = key.cast_exact::<PyString>() else { return Ok(None) };
            let Some(key) = self.text(&key) else { return Ok(None) };
            if skip == Some(key) {
                continue;
            }
            let Some(copied) = self.copy(&item, depth + 1)? else { return Ok(None) };
            members.push((Text::new(key), copied));
        }
        Ok(Some(Json::Obj(members)))
    }
}

/// FNV-1a: a quick hash for the small sets and tables looked up by keys of documents (property names, region
/// codes, pointers), which nobody fills from a document.
pub struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

pub type FastHash = BuildHasherDefault<Fnv>;
pub type FastMap<K, V> = HashMap<K, V, FastHash>;
pub type FastSet<K> = HashSet<K, FastHash>;
