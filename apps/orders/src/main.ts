import 'reflect-metadata';
import { runEventService } from '@relay/service-host';
import { ordersService } from './orders.service';

runEventService(ordersService);
