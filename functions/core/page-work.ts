// What admitting one page's children may cost in DynamoDB, as a function of N, the children it
// admits (at most maxLinksPerPage: core/page-links.ts linksToFollow). Stated here so tests and docs
// check the same figures app/admit-children.ts describes. Without races with other pages:
// - reads: one consistent BatchGetItem per 100 children (1 read unit per child: the items read are
//   small projections);
// - writes: each child is in at most two admission transactions (one refused because maxPages was
//   reached, one that writes) of at most 99 children and the job's counter, and in at most one
//   maxPages marker transaction; a transactional item costs 2 write units;
// - one alias PutItem for a page reached through a redirect.
// A race (another page admits the same URL between the read and the write) adds at most one GetItem
// and one retried transaction per child it touches: still O(N).

const PER_TRANSACTION = 99;

export interface PageWorkBound {
  readRequests: number;
  writeRequests: number;
  readUnits: number;
  writeUnits: number;
}

export function admissionBound(children: number): PageWorkBound {
  const transactions = Math.ceil(children / PER_TRANSACTION);
  return {
    readRequests: Math.ceil(children / 100),
    // two admission attempts and one marker transaction per batch, and the alias
    writeRequests: 3 * transactions + 1,
    readUnits: children,
    // (2 admission items + 1 marker per child, a job counter per transaction) × 2 units, and the alias
    writeUnits: 2 * (3 * children + 3 * transactions) + 1,
  };
}
