#!/usr/bin/env node
// A `solc` command line that py-solc-x (and so ape-solidity) accepts, backed by the npm `solc`
// package (the official compiler built with emscripten), so that compiling needs no download.
//
//   solc --version                      prints the version in the native binary's format
//   solc --standard-json [--base-path DIR] [--include-path DIR]... [--allow-paths ...] < input.json
//
// Imports that are not already in the JSON input are read from the base path, the include paths
// and the working directory, in that order.
"use strict";

const fs = require("fs");
const path = require("path");

function loadSolc() {
  try {
    return require("solc");
  } catch (err) {
    process.stderr.write(
      "The npm package 'solc' is missing: run `make setup` (it runs `npm ci`) in the sahara-dao repository.\n",
    );
    process.exit(2);
  }
}

function parseArgs(argv) {
  const options = { standardJson: false, version: false, roots: [] };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === "--version") options.version = true;
    else if (arg === "--standard-json") options.standardJson = true;
    else if (arg === "--base-path" || arg === "--include-path") options.roots.push(argv[++i]);
    else if (arg === "--allow-paths") i += 1;
    else if (arg.startsWith("--base-path=") || arg.startsWith("--include-path=")) {
      options.roots.push(arg.slice(arg.indexOf("=") + 1));
    }
  }
  options.roots.push(process.cwd());
  return options;
}

function importCallback(roots) {
  return (importPath) => {
    for (const root of roots) {
      const candidate = path.resolve(root, importPath);
      if (fs.existsSync(candidate)) return { contents: fs.readFileSync(candidate, "utf8") };
    }
    return { error: `File not found: ${importPath} (searched ${roots.join(", ")})` };
  };
}

function main() {
  const options = parseArgs(process.argv.slice(2));
  const solc = loadSolc();
  if (options.version) {
    process.stdout.write(`solc, the solidity compiler commandline interface\nVersion: ${solc.version()}\n`);
    return;
  }
  if (!options.standardJson) {
    process.stderr.write("Only --version and --standard-json are supported by this launcher.\n");
    process.exit(2);
  }
  const input = fs.readFileSync(0, "utf8");
  process.stdout.write(solc.compile(input, { import: importCallback(options.roots) }));
}

main();
