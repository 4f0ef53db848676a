import 'reflect-metadata';
import { runEventService } from '@relay/messaging';
import { ordersService } from './app.module';
import { OrdersConfig, orderIntakeOptionsFrom, readOrdersConfig } from './config/orders.config';

let config: OrdersConfig | undefined;
const readConfig = () => (config = readOrdersConfig());
// runEventService reads the environment first, then builds the application, which asks for these.
const intakeOptions = () => {
  if (!config) throw new Error('the orders configuration was not read before the application was built');
  return orderIntakeOptionsFrom(config);
};

runEventService(ordersService(intakeOptions), readConfig);
