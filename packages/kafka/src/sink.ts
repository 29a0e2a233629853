/**
 * KafkaSink: writes events to one topic. `send` resolves only once the broker acknowledged the
 * record from all in-sync replicas (acks=all, idempotent producer), and rejects with a
 * MeshgateError whose `retriable` says whether trying again may help.
 *
 * Sends are batched naturally: while one produce request is in flight, the next events queue up
 * and go together in the following request, so a busy sink makes few large requests and an idle
 * one adds no latency.
 */
import {
  type ComponentStatus,
  type MeshEvent,
  MeshgateError,
  type Sink,
  validateEvent,
} from '@meshgate/core';
import type { Admin, Producer } from 'kafkajs';
import { type ContentMode, eventToRecord, type OutgoingRecord } from './binding.js';
import { ACKS_ALL, type ConnectorLogger, type KafkaClient, silentConnectorLogger } from './client.js';
import { toKafkaError, unknownTopicError } from './errors.js';

export interface KafkaSinkOptions {
  name: string;
  client: KafkaClient;
  topic: string;
  /** Binary (default): attributes as `ce_` headers; structured: the JSON event as the value. */
  contentMode?: ContentMode;
  /** Use the `partitionkey` extension as the record key (per-key order). Default false. */
  keyFromPartitionKey?: boolean;
  /** Records larger than this are refused before they reach the broker. Default 1 MiB. */
  maxRecordBytes?: number;
  /** Most records in one produce request. Default 500. */
  maxBatchRecords?: number;
  logger?: ConnectorLogger;
}

interface Pending {
  record: OutgoingRecord;
  resolve(): void;
  reject(err: MeshgateError): void;
}

export class KafkaSink implements Sink {
  readonly name: string;
  private readonly topic: string;
  private readonly mode: ContentMode;
  private readonly keyFromPartitionKey: boolean;
  private readonly maxRecordBytes: number;
  private readonly maxBatch: number;
  private readonly logger: ConnectorLogger;
  private readonly producer: Producer;
  private readonly admin: Admin;
  /** The cluster, as errors name it (`connection shop/kafka`). */
  private readonly cluster: string;
  private connecting: Promise<void> | undefined;
  private topicChecked = false;
  private checking: Promise<void> | undefined;
  private queue: Pending[] = [];
  private flushing = false;
  private closed = false;
  private state: ComponentStatus = { state: 'starting', reason: 'not connected yet' };

  constructor(options: KafkaSinkOptions) {
    this.name = options.name;
    this.topic = options.topic;
    this.mode = options.contentMode ?? 'binary';
    this.keyFromPartitionKey = options.keyFromPartitionKey ?? false;
    this.maxRecordBytes = options.maxRecordBytes ?? 1024 * 1024;
    this.maxBatch = options.maxBatchRecords ?? 500;
    this.logger = options.logger ?? silentConnectorLogger;
    this.producer = options.client.producer({ allowAutoTopicCreation: false });
    this.admin = options.client.admin();
    this.cluster = options.client.label;
    this.producer.on(this.producer.events.DISCONNECT, () => {
      if (!this.closed) this.state = { state: 'degraded', reason: 'disconnected from Kafka' };
    });
  }

  /** Connects and checks that the topic exists; `send` does this on first use. */
  async connect(): Promise<void> {
    this.connecting ??= (async () => {
      await Promise.all([this.producer.connect(), this.admin.connect()]);
    })().catch((err) => {
      this.connecting = undefined;
      const error = toKafkaError(err, `KafkaSink '${this.name}' on ${this.cluster} connecting`, this.topic);
      this.state = { state: 'degraded', reason: error.message };
      throw error;
    });
    await this.connecting;
    await this.checkTopic();
    this.state = { state: 'ready' };
  }

  /**
   * Topic auto-creation is off: refuse clearly instead of waiting out kafkajs' metadata retries.
   * Concurrent first sends share one check.
   */
  private checkTopic(): Promise<void> {
    if (this.topicChecked) return Promise.resolve();
    this.checking ??= this.admin
      .listTopics()
      .then(
        (topics) => {
          if (!topics.includes(this.topic)) throw unknownTopicError(this.topic);
          this.topicChecked = true;
        },
        (err: unknown) => {
          throw toKafkaError(err, `KafkaSink '${this.name}' on ${this.cluster} listing topics`, this.topic);
        },
      )
      .finally(() => {
        this.checking = undefined;
      });
    return this.checking;
  }

  async send(event: MeshEvent): Promise<void> {
    if (this.closed) throw new MeshgateError('NOT_CONNECTED', `KafkaSink '${this.name}' is closed`);
    validateEvent(event);
    const record = eventToRecord(event, { mode: this.mode, keyFromPartitionKey: this.keyFromPartitionKey });
    const size = (record.value?.byteLength ?? 0) + (record.key?.byteLength ?? 0) + headerBytes(record);
    if (size > this.maxRecordBytes) {
      throw new MeshgateError(
        'PAYLOAD_TOO_LARGE',
        `event ${String(event.attributes.id)} is ${size} bytes as a Kafka record; KafkaSink '${this.name}' accepts at most ${this.maxRecordBytes}`,
      );
    }
    if (!this.topicChecked) await this.connect();
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ record, resolve, reject });
      if (!this.flushing) void this.flush();
    });
  }

  /** Sends what queued up, one produce request at a time, until the queue is empty. */
  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch);
        await this.produce(batch);
      }
    } finally {
      this.flushing = false;
    }
  }

  private async produce(batch: Pending[]): Promise<void> {
    try {
      await this.producer.send({
        topic: this.topic,
        acks: ACKS_ALL,
        messages: batch.map((p) => p.record),
      });
      this.state = { state: 'ready' };
      for (const p of batch) p.resolve();
    } catch (err) {
      const error = toKafkaError(
        err,
        `KafkaSink '${this.name}' on ${this.cluster} writing to topic '${this.topic}'`,
        this.topic,
      );
      if (error.code === 'NOT_FOUND') this.topicChecked = false;
      if (error.code === 'NOT_CONNECTED') this.state = { state: 'degraded', reason: error.message };
      // One bad record must not fail its neighbours: retry a failed batch one record at a time.
      if (!error.retriable && batch.length > 1) {
        for (const p of batch) await this.produce([p]);
        return;
      }
      this.logger.warn({ err: error, topic: this.topic, records: batch.length }, 'Kafka write failed');
      for (const p of batch) p.reject(error);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    while (this.flushing) await new Promise((r) => setTimeout(r, 10));
    await Promise.allSettled([this.producer.disconnect(), this.admin.disconnect()]);
    this.state = { state: 'stopped' };
  }

  status(): ComponentStatus {
    return this.state;
  }
}

function headerBytes(record: OutgoingRecord): number {
  let n = 0;
  for (const [k, v] of Object.entries(record.headers)) n += k.length + v.length;
  return n;
}
