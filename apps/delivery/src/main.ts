import 'reflect-metadata';
import { runEventService } from '@relay/service-host';
import { deliveryService } from './delivery.service';

runEventService(deliveryService);
