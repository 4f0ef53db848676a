// Shared Jest settings for every project. SWC compiles TypeScript (with decorator metadata, which
// Nest's dependency injection reads) and also the ESM-only @nestjs packages, because Jest on
// Node 20 cannot require() an ES module itself.
const path = require('node:path');
const { compilerOptions } = require('./tsconfig.base.json');

const swcTs = {
  swcrc: false,
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
    target: 'es2022',
    keepClassNames: true,
  },
  module: { type: 'commonjs' },
  sourceMaps: 'inline',
};
const swcJs = { swcrc: false, jsc: { parser: { syntax: 'ecmascript' }, target: 'es2022' }, module: { type: 'commonjs' } };

const moduleNameMapper = Object.fromEntries(
  Object.entries(compilerOptions.paths).map(([alias, [target]]) => [
    `^${alias.replace(/[/.]/g, '\\$&')}$`,
    path.join(__dirname, target),
  ]),
);

const esmPackages = ['@nestjs', 'jose', 'uid', 'file-type', 'strtok3', 'token-types', '@tokenizer', 'load-esm', '@platformatic', 'scule'];

module.exports = {
  testEnvironment: 'node',
  // Only *.spec.ts (unit and *.int.spec.ts integration); e2e suites set their own testMatch.
  testMatch: ['<rootDir>/**/*.spec.ts'],
  // Real Kafka and PostgreSQL for integration tests, when not given (see the setup file).
  globalSetup: path.join(__dirname, 'libs/testing/src/jest/global-setup.ts'),
  globalTeardown: path.join(__dirname, 'libs/testing/src/jest/global-teardown.ts'),
  transform: {
    '^.+\\.ts$': ['@swc/jest', swcTs],
    '^.+\\.m?js$': ['@swc/jest', swcJs],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${esmPackages.join('|')})/)`],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'json'],
  moduleNameMapper,
};
