/**
 * The read-only admin API (`/api/v1/...`): the loaded Brokers and Triggers with their status
 * and counters, as JSON.
 */
import type { ServerResponse } from 'node:http';
import type { BrokerRuntime, Router, TriggerRuntime } from '@meshgate/core';
import { sendError, sendJson } from './respond.js';

export function brokerView(b: BrokerRuntime, triggers: TriggerRuntime[]) {
  return {
    namespace: b.definition.namespace,
    name: b.definition.name,
    channel: { kind: b.channel.kind, durable: b.channel.durable },
    status: b.channel.status(),
    counters: b.counters,
    triggers: triggers.filter((t) => t.channel === b.channel).map((t) => t.definition.name),
  };
}

export function triggerView(t: TriggerRuntime) {
  const d = t.definition;
  return {
    namespace: d.namespace,
    name: d.name,
    broker: d.broker,
    subscriber: d.subscriberUrl,
    filter: d.filter,
    status: t.lastError ? { state: 'ready', lastError: t.lastError } : { state: 'ready' },
    counters: { ...t.counters, backlog: t.subscription?.backlog() },
  };
}

export function handleAdmin(path: string, res: ServerResponse, router: Router) {
  const parts = path.split('/').filter(Boolean); // api v1 <resource> [ns] [name]
  const resource = parts[2];
  const triggers = router.listTriggers();
  if (resource === 'brokers') {
    const all = router.listBrokers().map((b) => brokerView(b, triggers));
    if (parts.length === 3) return sendJson(res, 200, { items: all });
    const one = all.find((b) => b.namespace === parts[3] && b.name === parts[4]);
    return one
      ? sendJson(res, 200, one)
      : sendError(res, 404, 'NOT_FOUND', `no broker ${parts[3]}/${parts[4]}`);
  }
  if (resource === 'triggers') {
    const all = triggers.map(triggerView);
    if (parts.length === 3) return sendJson(res, 200, { items: all });
    const one = all.find((t) => t.namespace === parts[3] && t.name === parts[4]);
    return one
      ? sendJson(res, 200, one)
      : sendError(res, 404, 'NOT_FOUND', `no trigger ${parts[3]}/${parts[4]}`);
  }
  sendError(res, 404, 'NOT_FOUND', `no admin resource ${path}; try /api/v1/brokers or /api/v1/triggers`);
}
