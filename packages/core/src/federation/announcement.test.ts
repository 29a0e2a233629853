import { describe, expect, it } from 'vitest';
import { makeEvent } from '../event/mesh-event.js';
import { ANNOUNCEMENT_PROTOCOL, InvalidAnnouncementError, parseAnnouncement } from './announcement.js';

const valid = () => ({
  protocol: ANNOUNCEMENT_PROTOCOL,
  gatewayId: 'west',
  epoch: 'e1',
  version: 3,
  brokers: [
    {
      namespace: 'default',
      name: 'orders',
      gateways: [
        { path: ['west'], filters: [{ filter: { attributes: { type: 'order.created' } } }] },
        { path: ['west', 'far'], acceptsAll: true, filters: [] },
        { path: ['west', 'sql'], filters: [{ filters: [{ cesql: "subject LIKE 'eu-%'" }] }] },
      ],
    },
  ],
});

function issuesOf(input: unknown, maxHops?: number): string[] {
  try {
    parseAnnouncement(input, maxHops);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidAnnouncementError);
    expect((err as InvalidAnnouncementError).code).toBe('EVENT_INVALID');
    return (err as InvalidAnnouncementError).issues.map((i) => i.path);
  }
  throw new Error('expected the announcement to be refused');
}

describe('parseAnnouncement', () => {
  it('compiles every filter of a valid announcement, JSON round trip included', () => {
    const parsed = parseAnnouncement(JSON.parse(JSON.stringify(valid())));
    const gateways = parsed.brokers[0]?.gateways ?? [];
    expect(gateways.map((g) => g.compiled.length)).toEqual([1, 0, 1]);
    expect(gateways[1]?.acceptsAll).toBe(true);
    const e = makeEvent({
      specversion: '1.0',
      id: '1',
      source: '/s',
      type: 'order.created',
      subject: 'eu-1',
    });
    expect(gateways[0]?.compiled[0]?.matches(e)).toBe(true);
    expect(gateways[2]?.compiled[0]?.matches(e)).toBe(true);
  });

  it('names the field of every structural problem', () => {
    const bad = valid() as Record<string, unknown>;
    bad.protocol = 2;
    bad.gatewayId = 'Not,An,Id';
    bad.version = -1;
    expect(issuesOf(bad)).toEqual(expect.arrayContaining(['protocol', 'gatewayId', 'version']));
    expect(issuesOf('nope')).toEqual(['(root)']);
  });

  it('refuses paths that do not start at the announcer, repeat a gateway or are too long', () => {
    const a = valid();
    const gateways = a.brokers[0]!.gateways;
    gateways[0]!.path = ['other'];
    gateways[1]!.path = ['west', 'west'];
    gateways[2]!.path = ['west', 'a', 'b'];
    expect(issuesOf(a, 2)).toEqual([
      'brokers[0].gateways[0].path[0]',
      'brokers[0].gateways[1].path',
      'brokers[0].gateways[2].path',
    ]);
  });

  it('refuses a Broker or an interested gateway listed twice', () => {
    const a = valid();
    const broker = a.brokers[0]!;
    broker.gateways[2]!.path = ['west', 'far'];
    a.brokers.push({ ...broker, gateways: [] });
    expect(issuesOf(a)).toEqual(['brokers[0].gateways[2].path', 'brokers[1]']);
  });

  it('refuses a filter that does not compile, with its path', () => {
    const a = valid();
    a.brokers[0]!.gateways[2]!.filters = [{ filters: [{ cesql: 'subject LIKE' }] }];
    expect(issuesOf(a)[0]).toMatch(/^brokers\[0\]\.gateways\[2\]\.filters\[0\]\.filters\[0\]\.cesql/);
  });
});
