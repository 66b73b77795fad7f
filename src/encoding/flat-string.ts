/**
 * The same string, made contiguous in memory: strings built piece by piece
 * are trees of pieces that every later join walks again; a string kept (a
 * cached line or prefix) is walked once here instead (reading a character
 * flattens it in place).
 */
export function flat(s: string): string {
  s.charCodeAt(0);
  return s;
}
