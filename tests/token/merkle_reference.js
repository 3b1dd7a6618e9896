// The reference side of tests/token/test_merkle.py: @openzeppelin/merkle-tree 1.0.8 run by node.
//
// Reads one JSON request on stdin, writes one JSON answer on stdout:
//   {"op": "of", "values": [[...], ...], "leafEncoding": [...], "sortLeaves": true}
//   {"op": "load", "dump": {...}}
//   {"op": "loadFile", "path": "tree.json"}   (a dump file, read and JSON.parse'd as a user would)
//   -> {"root", "proofs": [one per value index], "dump", "dumpJson": JSON.stringify(dump), "render"}
//   {"op": "verify", "root", "leafEncoding", "value", "proof"} -> {"valid": bool}
//   {"op": "batch", "requests": [...]} -> {"answers": [one answer per request]}
// A failure (for example load() rejecting a dump) answers {"error": message} and exits 0.
"use strict";

const fs = require("fs");
const { StandardMerkleTree } = require("@openzeppelin/merkle-tree");

function describe(tree) {
  const dump = tree.dump();
  const proofs = [];
  for (const [i] of tree.entries()) proofs.push(tree.getProof(i));
  return { root: tree.root, proofs, dump, dumpJson: JSON.stringify(dump), render: tree.render() };
}

function answer(request) {
  switch (request.op) {
    case "of":
      return describe(
        StandardMerkleTree.of(request.values, request.leafEncoding, { sortLeaves: request.sortLeaves ?? true }),
      );
    case "load":
      return describe(StandardMerkleTree.load(request.dump));
    case "loadFile":
      return describe(StandardMerkleTree.load(JSON.parse(fs.readFileSync(request.path, "utf8"))));
    case "batch":
      return { answers: request.requests.map(safeAnswer) };
    case "verify":
      return { valid: StandardMerkleTree.verify(request.root, request.leafEncoding, request.value, request.proof) };
    default:
      throw new Error(`unknown op ${request.op}`);
  }
}

function safeAnswer(request) {
  try {
    return answer(request);
  } catch (error) {
    return { error: String(error && error.message ? error.message : error) };
  }
}

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", chunk => (input += chunk));
process.stdin.on("end", () => {
  process.stdout.write(JSON.stringify(safeAnswer(JSON.parse(input))));
});
