import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Length } from 'class-validator';
import { CANCEL_REASON_MAX_LENGTH } from '@relay/contracts';

export class CancelOrderDto {
  @ApiPropertyOptional({ example: 'changed my mind' })
  @IsOptional()
  @IsString()
  @Length(1, CANCEL_REASON_MAX_LENGTH)
  reason?: string;
}
