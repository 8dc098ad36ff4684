import ledger
from ledger import errors


def test_public_surface_is_sorted_and_importable() -> None:
    assert ledger.__all__ == sorted(ledger.__all__)
    for name in ledger.__all__:
        assert getattr(ledger, name) is not None


def test_every_ledger_exception_derives_from_ledger_error() -> None:
    for name in errors.__all__:
        assert issubclass(getattr(errors, name), errors.LedgerError)
