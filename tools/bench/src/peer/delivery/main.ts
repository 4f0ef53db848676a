import { bootPeerApp } from '../peer-app';
import { PeerDeliveryModule } from './delivery.module';

void bootPeerApp('peer-delivery', PeerDeliveryModule, { consumer: true });
