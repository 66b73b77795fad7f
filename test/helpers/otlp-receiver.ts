import { createRequire } from 'node:module';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { gunzipSync } from 'node:zlib';

/**
 * A stand-in OTLP/HTTP metrics backend for tests. It decodes what arrives as a
 * real collector would: protobuf with the code generated from the official
 * OTLP protos (shipped by @opentelemetry/otlp-transformer 0.52.1, installed as
 * `otlp-proto-decode`), JSON per the OTLP/JSON mapping. Faults are scripted
 * per request (status, Retry-After, delay); concurrency is measured.
 */
const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const root: any = require('otlp-proto-decode/build/src/generated/root.js');
const ExportMetricsServiceRequest = root.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;

export interface ReceivedPoint {
  attributes: Record<string, string>;
  startTimeUnixNano: bigint;
  timeUnixNano: bigint;
  value?: number;
  count?: number;
  sum?: number;
  bounds?: number[];
  bucketCounts?: number[];
}

export interface ReceivedMetric {
  name: string;
  description: string;
  unit: string;
  kind: 'sum' | 'gauge' | 'histogram' | 'other';
  /** 1 delta, 2 cumulative (OTLP enum values). */
  temporality?: number;
  monotonic?: boolean;
  points: ReceivedPoint[];
}

export interface ReceivedRequest {
  atMs: number;
  contentType: string;
  contentEncoding: string;
  headers: http.IncomingHttpHeaders;
  resource: Record<string, string>;
  scope: { name: string; version: string };
  metrics: ReceivedMetric[];
  /** The answer this request got. */
  status: number;
}

export interface Fault {
  status?: number;
  retryAfterS?: number;
  /** Wait this long before answering (ms). */
  delayMs?: number;
  body?: string;
}

export class OtlpTestReceiver {
  readonly requests: ReceivedRequest[] = [];
  /** Requests answered with 2xx. */
  get accepted(): ReceivedRequest[] {
    return this.requests.filter((r) => r.status < 300);
  }
  /** Most requests in progress at once. */
  maxConcurrent = 0;
  /** Decides the answer to request number n (0-based, counting every request). */
  fault: (n: number) => Fault | undefined = () => undefined;
  private inProgress = 0;
  private seen = 0;
  private server: http.Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;

  async start(port = 0): Promise<void> {
    const server = http.createServer((req, res) => void this.handle(req, res));
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/v1/metrics`;
  }

  /** Stops listening and cuts every open connection (a backend going down). */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The value of the latest accepted point of a series (a sum or gauge), or undefined. */
  latest(name: string, match: Record<string, string> = {}): ReceivedPoint | undefined {
    for (let i = this.requests.length - 1; i >= 0; i--) {
      const r = this.requests[i]!;
      if (r.status >= 300) continue;
      for (const m of r.metrics)
        if (m.name === name)
          for (const p of m.points) if (Object.entries(match).every(([k, v]) => p.attributes[k] === v)) return p;
    }
    return undefined;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const n = this.seen++;
    // A request counts as in progress until it is answered or its client gives up on it.
    this.inProgress++;
    this.maxConcurrent = Math.max(this.maxConcurrent, this.inProgress);
    let done = false;
    const finish = () => {
      if (!done) this.inProgress--;
      done = true;
    };
    res.once('close', finish);
    try {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      let body = Buffer.concat(chunks);
      const encoding = String(req.headers['content-encoding'] ?? '');
      if (encoding === 'gzip') body = gunzipSync(body);
      const contentType = String(req.headers['content-type'] ?? '');
      const decoded = contentType.includes('json') ? fromJson(JSON.parse(body.toString('utf8'))) : fromProto(body);
      const fault = this.fault(n) ?? {};
      if (fault.delayMs) await new Promise((r) => setTimeout(r, fault.delayMs));
      const status = fault.status ?? 200;
      this.requests.push({ atMs: Date.now(), contentType, contentEncoding: encoding, headers: req.headers, ...decoded, status });
      const headers: Record<string, string> = { 'content-type': contentType.includes('json') ? 'application/json' : 'application/x-protobuf' };
      if (fault.retryAfterS !== undefined) headers['retry-after'] = String(fault.retryAfterS);
      res.writeHead(status, headers);
      res.end(status < 300 ? (contentType.includes('json') ? '{}' : Buffer.alloc(0)) : (fault.body ?? 'refused by test receiver'));
    } catch (err) {
      res.writeHead(400).end(`test receiver could not decode: ${(err as Error).message}`);
    } finally {
      finish();
    }
  }
}

type Decoded = Pick<ReceivedRequest, 'resource' | 'scope' | 'metrics'>;

function attributeMap(list: { key: string; value: Record<string, unknown> }[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of list ?? []) {
    const v = kv.value ?? {};
    out[kv.key] = String(v.stringValue ?? v.intValue ?? v.doubleValue ?? v.boolValue ?? '');
  }
  return out;
}

function nanos(v: unknown): bigint {
  if (v === undefined || v === null) return 0n;
  if (typeof v === 'object' && 'toString' in (v as object)) return BigInt((v as { toString(): string }).toString());
  return BigInt(v as string | number);
}

function num(v: unknown): number | undefined {
  if (v === undefined || v === null) return undefined;
  return typeof v === 'object' ? Number((v as { toString(): string }).toString()) : Number(v);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function convert(req: any): Decoded {
  const rm = req.resourceMetrics?.[0] ?? {};
  const sm = rm.scopeMetrics?.[0] ?? {};
  const metrics: ReceivedMetric[] = [];
  for (const rm2 of req.resourceMetrics ?? [])
    for (const sm2 of rm2.scopeMetrics ?? [])
      for (const m of sm2.metrics ?? []) {
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        const numberPoint = (p: any): ReceivedPoint => ({ attributes: attributeMap(p.attributes), startTimeUnixNano: nanos(p.startTimeUnixNano), timeUnixNano: nanos(p.timeUnixNano), value: num(p.asDouble ?? p.asInt) });
        if (m.sum) metrics.push({ name: m.name, description: m.description ?? '', unit: m.unit ?? '', kind: 'sum', temporality: m.sum.aggregationTemporality, monotonic: Boolean(m.sum.isMonotonic), points: (m.sum.dataPoints ?? []).map(numberPoint) });
        else if (m.gauge) metrics.push({ name: m.name, description: m.description ?? '', unit: m.unit ?? '', kind: 'gauge', points: (m.gauge.dataPoints ?? []).map(numberPoint) });
        else if (m.histogram)
          metrics.push({
            name: m.name,
            description: m.description ?? '',
            unit: m.unit ?? '',
            kind: 'histogram',
            temporality: m.histogram.aggregationTemporality,
            // eslint-disable-next-line @typescript-eslint/no-explicit-any
            points: (m.histogram.dataPoints ?? []).map((p: any) => ({
              attributes: attributeMap(p.attributes),
              startTimeUnixNano: nanos(p.startTimeUnixNano),
              timeUnixNano: nanos(p.timeUnixNano),
              count: num(p.count),
              sum: num(p.sum),
              bounds: (p.explicitBounds ?? []).map(Number),
              bucketCounts: (p.bucketCounts ?? []).map((c: unknown) => num(c)!),
            })),
          });
        else metrics.push({ name: m.name, description: m.description ?? '', unit: m.unit ?? '', kind: 'other', points: [] });
      }
  return { resource: attributeMap(rm.resource?.attributes), scope: { name: sm.scope?.name ?? '', version: sm.scope?.version ?? '' }, metrics };
}

function fromProto(body: Buffer): Decoded {
  const message = ExportMetricsServiceRequest.decode(body);
  return convert(ExportMetricsServiceRequest.toObject(message, { longs: String, enums: Number, defaults: false }));
}

function fromJson(body: unknown): Decoded {
  return convert(body);
}
