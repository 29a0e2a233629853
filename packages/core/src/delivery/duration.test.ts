import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { parseIsoDuration } from './duration.js';

const DAY = 86_400_000;

describe('parseIsoDuration', () => {
  it.each([
    ['PT0.2S', 200],
    ['PT1S', 1000],
    ['PT0S', 0],
    ['PT1M30S', 90_000],
    ['PT1H', 3_600_000],
    ['PT1,5S', 1500],
    ['PT1.1S', 1100],
    ['PT0.0005S', 0.5],
    ['P1D', DAY],
    ['P1W', 7 * DAY],
    ['P1DT12H', 1.5 * DAY],
    ['P0.5D', 0.5 * DAY],
    ['P1Y', 365.2425 * DAY],
    ['P1M', (365.2425 * DAY) / 12],
    ['P1MT1M', (365.2425 * DAY) / 12 + 60_000],
    [' PT2S ', 2000],
  ])('%s is %d ms', (text, ms) => {
    expect(parseIsoDuration(text)).toBe(ms);
  });

  it.each([
    '',
    'P',
    'PT',
    'P1DT',
    '1S',
    'PT-1S',
    '-PT1S',
    'PT1.S',
    'PT.5S',
    'PT1S1M',
    'P1H',
    'PT1D',
    'PT1 S',
    '200ms',
    'PTS',
  ])('refuses %j with a ConfigError that quotes it', (text) => {
    expect(() => parseIsoDuration(text)).toThrow(ConfigError);
    expect(() => parseIsoDuration(text)).toThrow(JSON.stringify(text));
  });

  it('refuses a value that is not a string', () => {
    expect(() => parseIsoDuration(5 as unknown as string)).toThrow(/invalid ISO-8601 duration 5/);
  });
});
