/**
 * NatsSink: writes events to a subject.
 * - JetStream (default): `send` resolves on the stream's PubAck. `Nats-Msg-Id` is set from the
 *   event's source and id, so the stream drops a duplicate sent within its duplicate window; a
 *   subject no stream captures is an error (`NOT_FOUND`), not silence.
 * - Core NATS (`jetstream: false`): at most once. `send` resolves once the server has read the
 *   message (a flush round trip), which says nothing about any subscriber receiving it.
 */
import { type ComponentStatus, MeshgateError, type MeshEvent, type Sink } from '@meshgate/core';
import { headers as natsHeaders, type MsgHdrs } from 'nats';
import { type ContentMode, type NatsHeaderRecord, toNatsMessage } from './binding.js';
import { NatsConnectionKeeper, type NatsServers } from './connection.js';
import { natsError } from './errors.js';
import { JetStreamPublisher } from './jetstream-publisher.js';

export interface NatsSinkOptions {
  name: string;
  servers: NatsServers;
  /** Target subject: fixed, or a function of the event. */
  subject: string | ((event: MeshEvent) => string);
  /** CloudEvents content mode; default `binary`. */
  mode?: ContentMode;
  /** Publish through JetStream and wait for the PubAck (default), or core NATS (at most once). */
  jetstream?: boolean;
  /** Structured mode for servers before 2.2: send no headers at all. Default false. */
  noHeaders?: boolean;
  /** How long to wait for a PubAck or a connection; default 10 s. */
  timeoutMs?: number;
}

/** The JetStream de-duplication id of an event: its source and id. */
export function natsMsgId(event: MeshEvent): string {
  return `${String(event.attributes.source ?? '')} ${String(event.attributes.id ?? '')}`;
}

export function toMsgHdrs(record: NatsHeaderRecord | undefined): MsgHdrs | undefined {
  if (record === undefined) return undefined;
  const h = natsHeaders();
  for (const k in record) h.set(k, record[k] as string);
  return h;
}

export class NatsSink implements Sink {
  readonly name: string;
  private readonly keeper: NatsConnectionKeeper;
  private readonly label: string;
  private closed = false;

  constructor(private readonly options: NatsSinkOptions) {
    this.name = options.name;
    this.label = `NatsSink ${options.name}`;
    this.keeper = new NatsConnectionKeeper({ servers: options.servers, label: this.label });
  }

  async send(event: MeshEvent): Promise<void> {
    if (this.closed) throw new MeshgateError('NOT_CONNECTED', `${this.label} is closed`);
    const subject =
      typeof this.options.subject === 'function' ? this.options.subject(event) : this.options.subject;
    const mode = this.options.mode ?? 'binary';
    const msg = toNatsMessage(event, mode, !(mode === 'structured' && this.options.noHeaders === true));
    const timeout = this.options.timeoutMs ?? 10_000;
    const nc = this.keeper.ready() ?? (await this.keeper.connected(timeout));
    const headers = toMsgHdrs(msg.headers);
    if (this.options.jetstream === false) {
      try {
        nc.publish(subject, msg.data, headers === undefined ? {} : { headers });
        await nc.flush();
      } catch (err) {
        throw natsError(this.label, `subject "${subject}"`, err);
      }
      return;
    }
    try {
      await JetStreamPublisher.of(nc).publish(subject, msg.data, {
        headers,
        msgID: natsMsgId(event),
        timeoutMs: timeout,
      });
    } catch (err) {
      throw natsError(this.label, `subject "${subject}"`, err);
    }
  }

  status(): ComponentStatus {
    return this.closed ? { state: 'stopped' } : this.keeper.status();
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.keeper.close();
  }
}
