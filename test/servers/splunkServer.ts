/**
 * A local server speaking Splunk's POST /services/search/jobs/export with output_mode=json:
 * `Authorization: Bearer <token>` (authentication tokens) or `Splunk <session key>`; 401 with
 * {"messages":[{"type":"WARN","text":"call not properly authenticated"}]} otherwise; the search
 * language subset `search index=<i> [field=value]... | timechart span=<n><s|m|h> <fn>(<field>)
 * [by <field>]`; an unknown command is the parser's FATAL message with 400. The answer is
 * streamed: a few preview rows first, then the final rows one JSON object per line with
 * `offset`, the last one marked `lastrow`, written in small pieces with pauses between them.
 */
import type * as http from 'node:http';
import { aggregate, type RawEvent } from './dataset';
import { startServer, type TestServer } from './testServer';

export interface SplunkServerOptions {
  readonly events: readonly RawEvent[];
  readonly tokens: readonly string[];
  readonly sessionKeys?: readonly string[];
  /** Pause between streamed lines (ms). */
  readonly pauseMs?: number;
}

function messages(res: http.ServerResponse, status: number, type: string, text: string): void {
  const body = JSON.stringify({ messages: [{ type, text }] });
  res.writeHead(status, { 'Content-Type': 'application/json; charset=UTF-8', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

export function splunkTimeText(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace('Z', '+00:00');
}

export async function startSplunkServer(options: SplunkServerOptions): Promise<TestServer> {
  return startServer(async (req, res, body) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname !== '/services/search/jobs/export') return messages(res, 404, 'ERROR', `Unknown endpoint ${url.pathname}`);
    if (req.method !== 'POST' && req.method !== 'GET') return messages(res, 405, 'ERROR', 'Method not allowed');
    const auth = req.headers.authorization ?? '';
    const bearer = /^Bearer (.+)$/.exec(auth)?.[1];
    const session = /^Splunk (.+)$/.exec(auth)?.[1];
    if (!(bearer !== undefined && options.tokens.includes(bearer)) && !(session !== undefined && (options.sessionKeys ?? []).includes(session))) {
      return messages(res, 401, 'WARN', 'call not properly authenticated');
    }
    const form = new URLSearchParams(req.method === 'POST' ? body : url.search);
    if (form.get('output_mode') !== 'json') return messages(res, 400, 'ERROR', 'This test server only speaks output_mode=json');
    const search = form.get('search') ?? '';
    const earliest = Number(form.get('earliest_time') ?? '0');
    const latest = Number(form.get('latest_time') ?? `${Date.now() / 1000}`);
    const parts = search.split('|').map((p) => p.trim());
    const base = /^search\s+(.*)$/.exec(parts[0] ?? '');
    if (!base) return messages(res, 400, 'FATAL', "Error in 'SearchParser': The search must start with 'search'.");
    const filters = [...base[1]!.matchAll(/(\w+)=("[^"]*"|\S+)/g)].map((m) => [m[1]!, m[2]!.replace(/^"|"$/g, '')] as const).filter(([k]) => k !== 'index');
    const chart = parts[1] ?? '';
    if (parts.length === 1) {
      // An event search: the matching events, newest first as Splunk returns them.
      const events = options.events.filter((e) => e.time >= earliest && e.time < latest && filters.every(([k, v]) => String(e.fields[k]) === v)).sort((a, b) => b.time - a.time);
      res.writeHead(200, { 'Content-Type': 'application/json; charset=UTF-8' });
      events.forEach((e, i) => {
        const fields = Object.fromEntries(Object.entries(e.fields).map(([k, v]) => [k, String(v)]));
        const raw = Object.entries(e.fields).map(([k, v]) => `${k}=${v}`).join(' ');
        res.write(`${JSON.stringify({ preview: false, offset: i, ...(i === events.length - 1 ? { lastrow: true } : {}), result: { _time: splunkTimeText(e.time), _raw: raw, ...fields } })}\n`);
      });
      res.end();
      return;
    }
    const command = chart.split(/\s+/)[0];
    if (command !== 'timechart') return messages(res, 400, 'FATAL', `Error in 'SearchParser': Unknown search command '${command}'.`);
    const m = /^timechart\s+span=(\d+)(s|m|h)\s+(avg|sum|max|min|count)(?:\((\w*)\))?(?:\s+by\s+(\w+))?$/.exec(chart);
    if (!m || (m[3] !== 'count' && !m[4])) return messages(res, 400, 'FATAL', `Error in 'timechart' command: The arguments are invalid: ${chart}`);
    const span = Number(m[1]) * { s: 1, m: 60, h: 3600 }[m[2] as 's' | 'm' | 'h'];
    const fn = m[3]!;
    const field = m[4] ?? '';
    const by = m[5];
    const events = options.events.filter((e) => e.time >= earliest && e.time < latest && filters.every(([k, v]) => String(e.fields[k]) === v));
    const buckets = new Map<number, Map<string, number[]>>();
    for (let t = Math.floor(earliest / span) * span; t < latest; t += span) buckets.set(t, new Map());
    const columns = new Set<string>();
    for (const e of events) {
      const b = Math.floor(e.time / span) * span;
      const column = by ? String(e.fields[by] ?? 'NULL') : fn === 'count' ? 'count' : `${fn}(${field})`;
      columns.add(column);
      const bucket = buckets.get(b)!;
      const list = bucket.get(column) ?? [];
      list.push(fn === 'count' ? 1 : Number(e.fields[field]));
      bucket.set(column, list);
    }
    const rows = [...buckets.entries()].map(([t, bucket]) => {
      const row: Record<string, string> = { _time: splunkTimeText(t) };
      for (const c of [...columns].sort()) {
        const values = bucket.get(c);
        // timechart fills empty buckets of count with 0 and leaves other functions empty.
        row[c] = values ? String(fn === 'count' ? values.length : Math.round(aggregate(values, fn) * 1e6) / 1e6) : fn === 'count' ? '0' : '';
      }
      row._span = String(span);
      return row;
    });
    res.writeHead(200, { 'Content-Type': 'application/json; charset=UTF-8' });
    const pause = options.pauseMs ?? 1;
    const write = (line: unknown): Promise<void> =>
      new Promise((resolve) => {
        const text = `${JSON.stringify(line)}\n`;
        // Split each line in two writes: a client must handle JSON cut between chunks.
        const cut = Math.floor(text.length / 2);
        res.write(text.slice(0, cut));
        setTimeout(() => {
          res.write(text.slice(cut));
          setTimeout(resolve, pause);
        }, pause);
      });
    // Preview of the first rows with partial values, then the final results.
    for (const [i, row] of rows.slice(0, 2).entries()) await write({ preview: true, offset: i, result: { ...row, ...Object.fromEntries([...columns].map((c) => [c, '0'])) } });
    for (const [i, row] of rows.entries()) await write({ preview: false, offset: i, ...(i === rows.length - 1 ? { lastrow: true } : {}), result: row });
    res.end();
  });
}
