import 'reflect-metadata';
import { runEventService } from '@relay/messaging';
import { ordersService } from './app.module';
import { readOrdersConfig } from './config/orders.config';

runEventService(ordersService, readOrdersConfig);
