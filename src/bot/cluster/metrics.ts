/**
 * The counters of one replica, written in the Prometheus text format for `GET /metrics`. A
 * handful of counters and one histogram do not need a metrics library.
 * @module
 */
import type { ClaimResult } from './store.js'

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

/** @internal */
export class ClusterMetrics {
  received = 0
  won = 0
  held = 0
  done = 0
  routed = 0
  busy = 0
  handledCount = 0
  failed = 0
  takenOver = 0
  reconnects = 0
  backfilled = 0
  rateLimitPauses = 0
  sharedPauses = 0
  jobRuns = 0
  leadsJobs = 0
  replicas = 1
  readonly #buckets = BUCKETS.map(() => 0)
  #sum = 0

  claim(r: ClaimResult): void {
    if (r === 'won') this.won++
    else if (r === 'held') this.held++
    else if (r === 'done') this.done++
    else if (r === 'busy') this.busy++
    else this.routed++
  }

  handled(seconds: number): void {
    this.handledCount++
    this.#sum += seconds
    for (const [i, le] of BUCKETS.entries()) if (seconds <= le) this.#buckets[i]!++
  }

  /** The Prometheus text exposition (format 0.0.4). */
  text(): string {
    const out: string[] = []
    const counter = (name: string, help: string, value: number, labels = ''): void => {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`, `${name}${labels} ${value}`)
    }
    counter('matterkit_events_received_total', 'Realtime events this replica received.', this.received)
    out.push(
      '# HELP matterkit_event_claims_total Claims by result: won (ran here), held (another replica), done (already handled), routed (to a waiting replica), busy (its lane still runs on another replica; retried).',
      '# TYPE matterkit_event_claims_total counter',
      `matterkit_event_claims_total{result="won"} ${this.won}`,
      `matterkit_event_claims_total{result="held"} ${this.held}`,
      `matterkit_event_claims_total{result="done"} ${this.done}`,
      `matterkit_event_claims_total{result="routed"} ${this.routed}`,
      `matterkit_event_claims_total{result="busy"} ${this.busy}`,
    )
    counter('matterkit_events_handled_total', 'Events whose handlers ran here.', this.handledCount)
    counter('matterkit_events_failed_total', 'Events whose handlers threw here.', this.failed)
    counter(
      'matterkit_events_taken_over_total',
      'Events taken over from a replica whose lease ran out.',
      this.takenOver,
    )
    counter('matterkit_realtime_reconnects_total', 'WebSocket reconnects.', this.reconnects)
    counter(
      'matterkit_backfilled_posts_total',
      'Posts fetched over REST after a lost resume.',
      this.backfilled,
    )
    counter('matterkit_rate_limit_pauses_total', 'Times a 429 paused the client.', this.rateLimitPauses)
    counter(
      'matterkit_rate_limit_shared_pauses_total',
      "Times this replica held its requests for another replica's 429.",
      this.sharedPauses,
    )
    counter('matterkit_job_runs_total', 'Job ticks run by this replica.', this.jobRuns)
    out.push(
      '# HELP matterkit_jobs_leader Whether this replica ran the last job tick it competed for.',
      '# TYPE matterkit_jobs_leader gauge',
      `matterkit_jobs_leader ${this.leadsJobs}`,
      '# HELP matterkit_cluster_replicas Live replicas this replica saw at its last heartbeat (they share the lanes).',
      '# TYPE matterkit_cluster_replicas gauge',
      `matterkit_cluster_replicas ${this.replicas}`,
      '# HELP matterkit_handler_seconds Handler run time of events handled here.',
      '# TYPE matterkit_handler_seconds histogram',
      ...BUCKETS.map((le, i) => `matterkit_handler_seconds_bucket{le="${le}"} ${this.#buckets[i]}`),
      `matterkit_handler_seconds_bucket{le="+Inf"} ${this.handledCount}`,
      `matterkit_handler_seconds_sum ${this.#sum}`,
      `matterkit_handler_seconds_count ${this.handledCount}`,
    )
    return `${out.join('\n')}\n`
  }
}
