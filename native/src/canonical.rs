//! RFC 8785 (JCS) serialisation of JSON strings and numbers, as the Python reference writes them.

const HEX: &[u8; 16] = b"0123456789abcdef";

/// The escape of each byte in a JSON string: 0 for none, `u` for `\u00xx`, else the letter after `\`.
const ESCAPES: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = b'u';
        b += 1;
    }
    table[0x08] = b'b';
    table[0x09] = b't';
    table[0x0a] = b'n';
    table[0x0c] = b'f';
    table[0x0d] = b'r';
    table[b'"' as usize] = b'"';
    table[b'\\' as usize] = b'\\';
    table
};

/// Appends `s` as a JSON string: only `"`, `\` and control characters are escaped (short forms for
/// `\b \t \n \f \r`, lowercase `\u00xx` for the others).
pub fn push_json_string(out: &mut Vec<u8>, s: &[u8]) {
    out.reserve(s.len() + 2);
    out.push(b'"');
    let mut start = 0;
    for (i, &b) in s.iter().enumerate() {
        let escape = ESCAPES[b as usize];
        if escape == 0 {
            continue;
        }
        out.extend_from_slice(&s[start..i]);
        start = i + 1;
        if escape == b'u' {
            out.extend_from_slice(b"\\u00");
            out.push(HEX[(b >> 4) as usize]);
            out.push(HEX[(b & 0xf) as usize]);
        } else {
            out.push(b'\\');
            out.push(escape);
        }
    }
    out.extend_from_slice(&s[start..]);
    out.push(b'"');
}

/// Appends `bytes` as lowercase hexadecimal.
pub fn push_hex(out: &mut Vec<u8>, bytes: &[u8]) {
    for &b in bytes {
        out.push(HEX[(b >> 4) as usize]);
        out.push(HEX[(b & 0xf) as usize]);
    }
}

pub fn hex(bytes: &[u8]) -> String {
    let mut out = Vec::with_capacity(bytes.len() * 2);
    push_hex(&mut out, bytes);
    String::from_utf8(out).expect("hex digits are ASCII")
}

/// Appends the ECMAScript serialisation of a finite double (RFC 8785 section 3.2.2.3); `-0` is `0`.
/// Returns `false`, writing nothing, for NaN and the infinities.
pub fn push_number(out: &mut Vec<u8>, value: f64) -> bool {
    if !value.is_finite() {
        return false;
    }
    if value == 0.0 {
        out.push(b'0');
        return true;
    }
    if value < 0.0 {
        out.push(b'-');
    }
    let (digits, exponent) = shortest_digits(value.abs());
    let k = digits.len() as i32;
    let n = exponent + 1; // the position of the decimal point relative to the digits
    if k <= n && n <= 21 {
        out.extend_from_slice(&digits);
        out.extend(std::iter::repeat_n(b'0', (n - k) as usize));
    } else if 0 < n && n <= 21 {
        out.extend_from_slice(&digits[..n as usize]);
        out.push(b'.');
        out.extend_from_slice(&digits[n as usize..]);
    } else if -6 < n && n <= 0 {
        out.extend_from_slice(b"0.");
        out.extend(std::iter::repeat_n(b'0', (-n) as usize));
        out.extend_from_slice(&digits);
    } else {
        out.push(digits[0]);
        if k > 1 {
            out.push(b'.');
            out.extend_from_slice(&digits[1..]);
        }
        out.push(b'e');
        out.push(if n - 1 < 0 { b'-' } else { b'+' });
        out.extend_from_slice((n - 1).unsigned_abs().to_string().as_bytes());
    }
    true
}

/// The shortest digits `d1 d2 ... dk` and exponent `E` with `d1.d2...dk × 10^E` reading back as `value`
/// (positive, finite); of two such digit strings equally close to `value`, the even one (as ECMAScript and
/// Python's `repr` choose).
fn shortest_digits(value: f64) -> (Vec<u8>, i32) {
    let scientific = format!("{value:e}");
    let (mantissa, exponent) = scientific.split_once('e').expect("`{:e}` writes an exponent");
    let exponent: i32 = exponent.parse().expect("`{:e}` writes a decimal exponent");
    let mut digits: Vec<u8> = mantissa.bytes().filter(|&b| b != b'.').collect();
    let last = digits.len() - 1;
    if (digits[last] - b'0') % 2 == 1 {
        // A tie: `value` lies exactly halfway between these digits and their neighbour below or above.
        for (half, step) in [(-5i64, -1i8), (5, 1)] {
            if digits[last] == b'9' && step == 1 || !halfway(value, &digits, half, exponent) {
                continue;
            }
            let mut other = digits.clone();
            other[last] = (other[last] as i8 + step) as u8;
            let text = format!("{}e{}", std::str::from_utf8(&other).expect("digits"), exponent - last as i32);
            if text.parse::<f64>() == Ok(value) {
                digits = other;
            }
            break;
        }
    }
    (digits, exponent)
}

/// Whether `value` is exactly `(D × 10 + half) × 10^(exponent - k)`, `D` being the `k` `digits`.
fn halfway(value: f64, digits: &[u8], half: i64, exponent: i32) -> bool {
    let bits = value.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i32;
    let fraction = bits & ((1 << 52) - 1);
    let (m, e) = if biased == 0 { (fraction, -1074) } else { (fraction | 1 << 52, biased - 1075) };
    let mut n = Big::from(0);
    for &d in digits {
        n.mul_add(10, u64::from(d - b'0'));
    }
    n.mul_add(10, 0);
    n.add_signed(half);
    let q = exponent - digits.len() as i32;
    let mut lhs = Big::from(m);
    let mut rhs = n;
    lhs.scale(if e > 0 { e as u32 } else { 0 }, if q < 0 { q.unsigned_abs() } else { 0 });
    rhs.scale(if e < 0 { e.unsigned_abs() } else { 0 }, if q > 0 { q as u32 } else { 0 });
    lhs.trimmed() == rhs.trimmed()
}

/// A non-negative integer in base 2^32, little-endian: just enough arithmetic for `halfway`.
struct Big(Vec<u32>);

impl Big {
    fn from(n: u64) -> Big {
        Big(vec![n as u32, (n >> 32) as u32])
    }

    fn mul_add(&mut self, factor: u64, add: u64) {
        let mut carry = add;
        for limb in &mut self.0 {
            let product = u64::from(*limb) * factor + carry;
            *limb = product as u32;
            carry = product >> 32;
        }
        while carry > 0 {
            self.0.push(carry as u32);
            carry >>= 32;
        }
    }

    fn add_signed(&mut self, delta: i64) {
        if delta >= 0 {
            let mut carry = delta as u64;
            for limb in &mut self.0 {
                let sum = u64::from(*limb) + carry;
                *limb = sum as u32;
                carry = sum >> 32;
            }
            if carry > 0 {
                self.0.push(carry as u32);
            }
        } else {
            let mut borrow = delta.unsigned_abs();
            for limb in &mut self.0 {
                let (rest, under) = u64::from(*limb).overflowing_sub(borrow);
                *limb = rest as u32;
                borrow = if under { 1 } else { 0 };
            }
        }
    }

    /// Multiplies by `2^twos × 10^tens`.
    fn scale(&mut self, mut twos: u32, mut tens: u32) {
        while twos > 0 {
            let step = twos.min(31);
            self.mul_add(1 << step, 0);
            twos -= step;
        }
        while tens > 0 {
            let step = tens.min(9);
            self.mul_add(10u64.pow(step), 0);
            tens -= step;
        }
    }

    fn trimmed(&self) -> &[u32] {
        let end = self.0.iter().rposition(|&limb| limb != 0).map_or(0, |i| i + 1);
        &self.0[..end]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn number(value: f64) -> String {
        let mut out = Vec::new();
        assert!(push_number(&mut out, value));
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn numbers_follow_ecmascript() {
        assert_eq!(number(1e21), "1e+21");
        assert_eq!(number(1e20), "100000000000000000000");
        assert_eq!(number(-0.0), "0");
        assert_eq!(number(5e-324), "5e-324");
        assert_eq!(number(1.5e-7), "1.5e-7");
        assert_eq!(number(0.000001), "0.000001");
        assert_eq!(number(123.456), "123.456");
        assert_eq!(number(-1.0), "-1");
        assert_eq!(number(1.2345678901234568e20), "123456789012345680000");
        assert_eq!(number(9007199254740992.0), "9007199254740992");
        assert_eq!(number(70368744177664.12), "70368744177664.12"); // a tie: the even neighbour
    }

    #[test]
    fn strings_escape_only_quotes_backslashes_and_controls() {
        let mut out = Vec::new();
        push_json_string(&mut out, "a\"b\\c\u{1}\n\u{7f}张😀".as_bytes());
        assert_eq!(String::from_utf8(out).unwrap(), "\"a\\\"b\\\\c\\u0001\\n\u{7f}张😀\"");
    }
}
