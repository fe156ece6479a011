export * from './gateway-events.js';
export * from './event-stream.js';
