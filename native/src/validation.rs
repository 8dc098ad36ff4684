//! Validation of licence records: the GB 11643 / GB 32100 / GB/T 2260 checks, the text check and the bundled
//! JSON Schemas compiled into checks, with the pointers, codes and messages of `ledger.certificates.validation`
//! and `ledger.certificates.schema_checks`.
//!
//! A problem is a `(pointer, code, message)` triple. Where a message quotes a value as Python's `repr` writes
//! it, Python writes it (only for refused values, so off the fast path); every other text is built here.
//! The GB/T 2260 table comes from Python once (`load_regions`), and a schema comes compiled by
//! `ledger.certificates.schema_compiler` into a plan of checks (`Schema`).

use std::collections::HashSet;
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use regex::Regex;

use crate::owned::{self, FastMap, FastSet, Json};

/// One reason a value is refused: JSON Pointer, machine-readable code, message.
pub type Problem = (String, &'static str, String);

type Obj<'py> = Bound<'py, PyAny>;

// --- the GB/T 2260 table --------------------------------------------------------------------------------------

pub(crate) struct Region {
    pub(crate) last_year: Option<i32>,
    name: String,
}

static REGIONS: OnceLock<FastMap<String, Region>> = OnceLock::new();

/// Takes the GB/T 2260 table once: `(code, last year in force or None, latest name)` rows.
#[pyfunction]
pub fn load_regions(rows: Vec<(String, Option<i32>, String)>) {
    let _ = REGIONS.set(rows.into_iter().map(|(code, last_year, name)| (code, Region { last_year, name })).collect());
}

pub(crate) fn regions(py: Python<'_>) -> PyResult<&'static FastMap<String, Region>> {
    match REGIONS.get() {
        Some(table) => Ok(table),
        None => {
            // Loaded by `ledger.certificates.validation` on first use; load it if a caller came here first.
            py.import("ledger.certificates.validation")?.getattr("_native_checks")?.call0()?;
            REGIONS.get().ok_or_else(|| PyValueError::new_err("the GB/T 2260 table was not loaded"))
        }
    }
}

pub(crate) fn is_province_shape(code: &str) -> bool {
    code.ends_with("0000")
}

pub(crate) fn province_of(code: &str) -> String {
    let head: String = code.chars().take(2).collect();
    head + "0000"
}

fn repr(value: &Obj<'_>) -> PyResult<String> {
    Ok(value.repr()?.to_str()?.to_owned())
}

/// `repr` of a one-character ASCII string.
fn char_repr(c: char) -> String {
    if c == '\'' {
        "\"'\"".to_owned()
    } else {
        format!("'{c}'")
    }
}

// --- dates -------------------------------------------------------------------------------------------------------

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 0,
    }
}

/// Whether Python's `date(year, month, day)` accepts these.
pub(crate) fn real_date(year: i32, month: u32, day: u32) -> bool {
    (1..=9999).contains(&year) && (1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month)
}

/// Today's date in UTC (`datetime.now(UTC).date()`).
pub(crate) fn today_utc() -> (i32, u32, u32) {
    let seconds = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
    // Howard Hinnant's days-to-civil.
    let z = seconds.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = (yoe + era * 400) as i32 + i32::from(month <= 2);
    (year, month, day)
}

fn digits(text: &str) -> Option<u32> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// The `date` format: `[0-9]{4}-[0-9]{2}-[0-9]{2}` naming a real date.
pub(crate) fn is_date(text: &str) -> bool {
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    match (digits(&text[..4]), digits(&text[5..7]), digits(&text[8..])) {
        (Some(y), Some(m), Some(d)) => real_date(y as i32, m, d),
        _ => false,
    }
}

/// The `date-time` format: RFC 3339 as `formats._RFC3339` reads it, naming a time `datetime.fromisoformat`
/// accepts (real date, hour < 24, minute and second < 60, offset under 24 hours).
pub(crate) fn is_date_time(text: &str) -> bool {
    let b = text.as_bytes();
    if b.len() < 20 || !text.is_ascii() || !is_date(&text[..10]) || !matches!(b[10], b'T' | b't') {
        return false;
    }
    if b[13] != b':' || b[16] != b':' {
        return false;
    }
    let (Some(hour), Some(minute), Some(second)) =
        (digits(&text[11..13]), digits(&text[14..16]), digits(&text[17..19]))
    else {
        return false;
    };
    if hour > 23 || minute > 59 || second > 59 {
        return false;
    }
    let mut rest = &text[19..];
    if let Some(fraction) = rest.strip_prefix('.') {
        let n = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return false;
        }
        rest = &fraction[n..];
    }
    match rest.as_bytes() {
        [b'Z' | b'z'] => true,
        [b'+' | b'-', h1, h2, b':', m1, m2] => {
            let (Some(h), Some(m)) = (digits(&rest[1..3]), digits(&rest[4..6])) else { return false };
            let _ = (h1, h2, m1, m2);
            h * 60 + m < 24 * 60
        }
        _ => false,
    }
}

// --- resident ID numbers, GB 11643-1999 -------------------------------------------------------------------------

pub(crate) const ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK: &[u8; 11] = b"10X98765432";
pub(crate) const PERMIT_PREFIXES: [&str; 3] = ["810000", "820000", "830000"];

pub(crate) fn resident_id_check_character(body: &[u8]) -> char {
    let total: u32 = body.iter().zip(ID_WEIGHTS).map(|(c, w)| u32::from(c - b'0') * w).sum();
    ID_CHECK[(total % 11) as usize] as char
}

fn iso_date(year: i32, month: u32, day: u32) -> String {
    format!("{year:04}-{month:02}-{day:02}")
}

pub fn resident_id_problems(value: &Obj<'_>, pointer: &str, today: Option<(i32, u32, u32)>) -> PyResult<Vec<Problem>> {
    let py = value.py();
    let Ok(text) = value.cast::<PyString>() else {
        return Ok(vec![(pointer.to_owned(), "invalid_type", "a resident ID number must be a string".to_owned())]);
    };
    let text = text.to_str().ok().unwrap_or("");
    let b = text.as_bytes();
    let shaped = b.len() == 18 && b[..17].iter().all(u8::is_ascii_digit) && (b[17].is_ascii_digit() || b[17] == b'X');
    if !shaped {
        let hint = if b.len() == 18 && b[..17].iter().all(u8::is_ascii_digit) && b[17] == b'x' {
            " (the check character X is upper case)"
        } else {
            ""
        };
        let message =
            format!("a resident ID number is 17 digits and a check character 0-9 or X{hint}, got {}", repr(value)?);
        return Ok(vec![(pointer.to_owned(), "invalid_resident_id_format", message)]);
    }
    let mut problems = Vec::new();
    let (prefix, birth_text) = (&text[..6], &text[6..14]);
    let (y, m, d) = (text[6..10].parse::<i32>().unwrap(), text[10..12].parse().unwrap(), text[12..14].parse().unwrap());
    let birth = real_date(y, m, d).then_some((y, m, d));
    match birth {
        None => problems.push((
            pointer.to_owned(),
            "invalid_birth_date",
            format!("birth date {birth_text} is not a real date"),
        )),
        Some(born) => {
            if born > today.unwrap_or_else(today_utc) {
                let message = format!("birth date {} is in the future", iso_date(y, m, d));
                problems.push((pointer.to_owned(), "birth_date_in_future", message));
            } else if born < (1900, 1, 1) {
                let message = format!("birth date {} is before 1900-01-01", iso_date(y, m, d));
                problems.push((pointer.to_owned(), "invalid_birth_date", message));
            }
        }
    }
    if !PERMIT_PREFIXES.contains(&prefix) {
        match regions(py)?.get(prefix) {
            None => problems.push((
                pointer.to_owned(),
                "unknown_region_prefix",
                format!("region prefix {prefix} is no GB/T 2260 code of any revision"),
            )),
            Some(region) => {
                if let (Some((year, _, _)), Some(last)) = (birth, region.last_year) {
                    if last < year - 1 {
                        let message = format!(
                            "region prefix {prefix} ({}) was retired in {last}, before the holder was born in {year}",
                            region.name
                        );
                        problems.push((pointer.to_owned(), "region_prefix_retired", message));
                    }
                }
            }
        }
    }
    let expected = resident_id_check_character(&b[..17]);
    let found = b[17] as char;
    if found != expected {
        let message =
            format!("check character is {}, expected {} (ISO 7064 MOD 11-2)", char_repr(found), char_repr(expected));
        problems.push((pointer.to_owned(), "invalid_resident_id_checksum", message));
    }
    Ok(problems)
}

// --- unified social credit codes, GB 32100-2015 -----------------------------------------------------------------

pub(crate) const USCC_CHARSET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
pub(crate) const USCC_WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
pub(crate) const NATIONAL_REGION_CODE: &str = "100000";

/// Registration authorities (position 1), their names and their entity types (position 2), as
/// `validation.REGISTRATION_AUTHORITIES` lists them.
pub(crate) const AUTHORITIES: [(char, &str, &str); 12] = [
    ('1', "机构编制", "1239"),
    ('2', "外交", "19"),
    ('3', "司法行政", "123459"),
    ('4', "文化", "19"),
    ('5', "民政", "1239"),
    ('6', "旅游", "129"),
    ('7', "宗教", "129"),
    ('8', "工会", "19"),
    ('9', "工商", "123"),
    ('A', "中央军委改革和编制办公室", "19"),
    ('N', "农业", "1239"),
    ('Y', "其他", "1"),
];

pub(crate) fn uscc_value(c: char) -> Option<u32> {
    USCC_CHARSET.find(c).map(|i| i as u32)
}

pub fn uscc_problems(value: &Obj<'_>, pointer: &str) -> PyResult<Vec<Problem>> {
    let py = value.py();
    let Ok(text) = value.cast::<PyString>() else {
        return Ok(vec![(
            pointer.to_owned(),
            "invalid_type",
            "a unified social credit code must be a string".to_owned(),
        )]);
    };
    let length = text.len()?;
    if length != 18 {
        let message = format!("a unified social credit code is 18 characters, got {length}");
        return Ok(vec![(pointer.to_owned(), "invalid_uscc_format", message)]);
    }
    let Ok(text) = text.to_str() else {
        // A lone surrogate is no character of the set: Python names the refused ones.
        let bad = py
            .eval(
                c"lambda v: ''.join(sorted({c for c in v if c not in '0123456789ABCDEFGHJKLMNPQRTUWXY'}))",
                None,
                None,
            )?
            .call1((value,))?;
        let message = format!("characters {} are not allowed: digits and capitals except I, O, Z, S, V", repr(&bad)?);
        return Ok(vec![(pointer.to_owned(), "invalid_uscc_character", message)]);
    };
    let chars: Vec<char> = text.chars().collect();
    let mut bad: Vec<char> = chars.iter().copied().filter(|&c| uscc_value(c).is_none()).collect();
    if !bad.is_empty() {
        bad.sort_unstable();
        bad.dedup();
        let joined = PyString::new(py, &bad.into_iter().collect::<String>());
        let message =
            format!("characters {} are not allowed: digits and capitals except I, O, Z, S, V", repr(joined.as_any())?);
        return Ok(vec![(pointer.to_owned(), "invalid_uscc_character", message)]);
    }
    let mut problems = Vec::new();
    match AUTHORITIES.iter().find(|(code, _, _)| *code == chars[0]) {
        None => problems.push((
            pointer.to_owned(),
            "unknown_registration_authority",
            format!("registration authority code {} is unknown", char_repr(chars[0])),
        )),
        Some((_, name, types)) => {
            if !types.contains(chars[1]) {
                let listed: Vec<String> = types.chars().map(String::from).collect();
                let message =
                    format!("entity type code {} is not one of {name}'s ({})", char_repr(chars[1]), listed.join(", "));
                problems.push((pointer.to_owned(), "unknown_entity_type", message));
            }
        }
    }
    let region: String = chars[2..8].iter().collect();
    if region != NATIONAL_REGION_CODE && !regions(py)?.contains_key(&region) {
        let message = format!("region code {region} (positions 3-8) is no GB/T 2260 code");
        problems.push((pointer.to_owned(), "unknown_uscc_region", message));
    }
    let total: u32 = chars[..17].iter().zip(USCC_WEIGHTS).map(|(&c, w)| uscc_value(c).unwrap() * w).sum();
    let expected = USCC_CHARSET.as_bytes()[((31 - total % 31) % 31) as usize] as char;
    if chars[17] != expected {
        let message = format!("check character is {}, expected {}", char_repr(chars[17]), char_repr(expected));
        problems.push((pointer.to_owned(), "invalid_uscc_checksum", message));
    }
    Ok(problems)
}

// --- GB/T 2260 province and region codes ------------------------------------------------------------------------

/// The code, or the problem of a value that is no string of 6 ASCII digits.
fn code_shape(value: &Obj<'_>, pointer: &str) -> PyResult<Result<String, Vec<Problem>>> {
    if let Ok(text) = value.cast::<PyString>() {
        if let Ok(code) = text.to_str() {
            if code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) {
                return Ok(Ok(code.to_owned()));
            }
        }
    }
    let message = format!("a GB/T 2260 code is a string of 6 digits, got {}", repr(value)?);
    Ok(Err(vec![(pointer.to_owned(), "invalid_region_code", message)]))
}

pub fn province_code_problems(value: &Obj<'_>, pointer: &str) -> PyResult<Vec<Problem>> {
    let code = match code_shape(value, pointer)? {
        Ok(code) => code,
        Err(problems) => return Ok(problems),
    };
    let code = code.as_str();
    let Some(region) = regions(value.py())?.get(code) else {
        return Ok(vec![(pointer.to_owned(), "unknown_region_code", format!("{code} is no GB/T 2260 code"))]);
    };
    if !is_province_shape(code) {
        let message = format!("{code} ({}) is no province-level code (ending in 0000)", region.name);
        return Ok(vec![(pointer.to_owned(), "not_a_province_code", message)]);
    }
    if let Some(last) = region.last_year {
        let message = format!("{code} ({}) was retired in {last}", region.name);
        return Ok(vec![(pointer.to_owned(), "unknown_region_code", message)]);
    }
    Ok(Vec::new())
}

pub fn region_code_problems(value: &Obj<'_>, pointer: &str, province: Option<&str>) -> PyResult<Vec<Problem>> {
    let code = match code_shape(value, pointer)? {
        Ok(code) => code,
        Err(problems) => return Ok(problems),
    };
    let code = code.as_str();
    let table = regions(value.py())?;
    let Some(region) = table.get(code) else {
        return Ok(vec![(pointer.to_owned(), "unknown_region_code", format!("{code} is no GB/T 2260 code"))]);
    };
    if let Some(province) = province {
        if !(is_province_shape(province) && province_of(code) == province) {
            let inside_code = province_of(code);
            let place = match table.get(&inside_code) {
                Some(inside) => format!(" but in {} ({inside_code})", inside.name),
                None => String::new(),
            };
            let message = format!("{code} ({}) is not inside province {province}{place}", region.name);
            return Ok(vec![(pointer.to_owned(), "region_outside_province", message)]);
        }
    }
    Ok(Vec::new())
}

// --- text --------------------------------------------------------------------------------------------------------

#[derive(Clone, Copy)]
pub(crate) enum Refused {
    Bidi,
    Control,
    Invisible,
}

pub(crate) fn refused(c: char, multiline: bool) -> Option<Refused> {
    let n = c as u32;
    if matches!(n, 0x202a..=0x202e | 0x2066..=0x2069) {
        return Some(Refused::Bidi);
    }
    if matches!(n, 0x00..=0x08 | 0x0b..=0x1f | 0x7f..=0x9f | 0x2028 | 0x2029)
        || (!multiline && matches!(n, 0x09 | 0x0a))
    {
        return Some(Refused::Control);
    }
    let invisible = matches!(
        n,
        0xad | 0x34f
            | 0x115f
            | 0x1160
            | 0x17b4
            | 0x17b5
            | 0x200b
            | 0x2060..=0x2065
            | 0x206a..=0x206f
            | 0x3164
            | 0xfeff
            | 0xffa0
            | 0xfff0..=0xfffb
            | 0x1bca0..=0x1bca3
            | 0x1d173..=0x1d17a
            | 0xe0000..=0xe00ff
            | 0xe01f0..=0xe0fff
    );
    invisible.then_some(Refused::Invisible)
}

/// The problem of a string holding a refused character (`validation.check_text`), if any.
fn text_problem(py: Python<'_>, text: &str, pointer: &str, multiline: bool) -> PyResult<Option<Problem>> {
    if text.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return Ok(None); // printable ASCII: nothing to refuse
    }
    for (position, c) in text.chars().enumerate() {
        let Some(kind) = refused(c, multiline) else { continue };
        let (code, what) = match kind {
            Refused::Bidi => ("bidi_control", "bidirectional formatting character"),
            Refused::Control => ("control_character", "control character"),
            Refused::Invisible => ("invisible_character", "invisible character"),
        };
        let name: String = py.import("unicodedata")?.getattr("name")?.call1((c.to_string(), ""))?.extract()?;
        let label = if name.is_empty() { format!("U+{:04X}", c as u32) } else { format!("U+{:04X} {name}", c as u32) };
        let message = format!("{what} {label} at character {} is not allowed in text", position + 1);
        return Ok(Some((pointer.to_owned(), code, message)));
    }
    Ok(None)
}

fn string_problem(value: &Bound<'_, PyString>, pointer: &str, multiline: bool) -> PyResult<Option<Problem>> {
    match value.to_str() {
        Ok(text) => text_problem(value.py(), text, pointer, multiline),
        Err(_) => {
            // Lone surrogates are no concern of this check (another refuses them): look at the rest.
            let kept: String =
                value.call_method1("encode", ("utf-8", "replace"))?.call_method1("decode", ("utf-8",))?.extract()?;
            text_problem(value.py(), &kept, pointer, multiline)
        }
    }
}

pub(crate) fn escape_token(token: &str, out: &mut String) {
    for c in token.chars() {
        match c {
            '~' => out.push_str("~0"),
            '/' => out.push_str("~1"),
            _ => out.push(c),
        }
    }
}

fn walk_text(
    value: &Obj<'_>,
    pointer: &mut String,
    multiline: &HashSet<String>,
    out: &mut Vec<Problem>,
) -> PyResult<()> {
    if let Ok(text) = value.cast::<PyString>() {
        if let Some(problem) = string_problem(text, pointer, multiline.contains(pointer.as_str()))? {
            out.push(problem);
        }
    } else if let Ok(dict) = value.cast::<PyDict>() {
        for (key, item) in dict.iter() {
            if !(item.is_instance_of::<PyString>()
                || item.is_instance_of::<PyDict>()
                || item.is_instance_of::<PyList>())
            {
                continue;
            }
            let at = pointer.len();
            pointer.push('/');
            match key.cast::<PyString>().ok().and_then(|k| k.to_str().ok()) {
                Some(k) => escape_token(k, pointer),
                None => escape_token(key.str()?.to_str()?, pointer),
            }
            walk_text(&item, pointer, multiline, out)?;
            pointer.truncate(at);
        }
    } else if let Ok(list) = value.cast::<PyList>() {
        for (index, item) in list.iter().enumerate() {
            let at = pointer.len();
            pointer.push('/');
            pointer.push_str(&index.to_string());
            walk_text(&item, pointer, multiline, out)?;
            pointer.truncate(at);
        }
    }
    Ok(())
}

// --- JSON Schemas compiled into checks ----------------------------------------------------------------------

/// JSON equality as JSON Schema means it: booleans are not numbers, 1 equals 1.0.
fn json_equal(a: &Obj<'_>, b: &Obj<'_>) -> PyResult<bool> {
    let (a_bool, b_bool) = (a.is_instance_of::<PyBool>(), b.is_instance_of::<PyBool>());
    if a_bool || b_bool {
        return Ok(a_bool && b_bool && a.is_truthy()? == b.is_truthy()?);
    }
    if let (Ok(x), Ok(y)) = (a.cast::<PyList>(), b.cast::<PyList>()) {
        if x.len() != y.len() {
            return Ok(false);
        }
        for (p, q) in x.iter().zip(y.iter()) {
            if !json_equal(&p, &q)? {
                return Ok(false);
            }
        }
        return Ok(true);
    }
    if let (Ok(x), Ok(y)) = (a.cast::<PyDict>(), b.cast::<PyDict>()) {
        if x.len() != y.len() {
            return Ok(false);
        }
        for (k, v) in x.iter() {
            match y.get_item(&k)? {
                Some(w) if json_equal(&v, &w)? => {}
                _ => return Ok(false),
            }
        }
        return Ok(true);
    }
    let container = |o: &Obj<'_>| o.is_instance_of::<PyList>() || o.is_instance_of::<PyDict>();
    if container(a) || container(b) {
        return Ok(false);
    }
    a.eq(b)
}

fn is_number(value: &Obj<'_>) -> bool {
    (value.is_instance_of::<PyInt>() || value.is_instance_of::<PyFloat>()) && !value.is_instance_of::<PyBool>()
}

#[derive(Clone, Copy)]
pub(crate) enum Type {
    String,
    Object,
    Array,
    Boolean,
    Null,
    Number,
    Integer,
}

impl Type {
    fn parse(name: &str) -> PyResult<Type> {
        Ok(match name {
            "string" => Type::String,
            "object" => Type::Object,
            "array" => Type::Array,
            "boolean" => Type::Boolean,
            "null" => Type::Null,
            "number" => Type::Number,
            "integer" => Type::Integer,
            _ => return Err(PyValueError::new_err(format!("unsupported type {name}"))),
        })
    }

    fn holds(self, value: &Obj<'_>) -> PyResult<bool> {
        Ok(match self {
            Type::String => value.is_instance_of::<PyString>(),
            Type::Object => value.is_instance_of::<PyDict>(),
            Type::Array => value.is_instance_of::<PyList>(),
            Type::Boolean => value.is_instance_of::<PyBool>(),
            Type::Null => value.is_none(),
            Type::Number => is_number(value),
            Type::Integer => {
                if value.is_instance_of::<PyBool>() {
                    false
                } else if value.is_instance_of::<PyInt>() {
                    true
                } else if let Ok(f) = value.cast::<PyFloat>() {
                    f.value().fract() == 0.0
                } else {
                    false
                }
            }
        })
    }
}

#[derive(Clone, Copy)]
pub(crate) enum Format {
    Date,
    DateTime,
    ResidentId,
    Uscc,
    Province,
    Region,
    Unknown,
}

impl Format {
    fn parse(name: &str) -> Format {
        match name {
            "date" => Format::Date,
            "date-time" => Format::DateTime,
            "gb11643-resident-id" => Format::ResidentId,
            "gb32100-uscc" => Format::Uscc,
            "gb2260-province" => Format::Province,
            "gb2260-region" => Format::Region,
            _ => Format::Unknown,
        }
    }

    /// The detailed problems of a GB format (`formats._DETAILED_FORMATS`), or None for the others.
    fn detailed(self, value: &Obj<'_>, pointer: &str) -> PyResult<Option<Vec<Problem>>> {
        Ok(Some(match self {
            Format::ResidentId => resident_id_problems(value, pointer, None)?,
            Format::Uscc => uscc_problems(value, pointer)?,
            Format::Province => province_code_problems(value, pointer)?,
            Format::Region => region_code_problems(value, pointer, None)?,
            _ => return Ok(None),
        }))
    }

    /// Whether a string passes (values of other types always do).
    fn passes(self, value: &Obj<'_>) -> PyResult<bool> {
        let Ok(text) = value.cast::<PyString>() else { return Ok(true) };
        Ok(match self {
            Format::Date => text.to_str().is_ok_and(is_date),
            Format::DateTime => text.to_str().is_ok_and(is_date_time),
            Format::Unknown => true,
            _ => self.detailed(value, "")?.is_some_and(|p| p.is_empty()),
        })
    }
}

/// `Const`, `Enum`, `Minimum` and `Maximum` also hold their value as owned JSON (`clearing`), None where it has
/// no such form (which then clears nothing).
pub(crate) enum Keyword {
    Type(Type),
    Const(Py<PyAny>, Option<Json>),
    Enum(Vec<Py<PyAny>>, Option<Vec<Json>>),
    Pattern(Regex, String),
    Format(Format),
    MinLength(usize),
    MaxLength(usize),
    MinItems(usize),
    MaxItems(usize),
    Minimum(Py<PyAny>, Option<i64>),
    Maximum(Py<PyAny>, Option<i64>),
    UniqueItems,
    Items(Box<Node>),
    Required(Vec<(String, String, String)>),
    /// (name, its pointer token, its subschema, the name as owned text)
    Properties(Vec<(Py<PyString>, String, Node, String)>),
    AdditionalProperties(FastSet<String>),
}

/// One keyword of a schema: the check, its problem code and the text after the refused value's `repr` in
/// its message (or the whole message, for `const`).
pub(crate) struct Check {
    pub(crate) keyword: Keyword,
    code: &'static str,
    text: String,
}

/// A (sub)schema: the label of its messages (`"<title>: "` or empty) and its keywords in schema order.
pub(crate) struct Node {
    label: String,
    pub(crate) checks: Vec<Check>,
}

/// Problem codes live as long as the module: the few distinct ones are interned.
fn intern(code: String) -> &'static str {
    static CODES: OnceLock<std::sync::Mutex<HashSet<&'static str>>> = OnceLock::new();
    let mut codes = CODES.get_or_init(Default::default).lock().expect("no panics while holding it");
    if let Some(known) = codes.get(code.as_str()) {
        return known;
    }
    let leaked: &'static str = Box::leak(code.into_boxed_str());
    codes.insert(leaked);
    leaked
}

fn compile_node(plan: &Obj<'_>) -> PyResult<Node> {
    let (label, checks): (String, Vec<Obj<'_>>) = plan.extract()?;
    let checks = checks.iter().map(compile_check).collect::<PyResult<_>>()?;
    Ok(Node { label, checks })
}

fn compile_check(plan: &Obj<'_>) -> PyResult<Check> {
    let plan = plan.cast::<PyTuple>()?;
    let name: String = plan.get_item(0)?.extract()?;
    let code = intern(plan.get_item(1)?.extract()?);
    let text: String = plan.get_item(2)?.extract()?;
    let arg = plan.get_item(3)?;
    let keyword = match name.as_str() {
        "type" => Keyword::Type(Type::parse(&arg.extract::<String>()?)?),
        "const" => Keyword::Const(arg.clone().unbind(), owned::copy(&arg)?),
        "enum" => {
            let options: Vec<Obj<'_>> = arg.try_iter()?.collect::<PyResult<_>>()?;
            let owned = options.iter().map(owned::copy).collect::<PyResult<Option<Vec<Json>>>>()?;
            Keyword::Enum(options.into_iter().map(Bound::unbind).collect(), owned)
        }
        "pattern" => {
            let (native, python): (String, String) = arg.extract()?;
            Keyword::Pattern(Regex::new(&native).map_err(|e| PyValueError::new_err(e.to_string()))?, python)
        }
        "format" => Keyword::Format(Format::parse(&arg.extract::<String>()?)),
        "minLength" => Keyword::MinLength(arg.extract()?),
        "maxLength" => Keyword::MaxLength(arg.extract()?),
        "minItems" => Keyword::MinItems(arg.extract()?),
        "maxItems" => Keyword::MaxItems(arg.extract()?),
        "minimum" => Keyword::Minimum(arg.clone().unbind(), exact_i64(&arg)),
        "maximum" => Keyword::Maximum(arg.clone().unbind(), exact_i64(&arg)),
        "uniqueItems" => Keyword::UniqueItems,
        "items" => Keyword::Items(Box::new(compile_node(&arg)?)),
        "required" => Keyword::Required(arg.extract()?),
        "properties" => {
            let mut properties = Vec::new();
            for item in arg.try_iter()? {
                let item = item?;
                let item = item.cast::<PyTuple>()?;
                let name = item.get_item(0)?.cast_into::<PyString>()?;
                let text = name.to_str()?.to_owned();
                properties.push((name.unbind(), item.get_item(1)?.extract()?, compile_node(&item.get_item(2)?)?, text));
            }
            Keyword::Properties(properties)
        }
        "additionalProperties" => Keyword::AdditionalProperties(arg.extract()?),
        other => return Err(PyValueError::new_err(format!("unsupported keyword {other}"))),
    };
    Ok(Check { keyword, code, text })
}

/// An exact Python int within 64 bits (a bound the owned checks compare with), or None.
fn exact_i64(value: &Obj<'_>) -> Option<i64> {
    value.cast_exact::<PyInt>().ok().and_then(|n| n.extract().ok())
}

fn str_len(value: &Obj<'_>) -> PyResult<Option<usize>> {
    Ok(match value.cast::<PyString>() {
        Ok(s) => Some(s.len()?),
        Err(_) => None,
    })
}

fn list_len(value: &Obj<'_>) -> Option<usize> {
    value.cast::<PyList>().ok().map(|l| l.len())
}

fn pattern_fails(regex: &Regex, python: &str, value: &Obj<'_>) -> PyResult<bool> {
    let Ok(text) = value.cast::<PyString>() else { return Ok(false) };
    match text.to_str() {
        Ok(text) => Ok(!regex.is_match(text)),
        // Lone surrogates: Python's own `re` decides.
        Err(_) => Ok(value.py().import("re")?.getattr("search")?.call1((python, text))?.is_none()),
    }
}

fn has_duplicates(list: &Bound<'_, PyList>) -> PyResult<bool> {
    let items: Vec<_> = list.iter().collect();
    for (i, a) in items.iter().enumerate() {
        for b in &items[i + 1..] {
            if json_equal(a, b)? {
                return Ok(true);
            }
        }
    }
    Ok(false)
}

impl Check {
    /// Whether a keyword that looks at `value` alone refuses it; `None` for the ones that descend or report
    /// problems of their own (items, properties, required, additionalProperties, GB formats).
    fn refuses(&self, value: &Obj<'_>) -> PyResult<Option<bool>> {
        let py = value.py();
        Ok(Some(match &self.keyword {
            Keyword::Type(kind) => !kind.holds(value)?,
            Keyword::Const(expected, _) => !json_equal(value, expected.bind(py))?,
            Keyword::Enum(options, _) => {
                let mut any = false;
                for option in options {
                    if json_equal(value, option.bind(py))? {
                        any = true;
                        break;
                    }
                }
                !any
            }
            Keyword::Pattern(regex, python) => pattern_fails(regex, python, value)?,
            Keyword::Format(format) => !format.passes(value)?,
            Keyword::MinLength(n) => str_len(value)?.is_some_and(|len| len < *n),
            Keyword::MaxLength(n) => str_len(value)?.is_some_and(|len| len > *n),
            Keyword::MinItems(n) => list_len(value).is_some_and(|len| len < *n),
            Keyword::MaxItems(n) => list_len(value).is_some_and(|len| len > *n),
            Keyword::Minimum(bound, _) => is_number(value) && value.lt(bound.bind(py))?,
            Keyword::Maximum(bound, _) => is_number(value) && value.gt(bound.bind(py))?,
            Keyword::UniqueItems => match value.cast::<PyList>() {
                Ok(list) => has_duplicates(list)?,
                Err(_) => false,
            },
            _ => return Ok(None),
        }))
    }
}

fn push_token(pointer: &mut String, token: &str) -> usize {
    let at = pointer.len();
    pointer.push('/');
    pointer.push_str(token);
    at
}

impl Node {
    /// Appends the problems of `value` (at `pointer`) in jsonschema's order: keywords in schema order,
    /// properties in the schema's order.
    fn problems(&self, value: &Obj<'_>, pointer: &mut String, out: &mut Vec<Problem>) -> PyResult<()> {
        let py = value.py();
        for check in &self.checks {
            match &check.keyword {
                Keyword::Items(item) => {
                    if let Ok(list) = value.cast::<PyList>() {
                        for (index, element) in list.iter().enumerate() {
                            let at = push_token(pointer, &index.to_string());
                            item.problems(&element, pointer, out)?;
                            pointer.truncate(at);
                        }
                    }
                }
                Keyword::Required(names) => {
                    if let Ok(dict) = value.cast::<PyDict>() {
                        let mut missing = Vec::new();
                        for (name, token, message) in names {
                            if !dict.contains(name)? {
                                missing.push((format!("{pointer}/{token}"), check.code, message.clone()));
                            }
                        }
                        // jsonschema reports each missing name, and each report is explained by all of them.
                        for _ in 0..missing.len() {
                            out.extend(missing.iter().cloned());
                        }
                    }
                }
                Keyword::Properties(properties) => {
                    if let Ok(dict) = value.cast::<PyDict>() {
                        for (name, token, node, _) in properties {
                            if let Some(member) = dict.get_item(name.bind(py))? {
                                let at = push_token(pointer, token);
                                node.problems(&member, pointer, out)?;
                                pointer.truncate(at);
                            }
                        }
                    }
                }
                Keyword::AdditionalProperties(allowed) => {
                    if let Ok(dict) = value.cast::<PyDict>() {
                        for key in dict.keys() {
                            let name = key.str()?;
                            let name = name.to_str()?;
                            if !allowed.contains(name) {
                                let mut at = format!("{pointer}/");
                                escape_token(name, &mut at);
                                out.push((at, check.code, format!("{name} is not a field of {}", check.text)));
                            }
                        }
                    }
                }
                Keyword::Const(..) => {
                    if check.refuses(value)? == Some(true) {
                        out.push((pointer.clone(), check.code, format!("{}{}", self.label, check.text)));
                    }
                }
                Keyword::Format(format) if check.refuses(value)? == Some(true) => {
                    match format.detailed(value, pointer)? {
                        Some(detailed) if !detailed.is_empty() => {
                            for (at, code, message) in detailed {
                                out.push((at, code, format!("{}{}", self.label, message)));
                            }
                        }
                        _ => out.push((
                            pointer.clone(),
                            check.code,
                            format!("{}{}{}", self.label, repr(value)?, check.text),
                        )),
                    }
                }
                _ => {
                    if check.refuses(value)? == Some(true) {
                        out.push((
                            pointer.clone(),
                            check.code,
                            format!("{}{}{}", self.label, repr(value)?, check.text),
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    /// Whether `value` passes, without writing any message (the fast path of valid documents).
    fn passes(&self, value: &Obj<'_>) -> PyResult<bool> {
        let py = value.py();
        for check in &self.checks {
            let ok = match &check.keyword {
                Keyword::Items(item) => match value.cast::<PyList>() {
                    Ok(list) => {
                        let mut all = true;
                        for element in list.iter() {
                            if !item.passes(&element)? {
                                all = false;
                                break;
                            }
                        }
                        all
                    }
                    Err(_) => true,
                },
                Keyword::Required(names) => match value.cast::<PyDict>() {
                    Ok(dict) => {
                        let mut all = true;
                        for (name, _, _) in names {
                            if !dict.contains(name)? {
                                all = false;
                                break;
                            }
                        }
                        all
                    }
                    Err(_) => true,
                },
                Keyword::Properties(properties) => match value.cast::<PyDict>() {
                    Ok(dict) => {
                        let mut all = true;
                        for (name, _, node, _) in properties {
                            if let Some(member) = dict.get_item(name.bind(py))? {
                                if !node.passes(&member)? {
                                    all = false;
                                    break;
                                }
                            }
                        }
                        all
                    }
                    Err(_) => true,
                },
                Keyword::AdditionalProperties(allowed) => match value.cast::<PyDict>() {
                    Ok(dict) => dict.keys().iter().all(|key| {
                        key.cast::<PyString>().ok().and_then(|k| k.to_str().ok()).is_some_and(|k| allowed.contains(k))
                    }),
                    Err(_) => true,
                },
                _ => check.refuses(value)? != Some(true),
            };
            if !ok {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

/// A bundled JSON Schema compiled into checks (`ledger.certificates.schema_compiler._plan`).
#[pyclass(frozen, module = "hurong_native", name = "Schema")]
pub struct Schema {
    pub(crate) root: Node,
}

#[pymethods]
impl Schema {
    #[new]
    fn new(plan: &Bound<'_, PyAny>) -> PyResult<Self> {
        Ok(Schema { root: compile_node(plan)? })
    }

    /// The problems of `instance`, its pointers under `base`, as `schema_checks._schema_problems` lists them.
    fn problems(&self, instance: &Bound<'_, PyAny>, base: &str) -> PyResult<Vec<Problem>> {
        if self.root.passes(instance)? {
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        let mut pointer = base.to_owned();
        self.root.problems(instance, &mut pointer, &mut out)?;
        Ok(out)
    }
}

// --- Python entry points -------------------------------------------------------------------------------------

#[pyfunction]
#[pyo3(signature = (value, pointer = "", today = None))]
pub fn check_resident_id(value: &Obj<'_>, pointer: &str, today: Option<(i32, u32, u32)>) -> PyResult<Vec<Problem>> {
    resident_id_problems(value, pointer, today)
}

#[pyfunction]
#[pyo3(signature = (value, pointer = ""))]
pub fn check_uscc(value: &Obj<'_>, pointer: &str) -> PyResult<Vec<Problem>> {
    uscc_problems(value, pointer)
}

#[pyfunction]
#[pyo3(signature = (value, pointer = ""))]
pub fn check_province_code(value: &Obj<'_>, pointer: &str) -> PyResult<Vec<Problem>> {
    province_code_problems(value, pointer)
}

#[pyfunction]
#[pyo3(signature = (value, pointer = "", province = None))]
pub fn check_region_code(value: &Obj<'_>, pointer: &str, province: Option<&str>) -> PyResult<Vec<Problem>> {
    region_code_problems(value, pointer, province)
}

#[pyfunction]
#[pyo3(signature = (value, pointer = "", multiline = false))]
pub fn check_text(value: &Obj<'_>, pointer: &str, multiline: bool) -> PyResult<Vec<Problem>> {
    Ok(match value.cast::<PyString>() {
        Ok(text) => string_problem(text, pointer, multiline)?.into_iter().collect(),
        Err(_) => Vec::new(),
    })
}

/// `check_text` of every string in a JSON value, each at its pointer; `multiline` names running text.
#[pyfunction]
#[pyo3(signature = (value, pointer = "", multiline = None))]
pub fn text_problems(value: &Obj<'_>, pointer: &str, multiline: Option<HashSet<String>>) -> PyResult<Vec<Problem>> {
    let running = multiline.unwrap_or_default();
    let mut out = Vec::new();
    let mut at = pointer.to_owned();
    walk_text(value, &mut at, &running, &mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_times_as_python_reads_them() {
        assert!(is_date_time("2020-01-01T00:00:00Z"));
        assert!(is_date_time("2020-01-01t00:00:00.1+00:60"));
        assert!(!is_date_time("2020-01-01T00:00:00+24:00"));
        assert!(!is_date_time("2020-01-01T24:00:00Z"));
        assert!(!is_date_time("0000-01-01T00:00:00Z"));
        assert!(!is_date_time("2020-02-30T00:00:00Z"));
    }
}
