// Architecture rules, enforced: who may import whom (Nx module boundaries over project tags) and
// which packages only the messaging library may touch.
const fs = require('node:fs');
const path = require('node:path');
const nx = require('@nx/eslint-plugin');

const allow = (sourceTag, onlyDependOnLibsWithTags) => ({ sourceTag, onlyDependOnLibsWithTags });

/** The folders that hold the workspace's projects (each a project.json). */
const PROJECT_FOLDERS = ['apps', 'libs', 'tools', 'deploy'];

/** Scopes every project may depend on, or that hold no service's code. */
const NON_SERVICE_SCOPES = new Set(['scope:shared', 'scope:tooling']);

/**
 * Each service's scope (`scope:orders`, …), as its projects' project.json tags declare it: read
 * here so that a new service's libraries are fenced off from the others by their tags alone.
 * None found means this file is reading the wrong folders, and the fence would be silently gone.
 */
function serviceScopes() {
  const scopes = new Set();
  for (const folder of PROJECT_FOLDERS) {
    const files = fs.readdirSync(path.join(__dirname, folder), { recursive: true }).filter((file) => path.basename(file) === 'project.json');
    for (const file of files) {
      const { tags = [] } = JSON.parse(fs.readFileSync(path.join(__dirname, folder, file), 'utf8'));
      for (const tag of tags) if (tag.startsWith('scope:') && !NON_SERVICE_SCOPES.has(tag)) scopes.add(tag);
    }
  }
  if (scopes.size === 0) throw new Error(`eslint.config.cjs: no service scope tag in any project.json under ${PROJECT_FOLDERS.join(', ')}`);
  return [...scopes].sort();
}

/** Who may import whom. Tests may also use the shared test helpers (type:testing). */
function boundaries({ tests }) {
  const layer = (sourceTag, tags) => allow(sourceTag, tests && sourceTag !== 'type:domain' ? [...tags, 'type:testing'] : tags);
  return {
    enforceBuildableLibDependency: false,
    allow: [],
    depConstraints: [
      // Layers: an app wires features; a feature runs use cases over data access and domain;
      // the domain is plain TypeScript and knows nothing of Nest, Kafka or TypeORM.
      layer('type:app', ['type:host', 'type:feature', 'type:data-access', 'type:messaging', 'type:contracts', 'type:util']),
      layer('type:feature', ['type:data-access', 'type:domain', 'type:messaging', 'type:contracts', 'type:util']),
      layer('type:data-access', ['type:domain', 'type:messaging']),
      layer('type:domain', ['type:domain']),
      // The service host (libs/service-host) runs one service: its environment, HTTP, health, and
      // the event engine (messaging) around the service's feature module, which the app hands it.
      layer('type:host', ['type:messaging', 'type:contracts', 'type:util']),
      layer('type:messaging', ['type:contracts', 'type:util']),
      layer('type:contracts', []),
      // Shared runtime: what text the platform accepts is the contracts' rule (contracts/src/text.ts).
      layer('type:util', ['type:util', 'type:contracts']),
      layer('type:testing', ['type:contracts', 'type:util', 'type:tooling']),
      layer('type:e2e', ['type:contracts', 'type:testing', 'type:tooling']),
      // Operator tools (tools/ops) read events and dead letters the way the services do, and
      // show configuration the way they do (service-runtime: secrets redacted).
      layer('type:tooling', ['type:tooling', 'type:contracts', 'type:messaging', 'type:util']),
      // The operations console (apps/console) is the ops CLI's second face: it imports the ops
      // library (tools/ops) rather than a second implementation of lag, dead letters and audit,
      // and no service's code.
      layer('type:console', ['type:tooling', 'type:contracts', 'type:util']),
      // Services: no service imports another's code; they meet only through contracts.
      ...serviceScopes().map((scope) => allow(scope, [scope, 'scope:shared'])),
      allow('scope:shared', ['scope:shared', 'scope:tooling']),
      allow('scope:tooling', ['scope:tooling', 'scope:shared']),
    ],
  };
}

module.exports = [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  { ignores: ['**/dist', '**/node_modules', '**/.relay', '**/tmp', '**/*.cjs'] },
  {
    files: ['**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': ['error', boundaries({ tests: false })],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  {
    files: ['**/*.spec.ts', '**/*.e2e-spec.ts'],
    rules: { '@nx/enforce-module-boundaries': ['error', boundaries({ tests: true })] },
  },
  {
    // Only the messaging library talks to Kafka or Nest's transport layer.
    files: ['**/*.ts'],
    ignores: ['libs/messaging/**', 'tools/**', 'apps/e2e/**', 'libs/testing/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'kafkajs', message: 'Use @relay/messaging: it is the only library that talks to Kafka.' },
            { name: '@platformatic/kafka', message: 'Use @relay/messaging: it is the only library that talks to Kafka.' },
            { name: '@nestjs/microservices', message: 'Use @relay/messaging (OnEvent, Payload, Ctx, connectEventConsumer).' },
          ],
        },
      ],
    },
  },
  {
    // Inside the messaging library, only the Kafka driver's adapters (kafka/kafkajs/,
    // kafka/platformatic/) import a client package: the consumer, the relays and the admin reads
    // (topics, lag) go through the driver port (kafka/driver/kafka-driver.ts). Specs may use a
    // client directly, to read and write topics around what they test.
    files: ['libs/messaging/src/**/*.ts'],
    ignores: ['**/*.spec.ts', 'libs/messaging/src/kafka/kafkajs/**', 'libs/messaging/src/kafka/platformatic/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ['kafkajs', '@platformatic/kafka'].map((name) => ({
            name,
            message: 'Use the Kafka driver port (kafka/driver/kafka-driver.ts); client packages belong in an adapter (kafka/kafkajs/, kafka/platformatic/).',
          })),
        },
      ],
    },
  },
  {
    // Domain libraries are plain TypeScript that tests can call without any framework.
    files: ['libs/*/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['@nestjs/*', 'typeorm', 'kafkajs', 'pg'], message: 'Domain code knows nothing of Nest, TypeORM or Kafka.' }] },
      ],
    },
  },
  {
    // Command-line tools print to the terminal by design.
    files: ['tools/**/*.ts', 'apps/e2e/**/*.ts'],
    rules: { 'no-console': 'off' },
  },
];
