//! The Python package's exception classes, bound once at import (`bind_errors`); `ValueError` until then.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyType;

static ERRORS: PyOnceLock<(Py<PyType>, Py<PyType>)> = PyOnceLock::new();

fn raise(py: Python<'_>, integrity: bool, message: &str) -> PyErr {
    match ERRORS.get(py) {
        Some((value, proof)) => {
            let class = if integrity { proof } else { value };
            PyErr::from_type(class.bind(py).clone(), message.to_owned())
        }
        None => PyValueError::new_err(message.to_owned()),
    }
}

/// A value that cannot be hashed (the package's `LedgerValueError`).
pub fn value_error(py: Python<'_>, message: &str) -> PyErr {
    raise(py, false, message)
}

/// A wrapped document whose proof does not hold together (the package's `IntegrityError`).
pub fn integrity_error(py: Python<'_>, message: &str) -> PyErr {
    raise(py, true, message)
}

/// Binds the classes raised for refused values and for broken proofs (both subclasses of `ValueError`).
#[pyfunction]
pub fn bind_errors(py: Python<'_>, value_error: Bound<'_, PyType>, integrity_error: Bound<'_, PyType>) -> PyResult<()> {
    let _ = ERRORS.set(py, (value_error.unbind(), integrity_error.unbind()));
    Ok(())
}
