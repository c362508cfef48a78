import { describe, expect, it } from 'vitest';
import { checkAddress, hostToAddress } from '../../functions/core/network-policy.js';
import { presentedToken, tokenMatches } from '../../functions/core/auth.js';

describe('address policy', () => {
  it.each([
    '127.0.0.1', '127.1.2.3', '10.0.0.1', '172.16.5.4', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0',
    '224.0.0.1', '255.255.255.255', '::1', '::', 'fe80::1', 'fc00::1', 'fd12:3456::1', '::ffff:127.0.0.1', '::ffff:169.254.169.254',
    '::ffff:10.0.0.1', 'ff02::1', '64:ff9b::a9fe:a9fe', '2002:7f00:1::1',
  ])('blocks %s', (address) => {
    expect(checkAddress(address).allowed).toBe(false);
  });

  it.each(['93.184.215.14', '8.8.8.8', '2606:4700:4700::1111', '::ffff:8.8.8.8'])('allows %s', (address) => {
    expect(checkAddress(address)).toEqual({ allowed: true });
  });

  it('names the range it refused', () => {
    expect(checkAddress('169.254.169.254')).toEqual({ allowed: false, reason: '169.254.169.254 is in the linkLocal range' });
  });

  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['[::1]', '::1'],
    ['[::ffff:7f00:1]', '::ffff:7f00:1'],
    ['example.com', null],
  ])('reads literal hosts: %s', (host, address) => {
    expect(hostToAddress(host)).toBe(address);
  });
});

describe('connection token', () => {
  it.each([
    [{ token: 'abc' }, {}, 'abc'],
    [{}, { Authorization: 'Bearer xyz' }, 'xyz'],
    [{}, { authorization: 'bearer  xyz' }, 'xyz'],
    [{ token: 'q' }, { authorization: 'Bearer h' }, 'q'],
    [{}, { authorization: 'Basic abc' }, undefined],
    [null, null, undefined],
  ])('reads %o / %o', (query, headers, expected) => {
    expect(presentedToken(query, headers)).toBe(expected);
  });
  it('matches only the exact secret', () => {
    expect(tokenMatches('secret', 'secret')).toBe(true);
    expect(tokenMatches('secre', 'secret')).toBe(false);
    expect(tokenMatches(undefined, 'secret')).toBe(false);
    expect(tokenMatches('', '')).toBe(false);
  });
});
