/**
 * KafkaSource: consumes topics in a consumer group and hands every record to the handler as a
 * core Delivery. At-least-once:
 * - kafkajs' auto-commit is off; the source commits an offset only when every record at or below
 *   it was acked (PartitionTracker), periodically, before a rebalance and on stop;
 * - a nacked record is handed out again after its delay, and holds the partition's commit back
 *   meanwhile (nothing after it is committed);
 * - ordered mode hands out one record per partition at a time, unordered up to `maxInFlight`
 *   per partition; a full window stops reading that partition (and pauses it when it stays full);
 * - after a rebalance, partitions that went elsewhere drop their un-acked work (the new owner
 *   starts from the last contiguous commit); partitions that stayed skip what is already out;
 * - a broker that goes away is retried with backoff by the consumer and shown in `status()`.
 */
import type { ComponentStatus, Delivery, DeliveryHandler, MeshEvent, Source } from '@meshgate/core';
import type { Consumer, EachBatchPayload, KafkaMessage } from 'kafkajs';
import { type KeyType, recordToEvent, type WrapContext } from './binding.js';
import { type ConnectorLogger, type KafkaClient, silentConnectorLogger } from './client.js';
import { toKafkaError } from './errors.js';
import type { TrackedRecord } from './offset-tracker.js';
import { PartitionState } from './partition-state.js';

export interface KafkaSourceOptions {
  /** The source's name (a KafkaSource's metadata.name); also names wrapped records' source. */
  name: string;
  /** How record keys are read (Knative's key-type label). Default `string`. */
  keyType?: KeyType;
  /** Namespace for wrapped records' source (`/apis/v1/namespaces/<ns>/kafkasources/<name>#<topic>`). */
  namespace?: string;
  client: KafkaClient;
  topics: readonly string[];
  groupId: string;
  /** Where a group without committed offsets starts. Default `latest` (as Knative). */
  initialOffset?: 'earliest' | 'latest';
  /** One record at a time per partition, in offset order. Default true (as Knative). */
  ordered?: boolean;
  /** Un-acked records per partition in unordered mode. Default 100. */
  maxInFlight?: number;
  /** Un-acked records across all partitions (both modes). Default unlimited. */
  maxInFlightTotal?: number;
  /** How often acked progress is committed (ms). Default 1000. */
  commitIntervalMs?: number;
  /** How long `stop` waits for in-flight deliveries to settle (ms). Default 5000. */
  stopGraceMs?: number;
  /** How long a full window may block its partition before the partition is paused (ms). */
  pauseAfterMs?: number;
  /** Partitions processed concurrently by the consumer. Default 16. */
  partitionsConcurrently?: number;
  sessionTimeoutMs?: number;
  logger?: ConnectorLogger;
}

const key = (topic: string, partition: number) => `${topic}\u0000${partition}`;

export class KafkaSource implements Source {
  readonly name: string;
  private readonly options: KafkaSourceOptions;
  private readonly wrap: WrapContext;
  private readonly window: number;
  private readonly logger: ConnectorLogger;
  private readonly consumer: Consumer;
  private readonly partitions = new Map<string, PartitionState>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private handler: DeliveryHandler | undefined;
  private commitTimer: NodeJS.Timeout | undefined;
  private committing: Promise<void> | undefined;
  private stopping = false;
  private readonly totalWindow: number;
  private unackedTotal = 0;
  private commitFailures = 0;
  private assigned = new Set<string>();
  private pins = new Map<string, { topic: string; partition: number; offset: string }>();
  private running = false;
  private state: ComponentStatus = { state: 'stopped', reason: 'not started' };

  constructor(options: KafkaSourceOptions) {
    if (options.topics.length === 0) throw new RangeError(`KafkaSource '${options.name}': no topics given`);
    this.name = options.name;
    this.options = options;
    this.wrap = {
      namespace: options.namespace ?? 'default',
      name: options.name,
      ...(options.keyType === undefined ? {} : { keyType: options.keyType }),
    };
    this.window = options.ordered === false ? Math.max(1, options.maxInFlight ?? 100) : 1;
    this.totalWindow = Math.max(1, options.maxInFlightTotal ?? Number.POSITIVE_INFINITY);
    this.logger = options.logger ?? silentConnectorLogger;
    this.consumer = options.client.consumer({
      groupId: options.groupId,
      ...(options.sessionTimeoutMs === undefined ? {} : { sessionTimeoutMs: options.sessionTimeoutMs }),
    });
    this.watch();
  }

  /** Follows the consumer's life: assignments, rebalances, crashes (broker away) and recoveries. */
  private watch(): void {
    const { events } = this.consumer;
    this.consumer.on(events.GROUP_JOIN, ({ payload }) => {
      const assigned = new Set<string>();
      for (const [topic, parts] of Object.entries(payload.memberAssignment)) {
        for (const p of parts) assigned.add(key(topic, p));
      }
      for (const [k, ps] of this.partitions) {
        if (!assigned.has(k)) this.revoke(k, ps);
      }
      this.assigned = assigned;
      // A new group reads from where it was when start() was called (applied before the first fetch).
      for (const [k, pin] of this.pins) {
        if (assigned.has(k)) this.consumer.seek(pin);
      }
      this.state = { state: 'ready' };
      this.logger.info(
        { source: this.name, assignment: payload.memberAssignment },
        'KafkaSource joined its group',
      );
    });
    this.consumer.on(events.REBALANCING, () => {
      // Best effort: commit acked progress before partitions move (the periodic commit covers the rest).
      void this.commitAcked();
    });
    this.consumer.on(events.CRASH, ({ payload }) => {
      const err = toKafkaError(payload.error, `KafkaSource '${this.name}' on ${this.options.client.label}`);
      this.state = { state: 'degraded', reason: err.message };
      if (payload.restart) {
        this.logger.warn(
          { source: this.name, err },
          'KafkaSource lost its broker, reconnecting with backoff',
        );
        return;
      }
      // kafkajs gave up (a non-retriable error such as an authorization failure): keep trying,
      // slowly, so that fixing the cause brings the source back without a restart.
      this.logger.error({ source: this.name, err }, 'KafkaSource stopped on an error; retrying in 10 s');
      if (!this.stopping) this.later(10_000, () => void this.connect(3));
    });
    this.consumer.on(events.FETCH, () => {
      if (this.state.state === 'degraded') {
        this.state = { state: 'ready' };
        this.logger.info({ source: this.name }, 'KafkaSource reading again');
      }
    });
  }

  private revoke(k: string, ps: PartitionState): void {
    ps.revoked = true;
    this.unackedTotal -= ps.tracker.inFlight;
    ps.wake();
    this.partitions.delete(k);
    this.logger.info(
      { source: this.name, topic: ps.topic, partition: ps.partition, dropped: ps.tracker.inFlight },
      'partition revoked; its un-acked records go to the next owner',
    );
  }

  async start(handler: DeliveryHandler): Promise<void> {
    if (this.running) throw new RangeError(`KafkaSource '${this.name}' is already started`);
    this.handler = handler;
    this.running = true;
    this.stopping = false;
    this.state = { state: 'starting' };
    this.commitTimer = setInterval(() => void this.commitAcked(), this.options.commitIntervalMs ?? 1000);
    await this.connect(0);
  }

  /** Connects, subscribes and runs; on failure retries in the background with backoff. */
  private async connect(attempt: number): Promise<void> {
    if (this.stopping) return;
    try {
      if (this.options.initialOffset !== 'earliest') this.pins = await this.latestPins();
      await this.consumer.connect();
      await this.consumer.subscribe({
        topics: [...this.options.topics],
        fromBeginning: this.options.initialOffset === 'earliest',
      });
      await this.consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: this.options.partitionsConcurrently ?? 16,
        eachBatch: (payload) => this.onBatch(payload),
      });
      await this.commitPins();
    } catch (err) {
      const error = toKafkaError(
        err,
        `KafkaSource '${this.name}' on ${this.options.client.label} starting`,
        this.options.topics.join(','),
      );
      const delay = Math.min(30_000, 500 * 2 ** attempt);
      this.state = { state: 'degraded', reason: error.message };
      this.logger.warn({ source: this.name, err: error, retryInMs: delay }, 'KafkaSource could not start');
      await this.consumer.disconnect().catch(() => {});
      this.later(delay, () => void this.connect(attempt + 1));
    }
  }

  /**
   * A new group starts at "now", decided when `start` is called rather than at the consumer's
   * first fetch: events written right after `start` resolved are never skipped, and a group that
   * never acked anything still remembers where it started. Returns the partitions without a
   * committed offset and their current end.
   */
  private async latestPins(): Promise<Map<string, { topic: string; partition: number; offset: string }>> {
    const pins = new Map<string, { topic: string; partition: number; offset: string }>();
    const admin = this.options.client.admin();
    await admin.connect();
    try {
      const { groupId } = this.options;
      const committed = await admin.fetchOffsets({ groupId, topics: [...this.options.topics] });
      for (const { topic, partitions } of committed) {
        const unset = partitions.filter((p) => p.offset === '-1');
        if (unset.length === 0) continue;
        const ends = await admin.fetchTopicOffsets(topic);
        for (const p of unset) {
          const end = ends.find((e) => e.partition === p.partition);
          if (end !== undefined)
            pins.set(key(topic, p.partition), { topic, partition: p.partition, offset: end.high });
        }
      }
    } finally {
      await admin.disconnect().catch(() => {});
    }
    return pins;
  }

  /** Commits where the new group started (see latestPins), for the partitions this member got. */
  private async commitPins(): Promise<void> {
    const pinned = [...this.pins.entries()].filter(([k]) => this.assigned.has(k)).map(([, p]) => p);
    this.pins.clear();
    if (pinned.length === 0) return;
    await this.consumer.commitOffsets(pinned).catch((err) => {
      this.logger.debug({ source: this.name, err }, 'could not commit the starting offsets of a new group');
    });
  }

  private later(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
  }

  private partitionState(topic: string, partition: number): PartitionState {
    const k = key(topic, partition);
    let ps = this.partitions.get(k);
    if (ps === undefined) {
      ps = new PartitionState(topic, partition);
      this.partitions.set(k, ps);
    }
    return ps;
  }

  private async onBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, isRunning, isStale } = payload;
    const ps = this.partitionState(batch.topic, batch.partition);
    if (ps.paused) {
      ps.paused = false;
    }
    ps.highWatermark = BigInt(batch.highWatermark);
    const pauseAfter = this.options.pauseAfterMs ?? 1000;
    for (const message of batch.messages) {
      if (this.stopping || ps.revoked || !isRunning() || isStale()) return;
      const offset = BigInt(message.offset);
      if (ps.tracker.seen(offset)) {
        // Fetched again after a rejoin: it is already out (or acked and awaiting its commit).
        resolveOffset(message.offset);
        continue;
      }
      const waitStart = Date.now();
      while (ps.tracker.inFlight >= this.window || this.unackedTotal >= this.totalWindow) {
        if (Date.now() - waitStart >= pauseAfter) {
          // The window stays full (slow or failing subscriber): stop fetching this partition and
          // let the others go on; acks resume it.
          ps.paused = true;
          payload.pause();
          return;
        }
        await ps.waitForChange(Math.min(250, pauseAfter));
        if (this.stopping || ps.revoked || !isRunning()) return;
        await heartbeat();
      }
      const record = ps.tracker.register(offset);
      this.unackedTotal += 1;
      resolveOffset(message.offset);
      const decoded = recordToEvent(
        {
          topic: batch.topic,
          partition: batch.partition,
          offset: message.offset,
          key: message.key,
          value: message.value,
          headers: message.headers,
          timestamp: message.timestamp,
        },
        this.wrap,
      );
      if (decoded.wrapped && decoded.problem !== undefined) {
        this.logger.warn(
          { source: this.name, origin: origin(batch.topic, batch.partition, message), err: decoded.problem },
          'record claims to be a CloudEvent but is not a valid one; delivering it wrapped',
        );
      }
      this.hand(ps, record, decoded.event, origin(batch.topic, batch.partition, message), 0);
    }
  }

  /** Hands one record out; its ack/nack settle it once. */
  private hand(
    ps: PartitionState,
    record: TrackedRecord,
    event: MeshEvent,
    where: string,
    redeliveries: number,
  ) {
    let settled = false;
    ps.out += 1;
    const delivery: Delivery = {
      event,
      origin: where,
      redeliveries,
      ack: () => {
        if (settled) return;
        settled = true;
        ps.out -= 1;
        if (ps.revoked) return;
        ps.tracker.ack(record);
        this.unackedTotal -= 1;
        // When the shared window was full, every partition may be waiting on it.
        if (this.unackedTotal + 1 >= this.totalWindow)
          for (const other of this.partitions.values()) this.release(other);
        else this.release(ps);
      },
      nack: (reason, delayMs = 0) => {
        if (settled) return;
        settled = true;
        ps.out -= 1;
        if (ps.revoked) return;
        this.logger.debug({ source: this.name, origin: where, err: reason, delayMs }, 'delivery nacked');
        // The record keeps its window slot, so the partition's commit and (ordered) order wait for it.
        this.later(Math.max(0, delayMs), () => {
          if (!this.stopping && !ps.revoked) this.hand(ps, record, event, where, redeliveries + 1);
        });
      },
    };
    try {
      this.handler?.(delivery);
    } catch (err) {
      this.logger.error({ source: this.name, origin: where, err }, 'delivery handler threw; redelivering');
      delivery.nack(err instanceof Error ? err : new Error(String(err)), 1000);
    }
  }

  /** Wakes a partition waiting for a slot, and resumes it if it was paused and has room now. */
  private release(ps: PartitionState): void {
    ps.wake();
    if (ps.paused && ps.tracker.inFlight < this.window && this.unackedTotal < this.totalWindow) {
      ps.paused = false;
      this.consumer.resume([{ topic: ps.topic, partitions: [ps.partition] }]);
    }
  }

  /** Commits every partition's acked-contiguous position that moved since its last commit. */
  private commitAcked(): Promise<void> {
    this.committing ??= this.commitNow().finally(() => {
      this.committing = undefined;
    });
    return this.committing;
  }

  private async commitNow(): Promise<void> {
    const offsets: Array<{
      topic: string;
      partition: number;
      offset: string;
      ps: PartitionState;
      at: bigint;
    }> = [];
    for (const ps of this.partitions.values()) {
      const at = ps.tracker.pendingCommit();
      if (at !== undefined)
        offsets.push({ topic: ps.topic, partition: ps.partition, offset: String(at), ps, at });
    }
    if (offsets.length === 0) return;
    try {
      await this.consumer.commitOffsets(
        offsets.map(({ topic, partition, offset }) => ({ topic, partition, offset })),
      );
      for (const o of offsets) o.ps.tracker.committed(o.at);
      this.commitFailures = 0;
    } catch (err) {
      // Not fatal: the same positions are committed on the next round. Logged once per outage.
      this.commitFailures += 1;
      const fields = {
        source: this.name,
        err: toKafkaError(err, 'committing offsets'),
        failures: this.commitFailures,
      };
      if (this.commitFailures === 1)
        this.logger.warn(fields, 'offset commit failed; retrying on the next round');
      else this.logger.debug(fields, 'offset commit failed again');
    }
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.stopping = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const ps of this.partitions.values()) ps.wake();
    const deadline = Date.now() + (this.options.stopGraceMs ?? 5000);
    while (Date.now() < deadline && [...this.partitions.values()].some((ps) => ps.out > 0)) {
      await new Promise((r) => setTimeout(r, 20));
    }
    clearInterval(this.commitTimer);
    await this.commitAcked();
    await this.consumer.disconnect().catch((err) => {
      this.logger.warn({ source: this.name, err }, 'KafkaSource disconnect failed');
    });
    this.partitions.clear();
    this.unackedTotal = 0;
    this.running = false;
    this.state = { state: 'stopped' };
  }

  status(): ComponentStatus {
    return this.state;
  }

  /** Records not yet acked by this source: in flight plus what the broker holds beyond them. */
  backlog(): number {
    let n = 0;
    for (const ps of this.partitions.values()) {
      n += ps.tracker.inFlight;
      const next = ps.tracker.lastRegistered === undefined ? undefined : ps.tracker.lastRegistered + 1n;
      if (next !== undefined && ps.highWatermark > next) n += Number(ps.highWatermark - next);
    }
    return n;
  }
}

function origin(topic: string, partition: number, message: KafkaMessage): string {
  return `${topic}/${partition}@${message.offset}`;
}
