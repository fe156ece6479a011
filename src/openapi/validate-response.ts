import type { BufferedResponse } from '../pipeline/types.js';
import { isJsonMediaType, type CompiledOperation } from './compile-spec.js';
import { violationsOf, type Violation } from './validate-request.js';

/** The spec's entry for a status: the exact code, else its range ('4XX'), else 'default'. */
function responseFor(operation: CompiledOperation, status: number) {
  const exact = operation.responses.get(String(status));
  return exact ?? operation.responses.get(`${String(status)[0]}XX`) ?? operation.responses.get('DEFAULT');
}

/** Checks an answer's status and, when it was buffered as JSON, its body against the operation. */
export function validateResponse(
  operation: CompiledOperation,
  status: number,
  buffered: BufferedResponse | undefined,
): Violation[] {
  const listed = responseFor(operation, status);
  if (!listed) {
    return [
      { location: 'response/status', expected: `one of ${[...operation.responses.keys()].join(', ')}` },
    ];
  }
  if (!buffered || !listed.json || !isJsonMediaType(String(buffered.headers['content-type'] ?? '')))
    return [];
  let value: unknown;
  try {
    value = JSON.parse(buffered.body.toString('utf8'));
  } catch {
    return [{ location: 'response/body', expected: 'valid JSON' }];
  }
  return listed.json(value) ? [] : violationsOf('response/body', listed.json.errors);
}
