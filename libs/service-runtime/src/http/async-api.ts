import { INestApplication } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';

/** Where every service serves the platform's AsyncAPI document, next to its OpenAPI (`/docs`, management port). */
export const ASYNCAPI_PATH = '/docs/asyncapi.json';

/**
 * Serves the AsyncAPI document (the contracts' asyncApiDocument: every topic, who publishes and
 * consumes it, every event version) at ASYNCAPI_PATH. Under `/docs`, so on the management port only,
 * as the OpenAPI document is (management-port.ts).
 */
export function setupAsyncApi(app: INestApplication, document: object): void {
  const body = JSON.stringify(document);
  const fastify = app.getHttpAdapter().getInstance() as FastifyInstance;
  fastify.get(ASYNCAPI_PATH, async (_request, reply) => reply.type('application/json; charset=utf-8').send(body));
}
