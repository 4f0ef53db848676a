import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { peerTypeOrm } from '../peer-app';
import { PeerDeliveryEventsController } from './delivery-events.controller';
import { CreatePeerDeliveries1733500000200, PeerDeliveryEntity } from './delivery.schema';

@Module({
  imports: [TypeOrmModule.forRoot(peerTypeOrm([PeerDeliveryEntity], [CreatePeerDeliveries1733500000200])), TypeOrmModule.forFeature([PeerDeliveryEntity])],
  controllers: [PeerDeliveryEventsController],
})
export class PeerDeliveryModule {}
