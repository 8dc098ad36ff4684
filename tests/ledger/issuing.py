"""Issuing real certificates in tests: credentials made from the sample licences for a named agency of the
`world`, issued through `ledger.issuance.issuer.Issuer` (or anchored with a raw `certificates.anchor` call, bypassing
the Issuer's checks), and the status changes an agency makes to them."""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ledger.certificates import build_credential
from ledger.certificates.did import parse_agency_did
from ledger.certificates.hashing import salt_fields
from ledger.certificates.merkle import MerkleTree
from ledger.chain.transactions import Receipt
from ledger.issuance.issuer import PROOF_TYPE, STATUS_TYPE, Issuer
from ledger.issuance.journal import Journal
from tests.conftest import World
from tests.ledger.certificates.samples import licence

_journals = itertools.count()


def credential(world: World, agency: str, code: str = "business_licence", **changes: Any) -> dict[str, Any]:
    """The unsigned credential of the sample licence of type `code`, issued by the agency named `agency`.

    The issuing province is the agency's (the sample's region is dropped when it lies in another province);
    `changes` replace top-level licence values (`validFrom`, `holderName`, `issuingProvince`, `fields`...)."""
    info = world.reader.authorities.agency(world.addr(agency))
    data = licence(code)
    if data["issuingProvince"] != str(info.province):
        data["issuingProvince"] = str(info.province)
        data.pop("issuingRegion", None)
    data.update(changes)
    return build_credential(
        data,
        issuer_address=world.addr(agency),
        chain_id=world.deployment.chain_id,
        issuer_name=info.name,
        registry=world.reader.certificates.address,
    )


def credentials(
    world: World, agency: str, n: int, code: str = "business_licence", **changes: Any
) -> list[dict[str, Any]]:
    """`n` credentials of one agency (distinct ids: every one gets its own digest)."""
    first = credential(world, agency, code, **changes)
    out = [first]
    for _ in range(n - 1):
        out.append(credential(world, agency, code, **changes))
    return out


def issue(
    world: World,
    directory: Path,
    agency: str,
    creds: Sequence[dict[str, Any]],
    *,
    suite: str = "default",
    signer: Callable[[bytes], dict[str, Any]] | None = None,
    max_batch: int = 10_000,
) -> list[dict[str, Any]]:
    """Issue `creds` through the Issuer with the agency's own client and a journal under `directory`."""
    journal = Journal(directory / f"journal-{next(_journals)}.sqlite")
    try:
        issuer = Issuer(world.as_(agency), journal, suite=suite, signer=signer, max_batch=max_batch)
        return issuer.issue(creds)
    finally:
        journal.close()


def anchor_raw(
    world: World, agency: str, creds: Sequence[dict[str, Any]], *, suite: str = "default"
) -> list[dict[str, Any]]:
    """Wrap `creds` as the Issuer does and anchor their root with a raw `certificates.anchor` call, so that
    none of the Issuer's checks (granted type, issuing province) runs."""
    chain_id = world.deployment.chain_id
    registry = world.reader.certificates.address
    docs, digests = [], []
    for c in creds:
        doc = copy.deepcopy(c)
        doc.setdefault(
            "credentialStatus",
            {"id": f"eip155:{chain_id}:{registry}", "type": STATUS_TYPE, "chainId": chain_id, "registry": registry},
        )
        salts, digest = salt_fields(doc, suite)
        doc["proof"] = {"type": PROOF_TYPE, "suite": suite, "digest": "0x" + digest.hex(), "salts": salts}
        doc["proof"]["obfuscated"] = []
        docs.append(doc)
        digests.append(digest)
    tree = MerkleTree(digests)
    world.as_(agency).certificates.anchor(tree.root, len(docs)).wait()
    for doc, digest in zip(docs, digests, strict=True):
        doc["proof"].update(
            merkleRoot="0x" + tree.root.hex(),
            merklePath=["0x" + h.hex() for h in tree.proof(digest)],
            chainId=chain_id,
            registry=registry,
        )
    return docs


# --- where a wrapped certificate sits, and status changes ------------------------------------------------------


def agency_of(doc: dict[str, Any]) -> str:
    return parse_agency_did(doc["issuer"]["id"])[1]


def root_of(doc: dict[str, Any]) -> str:
    return str(doc["proof"]["merkleRoot"])


def digest_of(doc: dict[str, Any]) -> str:
    return str(doc["proof"]["digest"])


def path_of(doc: dict[str, Any]) -> list[str]:
    return list(doc["proof"]["merklePath"])


def revoke(world: World, actor: str, doc: dict[str, Any], reason: int = 1) -> Receipt:
    client = world.as_(actor).certificates
    return client.revoke(agency_of(doc), root_of(doc), digest_of(doc), path_of(doc), reason).wait()


def suspend(world: World, actor: str, doc: dict[str, Any], reason: int = 1) -> Receipt:
    client = world.as_(actor).certificates
    return client.suspend(agency_of(doc), root_of(doc), digest_of(doc), path_of(doc), reason).wait()


def reinstate(world: World, actor: str, doc: dict[str, Any], reason: int = 0) -> Receipt:
    client = world.as_(actor).certificates
    return client.reinstate(agency_of(doc), root_of(doc), digest_of(doc), path_of(doc), reason).wait()


def supersede(world: World, actor: str, doc: dict[str, Any], successor: dict[str, Any], reason: int = 1) -> Receipt:
    client = world.as_(actor).certificates
    args = (agency_of(doc), root_of(doc), digest_of(doc), path_of(doc), digest_of(successor), reason)
    return client.supersede(*args).wait()


def revoke_batch(world: World, actor: str, doc: dict[str, Any], reason: int = 1) -> Receipt:
    return world.as_(actor).certificates.revoke_batch(agency_of(doc), root_of(doc), reason).wait()


def block_time(world: World, receipt: Receipt) -> int:
    return int(world.reader.w3.eth.get_block(receipt.block_number)["timestamp"])
