import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class ApiErrorDetailDto {
  @ApiProperty({ example: 'items.0.quantity' })
  field!: string;

  @ApiProperty({ example: 'quantity must be at least 1' })
  problem!: string;
}

/** The error shape, for OpenAPI documents (see ApiErrorBody). */
export class ApiErrorDto {
  @ApiProperty({ example: 400 })
  status!: number;

  @ApiProperty({ example: 'VALIDATION_FAILED', description: 'Stable, for programs.' })
  code!: string;

  @ApiProperty({ example: 'items.0.quantity: quantity must be at least 1', description: 'For people.' })
  message!: string;

  @ApiPropertyOptional({ type: [ApiErrorDetailDto] })
  details?: ApiErrorDetailDto[];
}
