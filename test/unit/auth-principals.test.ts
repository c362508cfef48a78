import { describe, expect, it } from 'vitest';
import { clientTokens, principalFor, SHARED_TOKEN_PRINCIPAL } from '../../functions/core/auth.js';
import { isVisibleTo, ownerFor } from '../../functions/core/job.js';

describe('principals of the connection secret', () => {
  it('gives every holder of a single shared token one principal', () => {
    expect(clientTokens('s3cret')).toEqual([{ principal: SHARED_TOKEN_PRINCIPAL, token: 's3cret' }]);
    expect(principalFor('s3cret', 's3cret')).toBe(SHARED_TOKEN_PRINCIPAL);
    expect(principalFor('s3cre', 's3cret')).toBeUndefined();
  });

  it('names each client of a JSON secret by its own token', () => {
    const secret = JSON.stringify({ alice: 'token-a', bob: 'token-b', empty: '', odd: 5 });
    expect(clientTokens(secret).map((c) => c.principal)).toEqual(['alice', 'bob']);
    expect(principalFor('token-a', secret)).toBe('alice');
    expect(principalFor('token-b', secret)).toBe('bob');
    expect(principalFor(secret, secret)).toBeUndefined();
    expect(principalFor(undefined, secret)).toBeUndefined();
    expect(principalFor('', secret)).toBeUndefined();
  });

  it('reads a token that only looks like JSON as a token', () => {
    expect(principalFor('{not json', '{not json')).toBe(SHARED_TOKEN_PRINCIPAL);
    expect(principalFor('["a"]', '["a"]')).toBe(SHARED_TOKEN_PRINCIPAL);
    expect(clientTokens('')).toEqual([]);
  });
});

describe('who sees a job', () => {
  it('shows a job to its owner only; with auth off every client is the one anonymous owner', () => {
    expect(isVisibleTo({ owner: 'alice' }, 'alice')).toBe(true);
    expect(isVisibleTo({ owner: 'alice' }, 'bob')).toBe(false);
    expect(isVisibleTo({ owner: 'alice' }, undefined)).toBe(false);
    expect(isVisibleTo({ owner: ownerFor(undefined) }, undefined)).toBe(true);
    expect(isVisibleTo({ owner: ownerFor(undefined) }, 'bob')).toBe(false);
    expect(isVisibleTo({ owner: ownerFor('bob') }, 'bob')).toBe(true);
  });

  it('shows an item without an owner to nobody (no client made it: e.g. host-rate#<host>)', () => {
    expect(isVisibleTo({}, 'bob')).toBe(false);
    expect(isVisibleTo({}, undefined)).toBe(false);
    expect(isVisibleTo({ owner: 42 as unknown as string }, undefined)).toBe(false);
  });
});
