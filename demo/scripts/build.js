'use strict';
// Builds the service: copies its sources into build/ with a manifest of what was built.
const fs = require('node:fs');
const path = require('node:path');

const source = path.join(__dirname, '..', 'services', 'checkout', 'src');
const target = path.join(__dirname, '..', 'build');
fs.rmSync(target, { recursive: true, force: true });
fs.mkdirSync(target, { recursive: true });
const files = fs.readdirSync(source).filter((f) => f.endsWith('.js'));
for (const file of files) fs.copyFileSync(path.join(source, file), path.join(target, file));
const revision = process.env.CI_COMMIT_SHA || process.env.GITHUB_SHA || 'local';
fs.writeFileSync(path.join(target, 'manifest.json'), JSON.stringify({ service: 'checkout', revision, files }, null, 2));
console.log(`built ${files.length} files of checkout at ${revision.slice(0, 8)}`);
