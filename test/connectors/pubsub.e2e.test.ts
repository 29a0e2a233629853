/**
 * Google Pub/Sub end to end (issue 5) with `meshgate start` as a process and the Pub/Sub emulator:
 * @google-cloud/pubsub -> PubSubSource -> Broker (Pub/Sub topic) -> Trigger -> HTTP sink, and
 * HTTP ingress -> Broker -> Trigger -> PubSubSink (by ref) -> read back with the native client.
 */
import { type Message, PubSub } from '@google-cloud/pubsub';
import { afterAll, describe, expect, it } from 'vitest';
import { startSubscriber } from '../support/processes.js';
import { services, uniqueName } from '../support/services.js';
import { postEvent, RequestTally, renderConfig, sleep, startGateway } from './support.js';

const pubsub = new PubSub({
  projectId: services.pubsubProjectId(),
  apiEndpoint: services.pubsubEmulatorHost(),
  emulatorMode: true,
});
afterAll(async () => {
  await pubsub.close();
});

describe('Pub/Sub end to end', () => {
  it('native publish -> PubSubSource -> Broker -> Trigger -> HTTP sink, and HTTP -> Broker -> Trigger -> PubSubSink -> native pull', async () => {
    const [inTopic] = await pubsub.createTopic(uniqueName('e2e-ps-in'));
    const [outTopic] = await pubsub.createTopic(uniqueName('e2e-ps-out'));
    const [outSubscription] = await outTopic.createSubscription(uniqueName('e2e-ps-out-sub'));
    const received: Message[] = [];
    outSubscription.on('message', (m: Message) => {
      received.push(m);
      m.ack();
    });
    const http = await startSubscriber();
    const gw = await startGateway(
      renderConfig('pubsub.yaml', {
        project: services.pubsubProjectId(),
        emulator: services.pubsubEmulatorHost(),
        brokerTopic: uniqueName('e2e-ps-broker'),
        inTopic: inTopic.name.split('/').pop() as string,
        inSubscription: uniqueName('e2e-ps-in-sub'),
        outTopic: outTopic.name.split('/').pop() as string,
        httpUrl: http.url,
      }),
    );

    // In: a binary-mode CloudEvent (ce- attributes) published with the native client. The
    // source created its subscription at start, so the message is not missed.
    const data = Buffer.from([4, 5, 6, 0xff, 0]);
    await inTopic.publishMessage({
      data,
      attributes: {
        'ce-specversion': '1.0',
        'ce-id': 'p-in-1',
        'ce-type': 'com.example.in',
        'ce-source': '/e2e/pubsub',
        'content-type': 'application/octet-stream',
      },
    });
    const tally = new RequestTally(http);
    await tally.until((t) => t.ids.has('p-in-1'), 30_000, 'the event at the HTTP sink');
    const got = http.requests().find((r) => r.headers['ce-id'] === 'p-in-1');
    expect(got?.headers['ce-type']).toBe('com.example.in');
    expect(got?.headers['ce-source']).toBe('/e2e/pubsub');
    expect(got?.body.equals(data)).toBe(true);

    // Out: HTTP ingress to the Broker, delivered by a Trigger to the PubSubSink.
    const res = await postEvent(`${gw.url}/shop/default`, 'p-out-1', 'com.example.out', '{"n":1}');
    expect(res.status).toBe(202);
    const deadline = Date.now() + 30_000;
    while (received.length === 0 && Date.now() < deadline) await sleep(100);
    const message = received[0];
    if (!message) throw new Error('nothing arrived on the PubSubSink topic');
    expect(message.attributes['ce-id']).toBe('p-out-1');
    expect(message.attributes['ce-type']).toBe('com.example.out');
    expect(message.data.toString()).toBe('{"n":1}');
    expect(tally.update().ids.has('p-out-1')).toBe(false);
    expect(await gw.proc.stop('SIGTERM')).toBe(0);
    await outSubscription.close();
  });
});
