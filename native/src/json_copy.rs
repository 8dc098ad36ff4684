//! Deep copies of credentials (`ledger.issuance.pipeline.copy_credential`): new dicts and lists, in the same
//! order, sharing the immutable text, numbers, booleans and `None` of the original. The reference (an orjson round
//! trip) gives an equal value of the same types for every value this copies; anything else is left to it.

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString};

/// Nesting orjson writes (it refuses deeper values, which the reference then copies with `json`).
const MAX_DEPTH: usize = 254;

/// A copy of `value`, or `None` where it holds anything the reference would change or refuse: a tuple, a subclass
/// of a JSON type, a key that is no text, a float that is not finite, nesting deeper than orjson's.
#[pyfunction]
pub fn copy_json<'py>(value: &Bound<'py, PyAny>) -> PyResult<Option<Bound<'py, PyAny>>> {
    copy(value, 0)
}

fn copy<'py>(value: &Bound<'py, PyAny>, depth: usize) -> PyResult<Option<Bound<'py, PyAny>>> {
    let py = value.py();
    if let Ok(dict) = value.cast_exact::<PyDict>() {
        if depth >= MAX_DEPTH {
            return Ok(None);
        }
        if dict.iter().all(|(key, item)| key.is_exact_instance_of::<PyString>() && shared(&item)) {
            return Ok(Some(dict.copy()?.into_any())); // no container inside: the table copied at once
        }
        let out = PyDict::new(py);
        for (key, item) in dict.iter() {
            if !key.is_exact_instance_of::<PyString>() {
                return Ok(None);
            }
            let Some(item) = copy(&item, depth + 1)? else { return Ok(None) };
            out.set_item(key, item)?;
        }
        return Ok(Some(out.into_any()));
    }
    if let Ok(list) = value.cast_exact::<PyList>() {
        if depth >= MAX_DEPTH {
            return Ok(None);
        }
        let mut items = Vec::with_capacity(list.len());
        for item in list.iter() {
            let Some(item) = copy(&item, depth + 1)? else { return Ok(None) };
            items.push(item);
        }
        return Ok(Some(PyList::new(py, items)?.into_any()));
    }
    Ok(shared(value).then(|| value.clone()))
}

/// Whether `value` is one the copy shares: text, a boolean, an integer, a finite float, `None`.
fn shared(value: &Bound<'_, PyAny>) -> bool {
    value.is_exact_instance_of::<PyString>()
        || value.is_none()
        || value.is_exact_instance_of::<PyBool>()
        || value.is_exact_instance_of::<PyInt>()
        || value.cast_exact::<PyFloat>().is_ok_and(|f| f.value().is_finite())
}
