/**
 * NATS subjects from a template such as `sglang.fpm.{worker_id}`.
 * Placeholders name attributes (`{worker_id}`, `{dp_rank}`, any label) or
 * `{metric}` (the metric's name). A value is made a single subject token:
 * characters NATS reserves or forbids in a token (`.`, `*`, `>`, whitespace)
 * become `_`; a missing or empty value is `_`.
 */
const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_.]*)\}/g;

/** A problem with a template, or undefined when it is usable. */
export function checkTemplate(template: string): string | undefined {
  if (!template) return 'must not be empty';
  const literal = template.replace(PLACEHOLDER, 'x');
  if (/[{}]/.test(literal)) return `unbalanced or invalid placeholder in "${template}" (use {worker_id}, {dp_rank}, {metric} or {<attribute>})`;
  if (/[\s*>]/.test(literal) || literal.split('.').some((t) => t === '')) return `"${template}" is not a valid NATS subject (no spaces, *, > or empty tokens)`;
  return undefined;
}

/** One token made safe for a subject. */
export function subjectToken(value: string | undefined): string {
  if (!value) return '_';
  return value.replace(/[.*>\s]/g, '_');
}

/** A compiled template: fills placeholders from a lookup. */
export function compileSubject(template: string): (lookup: (name: string) => string | undefined) => string {
  const parts = template.split(PLACEHOLDER);
  // split() with a capturing group alternates literal, name, literal, name, ...
  return (lookup) => {
    let out = '';
    for (let i = 0; i < parts.length; i++) out += i % 2 === 0 ? parts[i] : subjectToken(lookup(parts[i]!));
    return out;
  };
}

/** The placeholder names a template uses. */
export function templateNames(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((m) => m[1]!);
}
