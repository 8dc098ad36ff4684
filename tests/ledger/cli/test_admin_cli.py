"""The administration commands of `hurong` (`gov`, `agency`, `signing-key`, `rule`) acting on a real anvil chain as
accounts of a real encrypted keystore, their effects read back from the chain, and their refusals: one line on
stderr naming the contract's error or what is wrong with the input, exit status 1, never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ledger.chain.models import AgencyStatus, ProvinceStatus
from ledger.cli.main import app
from ledger.keys.keystore import AccountKey, load_signing_key, save_key
from tests.conftest import World

PASSPHRASE = "互认 keystore passphrase"
#: The accounts whose keys the keystore holds.
HOLDERS = ["sh_admin", "sh_admin2", "zj_admin", "gd_admin", "bj_admin", "sh_amr", "sh_pudong", "outsider"]


@dataclass
class Cli:
    world: World
    home: Path

    @property
    def keystore(self) -> Path:
        return self.home / "keystore"

    def env(self) -> dict[str, str | None]:
        cleared: dict[str, str | None] = {name: None for name in os.environ if name.startswith("HURONG_")}
        return cleared | {"HURONG_RPC_URL": self.world.anvil.url, "HURONG_DEPLOYMENTS": str(self.home / "deployments")}

    def run(self, *args: str, who: str | None = None) -> Any:
        """`hurong ARGS` in this process, acting as the keystore account of `who`."""
        account = ["--keystore", str(self.keystore), "--account", self.world.addr(who),
                   "--passphrase-file", str(self.home / "passphrase")] if who else []  # fmt: skip
        result = CliRunner().invoke(app, [*args, *account], env=self.env())
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
        return result

    def ok(self, *args: str, who: str | None = None) -> Any:
        """The JSON a command prints, asserting it succeeded."""
        result = self.run(*args, "--json", who=who)
        assert result.exit_code == 0, result.stderr + result.stdout
        return json.loads(result.stdout)

    def refused(self, *args: str, who: str | None = None) -> str:
        """The one line a command prints on stderr, asserting it exited with status 1 and printed nothing else."""
        result = self.run(*args, who=who)
        assert result.exit_code == 1, result.stdout
        assert result.stdout == "" and result.stderr.count("\n") == 1, result.stderr
        return str(result.stderr)


@pytest.fixture(scope="module")
def home(session_world: World, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("admin-cli")
    session_world.deployment.save(folder / "deployments")
    (folder / "passphrase").write_text(PASSPHRASE + "\n", encoding="utf-8")
    for name in HOLDERS:
        key = AccountKey.from_hex(session_world.key(name))
        save_key(folder / "keystore" / f"{key.address}.json", key, PASSPHRASE)
    return folder


@pytest.fixture
def cli(world: World, home: Path) -> Cli:
    return Cli(world, home)


# --------------------------------------------------------------------------------------------------- governance


def test_a_province_is_admitted_by_a_full_vote(cli: Cli) -> None:
    newcomer = cli.world.addr("new_admin")
    proposed = cli.ok("gov", "propose", "admit", "--province", "340000", "--admin", newcomer, who="sh_admin")
    proposal = proposed["proposalId"]
    assert proposed["txHash"].startswith("0x") and proposed["block"] > 0 and proposed["vote"]["block"] > 0
    assert proposed["state"] == "pending" and proposed["call"].startswith("admitProvince(code=340000, name=安徽省")
    early = cli.refused("gov", "execute", str(proposal), who="zj_admin")
    assert "ConsortiumThresholdNotReached" in early
    assert "ConsortiumAlreadyVoted" in cli.refused("gov", "vote", str(proposal), who="sh_admin2")
    voted = cli.ok("gov", "vote", str(proposal), who="zj_admin")
    assert voted["state"] == "approved" and voted["votes"] == voted["threshold"] == 2
    executed = cli.ok("gov", "execute", str(proposal), who="gd_admin")
    assert executed["state"] == "executed" and executed["block"] > voted["block"]

    province = cli.world.reader.consortium.province(340000)
    assert province.status is ProvinceStatus.ACTIVE and province.name == "安徽省" and province.admins == (newcomer,)
    (listed,) = [p for p in cli.ok("gov", "list") if p["id"] == proposal]
    assert listed["state"] == "executed" and listed["voters"] == ["310000", "330000"]
    provinces = {p["code"]: p for p in cli.ok("gov", "provinces")}
    assert provinces["340000"]["status"] == "active" and provinces["340000"]["admins"] == [newcomer]
    table = cli.run("gov", "list")
    assert table.exit_code == 0 and "提案 proposals" in table.stdout and "executed" in table.stdout


def test_proposals_are_checked_cancelled_only_by_their_province_and_voted_only_by_active_admins(cli: Cli) -> None:
    count = cli.world.reader.consortium.proposal_count()
    assert "ConsortiumInvalidThreshold" in cli.refused("gov", "propose", "threshold", "--threshold", "9",
                                                       who="sh_admin")  # fmt: skip
    assert cli.world.reader.consortium.proposal_count() == count  # refused before anything was proposed
    proposed = cli.ok("gov", "propose", "threshold", "--threshold", "3", "--no-vote", who="zj_admin")
    proposal = str(proposed["proposalId"])
    assert proposed["state"] == "pending" and "vote" not in proposed
    assert "ConsortiumNotProvinceAdmin" in cli.refused("gov", "vote", proposal, who="outsider")
    assert "ConsortiumProvinceNotActive" in cli.refused("gov", "vote", proposal, who="bj_admin")
    assert "ConsortiumNotProposer" in cli.refused("gov", "cancel", proposal, who="sh_admin")
    assert cli.ok("gov", "cancel", proposal, who="zj_admin")["state"] == "cancelled"
    assert [p["id"] for p in cli.ok("gov", "list", "--state", "cancelled")] == [int(proposal)]
    assert cli.ok("gov", "list", "--state", "pending") == []
    assert "ConsortiumProposalNotPending" in cli.refused("gov", "vote", proposal, who="gd_admin")


def test_a_province_admin_is_added_by_vote_and_the_vote_executes_when_asked(cli: Cli) -> None:
    newcomer = cli.world.addr("new_admin")
    proposed = cli.ok("gov", "propose", "add-admin", "--province", "330000", "--admin", newcomer,
                      "--description", "浙江省增加管理员", who="zj_admin")  # fmt: skip
    voted = cli.ok("gov", "vote", str(proposed["proposalId"]), "--execute", who="gd_admin")
    assert voted["state"] == "executed" and voted["execution"]["block"] >= voted["block"]
    assert cli.world.reader.consortium.is_province_admin(330000, newcomer)


# ----------------------------------------------------------------------------------------------------- agencies


def test_agencies_are_registered_by_admins_and_parents_granted_suspended_and_reinstated(cli: Cli) -> None:
    authorities = cli.world.reader.authorities
    agency = cli.world.addr("new_agency")
    registered = cli.ok("agency", "register", agency, "--name", "徐汇区行政审批局", "--region", "310104",
                        who="sh_admin")  # fmt: skip
    assert registered["province"] == "310000" and registered["depth"] == 1 and registered["txHash"].startswith("0x")
    record = authorities.agency(agency)
    assert (record.province, record.region, record.parent, record.status) == (310000, 310104, None, AgencyStatus.ACTIVE)

    child = AccountKey.generate().address
    delegated = cli.ok("agency", "register", child.lower(), "--name", "浦东新区张江分局", "--region", "310115",
                       "--parent", cli.world.addr("sh_amr"), who="sh_amr")  # fmt: skip
    assert delegated["agency"] == child and delegated["depth"] == 2
    assert authorities.agency(child).parent == cli.world.addr("sh_amr")

    granted = cli.ok("agency", "grant", agency, "food_business_licence", who="sh_admin")
    assert granted["certificateTypes"] == ["food_business_licence"]
    assert cli.ok("agency", "grant", child, "food_business_licence", who="sh_amr")["block"] > 0
    assert authorities.is_granted(agency, "food_business_licence") and authorities.is_granted(
        child, "food_business_licence"
    )
    town = cli.world.addr("sh_town")
    assert "AuthorityRegistryTypeNotGranted" in cli.refused("agency", "grant", town, "food_business_licence",
                                                            who="sh_pudong")  # fmt: skip
    assert cli.ok("agency", "revoke-type", agency, "food_business_licence", who="sh_admin")["certificateTypes"] == []
    assert not authorities.is_granted(agency, "food_business_licence")

    suspended = cli.ok("agency", "suspend", agency, "--reason", "under_investigation", who="sh_admin")
    assert suspended["status"] == "suspended" and suspended["reason"] == "under_investigation"
    assert authorities.agency_status(agency) is AgencyStatus.SUSPENDED
    assert "AuthorityRegistryAgencyNotActive" in cli.refused("agency", "suspend", agency, who="sh_admin")
    reinstated = cli.run("agency", "reinstate", agency, who="sh_admin")
    assert reinstated.exit_code == 0 and reinstated.stdout.startswith(f"已恢复机构 agency reinstated: {agency}\n")
    assert "  txHash: 0x" in reinstated.stdout and "  status: active" in reinstated.stdout
    assert authorities.is_active(agency)

    listed = {a["account"]: a for a in cli.ok("agency", "list", "--province", "310000")}
    assert listed[agency]["status"] == "active" and listed[child]["certificateTypes"] == ["food_business_licence"]
    assert all(a["province"] == "310000" for a in listed.values())
    by_type = cli.ok("agency", "list", "--type", "food_business_licence")
    assert {a["account"] for a in by_type} == {cli.world.addr("sh_amr"), child}


def test_agency_writes_refused_to_accounts_that_may_not_make_them(cli: Cli) -> None:
    sh_amr = cli.world.addr("sh_amr")
    assert "AuthorityRegistryUnauthorized(" in cli.refused("agency", "suspend", sh_amr, who="zj_admin")
    assert "AuthorityRegistryUnauthorized(" in cli.refused("agency", "grant", sh_amr, "driving_licence",
                                                           who="outsider")  # fmt: skip
    refused = cli.refused("agency", "register", cli.world.addr("new_agency"), "--name", "外省机构", "--region",
                          "310104", who="zj_admin")  # fmt: skip
    assert refused.startswith("合约拒绝 refused by the contract: AuthorityRegistryUnauthorizedProvince(")
    assert cli.world.reader.authorities.agency_status(sh_amr) is AgencyStatus.ACTIVE


# ------------------------------------------------------------------------------------------------- signing keys


def test_signing_keys_are_created_in_the_keystore_registered_listed_and_revoked(cli: Cli) -> None:
    authorities, sh_amr = cli.world.reader.authorities, cli.world.addr("sh_amr")
    created = cli.ok("signing-key", "create", "--algorithm", "sm2", who="sh_amr")
    key_id = bytes.fromhex(created["keyId"][2:])
    assert created["agency"] == sh_amr and created["algorithm"] == "SM2" and created["state"] == "valid"
    assert created["validUntil"] is None and created["revokedAt"] is None
    stored = load_signing_key(created["keyFile"], PASSPHRASE)
    assert Path(created["keyFile"]).parent == cli.keystore and stored.key_id_for(sh_amr) == key_id
    registered = authorities.signing_key(key_id)
    assert registered.agency == sh_amr and registered.public_key == stored.public_key
    assert authorities.is_key_valid_at(sh_amr, key_id, cli.world.now())

    pudong = cli.world.addr("sh_pudong")
    until = cli.ok("signing-key", "create", "--agency", pudong, "--valid-until", "2099-12-31T23:59:59+08:00",
                   who="sh_admin")  # fmt: skip
    assert until["algorithm"] == "Ed25519" and until["validUntil"] == "2099-12-31T23:59:59+08:00"
    assert authorities.signing_key(until["keyId"]).valid_until == 4102415999

    revoked = cli.ok("signing-key", "revoke", created["keyId"], who="sh_amr")
    assert revoked["state"] == "revoked" and revoked["revokedAt"] is not None
    assert authorities.signing_key_revoked_at(key_id) is not None
    assert not authorities.is_key_valid_at(sh_amr, key_id, cli.world.now())
    assert "AuthorityRegistryInvalidKeyWindow" in cli.refused("signing-key", "revoke", created["keyId"], who="sh_amr")
    listed = cli.ok("signing-key", "list", "--agency", sh_amr)
    assert [(k["keyId"], k["state"]) for k in listed] == [(created["keyId"], "revoked")]
    table = cli.run("signing-key", "list", "--agency", sh_amr)
    assert table.exit_code == 0 and "revoked" in table.stdout


def test_a_refused_signing_key_leaves_no_key_file(cli: Cli) -> None:
    before = sorted(cli.keystore.iterdir())
    sh_amr = cli.world.addr("sh_amr")
    refused = cli.refused("signing-key", "create", "--agency", sh_amr, who="zj_admin")
    assert "AuthorityRegistryUnauthorized(" in refused
    past = cli.refused("signing-key", "create", "--valid-from", "2020-01-01", who="sh_amr")
    assert "AuthorityRegistryInvalidKeyWindow" in past
    assert sorted(cli.keystore.iterdir()) == before
    assert cli.world.reader.authorities.signing_keys_of(sh_amr) == []


def test_a_public_key_held_elsewhere_is_registered_with_its_proof_of_possession(cli: Cli) -> None:
    from ledger.chain.models import KeyAlgorithm
    from ledger.keys.pairs import generate
    from ledger.keys.possession import sign_proof_of_possession

    authorities, pudong = cli.world.reader.authorities, cli.world.addr("sh_pudong")
    pair = generate(KeyAlgorithm.ED25519)
    where = {"chain_id": cli.world.deployment.chain_id, "registry": authorities.address}
    proof = sign_proof_of_possession(pair, agency=pudong, **where)
    wrong = sign_proof_of_possession(pair, agency=cli.world.addr("sh_amr"), **where)
    args = ["signing-key", "register", "--agency", pudong, "--public-key", "0x" + pair.public_key.hex()]
    assert "proof of possession" in cli.refused(*args, "--proof", wrong.hex(), who="sh_admin")
    registered = cli.ok(*args, "--proof", proof.hex(), who="sh_admin")
    assert registered["keyId"] == "0x" + pair.key_id_for(pudong).hex() and registered["state"] == "valid"
    assert authorities.signing_key(registered["keyId"]).public_key == pair.public_key


# ---------------------------------------------------------------------------------------------------------- rules


def test_recognition_rules_are_set_listed_and_revoked(cli: Cli) -> None:
    recognition = cli.world.reader.recognition
    rule = cli.ok("rule", "set", "--accepting", "330000", "--issuing", "440000", "--type", "business_licence",
                  "--legal-basis", "浙粤电子证照互认协议", who="zj_admin")  # fmt: skip
    assert rule["inForce"] and rule["issuingProvince"] == "440000" and rule["legalBasis"] == "浙粤电子证照互认协议"
    assert recognition.accepts(330000, 440000, "business_licence", None, cli.world.now()) == (True, rule["id"])
    later = cli.ok("rule", "set", "--accepting", "330000", "--issuing", "*", "--type", "food_business_licence",
                   "--from", "2099-01-01", who="zj_admin")  # fmt: skip
    assert later["issuingProvince"] == "*" and later["effectiveFrom"] == "2099-01-01T00:00:00+08:00"
    assert not later["inForce"]

    listed = cli.ok("rule", "list", "--accepting", "330000")
    assert {r["id"] for r in listed} >= {rule["id"], later["id"]}
    assert later["id"] not in {r["id"] for r in cli.ok("rule", "list", "--accepting", "330000", "--in-force")}
    assert "RecognitionRegistryUnauthorized" in cli.refused("rule", "revoke", str(rule["id"]), who="sh_admin")
    revoked = cli.ok("rule", "revoke", str(rule["id"]), who="zj_admin")
    assert revoked["revokedAt"] is not None and not revoked["inForce"]
    assert recognition.rule(rule["id"]).revoked_at is not None
    assert rule["id"] not in {r["id"] for r in cli.ok("rule", "list", "--in-force")}
    assert "RecognitionRegistryRuleAlreadyRevoked" in cli.refused("rule", "revoke", str(rule["id"]), who="zj_admin")
    elsewhere = ["--accepting", "310000", "--issuing", "*", "--type", "business_licence"]
    assert "RecognitionRegistryUnauthorized" in cli.refused("rule", "set", *elsewhere, who="zj_admin")


# ------------------------------------------------------------------------------------------------- bad input


GOOD = "0x" + "ab" * 20
BAD_INPUT = [
    (["agency", "suspend", "0x1234"], "invalid agency"),
    (["agency", "suspend", "0x52908400098527886e0F7030069857D2E4169EE7"], "invalid agency"),  # broken checksum
    (["agency", "register", GOOD, "--name", "某局", "--region", "319999"], "not a GB/T 2260 code in force"),
    (["agency", "register", GOOD, "--name", "某局", "--region", "330100", "--province", "310000"],
     "does not lie in province 310000"),
    (["agency", "register", GOOD, "--name", " ", "--region", "310104"], "non-empty"),
    (["agency", "grant", GOOD, "busines_licence"], "unknown certificate type"),
    (["agency", "suspend", GOOD, "--reason", "bored"], "unknown reason"),
    (["gov", "propose", "admit", "--province", "340001", "--admin", GOOD], "not a GB/T 2260 province-level code"),
    (["gov", "propose", "suspend", "--province", "99"], "not a 6-digit GB/T 2260 code"),
    (["gov", "propose", "admit", "--province", "340000"], "admit takes the province's admins"),
    (["gov", "propose", "threshold"], "threshold takes --threshold N"),
    (["gov", "propose", "remove", "--province", "340000", "--expires", "next week"], "not an ISO 8601"),
    (["rule", "set", "--accepting", "330000", "--issuing", "*", "--type", "business_licence", "--from",
      "2026-13-01"], "not a valid ISO 8601"),
    (["rule", "set", "--accepting", "330000", "--issuing", "*", "--type", "business_licence", "--from",
      "2031-01-01", "--until", "2030-01-01"], "--until must be after --from"),
    (["signing-key", "create", "--valid-until", "2030/01/01"], "not an ISO 8601"),
    (["signing-key", "revoke", "0x1234"], "key id must be 0x followed by 64 hex digits"),
    (["signing-key", "register", "--public-key", "0x" + "11" * 31, "--proof", "0x00"], "Ed25519 public key is 32"),
]  # fmt: skip


@pytest.mark.parametrize(("args", "message"), BAD_INPUT, ids=[" ".join(a[:3]) for a, _ in BAD_INPUT])
def test_bad_input_is_refused_with_one_line_before_anything_is_sent(cli: Cli, args: list[str], message: str) -> None:
    refused = cli.refused(*args, who="sh_admin")
    assert refused.startswith("输入无效 invalid input: ") and message in refused, refused


def test_a_write_needs_an_account_with_its_key_and_passphrase(cli: Cli) -> None:
    assert "a write needs --account" in cli.refused("gov", "vote", "1")
    environ = cli.env() | {"HURONG_KEY_PASSPHRASE": "not the passphrase"}

    def vote_as(name: str) -> Any:
        args = ["gov", "vote", "1", "--keystore", str(cli.keystore), "--account", cli.world.addr(name)]
        return CliRunner().invoke(app, args, env=environ)

    missing = vote_as("new_admin")
    assert missing.exit_code == 1 and f"no key file of {cli.world.addr('new_admin')}" in missing.stderr
    wrong = vote_as("sh_admin")
    assert wrong.exit_code == 1 and "wrong passphrase" in wrong.stderr
    both = cli.refused("gov", "vote", "1", "--api", "http://127.0.0.1:9", who="sh_admin")
    assert "not both" in both


def test_the_installed_command_prints_refusals_as_one_line_without_a_traceback(cli: Cli) -> None:
    environ = {k: v for k, v in cli.env().items() if v is not None}
    environ |= {k: v for k, v in os.environ.items() if not k.startswith("HURONG_")}

    def hurong(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "ledger.cli", *args], env=environ, capture_output=True,
                              text=True, timeout=120, check=False)  # fmt: skip

    account = ["--keystore", str(cli.keystore), "--account", cli.world.addr("zj_admin"),
               "--passphrase-file", str(cli.home / "passphrase")]  # fmt: skip
    refused = hurong("agency", "suspend", cli.world.addr("sh_amr"), *account)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert refused.stderr.startswith("合约拒绝 refused by the contract: AuthorityRegistryUnauthorized(")
    assert refused.stderr.count("\n") == 1
    bad = hurong("rule", "set", "--accepting", "330000", "--issuing", "31", "--type", "business_licence", *account)
    assert bad.returncode == 1 and bad.stderr.count("\n") == 1 and "issuing province '31'" in bad.stderr
