import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';

/**
 * Serves the service's OpenAPI document, generated from its controllers and DTOs: the UI at
 * `/docs`, the JSON at `/docs-json`.
 */
export function setupOpenApi(app: INestApplication, info: { title: string; description: string }): void {
  const config = new DocumentBuilder()
    .setTitle(info.title)
    .setDescription(
      `${info.description}\n\nErrors share one shape: \`{ status, code, message, details?: [{ field, problem }] }\`; ` +
        '`code` is stable (e.g. `VALIDATION_FAILED`, `ORDERS.NOT_FOUND`).',
    )
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
    .setVersion('1')
    .build();
  SwaggerModule.setup('docs', app, () => SwaggerModule.createDocument(app, config), { jsonDocumentUrl: 'docs-json' });
}
