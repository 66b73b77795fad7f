import type { ZmqFpmConfig } from '../receivers/zmq_fpm/config.js';
import type { RefusalReason } from '../receivers/zmq_fpm/schema.js';
import { error, newSection, warning, type Finding, type Section } from './finding.js';
import { listenFpm, type RankListening } from './fpm-listen.js';

/** Refusal reasons grouped by what fixes them: the fix, and the reasons it covers. */
const REFUSAL_GROUPS: readonly { readonly reasons: readonly RefusalReason[]; readonly fix: string }[] = [
  { reasons: ['schema'], fix: 'the payload is not a ForwardPassMetrics map this bridge knows (version 1 or the older 5-key form): run matching SGLang and bridge versions (a newer SGLang needs a newer bridge)' },
  { reasons: ['version'], fix: 'the payload carries an FPM schema version this bridge does not know: upgrade the bridge to one that supports the SGLang version in use' },
  {
    reasons: ['msgpack', 'not_map', 'frame_count', 'seq_frame'],
    fix: 'malformed messages (not 3 frames, no 8-byte sequence, no msgpack map): something other than SGLang\'s FPM publisher sends on this endpoint; check that no other PUB socket binds it',
  },
];

const NO_PUBLISHER_FIX =
  'start SGLang with --enable-forward-pass-metrics (an SGLang from before the FPM merge has no such flag and publishes nothing: upgrade it, dynamo #9883); check the endpoint: SGLang binds {forward_pass_metrics_ipc_name}.{dp_rank} (ipc) or base port + dp_rank (tcp)';

function refusedTotal(r: RankListening): number {
  return Object.values(r.refused).reduce((n, c) => n + (c ?? 0), 0);
}

function percent(part: number, whole: number): string {
  return `${((100 * part) / Math.max(whole, 1)).toFixed(2)}%`;
}

/** One line per rank: what it sent in the window. */
function rankLine(r: RankListening): string {
  const refused = refusedTotal(r);
  const workers = r.workerIds.map((w) => (w ? `"${w}"` : '"" (none)')).join(', ');
  const reasons = refused ? ` (${Object.entries(r.refused).map(([reason, n]) => `${reason} ${n}`).join(', ')})` : '';
  return `rank ${r.rank} ${r.endpoint}: ${r.messages} messages (${r.iterations} iterations, ${r.heartbeats} heartbeats), lost ${r.lost} (${percent(r.lost, r.lost + r.messages)}), refused ${refused}${reasons}, worker_id ${workers}`;
}

/** One finding per group of refusal reasons seen: an error when a rank had nothing but refusals. */
function refusals(ranks: readonly RankListening[]): Finding[] {
  const out: Finding[] = [];
  for (const group of REFUSAL_GROUPS) {
    const parts: string[] = [];
    let onlyRefused = false;
    for (const r of ranks) {
      const counts = group.reasons.filter((reason) => r.refused[reason]).map((reason) => `${r.refused[reason]} ${reason}`);
      if (!counts.length) continue;
      parts.push(`rank ${r.rank}: ${counts.join(', ')} of ${r.messages}`);
      onlyRefused ||= refusedTotal(r) === r.messages;
    }
    if (parts.length) out.push((onlyRefused ? error : warning)('fpm_refused', `messages refused (${parts.join('; ')})`, group.fix));
  }
  return out;
}

/**
 * Checks a zmq_fpm receiver: listens to every rank for `listenMs` and
 * reports per rank messages, iterations, heartbeats, loss and refusals.
 */
export async function checkFpm(id: string, config: ZmqFpmConfig, listenMs: number): Promise<Section> {
  const section = newSection(id, 'receiver', 'zmq_fpm');
  const ranks = await listenFpm(config, listenMs);
  section.details.listen_ms = listenMs;
  section.details.ranks = ranks.map(({ workerIds, dpRanks, ...r }) => ({ ...r, loss_rate: r.lost / Math.max(r.lost + r.messages, 1), worker_ids: workerIds, dp_ranks: dpRanks }));
  const silent = ranks.filter((r) => r.messages === 0);
  const seconds = `${listenMs / 1000} s`;
  for (const r of ranks) if (r.messages) section.facts.push(rankLine(r));
  if (silent.length === ranks.length) {
    section.findings.push(error('fpm_no_publisher', `nothing received from ${ranks.map((r) => `${r.endpoint}${r.connected ? ' (a peer accepted the connection but sent nothing)' : ' (no publisher)'}`).join(', ')} in ${seconds}`, NO_PUBLISHER_FIX));
  } else if (silent.length) {
    section.findings.push(
      error(
        'fpm_ranks_missing',
        `${silent.length} of ${ranks.length} ranks sent nothing in ${seconds}: ${silent.map((r) => `rank ${r.rank} ${r.endpoint}`).join(', ')}`,
        'set dp_size (or endpoints) to SGLang\'s --dp-size; if it matches, those ranks\' schedulers are down or do not publish: check their logs',
      ),
    );
  }
  for (const r of ranks) {
    if (r.lost) {
      section.findings.push(
        warning(
          'fpm_loss',
          `rank ${r.rank}: ${r.lost} messages lost in sequence gaps (${percent(r.lost, r.lost + r.messages)})`,
          'messages were dropped by the publisher\'s send queue or this host\'s receive queue: run the bridge near the engine with spare CPU, raise receive_hwm; a publisher restart also shows as a gap',
        ),
      );
    }
    const foreign = r.dpRanks.filter((d) => d !== r.rank);
    if (foreign.length)
      section.findings.push(warning('fpm_rank_mismatch', `${r.endpoint} is configured as rank ${r.rank} but its messages say dp_rank ${foreign.join(', ')}`, 'list endpoints in dp rank order (or check the base endpoint): dp_rank in the messages wins in the series labels'));
  }
  section.findings.push(...refusals(ranks));
  if (!config.workerId && ranks.some((r) => r.workerIds.includes('')))
    section.findings.push(
      warning('fpm_no_worker_id', 'messages carry worker_id "" and the receiver sets no worker_id: series are labelled worker_id="unknown"', 'set worker_id in the receiver\'s config, or forward_pass_metrics_worker_id in SGLang, so that each engine has its own series'),
    );
  return section;
}
