import { BadRequestException, NotFoundException, UnprocessableEntityException } from '@nestjs/common';
import { OpsError, UsageError } from '@relay/ops';
import { opsCall } from './ops-call';

describe('opsCall', () => {
  it('returns what the operation returns', async () => {
    await expect(opsCall(async () => 42)).resolves.toBe(42);
  });

  it("maps the ops library's expected failures to HTTP: bad argument 400, nothing there 404, a refusal 422", async () => {
    await expect(opsCall(() => Promise.reject(new UsageError('--group must be a Kafka name')))).rejects.toBeInstanceOf(BadRequestException);
    await expect(opsCall(() => Promise.reject(new OpsError('topic "x.dlq.g" does not exist')))).rejects.toBeInstanceOf(NotFoundException);
    await expect(opsCall(() => Promise.reject(new OpsError('no record at 0:7 in x.dlq.g')))).rejects.toBeInstanceOf(NotFoundException);
    await expect(opsCall(() => Promise.reject(new OpsError('refusing to replay 0:1: not an event')))).rejects.toBeInstanceOf(UnprocessableEntityException);
  });

  it('leaves any other failure alone (a 500, logged)', async () => {
    const failure = new Error('socket hang up');
    await expect(opsCall(() => Promise.reject(failure))).rejects.toBe(failure);
  });
});
