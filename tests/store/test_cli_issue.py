"""`hurong issue` with the store on a real Kubo node, run as a user runs it: each certificate's CID and key (and,
with a wallet URL, its holder link and QR code) beside it, and `hurong fetch` opening the holder link."""

from __future__ import annotations

import json
from typing import Any

from ledger.certificates.qr import read_qr
from ledger.store import IpfsStore
from tests.ledger.certificates.samples import LICENCES, fresh
from tests.ledger.cli.test_cli_certificates import env as env  # the module's chain and deployment
from tests.ledger.cli.test_cli_certificates import hurong


def test_issue_writes_each_documents_cid_key_and_holder_qr_and_fetch_opens_the_link(env: Any, ipfs: IpfsStore) -> None:
    _, _, home = env
    source = home / "stored.json"
    source.write_text(json.dumps([fresh(LICENCES["business_licence"]) for _ in range(2)], ensure_ascii=False))
    out = home / "stored"
    proc = hurong(env, "issue", str(source), "--out", str(out), "--journal", str(home / "stored.sqlite"),
                  "--store", f"ipfs:{ipfs.url}", "--wallet-url", "http://127.0.0.1:8000")  # fmt: skip
    assert proc.returncode == 0, proc.stderr + proc.stdout
    assert "2 份加密文档已存储 encrypted documents stored" in proc.stdout
    documents = sorted(out.glob("*.document.json"))
    assert len(documents) == 2
    for path in documents:
        ref = json.loads(path.read_text())
        digest = path.name.removesuffix(".document.json")
        assert ref["link"] == f"http://127.0.0.1:8000/wallet#cid={ref['cid']}&key={ref['key']}"
        assert read_qr(out / f"{digest}.wallet.png") == ref["link"].encode()
        assert ipfs.pinned(ref["cid"])
        fetched = hurong(env, "fetch", ref["link"], "--store", f"ipfs:{ipfs.url}", key=None)
        assert fetched.returncode == 0, fetched.stderr
        certificate = json.loads(fetched.stdout)
        issued = json.loads((out / f"{digest}.json").read_text())
        assert certificate["proof"]["digest"] == digest == issued["proof"]["digest"]
        assert certificate["credentialSubject"] == issued["credentialSubject"]
    verified = hurong(
        env, "fetch", ref["link"], "--store", f"ipfs:{ipfs.url}", "--verify", "--out", str(home / "v.json")
    )
    assert verified.returncode == 0 and "核验结论 verdict: VALID" in verified.stdout, verified.stderr
