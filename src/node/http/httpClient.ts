/**
 * The one HTTP client every telemetry and CI adapter uses (axios on Node's http/https stack).
 * Reliability items 3 and 12-15, in one place:
 *
 * - every attempt has a timeout, combined with the caller's AbortSignal (the person's cancel);
 * - only idempotent requests are retried, on 429/5xx/network errors, with exponential backoff,
 *   full jitter and the server's Retry-After;
 * - bodies are streamed with a byte cap (Content-Length is checked first; decompressed bytes
 *   are counted as they arrive) and an over-size answer is an error that says so;
 * - redirects are followed here, not by axios, so credential headers are only ever sent to the
 *   origin they are bound to: a redirect to another origin goes there without them;
 * - proxies: inside VS Code, axios's own proxy handling is off (`proxy: false`) and no agent is
 *   passed, so VS Code's patched http/https stack applies `http.proxy`, `http.noProxy` and the
 *   system certificates; the CLI lets axios read HTTPS_PROXY/NO_PROXY (CONNECT tunnels).
 *   TLS verification is never turned off;
 * - failures are `HttpError`s (an `OpsloopError` with a kind and a next step, "Set Token" on
 *   401/403) that say what was asked of whom and what came back.
 */
import type { Readable } from 'node:stream';
import axios, { type AxiosResponse } from 'axios';
import { type ErrorKind, OpsloopError } from '../../core/errors';
import { type RetryPolicy, defaultRetryPolicy, isRetryableStatus, parseRetryAfter, retryDelayMs } from './retryPolicy';

export type ProxyMode = 'host' | 'environment';

export interface HttpClientOptions {
  readonly timeoutMs?: number;
  readonly maxBytes?: number;
  readonly retry?: RetryPolicy;
  /** `host`: leave proxies to the runtime (VS Code). `environment`: HTTPS_PROXY/NO_PROXY via axios (CLI). */
  readonly proxy?: ProxyMode;
  readonly maxRedirects?: number;
  readonly userAgent?: string;
  /** Injected for tests: randomness of the jitter, the clock, and waiting. */
  readonly random?: () => number;
  readonly now?: () => number;
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export interface Credentials {
  /** The only origin these headers may go to (`https://prom.example:9090`). */
  readonly origin: string;
  readonly headers: Readonly<Record<string, string>>;
}

export type QueryValue = string | number | readonly (string | number)[] | undefined;

export interface HttpRequest {
  /** Says what is being asked of whom, for messages: "Prometheus 'prod' query_range". */
  readonly what: string;
  readonly url: string;
  readonly method?: 'GET' | 'POST' | 'HEAD';
  readonly query?: Readonly<Record<string, QueryValue>>;
  readonly headers?: Readonly<Record<string, string>>;
  readonly credentials?: Credentials;
  /** Sent as application/x-www-form-urlencoded. */
  readonly form?: Readonly<Record<string, QueryValue>>;
  /**
   * Safe to send twice. Default: true for GET and HEAD, false otherwise; a read-only POST (a
   * PromQL query sent as a form to keep long queries out of the URL) sets it.
   */
  readonly idempotent?: boolean;
  readonly timeoutMs?: number;
  readonly maxBytes?: number;
  readonly signal?: AbortSignal;
  /**
   * Streams the body as text instead of collecting it. Called once per attempt (a retry starts
   * a fresh consumer); what it returns receives the decoded text chunks in order.
   */
  readonly stream?: () => (chunk: string) => void;
  /** Extracts the server's own message from an error body (each API has its shape). */
  readonly errorMessage?: (body: string) => string | undefined;
  /** Headers that say how many seconds to wait besides Retry-After (Datadog: X-RateLimit-Reset). */
  readonly retryAfterHeaders?: readonly string[];
  /** Statuses returned to the caller instead of thrown (e.g. 404 when absence is an answer). */
  readonly acceptStatus?: (status: number) => boolean;
  /** Return the body as bytes (`body`) instead of text, for decoders that read bytes. */
  readonly binary?: boolean;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  /** The collected body ('' when streamed or binary). */
  readonly text: string;
  /** The collected body as bytes, when the request asked for `binary`. */
  readonly body?: Uint8Array;
  readonly bytes: number;
  readonly attempts: number;
  /** Where the answer came from, after redirects. */
  readonly url: string;
  readonly redirected: boolean;
}

export interface HttpStats {
  requests: number;
  retries: number;
  bytes: number;
  redirects: number;
}

/** An HTTP failure: a kind to branch on, the status when there was one, and a next step. */
export class HttpError extends OpsloopError {
  constructor(
    kind: ErrorKind,
    message: string,
    readonly status: number | undefined,
    readonly url: string,
    nextStep?: string,
    options?: { cause?: unknown },
  ) {
    super(kind, message, nextStep, options);
  }
}

class Retryable extends Error {
  constructor(
    readonly error: HttpError,
    readonly retryAfterMs?: number,
  ) {
    super(error.message);
  }
}

const defaultTimeoutMs = 30_000;
const defaultMaxBytes = 64 * 1024 * 1024;

/** A wait that ends early (rejecting) when the signal fires. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new OpsloopError('cancelled', 'Cancelled.'));
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new OpsloopError('cancelled', 'Cancelled.'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export class HttpClient {
  readonly stats: HttpStats = { requests: 0, retries: 0, bytes: 0, redirects: 0 };
  private readonly retry: RetryPolicy;
  private readonly random: () => number;
  private readonly now: () => number;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;

  constructor(private readonly options: HttpClientOptions = {}) {
    this.retry = options.retry ?? defaultRetryPolicy;
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? abortableSleep;
  }

  async request(req: HttpRequest): Promise<HttpResponse> {
    const method = req.method ?? 'GET';
    const idempotent = req.idempotent ?? (method === 'GET' || method === 'HEAD');
    const retries = idempotent ? this.retry.retries : 0;
    for (let attempt = 0; ; attempt++) {
      if (req.signal?.aborted) throw new HttpError('cancelled', `${req.what}: cancelled.`, undefined, req.url);
      try {
        const response = await this.attempt(req, method);
        return { ...response, attempts: attempt + 1 };
      } catch (error) {
        if (!(error instanceof Retryable)) throw error;
        if (attempt >= retries) throw withAttempts(error.error, attempt + 1);
        if (error.retryAfterMs !== undefined && error.retryAfterMs > this.retry.maxRetryAfterMs) {
          throw new HttpError(
            error.error.kind,
            `${error.error.message} The server asked to wait ${Math.round(error.retryAfterMs / 1000)} s before trying again; Opsloop does not wait that long.`,
            error.error.status,
            error.error.url,
            'Try again later',
          );
        }
        const delay = retryDelayMs(attempt, this.retry, this.random, error.retryAfterMs);
        this.stats.retries++;
        await this.sleep(delay, req.signal).catch(() => {
          throw new HttpError('cancelled', `${req.what}: cancelled.`, undefined, req.url);
        });
      }
    }
  }

  /** One attempt, following redirects; throws `Retryable` for what may be tried again. */
  private async attempt(req: HttpRequest, method: 'GET' | 'POST' | 'HEAD'): Promise<Omit<HttpResponse, 'attempts'>> {
    const timeoutMs = req.timeoutMs ?? this.options.timeoutMs ?? defaultTimeoutMs;
    const maxBytes = req.maxBytes ?? this.options.maxBytes ?? defaultMaxBytes;
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    const onCancel = (): void => controller.abort();
    req.signal?.addEventListener('abort', onCancel, { once: true });
    const fail = (kind: ErrorKind, message: string, status?: number, nextStep?: string, cause?: unknown): HttpError =>
      new HttpError(kind, message, status, req.url, nextStep, cause === undefined ? undefined : { cause });
    const interrupted = (): HttpError | undefined => {
      if (req.signal?.aborted) return fail('cancelled', `${req.what}: cancelled.`);
      if (timedOut) return fail('timeout', `${req.what}: no complete answer within ${formatSeconds(timeoutMs)} (the timeout).`, undefined, 'Try a shorter range');
      return undefined;
    };

    let url = buildUrl(req.url, req.query);
    let currentMethod = method;
    let body: string | undefined = req.form ? encodeForm(req.form) : undefined;
    let redirected = false;
    try {
      for (let hop = 0; ; hop++) {
        const headers: Record<string, string> = { 'User-Agent': this.options.userAgent ?? 'opsloop', Accept: 'application/json', ...req.headers };
        if (body !== undefined) headers['Content-Type'] = 'application/x-www-form-urlencoded';
        if (req.credentials && new URL(url).origin === req.credentials.origin) Object.assign(headers, req.credentials.headers);
        this.stats.requests++;
        let response: AxiosResponse<Readable>;
        try {
          response = await axios.request<Readable>({
            url,
            method: currentMethod,
            headers,
            data: body,
            responseType: 'stream',
            maxRedirects: 0,
            validateStatus: () => true,
            signal: controller.signal,
            decompress: true,
            // VS Code's patched http stack applies its proxy settings; axios must not add its own.
            proxy: this.options.proxy === 'environment' ? undefined : false,
            maxContentLength: -1,
            maxBodyLength: -1,
            transitional: { clarifyTimeoutError: true },
          });
        } catch (error) {
          throw interrupted() ?? networkFailure(req.what, error, req.url);
        }
        const status = response.status;
        const responseHeaders = flattenHeaders(response.headers as Record<string, unknown>);
        const location = responseHeaders.location;
        if (status >= 300 && status < 400 && location !== undefined && status !== 304) {
          response.data.destroy();
          if (hop >= (this.options.maxRedirects ?? 5)) throw fail('network', `${req.what}: more than ${this.options.maxRedirects ?? 5} redirects.`, status);
          const next = new URL(location, url);
          if (next.protocol !== 'https:' && next.protocol !== 'http:') throw fail('network', `${req.what}: redirected to ${next.protocol} which Opsloop does not follow.`, status);
          this.stats.redirects++;
          redirected = true;
          if (status === 303 || ((status === 301 || status === 302) && currentMethod === 'POST')) {
            currentMethod = 'GET';
            body = undefined;
          }
          url = next.toString();
          continue;
        }
        // Refuse what is too large before reading it.
        const declared = Number(responseHeaders['content-length']);
        if (Number.isFinite(declared) && declared > maxBytes && status < 400) {
          response.data.destroy();
          throw fail('tooLarge', `${req.what}: the answer is ${formatBytes(declared)}, over the ${formatBytes(maxBytes)} limit.`, status, 'Narrow the query or the range');
        }
        const ok = (status >= 200 && status < 300) || req.acceptStatus?.(status) === true;
        const consumer = ok ? req.stream?.() : undefined;
        let read: { text: string; bytes: number; body?: Uint8Array };
        try {
          read = await readBody(response.data, ok ? maxBytes : Math.min(maxBytes, 1024 * 1024), consumer, controller.signal, ok && req.binary === true);
        } catch (error) {
          if (error instanceof BodyTooLarge) {
            if (!ok) read = { text: error.partial, bytes: error.bytes };
            else throw fail('tooLarge', `${req.what}: the answer went past the ${formatBytes(maxBytes)} limit; Opsloop stopped reading.`, status, 'Narrow the query or the range');
          } else if (error instanceof OpsloopError) {
            throw error; // the stream consumer rejected the data (malformed answer)
          } else {
            const stop = interrupted();
            if (stop) throw stop;
            const partial = fail('network', `${req.what}: the connection broke while reading the answer (${describeCause(error)}).`, status, undefined, error);
            if (ok || isRetryableStatus(status)) throw new Retryable(partial);
            throw partial;
          }
        }
        this.stats.bytes += read.bytes;
        if (ok) return { status, headers: responseHeaders, text: read.text, bytes: read.bytes, url, redirected, ...(read.body ? { body: read.body } : {}) };
        const retryAfter = parseRetryAfter(responseHeaders['retry-after'], this.now()) ?? extraRetryAfter(responseHeaders, req.retryAfterHeaders);
        const error = statusError(req, status, read.text, url, redirected && req.credentials !== undefined && new URL(url).origin !== req.credentials.origin);
        if (isRetryableStatus(status)) throw new Retryable(error, retryAfter);
        throw error;
      }
    } catch (error) {
      if (error instanceof Retryable || error instanceof HttpError) throw error;
      throw interrupted() ?? networkFailure(req.what, error, req.url);
    } finally {
      clearTimeout(timer);
      req.signal?.removeEventListener('abort', onCancel);
    }
  }
}

class BodyTooLarge extends Error {
  constructor(
    readonly bytes: number,
    readonly partial: string,
  ) {
    super('body too large');
  }
}

function readBody(stream: Readable, maxBytes: number, consumer: ((chunk: string) => void) | undefined, signal: AbortSignal, binary = false): Promise<{ text: string; bytes: number; body?: Uint8Array }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const decoder = consumer ? new TextDecoder('utf-8') : undefined;
    let bytes = 0;
    let settled = false;
    const finish = (error?: unknown, value?: { text: string; bytes: number; body?: Uint8Array }): void => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      if (error !== undefined) {
        stream.destroy();
        reject(error);
      } else resolve(value!);
    };
    const onAbort = (): void => finish(new Error('aborted'));
    if (signal.aborted) {
      finish(new Error('aborted'));
      return;
    }
    signal.addEventListener('abort', onAbort, { once: true });
    stream.on('data', (chunk: Buffer) => {
      if (settled) return;
      bytes += chunk.length;
      if (bytes > maxBytes) {
        finish(new BodyTooLarge(bytes, Buffer.concat(chunks).toString('utf8')));
        return;
      }
      if (decoder) {
        try {
          consumer!(decoder.decode(chunk, { stream: true }));
        } catch (error) {
          finish(error);
        }
      } else chunks.push(chunk);
    });
    stream.on('end', () => {
      if (decoder) {
        try {
          const tail = decoder.decode();
          if (tail) consumer!(tail);
        } catch (error) {
          finish(error);
          return;
        }
      }
      if (binary) finish(undefined, { text: '', bytes, body: Buffer.concat(chunks) });
      else finish(undefined, { text: decoder ? '' : Buffer.concat(chunks).toString('utf8'), bytes });
    });
    stream.on('error', (error) => finish(error));
    stream.on('aborted', () => finish(new Error('the server closed the connection before the answer was complete')));
    stream.on('close', () => finish(new Error('the connection closed before the answer was complete')));
  });
}

function statusError(req: HttpRequest, status: number, body: string, url: string, crossOrigin: boolean): HttpError {
  const server = req.errorMessage?.(body) ?? plainMessage(body);
  const said = server ? `: ${server}` : '';
  const origin = safeOrigin(url);
  switch (status) {
    case 401:
      return new HttpError(
        'unauthorized',
        crossOrigin
          ? `${req.what}: redirected to ${origin}, which asked for credentials (401). Opsloop does not send a token to another origin than the one it was stored for.`
          : `${req.what}: 401 Unauthorized${said}. The token for ${origin} is missing, wrong or expired.`,
        status,
        url,
        'Set Token',
      );
    case 403:
      return new HttpError('forbidden', `${req.what}: 403 Forbidden${said}. The token for ${origin} is not allowed to do this (check its scopes or permissions).`, status, url, 'Set Token');
    case 404:
      return new HttpError('notFound', `${req.what}: 404 Not Found at ${stripQuery(url)}${said}. Check the source's url.`, status, url);
    case 400:
    case 422:
      return new HttpError('invalidInput', `${req.what}: the server refused the request (${status})${said}`, status, url);
    case 413:
    case 414:
      return new HttpError('invalidInput', `${req.what}: the request is too large for the server (${status})${said}`, status, url);
    case 429:
      return new HttpError('server', `${req.what}: rate limited (429 Too Many Requests)${said}`, status, url, 'Try again later');
    default:
      return new HttpError('server', `${req.what}: the server answered ${status}${said}`, status, url);
  }
}

const permanentCodes = new Set(['ENOTFOUND', 'CERT_HAS_EXPIRED', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'ERR_TLS_CERT_ALTNAME_INVALID', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'ERR_INVALID_URL', 'ERR_BAD_OPTION', 'ERR_BAD_OPTION_VALUE', 'EPROTO']);
const tlsCodes = /CERT|SELF_SIGNED|TLS|SSL|UNABLE_TO/;

function networkFailure(what: string, error: unknown, url: string): HttpError | Retryable {
  const code = (error as { code?: string } | undefined)?.code ?? '';
  const cause = describeCause(error);
  if (tlsCodes.test(code)) {
    return new HttpError(
      'network',
      `${what}: the TLS certificate of ${safeOrigin(url)} was not accepted (${cause}). Opsloop never turns certificate checks off; add the issuing CA to the system store or NODE_EXTRA_CA_CERTS.`,
      undefined,
      url,
      undefined,
      { cause: error },
    );
  }
  const failure = new HttpError('network', `${what}: could not reach ${safeOrigin(url)} (${cause}).`, undefined, url, code === 'ENOTFOUND' ? 'Check the url' : undefined, { cause: error });
  return permanentCodes.has(code) ? failure : new Retryable(failure);
}

function describeCause(error: unknown): string {
  const e = error as { code?: string; message?: string } | undefined;
  if (!e) return 'unknown error';
  if (e.code && e.message && !e.message.includes(e.code)) return `${e.code}: ${e.message}`;
  return e.message ?? e.code ?? String(error);
}

function withAttempts(error: HttpError, attempts: number): HttpError {
  if (attempts <= 1) return error;
  const message = error.message.endsWith('.') ? `${error.message.slice(0, -1)} (after ${attempts} attempts).` : `${error.message} (after ${attempts} attempts)`;
  return new HttpError(error.kind, message, error.status, error.url, error.nextStep, { cause: error.cause });
}

function extraRetryAfter(headers: Readonly<Record<string, string>>, names: readonly string[] | undefined): number | undefined {
  for (const name of names ?? []) {
    const v = headers[name.toLowerCase()];
    if (v !== undefined && /^\d+(\.\d+)?$/.test(v.trim())) return Math.round(Number(v) * 1000);
  }
  return undefined;
}

function flattenHeaders(raw: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (v === undefined || v === null) continue;
    out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : String(v);
  }
  return out;
}

/** `url` with the query parameters appended; arrays repeat the key (`match[]=a&match[]=b`). */
export function buildUrl(base: string, query: Readonly<Record<string, QueryValue>> | undefined): string {
  const u = new URL(base);
  if (query) {
    for (const [k, v] of Object.entries(query)) {
      if (v === undefined) continue;
      if (Array.isArray(v)) for (const item of v) u.searchParams.append(k, String(item));
      else u.searchParams.append(k, String(v));
    }
  }
  return u.toString();
}

function encodeForm(form: Readonly<Record<string, QueryValue>>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(form)) {
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const item of v) p.append(k, String(item));
    else p.append(k, String(v));
  }
  return p.toString();
}

/** A short text body as a message (HTML error pages are summarized, not dumped). */
function plainMessage(body: string): string | undefined {
  const t = body.trim();
  if (t === '') return undefined;
  if (/^<(!doctype|html)/i.test(t)) {
    const title = /<title>([^<]{1,120})<\/title>/i.exec(t)?.[1];
    return title ? `an HTML page titled "${title.trim()}"` : 'an HTML page';
  }
  return t.length > 300 ? `${t.slice(0, 300)}…` : t;
}

function safeOrigin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}

function stripQuery(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return url;
  }
}

export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / (1024 * 1024)).toFixed(n >= 10 * 1024 * 1024 ? 0 : 1)} MB`;
  if (n >= 1024) return `${Math.round(n / 1024)} KB`;
  return `${n} bytes`;
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}
