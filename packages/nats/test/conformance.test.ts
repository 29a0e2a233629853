// The shared connector conformance suite on the local NATS server with JetStream: a stream per
// destination, a durable consumer per source, a stream per Broker for the channel.
import { connect, headers as natsHeaders, type NatsConnection } from 'nats';
import { beforeAll } from 'vitest';
import {
  type ConnectorFactory,
  describeConnectorConformance,
} from '../../../test/support/connector-conformance.js';
import { services, uniqueName } from '../../../test/support/services.js';
import { NatsChannel, NatsSink, NatsSource, jetStreamName } from '../src/index.js';

interface Dest {
  stream: string;
  subject: string;
}

let nc: NatsConnection;
const streams: string[] = [];

beforeAll(async () => {
  nc = await connect({ servers: services.natsUrl() });
});

const factory: ConnectorFactory<Dest> = {
  makeSink: (dest, { mode }) =>
    new NatsSink({ name: `sink-${dest.stream}`, servers: services.natsUrl(), subject: dest.subject, mode }),
  makeSource: (dest, { maxInFlight, ordered }) =>
    new NatsSource({
      name: `source-${dest.stream}`,
      servers: services.natsUrl(),
      stream: dest.stream,
      maxInFlight,
      ordered,
      stopGraceMs: 200,
      pullExpiresMs: 1000,
    }),
  makeChannel: () => {
    const stream = jetStreamName(uniqueName('BROKER'));
    streams.push(stream);
    return new NatsChannel({
      name: `default.${stream}`,
      servers: services.natsUrl(),
      stream,
      storage: 'memory',
      stopGraceMs: 200,
      pullExpiresMs: 1000,
    });
  },
  async publishRaw(dest, bytes, headers = {}) {
    const h = natsHeaders();
    for (const [k, v] of Object.entries(headers)) h.set(k, v);
    await nc.jetstream().publish(dest.subject, bytes, { headers: h });
  },
  async createDestination() {
    const stream = jetStreamName(uniqueName('CONF'));
    const jsm = await nc.jetstreamManager();
    await jsm.streams.add({ name: stream, subjects: [`${stream}.>`] });
    streams.push(stream);
    return { stream, subject: `${stream}.events` };
  },
  missingDestination: () => ({ stream: 'none', subject: `${jetStreamName(uniqueName('missing'))}.events` }),
  nameOf: (dest) => dest.subject,
  malformed: { kind: 'wrapped' },
  async cleanup() {
    const jsm = await nc.jetstreamManager();
    for (const s of streams) await jsm.streams.delete(s).catch(() => {});
    await nc.close();
  },
};

describeConnectorConformance('nats jetstream', factory);
