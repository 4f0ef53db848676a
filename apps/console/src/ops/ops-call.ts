import { BadRequestException, NotFoundException, UnprocessableEntityException } from '@nestjs/common';
import { OpsError, UsageError } from '@relay/ops';

/**
 * Runs one operation of the ops library and maps its expected failures to HTTP, at the edge: a bad
 * argument (UsageError) is 400, "no such topic or record" is 404, any other refusal (OpsError: the
 * operation looked and said no) is 422. Anything else is a real failure and stays a 500.
 */
export async function opsCall<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof UsageError) throw new BadRequestException({ code: 'CONSOLE.BAD_REQUEST', message: error.message });
    if (error instanceof OpsError) {
      if (/does not exist|no record|not found|no quarantined/i.test(error.message)) throw new NotFoundException({ code: 'CONSOLE.NOT_FOUND', message: error.message });
      throw new UnprocessableEntityException({ code: 'CONSOLE.REFUSED', message: error.message });
    }
    throw error;
  }
}
