"""SM2 curve arithmetic in pure Python (GB/T 32918): the recommended curve's parameters, `k * G` in Jacobian
coordinates to derive or check a public key when a key is loaded, the check that a 64- or 65-byte key is a point
of the curve, and the strict DER parser of an `(r, s)` signature. Signing and verifying themselves run in GmSSL
(`ledger.keys.pairs`).
"""

from __future__ import annotations

from ledger.errors import LedgerValueError

# SM2 recommended curve parameters (GB/T 32918.5): y^2 = x^3 + a x + b over F_p with a = p - 3.
_SM2_P = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF
_SM2_A = _SM2_P - 3
_SM2_B = 0x28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93
_SM2_N = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123
_SM2_GX = 0x32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7
_SM2_GY = 0xBC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0


def _sm2_multiply_base(k: int) -> tuple[int, int]:
    """`k * G` on the SM2 curve, in Jacobian coordinates (a = -3).

    Variable-time pure Python: used only to derive or check a public key when a key is loaded, never to sign
    (signing runs in GmSSL).
    """
    p = _SM2_P
    result: tuple[int, int, int] | None = None
    addend: tuple[int, int, int] = (_SM2_GX, _SM2_GY, 1)
    while k:
        if k & 1:
            result = addend if result is None else _jacobian_add(result, addend)
        addend = _jacobian_double(addend)
        k >>= 1
    if result is None or result[2] == 0:
        raise LedgerValueError("an SM2 private key must be an integer in [1, n - 2]")
    x, y, z = result
    z_inv = pow(z, -1, p)
    z_inv2 = z_inv * z_inv % p
    return x * z_inv2 % p, y * z_inv2 * z_inv % p


def _jacobian_double(point: tuple[int, int, int]) -> tuple[int, int, int]:
    p = _SM2_P
    x, y, z = point
    if y == 0 or z == 0:
        return (1, 1, 0)
    delta = z * z % p
    gamma = y * y % p
    beta = x * gamma % p
    alpha = 3 * (x - delta) * (x + delta) % p
    x3 = (alpha * alpha - 8 * beta) % p
    z3 = ((y + z) ** 2 - gamma - delta) % p
    y3 = (alpha * (4 * beta - x3) - 8 * gamma * gamma) % p
    return (x3, y3, z3)


def _jacobian_add(a: tuple[int, int, int], b: tuple[int, int, int]) -> tuple[int, int, int]:
    p = _SM2_P
    x1, y1, z1 = a
    x2, y2, z2 = b
    if z1 == 0:
        return b
    if z2 == 0:
        return a
    z1z1, z2z2 = z1 * z1 % p, z2 * z2 % p
    u1, u2 = x1 * z2z2 % p, x2 * z1z1 % p
    s1, s2 = y1 * z2 * z2z2 % p, y2 * z1 * z1z1 % p
    if u1 == u2:
        return _jacobian_double(a) if s1 == s2 else (1, 1, 0)
    h = (u2 - u1) % p
    r = (s2 - s1) % p
    hh = h * h % p
    hhh = h * hh % p
    v = u1 * hh % p
    x3 = (r * r - hhh - 2 * v) % p
    y3 = (r * (v - x3) - s1 * hhh) % p
    z3 = h * z1 * z2 % p
    return (x3, y3, z3)


def _sm2_public_point(public_key: bytes) -> bytes | None:
    """The 64-byte `x || y` of an SM2 key given as 64 or `04`-prefixed 65 bytes, if it is a curve point."""
    if len(public_key) == 65 and public_key[0] == 0x04:
        public_key = public_key[1:]
    if len(public_key) != 64:
        return None
    x, y = int.from_bytes(public_key[:32], "big"), int.from_bytes(public_key[32:], "big")
    if x >= _SM2_P or y >= _SM2_P or (y * y - x * x * x - _SM2_A * x - _SM2_B) % _SM2_P:
        return None
    return public_key


def _parse_sm2_signature(signature: bytes) -> tuple[int, int] | None:
    """`(r, s)` of a strict DER `SEQUENCE { INTEGER r, INTEGER s }` with `1 <= r, s < n`, else `None`."""
    if len(signature) < 8 or signature[0] != 0x30 or signature[1] != len(signature) - 2:
        return None
    values: list[int] = []
    pos = 2
    for _ in range(2):
        if pos + 2 > len(signature) or signature[pos] != 0x02:
            return None
        length = signature[pos + 1]
        body = signature[pos + 2 : pos + 2 + length]
        if not 1 <= length <= 33 or len(body) != length or body[0] & 0x80:
            return None
        if length > 1 and body[0] == 0 and not body[1] & 0x80:
            return None
        values.append(int.from_bytes(body, "big"))
        pos += 2 + length
    if pos != len(signature) or not all(1 <= v < _SM2_N for v in values):
        return None
    return values[0], values[1]
