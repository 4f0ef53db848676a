import { ApiProperty } from '@nestjs/swagger';
import { IsDefined, IsInt, Max, Min } from 'class-validator';

export class SetStockDto {
  @ApiProperty({ example: 100, minimum: 0, description: 'Counted quantity on hand; may not go below what is reserved.' })
  @IsDefined()
  @IsInt({ message: 'onHand must be a whole number' })
  @Min(0, { message: 'onHand must not be negative' })
  @Max(100_000_000)
  onHand!: number;
}
