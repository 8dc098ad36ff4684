"""Gas used by every mutating contract function, measured from receipts on a fresh local chain."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from bench.consortium import gas_report
from ledger.certificates.merkle import MerkleTree
from ledger.certificates.status_list import list_id
from ledger.chain.bootstrap import BootstrapResult, bootstrap, parse_description
from ledger.chain.client import HurongClient
from ledger.chain.models import KeyAlgorithm
from ledger.chain.node import Anvil
from ledger.chain.transactions import PendingTransaction
from ledger.keys.signing import generate

#: A CIDv1 (base32, raw leaves, sha2-256) of the length a batch manifest has.
SAMPLE_CID = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"


@dataclass(frozen=True)
class GasEntry:
    contract: str
    function: str
    case: str
    gas: int


class _Session:
    """The gas-report consortium on a chain: a client per account, their addresses, and the entries so far."""

    def __init__(self, url: str, result: BootstrapResult) -> None:
        self.reader = HurongClient.connect(url, result.deployment)
        self.act = {name: self.reader.as_account(result.keys[name]) for name in result.keys}
        self.addr = result.accounts
        self.entries: list[GasEntry] = []

    def record(self, contract: str, function: str, case: str, send: Callable[[], PendingTransaction]) -> int:
        receipt = send().wait()
        self.entries.append(GasEntry(contract, function, case, receipt.gas_used))
        return receipt.gas_used


def measure() -> list[GasEntry]:
    """Deploy on a fresh anvil, call every mutating function, and return the gas of each receipt."""
    description = gas_report()
    with Anvil(accounts=len(description["accounts"])) as chain:
        session = _Session(chain.url, bootstrap(parse_description(description), chain.url))
        _certificate_registry(session)
        _authority_registry(session)
        _recognition_registry(session)
        now = int(session.reader.w3.eth.get_block("latest")["timestamp"])
        _consortium(session, now)
        _revocations_by_vote(session, now)
    return session.entries


def _certificate_registry(session: _Session) -> None:
    act, addr, record = session.act, session.addr, session.record
    issuer = addr["sh_amr"]
    certs = act["sh_amr"].certificates
    trees: dict[int, MerkleTree] = {}
    for size in (1, 100, 1_000, 10_000):
        tree = trees[size] = MerkleTree([os.urandom(32) for _ in range(size)])
        case = f"batch of {size:,} (depth-1 agency)"
        record("CertificateRegistry", "anchor", case, partial(certs.anchor, tree.root, size, SAMPLE_CID))
    for who, label in (("sh_city", "depth-2 agency"), ("sh_district", "depth-3 agency")):
        send = partial(act[who].certificates.anchor, os.urandom(32), 1000, SAMPLE_CID)
        record("CertificateRegistry", "anchor", f"batch of 1,000 ({label})", send)
    send = partial(certs.anchor, os.urandom(32), 1000, "")
    record("CertificateRegistry", "anchor", "batch of 1,000, no manifest CID", send)
    for size in (1, 100, 10_000):
        tree = trees[size]
        digests = tree.digests()
        d0 = digests[0]
        case = f"proof of a {size:,}-certificate batch ({len(tree.proof(d0))} hashes)"
        record("CertificateRegistry", "suspend", case,
               partial(certs.suspend, issuer, tree.root, d0, tree.proof(d0), 1))  # fmt: skip
        record("CertificateRegistry", "reinstate", case,
               partial(certs.reinstate, issuer, tree.root, d0, tree.proof(d0), 0))  # fmt: skip
        if size > 1:
            d1, d2 = digests[1], digests[2]
            record("CertificateRegistry", "revoke", case,
                   partial(certs.revoke, issuer, tree.root, d1, tree.proof(d1), 2))  # fmt: skip
            record("CertificateRegistry", "supersede", case,
                   partial(certs.supersede, issuer, tree.root, d2, tree.proof(d2), os.urandom(32), 4))  # fmt: skip
    tree = trees[10_000]
    d3 = tree.digests()[3]
    record("CertificateRegistry", "revoke", "by the province admin, 10,000-certificate batch",
           partial(act["sh_admin"].certificates.revoke, issuer, tree.root, d3, tree.proof(d3), 2))  # fmt: skip
    mp = tree.multi_proof(tree.digests()[10:20])
    record("CertificateRegistry", "revokeMultiple", "10 certificates of a 10,000-certificate batch",
           partial(certs.revoke_multiple, issuer, tree.root, mp.digests, mp.proof, mp.proof_flags, 2))  # fmt: skip
    record("CertificateRegistry", "revokeBatch", "whole batch",
           partial(certs.revoke_batch, issuer, trees[1_000].root, 3))  # fmt: skip
    revocations = list_id("revocation", 1)
    record("CertificateRegistry", "publishStatusList", "a list's first hash",
           partial(certs.publish_status_list, revocations, os.urandom(32)))  # fmt: skip
    record("CertificateRegistry", "publishStatusList", "a later hash of the same list",
           partial(certs.publish_status_list, revocations, os.urandom(32)))  # fmt: skip


def _authority_registry(session: _Session) -> None:
    act, addr, record = session.act, session.addr, session.record
    sh = act["sh_admin"].authorities
    extra = addr["extra"]
    record("AuthorityRegistry", "registerAgency", "top-level, by province admin",
           lambda: sh.register_agency(extra, 310000, None, 310101, "黄浦区市场监督管理局"))  # fmt: skip
    record("AuthorityRegistry", "grantCertificateType", "by province admin",
           lambda: sh.grant_certificate_type(extra, "food_business_licence"))  # fmt: skip
    record("AuthorityRegistry", "revokeCertificateType", "by province admin",
           lambda: sh.revoke_certificate_type(extra, "food_business_licence"))  # fmt: skip
    record("AuthorityRegistry", "suspendAgency", "by province admin",
           lambda: sh.suspend_agency(extra, 1))  # fmt: skip
    record("AuthorityRegistry", "reinstateAgency", "by province admin",
           lambda: sh.reinstate_agency(extra))  # fmt: skip
    issuer = addr["sh_amr"]  # with sh_city below it and sh_district below that, all three pushed
    record("AuthorityRegistry", "suspendAgency", "by province admin, with its 2 active descendants",
           lambda: sh.suspend_agency(issuer, 1))  # fmt: skip
    record("AuthorityRegistry", "reinstateAgency", "by province admin, with its 2 active descendants",
           lambda: sh.reinstate_agency(issuer))  # fmt: skip
    signing_key = generate(KeyAlgorithm.ED25519)
    own = act["sh_amr"].authorities
    record("AuthorityRegistry", "addSigningKey", "Ed25519, by the agency, with its proof of possession",
           lambda: own.add_signing_key(addr["sh_amr"], signing_key))  # fmt: skip
    record("AuthorityRegistry", "revokeSigningKey", "by the agency",
           lambda: own.revoke_signing_key(signing_key.key_id_for(addr["sh_amr"])))  # fmt: skip


def _recognition_registry(session: _Session) -> None:
    record = session.record
    zj = session.act["zj_admin"].recognition
    record("RecognitionRegistry", "setRule", "specific issuing province and service item",
           lambda: zj.set_rule(330000, 310000, "business_licence", "company-registration", 0, 0,
                               "长三角地区电子证照互认共享合作协议"))  # fmt: skip
    record("RecognitionRegistry", "revokeRule", "by accepting province admin",
           lambda: zj.revoke_rule(1))  # fmt: skip


def _consortium(session: _Session, now: int) -> None:
    act, addr, record = session.act, session.addr, session.record
    con = act["sh_admin"].consortium
    data = con.encode("setThreshold", 3)
    record("Consortium", "propose", "setThreshold(3)",
           lambda: con.propose(con.address, data, now + 86_400, "raise the threshold"))  # fmt: skip
    record("Consortium", "vote", "first vote", lambda: con.vote(1))
    record("Consortium", "vote", "second vote", lambda: act["zj_admin"].consortium.vote(1))
    record("Consortium", "execute", "setThreshold(3), 2 votes", lambda: con.execute(1))
    record("Consortium", "propose", "for cancel",
           lambda: con.propose(con.address, data, now + 86_400, "to cancel"))  # fmt: skip
    record("Consortium", "cancel", "by proposer", lambda: con.cancel(2))
    record("Consortium", "addProvinceAdmin", "by own admin",
           lambda: con.add_province_admin(310000, addr["deployer"]))  # fmt: skip
    record("Consortium", "removeProvinceAdmin", "by own admin",
           lambda: con.remove_province_admin(310000, addr["deployer"]))  # fmt: skip


def _revocations_by_vote(session: _Session, now: int) -> None:
    """浙江省 suspended by a consortium vote, then its agency's certificates revoked by votes of the others."""
    act, addr, record = session.act, session.addr, session.record
    con = act["sh_admin"].consortium
    zj_tree = MerkleTree([os.urandom(32) for _ in range(10_000)])
    act["zj_amr"].certificates.anchor(zj_tree.root, 10_000, SAMPLE_CID).wait()
    zj_batch = os.urandom(32)
    act["zj_amr"].certificates.anchor(zj_batch, 1_000, SAMPLE_CID).wait()
    suspend = con.encode("suspendProvince", 330000)
    proposal = con.propose(con.address, suspend, now + 86_400, "suspend 330000").wait()
    proposal_id = proposal.event("ProposalCreated").args["proposalId"]
    for name in ("sh_admin", "zj_admin", "gd_admin"):  # the threshold is 3 by now
        act[name].consortium.vote(proposal_id).wait()
    record("Consortium", "suspendProvince", "by Consortium.execute, 3 votes, mirrored into AuthorityRegistry "
           "(execute's gas)", lambda: con.execute(proposal_id))  # fmt: skip

    def by_vote(propose: Callable[[], PendingTransaction]) -> Callable[[], PendingTransaction]:
        proposal_id = propose().wait().event("ProposalCreated").args["proposalId"]
        for name in ("sh_admin", "gd_admin"):
            act[name].consortium.vote(proposal_id).wait()
        return partial(con.execute, proposal_id)

    sh_gov, zj_amr = act["sh_admin"], addr["zj_amr"]
    expires_at = now + 86_400
    d0 = zj_tree.digests()[0]
    execute = by_vote(lambda: sh_gov.propose_revocation(
        zj_amr, zj_tree.root, d0, zj_tree.proof(d0), 2, expires_at=expires_at, description="revoke"))  # fmt: skip
    record("CertificateRegistry", "consortiumRevoke",
           "by Consortium.execute, 10,000-certificate batch (execute's gas)", execute)  # fmt: skip
    mp = zj_tree.multi_proof(zj_tree.digests()[10:20])
    execute = by_vote(lambda: sh_gov.propose_multiple_revocation(
        zj_amr, zj_tree.root, mp.digests, mp.proof, mp.proof_flags, 2, expires_at=expires_at,
        description="revoke 10"))  # fmt: skip
    record("CertificateRegistry", "consortiumRevokeMultiple",
           "by Consortium.execute, 10 of a 10,000-certificate batch (execute's gas)", execute)  # fmt: skip
    execute = by_vote(lambda: sh_gov.propose_batch_revocation(
        zj_amr, zj_batch, 3, expires_at=expires_at, description="revoke the batch"))  # fmt: skip
    record("CertificateRegistry", "consortiumRevokeBatch", "by Consortium.execute (execute's gas)", execute)


def to_markdown(entries: list[GasEntry]) -> str:
    lines = ["| contract | function | case | gas |", "| --- | --- | --- | ---: |"]
    lines += [f"| {e.contract} | `{e.function}` | {e.case} | {e.gas:,} |" for e in entries]
    return "\n".join(lines) + "\n"
