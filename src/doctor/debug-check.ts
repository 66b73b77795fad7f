import { accessSync, constants, existsSync } from 'node:fs';
import path from 'node:path';
import type { DebugExporterConfig } from '../exporters/debug/config.js';
import { error, newSection, type Section } from './finding.js';

/** Checks a debug exporter: its file (or, before it exists, its directory) can be written. */
export function checkDebug(id: string, config: DebugExporterConfig): Section {
  const section = newSection(id, 'exporter', 'debug');
  if (!config.path) {
    section.facts.push('writes to standard output');
    return section;
  }
  const target = existsSync(config.path) ? config.path : path.dirname(path.resolve(config.path));
  try {
    accessSync(target, constants.W_OK);
    section.facts.push(`${config.path} can be written`);
  } catch (err) {
    section.findings.push(error('debug_path_not_writable', `${target}: ${(err as NodeJS.ErrnoException).code ?? err}`, 'give path a file in a directory the bridge may write (created if missing), or "" for standard output'));
  }
  return section;
}
