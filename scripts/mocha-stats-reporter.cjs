// Mocha's spec reporter, plus a JSON file of results for scripts/test.mjs to add up
// (pending tests count as failures there: no test may skip itself silently).
const Mocha = require('mocha');
const { writeFileSync } = require('node:fs');

class StatsReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    const results = { passed: [], failed: [], pending: [] };
    runner.on('pass', (test) => results.passed.push(test.fullTitle()));
    runner.on('fail', (test, error) => results.failed.push({ title: test.fullTitle(), error: String(error && error.message) }));
    runner.on('pending', (test) => results.pending.push(test.fullTitle()));
    runner.once('end', () => {
      const file = process.env.OPSLOOP_STATS_FILE;
      if (file) writeFileSync(file, JSON.stringify(results, null, 2));
    });
  }
}
module.exports = StatsReporter;
