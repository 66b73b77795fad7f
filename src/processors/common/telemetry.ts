/**
 * Help text of bridge_processor_dropped_items_total, shared by every processor
 * that drops (a family has one help text). Reasons: `filtered` (filter),
 * `duplicate_series` (rename: two points of one name and label set that
 * could not be added up).
 */
export const DROPPED_HELP = 'Items a processor dropped, by reason (filtered, duplicate_series).';
