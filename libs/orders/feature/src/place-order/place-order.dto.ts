import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsDefined,
  IsInt,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import { ORDER_LINE_LIMITS, ORDER_TEXT_LIMITS } from '@relay/contracts';

// The events' own limits (libs/contracts): what the intake accepts, an event may carry.
const { skuPattern: SKU_PATTERN, maxQuantity: MAX_QUANTITY, maxLines: MAX_LINES } = ORDER_LINE_LIMITS;
const { customerIdLength, line1Length, cityLength, postalCodeLength, countryPattern } = ORDER_TEXT_LIMITS;

export class OrderLineDto {
  @ApiProperty({ example: 'SKU-1', pattern: SKU_PATTERN.source })
  @IsDefined()
  @IsString()
  @Matches(SKU_PATTERN, { message: 'sku must be 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit' })
  sku!: string;

  @ApiProperty({ example: 2, minimum: 1, maximum: MAX_QUANTITY })
  @IsDefined()
  @IsInt({ message: 'quantity must be a whole number' })
  @Min(1, { message: 'quantity must be at least 1' })
  @Max(MAX_QUANTITY, { message: `quantity must be at most ${MAX_QUANTITY}` })
  quantity!: number;
}

export class ShippingAddressDto {
  @ApiProperty({ example: '1 rue de la Paix' })
  @IsDefined()
  @IsString()
  @Length(1, line1Length)
  line1!: string;

  @ApiProperty({ example: 'Paris' })
  @IsDefined()
  @IsString()
  @Length(1, cityLength)
  city!: string;

  @ApiProperty({ example: '75002' })
  @IsDefined()
  @IsString()
  @Length(1, postalCodeLength)
  postalCode!: string;

  @ApiProperty({ example: 'FR', description: 'ISO 3166-1 alpha-2' })
  @IsDefined()
  @IsString()
  @Matches(countryPattern, { message: 'country must be an ISO 3166-1 alpha-2 code such as "FR"' })
  country!: string;
}

export class PlaceOrderDto {
  @ApiPropertyOptional({ example: 'c-1', description: "A customer's token places its own orders: leave it out, or give the token's subject. An admin names the customer." })
  @IsOptional()
  @IsString()
  @Length(1, customerIdLength)
  customerId?: string;

  @ApiProperty({ type: [OrderLineDto], minItems: 1, maxItems: MAX_LINES, description: 'One line per SKU.' })
  @IsDefined()
  @IsArray()
  @ArrayMinSize(1, { message: 'items must contain at least 1 line' })
  @ArrayMaxSize(MAX_LINES, { message: `items must contain at most ${MAX_LINES} lines` })
  @ValidateNested({ each: true })
  @Type(() => OrderLineDto)
  items!: OrderLineDto[];

  @ApiPropertyOptional({ type: ShippingAddressDto, description: 'Without it the order goes to the pickup route.' })
  @IsOptional()
  @ValidateNested()
  @Type(() => ShippingAddressDto)
  shippingAddress?: ShippingAddressDto;
}
