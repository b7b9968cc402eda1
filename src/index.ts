/** qmpsh as a library: a QMP client with no CLI dependencies. */
export { QmpClient, connect, type EventWait } from './session.js';
export { EventStream, DEFAULT_MAX_BUFFERED, type EventStreamOptions } from './event-stream.js';
export { globToRegExp as eventNamePattern } from './events.js';
export { fetchSchema, typeArguments, validateArguments, checkCommandName, describe, type SchemaOptions } from './schema/api.js';
export { Schema, type SchemaEntry, type SchemaMember } from './schema/schema.js';
export { followJob, followMigration, type FollowOptions } from './jobs/follow.js';
export { typed, type TypedClient, type CommandName, type CommandArguments, type CommandReturn, type QmpCommands, type QmpEvents, type QmpInt } from './typed.js';
export { jobsFrom, migrationFrom, type JobState, type MigrationState } from './jobs/model.js';
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
export { MigrationTracker, type MigrationProgress } from './jobs/migration.js';
export { listHost, type HostListing } from './ps/hosts.js';
export { listVms, type VmInfo, type MonitorInfo, type MonitorState, type Holder } from './ps/list.js';
export { parseQemuArgs, type QemuCommandLine, type MonitorSpec } from './ps/cmdline.js';
export { readLocalSnapshot } from './ps/snapshot.js';
export { findVm, matchVms, monitorFor } from './ps/names.js';
