"""The contracts' toolchain: solc-js compilation, packaged artifacts, generated error classes."""
