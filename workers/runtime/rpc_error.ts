/**
 * Errors that carry their gRPC status, and the mapping of every other error to a status, so that each bad request
 * gets the right code and a message naming the problem while the worker keeps serving.
 *
 * @module
 */
import { type ServiceError, status } from "@grpc/grpc-js";
import { Metadata } from "@grpc/grpc-js";
import { ModelLoadError, ModelNotFoundError } from "./adapter.ts";
import { ModelInUseError } from "./model_manager.ts";

/** An error meant for the client: its gRPC status code and a message that names the problem. */
export class RpcError extends Error {
  constructor(readonly code: status, message: string) {
    super(message);
    this.name = "RpcError";
  }
}

/** Maps any thrown value to the gRPC status the client should see. */
export function toRpcError(error: unknown): RpcError {
  if (error instanceof RpcError) return error;
  if (error instanceof ModelNotFoundError) return new RpcError(status.NOT_FOUND, error.message);
  if (error instanceof ModelLoadError) return new RpcError(status.FAILED_PRECONDITION, error.message);
  if (error instanceof ModelInUseError) return new RpcError(status.FAILED_PRECONDITION, error.message);
  const message = error instanceof Error ? error.message : String(error);
  return new RpcError(status.INTERNAL, `internal error: ${message}`);
}

/** The shape grpc-js expects in a unary callback or a stream 'error' event. */
export function toServiceError(error: unknown): Partial<ServiceError> {
  const rpc = toRpcError(error);
  return { code: rpc.code, details: rpc.message, message: rpc.message, metadata: new Metadata() };
}

/** The grpc-js status name of a code, for logs (e.g. `NOT_FOUND`). */
export function statusName(code: status): string {
  return status[code] ?? String(code);
}
