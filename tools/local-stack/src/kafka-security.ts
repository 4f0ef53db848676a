import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { findJava, type ProgressListener } from './kafka-broker';
import { runCommand } from './process-utils';
import { LOCAL_STATE_DIR, SERVICES } from './repo-paths';

/**
 * The secrets of local Kafka brokers: a CA, the brokers' certificate, and one SCRAM password per
 * principal. Made once per directory at the first start (the JDK's keytool, random passwords) and
 * reused after: `npm start` keeps them in .relay/kafka-security/, an ephemeral run (npm test, the
 * Jest global setups) in its temp dir. Every file is 0600 in a 0700 directory: whoever can read
 * them can act as any service, so they never leave it (no logs, no command lines).
 */

/** The principals a local broker knows: each service, the ops CLI, and `admin` (super user: the brokers' inter-broker login, ACL and topic set-up, integration tests). */
export const KAFKA_PRINCIPALS = ['admin', 'ops', ...SERVICES] as const;
export type KafkaPrincipal = (typeof KAFKA_PRINCIPALS)[number];

/** The distinguished name of the brokers' certificate: the principal of the controller (mutual TLS) listener, a super user. */
export const BROKER_CERTIFICATE_DN = 'CN=relay-broker';

export interface KafkaSecurityMaterial {
  dir: string;
  /** PEM of the CA: what clients trust (KAFKA_SSL_CA_FILE). */
  caFile: string;
  /** The PEM text of caFile. */
  caPem: string;
  /** PKCS12: the brokers' key and certificate (signed by the CA, for 127.0.0.1 and localhost). */
  keystoreFile: string;
  /** PKCS12: the CA, for the brokers' own TLS clients (controller and inter-broker connections). */
  truststoreFile: string;
  storePassword: string;
  /** SCRAM-SHA-512 logins, username = principal name. */
  users: Readonly<Record<KafkaPrincipal, { username: string; password: string }>>;
  /** Hash of the logins: a broker formatted with other logins than these must not be started with them (see launchKafkaNode). */
  fingerprint: string;
}

const CREDENTIALS_FILE = 'credentials.json';

/** Where local brokers keep their security material: RELAY_KAFKA_SECURITY_DIR if set, else .relay/kafka-security. */
export function kafkaSecurityDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.RELAY_KAFKA_SECURITY_DIR ? path.resolve(env.RELAY_KAFKA_SECURITY_DIR) : path.join(LOCAL_STATE_DIR, 'kafka-security');
}

interface StoredCredentials {
  storePassword: string;
  passwords: Record<KafkaPrincipal, string>;
}

function materialOf(dir: string, stored: StoredCredentials, caPem: string): KafkaSecurityMaterial {
  const users = Object.fromEntries(KAFKA_PRINCIPALS.map((principal) => [principal, { username: principal, password: stored.passwords[principal] }])) as KafkaSecurityMaterial['users'];
  const fingerprint = createHash('sha256').update(JSON.stringify(users)).digest('hex').slice(0, 16);
  return {
    dir,
    caFile: path.join(dir, 'ca.pem'),
    caPem,
    keystoreFile: path.join(dir, 'broker.p12'),
    truststoreFile: path.join(dir, 'truststore.p12'),
    storePassword: stored.storePassword,
    users,
    fingerprint,
  };
}

/** The material in `dir`, or undefined if none was made there yet. */
export async function readKafkaSecurity(dir: string): Promise<KafkaSecurityMaterial | undefined> {
  let stored: StoredCredentials;
  try {
    stored = JSON.parse(await fs.readFile(path.join(dir, CREDENTIALS_FILE), 'utf8')) as StoredCredentials;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const missing = KAFKA_PRINCIPALS.filter((principal) => typeof stored.passwords?.[principal] !== 'string');
  if (missing.length > 0) throw new Error(`${path.join(dir, CREDENTIALS_FILE)} has no password for ${missing.join(', ')}; remove ${dir} and the local Kafka data to start afresh`);
  return materialOf(dir, stored, await fs.readFile(path.join(dir, 'ca.pem'), 'utf8'));
}

const inFlight = new Map<string, Promise<KafkaSecurityMaterial>>();

/**
 * The material in `dir`, made on the first call. Made in a private directory and renamed into place,
 * so a crash or a concurrent start never leaves half of it, and a second process racing this one
 * uses whichever was renamed first.
 */
export function readOrCreateKafkaSecurity(dir: string, onProgress: ProgressListener = () => undefined): Promise<KafkaSecurityMaterial> {
  const resolved = path.resolve(dir);
  let pending = inFlight.get(resolved);
  if (pending === undefined) {
    pending = (async () => (await readKafkaSecurity(resolved)) ?? createKafkaSecurity(resolved, onProgress))().finally(() => inFlight.delete(resolved));
    inFlight.set(resolved, pending);
  }
  return pending;
}

/** 32 random bytes, base64url: no character a properties or JAAS file would need to escape. */
const newSecret = () => randomBytes(32).toString('base64url');

async function createKafkaSecurity(dir: string, onProgress: ProgressListener): Promise<KafkaSecurityMaterial> {
  onProgress(`making a local CA, the broker certificate and SCRAM passwords in ${dir} (first start)…`);
  await fs.mkdir(path.dirname(dir), { recursive: true });
  const staging = `${dir}.staging-${process.pid}-${randomBytes(4).toString('hex')}`;
  await fs.mkdir(staging, { mode: 0o700 });
  try {
    const stored: StoredCredentials = {
      storePassword: newSecret(),
      passwords: Object.fromEntries(KAFKA_PRINCIPALS.map((principal) => [principal, newSecret()])) as Record<KafkaPrincipal, string>,
    };
    await makeCertificates(staging, stored.storePassword);
    await fs.writeFile(path.join(staging, CREDENTIALS_FILE), `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o600 });
    for (const file of await fs.readdir(staging)) await fs.chmod(path.join(staging, file), 0o600);
    try {
      await fs.rename(staging, dir);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
      // Another process made it first: use theirs.
    }
    const material = await readKafkaSecurity(dir);
    if (material === undefined) throw new Error(`${dir} holds no ${CREDENTIALS_FILE}`);
    return material;
  } finally {
    await fs.rm(staging, { recursive: true, force: true });
  }
}

/**
 * keytool, from the JDK the broker runs on. Store passwords go through the environment
 * (`-storepass:env`), never the command line, which other users of the machine can read.
 */
async function makeCertificates(dir: string, storePassword: string): Promise<void> {
  const keytool = path.join(path.dirname(await findJava()), process.platform === 'win32' ? 'keytool.exe' : 'keytool');
  const env = { ...process.env, RELAY_STORE_PASSWORD: storePassword };
  const run = async (...args: string[]) => {
    // One short JVM per step: no optimising JIT, serial GC.
    const result = await runCommand(keytool, ['-J-XX:TieredStopAtLevel=1', '-J-XX:+UseSerialGC', ...args], { cwd: dir, env, timeoutMs: 60_000 });
    if (result.code !== 0) throw new Error(`keytool ${args[0]} failed (exit code ${result.code}): ${`${result.stdout}\n${result.stderr}`.trim()}`);
  };
  const store = (file: string) => ['-keystore', file, '-storetype', 'PKCS12', '-storepass:env', 'RELAY_STORE_PASSWORD'];
  const keyPair = (alias: string, dn: string, file: string, ...ext: string[]) =>
    run('-genkeypair', '-alias', alias, '-dname', dn, '-keyalg', 'EC', '-groupname', 'secp256r1', '-validity', '3650', ...ext, ...store(file));
  await Promise.all([keyPair('ca', 'CN=Relay local Kafka CA', 'ca.p12', '-ext', 'bc:c'), keyPair('broker', BROKER_CERTIFICATE_DN, 'broker.p12')]);
  await Promise.all([
    run('-exportcert', '-rfc', '-alias', 'ca', '-file', 'ca.pem', ...store('ca.p12')),
    run('-certreq', '-alias', 'broker', '-file', 'broker.csr', ...store('broker.p12')),
  ]);
  // The brokers serve 127.0.0.1 only; clients check the name (kafkajs/Node and Kafka's own clients both do).
  await run('-gencert', '-rfc', '-alias', 'ca', '-infile', 'broker.csr', '-outfile', 'broker.pem', '-validity', '3650', '-ext', 'SAN=ip:127.0.0.1,dns:localhost', '-ext', 'EKU=serverAuth,clientAuth', ...store('ca.p12'));
  await Promise.all([
    run('-importcert', '-noprompt', '-alias', 'ca', '-file', 'ca.pem', ...store('broker.p12')).then(() => run('-importcert', '-noprompt', '-alias', 'broker', '-file', 'broker.pem', ...store('broker.p12'))),
    run('-importcert', '-noprompt', '-alias', 'ca', '-file', 'ca.pem', ...store('truststore.p12')),
  ]);
  // The CA's private key is needed for nothing more: a new broker certificate means a new directory.
  await fs.rm(path.join(dir, 'ca.p12'));
  await fs.rm(path.join(dir, 'broker.csr'));
}

/** The KAFKA_* variables that make a client log in as `principal` to brokers using `material`. */
export function kafkaClientEnv(material: KafkaSecurityMaterial, principal: KafkaPrincipal): Record<string, string> {
  const { username, password } = material.users[principal];
  return {
    KAFKA_SECURITY_PROTOCOL: 'sasl_ssl',
    KAFKA_SASL_MECHANISM: 'scram-sha-512',
    KAFKA_USERNAME: username,
    KAFKA_PASSWORD: password,
    KAFKA_SSL_CA_FILE: material.caFile,
  };
}

/**
 * A client properties file (`--command-config` of Kafka's CLI tools) that logs in as `admin`, kept
 * 0600 beside the material so the password never reaches a command line.
 */
export async function adminClientProperties(material: KafkaSecurityMaterial): Promise<string> {
  const file = path.join(material.dir, 'admin-client.properties');
  const { username, password } = material.users.admin;
  const lines = [
    'security.protocol=SASL_SSL',
    'sasl.mechanism=SCRAM-SHA-512',
    `sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="${username}" password="${password}";`,
    'ssl.truststore.type=PKCS12',
    `ssl.truststore.location=${material.truststoreFile.replace(/\\/g, '\\\\')}`,
    `ssl.truststore.password=${material.storePassword}`,
  ];
  // Renamed into place: a tool started meanwhile by another process never reads half a file.
  const staging = `${file}.${process.pid}-${randomBytes(4).toString('hex')}`;
  await fs.writeFile(staging, `${lines.join('\n')}\n`, { mode: 0o600 });
  await fs.rename(staging, file);
  return file;
}

/**
 * The KAFKA_* variables that log `principal` in to the local brokers of kafkaSecurityDir(env), or
 * undefined when there are none (no local broker ever started secured). Synchronous, for tools that
 * read their settings at once (the ops CLI: zero configuration after `npm start`).
 */
export function localKafkaClientEnv(principal: KafkaPrincipal, env: NodeJS.ProcessEnv = process.env): Record<string, string> | undefined {
  const dir = kafkaSecurityDir(env);
  let stored: StoredCredentials;
  try {
    stored = JSON.parse(readFileSync(path.join(dir, CREDENTIALS_FILE), 'utf8')) as StoredCredentials;
  } catch {
    return undefined;
  }
  const password = stored.passwords?.[principal];
  if (typeof password !== 'string') return undefined;
  return kafkaClientEnv(materialOf(dir, stored, ''), principal);
}
