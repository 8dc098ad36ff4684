//! Checks 1-3 of bulk verification in one call (`ledger.verification.local.LocalChecks.check_many`).
//!
//! For each document, with the GIL held, everything the checks need is copied out of the Python objects: the
//! proof's shape is cleared (exactly when `proof_problems` finds nothing) and the document is copied whole
//! (`owned::Limits`, plain JSON of exact types within the bounds of `plain::unsupported_value`) with its proof's
//! salts. Then, without the GIL and parallel over cores, its disclosed fields are found on the copy
//! (`document::json_fields`), each digest recomputed and each Merkle path followed to its root; with
//! `start_local_checks`, the same copy clears the document's validation (`clearing`). A document not copied (a
//! float, a subclass) is walked as before (`plain::unsupported_value`, `document::fields`) with the GIL held.
//!
//! Only the common case is decided here. A document whose proof is not clearly well shaped, that is not plain
//! JSON or not of exact JSON types, gets `None`: the Python reference checks it and writes its messages. A
//! document whose digest recomputation would raise (a missing or unused salt, a malformed hidden hash, a value
//! without canonical form) gets `None` for its integrity, so the reference says why.

use std::cell::RefCell;
use std::collections::HashMap;
use std::ops::Range;
use std::sync::mpsc::{channel, Receiver};
use std::sync::{Arc, Mutex};

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyInt, PyList, PyString};
use rayon::prelude::*;

use crate::clearing::{Clearing, Context};
use crate::digest::{Hash, Suite};
use crate::document::{fields, json_fields, PlainFields};
use crate::merkle;
use crate::owned::{Json, Limits};
use crate::plain;

type Obj<'py> = Bound<'py, PyAny>;

/// Batches at least this large are hashed on all cores.
const PARALLEL_DOCUMENTS: usize = 32;
/// `proof_problems` refuses longer Merkle paths.
const MAX_PATH: usize = 64;

/// The digest recomputation of one document, every part copied out of Python.
struct Salted {
    text: Vec<u8>,
    /// Each disclosed field: its salt (32 hex digits) and its tail `,"<pointer>",<value>]` in `text`.
    fields: Vec<([u8; 32], Range<usize>)>,
    obfuscated: Vec<Hash>,
}

/// A well-shaped proof's suite, digest, root and Merkle path.
type Shape = (Suite, Hash, Hash, Vec<Hash>);
/// What `local_facts` answers for one document.
type Facts = Option<(Option<bool>, bool)>;

/// The salts and hidden hashes of a proof, copied out of Python.
struct SaltTable {
    salts: Vec<(Vec<u8>, [u8; 32])>,
    obfuscated: Vec<Hash>,
}

/// The digest recomputation of one document: ready (`None` where it raises in the reference), or its owned proof
/// and body, whose salt table and fields are found without the GIL.
enum Salting {
    Ready(Option<Salted>),
    Owned(Json, Arc<Json>),
}

/// What checks 1-3 need of one document.
struct Job {
    suite: Suite,
    digest: Hash,
    root: Hash,
    path: Vec<Hash>,
    salting: Salting,
}

impl Job {
    /// (the digest matches, or None: the reference tells why it cannot be recomputed; the path leads to the root).
    fn facts(&self) -> (Option<bool>, bool) {
        let matches = match &self.salting {
            Salting::Ready(salted) => salted.as_ref().map(|s| self.digest_of(&s.text, &s.fields, &s.obfuscated)),
            Salting::Owned(proof, body) => owned_salt_table(proof).and_then(|table| {
                SCRATCH.with_borrow_mut(|(found, pairs)| {
                    json_fields(body, found);
                    matched(found, &table, pairs).then(|| self.digest_of(&found.text, pairs, &table.obfuscated))
                })
            }),
        };
        (matches.map(|d| d == self.digest), merkle::verify_path(&self.root, &self.digest, &self.path))
    }

    fn digest_of(&self, text: &[u8], fields: &[([u8; 32], Range<usize>)], obfuscated: &[Hash]) -> Hash {
        let mut hashes = Vec::with_capacity(fields.len() + obfuscated.len());
        hashes.extend_from_slice(obfuscated);
        hashes.extend(
            fields.iter().map(|(salt, tail)| self.suite.hash_parts(&[b"[\"", salt, b"\"", &text[tail.clone()]])),
        );
        self.suite.combine(hashes)
    }
}

/// Each field matched with its salt: (its salt, its tail in the fields' text).
type Pairs = Vec<([u8; 32], Range<usize>)>;

thread_local! {
    /// The fields and pairs of the owned document being hashed on this thread (their buffers kept: allocating
    /// them anew for each document costs more than the hashing).
    static SCRATCH: RefCell<(PlainFields, Pairs)> = RefCell::new((PlainFields::default(), Vec::new()));
}

fn exact_str<'a, 'py>(value: &'a Obj<'py>) -> Option<&'a Bound<'py, PyString>> {
    value.cast::<PyString>().ok().filter(|s| s.is_exact_instance_of::<PyString>())
}

fn exact_dict<'a, 'py>(value: &'a Obj<'py>) -> Option<&'a Bound<'py, PyDict>> {
    value.cast::<PyDict>().ok().filter(|d| d.is_exact_instance_of::<PyDict>())
}

fn exact_list<'a, 'py>(value: &'a Obj<'py>) -> Option<&'a Bound<'py, PyList>> {
    value.cast::<PyList>().ok().filter(|l| l.is_exact_instance_of::<PyList>())
}

/// The value of each hex digit (either case); 0xFF for every other byte.
const HEX_VALUES: [u8; 256] = {
    let mut table = [0xFF; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = match b as u8 {
            c @ b'0'..=b'9' => c - b'0',
            c @ b'a'..=b'f' => c - b'a' + 10,
            c @ b'A'..=b'F' => c - b'A' + 10,
            _ => 0xFF,
        };
        b += 1;
    }
    table
};

/// `0x` and 64 hex digits (upper case allowed only where `lower_only` is false), as 32 bytes.
fn hash_of(value: &Obj<'_>, lower_only: bool) -> Option<Hash> {
    hex_hash(exact_str(value)?.to_str().ok()?.as_bytes(), lower_only)
}

/// `hash_of` of text.
fn hex_hash(text: &[u8], lower_only: bool) -> Option<Hash> {
    let digits = text.strip_prefix(b"0x")?;
    if digits.len() != 64 || (lower_only && digits.iter().any(u8::is_ascii_uppercase)) {
        return None;
    }
    let mut out = [0u8; 32];
    let mut refused = 0u8; // a byte that is no hex digit sets the high bits
    for (byte, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
        let (high, low) = (HEX_VALUES[usize::from(pair[0])], HEX_VALUES[usize::from(pair[1])]);
        refused |= high | low;
        *byte = (high << 4) | (low & 0x0F);
    }
    (refused & 0xF0 == 0).then_some(out)
}

/// `eth_utils.is_address` of text: `(0x)?` and 40 hex digits, case-insensitively (a mixed-case address is an
/// address there whatever its checksum).
fn is_address(value: &Obj<'_>) -> bool {
    let Some(text) = exact_str(value).and_then(|s| s.to_str().ok()) else { return false };
    let digits = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")).unwrap_or(text);
    digits.len() == 40 && digits.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The proof's parts when `proof_problems` finds nothing in it, or None.
fn shaped(proof: &Bound<'_, PyDict>, proof_type: &str) -> PyResult<Option<Shape>> {
    let item = |name: &str| proof.get_item(name);
    let text =
        |value: Option<Obj<'_>>| value.as_ref().and_then(exact_str).and_then(|s| s.to_str().ok().map(str::to_owned));
    if text(item("type")?).as_deref() != Some(proof_type) {
        return Ok(None);
    }
    let Some(suite) = text(item("suite")?).as_deref().and_then(Suite::parse) else { return Ok(None) };
    let (Some(digest), Some(root)) =
        (item("digest")?.and_then(|d| hash_of(&d, false)), item("merkleRoot")?.and_then(|r| hash_of(&r, false)))
    else {
        return Ok(None);
    };
    let Some(list) = item("merklePath")?.filter(|p| exact_list(p).is_some()) else { return Ok(None) };
    let list = list.cast_into::<PyList>()?;
    if list.len() > MAX_PATH {
        return Ok(None);
    }
    let Some(path) = list.iter().map(|h| hash_of(&h, false)).collect::<Option<Vec<Hash>>>() else {
        return Ok(None);
    };
    let salts_ok = item("salts")?.is_some_and(|s| exact_dict(&s).is_some());
    let obfuscated_ok = item("obfuscated")?.is_none_or(|o| exact_list(&o).is_some());
    let chain_ok =
        item("chainId")?.is_some_and(|c| c.is_exact_instance_of::<PyInt>() && c.extract::<i64>().is_ok_and(|n| n > 0));
    let registry_ok = item("registry")?.is_some_and(|r| is_address(&r));
    Ok((salts_ok && obfuscated_ok && chain_ok && registry_ok).then_some((suite, digest, root, path)))
}

/// Whether the last token of a pointer is ASCII digits (`str.isdigit` there); None when it is not ASCII, where
/// only the reference can tell.
fn last_token_digits(pointer: &[u8]) -> Option<bool> {
    let token = &pointer[pointer.iter().rposition(|&b| b == b'/').map_or(0, |i| i + 1)..];
    token.is_ascii().then(|| !token.is_empty() && token.iter().all(u8::is_ascii_digit))
}

/// A salt as a proof writes it: 32 lower-case hex digits.
fn salt_of(value: &[u8]) -> Option<[u8; 32]> {
    let ok = value.iter().all(|&b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if ok {
        value.try_into().ok()
    } else {
        None
    }
}

/// The salts and hidden hashes of a proof when they are well formed (else `recompute_digest` raises).
fn salt_table(proof: &Bound<'_, PyDict>) -> PyResult<Option<SaltTable>> {
    let Some(salts_object) = proof.get_item("salts")? else { return Ok(None) };
    let salts_dict = salts_object.cast::<PyDict>()?;
    let mut salts: Vec<(Vec<u8>, [u8; 32])> = Vec::with_capacity(salts_dict.len());
    for (key, value) in salts_dict.iter() {
        let (Some(key), Some(value)) = (exact_str(&key), exact_str(&value)) else { return Ok(None) };
        let (Ok(key), Ok(value)) = (key.to_str(), value.to_str()) else { return Ok(None) };
        let Some(value) = salt_of(value.as_bytes()) else { return Ok(None) };
        salts.push((key.as_bytes().to_vec(), value));
    }
    let mut obfuscated = Vec::new();
    if let Some(list) = proof.get_item("obfuscated")? {
        for item in list.cast::<PyList>()?.iter() {
            let Some(hash) = hash_of(&item, true) else { return Ok(None) };
            obfuscated.push(hash);
        }
    }
    Ok(Some(SaltTable { salts, obfuscated }))
}

/// `salt_table` of a proof copied out (`shaped` found its salts an object, its hidden hashes absent or a list).
fn owned_salt_table(proof: &Json) -> Option<SaltTable> {
    let mut salts = Vec::new();
    for (key, value) in proof.get("salts")?.members()? {
        salts.push((key.as_bytes().to_vec(), salt_of(value.as_str()?.as_bytes())?));
    }
    let mut obfuscated = Vec::new();
    if let Some(list) = proof.get("obfuscated") {
        for item in list.items()? {
            obfuscated.push(hex_hash(item.as_str()?.as_bytes(), true)?);
        }
    }
    Some(SaltTable { salts, obfuscated })
}

/// The salted fields and hidden hashes of a document exactly when `recompute_digest` succeeds on it.
fn salted(document: &Obj<'_>, proof: &Bound<'_, PyDict>) -> PyResult<Option<Salted>> {
    let Some(table) = salt_table(proof)? else { return Ok(None) };
    let Ok(found) = fields(document) else { return Ok(None) };
    let found = PlainFields::from(found);
    let mut pairs = Vec::new();
    let matches = matched(&found, &table, &mut pairs);
    Ok(matches.then_some(Salted { text: found.text, fields: pairs, obfuscated: table.obfuscated }))
}

/// Each field matched with its salt into `pairs`, exactly when `recompute_digest` succeeds with these fields and
/// salts (false otherwise).
fn matched(found: &PlainFields, table: &SaltTable, pairs: &mut Pairs) -> bool {
    let salts = &table.salts;
    pairs.clear();
    let mut seen = vec![false; salts.len()];
    let mut index: Option<HashMap<&[u8], usize>> = None;
    for (at, field) in found.items.iter().enumerate() {
        let pointer = &found.text[field.pointer.clone()];
        // Issued documents list their salts in field order: look there first.
        let position = if salts.get(at).is_some_and(|(key, _)| key.as_slice() == pointer) {
            Some(at)
        } else {
            let index =
                index.get_or_insert_with(|| salts.iter().enumerate().map(|(i, (k, _))| (k.as_slice(), i)).collect());
            index.get(pointer).copied()
        };
        let Some(position) = position else {
            if field.is_null && last_token_digits(pointer) == Some(true) {
                continue; // the placeholder of a hidden array element
            }
            return false;
        };
        let Some(tail) = field.tail.clone() else { return false };
        seen[position] = true;
        pairs.push((salts[position].1, tail));
    }
    !seen.contains(&false) && pairs.len() + table.obfuscated.len() > 0
}

/// Whether the proof hides nothing (no `obfuscated` hashes), so that the body is validated as it stands.
fn unredacted(proof: &Bound<'_, PyDict>) -> PyResult<bool> {
    Ok(match proof.get_item("obfuscated")? {
        None => true,
        Some(hidden) => exact_list(&hidden).is_some_and(|l| l.is_empty()),
    })
}

/// The job of one document, and its owned body (without the proof) when it is not redacted. A document copied
/// whole within the bounds needs no other walk: its fields are found on the copy, without the GIL; any other
/// takes the walks over its Python objects.
fn job(
    document: &Obj<'_>,
    proof_type: &str,
    bounds: (usize, usize, usize),
) -> PyResult<(Option<Job>, Option<Arc<Json>>)> {
    let Some(top) = exact_dict(document) else { return Ok((None, None)) };
    let Some(proof) = top.get_item("proof")? else { return Ok((None, None)) };
    let Some(proof) = exact_dict(&proof) else { return Ok((None, None)) };
    let Some((suite, digest, root, path)) = shaped(proof, proof_type)? else { return Ok((None, None)) };
    let mut limits = Limits::new(bounds.0, bounds.1, bounds.2);
    if let Some(body) = limits.object(top, Some("proof"), 0)? {
        if let Some(owned_proof) = limits.copy(proof.as_any(), 1)? {
            let body = Arc::new(body);
            let valid = unredacted(proof)?.then(|| Arc::clone(&body));
            let salting = Salting::Owned(owned_proof, body);
            return Ok((Some(Job { suite, digest, root, path, salting }), valid));
        }
    }
    if plain::unsupported_value(document, bounds.0, bounds.1, bounds.2)?.is_some() {
        return Ok((None, None));
    }
    let salting = Salting::Ready(salted(document, proof)?);
    Ok((Some(Job { suite, digest, root, path, salting }), None))
}

type Jobs = (Vec<Option<Job>>, Vec<Option<Arc<Json>>>);

fn jobs(documents: &Bound<'_, PyList>, proof_type: &str, bounds: (usize, usize, usize)) -> PyResult<Jobs> {
    let mut jobs = Vec::with_capacity(documents.len());
    let mut bodies = Vec::with_capacity(documents.len());
    for document in documents.iter() {
        let (job, body) = job(&document, proof_type, bounds)?;
        jobs.push(job);
        bodies.push(body);
    }
    Ok((jobs, bodies))
}

fn compute(jobs: &[Option<Job>]) -> Vec<Facts> {
    let facts = |job: &Option<Job>| job.as_ref().map(Job::facts);
    if jobs.len() >= PARALLEL_DOCUMENTS {
        jobs.par_iter().map(facts).collect()
    } else {
        jobs.iter().map(facts).collect()
    }
}

/// For each document: None (the reference checks it), or (its digest matches the disclosed fields, salts and
/// hidden hashes: True, False, or None when recomputing it raises; its Merkle path leads to its root).
#[pyfunction]
pub fn local_facts(
    py: Python<'_>,
    documents: &Bound<'_, PyList>,
    proof_type: &str,
    max_depth: usize,
    max_values: usize,
    max_text: usize,
) -> PyResult<Vec<Facts>> {
    let (jobs, _) = jobs(documents, proof_type, (max_depth, max_values, max_text))?;
    Ok(py.detach(|| compute(&jobs)))
}

/// The facts of a batch and the jobs they came from.
type Computed = (Vec<Facts>, Vec<Option<Job>>);

/// The facts of a batch being computed on the cores while Python goes on (`start_local_facts`).
#[pyclass(frozen, module = "hurong_native")]
pub struct PendingFacts {
    /// The facts, and the jobs they were computed from (freed where they were allocated, by the waiting thread).
    facts: Mutex<Option<Receiver<Computed>>>,
}

#[pymethods]
impl PendingFacts {
    /// The facts of each document (as `local_facts` answers), once computed; a second call raises.
    fn wait(&self, py: Python<'_>) -> PyResult<Vec<Facts>> {
        let receiver = self.facts.lock().map_err(|_| PyRuntimeError::new_err("the facts were lost"))?.take();
        let receiver = receiver.ok_or_else(|| PyRuntimeError::new_err("the facts were already taken"))?;
        let (facts, jobs) =
            py.detach(move || receiver.recv()).map_err(|_| PyRuntimeError::new_err("computing the facts failed"))?;
        py.detach(move || drop(jobs));
        Ok(facts)
    }
}

fn spawn_facts(jobs: Vec<Option<Job>>) -> PendingFacts {
    let (sender, receiver) = channel();
    rayon::spawn(move || {
        let facts = compute(&jobs);
        let _ = sender.send((facts, jobs)); // nobody waits any more when the receiver is gone
    });
    PendingFacts { facts: Mutex::new(Some(receiver)) }
}

/// `local_facts` in two steps: which documents are cleared (their facts will come) at once, with the GIL held
/// only to copy them out, and the facts computed in the background on every core (`PendingFacts.wait`).
#[pyfunction]
pub fn start_local_facts(
    documents: &Bound<'_, PyList>,
    proof_type: &str,
    max_depth: usize,
    max_values: usize,
    max_text: usize,
) -> PyResult<(Vec<bool>, PendingFacts)> {
    let (jobs, _) = jobs(documents, proof_type, (max_depth, max_values, max_text))?;
    let cleared = jobs.iter().map(Option::is_some).collect();
    Ok((cleared, spawn_facts(jobs)))
}

/// `local_facts` that also clears each document's validation (`clearing::Clearing`) from the same copies: (the
/// facts as `local_facts` answers, validation cleared as `start_local_checks` answers).
#[pyfunction]
pub fn local_checks(
    py: Python<'_>,
    documents: &Bound<'_, PyList>,
    proof_type: &str,
    max_depth: usize,
    max_values: usize,
    max_text: usize,
    clearing: &Bound<'_, Clearing>,
) -> PyResult<(Vec<Facts>, Vec<bool>)> {
    let (jobs, valid) = cleared_jobs(py, documents, proof_type, (max_depth, max_values, max_text), clearing)?;
    // a few documents (`POST /verify`) are computed holding the GIL: released for microseconds, it would be handed to
    // another thread of the service, and this one would wait for it back
    let facts = if jobs.len() < PARALLEL_DOCUMENTS { compute(&jobs) } else { py.detach(|| compute(&jobs)) };
    Ok((facts, valid))
}

/// The job of each document and whether `clearing` clears its validation, from one copy of each.
fn cleared_jobs(
    py: Python<'_>,
    documents: &Bound<'_, PyList>,
    proof_type: &str,
    bounds: (usize, usize, usize),
    clearing: &Bound<'_, Clearing>,
) -> PyResult<(Vec<Option<Job>>, Vec<bool>)> {
    let cx = Context::new(py)?;
    let mut jobs = Vec::with_capacity(documents.len());
    let valid = clearing.get().clear_copied(documents, &cx, |document| {
        let (job, body) = job(document, proof_type, bounds)?;
        jobs.push(job);
        Ok(body)
    })?;
    Ok((jobs, valid))
}

/// Documents copied out before the pool starts on them (`start_checks`), while the next ones are copied.
const CHECKS_CHUNK: usize = 64;

/// The checks of one chunk of a batch: where it starts, each document's facts and validation, and what they were
/// computed from (freed by the waiting thread, where it was allocated; `clearing` released with the GIL held).
type Part = (usize, Vec<Facts>, Vec<bool>, Vec<Option<Job>>, Vec<Option<Arc<Json>>>, Py<Clearing>);

/// The facts and validation of a batch being computed on the cores while Python goes on (`start_checks`).
#[pyclass(frozen, module = "hurong_native")]
pub struct PendingChecks {
    parts: Mutex<Option<(Receiver<Part>, usize)>>,
}

#[pymethods]
impl PendingChecks {
    /// (the facts of each document, as `local_facts` answers; whether `clearing` clears its validation), once
    /// computed; a second call raises.
    fn wait(&self, py: Python<'_>) -> PyResult<(Vec<Facts>, Vec<bool>)> {
        let taken = self.parts.lock().map_err(|_| PyRuntimeError::new_err("the checks were lost"))?.take();
        let (receiver, count) = taken.ok_or_else(|| PyRuntimeError::new_err("the checks were already taken"))?;
        let (parts, clearings) = py.detach(move || {
            let mut facts = vec![None; count];
            let mut valid = vec![false; count];
            let mut clearings = Vec::new();
            let mut done = 0;
            for (start, part_facts, part_valid, jobs, bodies, clearing) in receiver.iter() {
                done += part_facts.len();
                facts[start..start + part_facts.len()].clone_from_slice(&part_facts);
                valid[start..start + part_valid.len()].copy_from_slice(&part_valid);
                drop((jobs, bodies));
                clearings.push(clearing);
            }
            ((done == count).then_some((facts, valid)), clearings)
        });
        drop(clearings);
        parts.ok_or_else(|| PyRuntimeError::new_err("computing the checks failed"))
    }
}

/// `start_local_checks` with the validation pending too: (whether each document is cleared, as
/// `start_local_facts` answers, the pending facts and validation). Each chunk of documents is copied out with the
/// GIL held and handed to the pool, which recomputes its digests, follows its Merkle paths and clears its
/// validation while the next chunk is copied and Python goes on; nothing waits for the pool before `wait`.
#[pyfunction]
pub fn start_checks(
    py: Python<'_>,
    documents: &Bound<'_, PyList>,
    proof_type: &str,
    max_depth: usize,
    max_values: usize,
    max_text: usize,
    clearing: &Bound<'_, Clearing>,
) -> PyResult<(Vec<bool>, PendingChecks)> {
    let count = documents.len();
    let cx = Arc::new(Context::new(py)?);
    let (sender, receiver) = channel::<Part>();
    let mut cleared = Vec::with_capacity(count);
    let (mut jobs, mut bodies) = (Vec::with_capacity(CHECKS_CHUNK), Vec::with_capacity(CHECKS_CHUNK));
    for (at, document) in documents.iter().enumerate() {
        let (job, body) = job(&document, proof_type, (max_depth, max_values, max_text))?;
        cleared.push(job.is_some());
        jobs.push(job);
        bodies.push(body);
        if jobs.len() == CHECKS_CHUNK || at + 1 == count {
            let start = at + 1 - jobs.len();
            let jobs = std::mem::replace(&mut jobs, Vec::with_capacity(CHECKS_CHUNK));
            let bodies = std::mem::replace(&mut bodies, Vec::with_capacity(CHECKS_CHUNK));
            let (sender, cx, clearing) = (sender.clone(), Arc::clone(&cx), clearing.clone().unbind());
            rayon::spawn(move || {
                let facts = jobs.iter().map(|job| job.as_ref().map(Job::facts)).collect();
                let valid = bodies.iter().map(|body| body.as_ref().is_some_and(|b| clearing.get().clears(b, &cx)));
                let valid = valid.collect();
                // Nobody waits any more when the receiver is gone: the chunk is dropped.
                let _ = sender.send((start, facts, valid, jobs, bodies, clearing));
            });
        }
    }
    Ok((cleared, PendingChecks { parts: Mutex::new(Some((receiver, count))) }))
}
