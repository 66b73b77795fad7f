import type { Attributes } from '../../model/metrics.js';
import { defineSchema } from '../../config/component-schema.js';
import type { FileAccess } from './reader.js';

export interface DirectoryConfig {
  /** A directory, a parent of directories, or a pattern with `*` / `?`. */
  readonly path: string;
  /** Added to every series read from it (e.g. worker_id). */
  readonly attributes: Attributes;
  /** An SGLang directory: per-rank `mostrecent` gauges and SGLang diagnoses apply. */
  readonly sglang: boolean;
}

export interface MultiprocConfig {
  readonly directories: readonly DirectoryConfig[];
  readonly intervalMs: number;
  readonly layout: 'auto' | 'current' | 'legacy';
  /** 'auto': on for directories marked sglang. */
  readonly perRankGauges: 'auto' | 'on' | 'off';
  readonly fileAccess: FileAccess;
}

const DIRECTORY_KEYS = ['path', 'attributes', 'sglang'];

export const multiprocSchema = defineSchema<MultiprocConfig>(
  {
    directories: {
      doc: 'Multiprocess directories (PROMETHEUS_MULTIPROC_DIR): a path, a parent of such directories, or a pattern with * and ?; or objects { "path", "attributes": { "worker_id": "w0" }, "sglang": true }. A directory that does not exist yet is waited for.',
      format: '*',
      default: [],
    },
    interval: { doc: 'How often the directories are read.', format: 'duration', default: '5s', unit: 'ms' },
    layout: { doc: 'File layout: auto (detected per file), current (value + timestamp, prometheus_client >= 0.18), legacy (value only, 0.16 and 0.17).', format: ['auto', 'current', 'legacy'], default: 'auto' },
    per_rank_gauges: {
      doc: 'Keep each process\'s value of a mostrecent gauge written by several processes under equal labels (SGLang with DP attention, sglang #6892) as its own series, labelled by its rank labels or pid. auto: on for directories marked "sglang": true; off: exactly prometheus_client\'s merge.',
      format: ['auto', 'on', 'off'],
      default: 'auto',
    },
    file_access: {
      doc: 'How files are read. mmap: each file is memory-mapped once and its values are taken from the page cache at every read (no open, read(2) or copy per file; the native module native/build/mapped_file.node, built by npm run build; mapped pages count in RSS as shared file pages). read: read(2) every time (many files a call, by the native module when it is built). auto: mmap when the native module is built, else read (logged once).',
      format: ['auto', 'mmap', 'read'],
      default: 'auto',
    },
  },
  (v, issue) => {
    const raw = v.directories;
    const directories: DirectoryConfig[] = [];
    if (!Array.isArray(raw) || raw.length === 0) issue('directories', 'give at least one directory, e.g. ["/tmp/sglang_metrics"] (where PROMETHEUS_MULTIPROC_DIR points)');
    else
      raw.forEach((d: unknown, i) => {
        const at = `directories[${i}]`;
        if (typeof d === 'string') {
          if (!d) issue(at, 'must not be empty');
          directories.push({ path: d, attributes: {}, sglang: false });
          return;
        }
        if (typeof d !== 'object' || d === null || Array.isArray(d)) return issue(at, 'must be a path or { "path", "attributes", "sglang" }');
        const o = d as Record<string, unknown>;
        for (const k of Object.keys(o)) if (!DIRECTORY_KEYS.includes(k)) issue(`${at}.${k}`, `unknown option (known: ${DIRECTORY_KEYS.join(', ')})`);
        if (typeof o.path !== 'string' || !o.path) issue(`${at}.path`, 'required: the directory path');
        const attributes: Record<string, string> = {};
        if (o.attributes !== undefined) {
          if (typeof o.attributes !== 'object' || o.attributes === null || Array.isArray(o.attributes)) issue(`${at}.attributes`, 'must be an object of string values');
          else
            for (const [k, val] of Object.entries(o.attributes)) {
              if (typeof val !== 'string') issue(`${at}.attributes.${k}`, 'must be a string');
              else attributes[k] = val;
            }
        }
        if (o.sglang !== undefined && typeof o.sglang !== 'boolean') issue(`${at}.sglang`, 'must be true or false');
        directories.push({ path: String(o.path ?? ''), attributes, sglang: o.sglang === true });
      });
    if ((v.interval as number) < 100) issue('interval', 'must be at least 100ms');
    return { directories, intervalMs: v.interval as number, layout: v.layout as MultiprocConfig['layout'], perRankGauges: v.per_rank_gauges as MultiprocConfig['perRankGauges'], fileAccess: v.file_access as FileAccess };
  },
);
