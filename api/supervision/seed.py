"""Usage for the demo consortium's dashboard (`hurong demo`): a few certificates verified across its provinces
through the service, by agencies' clerks and anonymously, some failing or not recognised, an assist request
answered and one left open, and ratings — so `/supervision` shows something real on the first start."""

from __future__ import annotations

import copy
import random
import ssl
from collections.abc import Callable
from typing import Any

import httpx

from ledger.errors import ToolchainError

ITEMS = ("company-registration", "food-import-filing", "talent-introduction", "tax-registration")
COMMENTS = ("办理很快 / quick", "材料一次通过 / accepted at once", None, None, "需要补充说明 / needed explanation")


def seed_usage(api_url: str, demo: dict[str, Any], licence: Callable[[str, int, random.Random], dict[str, Any]],
               *, rounds: int = 6, seed: int = 14, verify: ssl.SSLContext | bool = True) -> dict[str, int]:  # fmt: skip
    """Verify, ask and rate through the service at `api_url` with the keys of `demo.json`; the counts made.
    `verify` is how the service's TLS certificate is checked (the demo's own context for its self-signed pair)."""
    rng = random.Random(seed)  # noqa: S311 (demo data, not a secret)
    provinces = demo["provinces"]
    amr = {p["code"]: next(a for a in p["agencies"] if "business_licence" in a["certificate_types"])
           for p in provinces}  # fmt: skip
    made = {"verifications": 0, "ratings": 0, "assistRequests": 0}
    with httpx.Client(base_url=api_url + "/api/v1", timeout=120, verify=verify) as http:

        def post(path: str, body: Any, key: str | None = None) -> Any:
            answer = http.post(path, json=body, headers={"X-API-Key": key} if key else {})
            if answer.status_code >= 300:
                raise ToolchainError(f"seeding usage: {path} answered {answer.status_code}: {answer.text}")
            return answer.json()

        docs = [post("/certificates", {"certificates": [licence("business_licence", int(code), rng)]},
                     agency["api_key"])["data"][0] for code, agency in amr.items()]  # fmt: skip
        forged = copy.deepcopy(docs[0])
        forged["credentialSubject"]["holderName"] = "伪造有限公司"
        ids = []
        for _ in range(rounds):
            for doc in [*docs, forged]:
                for province in provinces:
                    clerk = rng.choice([None, *province["agencies"]])
                    context = {"province": province["code"], "serviceItem": rng.choice(ITEMS)}
                    answer = post("/verify", {"certificate": doc, "context": context},
                                  clerk["api_key"] if clerk else None)  # fmt: skip
                    ids.append(answer["usageId"])
                    made["verifications"] += 1
        for usage_id in rng.sample(ids, k=len(ids) // 4):
            comment = rng.choice(COMMENTS)
            post("/supervision/feedback", {"usageId": usage_id, "rating": rng.choice([2, 3, 4, 4, 5, 5]),
                                           **({"comment": comment} if comment else {})})  # fmt: skip
            made["ratings"] += 1
        zj, sh = amr["330000"], amr["310000"]
        question = "请协助核实该营业执照的经营范围 / please confirm the licence's business scope"
        for item in ("company-registration", "tax-registration"):
            body = {"issuingProvince": "310000", "certificateDigest": docs[0]["proof"]["digest"],
                    "question": question, "serviceItem": item}  # fmt: skip
            request = post("/assist-requests", body, zj["api_key"])
            made["assistRequests"] += 1
        post(f"/assist-requests/{request['id']}/answer", {"answer": "confirmed", "note": "经营范围一致 / matches"},
             sh["api_key"])  # fmt: skip
        post("/supervision/feedback", {"usageId": request["usageId"], "rating": 5})
    return made
