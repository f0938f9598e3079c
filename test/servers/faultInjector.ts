/**
 * A fault injector: a reverse proxy in front of any server (the real Prometheus or the local
 * Dynatrace/Splunk/Datadog servers) that, request by request, passes through or injects one
 * fault. It counts what it did, so tests can report faults injected and requests made.
 *
 * Faults at the HTTP level: delays, connection resets, 429 storms with Retry-After, 5xx,
 * bodies cut off mid-way, malformed JSON, a body far over any cap. At the data level (applied
 * to the upstream's JSON before it is sent): NaN/±Inf values, out-of-order and duplicate
 * timestamps, through a `mutate` function the test also uses to compute the expected answer.
 */
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type Fault =
  | { readonly kind: 'pass' }
  | { readonly kind: 'delay'; readonly ms: number }
  | { readonly kind: 'reset' }
  | { readonly kind: 'status'; readonly status: number; readonly retryAfter?: string; readonly body?: string; readonly headers?: Record<string, string> }
  | { readonly kind: 'truncate'; readonly fraction: number }
  | { readonly kind: 'malformed' }
  | { readonly kind: 'oversize'; readonly bytes: number }
  | { readonly kind: 'mutate'; readonly name: string; readonly transform: (body: string) => string }
  | { readonly kind: 'redirect'; readonly location: string; readonly status?: number };

export interface RequestInfo {
  readonly method: string;
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
  /** 0-based count of requests this injector has seen. */
  readonly index: number;
}

export interface FaultInjector {
  readonly url: string;
  readonly origin: string;
  /** Requests that reached the injector. */
  readonly requests: number;
  /** Faults injected, by kind (`pass` is not a fault). */
  readonly faults: Readonly<Record<string, number>>;
  readonly totalFaults: number;
  /** Changes the plan (tests switch scenarios without restarting). */
  setPlan(plan: (info: RequestInfo) => Fault): void;
  close(): Promise<void>;
}

export async function startFaultInjector(upstream: string, plan: (info: RequestInfo) => Fault = () => ({ kind: 'pass' })): Promise<FaultInjector> {
  const target = new URL(upstream);
  let current = plan;
  let requests = 0;
  const faults: Record<string, number> = {};
  const sockets = new Set<Socket>();
  const count = (kind: string): void => {
    faults[kind] = (faults[kind] ?? 0) + 1;
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const info: RequestInfo = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body: body.toString('utf8'), index: requests++ };
      const fault = current(info);
      if (fault.kind !== 'pass') count(fault.kind === 'mutate' ? `mutate:${fault.name}` : fault.kind);
      void handle(fault, info, body, res).catch(() => res.destroy());
    });
  });

  async function handle(fault: Fault, info: RequestInfo, body: Buffer, res: http.ServerResponse): Promise<void> {
    switch (fault.kind) {
      case 'reset':
        res.socket?.destroy();
        return;
      case 'status': {
        const text = fault.body ?? JSON.stringify({ error: `injected ${fault.status}` });
        res.writeHead(fault.status, {
          'Content-Type': 'application/json',
          'Content-Length': Buffer.byteLength(text),
          ...(fault.retryAfter !== undefined ? { 'Retry-After': fault.retryAfter } : {}),
          ...fault.headers,
        });
        res.end(text);
        return;
      }
      case 'redirect':
        res.writeHead(fault.status ?? 307, { Location: fault.location, 'Content-Length': '0' });
        res.end();
        return;
      case 'oversize': {
        // Chunked, no Content-Length: the client only learns the size by reading.
        res.writeHead(200, { 'Content-Type': 'application/json' });
        const block = Buffer.alloc(64 * 1024, 0x20);
        let sent = 0;
        const pump = (): void => {
          while (sent < fault.bytes) {
            sent += block.length;
            if (!res.write(block)) {
              res.once('drain', pump);
              return;
            }
          }
          res.end();
        };
        res.on('close', () => {
          sent = Number.POSITIVE_INFINITY;
        });
        res.write('{"status":"success","data":');
        pump();
        return;
      }
      case 'delay':
        await new Promise((r) => setTimeout(r, fault.ms));
        break;
      default:
        break;
    }
    const upstreamResponse = await forward(info, body);
    let payload = upstreamResponse.body;
    if (fault.kind === 'mutate' && upstreamResponse.status === 200) payload = Buffer.from(fault.transform(payload.toString('utf8')), 'utf8');
    if (fault.kind === 'malformed' && upstreamResponse.status === 200) payload = corrupt(payload);
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(upstreamResponse.headers)) {
      if (v === undefined || k === 'content-length' || k === 'transfer-encoding' || k === 'connection' || k === 'content-encoding') continue;
      headers[k] = v;
    }
    headers['content-length'] = String(payload.length);
    res.writeHead(upstreamResponse.status, headers);
    if (fault.kind === 'truncate') {
      const cut = Math.max(1, Math.floor(payload.length * fault.fraction));
      res.write(payload.subarray(0, Math.min(cut, payload.length - 1)), () => {
        // Declared length not reached: the client sees the connection end mid-body.
        setTimeout(() => res.socket?.destroy(), 5);
      });
      return;
    }
    res.end(payload);
  }

  function forward(info: RequestInfo, body: Buffer): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
    return new Promise((resolve, reject) => {
      const headers = { ...info.headers, host: target.host };
      delete headers['accept-encoding']; // keep bodies plain so faults can edit them
      const req = http.request({ hostname: target.hostname, port: target.port, path: info.url, method: info.method, headers }, (r) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => resolve({ status: r.statusCode ?? 502, headers: r.headers, body: Buffer.concat(chunks) }));
        r.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const origin = `http://127.0.0.1:${port}`;
  const prefix = target.pathname.replace(/\/+$/, '');
  return {
    url: `${origin}${prefix}`,
    origin,
    get requests() {
      return requests;
    },
    faults,
    get totalFaults() {
      return Object.values(faults).reduce((a, b) => a + b, 0);
    },
    setPlan(next) {
      current = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Breaks JSON in a way no parser can read past: a cut in the middle plus a stray brace. */
function corrupt(payload: Buffer): Buffer {
  const text = payload.toString('utf8');
  const cut = Math.max(1, Math.floor(text.length / 2));
  return Buffer.from(`${text.slice(0, cut)}}{"corrupt":`, 'utf8');
}
