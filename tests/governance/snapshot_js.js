// snapshot.js 0.17.5 and ethers v5 for the compatibility tests and bench/votes_verify.py.
// Run from the repository root (so require() finds node_modules): node tests/governance/snapshot_js.js
// Reads one JSON request on stdin, writes one JSON answer on stdout:
//   {"op": "sign", "items": [{"key": "0x..", "action": "vote", "message": {...}}]}
//       -> envelopes exactly as snapshot.js's Client712.<action>(wallet, address, message) posts them
//   {"op": "verify", "items": [envelope, ...]}
//       -> [{"signer": recovered, "valid": recovered == envelope.address} | {"error": "..."}] (ethers
//          verifyTypedData: what snapshot.js's utils.verify uses for EOAs)
//   {"op": "hash", "items": [{"domain", "types", "message"}]} -> ["0x<digest>"] (ethers _TypedDataEncoder)
//   {"op": "stringify", "items": [value, ...]} -> [JSON.stringify(value), ...]
//   {"op": "bench", "items": [envelope, ...]} -> {"seconds", "cpu_seconds", "signers"} (verifyTypedData loop only)
const { Client712 } = require('@snapshot-labs/snapshot.js');
const { Wallet, verifyTypedData } = require('@ethersproject/wallet');
const { _TypedDataEncoder } = require('@ethersproject/hash');

const camel = (name) => name.replace(/-([a-z])/g, (_, c) => c.toUpperCase());

async function sign(items) {
  const client = new Client712('http://127.0.0.1:9');
  client.send = async (envelope) => envelope; // the envelope it would post, never sent
  const wallets = {};
  const out = [];
  for (const { key, action, message } of items) {
    const wallet = wallets[key] || (wallets[key] = new Wallet(key));
    out.push(await client[camel(action)](wallet, wallet.address, message));
  }
  return out;
}

function verifyOne({ address, sig, data }) {
  try {
    const signer = verifyTypedData(data.domain, data.types, data.message, sig);
    return { signer, valid: signer.toLowerCase() === String(address).toLowerCase() };
  } catch (e) {
    return { error: String(e.reason || e.message).slice(0, 200) };
  }
}

function bench(items) {
  const start = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  const signers = items.map((e) => verifyTypedData(e.data.domain, e.data.types, e.data.message, e.sig));
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const used = process.cpuUsage(cpu);
  return { seconds, cpu_seconds: (used.user + used.system) / 1e6, signers };
}

const ops = {
  sign,
  verify: (items) => items.map(verifyOne),
  hash: (items) => items.map(({ domain, types, message }) => _TypedDataEncoder.hash(domain, types, message)),
  stringify: (items) => items.map((value) => JSON.stringify(value)),
  bench,
};

let input = '';
process.stdin.on('data', (chunk) => { input += chunk; });
process.stdin.on('end', async () => {
  const { op, items } = JSON.parse(input);
  process.stdout.write(JSON.stringify(await ops[op](items)));
});
