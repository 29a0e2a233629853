/**
 * Knative's delivery contract end to end: a gateway (in this process) delivering over real HTTP
 * to subscribers that are separate processes.
 */
import { describe, expect, it } from 'vitest';
import { brokerYaml, postEvent, startGateway, triggerYaml } from './support/gateway.js';
import { startSubscriber } from './support/processes.js';

describe('delivery to subscribers in other processes', () => {
  it('retries a subscriber that fails with 503, then delivers', async () => {
    const sub = await startSubscriber(['--fail', '2:503']);
    const gw = await startGateway(
      brokerYaml('retry: 3\nbackoffPolicy: linear\nbackoffDelay: PT0.05S') + triggerYaml('t', sub.url),
    );
    expect((await postEvent(`${gw.url}/test/default`, { type: 'x', id: 'e1' })).status).toBe(202);
    await expect
      .poll(() => sub.requests().map((r) => r.status), { timeout: 10_000 })
      .toEqual([503, 503, 202]);
    expect(sub.requests().every((r) => r.headers['ce-id'] === 'e1')).toBe(true);
    expect(sub.requests()[0]?.headers['kn-namespace']).toBe('test');
    expect(sub.requests()[0]?.headers.prefer).toBe('reply');
  });

  it('honours Retry-After on 429 up to retryAfterMax', async () => {
    const sub = await startSubscriber(['--fail', '1:429', '--retry-after', '1']);
    const gw = await startGateway(
      brokerYaml('retry: 2\nbackoffPolicy: linear\nbackoffDelay: PT0.01S\nretryAfterMax: PT5S') +
        triggerYaml('t', sub.url),
    );
    await postEvent(`${gw.url}/test/default`, { type: 'x' });
    await expect.poll(() => sub.requests().length, { timeout: 10_000 }).toBe(2);
    const [first, second] = sub.requests();
    // Our own backoff is 10 ms; only Retry-After explains a gap of about a second.
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(900);
  });

  it('gives up on a subscriber that times out and dead-letters with the knativeerror extensions', async () => {
    const slow = await startSubscriber(['--delay-ms', '3000']);
    const dls = await startSubscriber();
    const gw = await startGateway(
      brokerYaml(`retry: 1\nbackoffDelay: PT0.05S\ntimeout: PT0.3S\ndeadLetterSink:\n  uri: ${dls.url}`) +
        triggerYaml('t', slow.url),
    );
    await postEvent(`${gw.url}/test/default`, { type: 'x', id: 'late' });
    await expect.poll(() => dls.requests().length, { timeout: 10_000 }).toBe(1);
    const dead = dls.requests()[0];
    expect(dead?.headers['ce-id']).toBe('late');
    expect(dead?.headers['ce-knativeerrordest']).toBe(slow.url);
    expect(dead?.headers['ce-knativeerrorcode']).toBeDefined();
    expect(dead?.headers['ce-knativeerrordata']).toBeDefined();
  });

  it('dead-letters after a final 5xx with code and response body', async () => {
    const bad = await startSubscriber(['--fail', '100:500']);
    const dls = await startSubscriber();
    const gw = await startGateway(
      brokerYaml(`retry: 2\nbackoffDelay: PT0.01S\ndeadLetterSink:\n  uri: ${dls.url}`) +
        triggerYaml('t', bad.url),
    );
    await postEvent(`${gw.url}/test/default`, { type: 'x', id: 'doomed' });
    await expect.poll(() => dls.requests().length, { timeout: 10_000 }).toBe(1);
    expect(bad.requests()).toHaveLength(3);
    const dead = dls.requests()[0];
    expect(dead?.headers['ce-knativeerrorcode']).toBe('500');
    expect(decodeURIComponent(String(dead?.headers['ce-knativeerrordest']))).toBe(bad.url);
    // The dead-letter sink logs the request before the gateway has read its answer: wait for it.
    const trigger = () => gw.gateway.routerForTests.listTriggers()[0];
    await expect.poll(() => trigger()?.counters.deadLettered, { timeout: 5_000 }).toBe(1);
    expect(trigger()?.counters.retried).toBe(2);
  });

  it('puts a reply back into the Broker, where a second Trigger receives it', async () => {
    const replier = await startSubscriber(['--reply-type', 'com.example.answer']);
    const second = await startSubscriber();
    const gw = await startGateway(
      brokerYaml() +
        triggerYaml('asks', replier.url, 'filter:\n  attributes:\n    type: com.example.question') +
        triggerYaml('answers', second.url, 'filter:\n  attributes:\n    type: com.example.answer'),
    );
    await postEvent(`${gw.url}/test/default`, { type: 'com.example.question', id: 'q1' });
    await expect.poll(() => second.requests().length, { timeout: 10_000 }).toBe(1);
    const answer = second.requests()[0];
    expect(answer?.headers['ce-type']).toBe('com.example.answer');
    expect(JSON.parse(answer?.body.toString() ?? '{}')).toEqual({ repliedTo: 'q1' });
    expect(replier.requests()).toHaveLength(1); // the reply did not loop back to the asker
  });

  it('does not let a stuck subscriber slow a healthy one', async () => {
    const stuck = await startSubscriber(['--delay-ms', '20000']);
    const healthy = await startSubscriber();
    const gw = await startGateway(
      brokerYaml('retry: 0\ntimeout: PT30S') +
        triggerYaml('stuck', stuck.url).replace(
          'name: stuck',
          'name: stuck\n  annotations:\n    meshgate.io/max-in-flight: "2"',
        ) +
        triggerYaml('healthy', healthy.url),
    );
    for (let i = 0; i < 50; i++)
      expect((await postEvent(`${gw.url}/test/default`, { type: 'x', id: `n${i}` })).status).toBe(202);
    await expect.poll(() => healthy.requests().length, { timeout: 10_000 }).toBe(50);
    expect(stuck.requests().length).toBeLessThanOrEqual(2);
    const stuckTrigger = gw.gateway.routerForTests.listTriggers().find((t) => t.definition.name === 'stuck');
    expect(stuckTrigger?.subscription?.backlog()).toBe(50);
  });
});
