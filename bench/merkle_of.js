// The reference side of bench/merkle.py: times @openzeppelin/merkle-tree's StandardMerkleTree.of alone.
//
// Usage: node bench/merkle_of.js LEAVES.json
//   LEAVES.json: [["0x…", "amount"], ...], the (address, uint256) rows
//   prints {"root": "0x…", "seconds": 12.3}; reading and parsing the file are not timed.
"use strict";

const fs = require("fs");
const { StandardMerkleTree } = require("@openzeppelin/merkle-tree");

const values = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const start = process.hrtime.bigint();
const tree = StandardMerkleTree.of(values, ["address", "uint256"]);
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
process.stdout.write(JSON.stringify({ root: tree.root, seconds }) + "\n");
