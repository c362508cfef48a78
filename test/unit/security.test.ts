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

  // IPv6 forms that carry an IPv4 address. ipaddr.js calls IPv4-compatible (::/96) 'unicast';
  // the others it names, and each is refused whether the embedded address is private or not.
  it.each([
    ['IPv4-compatible, metadata service', '::a9fe:a9fe'],
    ['IPv4-compatible, loopback', '::7f00:1'],
    ['IPv4-compatible, dotted', '::10.0.0.1'],
    ['IPv4-compatible, public', '::808:808'],
    ['IPv4-compatible, dotted public (ipaddr.js reads it as mapped)', '::8.8.8.8'],
    ['IPv4-compatible, dotted metadata service', '::169.254.169.254'],
    ['IPv4-compatible with a zone', '::7f00:1%eth0'],
    ['IPv4-translated (RFC 6145), metadata service', '::ffff:0:a9fe:a9fe'],
    ['IPv4-translated, loopback', '::ffff:0:127.0.0.1'],
    ['NAT64 well-known prefix, loopback', '64:ff9b::7f00:1'],
    ['NAT64 well-known prefix, public', '64:ff9b::808:808'],
    ['NAT64 local-use prefix, metadata service', '64:ff9b:1::a9fe:a9fe'],
    ['6to4, metadata service', '2002:a9fe:a9fe::1'],
    ['6to4, private', '2002:a00:1::1'],
    ['Teredo, client 127.0.0.1 (obfuscated)', '2001:0:4136:e378:8000:63bf:80ff:fffe'],
    ['Teredo, server 10.0.0.1', '2001:0:a00:1::1'],
    ['outside 2000::/3, unassigned', '4000::1'],
    ['reserved ::/8', '::2'],
  ])('blocks %s: %s', (_name, address) => {
    expect(checkAddress(address).allowed).toBe(false);
  });

  it('names why an IPv4-compatible address is refused', () => {
    expect(checkAddress('::7f00:1')).toEqual({ allowed: false, reason: '::7f00:1 is in the ipv4Compatible range (embeds 127.0.0.1)' });
  });

  it.each(['[::a9fe:a9fe]', '[::127.0.0.1]', '[::ffff:0:127.0.0.1]'])('refuses the URL host %s', (host) => {
    const address = hostToAddress(new URL(`http://${host}/`).hostname);
    expect(address).not.toBeNull();
    expect(checkAddress(address!).allowed).toBe(false);
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
