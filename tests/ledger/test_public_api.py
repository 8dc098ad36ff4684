import ledger
from ledger import errors


def test_public_surface_is_sorted_and_importable() -> None:
    assert ledger.__all__ == sorted(ledger.__all__)
    for name in ledger.__all__:
        assert getattr(ledger, name) is not None


def test_every_ledger_exception_derives_from_ledger_error() -> None:
    for name in errors.__all__:
        assert issubclass(getattr(errors, name), errors.LedgerError)


def test_the_public_surface_is_this_list() -> None:
    assert ledger.__all__ == [
        "Anvil", "Artifact", "ChainError", "ChainReader", "CompilationError", "ConfigurationError",
        "ContractRevertError", "Deployment", "DeploymentError", "HurongClient", "IndexReader", "Indexer", "Issuer",
        "Journal", "LedgerError", "LedgerValueError", "MerkleTree", "MultiProof", "PendingTransaction", "Receipt",
        "ToolchainError", "TransactionFailed", "TransactionTimeout", "UnknownContractError", "VerificationContext",
        "VerificationResult", "Verifier", "bootstrap", "build", "compile_contracts", "deploy_contracts",
        "load_artifact", "load_description",
    ]  # fmt: skip


def test_every_exception_of_the_core_is_defined_in_its_one_module() -> None:
    import importlib
    import inspect
    import pkgutil

    elsewhere = []
    for info in pkgutil.walk_packages(ledger.__path__, "ledger."):
        if info.name.endswith("__main__") or info.name in ("ledger.errors", "ledger.chain.contract_errors"):
            continue
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if (inspect.isclass(value) and issubclass(value, BaseException) and value.__module__ == info.name
                    and not name.startswith("_")):  # fmt: skip
                elsewhere.append(f"{info.name}.{name}")
    assert elsewhere == []
    for name in errors.__all__:
        assert getattr(errors, name).__module__ == "ledger.errors"
