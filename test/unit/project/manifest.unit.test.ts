import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CommandId } from '../../../src/extension/commandIds';
import { repoRoot } from '../../support/paths';

interface Manifest {
  engines: Record<string, string>;
  main: string;
  activationEvents: string[];
  capabilities: { untrustedWorkspaces: { supported: string | boolean; description?: string } };
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  contributes: {
    commands: { command: string; title: string; category?: string }[];
    viewsContainers: { activitybar: { id: string }[] };
    views: Record<string, { id: string }[]>;
  };
}
const manifest = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as Manifest;
const installed = (name: string): string => (JSON.parse(readFileSync(join(repoRoot, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;

describe('package.json (the extension manifest)', () => {
  it('declares exactly the command ids of src/extension/commandIds.ts, each under the category Opsloop', () => {
    const declared = manifest.contributes.commands.map((c) => c.command).sort();
    assert.deepEqual(declared, [...Object.values(CommandId)].sort());
    for (const c of manifest.contributes.commands) assert.equal(c.category, 'Opsloop', `${c.command} is not in the Opsloop category`);
  });

  it('accepts the test VS Code (1.100) and pins @types/vscode to the same minimum', () => {
    assert.equal(manifest.engines.vscode, '^1.95.0');
    assert.equal(manifest.devDependencies['@types/vscode'], '1.95.0');
  });

  it('supports untrusted workspaces in a limited way, saying what is limited', () => {
    assert.equal(manifest.capabilities.untrustedWorkspaces.supported, 'limited');
    assert.ok((manifest.capabilities.untrustedWorkspaces.description ?? '').length > 20);
  });

  it('activates on every pipeline format and on .opsloop.yml', () => {
    for (const pattern of ['.github/workflows/*.yml', '.github/workflows/*.yaml', '.gitlab-ci.yml', 'azure-pipelines.yml', 'Jenkinsfile', '.opsloop.yml']) {
      assert.ok(manifest.activationEvents.includes(`workspaceContains:${pattern}`), `no activation on ${pattern}`);
    }
  });

  it('has an Opsloop activity-bar container with Pipelines, Runs and Incidents', () => {
    assert.deepEqual(manifest.contributes.viewsContainers.activitybar.map((c) => c.id), ['opsloop']);
    assert.deepEqual(manifest.contributes.views.opsloop!.map((v) => v.id), ['opsloop.pipelines', 'opsloop.runs', 'opsloop.incidents']);
  });

  it('depends on the card\'s packages, with js-yaml at 4.1.1 or later (4.1.0 had prototype pollution through <<)', () => {
    for (const name of ['js-yaml', 'axios', 'danfojs-node', '@vscode/webview-ui-toolkit']) assert.ok(manifest.dependencies[name], `${name} missing from dependencies`);
    assert.ok(manifest.devDependencies['@vscode/test-electron'], '@vscode/test-electron missing');
    const [major, minor, patch] = installed('js-yaml').split('.').map(Number) as [number, number, number];
    assert.ok(major > 4 || (major === 4 && (minor > 1 || (minor === 1 && patch >= 1))), `js-yaml ${installed('js-yaml')} is older than 4.1.1`);
  });
});
