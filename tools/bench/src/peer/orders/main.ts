import { bootPeerApp } from '../peer-app';
import { PeerOrdersModule } from './orders.module';

void bootPeerApp('peer-orders', PeerOrdersModule, { consumer: false });
