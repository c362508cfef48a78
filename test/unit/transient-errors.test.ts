// Which failures of a dependency are worth another attempt: the errors are the SDK's own classes,
// built as its deserialisers build them from an answer.
import { ConditionalCheckFailedException, InternalServerError, ProvisionedThroughputExceededException, ResourceNotFoundException, ThrottlingException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { NoSuchKey, S3ServiceException } from '@aws-sdk/client-s3';
import { SQSServiceException } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { isTransientFailure, PageFailedError } from '../../functions/core/errors.js';

const s3Error = (name: string, status: number) =>
  new S3ServiceException({ name, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status }, message: name });

const networkError = (code: string) => Object.assign(new Error(`connect ${code} 127.0.0.1:4566`), { code });

describe('transient failures', () => {
  it.each([
    ['S3 throttling (SlowDown, 503)', s3Error('SlowDown', 503)],
    ['S3 internal error (500)', s3Error('InternalError', 500)],
    ['S3 service unavailable (503)', s3Error('ServiceUnavailable', 503)],
    ['S3 bad gateway (502)', s3Error('BadGateway', 502)],
    ['S3 other 5xx (501)', s3Error('NotImplemented', 501)],
    ['a 429 answer', s3Error('TooManyRequests', 429)],
    ['DynamoDB throughput exceeded', new ProvisionedThroughputExceededException({ message: 'rate', $metadata: { httpStatusCode: 400 } })],
    ['DynamoDB throttling', new ThrottlingException({ message: 'rate', $metadata: { httpStatusCode: 400 } })],
    ['DynamoDB internal server error', new InternalServerError({ message: 'oops', $metadata: { httpStatusCode: 500 } })],
    ['SQS 500', new SQSServiceException({ name: 'InternalFailure', $fault: 'server', $metadata: { httpStatusCode: 500 }, message: 'x' })],
    ['a modelled retryable error', Object.assign(s3Error('RequestTimeout', 400), { $retryable: {} })],
    ['a connection reset', networkError('ECONNRESET')],
    ['a refused connection', networkError('ECONNREFUSED')],
    ['a socket timeout', networkError('ETIMEDOUT')],
    ['a DNS hiccup', networkError('EAI_AGAIN')],
    ['the SDK timing a request out', Object.assign(new Error('socket timed out'), { name: 'TimeoutError' })],
    ['a network error wrapped as the cause', new Error('upload failed', { cause: networkError('EPIPE') })],
    ['a page that may render next time', new PageFailedError('navigation timeout', true)],
  ])('%s is transient', (_label, error) => {
    expect(isTransientFailure(error)).toBe(true);
  });

  it.each([
    ['a refused condition', new ConditionalCheckFailedException({ message: 'no', $metadata: { httpStatusCode: 400 } })],
    ['a cancelled transaction', new TransactionCanceledException({ message: 'no', $metadata: { httpStatusCode: 400 } })],
    ['a missing table', new ResourceNotFoundException({ message: 'no', $metadata: { httpStatusCode: 400 } })],
    ['a missing object', new NoSuchKey({ message: 'no', $metadata: { httpStatusCode: 404 } })],
    ['access denied', s3Error('AccessDenied', 403)],
    ['a malformed request', s3Error('InvalidArgument', 400)],
    ['a bug', new TypeError("Cannot read properties of undefined (reading 'url')")],
    ['an aborted request', Object.assign(new Error('aborted'), { name: 'AbortError' })],
    ['a page that will not render', new PageFailedError('net::ERR_NAME_NOT_RESOLVED', false)],
    ['a string', 'ECONNRESET'],
    ['nothing', undefined],
  ])('%s is not transient', (_label, error) => {
    expect(isTransientFailure(error)).toBe(false);
  });
});
