import { describe, expect, it } from 'vitest';
import { didYouMean, editDistance } from '../../src/config/did-you-mean.js';

describe('editDistance', () => {
  it.each([
    ['service', 'service', 0],
    ['sevice', 'service', 1],
    ['ordres', 'orders', 1],
    ['', 'abc', 3],
    ['kitten', 'sitting', 3],
  ])('%s → %s is %i', (a, b, expected) => {
    expect(editDistance(a, b)).toBe(expected);
    expect(editDistance(b, a)).toBe(expected);
  });
});

describe('didYouMean', () => {
  const keys = ['name', 'path', 'methods', 'service', 'stripPrefix', 'rewrite', 'timeout', 'websocket'];
  it.each([
    ['sevice', 'service'],
    ['methds', 'methods'],
    ['stripprefix', 'stripPrefix'],
    ['timout', 'timeout'],
    ['websockets', 'websocket'],
    ['pth', 'path'],
  ])('suggests %s → %s', (typo, expected) => {
    expect(didYouMean(typo, keys)).toBe(expected);
  });

  it.each(['foo', 'x', 'authorization'])('stays quiet for %s, which is close to nothing', (word) => {
    expect(didYouMean(word, keys)).toBeUndefined();
  });

  it('picks the closest of several', () => {
    expect(didYouMean('order', ['orders', 'ordering', 'users'])).toBe('orders');
  });
});
