import { DynamicModule, Type } from '@nestjs/common';
import { RelayServiceName } from '@relay/contracts';
import { postgresDataSourceOptions } from '@relay/service-runtime';
import { EventServiceEnv } from './config/service-env';

/**
 * One service: its name (which gives the topics it publishes and consumes, from ServiceTopology in
 * @relay/contracts), its data, how it reads its environment, and its feature module.
 */
export interface EventServiceDefinition<TConfig extends EventServiceEnv = EventServiceEnv> {
  name: RelayServiceName;
  /** For the OpenAPI document. */
  description: string;
  persistence: Parameters<typeof postgresDataSourceOptions>[1];
  /** Reads and validates the service's environment, once, at start-up; throws ConfigError naming each bad variable. */
  readConfig: () => TConfig;
  /** The feature module, given the validated environment (built after it was read). */
  feature: (config: TConfig) => Type<unknown> | DynamicModule;
}
