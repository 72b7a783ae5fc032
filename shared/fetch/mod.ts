/**
 * Downloading files with verification and progress, shared by `voices:fetch` (Piper) and `models:fetch` (Whisper).
 *
 * @module
 */
export { DownloadError, downloadFile, type DownloadOptions, type DownloadResult, sha256File } from "./download.ts";
export { type ProgressReporter, stderrProgress } from "./progress.ts";
