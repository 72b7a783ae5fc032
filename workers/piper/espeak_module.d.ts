/** Types for the untyped npm `@echogarden/espeak-ng-emscripten` module (an Emscripten factory). */
declare function initEspeakModule(): Promise<unknown>;
export default initEspeakModule;
