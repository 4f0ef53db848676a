import { QueryRunnerAlreadyReleasedError, QueryRunnerProviderAlreadyReleasedError } from 'typeorm';
import { isDatabaseUnavailable } from './database-errors';

describe('isDatabaseUnavailable', () => {
  it.each([
    [Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })],
    [new Error('Connection terminated unexpectedly')],
    [new Error('timeout exceeded when trying to connect')],
    [Object.assign(new Error('query failed'), { driverError: Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }) })],
    // A transaction whose connection failed between two of its statements.
    [new QueryRunnerProviderAlreadyReleasedError()],
    [new QueryRunnerAlreadyReleasedError()],
  ])('recognises %p', (error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it.each([[new Error('duplicate key value violates unique constraint')], [Object.assign(new Error('syntax error'), { code: '42601' })], [undefined]])(
    'does not mistake %p for an outage',
    (error) => {
      expect(isDatabaseUnavailable(error)).toBe(false);
    },
  );
});
