import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { makeEvent } from '../event/mesh-event.js';
import {
  assertGatewayId,
  canForward,
  DEFAULT_MAX_HOPS,
  HOPS_ATTRIBUTE,
  hopCount,
  ROUTE_ATTRIBUTE,
  recordHop,
  routeTargets,
  TARGETS_ATTRIBUTE,
  visited,
  withoutFederationAttributes,
  withoutTargets,
  withTargets,
} from './route.js';

const event = makeEvent({ specversion: '1.0', id: '1', source: '/s', type: 't' }, 'x');

describe('route extension', () => {
  it('records each hop in order, with the hop count', () => {
    const a = recordHop(event, 'east');
    const b = recordHop(a, 'west');
    expect(visited(event)).toEqual([]);
    expect(hopCount(event)).toBe(0);
    expect(b.attributes[ROUTE_ATTRIBUTE]).toBe('east,west');
    expect(b.attributes[HOPS_ATTRIBUTE]).toBe(2);
    expect(visited(b)).toEqual(['east', 'west']);
    expect(hopCount(b)).toBe(2);
    expect(b.data).toBe(event.data);
    expect(event.attributes[ROUTE_ATTRIBUTE]).toBeUndefined();
  });

  it('reads the hop count as a header string, and never below the route length', () => {
    const fromHeaders = makeEvent({ ...event.attributes, [ROUTE_ATTRIBUTE]: 'a,b', [HOPS_ATTRIBUTE]: '5' });
    expect(hopCount(fromHeaders)).toBe(5);
    const reset = makeEvent({ ...event.attributes, [ROUTE_ATTRIBUTE]: 'a,b,c', [HOPS_ATTRIBUTE]: '0' });
    expect(hopCount(reset)).toBe(3);
    const garbage = makeEvent({ ...event.attributes, [HOPS_ATTRIBUTE]: 'lots' });
    expect(hopCount(garbage)).toBe(0);
  });

  it('ignores route tokens that are not gateway ids', () => {
    const odd = makeEvent({ ...event.attributes, [ROUTE_ATTRIBUTE]: 'a,,B AD,c' });
    expect(visited(odd)).toEqual(['a', 'c']);
  });

  it('never forwards to a gateway on the route', () => {
    const e = recordHop(recordHop(event, 'a'), 'b');
    expect(canForward(e, 'a')).toBe(false);
    expect(canForward(e, 'b')).toBe(false);
    expect(canForward(e, 'c')).toBe(true);
  });

  it('never forwards beyond maxHops links', () => {
    let e = event;
    for (let i = 0; i < DEFAULT_MAX_HOPS - 1; i++) e = recordHop(e, `g${i}`);
    expect(canForward(e, 'next')).toBe(true);
    e = recordHop(e, 'last');
    expect(hopCount(e)).toBe(DEFAULT_MAX_HOPS);
    expect(canForward(e, 'next')).toBe(false);
    expect(canForward(recordHop(event, 'a'), 'b', 1)).toBe(false);
  });

  it('carries targets and strips every federation attribute on request', () => {
    expect(routeTargets(event)).toBeUndefined();
    const t = recordHop(withTargets(event, ['b', 'c']), 'a');
    expect(t.attributes[TARGETS_ATTRIBUTE]).toBe('b,c');
    expect(routeTargets(t)).toEqual(['b', 'c']);
    expect(routeTargets(withTargets(event, []))).toEqual([]);
    expect(withoutTargets(t).attributes[TARGETS_ATTRIBUTE]).toBeUndefined();
    expect(visited(withoutTargets(t))).toEqual(['a']);
    expect(withoutTargets(event)).toBe(event);
    const clean = withoutFederationAttributes(t);
    expect(clean.attributes).toEqual(event.attributes);
    expect(withoutFederationAttributes(event)).toBe(event);
  });

  it('refuses a gateway id that could corrupt the route', () => {
    expect(assertGatewayId('gateway-east.eu1')).toBe('gateway-east.eu1');
    for (const bad of ['', 'a,b', 'East', '-a', 'a-', 'x'.repeat(64), 42]) {
      expect(() => assertGatewayId(bad)).toThrow(ConfigError);
    }
    expect(() => recordHop(event, 'a,b')).toThrow(/gateway id/);
  });
});
