/**
 * What `doctor` reports: one section per configured component, each with
 * what was found in order (`facts`, the ✓ lines) and what is wrong
 * (`findings`, each with the fix). An error means the component does not
 * work as configured (exit code 1); a warning means it works but something
 * is lost or slowed (exit code 1 only with --strict).
 */
export type Severity = 'error' | 'warning';

export interface Finding {
  readonly severity: Severity;
  /** Stable code (docs/doctor.md lists every one). */
  readonly code: string;
  readonly message: string;
  /** What to do about it. */
  readonly fix: string;
}

export interface Section {
  /** The component id in the config, e.g. "zmq_fpm/rank-pair". */
  readonly id: string;
  readonly kind: 'receiver' | 'exporter';
  readonly type: string;
  /** What is fine, one line each. */
  readonly facts: string[];
  readonly findings: Finding[];
  /** Measured values for --json (counts per rank, per directory, per target). */
  readonly details: Record<string, unknown>;
}

export function newSection(id: string, kind: Section['kind'], type: string): Section {
  return { id, kind, type, facts: [], findings: [], details: {} };
}

export function error(code: string, message: string, fix: string): Finding {
  return { severity: 'error', code, message, fix };
}

export function warning(code: string, message: string, fix: string): Finding {
  return { severity: 'warning', code, message, fix };
}

/** The exit code of a report: 1 with any error (or, strict, any warning), else 0. */
export function exitCode(sections: readonly Section[], strict: boolean): number {
  const findings = sections.flatMap((s) => s.findings);
  if (findings.some((f) => f.severity === 'error')) return 1;
  return strict && findings.length ? 1 : 0;
}
