"""The printable licence: an A4 PDF of a wrapped certificate, in Chinese, with a QR code that verifies it.

    data = licence_pdf(wrapped)          # bytes of the PDF

The page holds the type's name, every disclosed field of `credentialSubject` under its schema title, the issuing
agency, the validity, the GB/T 36904 licence identifier, the anchoring block (suite, digest, Merkle root, chain,
registry, transaction and block) and a QR code: the whole certificate when it fits in one code (2,331 bytes
compressed, `ledger.certificates.qr`). A larger one is carried by its holder link when given
(`licence_pdf(wrapped, holder_link=…)`: `…/wallet#cid=…&key=…`, its encrypted document in the service's store, which
the wallet page fetches, decrypts in the browser and verifies), else by its `hurong:1;…` reference, which only
a holder of the certificate's file resolves (`hurong verify QR_IMAGE --resolve FOLDER`; the verify page cannot), as
the page says under the code. Text is set in Noto Sans CJK (Debian `fonts-noto-cjk`),
embedded as a subset of the glyphs the page uses, so the PDF shows the same on a machine without the font.
`find_cjk_font` finds it through fontconfig; `FontNotFound` says so when it is not installed.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import segno

from ledger.certificates import regions
from ledger.certificates.catalogue import _TYPES_BY_CODE, load_schema
from ledger.certificates.documents import validate_credential
from ledger.certificates.qr import make_qr
from ledger.errors import FontNotFound as FontNotFound
from ledger.errors import LedgerError, LedgerValueError

#: The font family the page is set in, and where Debian's fonts-noto-cjk puts it when fontconfig is missing.
FONT_FAMILY = "Noto Sans CJK SC"
_DEBIAN_FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
_SUBJECT_TITLES = {
    "holderName": "持证主体",
    "holderId": "持证主体代码",
    "licenceNumber": "证照编号",
    "issuingProvince": "发证省级行政区",
    "issuingRegion": "发证地区",
}
_SKIPPED = {"type", "certificateType", "licenceIdentifier"}


def find_cjk_font() -> tuple[Path, int]:
    """(file, face index in the collection) of Noto Sans CJK SC, through fontconfig's `fc-match`."""
    if shutil.which("fc-match"):
        out = subprocess.run(  # noqa: S603 (fixed arguments)
            ["fc-match", "-f", "%{family}\t%{file}\t%{index}", f"{FONT_FAMILY}:style=Regular"],  # noqa: S607
            capture_output=True, text=True, check=False, timeout=30,
        )  # fmt: skip
        family, _, rest = out.stdout.partition("\t")
        file, _, face = rest.partition("\t")
        if out.returncode == 0 and FONT_FAMILY in family.split(",") and Path(file).is_file():
            return Path(file), int(face or 0)
    if _DEBIAN_FONT.is_file():
        from fontTools.ttLib import TTCollection  # type: ignore[import-untyped]

        with TTCollection(str(_DEBIAN_FONT), lazy=True) as collection:
            for index, font in enumerate(collection.fonts):
                if font["name"].getDebugName(1) == FONT_FAMILY:
                    return _DEBIAN_FONT, index
    raise FontNotFound(f"the font {FONT_FAMILY} is not installed (Debian package fonts-noto-cjk)")


def _text(value: Any) -> str:
    if isinstance(value, list):
        return "、".join(_text(item) for item in value)
    if isinstance(value, Mapping):
        return "；".join(f"{k}：{_text(v)}" for k, v in value.items())
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)


def _titles(code: str) -> dict[str, str]:
    try:
        properties = load_schema(code)["properties"]
    except LedgerError:
        return {}
    return {name: str(spec.get("title", name)) for name, spec in properties.items()}


def _when(instant: Any) -> str:
    text = str(instant)
    return f"{text[:10]} {text[11:19]} UTC" if len(text) >= 19 else text


class _Page:
    """An A4 page being laid out: headings, label-value rows, the QR code."""

    LABEL = 42.0
    LINE = 5.5

    def __init__(self, font: tuple[Path, int], title: str) -> None:
        from fpdf import FPDF

        self.pdf = FPDF(orientation="portrait", unit="mm", format="A4")
        self.pdf.set_title(title)
        self.pdf.set_creator("Hurong 互认")
        self.pdf.set_auto_page_break(auto=True, margin=15)
        self.pdf.add_font("cjk", "", str(font[0]), collection_font_number=font[1])
        self.pdf.add_page()
        self.width = self.pdf.epw

    def centred(self, text: str, size: float, height: float) -> None:
        self.pdf.set_font("cjk", size=size)
        self.pdf.cell(self.width, height, text, align="C", new_x="LMARGIN", new_y="NEXT")

    def heading(self, text: str) -> None:
        self.pdf.ln(2)
        self.pdf.set_font("cjk", size=12)
        self.pdf.set_fill_color(235, 240, 247)
        self.pdf.cell(self.width, 8, text, fill=True, new_x="LMARGIN", new_y="NEXT")
        self.pdf.ln(1)

    def row(self, label: str, value: str, size: float = 11) -> None:
        pdf = self.pdf
        pdf.set_font("cjk", size=10)
        pdf.set_text_color(90, 90, 90)
        top = pdf.get_y()
        pdf.multi_cell(self.LABEL, self.LINE, label, new_x="RIGHT", new_y="TOP")
        pdf.set_text_color(0, 0, 0)
        pdf.set_font("cjk", size=size)
        pdf.multi_cell(self.width - self.LABEL, self.LINE, value or "—", new_x="LMARGIN", new_y="NEXT")
        pdf.set_y(max(pdf.get_y(), top + self.LINE))

    def qr(self, document: Mapping[str, Any], holder_link: str | None, side: float = 64.0) -> None:
        """The certificate's QR code (the whole document when it fits, else its holder link when given, else its
        reference) and what it holds and how it is verified."""
        pdf = self.pdf
        kind, code = make_qr(dict(document))
        if kind == "reference" and holder_link is not None:
            kind, code = "link", segno.make_qr(holder_link, mode="byte", error="m", boost_error=False)
        image = io.BytesIO()
        code.save(image, kind="png", scale=8, border=4)
        if pdf.get_y() + side + 12 > pdf.h - pdf.b_margin:
            pdf.add_page()
        pdf.ln(4)
        top = pdf.get_y()
        pdf.image(io.BytesIO(image.getvalue()), x=pdf.l_margin, y=top, w=side, h=side)
        pdf.set_xy(pdf.l_margin + side + 6, top + 4)
        pdf.set_font("cjk", size=9 if kind == "reference" else 10)
        pdf.multi_cell(
            self.width - side - 6, 5.5,
            f"{_QR_TEXT[kind]}\n{_PRINTOUT}",
        )  # fmt: skip

    def output(self) -> bytes:
        return bytes(self.pdf.output())


#: What the QR code holds and how it is verified, by what it carries.
_QR_TEXT = {
    "document": "扫码核验：二维码载有完整证照。\nScan to verify: the code holds the whole certificate.",
    "link": (
        "扫码核验：二维码载有持证人链接，钱包页取回加密证照，"
        "在浏览器中解密并核验（或 hurong fetch 链接 --verify）。\n"
        "Scan to verify: the code holds the holder link; its wallet page fetches the encrypted licence, "
        "decrypts it in the browser and verifies it (or hurong fetch LINK --verify)."
    ),
    "reference": (
        "二维码载有证照引用（证照过大，无法整体放入二维码）。核验页无法解析引用："
        "持有证照文件者运行 hurong verify 二维码图片 --resolve 文件夹 核验。\n"
        "The code holds a reference: the licence is too large for one code. The verify page cannot resolve it; "
        "with the certificate's file, run hurong verify QR_IMAGE --resolve FOLDER."
    ),
}
_PRINTOUT = "打印件仅供查看，证照状态以链上登记为准。\nA printout shows the licence; its status is the chain's."


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def licence_pdf(
    document: Mapping[str, Any], *, font: tuple[Path, int] | None = None, holder_link: str | None = None
) -> bytes:
    """The A4 PDF of a wrapped certificate (see the module's docstring); `holder_link` is carried by the QR code
    when the certificate is too large for one code.

    Raises `CertificateValidationError` for a document that is no valid certificate, `LedgerValueError` for one
    without its proof, and `FontNotFound` when the font is missing."""
    validate_credential(document)
    proof = _mapping(document.get("proof"))
    if not isinstance(proof.get("digest"), str):
        raise LedgerValueError("a printable licence needs a wrapped certificate (with its proof and digest)")
    subject = _mapping(document.get("credentialSubject"))
    code = str(subject.get("certificateType", ""))
    kind = _TYPES_BY_CODE.get(code)
    titles = _titles(code) if kind else {}
    page = _Page(font or find_cjk_font(), f"{kind.name if kind else '电子证照'} {subject.get('licenceNumber', '')}")
    page.centred(kind.name if kind else "电子证照", 22, 12)
    page.centred(f"电子证照 · {kind.class_name if kind else 'Electronic licence'} · 互认 Hurong", 10, 6)
    page.pdf.ln(4)

    page.heading("证照信息 Licence")
    first = [name for name in ("licenceNumber", "holderName", "holderId") if name in subject]
    for name in first + [n for n in subject if n not in _SKIPPED and n not in first]:
        text = _text(subject[name])
        region = regions.lookup(text) if name in ("issuingProvince", "issuingRegion") else None
        page.row(titles.get(name) or _SUBJECT_TITLES.get(name, name), f"{region.name}（{text}）" if region else text)

    page.heading("发证与有效期 Issuer and validity")
    page.row("发证机关", str(_mapping(document.get("issuer")).get("name", "")))
    page.row("有效期起", _when(document.get("validFrom", "")))
    page.row("有效期至", _when(document.get("validUntil", "")))
    page.row("电子证照标识", str(subject.get("licenceIdentifier", "—")), size=9)

    page.heading("链上锚定 Anchoring")
    anchor = _mapping(proof.get("anchor"))
    for label, value in (
        ("摘要 digest", proof.get("digest")),
        ("Merkle 根 root", proof.get("merkleRoot")),
        ("算法套件 suite", proof.get("suite")),
        ("链标识 chain", proof.get("chainId")),
        ("登记合约 registry", proof.get("registry")),
        ("交易 transaction", anchor.get("transactionHash")),
        ("区块 block", anchor.get("blockNumber")),
    ):
        page.row(label, "" if value is None else str(value), size=8)
    page.qr(document, holder_link)
    return page.output()
