'use strict';
// A tiny lint: no stray console.log in service code (production logs go through the logger).
const fs = require('node:fs');
const path = require('node:path');

const source = path.join(__dirname, '..', 'services', 'checkout', 'src');
let problems = 0;
for (const file of fs.readdirSync(source).filter((f) => f.endsWith('.js'))) {
  fs.readFileSync(path.join(source, file), 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (/console\.log\(/.test(line)) {
        console.error(`services/checkout/src/${file}:${i + 1}: use the logger instead of console.log`);
        problems++;
      }
    });
}
if (problems > 0) {
  console.error(`${problems} lint problem(s)`);
  process.exit(1);
}
console.log('lint: clean');
