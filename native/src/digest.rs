//! Hash suites, salts and digests: no Python objects here, so everything runs without the GIL.

use sha2::{Digest, Sha256};
use sm3::Sm3;

pub type Hash = [u8; 32];

/// Bytes of entropy in one salt (written as 32 lowercase hex digits).
pub const SALT_BYTES: usize = 16;

/// `D(part_0 || part_1 || ...)` for a 256-bit hash function `D`.
pub fn hash_with<D: Digest>(parts: &[&[u8]]) -> Hash {
    let mut hasher = D::new();
    for part in parts {
        hasher.update(part);
    }
    let mut out = [0u8; 32];
    out.copy_from_slice(&hasher.finalize());
    out
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Suite {
    Default,
    Sm,
}

impl Suite {
    pub fn parse(name: &str) -> Option<Suite> {
        match name {
            "default" => Some(Suite::Default),
            "sm" => Some(Suite::Sm),
            _ => None,
        }
    }

    /// `H(part_0 || part_1 || ...)`.
    pub fn hash_parts(self, parts: &[&[u8]]) -> Hash {
        match self {
            Suite::Default => hash_with::<Sha256>(parts),
            Suite::Sm => hash_with::<Sm3>(parts),
        }
    }

    pub fn hash(self, data: &[u8]) -> Hash {
        self.hash_parts(&[data])
    }

    /// The digest: `H` of the hashes sorted bytewise and concatenated.
    pub fn combine<T: AsRef<[u8]> + Ord>(self, mut hashes: Vec<T>) -> Hash {
        hashes.sort_unstable();
        let parts: Vec<&[u8]> = hashes.iter().map(AsRef::as_ref).collect();
        self.hash_parts(&parts)
    }
}

/// `count` salts from the operating system's CSPRNG, each as 32 lowercase hex digits.
pub fn new_salts(count: usize) -> Result<Vec<[u8; 2 * SALT_BYTES]>, getrandom::Error> {
    let mut pool = vec![0u8; SALT_BYTES * count];
    getrandom::fill(&mut pool)?;
    Ok(pool
        .chunks_exact(SALT_BYTES)
        .map(|chunk| {
            let mut text = [0u8; 2 * SALT_BYTES];
            let mut hex = Vec::with_capacity(2 * SALT_BYTES);
            crate::canonical::push_hex(&mut hex, chunk);
            text.copy_from_slice(&hex);
            text
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::canonical::hex;

    #[test]
    fn sm3_of_abc_is_the_standard_test_vector() {
        assert_eq!(hex(&Suite::Sm.hash(b"abc")), "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0");
    }

    #[test]
    fn salts_are_lowercase_hex_and_distinct() {
        let salts = new_salts(2).unwrap();
        assert!(salts[0].iter().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b)));
        assert_ne!(salts[0], salts[1]);
    }
}
