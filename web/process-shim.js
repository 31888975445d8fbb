// The little of Node's `process` that irc-framework's browser build reaches
// through its `util` polyfill (NODE_DEBUG, nextTick); esbuild injects it
// wherever a module names `process` (web/build.mjs).
export const process = {
  env: {},
  pid: 0,
  browser: true,
  nextTick: (fn, ...args) => queueMicrotask(() => fn(...args)),
};
