import { ArgumentsHost, Logger, ServiceUnavailableException } from '@nestjs/common';
import { HttpExceptionFilter } from './http-exception.filter';

function httpHost() {
  const sent: { status?: number; body?: unknown; headers: Record<string, string> } = { headers: {} };
  const response = {
    sent: false,
    header: (name: string, value: string) => void (sent.headers[name] = value),
    status: (status: number) => ({ send: (body: unknown) => Object.assign(sent, { status, body }) }),
  };
  const host = { getType: () => 'http', switchToHttp: () => ({ getResponse: () => response }) } as unknown as ArgumentsHost;
  return { host, sent };
}

describe('HttpExceptionFilter', () => {
  afterEach(() => jest.restoreAllMocks());

  it('answers an overload in the shared error shape, without logging a stack as for a bug', () => {
    const errors = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const { host, sent } = httpHost();
    new HttpExceptionFilter().catch(new ServiceUnavailableException({ code: 'SERVICE_OVERLOADED', message: 'too many orders are waiting' }), host);
    expect(sent).toMatchObject({ status: 503, body: { status: 503, code: 'SERVICE_OVERLOADED', message: 'too many orders are waiting' } });
    expect(errors).not.toHaveBeenCalled();
  });

  it('still logs an unexpected error with its stack, and answers 500 without it', () => {
    const errors = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const { host, sent } = httpHost();
    new HttpExceptionFilter().catch(new Error('boom'), host);
    expect(sent).toMatchObject({ status: 500, body: { code: 'INTERNAL_ERROR', message: 'Internal server error' } });
    expect(errors).toHaveBeenCalledWith(expect.stringContaining('Error: boom'));
  });
});
