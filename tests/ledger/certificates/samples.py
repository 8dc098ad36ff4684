"""Valid sample licences of every certificate type, and makers of valid resident IDs and credit codes."""

from __future__ import annotations

import copy
import itertools
import os
from datetime import date
from typing import Any

from ledger.certificates.validation import resident_id_check_character, uscc_check_character

ISSUER = "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65"
REGISTRY = "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0"
CHAIN_ID = 31337


def resident_id(region: str = "310115", birth: date = date(1990, 3, 7), sequence: int = 123) -> str:
    body = f"{region}{birth:%Y%m%d}{sequence:03d}"
    return body + resident_id_check_character(body)


def uscc(authority: str = "9", kind: str = "1", region: str = "310115", subject: str = "MA1H7XY23") -> str:
    body = f"{authority}{kind}{region}{subject}"
    return body + uscc_check_character(body)


COMPANY = uscc()
PERSON = resident_id()

LICENCES: dict[str, dict[str, Any]] = {
    "business_licence": {
        "licenceNumber": COMPANY,
        "certificateType": "business_licence",
        "holderName": "上海浦江科技有限公司",
        "holderId": COMPANY,
        "issuingProvince": "310000",
        "issuingRegion": "310115",
        "validFrom": "2026-01-01T00:00:00Z",
        "validUntil": "2046-12-31T23:59:59Z",
        "fields": {
            "legalRepresentative": "张三",
            "registeredCapital": "人民币1000万元",
            "businessScope": (
                "许可项目：第二类增值电信业务。"
                "一般项目：技术服务、技术开发、技术咨询、技术交流、技术转让、技术推广；软件开发。"
            ),
            "establishedOn": "2016-05-20",
            "address": "中国（上海）自由贸易试验区张江路88号3幢501室",
            "entityType": "有限责任公司（自然人投资或控股）",
        },
    },
    "food_business_licence": {
        "licenceNumber": "JY13101150012345",
        "certificateType": "food_business_licence",
        "holderName": "上海浦江餐饮管理有限公司",
        "holderId": uscc(subject="MA1K2L3M4"),
        "issuingProvince": "310000",
        "issuingRegion": "310115",
        "validFrom": "2025-06-01T00:00:00Z",
        "validUntil": "2030-05-31T23:59:59Z",
        "fields": {
            "operator": "李四",
            "premises": "上海市浦东新区世纪大道100号B1层",
            "mainBusinessForm": "餐饮服务经营者",
            "businessItems": ["热食类食品制售", "冷食类食品制售", "预包装食品销售（含冷藏冷冻食品）"],
            "licenceAuthority": "上海市浦东新区市场监督管理局",
        },
    },
    "physician_certificate": {
        "licenceNumber": "110330100012345",
        "certificateType": "physician_certificate",
        "holderName": "王五",
        "holderId": resident_id("330106", date(1985, 11, 30), 42),
        "issuingProvince": "330000",
        "issuingRegion": "330100",
        "validFrom": "2024-09-01T00:00:00Z",
        "validUntil": "2029-08-31T23:59:59Z",
        "fields": {
            "practiceLevel": "执业医师",
            "practiceCategory": "临床",
            "practiceScope": ["内科专业", "急救医学专业"],
            "practiceInstitution": "浙江大学医学院附属第一医院",
            "qualificationNumber": "200933110330106198511304",
        },
    },
    "driving_licence": {
        "licenceNumber": resident_id("440305", date(1992, 2, 29), 7),
        "certificateType": "driving_licence",
        "holderName": "陈𠀀明",
        "holderId": resident_id("440305", date(1992, 2, 29), 7),
        "issuingProvince": "440000",
        "issuingRegion": "440300",
        "validFrom": "2022-04-01T00:00:00Z",
        "validUntil": "2032-04-01T00:00:00Z",
        "fields": {
            "vehicleClasses": ["C1", "D"],
            "firstIssuedOn": "2012-04-01",
            "fileNumber": "440300123456",
            "address": "广东省深圳市南山区科技园路1号",
        },
    },
    "degree_certificate": {
        "licenceNumber": "1024742025000123",
        "certificateType": "degree_certificate",
        "holderName": "阿依古丽·买买提 Ayguli Mamat",
        "holderId": resident_id("650102", date(2001, 8, 15), 86),
        "issuingProvince": "310000",
        "validFrom": "2025-06-30T00:00:00Z",
        "validUntil": "2125-06-30T00:00:00Z",
        "fields": {
            "degree": "工学硕士学位",
            "discipline": "计算机科学与技术",
            "awardingInstitution": "上海交通大学",
            "conferredOn": "2025-06-30",
        },
    },
}


def licence(code: str) -> dict[str, Any]:
    """A fresh copy of the valid sample licence of a certificate type."""
    return copy.deepcopy(LICENCES[code])


#: Licence numbers of `fresh`: from a random start, so test processes sharing a service never meet.
_NUMBERS = itertools.count(10**14 + int.from_bytes(os.urandom(6), "big") % 10**14)


def fresh(record: dict[str, Any]) -> dict[str, Any]:
    """A copy of a business licence record with a licence number (15 digits) no other call gave: the service
    refuses a second active certificate of one licence."""
    assert record.get("certificateType") == "business_licence", "fresh numbers are made for business licences"
    return {**copy.deepcopy(record), "licenceNumber": str(next(_NUMBERS))}
