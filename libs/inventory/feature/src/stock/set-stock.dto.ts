import { IsDefined, IsInt, Max, Min } from 'class-validator';

export class SetStockDto {
  @IsDefined()
  @IsInt({ message: 'onHand must be a whole number' })
  @Min(0, { message: 'onHand must not be negative' })
  @Max(100_000_000)
  onHand!: number;
}
