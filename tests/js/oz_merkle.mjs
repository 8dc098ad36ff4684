// Builds an OpenZeppelin StandardMerkleTree over bytes32 digests and prints its root and proofs.
// stdin: {"digests": ["0x..", ...], "prove": ["0x..", ...], "multi": ["0x..", ...]}
// stdout: {"root": "0x..", "proofs": {"0x..": ["0x..", ...]}, "multi": {"leaves": [...], "proof": [...], "proofFlags": [...]}}
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const input = JSON.parse(Buffer.concat(chunks).toString("utf8"));
const tree = StandardMerkleTree.of(input.digests.map((d) => [d]), ["bytes32"]);
const index = new Map();
for (const [i, [value]] of tree.entries()) index.set(value.toLowerCase(), i);
const proofs = {};
for (const digest of input.prove || []) proofs[digest] = tree.getProof(index.get(digest.toLowerCase()));
let multi = null;
if (input.multi && input.multi.length) {
  const mp = tree.getMultiProof(input.multi.map((d) => index.get(d.toLowerCase())));
  multi = { leaves: mp.leaves.map(([v]) => v), proof: mp.proof, proofFlags: mp.proofFlags };
}
process.stdout.write(JSON.stringify({ root: tree.root, proofs, multi }));
