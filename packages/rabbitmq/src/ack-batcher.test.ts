import type { Channel, Message } from 'amqplib';
import { describe, expect, it } from 'vitest';
import { AckBatcher } from './ack-batcher.js';

function fakeChannel() {
  const sent: Array<[number, boolean]> = [];
  const channel = {
    ack: (msg: Message, multiple?: boolean) => sent.push([msg.fields.deliveryTag, multiple === true]),
  } as unknown as Channel;
  return { channel, sent };
}
const msg = (tag: number) => ({ fields: { deliveryTag: tag } }) as Message;

describe('AckBatcher', () => {
  it('sends one multiple ack for a contiguous run', () => {
    const { channel, sent } = fakeChannel();
    const b = new AckBatcher(channel);
    for (const t of [3, 1, 2]) b.ack(msg(t));
    b.flush();
    expect(sent).toEqual([[3, true]]);
  });

  it('acks above a gap one by one, and never re-acks them in a later multiple ack', () => {
    const { channel, sent } = fakeChannel();
    const b = new AckBatcher(channel);
    b.ack(msg(1));
    b.ack(msg(3));
    b.flush();
    expect(sent).toEqual([
      [1, false],
      [3, false],
    ]);
    b.ack(msg(2));
    b.ack(msg(4));
    b.flush();
    expect(sent.slice(2)).toEqual([[4, true]]);
  });

  it('steps over nacked tags but ends the multiple ack on the last acked one', () => {
    const { channel, sent } = fakeChannel();
    const b = new AckBatcher(channel);
    b.ack(msg(1));
    b.settledOtherwise(2);
    b.flush();
    expect(sent).toEqual([[1, false]]);
    b.settledOtherwise(3);
    b.flush();
    expect(sent).toEqual([[1, false]]);
    b.ack(msg(5));
    b.ack(msg(4));
    b.flush();
    expect(sent.slice(1)).toEqual([[5, true]]);
  });
});
