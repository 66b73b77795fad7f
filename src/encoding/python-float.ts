/**
 * Numbers as prometheus_client prints them, so the `multiproc` command's
 * output matches Python's /metrics: `repr(float)` (`15.0`, `0.25`, `1e-05`,
 * `1e+16`) through `floatToGoString` (`+Inf`, `-Inf`, `NaN`, and Go's earlier
 * switch to exponents for large positive numbers).
 */

/** Python's repr() of a float: shortest round-trip digits, exponent when exp < -4 or exp >= 16. */
export function pythonFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const sign = x < 0 ? '-' : '';
  // Shortest round-trip digits and decimal exponent, from JS's exponential form.
  const [mantissa, expText] = Math.abs(x).toExponential().split('e');
  const digits = mantissa.replace('.', '');
  const exp = Number(expText);
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const e = Math.abs(exp);
    return `${sign}${m}e${exp < 0 ? '-' : '+'}${e < 10 ? '0' : ''}${e}`;
  }
  if (exp >= 0) {
    const intPart = digits.length > exp + 1 ? digits.slice(0, exp + 1) : digits.padEnd(exp + 1, '0');
    const frac = digits.length > exp + 1 ? digits.slice(exp + 1) : '0';
    return `${sign}${intPart}.${frac}`;
  }
  return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
}

/** prometheus_client's floatToGoString. */
export function floatToGoString(x: number): string {
  // Fast path (most values): below 1e6 Go's exponent rule does not apply, and
  // JS's shortest round-trip digits print as Python's repr from 1e-4 upwards.
  const a = Math.abs(x);
  if (a < 1e6) {
    if (Number.isInteger(x)) return Object.is(x, -0) ? '-0.0' : `${x}.0`;
    if (a >= 1e-4) return String(x);
  }
  if (x === Infinity) return '+Inf';
  if (x === -Infinity) return '-Inf';
  if (Number.isNaN(x)) return 'NaN';
  const s = pythonFloatRepr(x);
  const dot = s.indexOf('.');
  if (x > 0 && dot > 6) {
    const mantissa = `${s[0]}.${s.slice(1, dot)}${s.slice(dot + 1)}`.replace(/[0.]+$/, '');
    return `${mantissa}e+0${dot - 1}`;
  }
  return s;
}
