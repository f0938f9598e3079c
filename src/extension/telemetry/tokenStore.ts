import * as vscode from 'vscode';
import type { HttpSourceConfig, SourceConfig } from '../../core/config/opsloopConfig';
import { decodeStored, encodeStored, secretKey, type StoredCredentials } from '../../node/telemetry/tokenPolicy';

/**
 * Tokens in VS Code's SecretStorage, one secret per origin (reliability item 6: never in
 * settings, logs or webview state). The key includes the origin, so a token stored for
 * https://prom.example:9090 is never found for any other server.
 */
export class TokenStore {
  constructor(private readonly secrets: vscode.SecretStorage) {}

  async get(origin: string): Promise<StoredCredentials | undefined> {
    return decodeStored(await this.secrets.get(secretKey(origin)));
  }

  async set(origin: string, credentials: StoredCredentials): Promise<void> {
    await this.secrets.store(secretKey(origin), encodeStored(credentials));
  }

  async delete(origin: string): Promise<void> {
    await this.secrets.delete(secretKey(origin));
  }
}

const confirmedKey = 'opsloop.telemetry.confirmedOrigins';

/** Origins the person allowed tokens to go to, remembered across workspaces (globalState). */
export class OriginConsent {
  constructor(private readonly state: vscode.Memento) {}

  has(origin: string): boolean {
    return this.list().includes(origin);
  }

  async add(origin: string): Promise<void> {
    if (!this.has(origin)) await this.state.update(confirmedKey, [...this.list(), origin]);
  }

  async remove(origin: string): Promise<void> {
    await this.state.update(
      confirmedKey,
      this.list().filter((o) => o !== origin),
    );
  }

  list(): string[] {
    const v = this.state.get<unknown>(confirmedKey);
    return Array.isArray(v) ? v.filter((o): o is string => typeof o === 'string') : [];
  }
}

/** What the telemetry service asks the person; tests replace it (see `TelemetryService.setPromptsForTest`). */
export interface TelemetryPrompts {
  pickSource(sources: readonly HttpSourceConfig[]): Promise<HttpSourceConfig | undefined>;
  confirmOrigin(question: { message: string; detail: string }): Promise<boolean>;
  inputSecret(request: { title: string; prompt: string; placeHolder?: string; validate: (value: string) => string | undefined }): Promise<string | undefined>;
}

export const vscodePrompts: TelemetryPrompts = {
  async pickSource(sources) {
    const picked = await vscode.window.showQuickPick(
      sources.map((s) => ({ label: s.name, description: s.kind, detail: new URL(s.url).origin, source: s })),
      { title: 'Opsloop: Set Token', placeHolder: 'The telemetry source the token is for', ignoreFocusOut: true },
    );
    return picked?.source;
  },
  async confirmOrigin(question) {
    const allow = 'Allow';
    return (await vscode.window.showWarningMessage(question.message, { modal: true, detail: question.detail }, allow)) === allow;
  },
  inputSecret(request) {
    return Promise.resolve(
      vscode.window.showInputBox({
        title: request.title,
        prompt: request.prompt,
        ...(request.placeHolder !== undefined ? { placeHolder: request.placeHolder } : {}),
        password: true,
        ignoreFocusOut: true,
        validateInput: (v) => (v === '' ? undefined : request.validate(v)),
      }),
    );
  },
};

export function isSourceConfig(value: unknown): value is SourceConfig {
  return typeof value === 'object' && value !== null && typeof (value as SourceConfig).name === 'string';
}
