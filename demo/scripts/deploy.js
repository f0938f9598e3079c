'use strict';
// "Deploys" the build to an environment: records which revision runs there, the way a real
// deploy script would report to its platform. Usage: node scripts/deploy.js <environment> [--rollback]
const fs = require('node:fs');
const path = require('node:path');

const environment = process.argv[2];
if (!environment) {
  console.error('usage: deploy.js <environment> [--rollback]');
  process.exit(2);
}
const rollback = process.argv.includes('--rollback');
const root = path.join(__dirname, '..');
const manifestPath = path.join(root, 'build', 'manifest.json');
const historyPath = path.join(root, '.deployments', `${environment}.jsonl`);
fs.mkdirSync(path.dirname(historyPath), { recursive: true });
const history = fs.existsSync(historyPath)
  ? fs.readFileSync(historyPath, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line))
  : [];

let revision;
if (rollback) {
  const previous = history.filter((d) => !d.rollback).slice(-2, -1)[0];
  if (!previous) {
    console.error(`nothing to roll back to in ${environment}`);
    process.exit(1);
  }
  revision = previous.revision;
} else {
  if (!fs.existsSync(manifestPath)) {
    console.error('no build found: run the build job first');
    process.exit(1);
  }
  revision = JSON.parse(fs.readFileSync(manifestPath, 'utf8')).revision;
}
const record = { environment, revision, time: new Date().toISOString(), rollback };
fs.appendFileSync(historyPath, `${JSON.stringify(record)}\n`);
console.log(`${rollback ? 'rolled back' : 'deployed'} checkout ${revision.slice(0, 8)} to ${environment}`);
