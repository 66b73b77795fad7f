import type { Section } from './finding.js';

const MARK = { ok: '✓', error: '✗', warning: '!' } as const;

/** The human report: one block per component, ✓ for what is fine, ✗ errors and ! warnings each with its fix. */
export function renderReport(source: string, sections: readonly Section[]): string {
  const lines: string[] = [`doctor: ${source}`];
  for (const s of sections) {
    lines.push('', `${s.kind} ${s.id} (${s.type})`);
    for (const fact of s.facts) lines.push(`  ${MARK.ok} ${fact}`);
    for (const f of s.findings) lines.push(`  ${MARK[f.severity]} [${f.code}] ${f.message}`, `      fix: ${f.fix}`);
  }
  const findings = sections.flatMap((s) => s.findings);
  const errors = findings.filter((f) => f.severity === 'error').length;
  const warnings = findings.length - errors;
  lines.push('', findings.length ? `${errors} error(s), ${warnings} warning(s)` : 'all is well');
  return lines.join('\n');
}

/** The report for machines (--json). */
export function reportJson(source: string, sections: readonly Section[], exitCode: number): string {
  return JSON.stringify({ config: source, exit_code: exitCode, sections }, null, 2);
}
