import { defineSchema } from '../../config/component-schema.js';

export type Verbosity = 'basic' | 'normal' | 'detailed';

export interface DebugExporterConfig {
  /** '' = standard output; otherwise a file appended to. */
  readonly path: string;
  readonly verbosity: Verbosity;
}

export const debugSchema = defineSchema<DebugExporterConfig>(
  {
    path: { doc: 'File to append JSON lines to; empty for standard output.', format: String, default: '' },
    verbosity: { doc: 'basic: one line per batch with counts; normal: one line per metric; detailed: every point and FPM record.', format: ['basic', 'normal', 'detailed'], default: 'basic' },
  },
  (v) => ({ path: v.path as string, verbosity: v.verbosity as Verbosity }),
);
