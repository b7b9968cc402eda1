/** `import { createQmpServer } from 'qmpsh/testing'`: a scripted QMP peer for tests. */
export {
  createQmpServer,
  QmpServerError,
  NO_REPLY,
  type QmpServer,
  type QmpServerOptions,
  type CommandHandler,
  type HandlerContext,
} from './server.js';
