//! JSON documents the native core owns: copied out of Python objects of exact JSON types with the GIL held, then
//! read without it (`clearing`).
//!
//! Only the plain case is copied: dicts with string keys, lists, strings of valid Unicode, 64-bit integers,
//! booleans and None, each of its exact type (no subclasses), nested at most `MAX_DEPTH` deep. Floats are not
//! copied (JSON Schema's `integer` holds some of them, and their text forms differ): anything else makes the copy
//! fail, and the Python reference decides.

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyInt, PyList, PyString};

/// The deepest nesting copied (the bundled schemas describe three levels).
pub const MAX_DEPTH: usize = 32;

/// A JSON value; an object keeps its keys in their order.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Int(i64),
    Str(Box<str>),
    Arr(Vec<Json>),
    Obj(Vec<(Box<str>, Json)>),
}

impl Json {
    /// The member `name` of an object (None for other values and absent members).
    pub fn get(&self, name: &str) -> Option<&Json> {
        match self {
            Json::Obj(members) => members.iter().find(|(k, _)| &**k == name).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::Str(text) => Some(text),
            _ => None,
        }
    }

    pub fn members(&self) -> Option<&[(Box<str>, Json)]> {
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

/// The owned copy of `value`, or None when any part of it is not plain JSON of exact types (see the module).
pub fn copy(value: &Bound<'_, PyAny>) -> PyResult<Option<Json>> {
    copy_at(value, 0)
}

/// `copy` of a dict without its member `skip` (a wrapped credential's `proof`).
pub fn copy_without(value: &Bound<'_, PyAny>, skip: &str) -> PyResult<Option<Json>> {
    let Ok(dict) = value.cast_exact::<PyDict>() else { return Ok(None) };
    object(dict, Some(skip), 0)
}

fn copy_at(value: &Bound<'_, PyAny>, depth: usize) -> PyResult<Option<Json>> {
    if let Ok(text) = value.cast_exact::<PyString>() {
        return Ok(text.to_str().ok().map(|t| Json::Str(t.into())));
    }
    if let Ok(dict) = value.cast_exact::<PyDict>() {
        return object(dict, None, depth);
    }
    if let Ok(list) = value.cast_exact::<PyList>() {
        if depth >= MAX_DEPTH {
            return Ok(None);
        }
        let mut items = Vec::with_capacity(list.len());
        for item in list.iter() {
            let Some(copied) = copy_at(&item, depth + 1)? else { return Ok(None) };
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

fn object(dict: &Bound<'_, PyDict>, skip: Option<&str>, depth: usize) -> PyResult<Option<Json>> {
    if depth >= MAX_DEPTH {
        return Ok(None);
    }
    let mut members = Vec::with_capacity(dict.len());
    for (key, item) in dict.iter() {
        let Ok(key) = key.cast_exact::<PyString>() else { return Ok(None) };
        let Ok(key) = key.to_str() else { return Ok(None) };
        if skip == Some(key) {
            continue;
        }
        let Some(copied) = copy_at(&item, depth + 1)? else { return Ok(None) };
        members.push((key.into(), copied));
    }
    Ok(Some(Json::Obj(members)))
}
