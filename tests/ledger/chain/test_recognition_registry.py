"""The RecognitionRegistry contract through the typed client, on a live anvil chain.

setRule and revokeRule: success (state read back and the event in the receipt) and every refusal with its
exact custom error; `accepts` inside and outside a rule's window, after revocation, and with the service-item
and issuing-province wildcards; the rule listings; and reads at an older block.

The fixture's world holds one rule, id 1: 浙江省 (330000) accepts `business_licence` issued in 上海市 (310000)
for every service item, from its creation on, with no end.
"""

from __future__ import annotations

from typing import Any

import pytest
from eth_utils import to_checksum_address

from ledger.chain import contract_errors as errors
from ledger.chain.codes import encode_code
from ledger.chain.models import NO_END, RecognitionRule
from ledger.chain.transactions import Receipt
from ledger.errors import LedgerValueError
from tests.conftest import World, reverts

SH, ZJ, GD, BJ = 310000, 330000, 440000, 110000
JS = 320000  # a valid province code that is not a member
LICENCE = "business_licence"
FOOD = "food_business_licence"
CATERING = "catering_permit"
BASIS = "长三角地区电子证照互认共享合作协议"
ZERO32 = b"\0" * 32

#: Accounts that administer no province: an outsider and agencies of this and other provinces,
#: including a suspended agency and a child of a suspended parent.
NON_ADMINS = ["outsider", "sh_amr", "zj_amr", "gd_amr", "sh_suspended", "sh_child_of_suspended"]

# FRESH_BLOCK_NOTE: anvil (`--prune-history 512`) keeps the state of the last 512 blocks mined, reverted ones
# included, so the session snapshot's block that every test starts on is no longer readable late in the session.
# Tests that read "before" state mine a block of their own first.


# ---------------------------------------------------------------------------------------------- helpers


def block_time(world: World, receipt: Receipt) -> int:
    return int(world.reader.w3.eth.get_block(receipt.block_number)["timestamp"])


def set_rule(world: World, admin: str, *args: Any, **kwargs: Any) -> tuple[int, Receipt]:
    receipt = world.as_(admin).recognition.set_rule(*args, **kwargs).wait()
    return int(receipt.event("RecognitionRuleSet").args["ruleId"]), receipt


def govern(world: World, fn: str, *args: Any, voters: tuple[str, ...] = ("sh_admin", "zj_admin")) -> Receipt:
    consortium = world.reader.consortium
    receipt: Receipt = world.govern(consortium.address, consortium.encode(fn, *args), voters)
    return receipt


def nothing_sent(world: World, account: str) -> tuple[int, int]:
    w3 = world.reader.w3
    return w3.eth.get_transaction_count(to_checksum_address(world.addr(account))), w3.eth.block_number


# ---------------------------------------------------------------------------------------------- the bootstrap rule


def test_the_bootstrap_rule_is_readable(world: World) -> None:
    r = world.reader.recognition
    rule = r.rule(1)
    assert (rule.accepting_province, rule.issuing_province, rule.certificate_type) == (ZJ, SH, LICENCE)
    assert rule.service_item is None
    assert rule.effective_from == rule.created_at
    assert rule.effective_until == NO_END
    assert rule.revoked_at is None
    assert rule.legal_basis == BASIS
    assert r.rule_count() == 1
    assert r.consortium() == world.reader.consortium.address


# ---------------------------------------------------------------------------------------------- setRule


def test_set_rule_records_the_rule_and_emits_recognition_rule_set(world: World) -> None:
    r = world.reader.recognition
    start = world.now() + 1_000
    rule_id, receipt = set_rule(world, "sh_admin", SH, ZJ, LICENCE, CATERING, start, start + 5_000, "沪浙互认")
    assert rule_id == 2
    args = receipt.event("RecognitionRuleSet").args
    assert args == {
        "ruleId": 2,
        "acceptingProvince": SH,
        "issuingProvince": ZJ,
        "certificateType": encode_code(LICENCE),
        "serviceItem": encode_code(CATERING),
        "effectiveFrom": start,
        "effectiveUntil": start + 5_000,
        "legalBasis": "沪浙互认",
    }
    assert r.rule(2) == RecognitionRule(
        id=2,
        accepting_province=SH,
        issuing_province=ZJ,
        certificate_type=LICENCE,
        service_item=CATERING,
        effective_from=start,
        effective_until=start + 5_000,
        created_at=block_time(world, receipt),
        revoked_at=None,
        legal_basis="沪浙互认",
    )
    assert r.rule_count() == 2
    assert r.rules_of(SH) == [2]
    assert r.is_in_force(2, start)
    assert not r.is_in_force(2, start - 1)


def test_set_rule_with_defaults_covers_every_issuer_and_service_item_from_now_on(world: World) -> None:
    r = world.reader.recognition
    rule_id, receipt = set_rule(world, "sh_admin2", SH, None, FOOD)
    now = block_time(world, receipt)
    args = receipt.event("RecognitionRuleSet").args
    assert (args["issuingProvince"], args["serviceItem"]) == (0, ZERO32)
    assert (args["effectiveFrom"], args["effectiveUntil"], args["legalBasis"]) == (now, NO_END, "")
    rule = r.rule(rule_id)
    assert (rule.issuing_province, rule.service_item) == (None, None)
    assert (rule.effective_from, rule.effective_until, rule.created_at) == (now, NO_END, now)
    assert r.is_in_force(rule_id, now)
    assert not r.is_in_force(rule_id, now - 1)


def test_set_rule_takes_the_star_as_any_service_item(world: World) -> None:
    rule_id, receipt = set_rule(world, "gd_admin", GD, SH, LICENCE, "*")
    assert receipt.event("RecognitionRuleSet").args["serviceItem"] == ZERO32
    assert world.reader.recognition.rule(rule_id).service_item is None


def test_set_rule_accepts_a_suspended_province_as_the_issuer(world: World) -> None:
    rule_id, _ = set_rule(world, "zj_admin", ZJ, BJ, LICENCE)
    assert world.reader.recognition.rule(rule_id).issuing_province == BJ
    assert world.reader.recognition.rules_of(ZJ) == [1, rule_id]


@pytest.mark.parametrize("account", [*NON_ADMINS, "zj_admin", "gd_admin", "bj_admin"])
def test_set_rule_refuses_anyone_but_an_admin_of_the_accepting_province(world: World, account: str) -> None:
    with reverts(errors.RecognitionRegistryUnauthorized, caller=world.addr(account), province=SH):
        world.as_(account).recognition.set_rule(SH, ZJ, LICENCE).wait()
    assert world.reader.recognition.rule_count() == 1


def test_set_rule_refuses_an_admin_of_a_province_that_is_not_a_member(world: World) -> None:
    with reverts(errors.RecognitionRegistryUnauthorized, caller=world.addr("sh_admin"), province=JS):
        world.as_("sh_admin").recognition.set_rule(JS, SH, LICENCE).wait()


def test_set_rule_refuses_an_admin_of_the_suspended_province(world: World) -> None:
    with reverts(errors.RecognitionRegistryProvinceNotActive, province=BJ):
        world.as_("bj_admin").recognition.set_rule(BJ, SH, LICENCE).wait()
    assert world.reader.recognition.rules_of(BJ) == []


def test_set_rule_refuses_an_admin_once_the_province_is_suspended(world: World) -> None:
    govern(world, "suspendProvince", GD)
    with reverts(errors.RecognitionRegistryProvinceNotActive, province=GD):
        world.as_("gd_admin").recognition.set_rule(GD, SH, LICENCE).wait()


def test_set_rule_refuses_an_admin_of_a_removed_province(world: World) -> None:
    govern(world, "removeProvince", GD)
    with reverts(errors.RecognitionRegistryUnauthorized, caller=world.addr("gd_admin"), province=GD):
        world.as_("gd_admin").recognition.set_rule(GD, SH, LICENCE).wait()


def test_set_rule_refuses_an_issuing_province_unknown_to_the_consortium(world: World) -> None:
    with reverts(errors.RecognitionRegistryUnknownProvince, province=JS):
        world.as_("sh_admin").recognition.set_rule(SH, JS, LICENCE).wait()
    assert world.reader.recognition.rule_count() == 1


def test_set_rule_refuses_a_zero_certificate_type_sent_around_the_client(world: World) -> None:
    r = world.reader.recognition
    data = r.encode("setRule", SH, ZJ, ZERO32, ZERO32, 0, 0, "")
    with reverts(errors.RecognitionRegistryInvalidCertificateType, certificateType=ZERO32):
        world.as_("sh_admin").transactor.send(r.address, data).wait()  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("offset_from", "offset_until"),
    [(1_000, 1_000), (2_000, 1_000)],
    ids=["empty window", "reversed window"],
)
def test_set_rule_refuses_a_window_that_ends_before_it_starts(
    world: World, offset_from: int, offset_until: int
) -> None:
    start, end = world.now() + offset_from, world.now() + offset_until
    with reverts(errors.RecognitionRegistryInvalidWindow, effectiveFrom=start, effectiveUntil=end):
        world.as_("sh_admin").recognition.set_rule(SH, ZJ, LICENCE, None, start, end).wait()


@pytest.mark.parametrize(
    ("back", "until"),
    [(1, 0), (86_400, 0), (86_400, 3_600)],
    ids=["1s, no end", "a day, no end", "a day, ending in an hour"],
)
def test_set_rule_refuses_a_start_in_the_past(world: World, back: int, until: int) -> None:
    now = world.now()
    effective_until = now + until if until else 0
    with reverts(
        errors.RecognitionRegistryInvalidWindow,
        effectiveFrom=now - back,
        effectiveUntil=effective_until or NO_END,
    ):
        world.as_("sh_admin").recognition.set_rule(SH, ZJ, LICENCE, None, now - back, effective_until).wait()
    assert world.reader.recognition.rule_count() == 1
    assert world.reader.recognition.accepts(SH, ZJ, LICENCE, None, now - back) == (False, None)


def test_set_rule_accepts_a_start_at_the_block_that_sets_it(world: World) -> None:
    at = world.now() + 5
    world.rpc("evm_setNextBlockTimestamp", [at])
    rule_id, receipt = set_rule(world, "sh_admin", SH, ZJ, LICENCE, None, at)
    assert block_time(world, receipt) == at
    rule = world.reader.recognition.rule(rule_id)
    assert (rule.effective_from, rule.created_at, rule.effective_until) == (at, at, NO_END)
    assert world.reader.recognition.accepts(SH, ZJ, LICENCE, None, at) == (True, rule_id)
    assert world.reader.recognition.accepts(SH, ZJ, LICENCE, None, at - 1) == (False, None)


def test_set_rule_refuses_a_start_that_is_past_by_the_time_it_is_mined(world: World) -> None:
    now = world.now()
    world.rpc("evm_setNextBlockTimestamp", [now + 2])
    with reverts(errors.RecognitionRegistryInvalidWindow, effectiveFrom=now, effectiveUntil=NO_END):
        world.as_("sh_admin").recognition.set_rule(SH, ZJ, LICENCE, None, now).wait()
    assert world.reader.recognition.rule_count() == 1


def test_set_rule_refuses_an_end_in_the_past_when_the_start_defaults_to_now(world: World) -> None:
    end = world.now() - 10
    with pytest.raises(errors.RecognitionRegistryInvalidWindow) as info:
        world.as_("sh_admin").recognition.set_rule(SH, ZJ, LICENCE, None, 0, end).wait()
    assert info.value.arguments["effectiveUntil"] == end
    assert info.value.arguments["effectiveFrom"] >= world.now()


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.set_rule(SH, ZJ, ""),
        lambda c: c.set_rule(SH, ZJ, "营业执照"),
        lambda c: c.set_rule(SH, ZJ, "business licence"),
        lambda c: c.set_rule(SH, ZJ, "x" * 33),
        lambda c: c.set_rule(SH, ZJ, LICENCE, ""),
        lambda c: c.set_rule(SH, ZJ, LICENCE, "餐饮"),
        lambda c: c.set_rule(0, ZJ, LICENCE),
        lambda c: c.set_rule(310001, ZJ, LICENCE),
        lambda c: c.set_rule(SH, 123, LICENCE),
        lambda c: c.set_rule(SH, 330100, LICENCE),
        lambda c: c.set_rule(SH, ZJ, LICENCE, None, -1),
        lambda c: c.set_rule(SH, ZJ, LICENCE, None, 0, 2**48),
        lambda c: c.set_rule(SH, ZJ, LICENCE, legal_basis="法" * 400),
        lambda c: c.revoke_rule(-1),
    ],
    ids=["empty type", "non-ASCII type", "type with space", "type over 32 characters", "empty service item",
         "non-ASCII service item", "zero accepting province", "non-province accepting code", "short issuing code",
         "city issuing code", "negative start", "end beyond uint48", "legal basis over 1024 bytes",
         "negative rule id"],
)  # fmt: skip
def test_malformed_rule_arguments_are_refused_before_anything_is_sent(world: World, call: Any) -> None:
    before = nothing_sent(world, "sh_admin")
    with pytest.raises(LedgerValueError):
        call(world.as_("sh_admin").recognition)
    assert nothing_sent(world, "sh_admin") == before


# ---------------------------------------------------------------------------------------------- revokeRule


def test_revoke_rule_records_the_time_and_emits_recognition_rule_revoked(world: World) -> None:
    r = world.reader.recognition
    world.advance(100)  # so that the rule was in force for a while before the revocation
    receipt = world.as_("zj_admin").recognition.revoke_rule(1).wait()
    args = receipt.event("RecognitionRuleRevoked").args
    assert args == {"ruleId": 1, "acceptingProvince": ZJ, "by": world.addr("zj_admin")}
    revoked_at = block_time(world, receipt)
    rule = r.rule(1)
    assert rule.revoked_at == revoked_at
    assert (rule.effective_from, rule.effective_until) == (rule.created_at, NO_END)  # the window is kept
    assert r.is_in_force(1, revoked_at - 1)
    assert not r.is_in_force(1, revoked_at)
    assert r.rule_count() == 1  # rules are never deleted


@pytest.mark.parametrize("account", [*NON_ADMINS, "sh_admin", "gd_admin", "bj_admin"])
def test_revoke_rule_refuses_anyone_but_an_admin_of_the_accepting_province(world: World, account: str) -> None:
    with reverts(errors.RecognitionRegistryUnauthorized, caller=world.addr(account), province=ZJ):
        world.as_(account).recognition.revoke_rule(1).wait()
    assert world.reader.recognition.rule(1).revoked_at is None


def test_revoke_rule_refuses_an_admin_once_the_province_is_suspended(world: World) -> None:
    govern(world, "suspendProvince", ZJ, voters=("sh_admin", "gd_admin"))
    with reverts(errors.RecognitionRegistryProvinceNotActive, province=ZJ):
        world.as_("zj_admin").recognition.revoke_rule(1).wait()
    assert world.reader.recognition.rule(1).revoked_at is None


def test_revoke_rule_refuses_the_admin_of_the_suspended_province_its_own_rule(world: World) -> None:
    govern(world, "reinstateProvince", BJ)
    rule_id, _ = set_rule(world, "bj_admin", BJ, SH, LICENCE)
    govern(world, "suspendProvince", BJ)
    with reverts(errors.RecognitionRegistryProvinceNotActive, province=BJ):
        world.as_("bj_admin").recognition.revoke_rule(rule_id).wait()


@pytest.mark.parametrize("rule_id", [0, 2, 2**256 - 1])
def test_revoke_rule_refuses_an_unknown_rule(world: World, rule_id: int) -> None:
    with reverts(errors.RecognitionRegistryUnknownRule, ruleId=rule_id):
        world.as_("zj_admin").recognition.revoke_rule(rule_id).wait()


def test_revoke_rule_refuses_a_rule_revoked_already(world: World) -> None:
    receipt = world.as_("zj_admin").recognition.revoke_rule(1).wait()
    with reverts(errors.RecognitionRegistryRuleAlreadyRevoked, ruleId=1):
        world.as_("zj_admin").recognition.revoke_rule(1).wait()
    assert world.reader.recognition.rule(1).revoked_at == block_time(world, receipt)


def test_rule_views_refuse_an_unknown_rule(world: World) -> None:
    with reverts(errors.RecognitionRegistryUnknownRule, ruleId=5):
        world.reader.recognition.rule(5)
    with reverts(errors.RecognitionRegistryUnknownRule, ruleId=0):
        world.reader.recognition.is_in_force(0, world.now())


# ---------------------------------------------------------------------------------------------- accepts


@pytest.fixture
def windowed(world: World) -> tuple[int, int, int]:
    """上海市 accepts 浙江省's business licences for catering permits in [start, end); returns (id, start, end)."""
    start = world.now() + 1_000
    end = start + 1_000
    rule_id, _ = set_rule(world, "sh_admin", SH, ZJ, LICENCE, CATERING, start, end, "沪浙餐饮")
    return rule_id, start, end


def test_accepts_a_certificate_while_the_rule_is_in_force(world: World, windowed: tuple[int, int, int]) -> None:
    rule_id, start, end = windowed
    r = world.reader.recognition
    assert r.accepts(SH, ZJ, LICENCE, CATERING, start) == (True, rule_id)
    assert r.accepts(SH, ZJ, LICENCE, CATERING, end - 1) == (True, rule_id)


def test_accepts_nothing_before_effective_from(world: World, windowed: tuple[int, int, int]) -> None:
    _, start, _ = windowed
    assert world.reader.recognition.accepts(SH, ZJ, LICENCE, CATERING, start - 1) == (False, None)


def test_accepts_nothing_from_effective_until_on(world: World, windowed: tuple[int, int, int]) -> None:
    _, _, end = windowed
    r = world.reader.recognition
    assert r.accepts(SH, ZJ, LICENCE, CATERING, end) == (False, None)
    assert r.accepts(SH, ZJ, LICENCE, CATERING, end + 365 * 86_400) == (False, None)


def test_accepts_nothing_for_another_service_item(world: World, windowed: tuple[int, int, int]) -> None:
    _, start, _ = windowed
    r = world.reader.recognition
    assert r.accepts(SH, ZJ, LICENCE, "market_entry", start) == (False, None)
    # asking for every service item needs a rule that covers every service item
    assert r.accepts(SH, ZJ, LICENCE, None, start) == (False, None)


def test_accepts_nothing_from_another_issuing_province(world: World, windowed: tuple[int, int, int]) -> None:
    _, start, _ = windowed
    r = world.reader.recognition
    assert r.accepts(SH, GD, LICENCE, CATERING, start) == (False, None)
    assert r.accepts(SH, SH, LICENCE, CATERING, start) == (False, None)


def test_accepts_nothing_for_another_certificate_type(world: World, windowed: tuple[int, int, int]) -> None:
    _, start, _ = windowed
    assert world.reader.recognition.accepts(SH, ZJ, FOOD, CATERING, start) == (False, None)


def test_accepts_nothing_for_another_accepting_province(world: World, windowed: tuple[int, int, int]) -> None:
    _, start, _ = windowed
    assert world.reader.recognition.accepts(GD, ZJ, LICENCE, CATERING, start) == (False, None)


def test_accepts_nothing_after_revocation_but_keeps_the_past(world: World) -> None:
    r = world.reader.recognition
    world.advance(100)
    receipt = world.as_("zj_admin").recognition.revoke_rule(1).wait()
    revoked_at = block_time(world, receipt)
    assert r.accepts(ZJ, SH, LICENCE, None, revoked_at - 1) == (True, 1)
    assert r.accepts(ZJ, SH, LICENCE, None, revoked_at) == (False, None)
    assert r.accepts(ZJ, SH, LICENCE, None, world.now() + 1_000) == (False, None)


def test_accepts_any_service_item_under_a_service_item_wildcard(world: World) -> None:
    r = world.reader.recognition
    now = world.now()
    assert r.accepts(ZJ, SH, LICENCE, CATERING, now) == (True, 1)
    assert r.accepts(ZJ, SH, LICENCE, "market_entry", now) == (True, 1)
    assert r.accepts(ZJ, SH, LICENCE, None, now) == (True, 1)


def test_accepts_any_issuing_province_under_an_issuing_province_wildcard(world: World) -> None:
    r = world.reader.recognition
    rule_id, receipt = set_rule(world, "gd_admin", GD, None, FOOD)
    now = block_time(world, receipt)
    for issuer in (SH, ZJ, BJ, JS):
        assert r.accepts(GD, issuer, FOOD, CATERING, now) == (True, rule_id)
    assert r.accepts(GD, SH, LICENCE, CATERING, now) == (False, None)


def test_accepts_nothing_from_an_issuing_province_the_rule_does_not_name(world: World) -> None:
    r = world.reader.recognition
    now = world.now()
    assert r.accepts(ZJ, SH, LICENCE, None, now) == (True, 1)
    assert r.accepts(ZJ, GD, LICENCE, None, now) == (False, None)
    assert r.accepts(ZJ, BJ, LICENCE, None, now) == (False, None)


def test_accepts_names_the_first_rule_in_force(world: World) -> None:
    r = world.reader.recognition
    later, _ = set_rule(world, "zj_admin", ZJ, None, LICENCE, None, world.now() + 1_000)
    now = world.now()
    assert r.accepts(ZJ, SH, LICENCE, None, now) == (True, 1)
    assert r.accepts(ZJ, GD, LICENCE, None, now) == (False, None)
    assert r.accepts(ZJ, GD, LICENCE, None, now + 1_000) == (True, later)
    world.as_("zj_admin").recognition.revoke_rule(1).wait()
    assert r.accepts(ZJ, SH, LICENCE, None, now + 1_000) == (True, later)


# ---------------------------------------------------------------------------------------------- the rule index


def lookup_gas(world: World, service_item: str | None, timepoint: int) -> int:
    """Gas of `accepts(浙江省, 上海市, business_licence, service_item, timepoint)` as a call at the latest block."""
    fn = world.reader.recognition.contract.functions.accepts(
        ZJ, SH, encode_code(LICENCE), encode_code(service_item) if service_item else ZERO32, timepoint
    )
    return int(fn.estimate_gas())


def test_a_lookup_reads_only_the_keys_that_can_match(world: World) -> None:
    """Finding: `accepts` scanned every rule ever set for the accepting province and type. Rules of other types,
    for other service items and revoked rules of the same key now leave the cost of a lookup unchanged."""
    r, zj = world.reader.recognition, world.as_("zj_admin").recognition
    when = world.now() + 1_000
    before = {item: lookup_gas(world, item, when) for item in (None, CATERING)}
    pending = []
    for i in range(12):
        pending.append(zj.set_rule(ZJ, SH, LICENCE, f"service_{i}"))
        pending.append(zj.set_rule(ZJ, SH, f"type_{i}", CATERING))
    world.reader.wait_all(pending)
    for _ in range(6):
        rule_id, _receipt = set_rule(world, "zj_admin", ZJ, SH, LICENCE)
        zj.revoke_rule(rule_id).wait()
    assert r.rule_count() == 1 + 24 + 6
    after = {item: lookup_gas(world, item, when) for item in (None, CATERING)}
    assert r.accepts(ZJ, SH, LICENCE, CATERING, when) == (True, 1)
    for item, gas in after.items():
        assert abs(gas - before[item]) <= 200, (item, before[item], gas)


def test_unrevoked_rules_lists_a_keys_rules_in_order_without_the_revoked_ones(world: World) -> None:
    r = world.reader.recognition
    assert r.unrevoked_rules(ZJ, LICENCE, SH, None) == [1]
    second, _ = set_rule(world, "zj_admin", ZJ, SH, LICENCE)
    third, _ = set_rule(world, "zj_admin", ZJ, SH, LICENCE, "*")
    other, _ = set_rule(world, "zj_admin", ZJ, SH, LICENCE, CATERING)
    assert r.unrevoked_rules(ZJ, LICENCE, SH, None) == [1, second, third]
    world.as_("zj_admin").recognition.revoke_rule(second).wait()
    assert r.unrevoked_rules(ZJ, LICENCE, SH, None) == [1, third]
    world.as_("zj_admin").recognition.revoke_rule(1).wait()
    assert r.unrevoked_rules(ZJ, LICENCE, SH, None) == [third]
    assert r.unrevoked_rules(ZJ, LICENCE, SH, CATERING) == [other]
    assert r.unrevoked_rules(ZJ, LICENCE, None, None) == []
    assert r.rules_of(ZJ) == [1, second, third, other]  # the listing by province keeps every rule


def test_set_rule_refuses_more_unrevoked_rules_of_one_key_than_the_cap(world: World) -> None:
    r, zj = world.reader.recognition, world.as_("zj_admin").recognition
    cap = r.max_rules_per_key()
    assert cap == 16
    world.reader.wait_all([zj.set_rule(ZJ, SH, LICENCE) for _ in range(cap - 1)])  # the bootstrap rule is one
    before = nothing_sent(world, "zj_admin")
    with reverts(
        errors.RecognitionRegistryTooManyRules,
        acceptingProvince=ZJ,
        certificateType=encode_code(LICENCE),
        issuingProvince=SH,
        serviceItem=ZERO32,
        maxRules=cap,
    ):
        zj.set_rule(ZJ, SH, LICENCE).wait()
    assert nothing_sent(world, "zj_admin") == before
    set_rule(world, "zj_admin", ZJ, SH, LICENCE, CATERING)  # another key
    zj.revoke_rule(1).wait()
    again, _ = set_rule(world, "zj_admin", ZJ, SH, LICENCE)  # room again once one is revoked
    assert r.unrevoked_rules(ZJ, LICENCE, SH, None)[-1] == again
    assert len(r.unrevoked_rules(ZJ, LICENCE, SH, None)) == cap


def test_accepts_prefers_the_most_specific_rule_and_keeps_the_past_of_revoked_ones(world: World) -> None:
    r = world.reader.recognition
    world.advance(10)
    specific, receipt = set_rule(world, "zj_admin", ZJ, SH, LICENCE, CATERING)
    set_at = block_time(world, receipt)
    assert r.accepts(ZJ, SH, LICENCE, CATERING, set_at) == (True, specific)
    assert r.accepts(ZJ, SH, LICENCE, "market_entry", set_at) == (True, 1)
    world.advance(10)
    revoked = world.as_("zj_admin").recognition.revoke_rule(specific).wait()
    revoked_at = block_time(world, revoked)
    assert r.accepts(ZJ, SH, LICENCE, CATERING, revoked_at - 1) == (True, specific)
    assert r.accepts(ZJ, SH, LICENCE, CATERING, revoked_at) == (True, 1)


# ---------------------------------------------------------------------------------------------- listings and history


def test_rules_and_rules_of_list_every_rule_ever_set(world: World) -> None:
    r = world.reader.recognition
    sh_rule, _ = set_rule(world, "sh_admin", SH, ZJ, LICENCE)
    zj_rule, _ = set_rule(world, "zj_admin", ZJ, GD, FOOD, CATERING)
    world.as_("zj_admin").recognition.revoke_rule(1).wait()
    rules = r.rules()
    assert [rule.id for rule in rules] == [1, sh_rule, zj_rule] == [1, 2, 3]
    assert [(rule.accepting_province, rule.issuing_province) for rule in rules] == [(ZJ, SH), (SH, ZJ), (ZJ, GD)]
    assert rules[0].revoked_at is not None  # revoked rules stay listed
    assert rules[2] == r.rule(3)
    assert r.rules_of(ZJ) == [1, 3]
    assert r.rules_of(SH) == [2]
    assert r.rules_of(GD) == []


def test_reads_at_an_older_block_return_the_old_state(world: World) -> None:
    r = world.reader.recognition
    world.rpc("evm_mine", [])  # read at a block mined in this test: see FRESH_BLOCK_NOTE
    before = world.reader.head()[0]
    original = r.rule(1)
    now = world.now()
    world.as_("zj_admin").recognition.revoke_rule(1).wait()
    set_rule(world, "zj_admin", ZJ, GD, LICENCE)
    set_rule(world, "sh_admin", SH, ZJ, LICENCE)
    assert r.rule_count() == 3
    assert r.rule(1).revoked_at is not None
    assert r.rule_count(block_identifier=before) == 1
    assert r.rule(1, block_identifier=before) == original
    assert r.rule(1, block_identifier=before).revoked_at is None
    assert r.rules(block_identifier=before) == [original]
    assert r.rules_of(ZJ, block_identifier=before) == [1]
    assert r.rules_of(SH, block_identifier=before) == []
    assert r.is_in_force(1, world.now(), block_identifier=before)
    assert r.accepts(ZJ, SH, LICENCE, None, now, block_identifier=before) == (True, 1)
    assert r.accepts(ZJ, GD, LICENCE, None, world.now(), block_identifier=before) == (False, None)
    assert r.accepts(ZJ, SH, LICENCE, None, world.now()) == (False, None)
    with reverts(errors.RecognitionRegistryUnknownRule, ruleId=2):
        r.rule(2, block_identifier=before)
