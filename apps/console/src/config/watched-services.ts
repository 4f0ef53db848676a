import { z } from 'zod';
import { RELAY_SERVICES, RelayServiceName, ServiceTopology } from '@relay/contracts';
import { envFields, MANAGEMENT_PORT_OFFSET } from '@relay/service-runtime';

/** A service the console watches: every service of the topology. */
export type ServiceId = RelayServiceName;

/** What the console reads per service, as the suffix of `<SERVICE>_<suffix>` (ORDERS_URLS, INVENTORY_SCHEMA, …). */
type WatchedVariable = 'URLS' | 'SCHEMA' | 'GROUP';

type WatchedVariableName<Suffix extends WatchedVariable> = `${Uppercase<ServiceId>}_${Suffix}`;

function watchedVariableName<Suffix extends WatchedVariable>(service: ServiceId, suffix: Suffix): WatchedVariableName<Suffix> {
  return `${service.toUpperCase() as Uppercase<ServiceId>}_${suffix}`;
}

/** One variable per service of the topology, in its order, each with the field `fieldOf` gives that service. */
function perService<Suffix extends WatchedVariable, Field extends z.ZodType>(suffix: Suffix, fieldOf: (service: ServiceId) => Field) {
  return Object.fromEntries(RELAY_SERVICES.map((service) => [watchedVariableName(service, suffix), fieldOf(service)])) as Record<WatchedVariableName<Suffix>, Field>;
}

/** `http://host:port[,http://host:port…]`: every instance's management port, whose /metrics the console reads. */
const instanceUrls = (defaultUrl: string) =>
  z
    .string()
    .default(defaultUrl)
    .transform((value) => value.split(',').map((url) => url.trim().replace(/\/+$/, '')).filter(Boolean))
    .pipe(z.array(z.url({ protocol: /^https?$/, error: 'each entry must be an http(s) URL, e.g. http://127.0.0.1:4001' })).min(1));

/**
 * The console's variables for each service of the topology, named after it: where its instances'
 * management ports answer (`<SERVICE>_URLS`), its PostgreSQL schema (`<SERVICE>_SCHEMA`) and its
 * consumer group (`<SERVICE>_GROUP`). Defaults are `npm start`'s: the topology's ports (+ the
 * management offset), the service's name as its schema, its consumer group.
 */
export const watchedServicesEnvShape = {
  ...perService('URLS', (service) => instanceUrls(`http://127.0.0.1:${ServiceTopology[service].httpPort + MANAGEMENT_PORT_OFFSET}`)),
  ...perService('SCHEMA', (service) => envFields.schemaName(service)),
  ...perService('GROUP', (service) => envFields.clientId(ServiceTopology[service].consumerGroup)),
};

type WatchedServicesEnv = z.infer<z.ZodObject<typeof watchedServicesEnvShape>>;

/** One service as the console watches it: where its instances answer, its consumer group and its tables. */
export interface WatchedService {
  id: ServiceId;
  urls: string[];
  group: string;
  schema: string;
}

/** Every service of the topology, in its order, as the configuration places it. */
export function watchedServices(config: WatchedServicesEnv): WatchedService[] {
  return RELAY_SERVICES.map((id) => ({
    id,
    urls: config[watchedVariableName(id, 'URLS')],
    group: config[watchedVariableName(id, 'GROUP')],
    schema: config[watchedVariableName(id, 'SCHEMA')],
  }));
}
