import { z } from 'zod';
import { declaredDefault, documentedSettingsProblems } from './documented-settings';

const shape = {
  PORT: z.coerce.number().int().default(3000),
  DATABASE_SCHEMA: z.string().default('orders'),
  DATABASE_URL: z.string(),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.string().optional(),
};
const envExample = {
  serviceVariables: new Set(['PORT', 'DATABASE_SCHEMA', 'DATABASE_URL', 'OTEL_EXPORTER_OTLP_ENDPOINT']),
  defaults: new Map([
    ['PORT', '3000'],
    ['DATABASE_SCHEMA', 'orders'],
    ['OTEL_EXPORTER_OTLP_ENDPOINT', 'http://127.0.0.1:4318'],
  ]),
};
const readmeSettings = new Map([
  ['PORT', { services: 'all', defaultText: '3000 / 3001 / 3002' }],
  ['DATABASE_SCHEMA', { services: 'all', defaultText: 'service name' }],
  ['DATABASE_URL', { services: 'all', defaultText: '— (required)' }],
  ['OTEL_EXPORTER_OTLP_ENDPOINT', { services: 'all', defaultText: '(unset)' }],
]);
const options = { service: 'orders', defaults: true, readme: true, envExample, readmeSettings };

describe('documentedSettingsProblems', () => {
  it('finds none where .env.example and the README agree with the declared defaults (an example value of a variable without one is no default)', () => {
    expect(documentedSettingsProblems(shape, options)).toEqual([]);
  });

  it('names a variable left out of either, and a default shown other than the declared one', () => {
    const stale = { serviceVariables: new Set(['PORT', 'DATABASE_SCHEMA', 'OTEL_EXPORTER_OTLP_ENDPOINT']), defaults: new Map([['PORT', '8080']]) };
    const readme = new Map([...readmeSettings].filter(([name]) => name !== 'DATABASE_URL'));
    readme.set('DATABASE_SCHEMA', { services: 'all', defaultText: 'relay' });
    expect(documentedSettingsProblems(shape, { ...options, envExample: stale, readmeSettings: readme })).toEqual([
      'PORT: .env.example shows 8080, the declared default is 3000',
      `DATABASE_SCHEMA: the README gives "relay" as its default, the declared default is orders`,
      'DATABASE_URL: not in .env.example',
      "DATABASE_URL: not in the README's Configuration table",
    ]);
  });

  it('reads a default from the declaration itself: none for a required or optional variable', () => {
    expect([declaredDefault(shape.PORT), declaredDefault(shape.DATABASE_URL), declaredDefault(shape.OTEL_EXPORTER_OTLP_ENDPOINT)]).toEqual(['3000', undefined, undefined]);
  });
});
