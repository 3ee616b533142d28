import { applyDecorators, Body, type PipeTransform, Query } from '@nestjs/common';
import { ApiBody, ApiQuery } from '@nestjs/swagger';
import { z } from 'zod';

class ZodPipe<T extends z.ZodType> implements PipeTransform<unknown, z.infer<T>> {
  constructor(private readonly schema: T) {}
  transform(value: unknown): z.infer<T> {
    // ZodError is mapped to a 400 with every issue listed by the exception filter.
    return this.schema.parse(value ?? {});
  }
}

export function toOpenApiSchema(schema: z.ZodType): Record<string, unknown> {
  return z.toJSONSchema(schema, { target: 'openapi-3.0', io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}

/** Validates the JSON body with a contracts schema and documents it in OpenAPI. */
export const ZodBody = <T extends z.ZodType>(schema: T): ParameterDecorator => Body(new ZodPipe(schema));

export const ZodQuery = <T extends z.ZodType>(schema: T): ParameterDecorator => Query(new ZodPipe(schema));

export const ApiZodBody = (schema: z.ZodType) => applyDecorators(ApiBody({ schema: toOpenApiSchema(schema) }));

export const ApiZodQuery = (schema: z.ZodObject) =>
  applyDecorators(
    ...Object.entries(schema.shape).map(([name, field]) =>
      ApiQuery({ name, required: !(field as z.ZodType).safeParse(undefined).success, schema: toOpenApiSchema(field as z.ZodType) }),
    ),
  );

/**
 * The parsed type of a contracts schema. Handlers annotate params with this rather than the schema's
 * same-named type: decorator metadata would otherwise reference the zod object, which Swagger mistakes for a DTO class.
 */
export type Parsed<T extends z.ZodType> = z.infer<T>;
