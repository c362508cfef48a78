// What a job learned of its page types under `render: "auto"` (core/render-choice.ts), kept on the
// job item as the map `renderTypes`, so every environment reads it with the job's settings and no
// read is added per page. Writes happen only when a page is compared (a type's first pages and a
// sample after): each counts atomically (ADD on the type's counters), then the verdict the new
// counts call for is set, conditionally, so a `browser` verdict is never turned back by a racing
// writer that counted before it.
import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { RenderLearning } from '../../core/ports.js';
import { MAX_RENDER_TYPES, verdictOf, type RenderTypeState } from '../../core/render-choice.js';
import { isConditionFailure } from './errors.js';

export class DynamoRenderLearning implements RenderLearning {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly jobsTable: string,
  ) {}

  async record(jobId: string, type: string, same: boolean): Promise<void> {
    const counted = (await this.count(jobId, type, same)) ?? ((await this.addType(jobId, type, same)) ? { s: 1, d: same ? 0 : 1 } : await this.count(jobId, type, same));
    if (!counted) return;
    // The counts alone decide (a browser verdict only ever follows a difference, d > 0).
    const verdict = verdictOf(counted.s, counted.d).v;
    if (!verdict) return;
    await this.db
      .send(
        new UpdateCommand({
          TableName: this.jobsTable,
          Key: { jobId },
          UpdateExpression: 'SET renderTypes.#t.v = :v',
          // written once per verdict: where there is none, or http turned to browser (browser is final)
          ConditionExpression: 'attribute_exists(renderTypes.#t) AND (attribute_not_exists(renderTypes.#t.v) OR (renderTypes.#t.v = :http AND :v = :browser))',
          ExpressionAttributeNames: { '#t': type },
          ExpressionAttributeValues: { ':v': verdict, ':http': 'http', ':browser': 'browser' },
        }),
      )
      .catch((error: unknown) => {
        if (!isConditionFailure(error)) throw error;
      });
  }

  /** One more comparison on a type the job knows; null when the type is not on the job yet. */
  private async count(jobId: string, type: string, same: boolean): Promise<RenderTypeState | null> {
    try {
      const result = await this.db.send(
        new UpdateCommand({
          TableName: this.jobsTable,
          Key: { jobId },
          UpdateExpression: 'ADD renderTypes.#t.s :one, renderTypes.#t.d :d',
          ConditionExpression: 'attribute_exists(renderTypes.#t)',
          ExpressionAttributeNames: { '#t': type },
          ExpressionAttributeValues: { ':one': 1, ':d': same ? 0 : 1 },
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      const types = (result.Attributes as { renderTypes?: Record<string, RenderTypeState> } | undefined)?.renderTypes;
      return types?.[type] ?? null;
    } catch (error) {
      if (isConditionFailure(error)) return null;
      throw error;
    }
  }

  /** The type's first comparison, while the job knows fewer than MAX_RENDER_TYPES; false if another writer added it first or the map is full. */
  private async addType(jobId: string, type: string, same: boolean): Promise<boolean> {
    const first: RenderTypeState = { s: 1, d: same ? 0 : 1, ...(same ? {} : { v: 'browser' as const }) };
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.jobsTable,
          Key: { jobId },
          UpdateExpression: 'SET renderTypes.#t = :first',
          ConditionExpression: 'attribute_exists(renderTypes) AND attribute_not_exists(renderTypes.#t) AND size(renderTypes) < :max',
          ExpressionAttributeNames: { '#t': type },
          ExpressionAttributeValues: { ':first': first, ':max': MAX_RENDER_TYPES },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }
}
