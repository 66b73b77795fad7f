/**
 * What one attempt to deliver an item came to, as the delivery loop needs to
 * know it: delivered; worth trying again (with the server's Retry-After when
 * it sent one); or refused for good (retrying cannot help: a 400, a 401, a
 * payload the server cannot parse).
 */
export type SendOutcome =
  | { readonly kind: 'delivered' }
  | { readonly kind: 'retryable'; readonly reason: string; readonly retryAfterMs?: number }
  | { readonly kind: 'permanent'; readonly reason: string };

export const DELIVERED: SendOutcome = { kind: 'delivered' };

/** Why items were dropped: the `reason` label of `bridge_exporter_dropped_items_total`. */
export type DropReason =
  | 'queue_full'
  | 'permanent_error'
  | 'retries_exhausted'
  | 'shutdown'
  | 'encode_error'
  /** Items this exporter cannot send as configured (FPM records to a metrics exporter, records without their original bytes). */
  | 'unsupported';
