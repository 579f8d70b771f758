import { expect } from '@jest/globals';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { Response } from 'supertest';

/**
 * Holds a real response to the OpenAPI document: its status is one the operation documents, its
 * media type one that status documents, its body valid against that schema (Ajv, JSON Schema
 * 2020-12, formats checked), and every header the document calls required is there.
 */

export const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
export type DocMethod = (typeof METHODS)[number];

export interface DocHeader {
  description?: string;
  required?: boolean;
  schema: Record<string, unknown>;
}
export interface DocResponse {
  description: string;
  headers?: Record<string, DocHeader>;
  content?: Record<string, { schema: Record<string, unknown> }>;
}
export interface DocParameter {
  name: string;
  in: string;
  required: boolean;
  description?: string;
  schema: Record<string, unknown>;
  example?: unknown;
}
export interface Operation {
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  parameters: DocParameter[];
  requestBody?: { content: Record<string, { schema: Record<string, unknown> }> };
  responses: Record<string, DocResponse>;
  security: unknown[];
}
export interface OpenApiDocument {
  openapi: string;
  tags?: Array<{ name: string; description?: string }>;
  paths: Record<string, Partial<Record<DocMethod, Operation>>>;
  components: { schemas: Record<string, Record<string, unknown>> };
}

// A CommonJS module seen through ESM: the plugin is also its own `default`, which is what its types name.
const addFormats = addFormatsModule.default;

/** `/users/:id` as the OpenAPI document writes it: `/api/users/{id}`. */
export const documentedPath = (path: string) => `/api${path.replace(/:([A-Za-z]+)/g, '{$1}')}`;

const pointerPart = (part: string) => part.replaceAll('~', '~0').replaceAll('/', '~1');

export interface Checked {
  operation: string;
  status: number;
}

export function responseChecker(doc: OpenApiDocument) {
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false });
  addFormats(ajv);
  ajv.addSchema(doc as object, 'openapi');
  const validators = new Map<string, ValidateFunction>();
  const validatorAt = (pointer: string) => {
    const known = validators.get(pointer);
    if (known) return known;
    const validate = ajv.compile({ $ref: `openapi#${pointer}` });
    validators.set(pointer, validate);
    return validate;
  };
  const checked: Checked[] = [];

  /** Fails the test unless `res`, an answer to `method` on the document's `path`, is one the document describes. */
  function check(method: DocMethod, path: string, res: Response): Response {
    const operation = `${method.toUpperCase()} ${path}`;
    const op = doc.paths[path]?.[method];
    expect({ operation, documented: op !== undefined }).toEqual({ operation, documented: true });
    const answer = op!.responses[String(res.status)];
    expect({ operation, status: res.status, documented: answer !== undefined }).toEqual({ operation, status: res.status, documented: true });

    const type = String(res.headers['content-type'] ?? '').split(';')[0]!.trim();
    if (!answer!.content) {
      expect({ operation, status: res.status, body: res.text ?? '' }).toEqual({ operation, status: res.status, body: '' });
    } else {
      expect({ operation, status: res.status, type, documented: Object.keys(answer!.content) }).toEqual({
        operation,
        status: res.status,
        type,
        documented: expect.arrayContaining([type]),
      });
      const body: unknown = /[/+]json$/.test(type) ? JSON.parse(res.text) : res.text;
      const validate = validatorAt(`/paths/${pointerPart(path)}/${method}/responses/${res.status}/content/${pointerPart(type)}/schema`);
      const valid = validate(body);
      expect({ operation, status: res.status, errors: valid ? null : validate.errors }).toEqual({ operation, status: res.status, errors: null });
    }
    for (const [name, header] of Object.entries(answer!.headers ?? {})) {
      if (header.required) expect({ operation, status: res.status, header: name, sent: res.headers[name.toLowerCase()] !== undefined }).toEqual({ operation, status: res.status, header: name, sent: true });
    }
    checked.push({ operation, status: res.status });
    return res;
  }

  return Object.assign(check, { checked });
}

export function operationsOf(doc: OpenApiDocument): string[] {
  return Object.entries(doc.paths)
    .flatMap(([path, item]) => METHODS.filter((m) => item[m]).map((m) => `${m.toUpperCase()} ${path}`))
    .sort();
}
