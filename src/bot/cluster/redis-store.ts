/**
 * The cluster store on Redis (≥ 6, or Valkey) through ioredis, loaded only when a bot has
 * `cluster`. Each claim is one round trip (a Lua script: read the key, the conversation route and
 * the waiting replica's liveness, then set the lease), as pluginapi's `cluster.Mutex` sets its
 * lock key atomically (`server/public/pluginapi/cluster/mutex.go`).
 * @module
 */
import type { Redis, RedisOptions } from 'ioredis'
import { MatterkitError } from '../../core/errors.js'
import { globalSecrets } from '../../core/redact.js'
import type { ClaimResult, ClusterStore, Heartbeat } from './store.js'

/** Redis could not be reached, refused the password, or is not Redis. */
export class ClusterStoreError extends MatterkitError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('MK_ERR_CLUSTER', message, options)
  }
}

// KEYS[1] event key, KEYS[2] wait route, KEYS[3] lane lock; ARGV owner, lease ms, alive-key prefix,
// then '1' when KEYS[2] and KEYS[3] are real (ioredis prefixes every key, even an empty one).
const CLAIM = `
if ARGV[4] == '1' then
  local w = redis.call('GET', KEYS[2])
  if w and w ~= ARGV[1] and redis.call('EXISTS', ARGV[3] .. w) == 1 then return 3 end
end
local v = redis.call('GET', KEYS[1])
if v == 'done' then return 2 end
if v and v ~= ARGV[1] then return 0 end
if ARGV[5] == '1' then
  local l = redis.call('GET', KEYS[3])
  if l and l ~= ARGV[1] and redis.call('EXISTS', ARGV[3] .. l) == 1 then return 4 end
  redis.call('SET', KEYS[3], ARGV[1], 'PX', ARGV[2])
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`
const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`

const RAISE = `
local v = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > v then redis.call('SET', KEYS[1], ARGV[1]) end
return 1`

// KEYS[1] this replica's alive key, KEYS[2] the members sorted set (score: when the member expires,
// in Redis's own clock, so replicas' clocks need not agree), KEYS[3] the shared rate-limit pause;
// ARGV replica, ttl ms, '1' to be a member.
const HEARTBEAT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('SET', KEYS[1], '1', 'PX', ARGV[2])
if ARGV[3] == '1' then redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), ARGV[1]) end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
return {redis.call('ZRANGE', KEYS[2], 0, -1), redis.call('GET', KEYS[3]) or '0'}`

const RESULTS: ClaimResult[] = ['held', 'won', 'done', 'routed', 'busy']

type Scripted = Redis & {
  mkClaim(
    k1: string,
    k2: string,
    k3: string,
    owner: string,
    lease: number,
    alive: string,
    hasWait: string,
    hasLane: string,
  ): Promise<number>
  mkRenew(k: string, owner: string, lease: number): Promise<number>
  mkRelease(k: string, owner: string): Promise<number>
  mkRaise(k: string, value: number): Promise<number>
  mkHeartbeat(
    alive: string,
    members: string,
    pause: string,
    replica: string,
    ttl: number,
    member: string,
  ): Promise<[string[], string]>
}

/** Where a Redis URL points, without its password (for errors and logs). */
export function redisTarget(url: string): string {
  try {
    const u = new URL(url)
    return `${u.hostname}:${u.port || 6379}${u.pathname && u.pathname !== '/' ? u.pathname : ''}`
  } catch {
    return 'an unparsable URL'
  }
}

/** The cluster store on one Redis. */
export class RedisClusterStore implements ClusterStore {
  readonly #r: Scripted
  readonly #prefix: string
  readonly #target: string

  private constructor(r: Scripted, prefix: string, target: string) {
    this.#r = r
    this.#prefix = prefix
    this.#target = target
  }

  /**
   * Connect and check that the other end is Redis. Rejects with {@link ClusterStoreError} naming
   * host:port (never the password) when it is unreachable, refuses the credentials or is not Redis.
   */
  static async connect(
    url: string,
    prefix: string,
    opts: { timeoutMs?: number; onState?: (up: boolean, err?: unknown) => void } = {},
  ): Promise<RedisClusterStore> {
    const timeoutMs = opts.timeoutMs ?? 5000
    const target = redisTarget(url)
    let parsed: URL
    try {
      parsed = new URL(url)
    } catch {
      throw new ClusterStoreError(
        'cluster.redis must be a redis:// or rediss:// URL, such as redis://127.0.0.1:6379/0.',
      )
    }
    if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:')
      throw new ClusterStoreError(
        `cluster.redis must be a redis:// or rediss:// URL (got ${parsed.protocol}//${target}).`,
      )
    if (parsed.password) globalSecrets.add(decodeURIComponent(parsed.password))
    const { Redis: IORedis } = await import('ioredis')
    const options: RedisOptions = {
      lazyConnect: true,
      keyPrefix: prefix,
      connectTimeout: timeoutMs,
      // While Redis is away, commands wait for it (claims pause) instead of failing one by one.
      maxRetriesPerRequest: null,
      retryStrategy: times => Math.min(times * 200, 2000),
    }
    const r = new IORedis(url, options) as Scripted
    // Errors surface through the calls (and this record of the last one); never as a crash.
    let lastError: unknown
    r.on('error', err => {
      lastError = err
    })
    const fail = (why: string, cause?: unknown): never => {
      r.disconnect()
      throw new ClusterStoreError(`Redis at ${target}: ${why}`, { cause: scrub(cause) })
    }
    try {
      await withTimeout(r.connect(), timeoutMs)
    } catch (err) {
      // A refused password closes the connection; the reason came through the 'error' event.
      const m = [err, lastError].map(e => String((e as Error)?.message ?? e ?? '')).join(' / ')
      if (/WRONGPASS|NOAUTH|invalid password|AUTH/i.test(m))
        fail(
          'the password (or user) was refused; check the credentials in cluster.redis / MATTERKIT_REDIS_URL.',
          err,
        )
      fail(`cannot connect (${scrubText(m)}). Check the host, port and that redis-server is running.`, err)
    }
    let pong: unknown
    try {
      pong = await withTimeout(r.ping(), timeoutMs)
    } catch (err) {
      const m = String((err as Error)?.message ?? err)
      if (/NOAUTH|WRONGPASS/i.test(m))
        fail('it needs a password; put it in the URL (redis://:password@host:6379/0).', err)
      fail(`it does not answer PING like Redis (${scrubText(m)}).`, err)
    }
    if (pong !== 'PONG') fail('it does not answer PING like Redis.')
    r.on('close', () => opts.onState?.(false, scrub(lastError)))
    r.on('ready', () => opts.onState?.(true))
    r.defineCommand('mkClaim', { numberOfKeys: 3, lua: CLAIM })
    r.defineCommand('mkRenew', { numberOfKeys: 1, lua: RENEW })
    r.defineCommand('mkRelease', { numberOfKeys: 1, lua: RELEASE })
    r.defineCommand('mkRaise', { numberOfKeys: 1, lua: RAISE })
    r.defineCommand('mkHeartbeat', { numberOfKeys: 3, lua: HEARTBEAT })
    return new RedisClusterStore(r, prefix, target)
  }

  async claim(
    key: string,
    owner: string,
    leaseMs: number,
    waitKey?: string,
    laneKey?: string,
  ): Promise<ClaimResult> {
    // ioredis prefixes KEYS but not ARGV, so the liveness prefix is passed whole.
    const n = await this.#r.mkClaim(
      key,
      waitKey ?? 'none',
      laneKey ?? 'none',
      owner,
      leaseMs,
      `${this.#prefix}alive:`,
      waitKey ? '1' : '',
      laneKey ? '1' : '',
    )
    return RESULTS[n] ?? 'held'
  }
  async renew(key: string, owner: string, leaseMs: number): Promise<boolean> {
    return (await this.#r.mkRenew(key, owner, leaseMs)) === 1
  }
  async finish(key: string, keepMs: number): Promise<void> {
    await this.#r.set(key, 'done', 'PX', keepMs)
  }
  async release(key: string, owner: string): Promise<void> {
    await this.#r.mkRelease(key, owner)
  }
  async lock(key: string, owner: string, ttlMs: number): Promise<boolean> {
    if ((await this.#r.set(key, owner, 'PX', ttlMs, 'NX')) === 'OK') return true
    return this.renew(key, owner, ttlMs)
  }
  async unlock(key: string, owner: string): Promise<void> {
    await this.release(key, owner)
  }
  async heartbeat(replica: string, ttlMs: number, member: boolean): Promise<Heartbeat> {
    const [members, until] = await this.#r.mkHeartbeat(
      `alive:${replica}`,
      'members',
      'ratelimit:until',
      replica,
      ttlMs,
      member ? '1' : '',
    )
    return { members: members.sort(), pausedUntil: Number(until) || 0 }
  }
  async leave(replica: string): Promise<void> {
    await this.#r.multi().zrem('members', replica).del(`alive:${replica}`).exec()
  }
  async route(waitKey: string, replica: string, ttlMs: number | undefined): Promise<void> {
    if (ttlMs === undefined) await this.#r.mkRelease(waitKey, replica)
    else await this.#r.set(waitKey, replica, 'PX', Math.max(1, Math.round(ttlMs)))
  }
  async raise(key: string, value: number): Promise<void> {
    await this.#r.mkRaise(key, value)
  }
  async get(key: string): Promise<string | undefined> {
    return (await this.#r.get(key)) ?? undefined
  }
  async set(key: string, value: string, ttlMs?: number): Promise<void> {
    if (ttlMs) await this.#r.set(key, value, 'PX', ttlMs)
    else await this.#r.set(key, value)
  }
  async delete(key: string): Promise<void> {
    await this.#r.del(key)
  }
  async ping(): Promise<void> {
    if (this.#r.status !== 'ready') throw new ClusterStoreError(`Redis at ${this.#target} is not connected.`)
    await withTimeout(this.#r.ping(), 1000)
  }
  async close(): Promise<void> {
    await this.#r.quit().catch(() => this.#r.disconnect())
  }

  toString(): string {
    return `RedisClusterStore(${this.#target})`
  }
  toJSON(): Record<string, unknown> {
    return { redis: this.#target }
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)
    }),
  ]).finally(() => clearTimeout(timer))
}

/** ioredis messages can quote the URL; keep only the redacted text. */
function scrubText(m: string): string {
  return m.replace(/\/\/[^@/\s]*@/g, '//***@')
}
function scrub(err: unknown): Error | undefined {
  return err === undefined ? undefined : new Error(scrubText(String((err as Error)?.message ?? err)))
}
