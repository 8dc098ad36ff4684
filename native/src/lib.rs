//! `hurong_native`: salted field hashing, canonical JSON, Merkle trees and the validation of licence records
//! for `ledger.certificates`.
//!
//! A thin layer: `ledger.certificates.hashing` and `ledger.certificates.merkle` own the API and its
//! documentation and keep the pure-Python reference; every function here returns the same bytes and raises
//! the same exceptions (bound with `bind_errors`) as its reference.

use std::collections::HashMap;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod array_text;
mod body;
mod canonical;
mod clearing;
mod digest;
mod document;
mod errors;
mod issue_batch;
mod json_copy;
mod merkle;
mod owned;
mod plain;
mod sealing;
mod validation;
mod verify_batch;

use pyo3::exceptions::PyOSError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString, PyTuple};
use rayon::prelude::*;

use canonical::{hex, push_json_string};
use digest::{Hash, Suite, SALT_BYTES};
use document::{fields, push_py_string, push_scalar, str_of, utf8_of, Field, Fields};
use errors::{format, integrity_error, integrity_error_formatted, value_error};

/// Any Python object the GIL holder borrows.
type Obj<'py> = Bound<'py, PyAny>;

/// Batches at least this large are hashed on all cores.
const PARALLEL_DOCUMENTS: usize = 64;

fn suite_of(suite: &Bound<'_, PyAny>) -> PyResult<Suite> {
    if let Ok(name) = suite.cast::<PyString>() {
        if let Some(parsed) = name.to_str().ok().and_then(Suite::parse) {
            return Ok(parsed);
        }
    }
    let message = format!("unknown hash suite {}; expected one of default, sm", suite.repr()?);
    Err(value_error(suite.py(), &message))
}

fn random_salts(count: usize) -> PyResult<Vec<[u8; 2 * SALT_BYTES]>> {
    digest::new_salts(count).map_err(|e| PyOSError::new_err(format!("no randomness from the system: {e}")))
}

fn bytes<'py>(py: Python<'py>, data: &[u8]) -> Bound<'py, PyBytes> {
    PyBytes::new(py, data)
}

/// `H(["<salt>",<tail>)`, the field hash of a salt already written as JSON-safe text.
fn salted(suite: Suite, salt: &[u8], tail: &[u8]) -> Hash {
    suite.hash_parts(&[b"[\"", salt, b"\"", tail])
}

#[pyfunction]
fn canonical_scalar(value: &Bound<'_, PyAny>) -> PyResult<String> {
    let mut out = Vec::with_capacity(32);
    push_scalar(&mut out, value)?;
    Ok(String::from_utf8(out).expect("canonical JSON is UTF-8"))
}

#[pyfunction]
fn field_hash<'py>(
    py: Python<'py>,
    suite: &Obj<'py>,
    salt: &Bound<'py, PyString>,
    pointer: &Bound<'py, PyString>,
    value: &Obj<'py>,
) -> PyResult<Bound<'py, PyBytes>> {
    let mut text = Vec::with_capacity(96);
    text.push(b'[');
    push_py_string(py, &mut text, salt)?;
    text.push(b',');
    push_py_string(py, &mut text, pointer)?;
    text.push(b',');
    push_scalar(&mut text, value)?;
    text.push(b']');
    Ok(bytes(py, &suite_of(suite)?.hash(&text)))
}

#[pyfunction]
fn combine<'py>(py: Python<'py>, suite: &Obj<'py>, hashes: &Obj<'py>) -> PyResult<Bound<'py, PyBytes>> {
    let suite = suite_of(suite)?;
    let parts: Vec<Vec<u8>> = hashes.try_iter()?.map(|h| h?.extract::<Vec<u8>>()).collect::<PyResult<_>>()?;
    Ok(bytes(py, &suite.combine(parts)))
}

#[pyfunction]
fn new_salt() -> PyResult<String> {
    Ok(String::from_utf8(random_salts(1)?[0].to_vec()).expect("hex digits are ASCII"))
}

/// The fields of a document, all encoded, or the error the reference raises for it (`suite` is checked where
/// the reference checks it: after the walk, before the fields).
fn encoded(document: &Bound<'_, PyAny>, suite: &Bound<'_, PyAny>) -> PyResult<(Suite, Fields)> {
    let found = fields(document)?;
    let suite = suite_of(suite)?;
    if let Some(i) = found.items.iter().position(|f| f.tail.is_err()) {
        let Fields { mut items, .. } = found;
        return Err(items.swap_remove(i).tail.expect_err("an error"));
    }
    if found.items.is_empty() {
        return Err(value_error(document.py(), "a certificate document has no fields to hash"));
    }
    Ok((suite, found))
}

fn tail<'a>(text: &'a [u8], field: &Field) -> &'a [u8] {
    field.tail.as_ref().map_or(&[], |range| &text[range.clone()])
}

/// Pointer strings shared by the salt dictionaries of a batch (their pointers repeat across documents).
#[derive(Default)]
struct Pointers(HashMap<Vec<u8>, Py<PyString>>);

impl Pointers {
    fn get<'py>(&mut self, py: Python<'py>, pointer: &[u8]) -> PyResult<Bound<'py, PyString>> {
        if let Some(s) = self.0.get(pointer) {
            return Ok(s.bind(py).clone());
        }
        let s = str_of(py, pointer)?;
        self.0.insert(pointer.to_vec(), s.clone().unbind());
        Ok(s)
    }
}

#[pyfunction]
#[pyo3(signature = (document, suite, salt=None))]
fn salt_fields<'py>(
    py: Python<'py>,
    document: &Obj<'py>,
    suite: &Obj<'py>,
    salt: Option<&Obj<'py>>,
) -> PyResult<(Bound<'py, PyDict>, Bound<'py, PyBytes>)> {
    let Fields { text, items } = fields(document)?;
    // Drawn salts are written into the triple unescaped, as `format(salt)`, and encoded with it.
    let salts: Vec<(Bound<'py, PyAny>, Option<Vec<u8>>)> = match salt {
        None => random_salts(items.len())?
            .into_iter()
            .map(|s| (PyString::new(py, std::str::from_utf8(&s).expect("hex")).into_any(), Some(s.to_vec())))
            .collect(),
        Some(draw) => (0..items.len()).map(|_| Ok((draw.call0()?, None))).collect::<PyResult<_>>()?,
    };
    let suite = suite_of(suite)?;
    let out = PyDict::new(py);
    let mut hashes = Vec::with_capacity(items.len());
    let mut pointers = Pointers::default();
    for (field, (object, salt_text)) in items.into_iter().zip(salts) {
        out.set_item(pointers.get(py, &text[field.pointer.clone()])?, &object)?;
        let hash = match salt_text {
            Some(salt_text) => salted(suite, &salt_text, &text[field.tail?]),
            None => {
                let head = PyString::new(py, "[\"{}\"").call_method1("format", (&object,))?;
                let tail = &text[field.tail?];
                let head = head.call_method0("encode")?.extract::<Vec<u8>>()?; // lone surrogates fail here
                suite.hash_parts(&[&head, tail])
            }
        };
        hashes.push(hash);
    }
    if hashes.is_empty() {
        return Err(value_error(py, "a certificate document has no fields to hash"));
    }
    Ok((out, bytes(py, &suite.combine(hashes))))
}

/// `salt_fields` of every document (fresh random salts), hashed on all cores without the GIL.
#[pyfunction]
fn salt_documents<'py>(py: Python<'py>, documents: &Obj<'py>, suite: &Obj<'py>) -> PyResult<Bound<'py, PyList>> {
    let mut prepared: Vec<(Suite, Fields)> = Vec::new();
    for document in documents.try_iter()? {
        prepared.push(encoded(&document?, suite)?);
    }
    let total: usize = prepared.iter().map(|(_, f)| f.items.len()).sum();
    let hashed: PyResult<(Vec<[u8; 32]>, Vec<Hash>)> = py.detach(|| {
        let salts = random_salts(total)?;
        let mut offsets = Vec::with_capacity(prepared.len());
        let mut at = 0;
        for (_, f) in &prepared {
            offsets.push(at);
            at += f.items.len();
        }
        let digest_of = |(i, (suite, found)): (usize, &(Suite, Fields))| -> Hash {
            let own = &salts[offsets[i]..offsets[i] + found.items.len()];
            let hashes = found.items.iter().zip(own).map(|(f, s)| salted(*suite, s, tail(&found.text, f)));
            suite.combine(hashes.collect())
        };
        let digests = if prepared.len() >= PARALLEL_DOCUMENTS {
            prepared.par_iter().enumerate().map(digest_of).collect()
        } else {
            prepared.iter().enumerate().map(digest_of).collect()
        };
        Ok((salts, digests))
    });
    let (salts, digests) = hashed?;
    let out = PyList::empty(py);
    let mut pointers = Pointers::default();
    let mut next = salts.iter();
    for ((_, found), digest) in prepared.iter().zip(&digests) {
        let dict = PyDict::new(py);
        for (field, s) in found.items.iter().zip(&mut next) {
            let pointer = pointers.get(py, &found.text[field.pointer.clone()])?;
            dict.set_item(pointer, std::str::from_utf8(s).expect("hex"))?;
        }
        out.append(PyTuple::new(py, [dict.into_any(), bytes(py, digest).into_any()])?)?;
    }
    Ok(out)
}

/// `^[0-9a-f]{n}$` as Python's `re` reads it (`$` also matches before one final newline).
fn lower_hex(text: &str, digits: usize) -> bool {
    let body = text.strip_suffix('\n').unwrap_or(text);
    body.len() == digits && body.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// `mapping.get(key)`: a dict's item, or whatever another object's `get` answers (or raises).
fn get<'py>(mapping: &Obj<'py>, key: &str) -> PyResult<Option<Bound<'py, PyAny>>> {
    match mapping.cast::<PyDict>() {
        Ok(dict) => dict.get_item(key),
        Err(_) => {
            let found = mapping.call_method1("get", (key,))?;
            Ok(if found.is_none() { None } else { Some(found) })
        }
    }
}

struct Salt {
    text: Vec<u8>,
    seen: bool,
}

struct ProofParts<'py> {
    suite: Suite,
    salts: HashMap<Vec<u8>, Salt>,
    keys: Vec<Bound<'py, PyAny>>,
    obfuscated: Vec<Hash>,
}

fn proof_parts<'py>(document: &Obj<'py>) -> PyResult<ProofParts<'py>> {
    let py = document.py();
    let proof = get(document, "proof")?;
    let Some(proof) = proof.as_ref().and_then(|p| p.cast::<PyDict>().ok()) else {
        return Err(integrity_error(py, "the document has no proof object"));
    };
    let suite = match proof.get_item("suite")? {
        Some(s) if s.is_instance_of::<PyString>() => suite_of(&s)?,
        _ => return Err(integrity_error(py, "proof.suite must name a hash suite")),
    };
    let salts_refused = || integrity_error(py, "proof.salts must map JSON Pointers to 32 lowercase hex digits");
    let salts_object = proof.get_item("salts")?;
    let Some(salts_dict) = salts_object.as_ref().and_then(|s| s.cast::<PyDict>().ok()) else {
        return Err(salts_refused());
    };
    let mut salts = HashMap::with_capacity(salts_dict.len());
    let mut keys = Vec::with_capacity(salts_dict.len());
    for (key, value) in salts_dict.iter() {
        let text = match value.cast::<PyString>().ok().and_then(|v| v.to_str().ok()) {
            Some(t) if lower_hex(t, 32) => t.as_bytes().to_vec(),
            _ => return Err(salts_refused()),
        };
        if let Ok(k) = key.cast::<PyString>() {
            salts.insert(utf8_of(k)?.0.into_owned(), Salt { text, seen: false });
        }
        keys.push(key);
    }
    let mut obfuscated = Vec::new();
    if let Some(list) = proof.get_item("obfuscated")? {
        let refused = || integrity_error(py, "proof.obfuscated must be a list of 0x-prefixed 32-byte hex hashes");
        let list = list.cast::<PyList>().map_err(|_| refused())?;
        for item in list.iter() {
            let text = item.cast::<PyString>().ok().and_then(|t| t.to_str().ok().map(str::to_owned));
            match text.as_deref().and_then(|t| t.strip_prefix("0x")) {
                Some(h) if lower_hex(h, 64) => {
                    let mut hash = [0u8; 32];
                    for (i, byte) in hash.iter_mut().enumerate() {
                        *byte = u8::from_str_radix(&h[2 * i..2 * i + 2], 16).expect("checked hex");
                    }
                    obfuscated.push(hash);
                }
                _ => return Err(refused()),
            }
        }
    }
    Ok(ProofParts { suite, salts, keys, obfuscated })
}

/// Whether the last token of `pointer` is all digits (`str.isdigit`, Unicode digits included).
fn last_token_is_digits(py: Python<'_>, pointer: &[u8]) -> PyResult<bool> {
    let token = &pointer[pointer.iter().rposition(|&b| b == b'/').map_or(0, |i| i + 1)..];
    if token.is_ascii() {
        return Ok(!token.is_empty() && token.iter().all(u8::is_ascii_digit));
    }
    str_of(py, token)?.call_method0("isdigit")?.extract()
}

#[pyfunction]
fn recompute_digest<'py>(py: Python<'py>, document: &Obj<'py>) -> PyResult<Bound<'py, PyBytes>> {
    let ProofParts { suite, mut salts, keys, obfuscated } = proof_parts(document)?;
    let Fields { text, items } = fields(document)?;
    let mut hashes = obfuscated;
    let mut salted_text = Vec::with_capacity(40);
    for field in items {
        let pointer = &text[field.pointer.clone()];
        let salt = salts.get_mut(pointer);
        if field.is_null && salt.is_none() && last_token_is_digits(py, pointer)? {
            continue; // the placeholder of a hidden array element
        }
        let Some(salt) = salt else {
            let pointer = str_of(py, pointer)?;
            let message = format(py, "field {} has no salt: it was added after issuance", pointer.as_any())?;
            return Err(integrity_error_formatted(py, message));
        };
        salt.seen = true;
        salted_text.clear();
        push_json_string(&mut salted_text, &salt.text);
        hashes.push(suite.hash_parts(&[b"[", &salted_text, &text[field.tail?]]));
    }
    let unseen: Vec<Bound<'py, PyAny>> = keys
        .into_iter()
        .filter(|k| match k.cast::<PyString>() {
            Ok(s) => utf8_of(s).map(|(b, _)| !salts[b.as_ref()].seen).unwrap_or(true),
            Err(_) => true,
        })
        .collect();
    if !unseen.is_empty() {
        let sorted = py.import("builtins")?.getattr("sorted")?.call1((PyList::new(py, unseen)?,))?;
        let message = format(py, "salted field {} is missing from the document", &sorted.get_item(0)?)?;
        return Err(integrity_error_formatted(py, message));
    }
    if hashes.is_empty() {
        return Err(integrity_error(py, "the document has no fields"));
    }
    Ok(bytes(py, &suite.combine(hashes)))
}

fn digest_bytes(digest: &Bound<'_, PyAny>) -> PyResult<Hash> {
    let raw = digest.cast::<PyBytes>()?.as_bytes();
    raw.try_into()
        .map_err(|_| value_error(digest.py(), &format!("a Merkle leaf digest must be 32 bytes, got {}", raw.len())))
}

#[pyfunction]
fn leaf_hash<'py>(py: Python<'py>, digest: &Obj<'py>) -> PyResult<Bound<'py, PyBytes>> {
    Ok(bytes(py, &merkle::leaf_hash(&digest_bytes(digest)?)))
}

#[pyfunction]
fn hash_pair<'py>(py: Python<'py>, a: &[u8], b: &[u8]) -> Bound<'py, PyBytes> {
    bytes(py, &merkle::hash_pair(a, b))
}

fn path_of(proof: &Bound<'_, PyAny>) -> PyResult<Vec<Vec<u8>>> {
    proof.try_iter()?.map(|h| h?.extract::<Vec<u8>>()).collect()
}

#[pyfunction]
fn process_proof<'py>(py: Python<'py>, leaf: &[u8], proof: &Obj<'py>) -> PyResult<Bound<'py, PyBytes>> {
    let path = path_of(proof)?;
    Ok(bytes(py, &merkle::process_proof(leaf, path.iter().map(Vec::as_slice))))
}

#[pyfunction]
fn verify(root: &[u8], digest: &Bound<'_, PyAny>, proof: &Bound<'_, PyAny>) -> PyResult<bool> {
    let leaf = merkle::leaf_hash(&digest_bytes(digest)?);
    let path = path_of(proof)?;
    Ok(merkle::process_proof(&leaf, path.iter().map(Vec::as_slice)) == root)
}

/// A complete tree over distinct `bytes32` digests (see `ledger.certificates.merkle.MerkleTree`).
#[pyclass(frozen, module = "hurong_native", name = "MerkleTree")]
struct MerkleTree {
    tree: merkle::Tree,
}

impl MerkleTree {
    fn position(&self, digest: &Bound<'_, PyAny>) -> PyResult<usize> {
        let raw = digest.cast::<PyBytes>()?.as_bytes();
        self.tree
            .position(raw)
            .ok_or_else(|| value_error(digest.py(), &format!("0x{} is not a leaf of this tree", hex(raw))))
    }
}

fn byte_list<'py, 'a>(py: Python<'py>, hashes: impl IntoIterator<Item = &'a Hash>) -> PyResult<Bound<'py, PyList>> {
    PyList::new(py, hashes.into_iter().map(|h| bytes(py, h)))
}

#[pymethods]
impl MerkleTree {
    #[new]
    fn new(py: Python<'_>, digests: &Bound<'_, PyAny>) -> PyResult<Self> {
        let digests: Vec<Hash> = digests.try_iter()?.map(|d| digest_bytes(&d?)).collect::<PyResult<_>>()?;
        if digests.is_empty() {
            return Err(value_error(py, "a Merkle tree needs at least one leaf"));
        }
        match py.detach(|| merkle::Tree::build(&digests)) {
            Ok(tree) => Ok(MerkleTree { tree }),
            Err(merkle::TreeError::Duplicate(d)) => {
                Err(value_error(py, &format!("duplicate digest 0x{} in a batch", hex(&d))))
            }
        }
    }

    fn __len__(&self) -> usize {
        self.tree.len()
    }

    fn __contains__(&self, digest: &Bound<'_, PyAny>) -> PyResult<bool> {
        match digest.cast::<PyBytes>() {
            Ok(raw) => Ok(self.tree.position(raw.as_bytes()).is_some()),
            Err(_) => digest.hash().map(|_| false), // unhashable objects raise, as in a dict
        }
    }

    #[getter]
    fn root<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        bytes(py, self.tree.root())
    }

    fn digests<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        byte_list(py, self.tree.digests())
    }

    fn proof<'py>(&self, digest: &Obj<'py>) -> PyResult<Bound<'py, PyList>> {
        byte_list(digest.py(), self.tree.proof(self.position(digest)?))
    }

    /// The proof of each digest, in order.
    fn proofs<'py>(&self, py: Python<'py>, digests: &Obj<'py>) -> PyResult<Bound<'py, PyList>> {
        let mut nodes: HashMap<usize, Bound<'py, PyBytes>> = HashMap::new(); // shared upper nodes
        let out = PyList::empty(py);
        for digest in digests.try_iter()? {
            let mut i = self.position(&digest?)?;
            let path = PyList::empty(py);
            while i > 0 {
                let sibling = if i % 2 == 1 { i + 1 } else { i - 1 };
                let node = nodes.entry(sibling).or_insert_with(|| bytes(py, self.tree.node(sibling)));
                path.append(node.clone())?;
                i = (i - 1) / 2;
            }
            out.append(path)?;
        }
        Ok(out)
    }

    /// `(digests, proof, flags)` of an OpenZeppelin multi-proof.
    fn multi_proof<'py>(&self, py: Python<'py>, digests: &Obj<'py>) -> PyResult<Bound<'py, PyTuple>> {
        let mut positions = Vec::new();
        for digest in digests.try_iter()? {
            let p = self.position(&digest?)?;
            if !positions.contains(&p) {
                positions.push(p);
            }
        }
        if positions.is_empty() {
            return Err(value_error(py, "a multi-proof needs at least one leaf"));
        }
        let (leaves, proof, flags) = self.tree.multi_proof(&positions);
        let leaves = PyTuple::new(py, leaves.into_iter().map(|h| bytes(py, h)))?;
        let proof = PyTuple::new(py, proof.into_iter().map(|h| bytes(py, h)))?;
        let flags = PyTuple::new(py, flags)?;
        PyTuple::new(py, [leaves.into_any(), proof.into_any(), flags.into_any()])
    }
}

#[pymodule]
fn hurong_native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(errors::bind_errors, m)?)?;
    m.add_function(wrap_pyfunction!(canonical_scalar, m)?)?;
    m.add_function(wrap_pyfunction!(field_hash, m)?)?;
    m.add_function(wrap_pyfunction!(combine, m)?)?;
    m.add_function(wrap_pyfunction!(new_salt, m)?)?;
    m.add_function(wrap_pyfunction!(salt_fields, m)?)?;
    m.add_function(wrap_pyfunction!(salt_documents, m)?)?;
    m.add_function(wrap_pyfunction!(recompute_digest, m)?)?;
    m.add_function(wrap_pyfunction!(leaf_hash, m)?)?;
    m.add_function(wrap_pyfunction!(hash_pair, m)?)?;
    m.add_function(wrap_pyfunction!(process_proof, m)?)?;
    m.add_function(wrap_pyfunction!(verify, m)?)?;
    m.add_class::<MerkleTree>()?;
    m.add_function(wrap_pyfunction!(validation::load_regions, m)?)?;
    m.add_function(wrap_pyfunction!(validation::check_resident_id, m)?)?;
    m.add_function(wrap_pyfunction!(validation::check_uscc, m)?)?;
    m.add_function(wrap_pyfunction!(validation::check_province_code, m)?)?;
    m.add_function(wrap_pyfunction!(validation::check_region_code, m)?)?;
    m.add_function(wrap_pyfunction!(validation::check_text, m)?)?;
    m.add_function(wrap_pyfunction!(validation::text_problems, m)?)?;
    m.add_class::<validation::Schema>()?;
    m.add_function(wrap_pyfunction!(plain::unsupported_value, m)?)?;
    m.add_function(wrap_pyfunction!(plain::long_number, m)?)?;
    m.add_function(wrap_pyfunction!(body::body_facts, m)?)?;
    m.add_function(wrap_pyfunction!(body::start_body, m)?)?;
    m.add_class::<body::PendingBody>()?;
    m.add_function(wrap_pyfunction!(verify_batch::local_facts, m)?)?;
    m.add_function(wrap_pyfunction!(verify_batch::start_local_facts, m)?)?;
    m.add_class::<verify_batch::PendingFacts>()?;
    m.add_function(wrap_pyfunction!(verify_batch::local_checks, m)?)?;
    m.add_function(wrap_pyfunction!(verify_batch::start_checks, m)?)?;
    m.add_class::<verify_batch::PendingChecks>()?;
    m.add_class::<clearing::Clearing>()?;
    m.add_function(wrap_pyfunction!(clearing::clear_credentials, m)?)?;
    m.add_function(wrap_pyfunction!(issue_batch::complete_proofs, m)?)?;
    m.add_function(wrap_pyfunction!(sealing::seal_batch, m)?)?;
    m.add_function(wrap_pyfunction!(sealing::licence_keys, m)?)?;
    m.add_function(wrap_pyfunction!(json_copy::copy_json, m)?)?;
    // The key `scripts/build-native.sh` built this module under (its sources and compiler).
    m.add("__build_key__", option_env!("HURONG_NATIVE_BUILD_KEY").unwrap_or(""))?;
    Ok(())
}
