//! Clearing credentials: which documents `ledger.certificates.documents.validate_credential` passes, decided on
//! owned copies (`owned`) without the GIL and parallel over cores.
//!
//! A document is cleared only when every step of the reference finds nothing: the envelope's and its certificate
//! type's compiled schemas (`validation::Schema`, evaluated here on owned data), the text check, the cross-checks
//! (validity period, EIP-55 checksums, status id and chain, region within province, driving licence number) and the
//! `BitstringStatusListEntry` objects after the registry status. Wherever a step could find a problem, or a value
//! is anything but plain JSON of exact types, the document is not cleared and the reference runs on it, so every
//! problem it reports stays the reference's. Clearing is one-sided: not clearing a valid document is allowed,
//! clearing an invalid one never.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::mpsc::channel;

use pyo3::prelude::*;
use pyo3::types::PyList;
use sha3::{Digest, Keccak256};

use crate::owned::{self, FastMap, FastSet, Json};
use crate::validation::{
    self as v, is_date, is_date_time, is_province_shape, province_of, real_date, resident_id_check_character,
    uscc_value, Check, Format, Keyword, Node, Region, Schema, Type, AUTHORITIES, NATIONAL_REGION_CODE, PERMIT_PREFIXES,
    USCC_CHARSET, USCC_WEIGHTS,
};

/// Batches at least this large are cleared on all cores.
const PARALLEL_DOCUMENTS: usize = 32;
/// Documents copied out before the pool starts clearing them (while the next ones are copied).
const CLEARING_CHUNK: usize = 64;
/// The certificate type whose licence number is the holder's resident ID number (`_cross_checks`).
const LICENCE_NUMBER_TYPE: &str = "driving_licence";
const ENTRY_TYPE: &str = "BitstringStatusListEntry";
const ENTRY_KEYS: [&str; 5] = ["id", "type", "statusPurpose", "statusListIndex", "statusListCredential"];
const PURPOSES: [&str; 2] = ["revocation", "suspension"];

type Today = (i32, u32, u32);

/// What the checks read besides the document: today's date (UTC) and the GB/T 2260 table.
pub(crate) struct Context {
    today: Today,
    regions: &'static FastMap<String, Region>,
}

impl Context {
    pub(crate) fn new(py: Python<'_>) -> PyResult<Context> {
        Ok(Context { today: v::today_utc(), regions: v::regions(py)? })
    }
}

struct Kind {
    schema: Py<Schema>,
    /// Pointers of the running text (`x-multiline`) of the type's subject.
    multiline: FastSet<String>,
}

/// The envelope's compiled schema and running text, and each certificate type's (`clear_credentials`).
#[pyclass(frozen, module = "hurong_native", name = "Clearing")]
pub struct Clearing {
    envelope: Py<Schema>,
    multiline: FastSet<String>,
    kinds: FastMap<String, Kind>,
}

#[pymethods]
impl Clearing {
    /// `envelope`: the envelope's `Schema`; `multiline`: the pointers of its running text; `kinds`: for each
    /// certificate type's code, its `Schema` and the pointers of its running text (under `/credentialSubject`).
    #[new]
    fn new(
        py: Python<'_>,
        envelope: Py<Schema>,
        multiline: FastSet<String>,
        kinds: FastMap<String, (Py<Schema>, FastSet<String>)>,
    ) -> PyResult<Self> {
        v::regions(py)?; // the table is read without the GIL later: load it now
        let kinds = kinds.into_iter().map(|(code, (schema, multiline))| (code, Kind { schema, multiline })).collect();
        Ok(Clearing { envelope, multiline, kinds })
    }
}

impl Clearing {
    /// Whether `validate_credential` passes the credential `doc` (without its proof).
    pub(crate) fn clears(&self, doc: &Json, cx: &Context) -> bool {
        let Some((view, entries)) = registry_status_view(doc) else { return false };
        let view = view.as_ref();
        if !entries_clear(entries) || !self.envelope.get().root.clears(view, cx) {
            return false;
        }
        let Some(subject) = view.get("credentialSubject") else { return false };
        let Some(code) = subject.get("certificateType").and_then(Json::as_str) else { return false };
        let Some(kind) = self.kinds.get(code) else { return false };
        if !kind.schema.get().root.clears(subject, cx) {
            return false;
        }
        let multiline = |pointer: &str| self.multiline.contains(pointer) || kind.multiline.contains(pointer);
        text_clears(view, &mut Vec::with_capacity(8), &multiline) && cross_clears(view, subject, code, cx)
    }

    /// `clears` of each of `documents`, whose bodies `copy` makes with the GIL held (None: not copied, so not
    /// cleared). Small batches are cleared here once copied; in larger ones, each chunk is cleared on the pool
    /// while the next is copied.
    pub(crate) fn clear_copied<J: AsRef<Json> + Send + Sync>(
        &self,
        documents: &Bound<'_, PyList>,
        cx: &Context,
        mut copy: impl FnMut(&Bound<'_, PyAny>) -> PyResult<Option<J>>,
    ) -> PyResult<Vec<bool>> {
        let one = |doc: &Option<J>| doc.as_ref().is_some_and(|d| self.clears(d.as_ref(), cx));
        let count = documents.len();
        if count < PARALLEL_DOCUMENTS {
            let bodies = documents.iter().map(|d| copy(&d)).collect::<PyResult<Vec<_>>>()?;
            return Ok(bodies.iter().map(one).collect()); // a few documents: the GIL kept (see `local_checks`)
        }
        // Each chunk comes back with its answers, to be freed by the thread that allocated it (memory freed on the
        // pool's threads would stay in their allocator's arenas).
        let (sender, receiver) = channel::<(usize, Vec<bool>, Vec<Option<J>>)>();
        rayon::in_place_scope(|scope| {
            let mut chunk = Vec::with_capacity(CLEARING_CHUNK);
            for (at, document) in documents.iter().enumerate() {
                chunk.push(copy(&document)?);
                if chunk.len() == CLEARING_CHUNK || at + 1 == count {
                    let bodies = std::mem::replace(&mut chunk, Vec::with_capacity(CLEARING_CHUNK));
                    let (sender, one) = (sender.clone(), &one);
                    scope.spawn(move |_| {
                        let answers = bodies.iter().map(one).collect();
                        let _ = sender.send((at + 1 - bodies.len(), answers, bodies));
                    });
                }
            }
            Ok::<(), PyErr>(())
        })?;
        drop(sender);
        let mut valid = vec![false; count];
        for (start, part, bodies) in receiver.iter() {
            valid[start..start + part.len()].copy_from_slice(&part);
            drop(bodies);
        }
        Ok(valid)
    }
}

/// The credential as the envelope checks read it (an array `credentialStatus` replaced by its first item, the
/// registry status) and the status list entries after it; None when the array is empty (a problem).
fn registry_status_view(doc: &Json) -> Option<(Cow<'_, Json>, &[Json])> {
    let (Some(Json::Arr(items)), Json::Obj(members)) = (doc.get("credentialStatus"), doc) else {
        return Some((Cow::Borrowed(doc), &[]));
    };
    let (first, entries) = items.split_first()?;
    let view = members
        .iter()
        .map(|(k, v)| (k.clone(), if &**k == "credentialStatus" { first.clone() } else { v.clone() }))
        .collect();
    Some((Cow::Owned(Json::Obj(view)), entries))
}

// --- the compiled schemas on owned data ----------------------------------------------------------------------

impl Node {
    /// Whether `value` passes every keyword (`Node::passes` on owned data).
    pub(crate) fn clears(&self, value: &Json, cx: &Context) -> bool {
        self.checks.iter().all(|check| check.clears(value, cx))
    }
}

impl Check {
    fn clears(&self, value: &Json, cx: &Context) -> bool {
        let text = value.as_str();
        match &self.keyword {
            Keyword::Type(kind) => kind.holds_json(value),
            Keyword::Const(_, expected) => expected.as_ref().is_some_and(|e| value.json_equal(e)),
            Keyword::Enum(_, options) => options.as_ref().is_some_and(|o| o.iter().any(|e| value.json_equal(e))),
            Keyword::Pattern(regex, _) => text.is_none_or(|t| regex.is_match(t)),
            Keyword::Format(format) => text.is_none_or(|t| format_clears(*format, t, cx)),
            Keyword::MinLength(n) => text.is_none_or(|t| t.chars().count() >= *n),
            Keyword::MaxLength(n) => text.is_none_or(|t| t.chars().count() <= *n),
            Keyword::MinItems(n) => value.items().is_none_or(|items| items.len() >= *n),
            Keyword::MaxItems(n) => value.items().is_none_or(|items| items.len() <= *n),
            Keyword::Minimum(_, bound) => !matches!(value, Json::Int(_)) || int_cmp(value, *bound, |x, b| x >= b),
            Keyword::Maximum(_, bound) => !matches!(value, Json::Int(_)) || int_cmp(value, *bound, |x, b| x <= b),
            Keyword::UniqueItems => value.items().is_none_or(|items| {
                items.iter().enumerate().all(|(i, a)| items[i + 1..].iter().all(|b| !a.json_equal(b)))
            }),
            Keyword::Items(item) => value.items().is_none_or(|items| items.iter().all(|i| item.clears(i, cx))),
            Keyword::Required(names) => {
                value.members().is_none_or(|_| names.iter().all(|(n, _, _)| value.get(n).is_some()))
            }
            Keyword::Properties(properties) => value.members().is_none_or(|_| {
                properties.iter().all(|(_, _, node, name)| value.get(name).is_none_or(|m| node.clears(m, cx)))
            }),
            Keyword::AdditionalProperties(allowed) => {
                value.members().is_none_or(|members| members.iter().all(|(k, _)| allowed.contains(&**k)))
            }
        }
    }
}

/// An integer against a bound that is itself a 64-bit integer (no bound: not cleared).
fn int_cmp(value: &Json, bound: Option<i64>, holds: fn(i64, i64) -> bool) -> bool {
    match (value, bound) {
        (Json::Int(x), Some(b)) => holds(*x, b),
        _ => false,
    }
}

impl Type {
    fn holds_json(self, value: &Json) -> bool {
        matches!(
            (self, value),
            (Type::String, Json::Str(_))
                | (Type::Object, Json::Obj(_))
                | (Type::Array, Json::Arr(_))
                | (Type::Boolean, Json::Bool(_))
                | (Type::Null, Json::Null)
                | (Type::Number | Type::Integer, Json::Int(_))
        )
    }
}

fn format_clears(format: Format, text: &str, cx: &Context) -> bool {
    match format {
        Format::Date => is_date(text),
        Format::DateTime => is_date_time(text),
        Format::ResidentId => resident_id_clears(text, cx),
        Format::Uscc => uscc_clears(text, cx),
        Format::Province => province_clears(text, cx),
        Format::Region => region_clears(text, None, cx),
        Format::Unknown => true,
    }
}

// --- formats (`validation.check_*` finding nothing) ------------------------------------------------------------

/// `check_resident_id` finds nothing: shape, a real birth date from 1900-01-01 to today, a region prefix of
/// GB/T 2260 (or a permit's) in force within a year of the birth, and the ISO 7064 MOD 11-2 check character.
fn resident_id_clears(text: &str, cx: &Context) -> bool {
    let b = text.as_bytes();
    if !(b.len() == 18 && b[..17].iter().all(u8::is_ascii_digit) && (b[17].is_ascii_digit() || b[17] == b'X')) {
        return false;
    }
    let (Ok(y), Ok(m), Ok(d)) = (text[6..10].parse::<i32>(), text[10..12].parse(), text[12..14].parse()) else {
        return false;
    };
    if !real_date(y, m, d) || (y, m, d) > cx.today || (y, m, d) < (1900, 1, 1) {
        return false;
    }
    let prefix = &text[..6];
    if !PERMIT_PREFIXES.contains(&prefix) {
        match cx.regions.get(prefix) {
            None => return false,
            Some(region) if region.last_year.is_some_and(|last| last < y - 1) => return false,
            Some(_) => {}
        }
    }
    resident_id_check_character(&b[..17]) == b[17] as char
}

/// `check_uscc` finds nothing: 18 characters of the set, a known authority and entity type, a GB/T 2260 region
/// (or the national code) and the check character.
fn uscc_clears(text: &str, cx: &Context) -> bool {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() != 18 || chars.iter().any(|&c| uscc_value(c).is_none()) {
        return false;
    }
    let Some((_, _, types)) = AUTHORITIES.iter().find(|(code, _, _)| *code == chars[0]) else { return false };
    if !types.contains(chars[1]) {
        return false;
    }
    let region: String = chars[2..8].iter().collect();
    if region != NATIONAL_REGION_CODE && !cx.regions.contains_key(&region) {
        return false;
    }
    let total: u32 = chars[..17].iter().zip(USCC_WEIGHTS).filter_map(|(&c, w)| uscc_value(c).map(|x| x * w)).sum();
    USCC_CHARSET.as_bytes()[((31 - total % 31) % 31) as usize] as char == chars[17]
}

fn code_shaped(text: &str) -> bool {
    text.len() == 6 && text.bytes().all(|b| b.is_ascii_digit())
}

/// `check_province_code` finds nothing: a current province-level code.
fn province_clears(text: &str, cx: &Context) -> bool {
    code_shaped(text)
        && is_province_shape(text)
        && cx.regions.get(text).is_some_and(|region| region.last_year.is_none())
}

/// `check_region_code` finds nothing: a GB/T 2260 code, inside `province` when given.
fn region_clears(text: &str, province: Option<&str>, cx: &Context) -> bool {
    code_shaped(text)
        && cx.regions.contains_key(text)
        && province.is_none_or(|p| is_province_shape(p) && province_of(text) == p)
}

// --- text --------------------------------------------------------------------------------------------------------

/// One step of the way to a value: an object's key or an array's index.
#[derive(Clone, Copy)]
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

/// The JSON Pointer of `path` (written only for text that is not printable ASCII, where running text matters).
fn pointer_of(path: &[Step<'_>]) -> String {
    let mut pointer = String::new();
    for step in path {
        pointer.push('/');
        match step {
            Step::Key(key) => v::escape_token(key, &mut pointer),
            Step::Index(index) => pointer.push_str(&index.to_string()),
        }
    }
    pointer
}

/// The bytes of UTF-8 text that start no refused character (`validation::refused`): printable ASCII, the
/// continuation bytes and every lead byte but those of U+0080-U+00BF (C2), U+0340-U+037F (CD), U+1000-U+2FFF
/// (E1, E2), U+3000-U+3FFF (E3), U+F000-U+FFFF (EF), U+10000-U+3FFFF (F0) and U+C0000-U+FFFFF (F3). Text of these
/// bytes alone holds no refused character, whether running text or not.
const PLAIN_BYTES: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0x20;
    while b < 256 {
        table[b] = !matches!(b, 0x7f | 0xc2 | 0xcd | 0xe1 | 0xe2 | 0xe3 | 0xef | 0xf0 | 0xf3);
        b += 1;
    }
    table
};

/// `text_problems` finds nothing in `value` (at `path`): no string holds a refused character.
fn text_clears<'a>(value: &'a Json, path: &mut Vec<Step<'a>>, multiline: &dyn Fn(&str) -> bool) -> bool {
    match value {
        Json::Str(text) => {
            // Running text differs from one-line text only in its tabs and line feeds: only then is the pointer
            // looked up.
            text.bytes().all(|b| PLAIN_BYTES[usize::from(b)]) || {
                let running = text.bytes().any(|b| b == b'\t' || b == b'\n') && multiline(&pointer_of(path));
                text.chars().all(|c| v::refused(c, running).is_none())
            }
        }
        Json::Obj(members) => members.iter().all(|(key, item)| {
            path.push(Step::Key(key));
            let clear = text_clears(item, path, multiline);
            path.pop();
            clear
        }),
        Json::Arr(items) => items.iter().enumerate().all(|(index, item)| {
            path.push(Step::Index(index));
            let clear = text_clears(item, path, multiline);
            path.pop();
            clear
        }),
        _ => true,
    }
}

// --- status list entries ------------------------------------------------------------------------------------------

/// `status_list.entry_problems` finds nothing (stricter where it is simpler: no final line feed in an index or
/// URL, URLs of printable ASCII).
fn entries_clear(entries: &[Json]) -> bool {
    let mut seen: Vec<&str> = Vec::new();
    for entry in entries {
        let Some(members) = entry.members() else { return false };
        if members.iter().any(|(k, _)| !ENTRY_KEYS.contains(&&**k)) {
            return false;
        }
        if entry.get("type").and_then(Json::as_str) != Some(ENTRY_TYPE) {
            return false;
        }
        let Some(purpose) = entry.get("statusPurpose").and_then(Json::as_str) else { return false };
        if !PURPOSES.contains(&purpose) || seen.contains(&purpose) {
            return false;
        }
        seen.push(purpose);
        if !entry.get("statusListIndex").and_then(Json::as_str).is_some_and(index_clears) {
            return false;
        }
        if !entry.get("statusListCredential").and_then(Json::as_str).is_some_and(url_clears) {
            return false;
        }
        if !entry.get("id").is_none_or(|id| id.as_str().is_some_and(url_clears)) {
            return false;
        }
    }
    true
}

/// `^(0|[1-9][0-9]{0,9})$`, without a final line feed.
fn index_clears(text: &str) -> bool {
    let b = text.as_bytes();
    text == "0" || ((1..=10).contains(&b.len()) && b[0] != b'0' && b.iter().all(u8::is_ascii_digit))
}

/// `^https?://[^\s]+$` of at most 2048 characters, printable ASCII only.
fn url_clears(text: &str) -> bool {
    let rest = text.strip_prefix("https://").or_else(|| text.strip_prefix("http://"));
    text.len() <= 2048 && rest.is_some_and(|r| !r.is_empty()) && text.bytes().all(|b| (0x21..0x7f).contains(&b))
}

// --- cross-checks --------------------------------------------------------------------------------------------------

/// `eth_utils.is_checksum_address`: `0x` and 40 hex digits, each letter's case the EIP-55 checksum's. Answers
/// are kept per thread (a batch has few distinct addresses).
pub(crate) fn is_checksummed(address: &str) -> bool {
    thread_local! {
        static KNOWN: RefCell<HashMap<Box<str>, bool>> = RefCell::new(HashMap::new());
    }
    KNOWN.with_borrow_mut(|known| {
        if let Some(&answer) = known.get(address) {
            return answer;
        }
        if known.len() >= 4096 {
            known.clear();
        }
        let answer = checksummed(address);
        known.insert(address.into(), answer);
        answer
    })
}

fn checksummed(address: &str) -> bool {
    let Some(digits) = address.strip_prefix("0x") else { return false };
    if digits.len() != 40 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return false;
    }
    let hash = Keccak256::digest(digits.to_ascii_lowercase().as_bytes());
    digits.bytes().enumerate().all(|(i, b)| {
        let nibble = if i % 2 == 0 { hash[i / 2] >> 4 } else { hash[i / 2] & 0x0F };
        !b.is_ascii_alphabetic() || b.is_ascii_uppercase() == (nibble > 7)
    })
}

/// A date and time of the schema's shape within 1900-01-01T00:00:00Z..9999-12-31T23:59:59Z.
fn datetime_clears(text: &str) -> bool {
    text.len() == 20 && text.ends_with('Z') && is_date_time(text) && text[..4].parse::<i32>().is_ok_and(|y| y >= 1900)
}

fn text(value: Option<&Json>) -> Option<&str> {
    value.and_then(Json::as_str)
}

/// `_cross_checks` finds nothing (the schemas and the text check having passed).
fn cross_clears(view: &Json, subject: &Json, code: &str, cx: &Context) -> bool {
    let (Some(from), Some(until)) = (text(view.get("validFrom")), text(view.get("validUntil"))) else { return false };
    if !datetime_clears(from) || !datetime_clears(until) || until <= from {
        return false;
    }
    let Some(issuer_id) = text(view.get("issuer").and_then(|i| i.get("id"))) else { return false };
    let parts: Vec<&str> = issuer_id.split(':').collect();
    let [.., chain, address] = parts[..] else { return false };
    if !is_checksummed(address) {
        return false;
    }
    if let Some(status) = view.get("credentialStatus") {
        let (Some(registry), Some(Json::Int(status_chain)), Some(id)) =
            (text(status.get("registry")), status.get("chainId"), text(status.get("id")))
        else {
            return false;
        };
        let chain_text = status_chain.to_string();
        if !is_checksummed(registry) || id != format!("eip155:{chain_text}:{registry}") || chain_text != chain {
            return false;
        }
    }
    let present = |name: &str| subject.get(name).filter(|v| **v != Json::Null);
    if let (Some(province), Some(region)) = (present("issuingProvince"), present("issuingRegion")) {
        let (Some(province), Some(region)) = (province.as_str(), region.as_str()) else { return false };
        if !region_clears(region, Some(province), cx) {
            return false;
        }
    }
    if code == LICENCE_NUMBER_TYPE {
        match (subject.get("licenceNumber"), subject.get("holderId")) {
            (None, None) => {}
            (Some(Json::Str(number)), Some(Json::Str(holder))) if number == holder => {}
            _ => return false,
        }
    }
    true
}

// --- Python entry points -----------------------------------------------------------------------------------------

/// For each document, whether `validate_credential` passes it (a wrapped credential's `proof` ignored); False
/// where it may not, and the reference decides. The checks run without the GIL, on all cores for large batches.
#[pyfunction]
pub fn clear_credentials(
    py: Python<'_>,
    clearing: &Bound<'_, Clearing>,
    documents: &Bound<'_, PyList>,
) -> PyResult<Vec<bool>> {
    let cx = Context::new(py)?;
    clearing.get().clear_copied(documents, &cx, |document| owned::copy_without(document, "proof"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eip55_checksums() {
        assert!(is_checksummed("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"));
        assert!(is_checksummed("0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359"));
        assert!(!is_checksummed("0x5aaeb6053F3E94C9b9A09f33669435E7Ef1BeAed"));
        assert!(!is_checksummed("0X5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"));
        assert!(!is_checksummed("5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"));
    }

    #[test]
    fn plain_bytes_start_no_refused_character() {
        for n in 0..=0x10FFFFu32 {
            let Some(c) = char::from_u32(n) else { continue };
            let mut buffer = [0u8; 4];
            let text = c.encode_utf8(&mut buffer);
            if text.bytes().all(|b| PLAIN_BYTES[usize::from(b)]) {
                assert!(v::refused(c, false).is_none(), "U+{n:04X}");
            }
        }
    }

    #[test]
    fn status_list_indices_and_urls() {
        assert!(index_clears("0") && index_clears("1234567890"));
        assert!(!index_clears("01") && !index_clears("12345678901") && !index_clears("5\n") && !index_clears(""));
        assert!(url_clears("https://example.org/s/1") && url_clears("http://a"));
        assert!(!url_clears("https://") && !url_clears("ftp://a") && !url_clears("https://a b"));
    }
}
