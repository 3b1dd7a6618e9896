// Scores ballots with @snapshot-labs/snapshot.js's own voting classes, for tests/governance/test_voting.py
// and bench/tally.py. Run from the repository root (so that require finds node_modules):
//
//   node tests/governance/snapshot_voting.js < request.json     or     node ... request.json
//
// request: {"type": "ranked-choice",
//           "cases": [{"choices": ["a", "b"] | 2, "strategies": 1, "votes": [...], "selected": ...}],
//           "checks": [{"choice": ..., "choices": 3}],     // isValidChoice only
//           "time": false}                                  // true: also report seconds per case
// answer:  {"cases": [{"scores", "scoresByStrategy", "scoresTotal", "valid", "choiceString",
//                       "seconds" (all three methods), "scoresSeconds" (getScores alone)}
//                     | {"error": "..."}],
//           "checks": [true, false, ...]}
// Numbers that JSON cannot hold (-0, NaN, Infinity) are written as the strings "-0", "NaN", "Infinity".
'use strict';
const fs = require('fs');
const { voting } = require('@snapshot-labs/snapshot.js').utils;

const request = JSON.parse(fs.readFileSync(process.argv[2] || 0, 'utf8'));
const Voting = voting[request.type];
if (!Voting) {
  process.stderr.write(`unknown voting type ${request.type}\n`);
  process.exit(2);
}
const labels = (choices) =>
  Array.isArray(choices) ? choices : Array.from({ length: choices }, (_, i) => `choice ${i + 1}`);

const cases = (request.cases || []).map((item) => {
  const proposal = { choices: labels(item.choices) };
  const strategies = Array.from({ length: item.strategies ?? 1 }, (_, i) => ({
    name: `strategy-${i}`, network: '1', params: {}
  }));
  try {
    const started = process.hrtime.bigint();
    const tally = new Voting(proposal, item.votes, strategies, item.selected);
    const scores = tally.getScores();
    const scored = process.hrtime.bigint();
    const scoresByStrategy = tally.getScoresByStrategy();
    const scoresTotal = tally.getScoresTotal();
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const scoresSeconds = Number(scored - started) / 1e9;
    const answer = { scores, scoresByStrategy, scoresTotal, seconds, scoresSeconds };
    if (!request.time) {
      answer.valid = item.votes.map((vote) => Voting.isValidChoice(vote.choice, proposal.choices));
      answer.choiceString = item.selected === undefined ? null : tally.getChoiceString() ?? null;
    }
    return answer;
  } catch (error) {
    return { error: String(error && error.message) };
  }
});
const checks = (request.checks || []).map((check) =>
  Voting.isValidChoice(check.choice, labels(check.choices))
);

process.stdout.write(
  JSON.stringify({ cases, checks }, (key, value) =>
    typeof value === 'number' && (!Number.isFinite(value) || Object.is(value, -0)) ? String(Object.is(value, -0) ? '-0' : value) : value
  ) + '\n'
);
