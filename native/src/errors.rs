//! The Python package's exception classes, bound once at import (`bind_errors`); `ValueError` until then.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyString, PyType};
use pyo3::PyErrArguments;

static ERRORS: PyOnceLock<(Py<PyType>, Py<PyType>)> = PyOnceLock::new();

fn raise<A: PyErrArguments + Send + Sync + 'static>(py: Python<'_>, integrity: bool, message: A) -> PyErr {
    match ERRORS.get(py) {
        Some((value, proof)) => {
            let class = if integrity { proof } else { value };
            PyErr::from_type(class.bind(py).clone(), message)
        }
        None => PyValueError::new_err(message),
    }
}

/// `template.format(arg)` as Python writes it (lone surrogates in `arg` kept).
pub fn format(py: Python<'_>, template: &str, arg: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
    Ok(PyString::new(py, template).call_method1("format", (arg,))?.unbind())
}

/// A value that cannot be hashed (the package's `LedgerValueError`).
pub fn value_error(py: Python<'_>, message: &str) -> PyErr {
    raise(py, false, message.to_owned())
}

/// A `value_error` whose message Python formatted (`format`).
pub fn value_error_formatted(py: Python<'_>, message: Py<PyAny>) -> PyErr {
    raise(py, false, message)
}

/// A wrapped document whose proof does not hold together (the package's `IntegrityError`).
pub fn integrity_error(py: Python<'_>, message: &str) -> PyErr {
    raise(py, true, message.to_owned())
}

/// An `integrity_error` whose message Python formatted (`format`).
pub fn integrity_error_formatted(py: Python<'_>, message: Py<PyAny>) -> PyErr {
    raise(py, true, message)
}

/// Binds the classes raised for refused values and for broken proofs (both subclasses of `ValueError`).
#[pyfunction]
pub fn bind_errors(py: Python<'_>, value_error: Bound<'_, PyType>, integrity_error: Bound<'_, PyType>) -> PyResult<()> {
    let _ = ERRORS.set(py, (value_error.unbind(), integrity_error.unbind()));
    Ok(())
}
