/** qmpsh as a library: a QMP client with no CLI dependencies. */
export { QmpClient, connect } from './session.js';
export type {
  QmpClientOptions,
  ExecuteOptions,
  SessionState,
  WireMessage,
  ClientEvents,
} from './session.js';
export { parseAddress, formatAddress, type Address } from './address.js';
export * from './errors.js';
export { parseJson, stringifyJson, type JsonValue } from './protocol/json.js';
export { JsonFramer, DEFAULT_MAX_MESSAGE_BYTES } from './protocol/framing.js';
export type {
  Greeting,
  EventMessage,
  ReturnMessage,
  ErrorMessage,
  Request,
  JsonObject,
} from './protocol/messages.js';
export { greetingVersion } from './protocol/messages.js';
export { parseRequest, parseArguments, parseValue } from './shell/parse.js';
export { runHmp, isHmpError } from './hmp.js';
export { MigrationTracker, migrationFrom, type MigrationProgress } from './jobs/migration.js';
