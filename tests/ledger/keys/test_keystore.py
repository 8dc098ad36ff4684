"""Encrypted key files: round trips for every key kind, refusal of wrong passphrases, tampering and malformed files,
atomic 0600 writes with no plaintext key material, and where the passphrase comes from."""

from __future__ import annotations

import base64
import io
import json
import os
import stat
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account

from ledger.certificates.merkle import keccak256
from ledger.chain.models import KeyAlgorithm
from ledger.errors import LedgerError, LedgerValueError
from ledger.keys.keystore import (
    AccountKey,
    KeystoreError,
    KeystoreFormatError,
    StoredKey,
    ensure_passphrase_file,
    load_account_key,
    load_key,
    load_signing_key,
    passphrase_from_env_or_prompt,
    read_key_header,
    read_passphrase_file,
    save_key,
)
from ledger.keys.signing import SigningKeyPair, generate, sign, verify

PASSPHRASE = "沪融 correct horse battery staple"
KINDS: dict[str, Callable[[], StoredKey]] = {
    "Ed25519": lambda: generate(KeyAlgorithm.ED25519),
    "SM2": lambda: generate(KeyAlgorithm.SM2),
    "secp256k1": AccountKey.generate,
}
# anvil's first development account
ANVIL_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
ANVIL_ADDRESS = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"


@pytest.fixture(params=list(KINDS))
def key(request: pytest.FixtureRequest) -> StoredKey:
    return KINDS[request.param]()


@pytest.fixture
def key_file(tmp_path: Path, key: StoredKey) -> Path:
    return save_key(tmp_path / "agency.key.json", key, PASSPHRASE)


def rewrite(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    document = json.loads(path.read_text())
    change(document)
    path.write_text(json.dumps(document))


def flip_hex(text: str, index: int) -> str:
    """`text` with the lowest bit of its `index`-th hex digit flipped (flipping twice restores it)."""
    return text[:index] + format(int(text[index], 16) ^ 1, "x") + text[index + 1 :]


def assert_wrong_passphrase(path: Path, passphrase: str = PASSPHRASE) -> None:
    with pytest.raises(KeystoreError, match=r"^wrong passphrase or corrupted key file$") as info:
        load_key(path, passphrase)
    assert not isinstance(info.value, KeystoreFormatError)
    assert info.value.__cause__ is None and info.value.__suppress_context__


# ---------------------------------------------------------------------------------------------------- round trips


def test_key_file_round_trips(key: StoredKey, key_file: Path) -> None:
    loaded = load_key(key_file, PASSPHRASE)
    assert loaded == key
    assert type(loaded) is type(key)


def test_loaded_signing_key_still_signs(tmp_path: Path) -> None:
    for algorithm in (KeyAlgorithm.ED25519, KeyAlgorithm.SM2):
        key = generate(algorithm)
        path = save_key(tmp_path / f"{algorithm.name}.json", key, PASSPHRASE)
        loaded = load_signing_key(path, PASSPHRASE)
        assert verify(algorithm, key.public_key, b"root", sign(loaded, b"root"))


def test_account_key_round_trips_as_hex(tmp_path: Path) -> None:
    path = save_key(tmp_path / "account.json", AccountKey.from_hex(ANVIL_KEY), PASSPHRASE)
    private_key = load_account_key(path, PASSPHRASE)
    assert private_key == ANVIL_KEY
    assert Account.from_key(private_key).address == ANVIL_ADDRESS
    assert read_key_header(path).address == ANVIL_ADDRESS


def test_account_key_matches_eth_account() -> None:
    key = AccountKey.generate()
    assert key.address == Account.from_key(key.private_key).address
    assert key.key_id[12:] == bytes.fromhex(key.address[2:])
    assert AccountKey.from_hex(key.private_key_hex.removeprefix("0x")) == key


@pytest.mark.parametrize("private_key", ["0x1234", "zz" * 32, "0x" + "00" * 32, "0x" + "ff" * 32, 5])
def test_invalid_account_keys_are_refused(private_key: Any) -> None:
    with pytest.raises(LedgerValueError):
        AccountKey.from_hex(private_key)


def test_account_key_repr_hides_the_private_key() -> None:
    key = AccountKey.generate()
    assert key.private_key.hex() not in repr(key)


def test_loaders_refuse_the_other_kind_of_key(tmp_path: Path) -> None:
    signing = save_key(tmp_path / "signing.json", generate(KeyAlgorithm.ED25519), PASSPHRASE)
    account = save_key(tmp_path / "account.json", AccountKey.generate(), PASSPHRASE)
    with pytest.raises(KeystoreError, match="not a secp256k1 account key"):
        load_account_key(signing, PASSPHRASE)
    with pytest.raises(KeystoreError, match="not an Ed25519 or SM2 signing key"):
        load_signing_key(account, PASSPHRASE)


def test_header_is_readable_without_the_passphrase(key: StoredKey, key_file: Path) -> None:
    header = read_key_header(key_file)
    assert header.key_id == keccak256(key.public_key)
    assert header.public_key == key.public_key
    assert header.algorithm == key.algorithm_name


def test_passphrase_is_nfkc_normalised(tmp_path: Path) -> None:
    key = generate(KeyAlgorithm.ED25519)
    path = save_key(tmp_path / "key.json", key, "caf\u00e9 ＰＡＳＳ")  # composed é, full-width letters
    assert load_key(path, "cafe\u0301 PASS") == key  # decomposed é, ASCII letters


# ---------------------------------------------------------------------------------------------------- file format


def test_key_file_has_the_documented_shape(key: StoredKey, key_file: Path) -> None:
    document = json.loads(key_file.read_text())
    expected = {"version", "algorithm", "keyId", "publicKey", "kdf", "cipher"}
    if isinstance(key, AccountKey):
        expected.add("address")
        assert document["address"] == key.address
    assert set(document) == expected
    assert document["version"] == 1
    assert document["algorithm"] == key.algorithm_name
    assert document["keyId"] == "0x" + keccak256(key.public_key).hex()
    assert document["publicKey"] == "0x" + key.public_key.hex()
    kdf, cipher = document["kdf"], document["cipher"]
    assert (kdf["name"], kdf["n"], kdf["r"], kdf["p"], len(kdf["salt"])) == ("scrypt", 2**15, 8, 1, 32)
    assert set(cipher) == {"name", "nonce", "ciphertext"}
    assert (cipher["name"], len(cipher["nonce"]), len(cipher["ciphertext"])) == ("aes-256-gcm", 24, 96)


def test_key_file_has_mode_0600_and_no_temporary_left(tmp_path: Path, key_file: Path) -> None:
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == [key_file.name]


def test_key_file_mode_ignores_a_permissive_umask(tmp_path: Path) -> None:
    previous = os.umask(0)
    try:
        path = save_key(tmp_path / "key.json", generate(KeyAlgorithm.SM2), PASSPHRASE)
    finally:
        os.umask(previous)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_key_file_holds_no_plaintext_private_key(key: StoredKey, key_file: Path) -> None:
    content = key_file.read_bytes()
    secret = key.private_key
    for encoded in (
        secret,
        secret.hex().encode(),
        secret.hex().upper().encode(),
        base64.b64encode(secret).rstrip(b"="),
        base64.urlsafe_b64encode(secret).rstrip(b"="),
    ):
        assert encoded not in content
    assert secret[:8].hex().encode() not in content.lower()


def test_salt_and_nonce_are_fresh_each_time(tmp_path: Path) -> None:
    key = generate(KeyAlgorithm.ED25519)
    first = json.loads(save_key(tmp_path / "a.json", key, PASSPHRASE).read_text())
    second = json.loads(save_key(tmp_path / "b.json", key, PASSPHRASE).read_text())
    assert first["kdf"]["salt"] != second["kdf"]["salt"]
    assert first["cipher"]["nonce"] != second["cipher"]["nonce"]
    assert first["cipher"]["ciphertext"] != second["cipher"]["ciphertext"]


def test_existing_file_is_not_overwritten(tmp_path: Path) -> None:
    first, second = generate(KeyAlgorithm.ED25519), generate(KeyAlgorithm.ED25519)
    path = save_key(tmp_path / "key.json", first, PASSPHRASE)
    before = path.read_bytes()
    with pytest.raises(KeystoreError, match="exists; pass overwrite=True"):
        save_key(path, second, PASSPHRASE)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["key.json"]
    save_key(path, second, PASSPHRASE, overwrite=True)
    assert load_key(path, PASSPHRASE) == second
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_overwrite_replaces_a_file_of_looser_mode(tmp_path: Path) -> None:
    path = tmp_path / "key.json"
    path.write_text("old")
    path.chmod(0o644)
    save_key(path, generate(KeyAlgorithm.SM2), PASSPHRASE, overwrite=True)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_missing_folders_are_created_private(tmp_path: Path) -> None:
    path = save_key(tmp_path / "keystore" / "key.json", generate(KeyAlgorithm.ED25519), PASSPHRASE)
    assert path.is_file() and stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_unwritable_destinations_raise_keystore_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where a folder should be")
    with pytest.raises(KeystoreError, match="cannot write key file"):
        save_key(blocker / "key.json", generate(KeyAlgorithm.ED25519), PASSPHRASE)


def test_empty_passphrase_is_refused(tmp_path: Path) -> None:
    with pytest.raises(LedgerValueError, match="must not be empty"):
        save_key(tmp_path / "key.json", generate(KeyAlgorithm.ED25519), "")
    assert list(tmp_path.iterdir()) == []


def test_only_keys_can_be_stored(tmp_path: Path) -> None:
    with pytest.raises(LedgerValueError, match="cannot store a bytes"):
        save_key(tmp_path / "key.json", b"\x01" * 32, PASSPHRASE)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------------- refusals


def test_wrong_passphrase_is_refused(key_file: Path) -> None:
    assert_wrong_passphrase(key_file, PASSPHRASE + " ")
    assert_wrong_passphrase(key_file, "")


def test_tampered_ciphertext_is_refused(key_file: Path) -> None:
    original = json.loads(key_file.read_text())["cipher"]["ciphertext"]
    for index in (0, 40, 95):  # in the encrypted key and in the tag
        rewrite(key_file, _set(flip_hex(original, index), "cipher", "ciphertext"))
        assert_wrong_passphrase(key_file)
    rewrite(key_file, _set(original, "cipher", "ciphertext"))
    load_key(key_file, PASSPHRASE)


def test_tampered_nonce_is_refused(key_file: Path) -> None:
    rewrite(key_file, lambda d: d["cipher"].update(nonce=flip_hex(d["cipher"]["nonce"], 0)))
    assert_wrong_passphrase(key_file)


def test_tampered_salt_is_refused(key_file: Path) -> None:
    rewrite(key_file, lambda d: d["kdf"].update(salt=flip_hex(d["kdf"]["salt"], 3)))
    assert_wrong_passphrase(key_file)


def test_header_naming_another_key_is_refused_by_the_aead(key: StoredKey, key_file: Path) -> None:
    """A consistent header for another key (keyId, publicKey and address swapped in) fails authentication."""
    other = type(key).generate() if isinstance(key, AccountKey) else generate(key.algorithm)

    def swap(document: dict[str, Any]) -> None:
        document.update(keyId="0x" + other.key_id.hex(), publicKey="0x" + other.public_key.hex())
        if isinstance(other, AccountKey):
            document["address"] = other.address

    rewrite(key_file, swap)
    assert read_key_header(key_file).key_id == other.key_id
    assert_wrong_passphrase(key_file)


def test_weakened_kdf_parameters_are_refused_by_the_aead(key_file: Path) -> None:
    rewrite(key_file, lambda d: d["kdf"].update(n=2**14))
    assert_wrong_passphrase(key_file)


def test_changed_key_id_is_refused(key_file: Path) -> None:
    rewrite(key_file, lambda d: d.update(keyId="0x" + "11" * 32))
    with pytest.raises(KeystoreFormatError, match=r"keyId is not keccak256\(publicKey\)"):
        load_key(key_file, PASSPHRASE)


def test_changed_account_address_is_refused(tmp_path: Path) -> None:
    path = save_key(tmp_path / "account.json", AccountKey.generate(), PASSPHRASE)
    rewrite(path, lambda d: d.update(address=ANVIL_ADDRESS))
    with pytest.raises(KeystoreFormatError, match="address"):
        load_key(path, PASSPHRASE)


def test_truncated_file_is_refused(key_file: Path) -> None:
    content = key_file.read_bytes()
    for length in (0, 1, len(content) // 2, len(content) - 3):
        key_file.write_bytes(content[:length])
        with pytest.raises(KeystoreFormatError, match="not a JSON key file") as info:
            load_key(key_file, PASSPHRASE)
        assert isinstance(info.value, LedgerValueError) and isinstance(info.value, LedgerError)


def test_binary_garbage_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "key.json"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(KeystoreFormatError):
        load_key(path, PASSPHRASE)


def test_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(KeystoreError, match="cannot read key file"):
        load_key(tmp_path / "nope.json", PASSPHRASE)


def _drop(*path: str) -> Callable[[dict[str, Any]], None]:
    def change(document: dict[str, Any]) -> None:
        target = document
        for name in path[:-1]:
            target = target[name]
        del target[path[-1]]

    return change


def _set(value: Any, *path: str) -> Callable[[dict[str, Any]], None]:
    def change(document: dict[str, Any]) -> None:
        target = document
        for name in path[:-1]:
            target = target[name]
        target[path[-1]] = value

    return change


MALFORMED: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "version 2": (_set(2, "version"), "unsupported key file version"),
    "version true": (_set(True, "version"), "unsupported key file version"),
    "version string": (_set("1", "version"), "unsupported key file version"),
    "unknown algorithm": (_set("RSA", "algorithm"), "unknown key algorithm"),
    "algorithm list": (_set(["SM2"], "algorithm"), "unknown key algorithm"),
    "no cipher": (_drop("cipher"), "lacks cipher"),
    "no keyId": (_drop("keyId"), "lacks keyId"),
    "extra field": (_set("hello", "comment"), "unexpected comment"),
    "short public key": (_set("0x1234", "publicKey"), "publicKey is"),
    "public key not hex": (_set("0xzz", "publicKey"), "publicKey must be"),
    "public key without 0x": (_set("ab" * 32, "publicKey"), "publicKey must be"),
    "kdf not object": (_set("scrypt", "kdf"), "kdf must be an object"),
    "kdf pbkdf2": (_set("pbkdf2", "kdf", "name"), "unsupported kdf"),
    "kdf n not power of two": (_set(3 * 2**14, "kdf", "n"), "scrypt parameters out of range"),
    "kdf n huge": (_set(2**30, "kdf", "n"), "scrypt parameters out of range"),
    "kdf n small": (_set(2**4, "kdf", "n"), "scrypt parameters out of range"),
    "kdf p large": (_set(64, "kdf", "p"), "scrypt parameters out of range"),
    "kdf r zero": (_set(0, "kdf", "r"), "positive integers"),
    "kdf n float": (_set(32768.0, "kdf", "n"), "positive integers"),
    "short salt": (_set("00" * 4, "kdf", "salt"), "kdf.salt must be at least"),
    "salt uppercase": (_set("AB" * 16, "kdf", "salt"), "kdf.salt must be lowercase hex"),
    "cipher aes-cbc": (_set("aes-256-cbc", "cipher", "name"), "unsupported cipher"),
    "short nonce": (_set("00" * 8, "cipher", "nonce"), "cipher.nonce must be 12 bytes"),
    "odd ciphertext": (_set("abc", "cipher", "ciphertext"), "cipher.ciphertext must be lowercase hex"),
    "short ciphertext": (_set("00" * 32, "cipher", "ciphertext"), "cipher.ciphertext must be 48 bytes"),
    "no nonce": (_drop("cipher", "nonce"), "cipher lacks nonce"),
}


@pytest.fixture(scope="module")
def ed25519_file_content(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """One well-formed Ed25519 key file, saved once (scrypt is slow on purpose) and copied by the tests."""
    path = save_key(tmp_path_factory.mktemp("keystore") / "key.json", generate(KeyAlgorithm.ED25519), PASSPHRASE)
    return path.read_bytes()


@pytest.mark.parametrize("case", list(MALFORMED))
def test_malformed_key_files_are_refused_with_a_reason(tmp_path: Path, ed25519_file_content: bytes, case: str) -> None:
    change, reason = MALFORMED[case]
    path = tmp_path / "key.json"
    path.write_bytes(ed25519_file_content)
    rewrite(path, change)
    with pytest.raises(KeystoreFormatError, match=reason):
        load_key(path, PASSPHRASE)
    with pytest.raises(KeystoreFormatError, match=reason):
        read_key_header(path)


@pytest.mark.parametrize("content", ["[]", "null", '"key"', "42"])
def test_json_that_is_not_an_object_is_refused(tmp_path: Path, content: str) -> None:
    path = tmp_path / "key.json"
    path.write_text(content)
    with pytest.raises(KeystoreFormatError, match="a key file is a JSON object"):
        load_key(path, PASSPHRASE)


def test_mismatched_decrypted_key_is_refused(tmp_path: Path) -> None:
    """A file encrypted (with the right passphrase) over a private key that is not the header's key."""
    key, other = generate(KeyAlgorithm.ED25519), generate(KeyAlgorithm.ED25519)
    impostor = SigningKeyPair.__new__(SigningKeyPair)  # bypass the pair check of __post_init__
    object.__setattr__(impostor, "algorithm", key.algorithm)
    object.__setattr__(impostor, "private_key", other.private_key)
    object.__setattr__(impostor, "public_key", key.public_key)
    path = save_key(tmp_path / "key.json", impostor, PASSPHRASE)
    with pytest.raises(KeystoreFormatError, match="does not match its private key"):
        load_key(path, PASSPHRASE)


# ---------------------------------------------------------------------------------------------------- passphrases


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_passphrase_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HURONG_KEY_PASSPHRASE", PASSPHRASE)
    monkeypatch.setattr("getpass.getpass", _fail)
    assert passphrase_from_env_or_prompt() == PASSPHRASE
    monkeypatch.setenv("OTHER_PASSPHRASE", "other")
    assert passphrase_from_env_or_prompt("OTHER_PASSPHRASE") == "other"


def test_environment_passphrase_opens_a_key_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key = generate(KeyAlgorithm.SM2)
    monkeypatch.setenv("HURONG_KEY_PASSPHRASE", PASSPHRASE)
    path = save_key(tmp_path / "key.json", key, passphrase_from_env_or_prompt())
    assert load_signing_key(path, passphrase_from_env_or_prompt()) == key


def test_empty_environment_passphrase_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HURONG_KEY_PASSPHRASE", "")
    with pytest.raises(LedgerValueError, match="HURONG_KEY_PASSPHRASE is set but empty"):
        passphrase_from_env_or_prompt()


def test_without_environment_or_terminal_the_passphrase_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HURONG_KEY_PASSPHRASE", raising=False)
    monkeypatch.delenv("HURONG_KEY_PASSPHRASE_FILE", raising=False)
    monkeypatch.setattr(sys, "stdin", io.StringIO("typed passphrase\n"))
    monkeypatch.setattr("getpass.getpass", _fail)
    with pytest.raises(LedgerValueError, match="set HURONG_KEY_PASSPHRASE or HURONG_KEY_PASSPHRASE_FILE, or run on"):
        passphrase_from_env_or_prompt()
    monkeypatch.setattr(sys, "stdin", None)
    with pytest.raises(LedgerValueError, match="set HURONG_KEY_PASSPHRASE"):
        passphrase_from_env_or_prompt()


def test_on_a_terminal_the_passphrase_is_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HURONG_KEY_PASSPHRASE", raising=False)
    monkeypatch.delenv("HURONG_KEY_PASSPHRASE_FILE", raising=False)
    monkeypatch.setattr(sys, "stdin", _Terminal())
    prompts: list[str] = []

    def ask(prompt: str) -> str:
        prompts.append(prompt)
        return PASSPHRASE

    monkeypatch.setattr("getpass.getpass", ask)
    assert passphrase_from_env_or_prompt(prompt="SM2 key passphrase: ") == PASSPHRASE
    assert prompts == ["SM2 key passphrase: "]
    assert passphrase_from_env_or_prompt(prompt="Passphrase: ", confirm=True) == PASSPHRASE
    assert prompts[1:] == ["Passphrase: ", "Repeat passphrase: "]


def test_terminal_answers_must_be_non_empty_and_match(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HURONG_KEY_PASSPHRASE", raising=False)
    monkeypatch.delenv("HURONG_KEY_PASSPHRASE_FILE", raising=False)
    monkeypatch.setattr(sys, "stdin", _Terminal())
    monkeypatch.setattr("getpass.getpass", lambda prompt: "")
    with pytest.raises(LedgerValueError, match="must not be empty"):
        passphrase_from_env_or_prompt()
    answers = iter(["first", "second"])
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(answers))
    with pytest.raises(LedgerValueError, match="do not match"):
        passphrase_from_env_or_prompt(confirm=True)


def test_passphrase_comes_from_the_file_the_environment_names(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "passphrase"
    path.write_text(PASSPHRASE + "\n", encoding="utf-8")
    monkeypatch.delenv("HURONG_KEY_PASSPHRASE", raising=False)
    monkeypatch.setenv("HURONG_KEY_PASSPHRASE_FILE", str(path))
    monkeypatch.setattr("getpass.getpass", _fail)
    assert passphrase_from_env_or_prompt() == PASSPHRASE
    monkeypatch.setenv("HURONG_KEY_PASSPHRASE", PASSPHRASE)
    with pytest.raises(LedgerValueError, match="set only one of them"):
        passphrase_from_env_or_prompt()
    monkeypatch.delenv("HURONG_KEY_PASSPHRASE")
    monkeypatch.setenv("HURONG_KEY_PASSPHRASE_FILE", "")
    with pytest.raises(LedgerValueError, match="HURONG_KEY_PASSPHRASE_FILE is set but empty"):
        passphrase_from_env_or_prompt()


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"", "is empty"), (b"\n", "is empty"), (b"\xff\xfe", "not UTF-8"), (b"x" * 5000, "larger than 4096 bytes")],
    ids=["empty", "line-break", "binary", "large"],
)
def test_unusable_passphrase_files_are_refused(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "passphrase"
    path.write_bytes(content)
    with pytest.raises(KeystoreError, match=message):
        read_passphrase_file(path)
    with pytest.raises(KeystoreError, match="cannot read passphrase file"):
        read_passphrase_file(tmp_path / "missing")


def test_passphrase_file_keeps_one_trailing_line_break_out_and_the_rest_in(tmp_path: Path) -> None:
    path = tmp_path / "passphrase"
    path.write_bytes(" 马 \r\n".encode())
    assert read_passphrase_file(path) == " 马 "
    path.write_bytes(b"a\n\n")
    assert read_passphrase_file(path) == "a\n"


def test_a_generated_passphrase_is_random_private_and_kept(tmp_path: Path) -> None:
    path = tmp_path / "secrets" / "keystore-passphrase"
    first = ensure_passphrase_file(path)
    assert len(first) >= 43 and first == read_passphrase_file(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert ensure_passphrase_file(path) == first
    assert ensure_passphrase_file(tmp_path / "other") != first
    assert not [p for p in path.parent.iterdir() if p.name != path.name]  # no temporary file left


def _fail(prompt: str = "") -> str:
    raise AssertionError("getpass must not be called")
