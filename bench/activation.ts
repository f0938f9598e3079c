/**
 * `npm run bench:activation`: how long Opsloop's activate() takes in a real VS Code (code-server
 * 1.100 + Chromium), read from the line the extension logs, over several fresh windows.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { openDemo } from '../test/ui/workbench';

function findLogs(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? findLogs(path) : name === 'Opsloop.log' ? [path] : [];
  });
}

async function main(): Promise<void> {
  const runs = Number(process.argv[2] ?? 5);
  const results: { total: number; parts: string }[] = [];
  for (let i = 0; i < runs; i++) {
    const session = await openDemo();
    try {
      const deadline = Date.now() + 60_000;
      let line: string | undefined;
      while (!line && Date.now() < deadline) {
        line = findLogs(session.server.userDataDir)
          .map((f) => readFileSync(f, 'utf8'))
          .join('\n')
          .split('\n')
          .find((l) => l.includes('Opsloop activated in'));
        if (!line) await new Promise((r) => setTimeout(r, 250));
      }
      const match = line ? /activated in ([\d.]+) ms \(by contribution, ms: ([^;]*);/.exec(line) : null;
      if (!match) throw new Error('no activation line in the Opsloop log');
      results.push({ total: Number(match[1]), parts: match[2]! });
      console.log(`window ${i + 1}: activate() ${match[1]} ms  (${match[2]})`);
    } finally {
      await session.close();
    }
  }
  const totals = results.map((r) => r.total).sort((a, b) => a - b);
  console.log(`\nactivate() over ${runs} windows: median ${totals[Math.floor(totals.length / 2)]} ms, min ${totals[0]} ms, max ${totals[totals.length - 1]} ms (target: under 20 ms)`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
