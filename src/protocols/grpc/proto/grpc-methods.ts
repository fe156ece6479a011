import type { Field, Method, Namespace, Root, Service, Type } from 'protobufjs';
import { protobufjs } from './protobuf-lib.js';
import { compilePathTemplate, TemplateSyntaxError, type PathTemplate } from './path-template.js';

/** One gRPC method of a loaded proto, with what transcoding needs of it. */
export interface GrpcMethod {
  /** 'helloworld.Greeter' */
  readonly service: string;
  readonly name: string;
  /** The HTTP/2 :path of a call: '/helloworld.Greeter/SayHello'. */
  readonly path: string;
  readonly requestType: Type;
  readonly responseType: Type;
  readonly serverStreaming: boolean;
  readonly clientStreaming: boolean;
}

/** A REST route from a google.api.http annotation (google/api/http.proto). */
export interface HttpBinding {
  readonly method: GrpcMethod;
  readonly verb: string;
  readonly template: PathTemplate;
  /** '' (no body), '*' (the whole message) or the field the body fills. */
  readonly body: string;
}

export interface ProtoApi {
  readonly methods: readonly GrpcMethod[];
  readonly bindings: readonly HttpBinding[];
  /** Annotation mistakes: bad templates, field paths that name no field. */
  readonly problems: readonly string[];
}

interface HttpRule {
  get?: string;
  put?: string;
  post?: string;
  delete?: string;
  patch?: string;
  custom?: { kind?: string; path?: string };
  body?: string;
  additional_bindings?: HttpRule | HttpRule[];
}

/** Every service method of the loaded protos and the REST routes their annotations declare. */
export function readProtoApi(root: Root): ProtoApi {
  const methods: GrpcMethod[] = [];
  const bindings: HttpBinding[] = [];
  const problems: string[] = [];
  for (const service of servicesOf(root)) {
    const serviceName = service.fullName.replace(/^\./, '');
    for (const method of service.methodsArray) {
      const grpc: GrpcMethod = {
        service: serviceName,
        name: method.name,
        path: `/${serviceName}/${method.name}`,
        requestType: method.resolvedRequestType!,
        responseType: method.resolvedResponseType!,
        serverStreaming: method.responseStream === true,
        clientStreaming: method.requestStream === true,
      };
      methods.push(grpc);
      for (const rule of rulesOf(method)) {
        const binding = bindingOf(grpc, rule, problems);
        if (binding) bindings.push(binding);
      }
    }
  }
  // `{name=shelves/*}` would take 'fiction:watch' whole: templates with a verb are tried first.
  bindings.sort((a, b) => Number(b.template.verb !== '') - Number(a.template.verb !== ''));
  return { methods, bindings, problems };
}

function servicesOf(namespace: Namespace): Service[] {
  const protobuf = protobufjs();
  const found: Service[] = [];
  for (const nested of namespace.nestedArray) {
    if (nested instanceof protobuf.Service) found.push(nested);
    else if (nested instanceof protobuf.Namespace) found.push(...servicesOf(nested));
  }
  return found;
}

function rulesOf(method: Method): HttpRule[] {
  const rules: HttpRule[] = [];
  for (const option of method.parsedOptions ?? []) {
    const rule = (option as Record<string, HttpRule | undefined>)['(google.api.http)'];
    if (!rule) continue;
    rules.push(rule);
    const more = rule.additional_bindings;
    if (more) rules.push(...(Array.isArray(more) ? more : [more]));
  }
  return rules;
}

function bindingOf(method: GrpcMethod, rule: HttpRule, problems: string[]): HttpBinding | undefined {
  const where = `${method.service}.${method.name}`;
  const verbs = ['get', 'put', 'post', 'delete', 'patch'] as const;
  const verb = verbs.find((name) => typeof rule[name] === 'string');
  const path = verb ? rule[verb]! : rule.custom?.path;
  const httpVerb = verb ? verb.toUpperCase() : rule.custom?.kind?.toUpperCase();
  if (path === undefined || httpVerb === undefined) {
    problems.push(`${where}: the google.api.http annotation names no verb and path`);
    return undefined;
  }
  let template: PathTemplate;
  try {
    template = compilePathTemplate(path);
  } catch (error) {
    if (!(error instanceof TemplateSyntaxError)) throw error;
    problems.push(`${where}: the path template ${error.message}`);
    return undefined;
  }
  let ok = true;
  for (const field of template.fields) {
    const missing = missingField(method.requestType, field);
    if (missing) {
      problems.push(`${where}: the path "${path}" names ${missing}`);
      ok = false;
    }
  }
  const body = rule.body ?? '';
  if (body !== '' && body !== '*') {
    const missing = missingField(method.requestType, body);
    if (missing) {
      problems.push(`${where}: body "${body}" names ${missing}`);
      ok = false;
    }
  }
  return ok ? { method, verb: httpVerb, template, body } : undefined;
}

/** Undefined when the dotted field path exists in `type`, else what is missing, in words. */
export function missingField(type: Type, fieldPath: string): string | undefined {
  let current: Type | undefined = type;
  const names = fieldPath.split('.');
  for (let n = 0; n < names.length; n++) {
    const field = current ? fieldOf(current, names[n]!) : undefined;
    if (!field || !current) return `no field ${names.slice(0, n + 1).join('.')} in ${type.name}`;
    const resolved: unknown = field.resolve().resolvedType;
    current = resolved instanceof protobufjs().Type ? resolved : undefined;
    if (n < names.length - 1 && !current)
      return `no message field ${names.slice(0, n + 1).join('.')} in ${type.name}`;
  }
  return undefined;
}

/** A field by its proto name (snake_case) or its JSON name (lowerCamel). */
export function fieldOf(type: Type, name: string): Field | undefined {
  return type.fields[name] ?? type.fields[protobufjs().util.camelCase(name)];
}
