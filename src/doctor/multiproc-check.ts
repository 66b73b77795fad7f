import { existsSync } from 'node:fs';
import { floatToGoString } from '../encoding/python-float.js';
import type { MultiprocConfig } from '../receivers/prometheus_multiproc/config.js';
import { diagnoseMissing, diagnoseReading, pidAlive, type Diagnosis } from '../receivers/prometheus_multiproc/diagnose.js';
import { resolveDirectories } from '../receivers/prometheus_multiproc/directories.js';
import { mergeFiles } from '../receivers/prometheus_multiproc/merge.js';
import { nativeMaps } from '../receivers/prometheus_multiproc/mapped-files.js';
import { MultiprocReader } from '../receivers/prometheus_multiproc/reader.js';
import { error, newSection, warning, type Finding, type Section } from './finding.js';

/**
 * The receiver's diagnoses (diagnose.ts) that mean its data is missing or
 * the directory breaks prometheus_client's /metrics; the others (dead
 * processes' files, the legacy layout, scheduler metrics of rank 0 only)
 * are warnings: data flows, some is lost or slowed.
 */
const ERROR_CODES = new Set(['multiproc_dir_missing', 'multiproc_dir_empty', 'multiproc_damaged_files']);

function finding(d: Diagnosis): Finding {
  return (ERROR_CODES.has(d.code) ? error : warning)(d.code, d.message, d.fix);
}

/** ", skipped: empty 1, truncated 2" (files skipped by reason), or "" when none were. */
function skippedText(byReason: Record<string, number>): string {
  const parts = Object.entries(byReason).map(([reason, n]) => `${reason} ${n}`);
  return parts.length ? `, skipped: ${parts.join(', ')}` : '';
}

/**
 * Checks a prometheus_multiproc receiver: reads every directory once with
 * the receiver's reader and merge, reports files, processes alive and dead,
 * damaged files by reason, and the receiver's diagnoses with their fixes.
 * A directory is treated as SGLang's when configured so or when it holds
 * sglang:* metrics.
 */
export function checkMultiproc(id: string, config: MultiprocConfig): Section {
  const section = newSection(id, 'receiver', 'prometheus_multiproc');
  const { problem } = config.fileAccess === 'read' ? {} : nativeMaps();
  if (problem) {
    const mandatory = config.fileAccess === 'mmap';
    section.findings.push(
      (mandatory ? error : warning)(
        'multiproc_mmap_unavailable',
        `files cannot be memory-mapped (${problem}): ${mandatory ? 'the receiver will not start' : 'they are read with read(2) at every pass, which is slower'}`,
        'run npm run build in the bridge\'s directory (it builds native/build/mapped_file.node; needs a C compiler and Node\'s headers), or set file_access to "read"',
      ),
    );
  }
  // One read: read(2) costs less than mapping every file.
  const reader = new MultiprocReader(config.layout, 'read');
  const directories: Record<string, unknown>[] = [];
  config.directories.forEach((dir, index) => {
    const resolved = resolveDirectories(dir.path, index);
    if (!resolved.length) {
      const message = /[*?]/.test(dir.path) ? `no directory matches ${dir.path}` : existsSync(dir.path) ? `${dir.path} is not a directory` : `${dir.path} does not exist`;
      section.findings.push(finding({ ...diagnoseMissing(dir.path), message }));
      directories.push({ path: dir.path, found: false });
      return;
    }
    for (const { path: d } of resolved) {
      let reading;
      try {
        reading = reader.read(d);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? String(err);
        section.findings.push(error('multiproc_dir_unreadable', `${d} cannot be listed (${code})`, 'run the bridge as a user that may read the directory (SGLang creates it with its own user and umask), or loosen its permissions'));
        directories.push({ path: d, found: true, readable: false });
        continue;
      }
      const families = mergeFiles(reading.files, floatToGoString);
      const sglang = dir.sglang || families.some((f) => f.name.startsWith('sglang:'));
      const pids = new Set(reading.files.map((f) => f.file.pid));
      const dead = [...pids].filter((p) => pidAlive(p) === false).length;
      const damaged: Record<string, number> = {};
      for (const s of reading.skipped) damaged[s.reason] = (damaged[s.reason] ?? 0) + 1;
      directories.push({ path: d, found: true, readable: true, files: reading.files.length, entries: reading.entries, processes: pids.size, dead_processes: dead, skipped: damaged, layouts: reading.layouts, sglang });
      section.facts.push(`${d}: ${reading.files.length} files, ${reading.entries} entries, ${families.length} metric families, ${pids.size} processes (${pids.size - dead} alive, ${dead} dead)${skippedText(damaged)}${sglang ? ', SGLang' : ''}`);
      section.findings.push(...diagnoseReading(d, reading, families, sglang).map(finding));
    }
  });
  section.details.directories = directories;
  return section;
}
