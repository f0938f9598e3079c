import * as assert from 'node:assert/strict';
import { ESLint } from 'eslint';
import { join } from 'node:path';
import { repoRoot } from '../../support/paths';

/** The import-direction rule of design.md, proved on code that breaks it and code that keeps it. */
describe('import boundaries (eslint.config.mjs)', function () {
  this.timeout(60_000);
  const eslint = new ESLint({ cwd: repoRoot });
  const violations = async (file: string, code: string): Promise<string[]> => {
    const [result] = await eslint.lintText(`${code}\nexport const used = [x];\n`, { filePath: join(repoRoot, file) });
    return result!.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
  };

  const wrong: [string, string][] = [
    ['src/core/anomaly/x.ts', "import * as x from 'vscode';"],
    ['src/core/anomaly/x.ts', "import { x } from '../../node/http/client';"],
    ['src/core/x.ts', "import { x } from '../extension/container';"],
    ['src/core/x.ts', "import { readFileSync as x } from 'node:fs';"],
    ['src/core/x.ts', "import x from 'axios';"],
    ['src/node/telemetry/x.ts', "import * as x from 'vscode';"],
    ['src/node/telemetry/x.ts', "import { x } from '../../extension/container';"],
    ['src/cli/x.ts', "import * as x from 'vscode';"],
    ['src/shared/x.ts', "import { x } from '../node/http/client';"],
    ['webview/x.ts', "import { x } from '../src/core/pipeline/model';"],
    ['webview/x.ts', "import { x } from '../src/extension/container';"],
  ];
  for (const [file, code] of wrong) {
    it(`refuses in ${file}: ${code}`, async () => {
      assert.ok((await violations(file, code)).length > 0, 'the import was allowed');
    });
  }

  const right: [string, string][] = [
    ['src/core/x.ts', "import { x } from './pipeline/model';"],
    ['src/node/x.ts', "import { x } from '../core/errors';"],
    ['src/extension/x.ts', "import { x } from '../node/pipeline/discovery';"],
    ['src/cli/x.ts', "import { x } from '../node/pipeline/discovery';"],
    ['webview/x.ts', "import { x } from '../src/shared/protocol';"],
  ];
  for (const [file, code] of right) {
    it(`allows in ${file}: ${code}`, async () => {
      assert.deepEqual(await violations(file, code), []);
    });
  }
});
