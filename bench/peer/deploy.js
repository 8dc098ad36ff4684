// Deploy the DocumentStore of @govtechsg/document-store 3.0.0 with ethers 5.7.
//   node deploy.js --rpc URL --key 0x… [--name NAME]
// Prints {"address", "transactionHash", "gasUsed", "owner"}.
"use strict";

const { ethers } = require("ethers");
const { documentStoreArtifact, main, makeProvider, makeSender, required, waitForReceipt } = require("./common");

main(async (args) => {
  const provider = makeProvider(required(args, "rpc"));
  const sender = await makeSender(provider, required(args, "key"));
  const { abi, bytecode } = documentStoreArtifact();
  const factory = new ethers.ContractFactory(abi, bytecode, sender.wallet);
  const name = typeof args.name === "string" ? args.name : "上海市市场监督管理局";
  const contract = await factory.deploy(name, sender.wallet.address, sender.overrides());
  const receipt = await waitForReceipt(provider, contract.deployTransaction.hash);
  return {
    address: ethers.utils.getAddress(receipt.contractAddress),
    transactionHash: receipt.transactionHash,
    gasUsed: parseInt(receipt.gasUsed, 16),
    owner: sender.wallet.address,
  };
});
