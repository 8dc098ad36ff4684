//! The proofs of an issued batch in one call (`ledger.issuance.pipeline.wrap_batch`): the same dictionaries, with
//! their keys in the same order, as the reference's loops write, the hex text of each tree node made once.

use std::collections::HashMap;

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString, PyTuple};

use crate::canonical::hex;
use crate::digest::Hash;
use crate::errors::value_error;
use crate::MerkleTree;

/// `0x` and the lowercase hex digits of `bytes`.
fn prefixed<'py>(py: Python<'py>, bytes: &[u8]) -> Bound<'py, PyString> {
    PyString::new(py, &format!("0x{}", hex(bytes)))
}

/// Give each document of a batch its proof: `type`, `suite`, `digest`, `salts`, `obfuscated` (empty), `merkleRoot`,
/// `merklePath`, `chainId`, `registry` and, when given, `signature` (the same object in every proof).
///
/// `salted` holds `(salts, digest)` of each document, as `salt_documents` returns them; `tree` is the batch's tree
/// over those digests.
#[pyfunction]
#[pyo3(signature = (documents, salted, tree, proof_type, suite, chain_id, registry, signature=None))]
#[allow(clippy::too_many_arguments)]
pub fn complete_proofs<'py>(
    py: Python<'py>,
    documents: &Bound<'py, PyList>,
    salted: &Bound<'py, PyList>,
    tree: &Bound<'py, MerkleTree>,
    proof_type: &Bound<'py, PyAny>,
    suite: &Bound<'py, PyAny>,
    chain_id: &Bound<'py, PyAny>,
    registry: &Bound<'py, PyAny>,
    signature: Option<&Bound<'py, PyAny>>,
) -> PyResult<()> {
    let tree = &tree.get().tree;
    if documents.len() != salted.len() || documents.len() != tree.len() {
        return Err(value_error(py, "one (salts, digest) pair and one tree leaf per document"));
    }
    let root = prefixed(py, tree.root());
    let mut nodes: HashMap<Hash, Bound<'py, PyString>> = HashMap::with_capacity(2 * tree.len());
    let signature = signature.filter(|s| !s.is_none());
    for (document, pair) in documents.iter().zip(salted.iter()) {
        let document = document.cast::<PyDict>()?;
        let pair = pair.cast::<PyTuple>()?;
        let (salts, digest) = (pair.get_item(0)?, pair.get_item(1)?);
        let digest = digest.cast::<PyBytes>()?.as_bytes();
        let Some(position) = tree.position(digest) else {
            return Err(value_error(py, &format!("0x{} is not a leaf of this tree", hex(digest))));
        };
        let path = PyList::empty(py);
        for node in tree.proof(position) {
            let text = nodes.entry(*node).or_insert_with(|| prefixed(py, node));
            path.append(&*text)?;
        }
        let proof = PyDict::new(py);
        proof.set_item("type", proof_type)?;
        proof.set_item("suite", suite)?;
        proof.set_item("digest", prefixed(py, digest))?;
        proof.set_item("salts", salts)?;
        proof.set_item("obfuscated", PyList::empty(py))?;
        proof.set_item("merkleRoot", &root)?;
        proof.set_item("merklePath", path)?;
        proof.set_item("chainId", chain_id)?;
        proof.set_item("registry", registry)?;
        if let Some(signature) = signature {
            proof.set_item("signature", signature)?;
        }
        document.set_item("proof", proof)?;
    }
    Ok(())
}
