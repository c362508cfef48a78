// Local mode (ALLOW_PRIVATE_TARGETS) lets the browser reach test sites on loopback and private
// networks, and nothing else a developer's machine exposes: not link-local space and the cloud
// metadata services, not the stack's own emulators and gateway (by port, on any of this machine's
// addresses).
import { describe, expect, it } from 'vitest';
import { checkEndpoint, checkLocalAddress, type OwnEndpoints } from '../../functions/core/network-policy.js';
import { hostCheck, localStackHostCheck, ownEndpointsOf } from '../../functions/adapters/browser/egress-policy.js';
import { localStackGuard } from '../../functions/adapters/browser/request-guard.js';

describe('local-mode address policy', () => {
  it.each(['127.0.0.1', '127.1.2.3', '10.0.0.1', '172.17.0.1', '192.168.1.1', '100.64.0.1', '::1', 'fd12:3456::1', '::ffff:127.0.0.1', '::ffff:10.0.0.1', '8.8.8.8', '2606:4700:4700::1111'])(
    'allows %s',
    (address) => {
      expect(checkLocalAddress(address)).toEqual({ allowed: true });
    },
  );

  it.each([
    ['169.254.169.254', /cloud metadata/],
    ['169.254.170.2', /cloud metadata/],
    ['::ffff:169.254.169.254', /cloud metadata/],
    ['::ffff:a9fe:a9fe', /cloud metadata/],
    ['169.254.1.1', /linkLocal/],
    ['::ffff:169.254.1.1', /linkLocal/],
    ['fe80::1', /linkLocal/],
    ['fd00:ec2::254', /cloud metadata/],
    ['fd00:ec2:0:0:0:0:0:254', /cloud metadata/],
    ['100.100.100.200', /cloud metadata/],
    ['192.0.0.192', /cloud metadata/],
    ['0.0.0.0', /unspecified/],
    ['::', /unspecified/],
    ['224.0.0.1', /multicast/],
    ['ff02::1', /multicast/],
    ['255.255.255.255', /broadcast/],
    ['240.0.0.1', /reserved/],
    ['64:ff9b::a9fe:a9fe', /rfc6052/],
    ['2002:a9fe:a9fe::1', /6to4/],
    ['::169.254.169.254', /ipv4Compatible/],
    ['not-an-address', /not an IP address/],
  ])('refuses %s', (address, reason) => {
    const verdict = checkLocalAddress(address);
    expect(verdict.allowed).toBe(false);
    expect(!verdict.allowed && verdict.reason).toMatch(reason);
  });
});

describe("the stack's own services", () => {
  const own: OwnEndpoints = ownEndpointsOf(['http://127.0.0.1:8000', 'http://127.0.0.1:4566/', 'http://10.1.2.3:9000', undefined, 'not a url'], {
    eth0: [{ address: '192.168.7.7', netmask: '255.255.255.0', family: 'IPv4', mac: '00:00:00:00:00:00', internal: false, cidr: '192.168.7.7/24' }],
  });

  it('takes the ports of the endpoints, the addresses they name and the interfaces', () => {
    expect([...own.ports].sort()).toEqual([4566, 8000, 9000]);
    expect(own.addresses.has('127.0.0.1') && own.addresses.has('10.1.2.3') && own.addresses.has('192.168.7.7')).toBe(true);
  });

  it.each([
    ['127.0.0.1', 8000],
    ['127.0.0.2', 4566],
    ['::1', 8000],
    ['::ffff:127.0.0.1', 9000],
    ['0.0.0.0', 8000],
    ['192.168.7.7', 4566],
    ['10.1.2.3', 9000],
  ])('refuses %s:%i', (address, port) => {
    const verdict = checkEndpoint(address, port, own);
    expect(verdict).toEqual({ allowed: false, reason: `${address}:${port} is one of the stack's own services` });
  });

  it.each([
    ['127.0.0.1', 8001],
    ['10.9.9.9', 8000],
    ['8.8.8.8', 4566],
  ])('allows %s:%i (another port, or another machine)', (address, port) => {
    expect(checkEndpoint(address, port, own)).toEqual({ allowed: true });
  });

  it('applies to names by what they resolve to, and only when the port is known', async () => {
    const hosts = localStackHostCheck(own, async (name) => (name === 'dynamo.test' ? ['127.0.0.1'] : name === 'meta.test' ? ['169.254.169.254'] : ['127.0.0.1']));
    expect(await hosts('dynamo.test', 8000)).toMatchObject({ allowed: false, reason: "127.0.0.1:8000 is one of the stack's own services" });
    expect(await hosts('dynamo.test', 8080)).toEqual({ allowed: true, addresses: ['127.0.0.1'] });
    expect(await hosts('meta.test', 80)).toMatchObject({ allowed: false, reason: expect.stringMatching(/cloud metadata/) });
    expect(await hosts('[::1]', 4566)).toMatchObject({ allowed: false });
    // The plain host check knows no ports.
    expect(await hostCheck(async () => ['127.0.0.1'], () => ({ allowed: true }))('dynamo.test', 8000)).toMatchObject({ allowed: true });
  });

  it('the local guard reads the port from the URL (defaults included)', async () => {
    const guard = localStackGuard(ownEndpointsOf(['http://127.0.0.1:80'], {}), async () => ['127.0.0.1']);
    expect(await guard('http://127.0.0.1/')).toMatchObject({ allowed: false });
    expect(await guard('http://127.0.0.1:80/x')).toMatchObject({ allowed: false });
    expect(await guard('https://127.0.0.1/')).toEqual({ allowed: true });
    expect(await guard('http://127.0.0.1:8081/')).toEqual({ allowed: true });
    expect(await guard('http://169.254.169.254/latest/meta-data/')).toMatchObject({ allowed: false, reason: expect.stringMatching(/cloud metadata/) });
    expect(await guard('http://169.254.1.1/')).toMatchObject({ allowed: false, reason: expect.stringMatching(/linkLocal/) });
    expect(await guard('http://[fd00:ec2::254]/')).toMatchObject({ allowed: false, reason: expect.stringMatching(/cloud metadata/) });
  });
});
