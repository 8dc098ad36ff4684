//! The issuer's journal sealing in batches (`ledger.issuance.sealing.DocumentSealer`): documents sealed with
//! AES-256-GCM under the agency's journal key, and licence keys (HMAC-SHA256), computed without the GIL and on
//! all cores for large batches. The reference (`cryptography`, `hmac`) opens and checks what these write.
//!
//! AES-256-GCM is `ring`'s (assembly chosen at run time for the CPU: AES-NI, VAES, PCLMULQDQ): ~6 GB/s on one core
//! here, where RustCrypto's `aes-gcm` 0.11 gave ~0.8 GB/s, slower than `cryptography` (OpenSSL) on the GIL.

use hmac::{Hmac, KeyInit, Mac};
use pyo3::exceptions::PyOSError;
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyString, PyTuple};
use rayon::prelude::*;
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM};
use sha2::Sha256;

use crate::array_text;
use crate::canonical::push_json_string;
use crate::errors::value_error;

/// The format byte every sealed document starts with (`DocumentSealer.VERSION`).
pub const VERSION: u8 = 1;
pub const NONCE_BYTES: usize = 12;
const TAG_BYTES: usize = 16;
/// Batches at least this large are sealed or keyed on all cores.
const PARALLEL_ITEMS: usize = 64;

/// The length of a sealed document of `plain` bytes.
pub fn sealed_len(plain: usize) -> usize {
    1 + NONCE_BYTES + plain + TAG_BYTES
}

/// The journal key as AES-256-GCM takes it; `None` for a key that is not 32 bytes.
pub fn journal_cipher(key: &[u8]) -> Option<LessSafeKey> {
    UnboundKey::new(&AES_256_GCM, key).ok().map(LessSafeKey::new)
}

/// Where one sealed document is written: `len` bytes, not necessarily initialised, that only their writer
/// touches until it is done.
pub struct Buffer {
    data: *mut u8,
    len: usize,
}

// SAFETY: a buffer is written by one thread at a time (`seal_all` gives each to one job).
unsafe impl Send for Buffer {}
unsafe impl Sync for Buffer {}

impl Buffer {
    /// # Safety
    /// `data` must be valid for writes of `len` bytes, and nothing else may read or write them until the buffer
    /// is written and dropped.
    pub unsafe fn new(data: *mut u8, len: usize) -> Self {
        Buffer { data, len }
    }
}

/// Write `VERSION || nonce || AES-256-GCM(plain, associated data = digest) || tag` into `out`, which must be
/// `sealed_len(plain.len())` bytes long; every byte of it is written.
pub fn seal_into(cipher: &LessSafeKey, nonce: &[u8], digest: &[u8], plain: &[u8], out: &mut Buffer) {
    assert!(out.len == sealed_len(plain.len()) && nonce.len() == NONCE_BYTES);
    let nonce_bytes = Nonce::try_assume_unique_for_key(nonce).expect("a 12-byte nonce");
    // SAFETY: `out` holds `1 + NONCE_BYTES + plain.len() + TAG_BYTES` bytes for this writer alone (`Buffer::new`);
    // the body is initialised (copied from `plain`) before a slice of it is made.
    unsafe {
        out.data.write(VERSION);
        std::ptr::copy_nonoverlapping(nonce.as_ptr(), out.data.add(1), NONCE_BYTES);
        let body = out.data.add(1 + NONCE_BYTES);
        std::ptr::copy_nonoverlapping(plain.as_ptr(), body, plain.len());
        let body = std::slice::from_raw_parts_mut(body, plain.len());
        // Each nonce is 12 fresh bytes from the system's CSPRNG, drawn for this document alone.
        let tag = cipher
            .seal_in_place_separate_tag(nonce_bytes, Aad::from(digest), body)
            .expect("a journaled document is far below AES-GCM's length limit");
        std::ptr::copy_nonoverlapping(tag.as_ref().as_ptr(), out.data.add(1 + NONCE_BYTES + plain.len()), TAG_BYTES);
    }
}

/// Seal each `(digest, plain)` pair into its buffer with its own nonce (`nonces` holds `NONCE_BYTES` for each
/// pair, in order), on all cores for a large batch.
pub fn seal_all(cipher: &LessSafeKey, nonces: &[u8], pairs: &[(&[u8], &[u8])], outs: &mut [Buffer]) {
    assert!(pairs.len() == outs.len() && nonces.len() == pairs.len() * NONCE_BYTES);
    let seal = |(i, out): (usize, &mut Buffer)| {
        let (digest, plain) = pairs[i];
        seal_into(cipher, &nonces[i * NONCE_BYTES..(i + 1) * NONCE_BYTES], digest, plain, out)
    };
    if pairs.len() >= PARALLEL_ITEMS {
        outs.par_iter_mut().enumerate().for_each(seal);
    } else {
        outs.iter_mut().enumerate().for_each(seal);
    }
}

/// The bytes `ledger.issuance.sealing.DocumentSealer.licence_key` authenticates: the JSON text of
/// `[kind, number]` as `json.dumps(..., ensure_ascii=False, separators=(",", ":"))` writes it.
pub fn licence_message(kind: &[u8], number: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(kind.len() + number.len() + 8);
    out.push(b'[');
    push_json_string(&mut out, kind);
    out.push(b',');
    push_json_string(&mut out, number);
    out.push(b']');
    out
}

/// HMAC-SHA256 under `key` of each licence's message (`None` stays `None`).
pub fn licence_macs(key: &[u8], pairs: &[Option<(&[u8], &[u8])>]) -> Vec<Option<[u8; 32]>> {
    let keyed = <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes a key of any length");
    let mac = |pair: &Option<(&[u8], &[u8])>| {
        pair.map(|(kind, number)| {
            let mut mac = keyed.clone();
            mac.update(&licence_message(kind, number));
            let out: [u8; 32] = mac.finalize().into_bytes().into();
            out
        })
    };
    if pairs.len() >= PARALLEL_ITEMS {
        pairs.par_iter().map(mac).collect()
    } else {
        pairs.iter().map(mac).collect()
    }
}

/// New `bytes` objects of these lengths, left unwritten, and their buffers: written once the GIL is released (the
/// memory first touched there, on all cores), before anything else sees these objects.
fn new_buffers<'py>(py: Python<'py>, lengths: &[usize]) -> PyResult<(Vec<Bound<'py, PyBytes>>, Vec<Buffer>)> {
    let mut objects = Vec::with_capacity(lengths.len());
    let mut buffers = Vec::with_capacity(lengths.len());
    for &len in lengths {
        // SAFETY: a new bytes object of `len` bytes (NULL: its contents are left to be written), owned here and
        // returned only once `seal_all` wrote every byte of its buffer.
        unsafe {
            let raw = ffi::PyBytes_FromStringAndSize(std::ptr::null(), len as ffi::Py_ssize_t);
            let object = Bound::from_owned_ptr_or_err(py, raw)?.cast_into_unchecked::<PyBytes>();
            buffers.push(Buffer::new(ffi::PyBytes_AsString(raw).cast::<u8>(), len));
            objects.push(object);
        }
    }
    Ok((objects, buffers))
}

/// `DocumentSealer.seal` of each document of `documents`, the compact JSON text of an array of them (as orjson
/// writes it), with `digests[i]` as the associated data of the `i`-th: each document's own text sealed with a
/// fresh nonce from the system's CSPRNG.
#[pyfunction]
pub fn seal_batch<'py>(
    py: Python<'py>,
    key: &[u8],
    digests: &Bound<'py, PyList>,
    documents: &[u8],
) -> PyResult<Bound<'py, PyList>> {
    let cipher = journal_cipher(key).ok_or_else(|| value_error(py, "the journal key must be 32 bytes"))?;
    let Some(ranges) = array_text::elements(documents) else {
        return Err(value_error(py, "the documents are not the JSON text of an array"));
    };
    if digests.len() != ranges.len() {
        return Err(value_error(py, "one digest per document"));
    }
    let digests: Vec<Bound<'py, PyAny>> = digests.iter().collect(); // held: read without the GIL
    let mut pairs = Vec::with_capacity(digests.len());
    for (digest, range) in digests.iter().zip(ranges) {
        let Ok(digest) = digest.cast::<PyBytes>() else {
            return Err(value_error(py, "a digest must be bytes"));
        };
        pairs.push((digest.as_bytes(), &documents[range]));
    }
    let lengths: Vec<usize> = pairs.iter().map(|(_, plain)| sealed_len(plain.len())).collect();
    let (objects, mut buffers) = new_buffers(py, &lengths)?;
    let drawn = py.detach(|| -> Result<(), getrandom::Error> {
        let mut nonces = vec![0u8; NONCE_BYTES * pairs.len()];
        getrandom::fill(&mut nonces)?;
        seal_all(&cipher, &nonces, &pairs, &mut buffers);
        Ok(())
    });
    drawn.map_err(|e| PyOSError::new_err(format!("no randomness from the system: {e}")))?;
    PyList::new(py, objects)
}

/// `DocumentSealer.licence_key` of each `(certificate type, licence number)` pair (`None` for `None`). Text that
/// UTF-8 cannot hold (a lone surrogate) raises `UnicodeEncodeError`, as the reference's `.encode()` does.
#[pyfunction]
pub fn licence_keys<'py>(py: Python<'py>, key: &[u8], pairs: &Bound<'py, PyList>) -> PyResult<Bound<'py, PyList>> {
    let items: Vec<Bound<'py, PyAny>> = pairs.iter().collect();
    let mut texts: Vec<Option<(Bound<'py, PyString>, Bound<'py, PyString>)>> = Vec::with_capacity(items.len());
    for item in &items {
        if item.is_none() {
            texts.push(None);
            continue;
        }
        let pair = item.cast::<PyTuple>()?;
        if pair.len() != 2 {
            return Err(value_error(py, "a licence is a (certificate type, licence number) pair"));
        }
        texts.push(Some((pair.get_item(0)?.cast_into::<PyString>()?, pair.get_item(1)?.cast_into::<PyString>()?)));
    }
    let mut views: Vec<Option<(&[u8], &[u8])>> = Vec::with_capacity(texts.len());
    for text in &texts {
        views.push(match text {
            None => None,
            Some((kind, number)) => Some((kind.to_str()?.as_bytes(), number.to_str()?.as_bytes())),
        });
    }
    let macs = py.detach(|| licence_macs(key, &views));
    let out = PyList::empty(py);
    for mac in macs {
        match mac {
            Some(m) => out.append(PyBytes::new(py, &m))?,
            None => out.append(py.None())?,
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seal_one(cipher: &LessSafeKey, nonce: &[u8], digest: &[u8], plain: &[u8]) -> Vec<u8> {
        let mut out = vec![0u8; sealed_len(plain.len())];
        // SAFETY: the vector's own bytes, written here alone.
        let mut buffer = unsafe { Buffer::new(out.as_mut_ptr(), out.len()) };
        seal_into(cipher, nonce, digest, plain, &mut buffer);
        out
    }

    fn cipher() -> LessSafeKey {
        journal_cipher(&[7u8; 32]).unwrap()
    }

    #[test]
    fn sealed_layout_and_round_trip() {
        let nonce = [3u8; NONCE_BYTES];
        let sealed = seal_one(&cipher(), &nonce, b"digest", b"{\"a\":1}");
        assert_eq!(sealed[0], VERSION);
        assert_eq!(&sealed[1..13], &nonce);
        assert_eq!(sealed.len(), 1 + 12 + 7 + 16);
        let open = |aad: &[u8]| {
            let mut ciphertext = sealed[13..].to_vec();
            let nonce = Nonce::assume_unique_for_key(nonce);
            cipher().open_in_place(nonce, Aad::from(aad), &mut ciphertext).map(|p| p.to_vec())
        };
        assert_eq!(open(b"digest").unwrap(), b"{\"a\":1}");
        assert!(open(b"other").is_err());
    }

    #[test]
    fn known_answer() {
        // NIST GCM test case 14 (AES-256, zero key and nonce, one zero block).
        let cipher = journal_cipher(&[0u8; 32]).unwrap();
        let sealed = seal_one(&cipher, &[0u8; NONCE_BYTES], b"", &[0u8; 16]);
        assert_eq!(crate::canonical::hex(&sealed[13..29]), "cea7403d4d606b6e074ec5d3baf39d18");
        assert_eq!(crate::canonical::hex(&sealed[29..]), "d0d1c8a799996bf0265b98b5d48ab919");
    }

    #[test]
    fn parallel_and_serial_agree() {
        let docs: Vec<Vec<u8>> = (0..100).map(|i| format!("{{\"n\":{i}}}").into_bytes()).collect();
        let pairs: Vec<(&[u8], &[u8])> = docs.iter().map(|d| (&b"dg"[..], d.as_slice())).collect();
        let nonces: Vec<u8> = (0..100 * NONCE_BYTES).map(|i| i as u8).collect();
        let mut all: Vec<Vec<u8>> = docs.iter().map(|d| vec![0u8; sealed_len(d.len())]).collect();
        // SAFETY: each vector's own bytes, written by `seal_all` alone.
        let mut outs: Vec<Buffer> = all.iter_mut().map(|v| unsafe { Buffer::new(v.as_mut_ptr(), v.len()) }).collect();
        seal_all(&cipher(), &nonces, &pairs, &mut outs);
        for (i, sealed) in all.iter().enumerate() {
            assert_eq!(sealed, &seal_one(&cipher(), &nonces[i * 12..i * 12 + 12], b"dg", &docs[i]));
        }
    }

    #[test]
    fn licence_messages_escape_as_json() {
        assert_eq!(licence_message(b"a", b"b"), b"[\"a\",\"b\"]");
        assert_eq!(
            licence_message("\"\\\n\x01\x7f中".as_bytes(), b""),
            "[\"\\\"\\\\\\n\\u0001\x7f中\",\"\"]".as_bytes()
        );
    }

    #[test]
    fn licence_macs_match_rfc_4231() {
        // RFC 4231 test case 2 with the message as it is (HMAC-SHA256 itself).
        let mac = <Hmac<Sha256> as KeyInit>::new_from_slice(b"Jefe").unwrap();
        let mut m = mac.clone();
        m.update(b"what do ya want for nothing?");
        let out: [u8; 32] = m.finalize().into_bytes().into();
        assert_eq!(crate::canonical::hex(&out), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
        let pairs: Vec<Option<(&[u8], &[u8])>> =
            (0..70).map(|i| if i % 2 == 0 { Some((&b"x"[..], &b"y"[..])) } else { None }).collect();
        let macs = licence_macs(b"k", &pairs);
        assert_eq!(macs[0], licence_macs(b"k", &pairs[..1])[0]);
        assert!(macs[1].is_none());
    }
}
