//! OpenZeppelin `StandardMerkleTree` layout over `bytes32` leaves (keccak-256, sorted pairs).

use rayon::prelude::*;
use sha3::Keccak256;
use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::digest::{hash_with, Hash};

/// Below this many nodes in a level, threads cost more than they save.
const PARALLEL_NODES: usize = 2048;

pub fn keccak(parts: &[&[u8]]) -> Hash {
    hash_with::<Keccak256>(parts)
}

/// `keccak256(keccak256(digest))` (the digest being exactly 32 bytes).
pub fn leaf_hash(digest: &[u8]) -> Hash {
    keccak(&[&keccak(&[digest])])
}

pub fn hash_pair(a: &[u8], b: &[u8]) -> Hash {
    if a < b {
        keccak(&[a, b])
    } else {
        keccak(&[b, a])
    }
}

pub fn process_proof<'a>(leaf: &[u8], proof: impl IntoIterator<Item = &'a [u8]>) -> Vec<u8> {
    let mut node = leaf.to_vec();
    for sibling in proof {
        node = hash_pair(&node, sibling).to_vec();
    }
    node
}

/// Pairs hashed on this thread, by their two hashes in order: the paths of one batch's certificates share their
/// upper nodes, so a batch needs about one pair hash a certificate instead of one a level. `hash_pair` is a pure
/// function, so a pair found here is exactly the pair hashed again.
const PAIR_MEMO_ENTRIES: usize = 1 << 16;

thread_local! {
    static PAIRS: RefCell<HashMap<[u8; 64], Hash, BuildHasherDefault<FirstWord>>> = RefCell::new(HashMap::default());
}

/// A hasher of keys that are keccak-256 outputs (uniform already): their first eight bytes.
#[derive(Default)]
pub struct FirstWord(u64);

impl Hasher for FirstWord {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8).take(1) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 ^= u64::from_le_bytes(word);
        }
    }

    fn write_usize(&mut self, _: usize) {} // an array's length: the same for every key
}

/// Whether `path` leads from `digest`'s leaf to `root` (`MerkleProof.verify`), the pairs hashed kept on this
/// thread (`PAIRS`) for the paths that follow.
pub fn verify_path(root: &Hash, digest: &Hash, path: &[Hash]) -> bool {
    PAIRS.with_borrow_mut(|pairs| {
        if pairs.len() >= PAIR_MEMO_ENTRIES {
            pairs.clear();
        }
        let mut node = leaf_hash(digest);
        for sibling in path {
            let (low, high) = if node.as_slice() < sibling.as_slice() { (&node, sibling) } else { (sibling, &node) };
            let mut key = [0u8; 64];
            key[..32].copy_from_slice(low);
            key[32..].copy_from_slice(high);
            node = *pairs.entry(key).or_insert_with(|| hash_pair(low, high));
        }
        &node == root
    })
}

pub enum TreeError {
    Duplicate(Hash),
}

pub struct Tree {
    nodes: Vec<Hash>,
    /// The leaves' digests in tree order (sorted by leaf hash).
    sorted: Vec<Hash>,
    index: HashMap<Hash, usize>,
}

impl Tree {
    pub fn build(digests: &[Hash]) -> Result<Tree, TreeError> {
        let n = digests.len();
        let parallel = n >= PARALLEL_NODES;
        let mut leaves: Vec<(Hash, Hash)> = if parallel {
            digests.par_iter().map(|d| (leaf_hash(d), *d)).collect()
        } else {
            digests.iter().map(|d| (leaf_hash(d), *d)).collect()
        };
        if parallel {
            leaves.par_sort_unstable();
        } else {
            leaves.sort_unstable();
        }
        if let Some(pair) = leaves.windows(2).find(|w| w[0] == w[1]) {
            return Err(TreeError::Duplicate(pair[0].1));
        }
        let size = 2 * n - 1;
        let mut nodes = vec![[0u8; 32]; size];
        for (i, (leaf, _)) in leaves.iter().enumerate() {
            nodes[size - 1 - i] = *leaf;
        }
        // Inner nodes are `0..n-1`; those of one depth depend only on the depth below.
        if n > 1 {
            let mut depth = usize::BITS - (n - 1).leading_zeros(); // deepest level holding inner nodes, + 1
            while depth > 0 {
                depth -= 1;
                let first = (1usize << depth) - 1;
                let last = ((1usize << (depth + 1)) - 1).min(n - 1); // exclusive
                if first >= last {
                    continue;
                }
                let (upper, lower) = nodes.split_at_mut(last);
                let level = &mut upper[first..];
                let child = |i: usize| -> Hash {
                    let left = &lower[2 * i + 1 - last];
                    let right = &lower[2 * i + 2 - last];
                    hash_pair(left, right)
                };
                if level.len() >= PARALLEL_NODES {
                    level.par_iter_mut().enumerate().for_each(|(j, node)| *node = child(first + j));
                } else {
                    level.iter_mut().enumerate().for_each(|(j, node)| *node = child(first + j));
                }
            }
        }
        let sorted: Vec<Hash> = leaves.into_iter().map(|(_, d)| d).collect();
        let index = sorted.iter().enumerate().map(|(i, d)| (*d, size - 1 - i)).collect();
        Ok(Tree { nodes, sorted, index })
    }

    pub fn len(&self) -> usize {
        self.sorted.len()
    }

    pub fn root(&self) -> &Hash {
        &self.nodes[0]
    }

    pub fn node(&self, i: usize) -> &Hash {
        &self.nodes[i]
    }

    pub fn digests(&self) -> &[Hash] {
        &self.sorted
    }

    pub fn position(&self, digest: &[u8]) -> Option<usize> {
        let key: &Hash = digest.try_into().ok()?;
        self.index.get(key).copied()
    }

    fn digest_at(&self, position: usize) -> &Hash {
        &self.sorted[self.nodes.len() - 1 - position]
    }

    pub fn proof(&self, position: usize) -> Vec<&Hash> {
        let mut i = position;
        let mut path = Vec::new();
        while i > 0 {
            path.push(&self.nodes[if i % 2 == 1 { i + 1 } else { i - 1 }]);
            i = (i - 1) / 2;
        }
        path
    }

    /// `(digests, proof, flags)` for leaves at `positions` (distinct, any order), as
    /// `StandardMerkleTree.getMultiProof`.
    pub fn multi_proof(&self, positions: &[usize]) -> (Vec<&Hash>, Vec<&Hash>, Vec<bool>) {
        let mut stack: Vec<usize> = positions.to_vec();
        stack.sort_unstable_by(|a, b| b.cmp(a));
        let leaves = stack.iter().map(|&i| self.digest_at(i)).collect();
        let mut proof = Vec::new();
        let mut flags = Vec::new();
        let mut head = 0;
        while head < stack.len() && stack[head] > 0 {
            let j = stack[head];
            head += 1;
            let sibling = if j % 2 == 1 { j + 1 } else { j - 1 };
            if head < stack.len() && stack[head] == sibling {
                flags.push(true);
                head += 1;
            } else {
                flags.push(false);
                proof.push(&self.nodes[sibling]);
            }
            stack.push((j - 1) / 2);
        }
        (leaves, proof, flags)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_proof_leads_to_the_root() {
        for n in 1..40u8 {
            let digests: Vec<Hash> = (0..n).map(|i| keccak(&[&[i]])).collect();
            let tree = Tree::build(&digests).ok().unwrap();
            for d in &digests {
                let path = tree.proof(tree.position(d).unwrap());
                let root = process_proof(&leaf_hash(d), path.iter().map(|h| &h[..]));
                assert_eq!(&root[..], &tree.root()[..]);
            }
        }
    }
}
