import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Length } from 'class-validator';

export class CancelOrderDto {
  @ApiPropertyOptional({ example: 'changed my mind' })
  @IsOptional()
  @IsString()
  @Length(1, 500)
  reason?: string;
}
