from ledger.chain.models import AgencyStatus, ProvinceStatus
from tests.conftest import SUSPENDED_PROVINCE, World


def test_world_has_a_suspended_province_and_suspended_agencies(world: World) -> None:
    c = world.reader
    assert c.consortium.province_status(SUSPENDED_PROVINCE) == ProvinceStatus.SUSPENDED
    assert c.authorities.agency_status(world.addr("sh_suspended")) == AgencyStatus.SUSPENDED
    assert c.authorities.agency_status(world.addr("sh_child_of_suspended")) == AgencyStatus.ACTIVE
    assert not c.authorities.is_active(world.addr("sh_child_of_suspended"))
    assert not c.authorities.is_active(world.addr("bj_amr"))
    assert c.authorities.is_active(world.addr("sh_town"))
